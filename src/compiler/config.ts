/**
 * Reads `cdk8s.yaml`, the file plain `cdk8s synth` reads too, into what `kelos synth`
 * needs: which apps to run and where their output goes.
 *
 * ```yaml
 * app: node examples/main.ts      # plain `cdk8s synth` runs this
 * output: cdk8s.out               # … and writes here
 * kelos:                          # `kelos synth` only (cdk8s ignores unknown keys)
 *   apps: [examples/*\/main.ts]   # module apps: one output directory each
 *   outdir: dist/examples         # <outdir>/<app>/ per app
 *   crds: dist/crds               # generated CRDs, or false
 *   runApp: false                 # also run `app` the cdk8s way (one directory per chart)
 *   bundles:                      # module apps with an output directory of their own
 *     - { app: constructs/install/app.ts, outdir: dist/install }
 *   argocdHealthChecks: dist/argocd/resource_customizations   # Argo CD's test layout, or unset
 * ```
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { closest } from '../validate/echo.ts';
import { configSyntaxError, configValue } from '../validate/yaml-errors.ts';

/** Name of the file, in the project root. */
export const CONFIG_FILE = 'cdk8s.yaml';

/** Directory of the Job preview when `kelos.preview` is `true` or `--preview` is given. */
export const DEFAULT_PREVIEW_DIR = 'dist/preview';

/** What `kelos synth` does, resolved from `cdk8s.yaml` and defaults. */
export interface SynthConfig {
  /** Command of the cdk8s app (`app`), when there is one. */
  readonly app?: string;
  /** Whether `kelos synth` runs `app` the cdk8s way; each of its charts becomes an output directory. */
  readonly runApp: boolean;
  /** Globs of module apps, relative to the project root (each default-exports an app builder). */
  readonly apps: readonly string[];
  /**
   * Whether {@link apps} is the default because `kelos.apps` is not set. A pattern the user
   * wrote must match a file; the default may match nothing when other apps run (see synth.ts).
   *
   * @default false
   */
  readonly appsDefaulted?: boolean;
  /** Directory the apps render into, one subdirectory per app. */
  readonly outdir: string;
  /** Directory the CRDs are written to, or undefined for none. */
  readonly crdsDir?: string;
  /** Directory of the Job preview (`kelos.preview: true` or a directory), or undefined for none. */
  readonly previewDir?: string;
  /** Module apps rendered each into a directory of its own (the install, Argo CD objects). */
  readonly bundles?: readonly Bundle[];
  /** Directory of the Argo CD health checks in Argo CD's test layout, or undefined for none. */
  readonly argocdHealthChecksDir?: string;
  /**
   * Whether there is no `cdk8s.yaml` at all (the defaults stand in), so a message can say so.
   *
   * @default false
   */
  readonly fileMissing?: boolean;
}

/** A module app with its own output directory. */
export interface Bundle {
  /** Module path, relative to the project root. */
  readonly app: string;
  /** Output directory, relative to the project root. */
  readonly outdir: string;
}

/**
 * The config of a `cdk8s.yaml` that says nothing (missing, empty, only comments): the defaults
 * of the `kelos` section, and no cdk8s app command to run.
 */
export const DEFAULT_CONFIG: SynthConfig = {
  runApp: false,
  apps: ['examples/*/main.ts'],
  appsDefaulted: true,
  outdir: 'dist/examples',
  crdsDir: 'dist/crds',
};

/** A `cdk8s.yaml` that cannot be used; the message says which key and why. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses the text of `cdk8s.yaml`. Unknown top-level keys belong to cdk8s and are ignored;
 * unknown keys under `kelos` are errors, so a typo does not silently change the output.
 *
 * @throws ConfigError naming the key that is wrong.
 */
