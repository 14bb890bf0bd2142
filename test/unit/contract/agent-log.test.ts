import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { MAX_ARGS_CHARS, MAX_RESULT_LINES, shortArgs } from '../../../src/contract/agent-log/entry.ts';
import {
  AgentLogReader,
  formatAgentLog,
  type Paint,
  renderEntry,
} from '../../../src/contract/agent-log/index.ts';
import { OUTPUTS_END, OUTPUTS_START } from '../../../src/contract/outputs.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/agent-streams');
const fixture = (name: string): string => readFileSync(join(FIXTURES, `${name}.jsonl`), 'utf8');
const jsonl = (...events: object[]): string => events.map((e) => JSON.stringify(e)).join('\n');

describe('formatAgentLog on each agent’s real stream', () => {
  test('claude-code: session, text, tool call with its command, result, text, summary with cost', () => {
    expect(formatAgentLog('claude-code', fixture('claude-code'))).toBe(
      [
        '» Claude Code session started (model claude-sonnet-4-5)',
        "I'll fix the failing test and commit the change.",
        "→ Bash: git commit -am 'Fix test' && gh pr create --fill",
        '  ← [kelos/fix 1a2b3c4] Fix test',
        '    https://github.com/acme/widgets/pull/42',
        'Fixed the test and opened https://github.com/acme/widgets/pull/42.',
        '✓ done · 5 turns · 48.2s · $0.0532 · tokens 15230 in / 4821 out',
        '',
      ].join('\n'),
    );
  });

  test('claude-code: an incomplete run ends in a failed summary naming why', () => {
    const out = formatAgentLog('claude-code', fixture('claude-code-incomplete'));
    expect(out).toContain(
      '✗ failed: Claude Code run incomplete (terminal_reason=max_turns, stop_reason=tool_use) · 50 turns',
    );
    expect(out).toContain('$0.91');
  });

  test('codex: reasoning, shell command and output, message, usage summed over turns', () => {
    expect(formatAgentLog('codex', fixture('codex'))).toBe(
      [
        '» Codex session started',
        '(thinking) **Locating the failing test**',
        `→ shell: bash -lc 'git commit -am "Fix test"'`,
        '  ← [kelos/fix 1a2b3c4] Fix test',
        'Committed the fix on kelos/fix.',
        '✓ done · 2 turns · tokens 2000 in / 400 out',
        '',
      ].join('\n'),
    );
  });

  test('gemini: prompt, deltas joined into one paragraph, tool call and result, summary', () => {
    expect(formatAgentLog('gemini', fixture('gemini'))).toBe(
      [
        '» Gemini session started (model gemini-2.5-pro)',
        '> Fix the failing test',
        'Let me look at the test.',
        "→ run_shell_command: git commit -am 'Fix test'",
        '  ← [kelos/fix 1a2b3c4] Fix test',
        'Fixed the test and committed it.',
        '✓ done · 5.2s · tokens 8000 in / 3200 out',
        '',
      ].join('\n'),
    );
  });

  test('opencode: tool call with output, text, cost and tokens summed over steps', () => {
    expect(formatAgentLog('opencode', fixture('opencode'))).toBe(
      [
        "→ bash: git commit -am 'Fix test'",
        '  ← [kelos/fix 1a2b3c4] Fix test',
        'Fixed the test and committed it.',
        '✓ done · 2 steps · $0.0156 · tokens 800 in / 300 out',
        '',
      ].join('\n'),
    );
  });

  test('cursor: prompt, thinking, shell tool call and its stdout, text, summary', () => {
    expect(formatAgentLog('cursor', fixture('cursor'))).toBe(
      [
        '» Cursor session started (model Claude 4.5 Sonnet)',
        '> Fix the failing test',
        '(thinking) Looking at the test',
        "→ shell: git commit -am 'Fix test'",
        '  ← [kelos/fix 1a2b3c4] Fix test',
        'Fixed the test and committed it.',
        '✓ done · 11.8s · tokens 36067 in / 227 out',
        '',
      ].join('\n'),
    );
  });

  test('an empty log prints nothing', () => {
    expect(formatAgentLog('claude-code', fixture('empty'))).toBe('');
  });
});

