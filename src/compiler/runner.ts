/**
 * The app runner: a child process `kelos synth` starts with module app paths. It imports
 * each app into a fresh cdk8s App, renders every ApiObject with its construct path, and
 * sends the {@link AppRun}s back over IPC. A fresh process per synth run means every run
 * sees the current source, which watch mode relies on (ESM modules cannot be unloaded).
 *
 * Usage: `node src/compiler/runner.ts <root> <name>=<file> ...` (forked, with IPC).
 *
 * @packageDocumentation
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ApiObject, App, Chart } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { SITE_METADATA } from '../../constructs/site.ts';
import type { AppFailure, AppObject, AppRun, ModuleApp, SourceSite } from './app-run.ts';

const CONSTRUCTS_DIR = fileURLToPath(new URL('../../constructs/', import.meta.url));
const THIS_FILE = fileURLToPath(import.meta.url);

/**
 * The first stack frame in user code: not in our constructs, not in a dependency, not in
 * Node itself. That is the line that created the construct that failed.
 */
export const userSite = (stack: string | undefined, root: string): SourceSite | undefined => {
  for (const line of (stack ?? '').split('\n')) {
    const m = /\(?((?:file:\/\/)?\/[^()]+?):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m?.[1]) continue;
    const file = m[1].startsWith('file://') ? fileURLToPath(m[1]) : m[1];
    if (file.startsWith(CONSTRUCTS_DIR) || file.includes('/node_modules/') || file === THIS_FILE) continue;
    return { file: relative(root, file), line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
};

interface KelosErrorShape {
  kelosValidation: true;
  resource: { kind: string; namespace?: string; name: string };
  violations: Array<{ path: string; message: string }>;
}

const isKelosError = (err: unknown): err is Error & KelosErrorShape =>
  err instanceof Error && (err as Partial<KelosErrorShape>).kelosValidation === true;

/** Turns whatever an app threw into failures. */
export const failuresOf = (err: unknown, root: string): AppFailure[] => {
  const site = err instanceof Error ? userSite(err.stack, root) : undefined;
  if (isKelosError(err)) {
    return err.violations.map((v) => ({
      code: 'construct/invalid',
      message: v.message,
      resource: err.resource,
      path: v.path,
      ...(site && { site }),
    }));
  }
  const message = err instanceof Error ? err.message : String(err);
  return [{ code: 'synth/app-failed', message, ...(site && { site }) }];
};

/** Runs one module app in-process. */
export const runModuleApp = async (root: string, app: ModuleApp): Promise<AppRun> => {
  const started = performance.now();
  const failures: AppFailure[] = [];
  const objects: AppObject[] = [];
  const file = isAbsolute(app.file) ? app.file : resolve(root, app.file);
  try {
    const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    if (typeof mod.default !== 'function') {
      throw new Error(
        `${app.file} must default-export a function (scope: Construct) => void that builds the app`,
      );
    }
    const cdkApp = new App({ outdir: '.' });
    const chart = new Chart(cdkApp, app.name);
    (mod.default as (scope: Chart) => void)(chart);
    const all: IConstruct[] = cdkApp.node.findAll();
    for (const c of all) {
      for (const message of c.node.validate()) {
        failures.push({ code: 'construct/validation', message, constructPath: c.node.path });
      }
    }
    for (const c of all) {
      if (!ApiObject.isApiObject(c)) continue;
      const trace = c.node.metadata.find((m) => m.type === SITE_METADATA)?.trace;
      const site = trace ? userSite(trace.join('\n'), root) : undefined;
      objects.push({
        object: c.toJson() as Record<string, unknown>,
        constructPath: c.node.path,
        ...(site && { site }),
      });
    }
  } catch (err) {
    failures.push(...failuresOf(err, root));
  }
  return {
    name: app.name,
    source: app.file,
    objects: failures.length > 0 ? [] : objects,
    failures,
    millis: performance.now() - started,
  };
};

/** Parses `<name>=<file>` arguments. */
export const parseAppArgs = (args: readonly string[]): ModuleApp[] =>
  args.map((a) => {
    const at = a.indexOf('=');
    return { name: a.slice(0, at), file: a.slice(at + 1) };
  });

if (import.meta.main) {
  const [root = process.cwd(), ...rest] = process.argv.slice(2);
  const runs: AppRun[] = [];
  for (const app of parseAppArgs(rest)) runs.push(await runModuleApp(root, app));
  const send = process.send?.bind(process);
  if (send) {
    await new Promise<void>((done, fail) =>
      send({ runs }, undefined, {}, (err) => (err ? fail(err) : done())),
    );
    process.disconnect?.();
  } else {
    process.stdout.write(`${JSON.stringify({ runs })}\n`);
  }
}
