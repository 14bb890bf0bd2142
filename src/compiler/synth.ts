/**
 * The synth pipeline. Each step is a pure function over the previous step's result, with
 * I/O only at the edges (reading `cdk8s.yaml`, running apps, reading back the YAML files
 * cdk8s `Include` constructs read, writing `dist/`):
 *
 * 1. resolve the config and select the apps;
 * 2. run the apps (module apps in one child process; the cdk8s app as a command);
 * 3. render every object into its output file, in memory;
 * 4. validate each app's objects as one bundle (schema, CEL rules, references);
 * 5. run the policy step on all objects;
 * 6. render the CRDs;
 * 7. only when no error exists: write, check or print.
 *
 * @packageDocumentation
 */
import { glob } from 'node:fs/promises';
import { posix } from 'node:path';
import { appNameFromPath } from '../../constructs/app.ts';
import { healthTestLayout } from '../../constructs/argocd/health-layout.ts';
import { propOf } from '../../constructs/prop-sources.ts';
import { crdFileName, generateCrds } from '../crd/generate.ts';
import { besideSchemaErrors } from '../policy/engine.ts';
import { parentsToGitRoot } from '../policy/load-config.ts';
import { argocdUnevaluatedPathDiagnostics } from '../validate/argocd-paths.ts';
import { type Diagnostic, hasFailures, sortDiagnostics } from '../validate/diagnostic.ts';
import {
  conflictsAcrossBundles,
  type LoadedDocument,
  parseManifests,
  prepareValidators,
  type ValidateOptions,
  validateDocuments,
} from '../validate/index.ts';
import { documentFromPositions } from '../validate/load.ts';
import { bundlesBeside, cyclesAcrossBundles } from '../validate/references.ts';
import { type AppFailure, type AppRun, appFailed, type ModuleApp, type SourceSite } from './app-run.ts';
import {
  argocdPathDiagnostics,
  argocdTaskTtlDiagnostics,
  namespaceMissingDiagnostics,
  namespaceUnwatchedDiagnostics,
} from './argocd-paths.ts';
import {
  type Bundle,
  CONFIG_FILE,
  ConfigError,
  DEFAULT_PREVIEW_DIR,
  loadConfig,
  type SynthConfig,
} from './config.ts';
import { memberPosition } from './emit-yaml.ts';
import { gitRepositoryOf } from './git-remotes.ts';
import { type IncludedSources, readIncludedSources, withoutBrokenIncludes } from './included-yaml.ts';
import {
  type Drift,
  type ForeignFile,
  inspectOutput,
  type OutputScope,
  RECORD_FILE,
  type WriteReport,
  writeOutput,
} from './output.ts';
import { checkOutputDirs, outputDirsOf } from './output-guard.ts';
import { renderPreview } from './preview.ts';
import { type PropSite, propSites } from './prop-sites.ts';
import {
  type OutputFile,
  type Prerendered,
  prerender,
  type RenderedApp,
  renderApp,
  renderCrds,
  renderingOf,
  type SynthObject,
  sortFiles,
} from './render.ts';
import { runCommandApp, runModuleApps } from './run-apps.ts';

/**
 * The policy step: takes every rendered object and returns policy findings. `src/policy`
 * plugs in here (the CLI passes it); synth runs without policies when it is absent.
 */
export type PolicyStep = (
  objects: readonly SynthObject[],
) => readonly Diagnostic[] | Promise<readonly Diagnostic[]>;

/** Options of {@link synthesize}. */
export interface SynthOptions {
  /** Project root: where `cdk8s.yaml` is and paths are relative to. */
  readonly root: string;
  /**
   * The config.
   *
   * @default - read from `<root>/cdk8s.yaml`
   */
  readonly config?: SynthConfig;
  /**
   * Only these apps: names, module paths or their directories.
   *
   * @default - every app
   */
  readonly apps?: readonly string[];
  /**
   * Also write the Job preview (`dist/preview/`), as `kelos.preview` in `cdk8s.yaml` does.
   *
   * @default false
   */
  readonly preview?: boolean;
  /**
   * Validator options.
   *
   * @default - the validator's defaults
   */
  readonly validate?: ValidateOptions;
  /**
   * The policy step.
   *
   * @default - no policies
   */
  readonly policyStep?: PolicyStep;
  /**
   * Milliseconds one app may run before it is stopped and reported as failed.
   *
   * @default DEFAULT_APP_TIMEOUT_MS (60 seconds)
   */
  readonly appTimeoutMs?: number;
  /**
   * Told what the module apps print, as it comes (see `ModuleRunOptions.onOutput`).
   *
   * @default - not shown
   */
  readonly appOutput?: (text: string) => void;
}

