import { describe, expect, test } from 'vitest';
import { ApiError, isConflict } from '../../../src/kube/client.ts';
import { conflictDelayMs, retryOnConflict } from '../../../src/kube/conflict-retry.ts';

const conflict = () => new ApiError(409, 'Conflict', 'the object has been modified');

describe('retryOnConflict', () => {
  test('a conflict is retried until the attempt succeeds, pausing between attempts', async () => {
    const pauses: number[] = [];
    let calls = 0;
    const result = await retryOnConflict(
      async (n) => {
        calls++;
        if (n < 3) throw conflict();
        return 'done';
      },
      { sleep: async (ms) => void pauses.push(ms) },
    );
    expect(result).toBe('done');
    expect(calls).toBe(3);
    expect(pauses).toHaveLength(2);
  });

  test('after the last attempt the conflict itself is thrown; other errors at once', async () => {
    let calls = 0;
    const err = await retryOnConflict(
      async () => {
        calls++;
        throw conflict();
      },
      { sleep: async () => {} },
    ).catch((e: unknown) => e);
    expect(isConflict(err)).toBe(true);
    expect(calls).toBe(5);
    calls = 0;
    const notFound = new ApiError(404, 'NotFound', 'gone');
    await expect(
      retryOnConflict(async () => {
        calls++;
        throw notFound;
      }),
    ).rejects.toBe(notFound);
    expect(calls).toBe(1);
    // AlreadyExists is a 409 too, but no retry makes the name free.
    await expect(
      retryOnConflict(async () => {
        throw new ApiError(409, 'AlreadyExists', 'taken');
      }),
    ).rejects.toMatchObject({ reason: 'AlreadyExists' });
  });

  test('the pause doubles from 10 ms, with at most 10 % jitter', () => {
    expect([2, 3, 4, 5].map((n) => conflictDelayMs(n, () => 0))).toEqual([10, 20, 40, 80]);
    expect(conflictDelayMs(2, () => 0.999)).toBe(11);
  });
});
