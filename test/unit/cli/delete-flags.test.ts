import { describe, expect, test } from 'vitest';
import { deleteTimeoutSeconds, parseWaitFlag } from '../../../src/cli/commands/delete.ts';

describe('kelos delete --wait and --timeout', () => {
  test('--wait is on unless set false, as kubectl’s', () => {
    expect(parseWaitFlag(undefined)).toBe(true);
    expect(parseWaitFlag(true)).toBe(true);
    expect(parseWaitFlag('true')).toBe(true);
    expect(parseWaitFlag('false')).toBe(false);
    expect(parseWaitFlag(false)).toBe(false);
  });

  test('another --wait value is a usage error naming it', () => {
    expect(() => parseWaitFlag('ws')).toThrow(/--wait takes true or false .*got "ws"/);
  });

  test('--timeout 0 waits a week, as kubectl; other durations as written; a bad one is refused', () => {
    expect(deleteTimeoutSeconds('0s')).toBe(7 * 24 * 3600);
    expect(deleteTimeoutSeconds('0')).toBe(7 * 24 * 3600);
    expect(deleteTimeoutSeconds('90s')).toBe(90);
    expect(deleteTimeoutSeconds('2m')).toBe(120);
    expect(() => deleteTimeoutSeconds('soon')).toThrow(
      '--timeout must be a positive duration, e.g. 2m, or 0 to wait a week; got "soon"',
    );
  });
});
