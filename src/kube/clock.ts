/**
 * Time as the operator sees it, injectable so tests and the budget scenarios can move it.
 *
 * @packageDocumentation
 */

/** An opaque timer handle. */
export type TimerHandle = { readonly id: number } | ReturnType<typeof setTimeout>;

/** Wall-clock time and timers. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer from {@link Clock.setTimeout}. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock. Timers are unref'd so a pending requeue never keeps a process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * The real clock shifted by a fixed offset: timers run in real time, `now()` is moved. The
 * cluster tests use it to put the operator just before a budget period rolls over.
 */
export const offsetClock = (offsetMs: () => number): Clock => ({
  now: () => Date.now() + offsetMs(),
  setTimeout: systemClock.setTimeout,
  clearTimeout: systemClock.clearTimeout,
});

interface FakeTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/** A clock that only moves when told to; timers fire in time order during {@link FakeClock.advance}. */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: FakeTimer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), fn };
    this.#timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as { id: number }).id;
    this.#timers = this.#timers.filter((t) => t.id !== id);
  }

  /** Number of timers not yet fired. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in order (ties in creation order). */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: FakeTimer | undefined;
      for (const t of this.#timers) {
        if (t.at <= target && (next === undefined || t.at < next.at || (t.at === next.at && t.id < next.id)))
          next = t;
      }
      if (!next) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = next.at;
      next.fn();
    }
    this.#now = target;
  }
}

/**
 * A time as Kubernetes writes `metav1.Time` (RFC 3339, whole seconds, UTC): the form of
 * every timestamp the operator puts into a status.
 */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