export const parseConfig = (text: string, file = CONFIG_FILE): SynthConfig => {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const syntax = configSyntaxError(doc.errors, text, file, (o) => lines.linePos(o));
  if (syntax) throw new ConfigError(syntax);
  let raw: unknown;
  try {
    raw = configValue(doc, file);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (raw === null || raw === undefined) return DEFAULT_CONFIG;
  if (!isRecord(raw)) throw new ConfigError(`${file}: expected a mapping at the top level`);
  const app = raw['app'];
  if (app !== undefined && (typeof app !== 'string' || app.trim() === '')) {
    throw new ConfigError(`${file}: app must be a command string`);
  }
  if (raw['kelos'] === undefined) {
    // A misspelt section would leave every setting at its default, with no word of why.
    const typo = Object.keys(raw).find((key) => closest(key, ['kelos']) !== undefined);
    if (typo !== undefined) throw new ConfigError(`${file}: unknown key ${typo}; did you mean kelos?`);
  }
  const kelos = raw['kelos'] ?? {};
  if (!isRecord(kelos)) throw new ConfigError(`${file}: kelos must be a mapping`);
  const known = new Set(['apps', 'outdir', 'crds', 'runApp', 'bundles', 'argocdHealthChecks', 'preview']);
  for (const key of Object.keys(kelos)) {
    if (!known.has(key)) {
      const near = closest(key, [...known]);
      throw new ConfigError(
        `${file}: unknown key kelos.${key}${near ? `; did you mean kelos.${near}?` : ''} (known: ${[...known].join(', ')})`,
      );
    }
  }
  const apps = kelos['apps'] ?? DEFAULT_CONFIG.apps;
  if (!Array.isArray(apps) || apps.some((a) => typeof a !== 'string' || a === '')) {
    throw new ConfigError(`${file}: kelos.apps must be a list of globs`);
  }
  const outdir = kelos['outdir'] ?? DEFAULT_CONFIG.outdir;
  if (typeof outdir !== 'string' || outdir === '')
    throw new ConfigError(`${file}: kelos.outdir must be a directory`);
  const crds = kelos['crds'] ?? DEFAULT_CONFIG.crdsDir;
  if (crds !== false && (typeof crds !== 'string' || crds === '')) {
    throw new ConfigError(`${file}: kelos.crds must be a directory or false`);
  }
  const preview = kelos['preview'] ?? false;
  if (preview !== false && preview !== true && (typeof preview !== 'string' || preview === '')) {
    throw new ConfigError(`${file}: kelos.preview must be true, false or a directory`);
  }
  // The cdk8s app runs by default when `app` names one.
  const runApp = kelos['runApp'] ?? true;
  if (typeof runApp !== 'boolean') throw new ConfigError(`${file}: kelos.runApp must be true or false`);
  const bundles = kelos['bundles'] ?? [];
  if (
    !Array.isArray(bundles) ||
    bundles.some(
      (b) =>
        !isRecord(b) ||
        typeof b['app'] !== 'string' ||
        b['app'] === '' ||
        typeof b['outdir'] !== 'string' ||
        b['outdir'] === '' ||
        Object.keys(b).some((k) => k !== 'app' && k !== 'outdir'),
    )
  ) {
    throw new ConfigError(`${file}: kelos.bundles must be a list of {app: <module>, outdir: <directory>}`);
  }
  const health = kelos['argocdHealthChecks'];
  if (health !== undefined && (typeof health !== 'string' || health === '')) {
    throw new ConfigError(`${file}: kelos.argocdHealthChecks must be a directory`);
  }
  return {
    ...(typeof app === 'string' && { app }),
    runApp: runApp && typeof app === 'string',
    apps: apps as string[],
    ...(kelos['apps'] === undefined && { appsDefaulted: true }),
    outdir,
    ...(crds !== false && { crdsDir: crds as string }),
    ...(bundles.length > 0 && {
      bundles: bundles.map((b: Record<string, string>) => ({
        app: b['app'] as string,
        outdir: b['outdir'] as string,
      })),
    }),
    ...(typeof health === 'string' && { argocdHealthChecksDir: health }),
    ...(preview !== false && { previewDir: preview === true ? DEFAULT_PREVIEW_DIR : preview }),
  };
};

/**
 * Reads `cdk8s.yaml` from `root`; a missing file means the defaults.
 *
 * @throws ConfigError when the file exists but cannot be used.
 */
export const loadConfig = async (root: string): Promise<SynthConfig> => {
  const file = join(root, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...DEFAULT_CONFIG, fileMissing: true };
    throw new ConfigError(`${CONFIG_FILE}: cannot read: ${(err as Error).message}`);
  }
  return parseConfig(text);
};