/** Whether synth produced output, found violations, or could not run. */
export type SynthStatus = 'ok' | 'violations' | 'failed';

/** Milliseconds per step. */
export interface SynthTimings {
  readonly run: number;
  readonly render: number;
  readonly validate: number;
  readonly policy: number;
  readonly total: number;
}

/** Everything synth computed, before anything is written. */
export interface SynthResult {
  readonly config: SynthConfig;
  readonly apps: readonly RenderedApp[];
  readonly objects: readonly SynthObject[];
  /** Where the objects cdk8s `Include` constructs read are in their YAML files, by output file. */
  readonly included: IncludedSources;
  /** The complete output, sorted by path. */
  readonly files: readonly OutputFile[];
  /**
   * Directories the output renders into: stale files synth wrote there are removed, files it
   * did not write are reported (see output.ts).
   */
  readonly owned: readonly string[];
  /** Whether the output is complete (no `--app`): every file synth wrote before and no longer writes is stale. */
  readonly complete: boolean;
  readonly diagnostics: readonly Diagnostic[];
  /** `failed` when an app could not load or crashed; `violations` for any other error. */
  readonly status: SynthStatus;
  readonly timings: SynthTimings;
}

/** An `--app` selection that names no app. */
export class AppSelectionError extends Error {
  override readonly name = 'AppSelectionError';
}

const normalize = (p: string): string =>
  posix.normalize(p.replaceAll('\\', '/')).replace(/^\.\//, '').replace(/\/$/, '');

/** Finds the module apps matching the config's globs, sorted by path. */
export const discoverApps = async (root: string, patterns: readonly string[]): Promise<ModuleApp[]> =>
  (await matchPatterns(root, patterns)).apps;

const matchPatterns = async (root: string, patterns: readonly string[]) => {
  const files = new Set<string>();
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    let matched = false;
    for await (const f of glob(pattern, { cwd: root })) {
      files.add(normalize(String(f)));
      matched = true;
    }
    if (!matched) unmatched.push(pattern);
  }
  const apps = [...files].sort().map((file) => ({ name: appNameFromPath(file), file }));
  return { apps, unmatched };
};

/**
 * The module apps of a config. A pattern of `kelos.apps` that matches no file is an error, like
 * an `--app` that names no app: synth would otherwise render that app as gone, remove its
 * output, and Argo CD would prune what it deployed. The default pattern (`kelos.apps` unset)
 * may match nothing when bundles or the cdk8s app run; with nothing at all to run (an empty
 * `cdk8s.yaml` included) it is an error too: synth would remove every output it wrote. An
 * explicit `kelos.apps: []` is the user's word (a project that synthesizes only its CRDs).
 *
 * @throws ConfigError naming the pattern and the key.
 */
