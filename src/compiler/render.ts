/**
 * Pure rendering of synth output: canonical key order, YAML text, stable file names, one
 * directory per app with a `kustomization.yaml`, and the CRD directory. Nothing here
 * touches the disk; the whole output exists in memory before anything is written.
 *
 * @packageDocumentation
 */
import { posix } from 'node:path';
import { stringify } from 'yaml';
import type { PropSource } from '../../constructs/prop-sources.ts';
import type { CheckedFindings } from '../validate/index.ts';
import type { AppObject, AppRun, IncludedFrom, SourceSite } from './app-run.ts';
import { emitTrackedYaml, emitYaml, type PositionTable, YAML_OPTIONS } from './emit-yaml.ts';

/** One file of the output, by its path relative to the project root (POSIX separators). */
export interface OutputFile {
  readonly path: string;
  readonly content: string;
}

/** One rendered object with everything diagnostics need to point back at it. */
export interface SynthObject {
  /** App it belongs to. */
  readonly app: string;
  /** The object in canonical key order. */
  readonly object: Record<string, unknown>;
  /** Output file it is written to, relative to the project root. */
  readonly file: string;
  /** Construct path in the app, when the app was a cdk8s app that said. */
  readonly constructPath?: string;
  /** The line of the app that created it, when known. */
  readonly site?: SourceSite;
  /** Which prop of the pattern called at `site` each field comes from (see {@link AppObject}). */
  readonly propSources?: readonly PropSource[];
  /** The YAML file a cdk8s `Include` read it from, when it read a file of the project. */
  readonly included?: IncludedFrom;
  /** What the construct that made it already checked on its spec (see {@link AppObject}). */
  readonly checked?: CheckedFindings;
  /** Its construct refused its props (see {@link AppObject}). */
  readonly refused?: true;
}

/** One rendered app. */
export interface RenderedApp {
  readonly name: string;
  readonly source: string;
  /** Output directory of the app, relative to the project root. */
  readonly dir: string;
  readonly objects: readonly SynthObject[];
  readonly files: readonly OutputFile[];
}

const TOP_KEYS = ['apiVersion', 'kind', 'metadata'];

const sortDeep = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortDeep(v);
  }
  return out;
};

/**
 * Whether `value` is JSON data whose every object is plain, has its keys in code-point order
 * and no `undefined` member: what {@link sortDeep} would copy into the same shape.
 */
const isSortedDeep = (value: unknown): boolean => {
  if (Array.isArray(value)) {
    for (const item of value) if (!isSortedDeep(item)) return false;
    return true;
  }
  if (value === null || typeof value !== 'object') return true;
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  let previous: string | undefined;
  for (const key of Object.keys(value)) {
    // A copy would set the prototype instead of the key.
    if (key === '__proto__' || (previous !== undefined && !(previous < key))) return false;
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined || !isSortedDeep(v)) return false;
    previous = key;
  }
  return true;
};

/** Whether an object is already canonical (see {@link canonicalize}). */
const isCanonical = (object: Record<string, unknown>): boolean => {
  const keys = Object.keys(object);
  let i = 0;
  for (const top of TOP_KEYS) if (keys[i] === top) i += 1;
  let previous: string | undefined;
  for (const key of keys.slice(i)) {
    if (TOP_KEYS.includes(key) || key === '__proto__' || (previous !== undefined && !(previous < key))) {
      return false;
    }
    previous = key;
  }
  for (const key of keys) {
    const v = object[key];
    if (v === undefined || !isSortedDeep(v)) return false;
  }
  return Object.getPrototypeOf(object) === Object.prototype;
};

/**
 * The canonical form of an object: `apiVersion`, `kind`, `metadata` first, then every
 * other key, and every nested key, in code-point order; `undefined` members dropped.
 * This is cdk8s's own order, applied again so objects from any source come out the same.
 * An object that already is canonical (as cdk8s renders them) is returned as it is.
 */
export const canonicalize = (object: Record<string, unknown>): Record<string, unknown> => {
  if (isCanonical(object)) return object;
  const sorted = sortDeep(object) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of [...TOP_KEYS, ...Object.keys(sorted)]) {
    if (key in sorted && !(key in out)) out[key] = sorted[key];
  }
  return out;
};

/**
 * YAML text of a value. YAML 1.1 quoting, so `yes`, `on` or `0755` stay strings for
 * kubectl's parser too; no line folding and no anchors, so the text is stable and greppable.
 * Written by the fast writer when it covers the value, else by the `yaml` library; the
 * bytes are the same either way.
 */
export const toYaml = (value: unknown): string => emitYaml(value) ?? stringify(value, YAML_OPTIONS);

/** What {@link renderApp} keeps of each object it rendered. */
export interface Rendering {
  /** The object's YAML, without the file header. */
  readonly yaml: string;
  /**
   * Where the writer put each member and item of the object, by lines of {@link yaml};
   * absent when the `yaml` library wrote it.
   */
  readonly positions?: PositionTable;
  /** Line of the output file where {@link yaml} starts. */
  readonly firstLine: number;
}

/** Renderings by the objects of rendered apps, so neither validation nor `--stdout` renders again. */
const renderings = new WeakMap<SynthObject, Rendering>();

/** The rendering {@link renderApp} made of one of its objects. */
export const renderingOf = (object: SynthObject): Rendering | undefined => renderings.get(object);

const lineCount = (text: string): number => {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n += 1;
  return n;
};

