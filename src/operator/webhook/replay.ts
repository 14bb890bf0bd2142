/**
 * Kelos-signed requests already answered 2xx, remembered for as long as their timestamp is
 * accepted, so a captured request replayed within the window gets 409 instead of being
 * processed again. Per replica and bounded: a replay that reaches another replica, or arrives
 * after an eviction, still creates nothing (the durable dedupe answers it as a duplicate).
 * Only successes are remembered, so a sender retrying after a failure is not refused.
 *
 * @packageDocumentation
 */

/** Most signatures remembered; the oldest go first. */
export const MAX_REMEMBERED = 100_000;

/** Remembers signatures until they expire. */
export class ReplayGuard {
  readonly #ttlMs: number;
  readonly #seen = new Map<string, number>();

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  /** Whether `signature` was answered within the window. */
  seen(signature: string, nowMs: number): boolean {
    const until = this.#seen.get(signature);
    return until !== undefined && until > nowMs;
  }

  /** Remembers `signature` as answered. */
  remember(signature: string, nowMs: number): void {
    this.#seen.delete(signature);
    this.#seen.set(signature, nowMs + this.#ttlMs);
    // Insertion order is expiry order (one TTL), so the first entries are the oldest.
    for (const [k, until] of this.#seen) {
      if (until > nowMs && this.#seen.size <= MAX_REMEMBERED) break;
      this.#seen.delete(k);
    }
  }
}