export const configuredApps = async (root: string, config: SynthConfig): Promise<ModuleApp[]> => {
  const { apps, unmatched } = await matchPatterns(root, config.apps);
  const written = 'nothing was written or removed';
  if (!config.appsDefaulted && unmatched.length > 0) {
    throw new ConfigError(
      `${CONFIG_FILE}: kelos.apps ${unmatched.length === 1 ? 'pattern' : 'patterns'} ${unmatched.map((u) => `"${u}"`).join(', ')} ${unmatched.length === 1 ? 'matches' : 'match'} no file (relative to ${CONFIG_FILE}); ${written}, as synth would have removed the output of the apps it meant. Correct the pattern, or remove it from kelos.apps`,
    );
  }
  if (config.appsDefaulted && apps.length === 0 && !config.bundles?.length && !config.runApp) {
    if (config.fileMissing) {
      // Named as check and validate name it: how far up the project was looked for.
      const gitRoot = parentsToGitRoot(root).at(-1);
      const where =
        gitRoot === undefined ? `in ${root}` : `in ${root} nor a parent up to the git root ${gitRoot}`;
      throw new ConfigError(
        `no ${CONFIG_FILE} ${where}, so no app to synthesize; ${written}. Run kelos synth where your ${CONFIG_FILE} is (or below it, inside its git repository), or create one with a kelos.apps list of your app modules (kelos new writes a whole project)`,
      );
    }
    throw new ConfigError(
      `${CONFIG_FILE}: no app to synthesize: kelos.apps is not set, and its default ${config.apps.map((a) => `"${a}"`).join(', ')} matches no file; ${written}. Set kelos.apps to the globs of your app modules (e.g. apps/*/main.ts)`,
    );
  }
  return apps;
};

/**
 * Keeps the apps a selection names; a selector matches an app's name, its module path or
 * its directory.
 *
 * @throws AppSelectionError for a selector that matches nothing, listing the apps (and the
 *   `bundleNames`, which `--app` selects too) there are.
 */
export const selectApps = <A extends { name: string; file?: string }>(
  apps: readonly A[],
  selectors: readonly string[] | undefined,
  bundleNames: readonly string[] = [],
): A[] => {
  if (!selectors || selectors.length === 0) return [...apps];
  const matches = (a: A, s: string) => {
    const n = normalize(s);
    return a.name === n || (a.file !== undefined && (a.file === n || posix.dirname(a.file) === n));
  };
  const unknown = selectors.filter((s) => !apps.some((a) => matches(a, s)));
  if (unknown.length > 0) {
    throw new AppSelectionError(
      `no app named ${unknown.map((u) => `"${u}"`).join(', ')}; apps: ${apps.map((a) => a.name).join(', ') || 'none'}${bundleNames.length > 0 ? `; bundles: ${bundleNames.join(', ')}` : ''}`,
    );
  }
  return apps.filter((a) => selectors.some((s) => matches(a, s)));
};

/**
 * The bundles a selection names (by output directory name, module path or directory); all
 * when nothing is selected. A selector no bundle matches is left to {@link selectApps}.
 */
const selectBundles = (bundles: readonly Bundle[], selectors: readonly string[] | undefined): Bundle[] =>
  !selectors?.length
    ? [...bundles]
    : bundles.filter((b) =>
        selectors.some((s) => {
          const n = normalize(s);
          return n === posix.basename(b.outdir) || n === normalize(b.app) || n === normalize(b.outdir);
        }),
      );

/**
 * Diagnostics for an app's failures: each names the app's source and, when known, the line that
 * failed; a construct's refusal of one prop, the line of that prop when `propSite` can tell it.
 */
export const failureDiagnostics = (run: AppRun, propSite?: PropSite): Diagnostic[] =>
  run.failures.map((f: AppFailure) => {
    const prop = f.prop ?? f.path;
    const site =
      f.site && f.code === 'construct/invalid' && prop !== undefined && propSite
        ? propSite(f.site, prop)
        : f.site;
    return {
      severity: 'error',
      code: f.code,
      message: f.code === 'synth/app-failed' ? `app ${run.name} failed: ${f.message}` : f.message,
      path: f.path ?? '',
      ...(f.resource && { resource: f.resource }),
      ...(f.hint !== undefined && { hint: f.hint }),
      source: {
        file: site?.file ?? run.source,
        ...(site?.line !== undefined && { line: site.line }),
        ...(site?.column !== undefined && { column: site.column }),
        ...(f.constructPath !== undefined && { constructPath: f.constructPath }),
      },
    };
  });

/** Diagnostics for app names used twice (two apps would write one directory). */
export const duplicateAppDiagnostics = (runs: readonly AppRun[]): Diagnostic[] => {
  const seen = new Map<string, AppRun>();
  const out: Diagnostic[] = [];
  for (const run of runs) {
    const first = seen.get(run.name);
    if (first) {
      out.push({
        severity: 'error',
        code: 'synth/duplicate-app',
        message: `app name ${run.name} is used by ${first.source} and ${run.source}; both would write the same directory`,
        path: '',
        source: { file: run.source },
      });
    } else seen.set(run.name, run);
  }
  return out;
};