/** An object of an app in canonical form with its YAML, which need no other object to render. */
export interface Prerendered {
  /** The canonical form (see {@link canonicalize}). */
  readonly object: Record<string, unknown>;
  readonly yaml: string;
  readonly positions?: PositionTable;
}

/**
 * Renders one object as an app's object as {@link renderApp} would: synth does it for each
 * object as the app runner sends it, while the runner renders the next ones.
 */
export const prerender = (object: Record<string, unknown>): Prerendered => {
  const canonical = canonicalize(object);
  const tracked = emitTrackedYaml(canonical);
  return {
    object: canonical,
    yaml: tracked?.text ?? stringify(canonical, YAML_OPTIONS),
    ...(tracked && { positions: tracked.positions }),
  };
};

/** The comment every generated file starts with. */
export const header = (source: string): string => `# Generated by kelos synth from ${source}. Do not edit.\n`;

const metadataOf = (o: Record<string, unknown>) =>
  (o['metadata'] ?? {}) as { name?: unknown; namespace?: unknown };

/** Characters allowed in a file name segment; anything else becomes `-`. */
const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '-');

/**
 * File names of an app's objects, in input order: `<kind>-<name>.yaml` in lowercase, with
 * the namespace added (`<kind>-<namespace>-<name>.yaml`) only for names that would collide.
 */
export const objectFileNames = (objects: readonly Record<string, unknown>[]): string[] => {
  const base = (o: Record<string, unknown>) =>
    `${safe(String(o['kind'] ?? 'object')).toLowerCase()}-${safe(String(metadataOf(o).name ?? 'unnamed'))}`;
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(base(o), (counts.get(base(o)) ?? 0) + 1);
  const used = new Map<string, number>();
  return objects.map((o) => {
    let name = base(o);
    if ((counts.get(name) ?? 0) > 1) {
      const ns = metadataOf(o).namespace;
      name = `${safe(String(o['kind'] ?? 'object')).toLowerCase()}-${typeof ns === 'string' && ns ? `${safe(ns)}-` : ''}${safe(String(metadataOf(o).name ?? 'unnamed'))}`;
    }
    // Exact duplicates (same kind, namespace and name) are reported by the validator; they
    // still need distinct files so that the report can point at both.
    const n = (used.get(name) ?? 0) + 1;
    used.set(name, n);
    return `${n > 1 ? `${name}-${n}` : name}.yaml`;
  });
};

/** The `kustomization.yaml` listing `resources` in sorted order. */
export const kustomization = (resources: readonly string[], source: string): string =>
  header(source) +
  toYaml({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [...resources].sort(),
  });

/**
 * Renders one app into `<outdir>/<app>/`: one file per object and a kustomization.
 *
 * @param outdir Output directory of all apps, relative to the project root.
 * @param prerendered What {@link prerender} made of the run's objects already, by object.
 */
export const renderApp = (
  run: AppRun,
  outdir: string,
  prerendered?: ReadonlyMap<object, Prerendered>,
): RenderedApp => {
  const dir = posix.join(outdir, run.name);
  const rendered = run.objects.map((o) => prerendered?.get(o.object) ?? prerender(o.object));
  const names = objectFileNames(rendered.map((r) => r.object));
  const head = header(run.source);
  const firstLine = lineCount(head) + 1;
  const files: OutputFile[] = [];
  const objects = run.objects.map((o, i): SynthObject => {
    const { object, yaml, positions } = rendered[i] as Prerendered;
    const synthObject: SynthObject = {
      app: run.name,
      object,
      file: posix.join(dir, names[i] as string),
      ...(o.constructPath !== undefined && { constructPath: o.constructPath }),
      ...(o.site !== undefined && { site: o.site }),
      ...(o.propSources !== undefined && { propSources: o.propSources }),
      ...(o.included !== undefined && { included: o.included }),
      ...(o.checked !== undefined && { checked: o.checked }),
      ...(o.refused && { refused: o.refused }),
    };
    renderings.set(synthObject, { yaml, ...(positions && { positions }), firstLine });
    files.push({ path: synthObject.file, content: head + yaml });
    return synthObject;
  });
  files.push({ path: posix.join(dir, 'kustomization.yaml'), content: kustomization(names, run.source) });
  return { name: run.name, source: run.source, dir, objects, files: sortFiles(files) };
};

/**
 * Renders CRDs into `dir`: one `<group>_<plural>.yaml` each, and a kustomization. CRDs keep
 * the generator's key order (it is fixed by the code, and reads in the order of the API
 * files: names, then schema), rather than the sorted order of objects.
 *
 * @param fileName maps a CRD to its file name.
 */
export const renderCrds = <T extends object>(
  crds: readonly T[],
  dir: string,
  fileName: (crd: T) => string,
  source: string,
): OutputFile[] => {
  const names = crds.map(fileName);
  const files: OutputFile[] = crds.map((crd, i) => ({
    path: posix.join(dir, names[i] as string),
    content: header(source) + toYaml(crd),
  }));
  files.push({ path: posix.join(dir, 'kustomization.yaml'), content: kustomization(names, source) });
  return sortFiles(files);
};

/** Files sorted by path, so every listing and every write happens in one order. */
export const sortFiles = (files: readonly OutputFile[]): OutputFile[] =>
  [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

/**
 * All objects as one multi-document YAML stream, each preceded by a `# Source:` comment.
 * Objects {@link renderApp} rendered are not rendered again.
 */
export const toYamlStream = (objects: readonly SynthObject[]): string =>
  objects.map((o) => `---\n# Source: ${o.file}\n${renderingOf(o)?.yaml ?? toYaml(o.object)}`).join('');
