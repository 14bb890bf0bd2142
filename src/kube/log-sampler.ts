/**
 * Sampling of log lines whose number someone else controls, as client-go's event recorder
 * sheds repeats or a log sampler keeps the first few: per key, the first
 * {@link SAMPLE_BURST} lines of a window are written, the rest only counted, and when the
 * window ends one summary line per key says how many were not written. A flood of refused
 * requests, which whoever reaches a port can send, then costs a few lines a minute per kind of
 * refusal instead of one each.
 *
 * Windows are aligned to the clock (every {@link SAMPLE_WINDOW_MS} from the epoch), so one
 * timer serves every key; at a window's end the summaries are written and every key is
 * forgotten. At most {@link SAMPLE_MAX_KEYS} keys are held in a window (a sender can vary the
 * path and its address): past that, a new key's lines are only counted, under one overflow key
 * per `overflow` value the caller gives (a small set, such as an HTTP status), so the counts
 * still add up.
 *
 * This is not the spawner failure throttle (`failure-log.ts`): that one follows one
 * spawner's failing reconciles, logged again when the failure's message changes and when it
 * ends, with the count riding on its next line; here nothing ends or changes, and a flood that
 * stops must still be counted, so the count is written by the window's timer.
 *
 * @packageDocumentation
 */
import type { Clock, TimerHandle } from './clock.ts';
import type { LogFields, Logger, LogLevel } from './log.ts';

/** Lines written per key and window. */
export const SAMPLE_BURST = 5;
/** The window a key's burst and count are over. */
export const SAMPLE_WINDOW_MS = 60_000;
/** Keys held per window before new ones are counted under an overflow key. */
export const SAMPLE_MAX_KEYS = 256;

/** What a key held in the current window. */
interface Sampled {
  /** The summary's fields (those of the key's first line). */
  readonly fields: LogFields;
  readonly level: LogLevel;
  written: number;
  skipped: number;
}

/** Options of {@link LogSampler}. */
export interface LogSamplerOptions {
  readonly log: Logger;
  readonly clock: Clock;
  /** The summary line's `msg`. */
  readonly summary: string;
  readonly burst?: number;
  readonly windowMs?: number;
  readonly maxKeys?: number;
}

/** Decides, per key, which lines are written, and writes the summaries of the rest. */
export class LogSampler {
  readonly #o: LogSamplerOptions;
  readonly #burst: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #keys = new Map<string, Sampled>();
  #windowStart = 0;
  #timer: TimerHandle | undefined;

  constructor(o: LogSamplerOptions) {
    this.#o = o;
    this.#burst = o.burst ?? SAMPLE_BURST;
    this.#windowMs = o.windowMs ?? SAMPLE_WINDOW_MS;
    this.#maxKeys = o.maxKeys ?? SAMPLE_MAX_KEYS;
  }

  /**
   * Whether the line of `key` is to be written now; if not, it is counted for the window's
   * summary. `fields` (called once per key and window) are what the summary names the key by;
   * `overflow` is the key it is counted under once the window holds the most keys, and its
   * summary names only `overflowFields`.
   */
  admit(
    key: string,
    level: LogLevel,
    fields: () => LogFields,
    overflow: { readonly key: string; readonly fields: () => LogFields },
  ): boolean {
    let s = this.#keys.get(key);
    if (!s) {
      if (this.#keys.size === 0) this.#startWindow();
      if (this.#keys.size >= this.#maxKeys) {
        const k = `\0overflow\0${overflow.key}`;
        s = this.#keys.get(k);
        if (!s) {
          // No line of an overflow key is written: its summary says why.
          s = {
            fields: {
              ...overflow.fields(),
              overflow: `more than ${this.#maxKeys} kinds of line in the window`,
            },
            level,
            written: 0,
            skipped: 0,
          };
          this.#keys.set(k, s);
        }
        s.skipped++;
        return false;
      }
      s = { fields: fields(), level, written: 0, skipped: 0 };
      this.#keys.set(key, s);
    }
    if (s.written < this.#burst) {
      s.written++;
      return true;
    }
    s.skipped++;
    return false;
  }

  /** Writes the summaries of the current window and forgets its keys. */
  flush(): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const from = new Date(this.#windowStart).toISOString();
    const to = new Date(this.#windowStart + this.#windowMs).toISOString();
    for (const s of this.#keys.values()) {
      if (s.skipped === 0) continue;
      this.#o.log[s.level](this.#o.summary, {
        ...s.fields,
        notLogged: s.skipped,
        logged: s.written,
        windowSeconds: this.#windowMs / 1000,
        from,
        to,
      });
    }
    this.#keys.clear();
  }

  #startWindow(): void {
    const now = this.#o.clock.now();
    this.#windowStart = now - (now % this.#windowMs);
    this.#timer = this.#o.clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.flush();
      },
      this.#windowStart + this.#windowMs - now,
    );
  }
}