/**
 * A warning for each app that ran without failing and created no objects. Its output is still
 * written (an app may be empty on purpose while it is being built), but that output is a
 * `kustomization.yaml` with `resources: []`: the Argo CD Application that syncs it deploys
 * nothing and prunes whatever it deployed before, which nobody should learn from the cluster.
 * An app that failed has no objects either; its failure says why.
 *
 * @param apps What each of `runs` rendered, in the same order: where its output goes.
 */
export const emptyAppDiagnostics = (
  runs: readonly AppRun[],
  apps: readonly Pick<RenderedApp, 'dir'>[],
): Diagnostic[] =>
  runs.flatMap((run, i): Diagnostic[] =>
    run.failures.length > 0 || run.objects.length > 0
      ? []
      : [
          {
            severity: 'warning',
            code: 'synth/empty-app',
            message: `app ${run.name} creates no objects: ${apps[i]?.dir ?? run.name}/kustomization.yaml lists no resources, so the Argo CD Application that syncs it deploys nothing and prunes what it deployed before; add the app's objects, or remove the app if it is gone`,
            path: '',
            source: { file: run.source },
          },
        ],
  );

/**
 * The document the validator sees for an object {@link renderApp} rendered, located by the
 * positions the writer recorded; `undefined` when the text must be parsed back instead (the
 * `yaml` library wrote it, or parsing it would not yield this one clean document).
 */
export const renderedDocument = (o: SynthObject): LoadedDocument | undefined => {
  const rendering = renderingOf(o);
  const positions = rendering?.positions;
  if (!rendering || !positions) return undefined;
  const offset = rendering.firstLine - 1;
  // A document is a map with apiVersion, kind and metadata, so it starts at its first key:
  // the first line of the rendering, column 1.
  const doc = documentFromPositions(
    o.object,
    o.file,
    { line: rendering.firstLine, column: 1 },
    (parent, key) => {
      const at = memberPosition(positions, parent, key);
      return at && { line: at.line + offset, column: at.column };
    },
  );
  if (!doc) return undefined;
  // Positions inside a string (a template's line and column) need the YAML scalar as written:
  // parse the rendering back only when a check asks for one.
  let parsed: LoadedDocument | undefined;
  const scalar = (pointer: string) => {
    parsed ??= parseManifests('\n'.repeat(offset) + rendering.yaml, o.file).documents[0];
    return parsed?.scalar?.(pointer);
  };
  return { ...doc, scalar };
};

/**
 * Validates one app's objects as a bundle. Each diagnostic points at the line of the
 * offending field in the output file, and carries the construct path of the object it is
 * about. Lines come from the positions the writer recorded; an object it did not write is
 * read back from its rendered text, which yields the same documents and positions.
 */
export const validateApp = (app: RenderedApp, options: ValidateOptions = {}): Diagnostic[] => {
  const byFile = new Map(app.files.map((f) => [f.path, f.content]));
  const paths = new Map(app.objects.map((o) => [o.file, o.constructPath]));
  const docs: LoadedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const o of app.objects) {
    const rendered = renderedDocument(o);
    if (rendered) {
      docs.push(rendered);
      continue;
    }
    const parsed = parseManifests(byFile.get(o.file) ?? '', o.file);
    docs.push(...parsed.documents);
    diagnostics.push(...parsed.diagnostics);
  }
  // What the constructs already checked on a spec is not checked again (see AppObject).
  const checked = new Map(app.objects.flatMap((o) => (o.checked ? [[o.object, o.checked] as const] : [])));
  const sites = new Map(app.objects.flatMap((o) => (o.site ? [[o.file, o.site] as const] : [])));
  diagnostics.push(
    ...validateDocuments(docs, {
      ...options,
      boundSize: true,
      ...(checked.size > 0 && {
        checked: (object: Readonly<Record<string, unknown>>) => checked.get(object),
      }),
      ...(sites.size > 0 && { writtenAt: (file: string) => sites.get(file) }),
    }),
  );
  return diagnostics.map((d) => {
    const constructPath = d.source ? paths.get(d.source.file) : undefined;
    return constructPath && d.source ? { ...d, source: { ...d.source, constructPath } } : d;
  });
};

