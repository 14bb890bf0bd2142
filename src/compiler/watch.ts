/**
 * Watch mode: re-runs synth when a file of the project changes: its apps and whatever they
 * import from the project, `cdk8s.yaml`, `kelos.policy.yaml`. Dependencies, git's own files and
 * what synth writes are not watched (a run must not trigger the next). Changes that arrive
 * while a run is in progress coalesce into one more run after it.
 *
 * @packageDocumentation
 */
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { watch } from 'chokidar';
import { DEFAULT_PREVIEW_DIR, type SynthConfig } from './config.ts';
import { RECORD_FILE, TEMP_SUFFIX } from './output.ts';

/** Files whose change can change what synth renders; anything else (a README) runs nothing. */
const SOURCE_EXTENSIONS = new Set([
  '.ts',
  '.mts',
  '.cts',
  '.tsx',
  '.js',
  '.mjs',
  '.cjs',
  '.json',
  '.yaml',
  '.yml',
]);

/** Directories never watched, wherever they are. */
const NEVER = new Set(['node_modules', '.git']);

/** Whether `path` is `dir` or below it (both absolute). */
const within = (dir: string, path: string): boolean => {
  const r = relative(dir, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

/** The directories synth writes, relative to the project root: watching them would loop. */
export const outputDirs = (config: SynthConfig): string[] =>
  [
    config.outdir,
    config.crdsDir,
    // `--preview` writes here even when cdk8s.yaml does not ask for it.
    config.previewDir ?? DEFAULT_PREVIEW_DIR,
    config.argocdHealthChecksDir,
    ...(config.bundles ?? []).map((b) => b.outdir),
  ].filter((d): d is string => d !== undefined);

/** Options of {@link watchSynth}. */
export interface WatchOptions {
  readonly root: string;
  /**
   * Paths to watch, relative to `root`.
   *
   * @default ['.'] - the whole project
   */
  readonly paths?: readonly string[];
  /** Directories not watched, relative to `root` (synth's outputs: {@link outputDirs}). */
  readonly outputs?: readonly string[];
  /** Called with what the watcher could not read; watching goes on. */
  readonly onError?: (err: unknown) => void;
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
  const outputs = (options.outputs ?? []).map((d) => resolve(options.root, d));
  const ignored = (p: string, stats?: { isFile(): boolean }): boolean => {
    const path = resolve(options.root, p);
    const rel = relative(options.root, path);
    if (rel.split(sep).some((part) => NEVER.has(part))) return true;
    if (outputs.some((o) => within(o, path))) return true;
    // The record of what synth wrote, and its temporary name while a write is under way.
    if (rel === RECORD_FILE || path.endsWith(TEMP_SUFFIX)) return true;
    return stats?.isFile() === true && !SOURCE_EXTENSIONS.has(extname(path));
  };
  const watcher = watch([...(options.paths ?? ['.'])], {
    cwd: options.root,
    ignoreInitial: true,
    ignored,
    // A link back up the tree would be walked for ever; apps live in the project itself.
    followSymlinks: false,
  });
  // An unreadable path (a link to itself, a permission) must not end the watch: without a
  // listener, the watcher's 'error' event would throw out of the process.
  watcher.on('error', (err) => options.onError?.(err));
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
      // Empty when a run took the batch first (the one at ready, for an event that came during
      // the initial scan): a second run would rebuild what did not change.
      if (!running && pending.size > 0) void runNow();
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
