import { describe, expect, test } from 'vitest';
import { formatDecimal, reportFromStream } from '../../../src/agent/usage.ts';
import { claudeFailure } from '../../../src/contract/claude-result.ts';
import { stream } from './harness.ts';

const lines = (...events: object[]): string => events.map((e) => JSON.stringify(e)).join('\n');

describe('usage per agent stream', () => {
  test('claude-code takes the last result event', () => {
    const text = lines(
      {
        type: 'result',
        subtype: 'success',
        total_cost_usd: 0.01,
        usage: { input_tokens: 100, output_tokens: 50 },
        result: 'first',
      },
      {
        type: 'result',
        subtype: 'success',
        total_cost_usd: 0.05,
        usage: { input_tokens: 200, output_tokens: 100 },
        result: 'second',
      },
    );
    expect(reportFromStream('claude-code', text)).toEqual({
      costUSD: '0.05',
      inputTokens: '200',
      outputTokens: '100',
      response: 'second',
    });
  });

  test('claude-code fixture', () => {
    expect(reportFromStream('claude-code', stream('claude-code'))).toEqual({
      costUSD: '0.0532',
      inputTokens: '15230',
      outputTokens: '4821',
      response: 'Fixed the test and opened https://github.com/acme/widgets/pull/42.',
    });
  });

  test('claude-code without a result reports nothing', () => {
    expect(reportFromStream('claude-code', lines({ type: 'assistant', message: { content: [] } }))).toEqual(
      {},
    );
  });

  test('codex sums every completed turn', () => {
    expect(reportFromStream('codex', stream('codex'))).toEqual({
      inputTokens: '2000',
      outputTokens: '400',
      response: 'Committed the fix on kelos/fix.',
    });
  });

  test('gemini reads snake_case stats (gemini-cli StreamStats)', () => {
    expect(reportFromStream('gemini', stream('gemini'))).toEqual({
      inputTokens: '8000',
      outputTokens: '3200',
      response: 'Fixed the test and committed it.',
    });
  });

  test('gemini also accepts the camelCase stats upstream Kelos reads', () => {
    expect(
      reportFromStream('gemini', lines({ type: 'result', stats: { inputTokens: 8000, outputTokens: 3200 } })),
    ).toEqual({
      inputTokens: '8000',
      outputTokens: '3200',
    });
  });

  test('gemini: a full (non-delta) assistant message replaces the current text', () => {
    const text = lines(
      { type: 'message', role: 'assistant', content: 'partial', delta: true },
      { type: 'message', role: 'assistant', content: 'Whole answer.' },
    );
    expect(reportFromStream('gemini', text).response).toBe('Whole answer.');
  });

  test('opencode sums steps and their cost', () => {
    expect(reportFromStream('opencode', stream('opencode'))).toEqual({
      costUSD: '0.0156',
      inputTokens: '800',
      outputTokens: '300',
      response: 'Fixed the test and committed it.',
    });
  });

  test('cursor reads camelCase usage from the last result', () => {
    expect(reportFromStream('cursor', stream('cursor'))).toEqual({
      inputTokens: '36067',
      outputTokens: '227',
      response: 'Fixed the test and committed it.',
    });
  });

  test('junk lines, non-objects and wrong types are ignored', () => {
    const text = [
      'plain log line',
      '{not json',
      '[1,2]',
      JSON.stringify({ type: 'turn.completed', usage: { input_tokens: 'many', output_tokens: -5 } }),
      JSON.stringify({ type: 'turn.completed', usage: { input_tokens: 10, output_tokens: 2.5 } }),
    ].join('\n');
    expect(reportFromStream('codex', text)).toEqual({ inputTokens: '10' });
  });

  test('unknown agent types report nothing', () => {
    expect(reportFromStream('aider', stream('claude-code'))).toEqual({});
  });
});

describe('claudeFailure', () => {
  test.each([
    [{ subtype: 'success', is_error: false, stop_reason: 'end_turn' }, undefined],
    [{ subtype: 'success' }, undefined],
    [{ subtype: 'success', terminal_reason: 'completed' }, undefined],
    [
      { subtype: 'error_max_turns', is_error: false },
      'Claude Code returned an unsuccessful result (subtype=error_max_turns)',
    ],
    [
      { subtype: 'success', is_error: true },
      'Claude Code returned an unsuccessful result (subtype=success, is_error=true)',
    ],
    [{}, 'Claude Code returned an unsuccessful result'],
    [{ subtype: 'success', stop_reason: 'tool_use' }, 'Claude Code run incomplete (stop_reason=tool_use)'],
  ])('%o → %s', (result, want) => {
    expect(claudeFailure(result)).toBe(want);
  });
});

describe('formatDecimal', () => {
  test.each([
    [0.0532, '0.0532'],
    [2, '2'],
    [1e-7, '0.0000001'],
    [-1, undefined],
    [Number.NaN, undefined],
  ])('%d → %s', (n, want) => {
    expect(formatDecimal(n)).toBe(want);
  });
});