/**
 * The findings with those on objects cdk8s read from an included file with a YAML syntax error
 * replaced by what `kelos validate FILE` says of the file's documents. cdk8s reads such a file
 * its own way (a quote that never closes swallows the documents after it into one value), so
 * its objects are not what the file means, and their findings (a name made of three documents)
 * are noise; the reader `kelos validate` uses reads on after the quote. References are left to
 * the app's bundle, which a file on its own cannot judge.
 */
const brokenIncludesAsWritten = (
  diagnostics: readonly Diagnostic[],
  included: IncludedSources,
  broken: ReadonlyMap<string, readonly LoadedDocument[]>,
  options: ValidateOptions = {},
): Diagnostic[] => {
  if (broken.size === 0) return [...diagnostics];
  return [
    ...diagnostics.filter((d) => !(d.source && included.get(d.source.file)?.broken)),
    ...[...broken.values()].flatMap((documents) =>
      validateDocuments(documents, options).filter((d) => !d.code.startsWith('ref/')),
    ),
  ];
};

/**
 * Points each finding on an object a Kelos construct made at the app line that created it (the
 * line of the prop the finding is about, when `propSite` can tell it), and each finding on an
 * object a cdk8s `Include` read at the offending node in the YAML file it came from, keeping
 * the rendered manifest location as `rendered`.
 *
 * @param included Where included objects are in their files (see {@link readIncludedSources}).
 * @param propSite Where a prop of the object made at a site is written (see prop-sites.ts).
 */
export const atAppSource = (
  diagnostics: readonly Diagnostic[],
  objects: readonly SynthObject[],
  included: IncludedSources = new Map(),
  propSite?: PropSite,
): Diagnostic[] => {
  const made = new Map(objects.flatMap((o) => (o.site ? [[o.file, o] as const] : [])));
  const siteOf = (file: string, pointer: string): SourceSite | undefined => {
    const from = included.get(file);
    if (!from) {
      const o = made.get(file);
      if (!o?.site || !propSite) return o?.site;
      // A pattern's field is written as the prop it comes from, if any (else at the call).
      return propSite(o.site, o.propSources ? propOf(o.propSources, pointer) : pointer);
    }
    const at = from.locate?.(pointer);
    return { file: from.file, ...(at ?? (from.line !== undefined && { line: from.line })) };
  };
  return diagnostics.map((d) => {
    const site = d.source && !d.source.rendered ? siteOf(d.source.file, d.path) : undefined;
    if (!site || !d.source) return d;
    const { file, line, column, ...rest } = d.source;
    // An app's object is the one document of the file it renders to, which the app never wrote:
    // "document 1" names nothing there.
    const message = included.has(file) ? d.message : d.message.replace(/^document 1: /, '');
    return {
      ...d,
      message,
      source: {
        ...rest,
        file: site.file,
        ...(site.line !== undefined && { line: site.line }),
        ...(site.column !== undefined && { column: site.column }),
        rendered: { file, ...(line !== undefined && { line }), ...(column !== undefined && { column }) },
      },
    };
  });
};

/** Status of a set of diagnostics. */
export const statusOf = (diagnostics: readonly Diagnostic[]): SynthStatus =>
  appFailed(diagnostics) ? 'failed' : hasFailures(diagnostics) ? 'violations' : 'ok';

/**
 * Runs the pipeline up to, not including, writing: the complete output and every
 * diagnostic, in memory.
 *
 * @throws ConfigError for an unusable `cdk8s.yaml`; AppSelectionError for an unknown `--app`.
 */
