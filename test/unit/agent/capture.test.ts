import { rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import {
  type CommandRunner,
  collectOutputs,
  formatOutputBlock,
  formatTerminationMessage,
  StreamTap,
} from '../../../src/agent/capture.ts';
import { parseTerminationMessage, TERMINATION_MESSAGE_MAX_BYTES } from '../../../src/contract/outputs.ts';
import {
  b64,
  baseEnv,
  block,
  git,
  makeWorkspace,
  readText,
  runCapture,
  stream,
  type Workspace,
} from './harness.ts';

const sink = () => {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
};

describe('StreamTap', () => {
  test('forwards bytes unchanged and parses lines split across chunks and inside characters', () => {
    const { out, text } = sink();
    const tap = new StreamTap('cursor', out);
    const input = Buffer.from(
      `${JSON.stringify({ type: 'result', result: 'héllo ✓', usage: { inputTokens: 5, outputTokens: 6 } })}\n`,
    );
    for (let i = 0; i < input.length; i += 3) tap.write(input.subarray(i, i + 3));
    expect(tap.end()).toEqual({ inputTokens: '5', outputTokens: '6', response: 'héllo ✓' });
    expect(text()).toBe(input.toString('utf8'));
  });

  test('ends the output with a newline when the agent did not', () => {
    const { out, text } = sink();
    const tap = new StreamTap('codex', out);
    tap.write(Buffer.from('{"type":"turn.completed","usage":{"input_tokens":3,"output_tokens":4}}'));
    expect(tap.end()).toEqual({ inputTokens: '3', outputTokens: '4' });
    expect(text()).toBe('{"type":"turn.completed","usage":{"input_tokens":3,"output_tokens":4}}\n');
  });

  test('remembers pull-request URLs once each, including inside JSON strings', () => {
    const { out } = sink();
    const tap = new StreamTap('claude-code', out);
    tap.write(Buffer.from(stream('claude-code')));
    tap.end();
    expect(tap.prUrls).toEqual(['https://github.com/acme/widgets/pull/42']);
  });
});

describe('formatTerminationMessage', () => {
  const base = [
    'branch: kelos/fix',
    'pr: https://github.com/a/b/pull/1',
    'commit: 0123456789abcdef0123456789abcdef01234567',
    'base-branch: main',
    'cost-usd: 0.5',
    'input-tokens: 10',
    'output-tokens: 20',
  ];

  test('is the marker block when everything fits', () => {
    expect(formatTerminationMessage(base)).toBe(block(...base));
  });

  test('drops the final message first when the block would exceed 4096 bytes', () => {
    const msg = formatTerminationMessage([...base, `response: ${'A'.repeat(5000)}`]);
    expect(msg).toBe(block(...base));
  });

  test('keeps branch, commit and usage over many pull requests, in the original order', () => {
    const prs = Array.from({ length: 200 }, (_, i) => `pr: https://github.com/acme/widgets/pull/${1000 + i}`);
    const lines = [
      'branch: b',
      ...prs,
      'commit: c',
      'base-branch: main',
      'cost-usd: 1',
      'input-tokens: 2',
      'output-tokens: 3',
    ];
    const msg = formatTerminationMessage(lines);
    expect(Buffer.byteLength(msg)).toBeLessThanOrEqual(TERMINATION_MESSAGE_MAX_BYTES);
    const parsed = parseTerminationMessage(msg)!;
    expect(parsed.results).toMatchObject({
      branch: 'b',
      commit: 'c',
      'base-branch': 'main',
      'cost-usd': '1',
      'output-tokens': '3',
    });
    expect(parsed.outputs[0]).toBe('branch: b');
    expect(parsed.outputs.at(-1)).toBe('output-tokens: 3');
    expect(parsed.outputs.filter((l) => l.startsWith('pr: ')).length).toBeGreaterThan(50);
  });

  test('is empty when there is nothing to report', () => {
    expect(formatTerminationMessage([])).toBe('');
    expect(formatOutputBlock([])).toBe('');
  });

  test('is read back by the operator as the same outputs, results and usage', () => {
    expect(parseTerminationMessage(formatTerminationMessage(base))).toEqual({
      outputs: base,
      results: {
        branch: 'kelos/fix',
        pr: 'https://github.com/a/b/pull/1',
        commit: '0123456789abcdef0123456789abcdef01234567',
        'base-branch': 'main',
        'cost-usd': '0.5',
        'input-tokens': '10',
        'output-tokens': '20',
      },
      usage: { costUSD: '0.5', inputTokens: 10, outputTokens: 20 },
    });
  });
});

describe('collectOutputs', () => {
  /** A runner answering from a table of `command args` → stdout (undefined = failure). */
  const fake =
    (answers: Record<string, string | undefined>): CommandRunner =>
    async (command, args) =>
      answers[[command, ...args].join(' ')];

  test('outside a repository reports only usage and the configured base branch', async () => {
    const lines = await collectOutputs({
      cwd: '/',
      env: { KELOS_BASE_BRANCH: 'main' },
      run: fake({}),
      report: { inputTokens: '1', outputTokens: '2', response: 'done' },
    });
    expect(lines).toEqual([
      'base-branch: main',
      'input-tokens: 1',
      'output-tokens: 2',
      `response: ${b64('done')}`,
    ]);
  });

  test('reads the base branch from origin/HEAD and caps the response', async () => {
    const lines = await collectOutputs({
      cwd: '/r',
      env: {},
      run: fake({
        'git rev-parse --is-inside-work-tree': 'true',
        'git branch --show-current': '',
        'git rev-parse HEAD': 'abc',
        'git symbolic-ref refs/remotes/origin/HEAD': 'refs/remotes/origin/trunk',
      }),
      report: { response: 'x'.repeat(100_000) },
    });
    expect(lines.slice(0, 2)).toEqual(['commit: abc', 'base-branch: trunk']);
    expect(Buffer.from(lines[2]!.slice('response: '.length), 'base64').length).toBe(48 * 1024);
  });

  test('detached HEAD reports the commit but no branch and no PRs', async () => {
    const lines = await collectOutputs({
      cwd: '/r',
      env: { KELOS_BASE_BRANCH: 'main' },
      run: fake({
        'git rev-parse --is-inside-work-tree': 'true',
        'git branch --show-current': '',
        'git rev-parse HEAD': 'abc',
      }),
      report: {},
      streamPrUrls: ['https://github.com/a/b/pull/1'],
    });
    expect(lines).toEqual(['commit: abc', 'base-branch: main']);
  });
});

describe('capture as a process (custom images: agent | node capture.ts)', () => {
  const made: Workspace[] = [];
  afterEach(() => {
    for (const w of made.splice(0)) rmSync(w.dir, { recursive: true, force: true });
  });

  test('passes the stream through, then prints the block and writes the termination message', () => {
    const w = makeWorkspace();
    made.push(w);
    const r = runCapture(w, stream('codex'), { ...baseEnv(w, 'codex'), STANDIN_PRS: '[]' });
    expect(r.code).toBe(0);
    const lines = [
      'branch: main',
      `commit: ${git(w.repo, 'rev-parse', 'HEAD')}`,
      'base-branch: main',
      'input-tokens: 2000',
      'output-tokens: 400',
      `response: ${b64('Committed the fix on kelos/fix.')}`,
    ];
    expect(r.stdout).toBe(stream('codex') + block(...lines));
    expect(readText(w.terminationLog)).toBe(block(...lines));
  });

  test('exits 1 on an incomplete Claude Code run', () => {
    const w = makeWorkspace();
    made.push(w);
    const r = runCapture(w, stream('claude-code-incomplete'), baseEnv(w, 'claude-code'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'kelos-capture: Claude Code run incomplete (terminal_reason=max_turns, stop_reason=tool_use)\n',
    );
  });
});
