/**
 * Watch mode: re-runs synth when an app, a construct or the API changes. Changes that
 * arrive while a run is in progress coalesce into one more run after it.
 *
 * @packageDocumentation
 */
import { watch } from 'chokidar';

/** What is watched by default, relative to the project root. */
export const WATCHED_PATHS = ['examples', 'constructs', 'src/api', 'cdk8s.yaml'] as const;

/** Options of {@link watchSynth}. */
export interface WatchOptions {
  readonly root: string;
  /**
   * Paths to watch, relative to `root`.
   *
   * @default WATCHED_PATHS
   */
  readonly paths?: readonly string[];
  /** One synth run; its errors are the caller's to report (a failing run does not stop watching). */
  readonly run: (changed: readonly string[]) => Promise<void>;
  /**
   * Quiet time after the last change before a run starts, in milliseconds.
   *
   * @default 150
   */
  readonly debounceMs?: number;
}

/** A running watch. */
export interface WatchHandle {
  /** Resolves when the watcher is ready (the initial run has been started). */
  readonly ready: Promise<void>;
  /** Stops watching and waits for a run in progress. */
  close(): Promise<void>;
}

/** Runs synth once, then again after every batch of changes, until closed. */
export const watchSynth = (options: WatchOptions): WatchHandle => {
  const debounceMs = options.debounceMs ?? 150;
  const watcher = watch([...(options.paths ?? WATCHED_PATHS)], {
    cwd: options.root,
    ignoreInitial: true,
    ignored: (p: string) => p.includes('node_modules') || /(^|\/)dist(\/|$)/.test(p),
  });
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closed = false;

  const runNow = async (): Promise<void> => {
    do {
      const changed = [...pending].sort();
      pending = new Set();
      running = options.run(changed).catch(() => undefined);
      await running;
    } while (!closed && pending.size > 0);
    running = undefined;
  };

  const schedule = (path: string) => {
    pending.add(path);
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (!running) void runNow();
    }, debounceMs);
  };
  watcher.on('all', (_event, path) => schedule(path));

  const ready = new Promise<void>((resolve) => {
    watcher.once('ready', () => {
      void runNow();
      resolve();
    });
  });

  return {
    ready,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await watcher.close();
      await running;
    },
  };
};
