/**
 * Concurrency for benchmarks: work spread over a fixed number of in-flight slots, and the
 * timed form of it that the load benchmarks report (wall time, each call's latency, outcomes
 * by kind). Hand-written because it is a dozen lines and a library (p-limit and the like)
 * would add a dependency for the bench alone.
 *
 * @packageDocumentation
 */

/** Runs `fn` over `items` with at most `limit` in flight; rejects with the first failure. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i] as T, i);
      }
    }),
  );
}

/** What a timed load did. */
export interface Load<Outcome> {
  /** Wall time of the whole load, in milliseconds. */
  readonly ms: number;
  /** Each call's latency in milliseconds, in completion order. */
  readonly latencies: number[];
  /** How many calls ended with each outcome. */
  readonly outcomes: Map<Outcome, number>;
}

/**
 * Calls `one(0)` … `one(count - 1)` with `inFlight` at a time and times them. `one` returns
 * the call's outcome (an HTTP status, say) and should not reject: a rejection ends the load.
 */
export async function timedLoad<Outcome>(
  count: number,
  inFlight: number,
  one: (index: number) => Promise<Outcome>,
): Promise<Load<Outcome>> {
  const latencies: number[] = [];
  const outcomes = new Map<Outcome, number>();
  const began = performance.now();
  await pool(
    Array.from({ length: count }, (_, i) => i),
    inFlight,
    async (i) => {
      const t = performance.now();
      const outcome = await one(i);
      latencies.push(performance.now() - t);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    },
  );
  return { ms: performance.now() - began, latencies, outcomes };
}