export const synthesize = async (options: SynthOptions): Promise<SynthResult> => {
  const t0 = performance.now();
  const { root } = options;
  const config = options.config ?? (await loadConfig(root));
  const discovered = await configuredApps(root, config);
  const bundles = selectBundles(config.bundles ?? [], options.apps);
  const forApps = options.apps?.filter((s) => !selectBundles(config.bundles ?? [], [s]).length);
  const modules =
    options.apps?.length && !forApps?.length
      ? []
      : selectApps(
          discovered,
          forApps,
          (config.bundles ?? []).map((b) => posix.basename(b.outdir)),
        );

  // A bundle is a module app whose output directory is its own: it renders into
  // `dirname(outdir)/<basename(outdir)>/`. Selected by `--app` like any app.
  const bundleRuns = new Set(bundles.map((b) => posix.basename(b.outdir)));
  const run = options.appTimeoutMs !== undefined ? { timeoutMs: options.appTimeoutMs } : {};
  // While the runner renders an app's objects and sends them, this process uses the core the
  // runner leaves idle: it compiles the validators of their kinds (most of a cold validation)
  // and renders each batch as it arrives.
  const prerendered = new Map<object, Prerendered>();
  let runs: AppRun[] = await runModuleApps(
    root,
    [...modules, ...bundles.map((b) => ({ name: posix.basename(b.outdir), file: normalize(b.app) }))],
    {
      ...run,
      ...(options.appOutput && { onOutput: options.appOutput }),
      onKinds: (kinds) => prepareValidators(kinds),
      onObjects: (batch) => {
        for (const o of batch) prerendered.set(o.object, prerender(o.object));
      },
    },
  );
  if (config.runApp && config.app) {
    const charts = await runCommandApp(root, config.app, run);
    runs = [
      ...runs,
      ...(options.apps?.length
        ? charts.filter((c) => options.apps?.some((s) => normalize(s) === c.name))
        : charts),
    ];
  }
  const t1 = performance.now();

  // Findings on an app's object point at the prop they are about; each app file is read once.
  const propSite = propSites(root);
  const diagnostics: Diagnostic[] = [
    ...duplicateAppDiagnostics(runs),
    ...runs.flatMap((r) => failureDiagnostics(r, propSite)),
  ];
  const bundleDir = new Map(
    bundles.map((b) => [posix.basename(b.outdir), posix.dirname(normalize(b.outdir))]),
  );
  const apps = runs.map((run, i) =>
    // Module apps come first in `runs`, bundles right after them.
    renderApp(
      run,
      i >= modules.length && i < modules.length + bundles.length && bundleRuns.has(run.name)
        ? (bundleDir.get(run.name) as string)
        : config.outdir,
      prerendered,
    ),
  );
  diagnostics.push(...emptyAppDiagnostics(runs, apps));
  const objects = apps.flatMap((a) => a.objects);
  const files: OutputFile[] = apps.flatMap((a) => a.files);
  if (config.crdsDir) {
    files.push(...renderCrds(generateCrds(), config.crdsDir, crdFileName, 'src/api'));
  }
  const healthDir = options.apps?.length ? undefined : config.argocdHealthChecksDir;
  if (healthDir) {
    // Not objects, so no app renders them: Argo CD's test layout of our health checks.
    for (const f of healthTestLayout())
      files.push({ path: posix.join(healthDir, f.path), content: f.content });
  }
  const t2 = performance.now();

  // A reference to what another app (or bundle) of the project deploys resolves there.
  const besideOf =
    apps.length > 1
      ? bundlesBeside(
          apps.map((a) => ({ label: `app ${a.name}`, documents: a.objects })),
          options.validate?.namespace,
        )
      : undefined;
  for (const app of apps) {
    diagnostics.push(
      ...validateApp(
        app,
        besideOf ? { ...options.validate, ...besideOf(`app ${app.name}`) } : options.validate,
      ),
    );
  }
  // Each app is validated as the bundle it is deployed as; two of them rendering one object
  // differently would have their Argo CD Applications fight over it.
  // One app cannot conflict with itself: no view of its objects is built on that path.
  if (apps.length > 1) {
    const bundles = apps.map((a) => {
      const byFile = new Map(a.files.map((f) => [f.path, f.content]));
      return {
        name: a.dir,
        // What a refused object holds is not what the app meant: it conflicts with nothing.
        documents: a.objects
          .flatMap((o) => (o.refused ? [] : [o]))
          .map((o) => {
            // Located as validateApp locates it, so a finding names the rendered field's line and
            // column, as every other finding does.
            const located =
              renderedDocument(o) ?? parseManifests(byFile.get(o.file) ?? '', o.file).documents[0];
            return {
              object: o.object,
              file: o.file,
              line: renderingOf(o)?.firstLine ?? 1,
              ...(located && { locate: located.locate }),
              ...(o.site && { writtenAt: o.site }),
            };
          }),
      };
    });
    diagnostics.push(
      ...conflictsAcrossBundles(bundles),
      // A dependsOn cycle through two apps: each app sees only a Task another one deploys.
      ...cyclesAcrossBundles(bundles, options.validate?.namespace),
    );
  }
  const { sources: included, diagnostics: includedSyntax, broken } = await readIncludedSources(root, objects);
  diagnostics.push(...includedSyntax);
  const previewDir = config.previewDir ?? (options.preview ? DEFAULT_PREVIEW_DIR : undefined);
  if (previewDir) {
    const preview = renderPreview(apps, previewDir);
    files.push(...preview.files);
    diagnostics.push(...preview.diagnostics);
  }
  const t3 = performance.now();

  diagnostics.push(
    // Every bundle this project writes, selected by --app or not: an Application that syncs
    // one left out of this run still syncs what synth writes.
    ...argocdPathDiagnostics(objects, config.outdir, [
      ...(config.crdsDir ? [config.crdsDir] : []),
      ...(config.bundles ?? []).map((b) => normalize(b.outdir)),
    ]),
  );
  // The apps and bundles as the namespace findings name them; module apps come first, bundles
  // right after them (as rendered above).
  const deployed = apps.map((a, i) => ({
    label: `${i >= modules.length && i < modules.length + bundles.length ? 'bundle' : 'app'} ${a.name}`,
    dir: a.dir,
    objects: a.objects,
    source: () => ({ file: a.source }),
    apply: `kubectl apply -k ${a.dir}`,
  }));
  // Only a whole run sees every Namespace and Argo CD destination the project renders.
  if (!options.apps?.length)
    diagnostics.push(
      ...namespaceMissingDiagnostics(deployed, {
        external: options.validate?.externalNamespaces ?? [],
        ...(options.validate?.namespace !== undefined && { defaultNamespace: options.validate.namespace }),
      }),
    );
  const locateRendered = (o: SynthObject, pointer: string) => renderedDocument(o)?.locate(pointer);
  // Only a whole run sees the install beside every app.
  if (!options.apps?.length)
    diagnostics.push(
      ...namespaceUnwatchedDiagnostics(deployed, {
        locate: locateRendered,
        ...(options.validate?.namespace !== undefined && { defaultNamespace: options.validate.namespace }),
      }),
    );
  diagnostics.push(...argocdUnevaluatedPathDiagnostics(objects, locateRendered));
  // git runs only when a Task is on a path an Argo CD object syncs: is its repoURL this project's?
  if (argocdTaskTtlDiagnostics(objects, locateRendered).length > 0) {
    const repository = await gitRepositoryOf(root);
    diagnostics.push(...argocdTaskTtlDiagnostics(objects, locateRendered, undefined, () => repository));
  }
  // As kelos check reports them: a field the schema refused is not also a policy finding.
  if (options.policyStep)
    diagnostics.push(
      ...besideSchemaErrors(await options.policyStep(withoutBrokenIncludes(objects, included)), diagnostics),
    );
  const t4 = performance.now();

  const owned = [
    ...(options.apps?.length
      ? apps.map((a) => a.dir)
      : [config.outdir, ...bundles.map((b) => normalize(b.outdir))]),
    ...(config.crdsDir ? [config.crdsDir] : []),
    ...(healthDir ? [healthDir] : []),
    ...(previewDir ? (options.apps?.length ? apps.map((a) => `${previewDir}/${a.name}`) : [previewDir]) : []),
    // A preview `--preview` wrote before, when this run writes none, is stale.
    ...(!previewDir && !options.apps?.length ? [DEFAULT_PREVIEW_DIR] : []),
  ];
  // An object whose construct refused its props has its findings in the refusal.
  const refused = new Set(objects.flatMap((o) => (o.refused ? [o.file] : [])));
  const sorted = sortDiagnostics(
    atAppSource(
      brokenIncludesAsWritten(
        refused.size > 0 ? diagnostics.filter((d) => !(d.source && refused.has(d.source.file))) : diagnostics,
        included,
        broken,
        options.validate,
      ),
      objects,
      included,
      propSite,
    ),
  );
  return {
    config,
    apps,
    objects,
    included,
    files: sortFiles(files),
    owned,
    complete: !options.apps?.length,
    diagnostics: sorted,
    status: statusOf(sorted),
    timings: { run: t1 - t0, render: t2 - t1, validate: t3 - t2, policy: t4 - t3, total: t4 - t0 },
  };
};

