/**
 * The app runner: a child process `kelos synth` starts with module app paths. It imports
 * each app into a fresh cdk8s App, renders every ApiObject with its construct path, and
 * sends the {@link AppRun}s back over IPC. A fresh process per synth run means every run
 * sees the current source, which watch mode relies on (ESM modules cannot be unloaded).
 *
 * Usage: `node src/compiler/runner.ts <root> <name>=<file> ...` (forked, with IPC).
 *
 * Objects a cdk8s `Include` read from a file of the project say which file and where (see
 * include-origin.ts), so findings on them can point there.
 *
 * Over IPC it sends `{ started: name }` before each app, `{ kinds }` once the app's tree is
 * built, `{ objects }` batches as they render (see {@link RunHooks}), `{ run }` after it, then
 * `{ done: true }`, so the parent can tell which app hangs (it enforces the timeout and kills
 * this process). An app's default export may return a promise, which is awaited; an exception
 * or rejection that escapes an app (a throw in a timer, an unawaited promise) is caught by
 * process-wide handlers and charged to the app that was running or had just run.
 *
 * @packageDocumentation
 */
import { createRequire } from 'node:module';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as cdk8s from 'cdk8s';
import { ApiObject } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { checkedSpec } from '../../constructs/checked.ts';
import { SITE_METADATA } from '../../constructs/site.ts';
import { collectViolations, type KelosValidationError } from '../../constructs/validation.ts';
import type { AppFailure, AppObject, AppRun, ModuleApp, ObjectKind, SourceSite } from './app-run.ts';
import { trackIncludes } from './include-origin.ts';

const CONSTRUCTS_DIR = fileURLToPath(new URL('../../constructs/', import.meta.url));
/** Our own code (this runner, the `Include` tracking): a frame in it is not the app's. */
const SOURCE_DIR = fileURLToPath(new URL('../', import.meta.url));

/**
 * The first stack frame in user code: not in our constructs, not in a dependency, not in
 * Node itself. That is the line that created the construct that failed.
 */
