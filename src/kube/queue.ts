/**
 * A keyed work queue in the shape of client-go's: informer handlers add keys, a bounded
 * set of workers runs the reconcile for each key.
 *
 * - A key waiting in the queue is held once, however often it is added (bursts coalesce).
 * - A key is never processed by two workers at once; a key added while it is processed is
 *   run again right after (so no change is missed).
 * - A failed key comes back after an exponential per-key backoff, reset by a success.
 * - A reconcile may ask to run again after a delay (`requeueAfterMs`).
 * - Keys added with {@link WorkQueue.addUrgent} are taken first (new Tasks get their Jobs
 *   before status bookkeeping), but at most `workers − reserve` of them run at once while plain
 *   keys wait; while a burst of urgent keys runs, plain keys take at most an eighth of the
 *   workers, and a lone running urgent key never holds plain keys back: no lane starves the other.
 * - Time comes from an injectable {@link Clock}.
 *
 * @packageDocumentation
 */
import { type Clock, systemClock, type TimerHandle } from './clock.ts';

/** What a reconcile returns: when (if at all) to look at the key again. */
export interface ReconcileResult {
  /** Run again after this many milliseconds, unless an event brings the key back sooner. */
  readonly requeueAfterMs?: number;
}

/** The function the workers run for each key. Throwing counts as a failure and backs off. */
export type KeyHandler = (key: string) => Promise<ReconcileResult | undefined>;

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  /** Keys processed at the same time. Default 4. */
  readonly workers?: number;
  /** Backoff after the first failure of a key. Default 100 ms. */
  readonly baseBackoffMs?: number;
  /** Upper bound of the backoff. Default 5 minutes. */
  readonly maxBackoffMs?: number;
  readonly clock?: Clock;
  /** Told about every finished key (for metrics and logs). */
  readonly onDone?: (key: string, outcome: 'ok' | 'error', durationMs: number, error?: unknown) => void;
  /**
   * Told when a worker takes a key: how long it waited since it was added (ready, not
   * delayed), and from which lane. client-go's `workqueue_queue_duration_seconds`.
   */
  readonly onStart?: (key: string, waitedMs: number, urgent: boolean) => void;
}

/** Longest delay {@link WorkQueue.addAfter} waits. */
export const MAX_DELAY_MS = 12 * 60 * 60_000;

interface Delayed {
  readonly at: number;
  readonly timer: TimerHandle;
}

/** The queue. Create, {@link WorkQueue.start} with a handler, add keys. */
export class WorkQueue {
  readonly #workers: number;
  /**
   * Workers kept for plain keys while urgent ones wait: one (none with one worker). Enough that
   * no plain key starves; more, and bookkeeping competes with a burst's Job creates for the
   * API server (an eighth of 32 workers made the operator's burst 1.7x the ideal controller's).
   */
  readonly #reserve: number;
  /**
   * Plain keys run at most this many at once (an eighth of the workers, at least one) while more
   * urgent keys than that run: a burst. Without the bound, every moment the urgent lane was
   * empty let status and finalizer patches take the free workers, and the next new Tasks waited
   * for those: with 64 workers, a third of the workers' time in a 1,000-Task burst went to
   * patches (491 of them before the last Job), each also costing the API server more CPU than
   * a create. `bench/operator.ts`, means of 4 runs each: every Job 1.90x → 1.66x the ideal
   * controller's time, Task→Job p99 7.3x → 5.5x (against the smallest watch-driven controller
   * 1.43x → 1.31x and 1.53x → 1.45x). One slow urgent key (a token mint) never holds plain keys
   * to the bound.
   */
  readonly #plainInBurst: number;
  readonly #baseBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #clock: Clock;
  readonly #onDone: WorkQueueOptions['onDone'];
  readonly #onStart: WorkQueueOptions['onStart'];
  /** When each ready key was added (the first add of a coalesced burst counts). */
  readonly #addedAt = new Map<string, number>();
  /** Keys ready to run, in arrival order. */
  readonly #ready = new Set<string>();
  /** Keys ready to run ahead of {@link WorkQueue.#ready} (see {@link WorkQueue.addUrgent}). */
  readonly #urgent = new Set<string>();
  /** Urgent keys being processed now. */
  #urgentRunning = 0;
  /** Keys a worker is running now. */
  readonly #processing = new Set<string>();
  /** Keys added while they were processed: run again when that finishes. */
  readonly #dirty = new Set<string>();
  /** Keys waiting for a requeue or a backoff; the earliest time wins. */
  readonly #delayed = new Map<string, Delayed>();
  /** Consecutive failures per key. */
  readonly #failures = new Map<string, number>();
  readonly #idleWaiters: Array<() => void> = [];
  #handler: KeyHandler | undefined;
  #paused = false;
  #shutDown = false;
  #inFlight = new Set<Promise<void>>();

  constructor(opts: WorkQueueOptions = {}) {
    this.#workers = Math.max(1, opts.workers ?? 4);
    this.#reserve = this.#workers === 1 ? 0 : 1;
    this.#plainInBurst = Math.max(1, Math.floor(this.#workers / 8));
    this.#baseBackoffMs = opts.baseBackoffMs ?? 100;
    this.#maxBackoffMs = opts.maxBackoffMs ?? 5 * 60_000;
    this.#clock = opts.clock ?? systemClock;
    this.#onDone = opts.onDone;
    this.#onStart = opts.onStart;
  }

  /** Keys it runs at once. */
  get workers(): number {
    return this.#workers;
  }

  /** Keys ready to run (the queue depth metric). */
  get depth(): number {
    return this.#ready.size + this.#urgent.size;
  }

  /** Keys being processed now. */
  get processing(): number {
    return this.#processing.size;
  }