/** What {@link runSynth} does with the output. */
export type SynthMode = 'write' | 'check' | 'stdout';

/** The outcome of one synth run. */
export interface SynthOutcome {
  readonly result: SynthResult;
  /** With `check`: every file that differs from the output. */
  readonly drift?: readonly Drift[];
  /** With `write`, when nothing failed: what was written. */
  readonly write?: WriteReport;
}

/** Why synth leaves a file in its output directories alone, by {@link ForeignFile.reason}. */
const FOREIGN_WHY: Readonly<Record<ForeignFile['reason'], string>> = {
  changed: 'kelos synth wrote this file and no longer does, but it was changed since, so synth keeps it',
  unrecorded: `kelos synth did not write this file (it is not in ${RECORD_FILE}), so synth leaves it alone`,
  headed: `this file starts with kelos synth's header but ${RECORD_FILE} does not list it (was the record restored from git after a run wrote the file?), so synth keeps it rather than remove a file it cannot tell is its own as written`,
};

/**
 * One warning per file synth leaves alone in its output directories: the user should know it
 * is there: Argo CD applies it when its directory is synced without a kustomization.yaml.
 */
export const foreignFileDiagnostics = (foreign: readonly ForeignFile[]): Diagnostic[] =>
  foreign.map((f) => ({
    severity: 'warning',
    code: 'output/foreign-file',
    message: `${FOREIGN_WHY[f.reason]}; Argo CD applies it if its directory is synced and has no kustomization.yaml (the directories synth writes have one, which does not list it): ${f.reason === 'unrecorded' ? 'move it out of the output directory unless that is what you want' : 'delete it, or move it out of the output directory if you want to keep it'}`,
    path: '',
    source: { file: f.path },
  }));

