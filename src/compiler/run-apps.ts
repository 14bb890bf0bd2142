/**
 * The I/O edge that runs apps: module apps in one forked runner process, and the cdk8s app
 * of `cdk8s.yaml` as a command, the way `cdk8s synth` runs it (`CDK8S_OUTDIR`).
 *
 * @packageDocumentation
 */
import { fork, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import {
  type AppFailure,
  type AppObject,
  type AppRun,
  keepsObjects,
  type ModuleApp,
  type ObjectKind,
} from './app-run.ts';

/**
 * The app runner: `runner.ts` beside this module from source; in the built package, the
 * runner bundled with the constructs the apps import (see `scripts/build.ts`), which loads in
 * a few files what took about 660 modules.
 */
const RUNNER = fileURLToPath(
  import.meta.url.endsWith('.ts')
    ? new URL('./runner.ts', import.meta.url)
    : new URL('../../constructs/bundle/runner.js', import.meta.url),
);

/**
 * The runner's environment: ours, plus Node's compile cache, so a synth does not strip the
 * types of, and compile, the same constructs and cdk8s again (about 100 ms of every run).
 * The cache checks each source's hash, so an edited app is compiled afresh; the directory
 * is Node's default one unless `NODE_COMPILE_CACHE` names another, and
 * `NODE_DISABLE_COMPILE_CACHE` still turns it off.
 */
const runnerEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  NODE_COMPILE_CACHE: process.env['NODE_COMPILE_CACHE'] || join(tmpdir(), 'node-compile-cache'),
});

/**
 * V8 flags of the runner: a young generation capped at 16 MiB semi-spaces (V8 grows it with
 * the heap limit, to 64 MiB on a 24 GiB machine). Rendering makes mostly short-lived garbage;
 * on 10,000 objects the cap took the runner to 0.87x its wall time (median of 8 alternating pairs, 2
 * cores) and its peak RSS from 315 to 224 MiB; 32 MiB was no faster than 16. A size the user
 * sets in `NODE_OPTIONS` is theirs and wins.
 */
const runnerFlags = (): string[] => [
  // Node 22 warns that it strips the apps' types, on every run; what the apps print is shown.
  '--disable-warning=ExperimentalWarning',
  ...(/--max-semi-space-size\b/.test(process.env['NODE_OPTIONS'] ?? '') ? [] : ['--max-semi-space-size=16']),
];

/** The cap on captured child output quoted in an error. */
const OUTPUT_TAIL = 4000;

const tail = (text: string): string =>
  (text.length > OUTPUT_TAIL ? `…${text.slice(-OUTPUT_TAIL)}` : text).trim();

/** How long one app may take to load, build and render before synth gives up on it. */
export const DEFAULT_APP_TIMEOUT_MS = 60_000;