  /** Keys waiting for a requeue or a backoff to expire. */
  get delayed(): number {
    return this.#delayed.size;
  }

  /** Consecutive failures of `key` (0 after a success). */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Starts the workers with `handler`. Keys added before are kept. */
  start(handler: KeyHandler): void {
    this.#handler = handler;
    this.#pump();
  }

  /** Stops starting new work (keys keep accumulating). In-flight keys finish. */
  pause(): void {
    this.#paused = true;
  }

  /** Resumes after {@link WorkQueue.pause}. */
  resume(): void {
    this.#paused = false;
    this.#pump();
  }

  /** Whether workers may start keys. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Adds `key` to run as soon as a worker is free. */
  add(key: string): void {
    if (this.#shutDown) return;
    this.#cancelDelayed(key);
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (!this.#urgent.has(key)) this.#ready.add(key);
    this.#stamp(key);
    this.#pump();
  }

  /**
   * Adds `key` ahead of the keys added with {@link WorkQueue.add}: work that starts something
   * new (a Task that needs its Job) goes before bookkeeping, so a burst is admitted first.
   */
  addUrgent(key: string): void {
    if (this.#shutDown) return;
    this.#cancelDelayed(key);
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    this.#ready.delete(key);
    this.#urgent.add(key);
    this.#stamp(key);
    this.#pump();
  }

  /**
   * Adds `key` after `ms` milliseconds, unless it runs earlier anyway. Delays are capped at
   * {@link MAX_DELAY_MS} (timers cannot wait longer than about 24.8 days; the reconcile simply
   * asks again).
   */
  addAfter(key: string, requestedMs: number): void {
    if (this.#shutDown) return;
    const ms = Math.min(requestedMs, MAX_DELAY_MS);
    if (ms <= 0) {
      this.add(key);
      return;
    }
    if (this.#ready.has(key) || this.#urgent.has(key) || this.#dirty.has(key)) return;
    const at = this.#clock.now() + ms;
    const existing = this.#delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.#clock.clearTimeout(existing.timer);
    const timer = this.#clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    this.#delayed.set(key, { at, timer });
  }

  /** Resolves when no key is ready or processing (delayed keys do not count). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops the queue: drops pending keys and timers, and waits for in-flight keys. */
  async shutdown(): Promise<void> {
    this.#shutDown = true;
    for (const d of this.#delayed.values()) this.#clock.clearTimeout(d.timer);
    this.#delayed.clear();
    this.#ready.clear();
    this.#urgent.clear();
    this.#dirty.clear();
    this.#addedAt.clear();
    await Promise.all([...this.#inFlight]);
    this.#notifyIdle();
  }

  #stamp(key: string): void {
    if (!this.#addedAt.has(key)) this.#addedAt.set(key, this.#clock.now());
  }

  #cancelDelayed(key: string): void {
    const d = this.#delayed.get(key);
    if (d) {
      this.#clock.clearTimeout(d.timer);
      this.#delayed.delete(key);
    }
  }

  #plainRunning(): number {
    return this.#processing.size - this.#urgentRunning;
  }

  #isIdle(): boolean {
    return this.#processing.size === 0 && (this.depth === 0 || this.#paused || this.#shutDown);
  }

  #notifyIdle(): void {
    if (!this.#isIdle()) return;
    for (const w of this.#idleWaiters.splice(0)) w();
  }

  #pump(): void {
    const handler = this.#handler;
    if (!handler || this.#paused || this.#shutDown) {
      this.#notifyIdle();
      return;
    }
    while (this.#processing.size < this.#workers && this.depth > 0) {
      // Urgent keys are taken first, but never hold the rest back while they run (one slow
      // urgent reconcile used to stall every status, finalizer and delete with the other
      // workers idle), and leave a reserve of workers to waiting plain keys.
      const urgentRoom = this.#urgentRunning < this.#workers - this.#reserve || this.#ready.size === 0;
      const urgent = this.#urgent.size > 0 && urgentRoom;
      if (!urgent && this.#ready.size === 0) break;
      if (!urgent && this.#urgentRunning > this.#plainInBurst && this.#plainRunning() >= this.#plainInBurst)
        break;
      const from = urgent ? this.#urgent : this.#ready;
      const key = from.values().next().value as string;
      from.delete(key);
      const addedAt = this.#addedAt.get(key);
      this.#addedAt.delete(key);
      if (addedAt !== undefined) this.#onStart?.(key, this.#clock.now() - addedAt, urgent);
      this.#processing.add(key);
      if (urgent) this.#urgentRunning++;
      const run = this.#run(handler, key, urgent);
      this.#inFlight.add(run);
      void run.finally(() => this.#inFlight.delete(run));
    }
    this.#notifyIdle();
  }

  async #run(handler: KeyHandler, key: string, urgent: boolean): Promise<void> {
    const started = this.#clock.now();
    let result: ReconcileResult | undefined;
    let error: unknown;
    let failed = false;
    try {
      result = await handler(key);
    } catch (err) {
      failed = true;
      error = err;
    }
    this.#processing.delete(key);
    if (urgent) this.#urgentRunning--;
    const duration = this.#clock.now() - started;
    if (failed) {
      const n = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, n);
      this.#onDone?.(key, 'error', duration, error);
      if (this.#dirty.delete(key)) this.add(key);
      else this.addAfter(key, this.backoffFor(n));
    } else {
      this.#failures.delete(key);
      this.#onDone?.(key, 'ok', duration);
      if (this.#dirty.delete(key)) this.add(key);
      else if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    }
    this.#pump();
  }

  /** Backoff after the `n`-th consecutive failure: base × 2^(n−1), capped. */
  backoffFor(n: number): number {
    return Math.min(this.#maxBackoffMs, this.#baseBackoffMs * 2 ** Math.max(0, n - 1));
  }
}