/**
 * Synthesizes, then writes, checks or leaves the output to the caller. Nothing is written
 * when any error exists. Before anything runs, writing and checking refuse output directories
 * that are not synth's to own (see output-guard.ts).
 *
 * @throws ConfigError for a setting synth cannot use: an output directory it must not own, a
 *   `kelos.apps` pattern that matches nothing.
 */
export const runSynth = async (
  options: SynthOptions & { readonly mode: SynthMode },
): Promise<SynthOutcome> => {
  if (options.mode === 'stdout') return { result: await synthesize(options) };
  const config = options.config ?? (await loadConfig(options.root));
  const sources = [
    ...(await configuredApps(options.root, config)).map((a) => a.file),
    ...(config.bundles ?? []).map((b) => b.app),
  ];
  await checkOutputDirs(options.root, outputDirsOf(config, options.preview), sources);
  const result = await synthesize({ ...options, config });
  if (result.status !== 'ok') return { result };
  const scope: OutputScope = { owned: result.owned, complete: result.complete };
  const withForeign = (foreign: readonly ForeignFile[]): SynthResult =>
    foreign.length === 0
      ? result
      : {
          ...result,
          diagnostics: sortDiagnostics([...result.diagnostics, ...foreignFileDiagnostics(foreign)]),
        };
  if (options.mode === 'check') {
    const { drift, foreign } = await inspectOutput(options.root, result.files, scope);
    return { result: withForeign(foreign), drift };
  }
  const write = await writeOutput(options.root, result.files, scope);
  return { result: withForeign(write.foreign), write };
};
