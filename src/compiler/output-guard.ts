/**
 * Where synth may write. Synth replaces and removes what it wrote in its output directories, so
 * an output directory must hold generated files only: a setting that points one at the project
 * root, outside the project, or at a directory of sources would put the user's files in reach
 * of every run (`outdir: apps` once deleted the apps' own `main.ts`). The record of written
 * files (output.ts) already keeps synth from removing what it did not write; this check refuses
 * such settings before anything runs, so the mistake is named instead of worked around.
 *
 * @packageDocumentation
 */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { CONFIG_FILE, ConfigError, DEFAULT_CONFIG, DEFAULT_PREVIEW_DIR, type SynthConfig } from './config.ts';

/** The policy file next to `cdk8s.yaml` (the policy module's default name). */
const POLICY_FILE = 'kelos.policy.yaml';

/** Names that mark a project, or a part of one, rather than generated output. */
const PROJECT_MARKERS = new Set([CONFIG_FILE, POLICY_FILE, 'package.json', 'node_modules', '.git']);

/** Extensions of code an app can import; synth never writes any. */
const SOURCE_EXTENSION = /\.(?:[cm]?[jt]s|[jt]sx)$/;

/** One output directory and the setting that chose it. */
export interface OutputDir {
  /** The setting, as a user would look for it: `kelos.outdir`, `kelos.bundles[0].outdir`, … */
  readonly setting: string;
  /** Directory relative to the project root, as configured. */
  readonly dir: string;
}

/**
 * The output directories of a run, each with its setting. The preview directory is listed only
 * when this run writes it (`kelos.preview`, or `--preview` as `preview`): with the preview off,
 * `kelos.outdir: dist`, cdk8s' own default, would put the default preview directory inside the
 * apps directory and refuse every run for a flag nobody gave.
 */
export const outputDirsOf = (config: SynthConfig, preview = false): OutputDir[] => [
  { setting: `${CONFIG_FILE} kelos.outdir`, dir: config.outdir },
  ...(config.crdsDir ? [{ setting: `${CONFIG_FILE} kelos.crds`, dir: config.crdsDir }] : []),
  ...(config.bundles ?? []).map((b, i) => ({
    setting: `${CONFIG_FILE} kelos.bundles[${i}].outdir`,
    dir: b.outdir,
  })),
  ...(config.argocdHealthChecksDir
    ? [{ setting: `${CONFIG_FILE} kelos.argocdHealthChecks`, dir: config.argocdHealthChecksDir }]
    : []),
  ...(config.previewDir
    ? [{ setting: `${CONFIG_FILE} kelos.preview`, dir: config.previewDir }]
    : preview
      ? [
          {
            setting: `--preview (writes ${DEFAULT_PREVIEW_DIR}; kelos.preview in ${CONFIG_FILE} names another directory)`,
            dir: DEFAULT_PREVIEW_DIR,
          },
        ]
      : []),
];

const toPosix = (p: string): string => p.split(sep).join(posix.sep);

/** Whether `path` is `dir` or below it (POSIX, relative to the root, `.` for the root). */
const within = (path: string, dir: string): boolean =>
  dir === '.' || path === dir || path.startsWith(`${dir}/`);

/**
 * The first file or directory under `dir` (absolute) that marks sources or a project, without
 * following symbolic links; `undefined` when there is none or `dir` does not exist.
 */
const firstSourceUnder = async (dir: string): Promise<string | undefined> => {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (PROJECT_MARKERS.has(e.name) || (e.isFile() && SOURCE_EXTENSION.test(e.name)))
      return join(dir, e.name);
  }
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const found = await firstSourceUnder(join(dir, e.name));
    if (found) return found;
  }
  return undefined;
};

/**
 * Refuses output directories synth must not own: the project root, anything outside the
 * project or inside `node_modules` or `.git`, a directory that holds an app's source (or is
 * inside the directory of one), and a directory that already holds code, a `package.json`,
 * `cdk8s.yaml`, `kelos.policy.yaml`, `node_modules` or `.git`; and, since every directory under
 * `kelos.outdir` is an app, any other output directory inside it or around it.
 *
 * @param dirs The output directories, `kelos.outdir` first ({@link outputDirsOf}).
 * @param sources The app modules synth runs, relative to `root` (module apps and bundles).
 * @throws ConfigError naming the setting, the directory, what is in the way and what is expected.
 */
export const checkOutputDirs = async (
  root: string,
  dirs: readonly OutputDir[],
  sources: readonly string[],
): Promise<void> => {
  const expected =
    'kelos synth replaces and removes the files it writes there, so each output directory must be one of its own for generated manifests, inside the project and apart from the sources (such as dist/apps)';
  const refuse = (d: OutputDir, why: string) =>
    new ConfigError(`${d.setting} is "${d.dir}", which ${why}; ${expected}`);
  const apps = sources.map((s) => posix.normalize(toPosix(s)));
  for (const d of dirs) {
    const abs = resolve(root, d.dir);
    const rel = relative(root, abs);
    if (rel === '') throw refuse(d, 'is the project root');
    if (rel.startsWith('..') || isAbsolute(rel)) throw refuse(d, 'is outside the project');
    const path = toPosix(rel);
    const marker = path.split('/').find((s) => s === 'node_modules' || s === '.git');
    if (marker) throw refuse(d, `is inside ${marker}`);
    const inside = apps.find((a) => within(a, path));
    if (inside) throw refuse(d, `holds the app source ${inside}`);
    const around = apps.find((a) => posix.dirname(a) !== '.' && within(path, posix.dirname(a)));
    if (around)
      throw refuse(d, `is inside ${posix.dirname(around)}, the directory of the app source ${around}`);
    const found = await firstSourceUnder(abs);
    if (found) throw refuse(d, `holds ${toPosix(relative(root, found))}, which synth never writes`);
  }
  // Each directory under kelos.outdir is one app (one Argo CD Application from the
  // ApplicationSet's `<outdir>/*`): another output there would be synced as an app too.
  const [appsDir, ...others] = dirs;
  if (!appsDir) return;
  const posixOf = (d: OutputDir) => toPosix(relative(root, resolve(root, d.dir)));
  for (const o of others) {
    if (within(posixOf(o), posixOf(appsDir))) {
      // cdk8s' own default outdir is dist, where kelos' default CRD directory lies: name the way out.
      const way = `${o.setting === `${CONFIG_FILE} kelos.crds` && o.dir === DEFAULT_CONFIG.crdsDir ? ` (kelos.crds defaults to ${DEFAULT_CONFIG.crdsDir})` : ''}; set it outside, or set ${appsDir.setting} to a directory of its own such as dist/apps`;
      throw refuse(o, `is inside ${appsDir.setting} "${appsDir.dir}", where every directory is an app${way}`);
    }
    if (within(posixOf(appsDir), posixOf(o)))
      throw refuse(appsDir, `is inside ${o.setting} "${o.dir}", another output directory`);
  }
};