/** Options of {@link runModuleApps} and {@link runCommandApp}. */
export interface RunOptions {
  /**
   * Milliseconds one app may run (for the cdk8s app command: the whole command).
   *
   * @default DEFAULT_APP_TIMEOUT_MS
   */
  readonly timeoutMs?: number;
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10}s`;

/** A run for an app that produced nothing, with one failure. */
const failedRun = (name: string, source: string, message: string, millis = 0): AppRun => ({
  name,
  source,
  objects: [],
  failures: [{ code: 'synth/app-failed', message }],
  millis,
});

/** Options of {@link runModuleApps}. */
export interface ModuleRunOptions extends RunOptions {
  /**
   * Told the kinds of an app's objects as soon as its tree is built, while the runner still
   * renders and sends them: a chance to get ready for them on this process's idle core. Best
   * effort: what it throws is ignored (the same work fails again, reported, when it is needed).
   */
  readonly onKinds?: (kinds: readonly ObjectKind[]) => void;
  /**
   * Told each batch of an app's rendered objects as it arrives, before the app's run is
   * complete (they are dropped if it then fails). Best effort, like `onKinds`.
   */
  readonly onObjects?: (objects: readonly AppObject[]) => void;
  /**
   * Told what the apps print (`console.log`, `process.stderr.write`) as it comes: the user's own
   * debugging output, which `cdk8s synth` shows too. Unset: kept only to quote when the runner dies.
   */
  readonly onOutput?: (text: string) => void;
}

/** What the runner sends over IPC (see `runner.ts`). */
type RunnerMessage = {
  started?: string;
  kinds?: ObjectKind[];
  objects?: AppObject[];
  run?: AppRun;
  /** What an app that already reported threw later (a timer it left behind): it fails. */
  late?: { name: string; failures: AppFailure[] };
  done?: true;
};

/** Calls a hook of {@link ModuleRunOptions}; what it throws is ignored, as they say. */
const bestEffort = (hook: () => void): void => {
  try {
    hook();
  } catch {
    // See ModuleRunOptions.onKinds.
  }
};

/**
 * Runs module apps in a child process (see `runner.ts`), with the Node that runs us. An app that
 * does not finish within the timeout is reported as failed, by name, and the runner is killed;
 * the apps after it run in a new runner, so one hung app costs its timeout, not the findings of
 * every app after it.
 *
 * @throws Error when a runner itself dies before reporting (the message quotes its stderr).
 */
export const runModuleApps = async (
  root: string,
  apps: readonly ModuleApp[],
  options: ModuleRunOptions = {},
): Promise<AppRun[]> => {
  const runs: AppRun[] = [];
  let pending = apps;
  while (pending.length > 0) {
    const batch = await runInOneRunner(root, pending, options);
    runs.push(...batch.runs);
    pending = batch.notRun;
  }
  return runs;
};

/** What one runner did: the apps it ran, and those it did not reach because one hung. */
interface RunnerBatch {
  readonly runs: AppRun[];
  readonly notRun: readonly ModuleApp[];
}

/** One runner process over `apps`, until they are done or one of them hangs. */
const runInOneRunner = (
  root: string,
  apps: readonly ModuleApp[],
  options: ModuleRunOptions,
): Promise<RunnerBatch> => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_APP_TIMEOUT_MS;
  return new Promise<RunnerBatch>((resolvePromise, reject) => {
    const child = fork(RUNNER, [root, ...apps.map((a) => `${a.name}=${a.file}`)], {
      cwd: root,
      execPath: process.execPath,
      // Our own flags (a test runner's, an inspector's) are no business of the apps.
      execArgv: runnerFlags(),
      env: runnerEnv(),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let output = '';
    const runs: AppRun[] = [];
    let streamed: AppObject[] = [];
    let current: string | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Whatever the apps left running (an interval, a socket) dies with the runner.
      child.kill('SIGKILL');
      finish();
    };
    const timedOut = () => {
      const done = new Set(runs.map((r) => r.name));
      const hung = current ?? apps.find((a) => !done.has(a.name))?.name;
      const hungApp = apps.find((a) => a.name === hung);
      settle(() =>
        resolvePromise({
          runs: [
            ...runs,
            ...(hungApp
              ? [
                  failedRun(
                    hungApp.name,
                    hungApp.file,
                    `did not finish within ${seconds(timeoutMs)} and was stopped (does it wait on something that never happens, or loop forever?); raise the limit with --app-timeout`,
                    timeoutMs,
                  ),
                ]
              : []),
          ],
          notRun: apps.filter((a) => !done.has(a.name) && a !== hungApp),
        }),
      );
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(timedOut, timeoutMs);
    };
    arm();
    const keep = (d: Buffer) => {
      const text = d.toString();
      output = (output + text).slice(-2 * OUTPUT_TAIL);
      if (options.onOutput) bestEffort(() => options.onOutput?.(text));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('message', (m: RunnerMessage) => {
      if (typeof m.started === 'string') {
        current = m.started;
        streamed = [];
        arm();
      } else if (m.kinds) {
        const { kinds } = m;
        bestEffort(() => options.onKinds?.(kinds));
      } else if (m.objects) {
        const { objects } = m;
        for (const o of objects) streamed.push(o);
        bestEffort(() => options.onObjects?.(objects));
      } else if (m.run) {
        // The objects came in batches ahead of the run; an app that failed has none.
        runs.push({ ...m.run, objects: keepsObjects(m.run.failures) ? [...streamed, ...m.run.objects] : [] });
        streamed = [];
        current = undefined;
        arm();
      } else if (m.late) {
        const { name, failures } = m.late;
        const at = runs.findIndex((r) => r.name === name);
        const run = runs[at];
        if (run) runs[at] = { ...run, objects: [], failures: [...run.failures, ...failures] };
      } else if (m.done) {
        settle(() => resolvePromise({ runs, notRun: [] }));
      }
    });
    child.on('error', (err) => settle(() => reject(err)));
    child.on('exit', (code, signal) => {
      const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const during = current ? ` while running app ${current}` : '';
      settle(() => reject(new Error(`the app runner ${why}${during} before reporting\n${tail(output)}`)));
    });
  });
};

/** Removes the order prefix cdk8s puts on dependent charts (`0001-`) and the file extension. */
export const chartNameOf = (entry: string): string =>
  entry.replace(/\.k8s\.yaml$|\.ya?ml$/, '').replace(/^\d{4}-/, '');

/**
 * Runs the cdk8s app command with `CDK8S_OUTDIR` set to a temporary directory, as
 * `cdk8s synth` does, and reads back what it wrote. Each chart (a top-level file, or a
 * directory with `FOLDER_PER_CHART_*` output) becomes one app. Construct paths come from
 * `construct-metadata.json` where an object's name identifies it uniquely.
 */
export const runCommandApp = async (
  root: string,
  command: string,
  options: RunOptions = {},
): Promise<AppRun[]> => {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_APP_TIMEOUT_MS;
  const outdir = await mkdtemp(join(tmpdir(), 'kelos-synth-'));
  try {
    const { code, output, timedOut } = await new Promise<{
      code: number | null;
      output: string;
      timedOut?: boolean;
    }>((done, fail) => {
      const child = spawn(command, {
        cwd: root,
        shell: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, CDK8S_OUTDIR: outdir, CDK8S_RECORD_CONSTRUCT_METADATA: 'true' },
      });
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        text += d.toString();
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        done({ code: null, output: text, timedOut: true });
      }, timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        fail(err);
      });
      child.on('exit', (c) => {
        clearTimeout(timer);
        done({ code: c, output: text });
      });
    });
    const source = 'cdk8s.yaml app';
    if (timedOut) {
      return [
        failedRun(
          'app',
          source,
          `\`${command}\` did not finish within ${seconds(timeoutMs)} and was stopped; raise the limit with --app-timeout`,
          timeoutMs,
        ),
      ];
    }
    if (code !== 0) {
      return [
        {
          name: 'app',
          source,
          objects: [],
          failures: [
            { code: 'synth/app-failed', message: `\`${command}\` exited with code ${code}: ${tail(output)}` },
          ],
          millis: performance.now() - started,
        },
      ];
    }
    const charts = new Map<string, AppObject[]>();
    const entries = (await readdir(outdir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
      .map((e) => join(e.parentPath, e.name))
      .sort();
    for (const file of entries) {
      const rel = file.slice(outdir.length + 1);
      const chart = chartNameOf(rel.includes('/') ? (rel.split('/')[0] ?? rel) : rel);
      const list = charts.get(chart) ?? [];
      for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
        const value = doc.toJS() as unknown;
        if (value && typeof value === 'object' && !Array.isArray(value))
          list.push({ object: value as Record<string, unknown> });
      }
      charts.set(chart, list);
    }
    const paths = await constructPaths(outdir);
    const counts = new Map<string, number>();
    for (const objects of charts.values()) {
      for (const o of objects) counts.set(nameOf(o), (counts.get(nameOf(o)) ?? 0) + 1);
    }
    const millis = performance.now() - started;
    return [...charts.entries()].map(([name, objects]) => ({
      name,
      source,
      objects: objects.map((o) => {
        const path = counts.get(nameOf(o)) === 1 ? paths.get(nameOf(o)) : undefined;
        return path ? { ...o, constructPath: path } : o;
      }),
      failures: [],
      millis,
    }));
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
};

const nameOf = (o: AppObject): string =>
  String((o.object['metadata'] as { name?: unknown } | undefined)?.name ?? '');

/** `construct-metadata.json` written by cdk8s: object name → construct path. */
const constructPaths = async (outdir: string): Promise<Map<string, string>> => {
  try {
    const json = JSON.parse(await readFile(join(outdir, 'construct-metadata.json'), 'utf8')) as {
      resources?: Record<string, { path?: string }>;
    };
    return new Map(
      Object.entries(json.resources ?? {}).flatMap(([name, r]) => (r.path ? [[name, r.path] as const] : [])),
    );
  } catch {
    return new Map();
  }
};