describe('lines that are not the agent’s JSON', () => {
  test('non-JSON lines pass through unchanged, in order, between formatted entries', () => {
    const log = [
      'kelos: cloning https://github.com/acme/widgets',
      '{"type":"assistant","message":{"content":[{"type":"text","text":"hi"}]}}',
      '  indented   text  ',
      '[1,2,3]',
      '{not json',
    ].join('\n');
    expect(formatAgentLog('claude-code', log)).toBe(
      [
        'kelos: cloning https://github.com/acme/widgets',
        'hi',
        '  indented   text  ',
        '[1,2,3]',
        '{not json',
        '',
      ].join('\n'),
    );
  });

  test('JSON events of an unknown type are left out', () => {
    const log = jsonl({ type: 'stream_event', event: { delta: 'x' } }, { type: 'rate_limit' });
    expect(formatAgentLog('claude-code', log)).toBe('');
  });

  test('for an agent type without a known format every line passes through, JSON included', () => {
    const log = jsonl({ type: 'result', total_cost_usd: 1 }, { hello: 'world' });
    expect(formatAgentLog('my-agent', log)).toBe(`${log}\n`);
  });

  test('the outputs block becomes key: value entries after the summary, without the base64 response', () => {
    const log = [
      fixture('codex').trimEnd(),
      OUTPUTS_START,
      'branch: kelos/fix',
      'pr: https://github.com/acme/widgets/pull/42',
      'response: Q29tbWl0dGVkIHRoZSBmaXgu',
      OUTPUTS_END,
    ].join('\n');
    const out = formatAgentLog('codex', log);
    expect(
      out.endsWith(
        [
          '✓ done · 2 turns · tokens 2000 in / 400 out',
          '◆ branch: kelos/fix',
          '◆ pr: https://github.com/acme/widgets/pull/42',
          '',
        ].join('\n'),
      ),
    ).toBe(true);
    expect(out).not.toContain('response');
    expect(out.match(/✓ done/g)).toHaveLength(1);
  });
});

describe('tool calls and results are shortened', () => {
  test('arguments: the most telling string argument, whitespace collapsed, clipped', () => {
    expect(shortArgs({ description: 'Read it', file_path: '/w/src/a.ts' })).toBe('/w/src/a.ts');
    expect(shortArgs({ command: 'ls\n  -la' })).toBe('ls -la');
    expect(shortArgs({ a: 1 })).toBe('{"a":1}');
    const long = shortArgs({ command: 'x'.repeat(500) });
    expect(long).toHaveLength(MAX_ARGS_CHARS);
    expect(long.endsWith('…')).toBe(true);
  });

  test('results: the first lines, each clipped, with a count of the lines left out', () => {
    const output = Array.from({ length: 12 }, (_, i) => `line ${i} ${'y'.repeat(i === 0 ? 400 : 0)}`).join(
      '\n',
    );
    const log = jsonl({
      type: 'user',
      message: { content: [{ type: 'tool_result', content: [{ type: 'text', text: output }] }] },
    });
    const lines = formatAgentLog('claude-code', log).trimEnd().split('\n');
    expect(lines).toHaveLength(MAX_RESULT_LINES + 1);
    expect(lines[0]!.length).toBeLessThan(220);
    expect(lines[0]!.endsWith('…')).toBe(true);
    expect(lines.at(-1)).toBe(`    … (${12 - MAX_RESULT_LINES} more lines)`);
  });

  test('a failed result is marked failed and painted red', () => {
    const reader = new AgentLogReader('claude-code');
    const [entry] = reader.line(
      JSON.stringify({
        type: 'user',
        message: { content: [{ type: 'tool_result', content: 'permission denied', is_error: true }] },
      }),
    );
    expect(entry).toEqual({ kind: 'result', text: 'permission denied', failed: true });
    const paint: Paint = (style, text) => `<${style}>${text}</${style}>`;
    expect(renderEntry(entry!, paint)).toBe('<red>  ← permission denied</red>');
  });

  test('codex: a command that exits non-zero is a failed result with its exit code', () => {
    const log = jsonl({
      type: 'item.completed',
      item: {
        id: 'i',
        type: 'command_execution',
        command: 'npm test',
        aggregated_output: 'FAIL\n',
        exit_code: 1,
      },
    });
    // Never seen started (a stream cut short): the call is announced before its result.
    expect(formatAgentLog('codex', log)).toBe('→ shell: npm test\n  ← FAIL\n    (exit code 1)\n');
  });
});

describe('incremental reading (kelos logs -f)', () => {
  test('gemini text deltas are held until the next event, then printed as one paragraph', () => {
    const reader = new AgentLogReader('gemini');
    const delta = (content: string) =>
      JSON.stringify({ type: 'message', role: 'assistant', content, delta: true });
    expect(reader.line(delta('Fixed the test '))).toEqual([]);
    expect(reader.line(delta('and committed it.'))).toEqual([]);
    expect(reader.line(JSON.stringify({ type: 'tool_use', tool_name: 'ls', parameters: {} }))).toEqual([
      { kind: 'text', text: 'Fixed the test and committed it.' },
      { kind: 'tool', text: 'ls' },
    ]);
  });

  test('held-back text is printed when the log ends', () => {
    const reader = new AgentLogReader('gemini');
    reader.line(JSON.stringify({ type: 'message', role: 'assistant', content: 'last words', delta: true }));
    expect(reader.end()).toEqual([{ kind: 'text', text: 'last words' }]);
    expect(reader.end()).toEqual([]);
  });

  test('each line yields its entries as soon as it is read', () => {
    const reader = new AgentLogReader('claude-code');
    const lines = fixture('claude-code').trimEnd().split('\n');
    expect(reader.line(lines[2]!)).toEqual([
      { kind: 'tool', text: "Bash: git commit -am 'Fix test' && gh pr create --fill" },
    ]);
  });
});
