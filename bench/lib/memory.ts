/**
 * Peak resident set size, read from Linux's `/proc`: `VmHWM` (the high-water mark) of this
 * process, which {@link resetPeakRss} restarts, and of child processes while they run.
 * Elsewhere every figure is `undefined`, and the reports say so instead of guessing.
 *
 * @packageDocumentation
 */
import { readFileSync, writeFileSync } from 'node:fs';

const kib = (status: string, field: string): number | undefined => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
};

const status = (pid: number | 'self'): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    // The process is gone, or this is not Linux.
    return undefined;
  }
};

/** Peak RSS in bytes of a process (`VmHWM`), or undefined when it cannot be read. */
export const peakRss = (pid: number | 'self' = 'self'): number | undefined => {
  const s = status(pid);
  return s === undefined ? undefined : kib(s, 'VmHWM');
};

/** Current RSS in bytes of a process (`VmRSS`), or undefined when it cannot be read. */
export const currentRss = (pid: number | 'self' = 'self'): number | undefined => {
  const s = status(pid);
  return s === undefined ? undefined : kib(s, 'VmRSS');
};

/**
 * Restarts this process's peak RSS at its current RSS (writing 5 to `clear_refs`), so the
 * next {@link peakRss} covers only what ran since.
 *
 * @returns whether the kernel allowed it; when not, peaks cover the whole process life.
 */
export const resetPeakRss = (): boolean => {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
};

/** Child process ids of `pid` (all threads), from `/proc/<pid>/task/<tid>/children`. */
export const childPids = (pid: number): number[] => {
  const out: number[] = [];
  try {
    for (const line of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)) {
      if (line) out.push(Number(line));
    }
  } catch {
    // Gone, or no such file on this kernel.
  }
  return out;
};

/**
 * Watches the descendants of a process while it works, remembering each one's peak RSS.
 * `VmHWM` only grows, so polling often enough catches a child's peak up to the growth in
 * its last interval before it exits.
 */
export class DescendantPeaks {
  readonly #root: number;
  readonly #peaks = new Map<number, number>();
  #timer: NodeJS.Timeout | undefined;

  /** @param root the process whose descendants are watched (default: this one). */
  constructor(root: number = process.pid) {
    this.#root = root;
  }

  /** Starts polling every `intervalMs`. */
  start(intervalMs = 5): this {
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
    return this;
  }

  /** Reads the peak of every current descendant once. */
  sample(): void {
    const queue = childPids(this.#root);
    while (queue.length > 0) {
      const pid = queue.shift() as number;
      const peak = peakRss(pid);
      if (peak !== undefined) this.#peaks.set(pid, Math.max(peak, this.#peaks.get(pid) ?? 0));
      queue.push(...childPids(pid));
    }
  }

  /**
   * Stops polling.
   *
   * @returns the largest peak of any one descendant, or undefined when none was seen.
   */
  stop(): number | undefined {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    return this.#peaks.size > 0 ? Math.max(...this.#peaks.values()) : undefined;
  }
}