export const userSite = (stack: string | undefined, root: string): SourceSite | undefined => {
  for (const line of (stack ?? '').split('\n')) {
    // A frame is `at fn (path:line:col)` or `at path:line:col`; `node:internal/…` frames are Node's.
    const m = /^at (?:.*? \()?((?:file:\/\/)?\/[^()]+?):(\d+):(\d+)\)?$/.exec(line.trim());
    if (!m?.[1]) continue;
    const file = userFile(m[1], root);
    if (file === undefined) continue;
    return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
};

/** {@link userFile} by root and frame file: every object of an app is made from a few files. */
const userFiles = new Map<string, string | null>();

/** A frame's file relative to `root`, or `undefined` when it is not the app's own. */
const userFile = (frameFile: string, root: string): string | undefined => {
  const key = `${root}\0${frameFile}`;
  let rel = userFiles.get(key);
  if (rel === undefined) {
    const file = frameFile.startsWith('file://') ? fileURLToPath(frameFile) : frameFile;
    rel =
      file.startsWith(CONSTRUCTS_DIR) || file.startsWith(SOURCE_DIR) || file.includes('/node_modules/')
        ? null
        : relative(root, file);
    userFiles.set(key, rel);
  }
  return rel ?? undefined;
};

interface KelosErrorShape {
  kelosValidation: true;
  resource: { kind: string; namespace?: string; name: string };
  violations: Array<{ path: string; message: string; hint?: string }>;
}

const isKelosError = (err: unknown): err is Error & KelosErrorShape =>
  err instanceof Error && (err as Partial<KelosErrorShape>).kelosValidation === true;

/**
 * Where a syntax error is, from the header V8 and Node's type stripping put on its stack: the
 * file and line, the source line, then a caret under the column.
 */
export const syntaxSite = (stack: string | undefined, root: string): SourceSite | undefined => {
  const lines = (stack ?? '').split('\n');
  const m = /^((?:file:\/\/)?\/.+?):(\d+)$/.exec(lines[0] ?? '');
  if (!m?.[1]) return undefined;
  const file = m[1].startsWith('file://') ? fileURLToPath(m[1]) : m[1];
  const caret = lines.slice(1, 6).find((l) => /^\s*\^+\s*$/.test(l));
  return {
    file: relative(root, file),
    line: Number(m[2]),
    ...(caret !== undefined && { column: caret.indexOf('^') + 1 }),
  };
};

/**
 * What an app threw, in words, whatever it was: an object without a prototype has no
 * `toString`, and an Error's `message` may be a getter that throws; either used to end the
 * runner before it reported.
 */
const thrownMessage = (err: unknown): string => {
  try {
    return err instanceof Error ? String(err.message) : String(err);
  } catch {
    return `a value that cannot be turned into text (${Object.prototype.toString.call(err)})`;
  }
};

/** Turns whatever an app threw into failures. */
export const failuresOf = (err: unknown, root: string): AppFailure[] => {
  const site =
    err instanceof Error
      ? ((err instanceof SyntaxError ? syntaxSite(err.stack, root) : undefined) ?? userSite(err.stack, root))
      : undefined;
  if (isKelosError(err)) {
    return err.violations.map((v) => ({
      code: 'construct/invalid',
      message: v.message,
      resource: err.resource,
      path: v.path,
      ...(v.hint !== undefined && { hint: v.hint }),
      ...(site && { site }),
    }));
  }
  const message = thrownMessage(err);
  // cdk8s reads an Include's url in a child process and throws its whole output, stack and all.
  const url = /^Error: unable to determine protocol from url: (.+)$/m.exec(message)?.[1]?.trim();
  return [
    {
      code: 'synth/app-failed',
      message:
        url !== undefined
          ? `cannot include ${url}: no such file, and not an http(s) URL (a path is read relative to the project root, where synth runs the app)`
          : /^Excessive alias count/.test(message)
            ? `YAML it read (an Include?) has aliases that expand beyond the yaml library's bound on alias expansion (maxAliasCount 100), which keeps a small file from expanding into a huge one; write the repeated values out (${message})`
            : message,
      ...(site && { site }),
    },
  ];
};

const requireHere = createRequire(import.meta.url);

/**
 * The cdk8s the app's constructs come from: the copy its `kelos-ts` resolves (else the one its
 * own directory resolves), when that is another copy than the runner's. The tree must grow
 * from that copy's App: a token of one copy (a `Lazy`, which the install constructs use) is no
 * token to another's resolvers, and a project run by another kelos than its own (`npx kelos-ts`,
 * a global install) failed with "can't render non-simple object of type 'Lazy'".
 */
const cdk8sOf = async (appFile: string): Promise<typeof cdk8s> => {
  const ours = requireHere.resolve('cdk8s');
  const appRequire = createRequire(appFile);
  for (const from of [() => createRequire(appRequire.resolve('kelos-ts')), () => appRequire]) {
    try {
      const theirs = from().resolve('cdk8s');
      return theirs === ours ? cdk8s : ((await import(pathToFileURL(theirs).href)) as typeof cdk8s);
    } catch {
      // Not resolvable from there: try the next, else ours.
    }
  }
  return cdk8s;
};

/** An object cdk8s could not render, charged to the line that made it instead of cdk8s' frames. */
class RenderFailed extends Error {
  readonly failure: AppFailure;
  constructor(failure: AppFailure) {
    super(failure.message);
    this.failure = failure;
  }
}

/** `c.toJson()`, or a {@link RenderFailed} that names the object, its construct and its app line. */
const renderObject = (c: ApiObject, site: SourceSite | undefined): Record<string, unknown> => {
  try {
    return c.toJson() as Record<string, unknown>;
  } catch (err) {
    const message = thrownMessage(err);
    // A value that holds itself (metadata, or props cdk8s renders as they are) recurses in cdk8s.
    const why = /Maximum call stack size exceeded/.test(message)
      ? ': a value in its metadata or props holds itself (a cycle) or nests too deep; a manifest is a tree of plain JSON'
      : '';
    const namespace = c.metadata.namespace;
    throw new RenderFailed({
      code: 'synth/app-failed',
      message: `could not be rendered${why} (${message})`,
      resource: { kind: c.kind, name: c.name, ...(namespace !== undefined && { namespace }) },
      constructPath: c.node.path,
      ...(site && { site }),
    });
  }
};

/**
 * Holds back `App.synth()` of the cdk8s copies an app may use while it runs, and counts the
 * calls: a plain cdk8s app synthesizes its own App when imported, which wrote into the
 * project (its `outdir`, `dist/` by default) beside the output kelos records, while synth
 * said nothing was written. Kelos renders the tree itself; it writes only what it records.
 */
const holdSynth = (
  copies: ReadonlyArray<typeof cdk8s>,
): { readonly calls: () => number; readonly release: () => void } => {
  let calls = 0;
  const held = [...new Set(copies.map((c) => c.App.prototype))].map((proto) => {
    const synth = Object.getOwnPropertyDescriptor(proto, 'synth');
    proto.synth = () => {
      calls += 1;
    };
    return () => {
      if (synth) Object.defineProperty(proto, 'synth', synth);
      else delete (proto as { synth?: unknown }).synth;
    };
  });
  return {
    calls: () => calls,
    release: () => {
      for (const restore of held) restore();
    },
  };
};

/** Thrown past rendering when constructs refused their props: the app renders nothing. */
class RefusedProps extends Error {}

/** How many rendered objects {@link RunHooks.onObjects} gets at a time. */
const BATCH = 500;

/**
 * What {@link runModuleApp} tells its caller while an app runs, so that the parent process
 * can work on its other core while this one renders (see run-apps.ts).
 */
export interface RunHooks {
  /** The kinds of the app's objects, once its tree is built and before they render. */
  readonly onKinds?: (kinds: ObjectKind[]) => void;
  /**
   * The rendered objects, a batch at a time as they render; the run then lists none of them.
   * They stand only if the run reports no failure.
   */
  readonly onObjects?: (objects: AppObject[]) => void;
}

/** Runs one module app in-process. */
export const runModuleApp = async (root: string, app: ModuleApp, hooks: RunHooks = {}): Promise<AppRun> => {
  const started = performance.now();
  const failures: AppFailure[] = [];
  const objects: AppObject[] = [];
  const refused: KelosValidationError[] = [];
  const file = isAbsolute(app.file) ? app.file : resolve(root, app.file);
  const cdk = await cdk8sOf(file);
  const synths = holdSynth([cdk, cdk8s]);
  try {
    const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    if (typeof mod.default !== 'function') {
      throw new Error(
        `${app.file} must default-export a function (scope: Construct) => void that builds the app${synths.calls() > 0 ? `; it made and synthesized a cdk8s App of its own (app.synth(), which kelos held back: nothing was written): build the charts' constructs in that function, on the scope kelos passes, and leave synth to kelos` : ''}`,
      );
    }
    const { App, Chart } = cdk;
    const cdkApp = new App({ outdir: '.' });
    const chart = new Chart(cdkApp, app.name);
    const includes = trackIncludes(root, cdkApp, file);
    // Every construct that refuses its props is reported, not the first one only.
    const stopCollecting = collectViolations((error) => refused.push(error));
    try {
      await (mod.default as (scope: cdk8s.Chart) => unknown)(chart);
    } finally {
      includes.stop();
      stopCollecting();
    }
    if (refused.length > 0) throw new RefusedProps();
    const all: IConstruct[] = cdkApp.node.findAll();
    for (const c of all) {
      for (const message of c.node.validate()) {
        failures.push({ code: 'construct/validation', message, constructPath: c.node.path });
      }
    }
    const apiObjects = all.filter(ApiObject.isApiObject);
    if (failures.length === 0) hooks.onKinds?.(kindsOf(apiObjects));
    for (const c of apiObjects) {
      const trace = c.node.metadata.find((m) => m.type === SITE_METADATA)?.trace;
      // The library strips the `at ` of each frame; put it back for userSite.
      const site = trace ? userSite(trace.map((f) => `at ${f}`).join('\n'), root) : undefined;
      const object = renderObject(c, site);
      const checked = checkedSpec((c as { spec?: unknown }).spec, object['spec']);
      const included = includes.originOf(c);
      objects.push({
        object,
        constructPath: c.node.path,
        ...(site && { site }),
        ...(included && { included }),
        ...(checked && { checked }),
      });
      if (hooks.onObjects && objects.length === BATCH) hooks.onObjects(objects.splice(0));
    }
    if (hooks.onObjects && objects.length > 0) hooks.onObjects(objects.splice(0));
    synths.release();
  } catch (err) {
    synths.release();
    for (const r of refused) failures.push(...failuresOf(r, root));
    if (err instanceof RenderFailed) failures.push(err.failure);
    else if (!(err instanceof RefusedProps)) {
      // A crash after refused props may come from them; a pattern's own refusal is about its props.
      const after =
        refused.length > 0 && !isKelosError(err)
          ? ' (after the refused props above, which may have caused it)'
          : '';
      failures.push(...failuresOf(err, root).map((f) => ({ ...f, message: `${f.message}${after}` })));
    }
  }
  return {
    name: app.name,
    source: app.file,
    objects: failures.length > 0 ? [] : objects,
    failures,
    millis: performance.now() - started,
  };
};

/** The distinct kinds among objects, in the order they first occur. */
const kindsOf = (objects: readonly ApiObject[]): ObjectKind[] => {
  const seen = new Map<string, ObjectKind>();
  for (const o of objects) seen.set(`${o.apiVersion}/${o.kind}`, { apiVersion: o.apiVersion, kind: o.kind });
  return [...seen.values()];
};

/** Parses `<name>=<file>` arguments. */
export const parseAppArgs = (args: readonly string[]): ModuleApp[] =>
  args.map((a) => {
    const at = a.indexOf('=');
    return { name: a.slice(0, at), file: a.slice(at + 1) };
  });

/**
 * How long the runner waits, after an app returned, for the timers it left (an app has no
 * reason to leave any; an interval that never ends costs this much once).
 */
const TIMER_GRACE_MS = 250;

/** Timers (timeouts and intervals) still pending in this process. */
const pendingTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/** Errors that escaped the app running (or last run) when they were thrown, by app name. */
const escaped = new Map<string, unknown[]>();
let blame: string | undefined;

/** The failures of an error that escaped an app. */
const lateFailures = (err: unknown, root: string): AppFailure[] =>
  failuresOf(err, root).map((f) => ({
    ...f,
    message: `${f.message} (thrown after the app returned, or outside it)`,
  }));

/** Adds what escaped an app to its run: a late failure fails the app, and its objects go. */
const withEscaped = (run: AppRun, root: string): AppRun => {
  const errors = escaped.get(run.name) ?? [];
  escaped.delete(run.name);
  if (errors.length === 0) return run;
  return {
    ...run,
    objects: [],
    failures: [...run.failures, ...errors.flatMap((e) => lateFailures(e, root))],
  };
};

/** The JSON pointer of the first BigInt in `value`, which no JSON (IPC, a manifest) holds. */
const bigIntAt = (value: unknown, at = ''): string | undefined => {
  if (typeof value === 'bigint') return at;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, member] of Object.entries(value)) {
    const found = bigIntAt(member, `${at}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
    if (found !== undefined) return found;
  }
  return undefined;
};

/**
 * Why objects could not be sent to the parent, as the app's failure: a value JSON cannot hold
 * (a BigInt) made the send throw, and the app's objects went missing with no word while the
 * app passed: its output directory rendered empty, which Argo CD would prune.
 */
const unsent = (objects: readonly AppObject[], err: unknown): AppFailure => {
  for (const o of objects) {
    const path = bigIntAt(o.object);
    if (path === undefined) continue;
    const metadata = o.object['metadata'] as { name?: unknown; namespace?: unknown } | undefined;
    return {
      code: 'synth/app-failed',
      message: `${path}: a BigInt is no value a manifest can hold; write it as a number or a string`,
      resource: {
        kind: String(o.object['kind']),
        name: String(metadata?.name ?? ''),
        ...(typeof metadata?.namespace === 'string' && { namespace: metadata.namespace }),
      },
      path,
      ...(o.site && { site: o.site }),
      ...(o.constructPath && { constructPath: o.constructPath }),
    };
  }
  return { code: 'synth/app-failed', message: `its objects could not be sent: ${thrownMessage(err)}` };
};

/**
 * The app whose own file threw `err`, by the first frame of the project's code in its stack: a
 * timer an app left behind may fire while a later app runs, and the one to fail is the app that
 * left it. `undefined` when that frame is in no app's file (a module they share).
 */
const ownerOf = (err: unknown, root: string, apps: readonly ModuleApp[]): string | undefined => {
  const file = failuresOf(err, root)[0]?.site?.file;
  return file === undefined
    ? undefined
    : apps.find((a) => relative(root, resolve(root, a.file)) === file)?.name;
};

/**
 * A run that fails the app when the event loop has nothing left to do while the app's promise
 * is pending: that promise can then never settle, and Node would end this process (exit 13,
 * "unsettled top-level await") before the parent's timeout says which app it was.
 */
const stalled = (root: string, app: ModuleApp): { run: Promise<AppRun>; stop: () => void } => {
  let onIdle = () => {};
  const run = new Promise<AppRun>((done) => {
    onIdle = () =>
      done({
        name: app.name,
        source: app.file,
        objects: [],
        failures: [
          {
            code: 'synth/app-failed',
            message:
              'its default export returned a promise that never settles: nothing was left for it to wait on (an await on a promise that nothing resolves?)',
            site: { file: relative(root, resolve(root, app.file)) },
          },
        ],
        millis: 0,
      });
  });
  process.once('beforeExit', onIdle);
  return { run, stop: () => process.off('beforeExit', onIdle) };
};

if (import.meta.main) {
  const [root = process.cwd(), ...rest] = process.argv.slice(2);
  const apps = parseAppArgs(rest);
  const send = process.send?.bind(process);
  const post = (message: object) =>
    send
      ? new Promise<void>((done, fail) => send(message, undefined, {}, (err) => (err ? fail(err) : done())))
      : Promise.resolve();
  // A failed send fails the `run` send after it, which ends this process: the parent says so.
  const tell = (message: object) => void post(message).catch(() => undefined);
  const runs: AppRun[] = [];
  const record = (err: unknown) => {
    const owner = ownerOf(err, root, apps);
    const at = owner === undefined || owner === blame ? -1 : runs.findIndex((r) => r.name === owner);
    const done = runs[at];
    if (done) {
      // Its run went to the parent already: the parent fails it.
      const late = { name: done.name, failures: lateFailures(err, root) };
      runs[at] = { ...done, objects: [], failures: [...done.failures, ...late.failures] };
      tell({ late });
      return;
    }
    const list = escaped.get(blame ?? '') ?? [];
    list.push(err);
    escaped.set(blame ?? '', list);
  };
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  // An app that exits ends the runner before it reports, with no word of which line did it
  // (the runner itself never exits: it disconnects). It throws instead, there.
  process.exit = ((code?: number | string | null) => {
    throw new Error(
      `it called process.exit(${code ?? ''}); an app returns when it is done, or throws to fail`,
    );
  }) as typeof process.exit;
  for (const app of apps) {
    blame = app.name;
    await post({ started: app.name });
    const stall = stalled(root, app);
    const batches: Promise<AppFailure | undefined>[] = [];
    const run = await Promise.race([
      runModuleApp(root, app, {
        onKinds: (kinds) => tell({ kinds }),
        onObjects: (objects) =>
          batches.push(
            post({ objects }).then(
              () => undefined,
              (err: unknown) => unsent(objects, err),
            ),
          ),
      }),
      stall.run,
    ]).finally(stall.stop);
    // One turn of the event loop, so what the app left queued (timers of 0 ms, immediates,
    // promise callbacks) runs while it is still the app to blame; then, while it left timers,
    // up to TIMER_GRACE_MS for them (a throw 10 ms after the app returned passed unseen).
    await new Promise((done) => setTimeout(done, 0));
    for (
      const until = performance.now() + TIMER_GRACE_MS;
      pendingTimers() > 0 && performance.now() < until;
    ) {
      await new Promise((done) => setTimeout(done, 10));
    }
    let final = withEscaped(run, root);
    const failed = (await Promise.all(batches)).find((f) => f !== undefined);
    if (failed) final = { ...final, objects: [], failures: [...final.failures, failed] };
    runs.push(final);
    // The run's own objects (after the last batch) can hold what cannot be sent, too.
    await post({ run: final }).catch((err: unknown) => {
      final = { ...final, objects: [], failures: [...final.failures, unsent(final.objects, err)] };
      runs[runs.length - 1] = final;
      return post({ run: final });
    });
  }
  if (send) {
    await post({ done: true });
    process.disconnect?.();
  } else {
    process.stdout.write(`${JSON.stringify({ runs })}\n`);
  }
}
