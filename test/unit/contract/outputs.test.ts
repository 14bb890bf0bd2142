import { describe, expect, test } from 'vitest';
import {
  captureOutputs,
  MAX_OUTPUT_LINES,
  OUTPUTS_END,
  OUTPUTS_START,
  parseLogOutputs,
  parseOutputs,
  parseTerminationMessage,
  usageFromResults,
} from '../../../src/contract/outputs.ts';

const block = (...lines: string[]): string => [OUTPUTS_START, ...lines, OUTPUTS_END].join('\n');

describe('parseOutputs', () => {
  test('reads the upstream marker block into outputs, results and usage', () => {
    const log = [
      'agent chatter',
      block(
        'branch: feature/auth',
        'pr: https://github.com/o/r/pull/7',
        'commit: 0123456789abcdef0123456789abcdef01234567',
        'base-branch: main',
        'cost-usd: 0.4213',
        'input-tokens: 1200',
        'output-tokens: 345',
      ),
    ].join('\n');
    expect(parseLogOutputs(log)).toEqual({
      outputs: [
        'branch: feature/auth',
        'pr: https://github.com/o/r/pull/7',
        'commit: 0123456789abcdef0123456789abcdef01234567',
        'base-branch: main',
        'cost-usd: 0.4213',
        'input-tokens: 1200',
        'output-tokens: 345',
      ],
      results: {
        branch: 'feature/auth',
        pr: 'https://github.com/o/r/pull/7',
        commit: '0123456789abcdef0123456789abcdef01234567',
        'base-branch': 'main',
        'cost-usd': '0.4213',
        'input-tokens': '1200',
        'output-tokens': '345',
      },
      usage: { costUSD: '0.4213', inputTokens: 1200, outputTokens: 345 },
    });
  });

  test('uses the last complete block (worker pods reuse logs)', () => {
    const log = [
      block('branch: old'),
      'more output',
      block('branch: new'),
      OUTPUTS_START,
      'branch: truncated',
    ].join('\n');
    expect(parseLogOutputs(log)?.results).toEqual({ branch: 'new' });
  });

  test('a block without an end marker is ignored', () => {
    expect(parseLogOutputs(`${OUTPUTS_START}\nbranch: x\n`)).toBeUndefined();
  });

  test('logs without a block report nothing, even with key: value chatter', () => {
    expect(parseLogOutputs('branch: main\nError: something failed')).toBeUndefined();
  });

  test('trims lines, handles CRLF, splits on the first ": " and keeps colons in values', () => {
    const r = parseOutputs(block('  pr: https://x/y:8080/z  \r', 'response: a: b'));
    expect(r?.results).toEqual({ pr: 'https://x/y:8080/z', response: 'a: b' });
  });

  test('drops junk lines: no separator, empty value, bad key, over-long line', () => {
    const r = parseOutputs(
      block(
        'no separator here',
        'empty: ',
        ': nokey',
        'bad key: v',
        '-x: v',
        `long: ${'a'.repeat(9000)}`,
        'ok: 1',
      ),
    );
    expect(r).toEqual({ outputs: ['ok: 1'], results: { ok: '1' } });
  });

  test('a later line wins in results while outputs keep both', () => {
    const r = parseOutputs(block('pr: https://a/1', 'pr: https://a/2'));
    expect(r?.outputs).toEqual(['pr: https://a/1', 'pr: https://a/2']);
    expect(r?.results.pr).toBe('https://a/2');
  });

  test(`keeps at most ${MAX_OUTPUT_LINES} lines`, () => {
    const lines = Array.from({ length: MAX_OUTPUT_LINES + 50 }, (_, i) => `k${i}: ${i}`);
    expect(parseOutputs(block(...lines))?.outputs).toHaveLength(MAX_OUTPUT_LINES);
  });

  test('an empty block reports nothing', () => {
    expect(parseOutputs(block())).toBeUndefined();
  });
});

describe('parseTerminationMessage', () => {
  test('accepts bare key: value lines', () => {
    expect(parseTerminationMessage('branch: main\ncommit: abc\n')).toEqual({
      outputs: ['branch: main', 'commit: abc'],
      results: { branch: 'main', commit: 'abc' },
    });
  });

  test('rejects bare text with any non key: value line (a log tail from FallbackToLogsOnError)', () => {
    expect(parseTerminationMessage('Error: API rate limited\npanic at the disco\n')).toBeUndefined();
  });

  test('prefers the marker block when both are present', () => {
    expect(parseTerminationMessage(`junk: 1\n${block('branch: b')}`)?.results).toEqual({ branch: 'b' });
  });
});

describe('usageFromResults', () => {
  test.each([
    [{ 'cost-usd': '1.5' }, { costUSD: '1.5' }],
    [{ 'cost-usd': '0' }, undefined],
    [{ 'cost-usd': '-1' }, undefined],
    [{ 'cost-usd': '1e3' }, undefined],
    [{ 'cost-usd': 'NaN' }, undefined],
    [{ 'cost-usd': '01.5' }, undefined],
    [{ 'input-tokens': '10', 'output-tokens': '0' }, { inputTokens: 10 }],
    [{ 'input-tokens': '1.5' }, undefined],
    [{ 'output-tokens': '99999999999999999999' }, undefined],
    [{ branch: 'main' }, undefined],
  ])('%o → %o', (results, want) => {
    expect(usageFromResults(results)).toEqual(want);
  });
});

describe('captureOutputs', () => {
  test('uses the termination message when it reported something', () => {
    expect(
      captureOutputs({ terminationMessage: block('branch: tm'), log: block('branch: log') }),
    ).toMatchObject({
      source: 'termination-message',
      results: { branch: 'tm' },
    });
  });

  test('falls back to the log when the termination message is empty or junk', () => {
    expect(captureOutputs({ terminationMessage: 'oops\n', log: block('branch: log') })).toMatchObject({
      source: 'log',
      results: { branch: 'log' },
    });
  });

  test('reports nothing when neither source has outputs', () => {
    expect(captureOutputs({})).toBeUndefined();
  });
});
