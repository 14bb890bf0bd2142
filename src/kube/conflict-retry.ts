/**
 * Retry on conflict, as client-go's `retry.RetryOnConflict`: a read-modify-write guarded by a
 * resourceVersion fails with 409 Conflict when another writer (a controller updating the
 * object's status, a second client) wrote between the read and the write. The answer is to read
 * again and redo the change a few times, not to hand the 409 to a human.
 *
 * @packageDocumentation
 */
import { isConflict } from './api.ts';

/** Attempts of {@link retryOnConflict} by default: client-go's `retry.DefaultRetry` makes 5. */
export const CONFLICT_ATTEMPTS = 5;

/**
 * The pause before attempt `attempt` (2, 3, …): 10 ms doubling, with up to 10 % jitter so two
 * clients that collided do not collide again in step.
 */
export const conflictDelayMs = (attempt: number, random: () => number = Math.random): number => {
  const base = 10 * 2 ** Math.max(0, attempt - 2);
  return Math.round(base * (1 + 0.1 * random()));
};

/** Options of {@link retryOnConflict}. */
export interface ConflictRetryOptions {
  /** Attempts in all, the first included. Default {@link CONFLICT_ATTEMPTS}. */
  readonly attempts?: number;
  /** Waits before a retry; tests replace it. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` (which must read the object afresh each time) until it succeeds or fails with
 * something other than a conflict; after `attempts` conflicts the last one is thrown, so the
 * caller can tell "someone kept writing" from any other failure with {@link isConflict}.
 */
export async function retryOnConflict<T>(
  attempt: (n: number) => Promise<T>,
  opts: ConflictRetryOptions = {},
): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? CONFLICT_ATTEMPTS);
  const sleep = opts.sleep ?? wait;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!isConflict(err) || n >= attempts) throw err;
    }
    await sleep(conflictDelayMs(n + 1));
  }
}
