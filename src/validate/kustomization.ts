/**
 * GitOps trees: directories of kustomizations, read the way Argo CD deploys them. A
 * kustomization file is never an object; each kustomization root (one not used as a resource by
 * another kustomization in the tree, which is what an Argo CD Application syncs) is its own
 * bundle, and its `resources` (files and directories, recursively) and `namespace` decide what
 * is in it. Manifests outside every kustomization are bundled as the Argo CD objects of the run
 * sync them, a bundle per app directory (see {@link byArgoCdApp}); those none syncs form one more.
 *
 * Only `resources` (and its deprecated alias `bases`) and `namespace` are evaluated. Every other
 * kustomize feature (patches, name prefixes and suffixes, labels, generators, components,
 * remote bases …) is reported where it is written as not evaluated, with the objects checked as
 * written, so a user's tree is never silently misread. A listed file outside the kustomization's
 * directory is an error, as kustomize's default load restrictor refuses it; its objects are
 * still checked. An item listed twice is an error, as kustomize refuses its objects again; it is
 * read once.
 *
 * Written here rather than by running kustomize: kustomize is a Go binary users may not have,
 * and the two fields that decide what a bundle holds are a small, stable part of its format.
 *
 * @packageDocumentation
 */
import { readdirSync, realpathSync, type Stats, statSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { isClusterScoped } from '../api/cluster-scoped.ts';
import {
  appDirectoryOf,
  argocdUnevaluatedPathDiagnostics,
  argocdUnmatchedPatternDiagnostics,
  argoSyncs,
  BUNDLES_UNEVALUATED,
  pathsOf,
  repositoryPath,
  repositoryRoot,
  resolvedNamespace,
  type SyncedPath,
  syncsFile,
} from './argocd-paths.ts';
import {
  type Diagnostic,
  escapePointer,
  formatLocation,
  type ResourceRef,
  type SourceLocation,
} from './diagnostic.ts';
import { type LoadedDocument, parseManifests, resourceOf, sourceAt, unreadFiles } from './load.ts';
import { loadManifestPaths, manifestFiles, readManifestText } from './manifest-files.ts';
import { yamlSyntaxFindings } from './yaml-errors.ts';

/** File names kustomize accepts for a kustomization, in its order of preference. */
export const KUSTOMIZATION_FILES: readonly string[] = [
  'kustomization.yaml',
  'kustomization.yml',
  'Kustomization',
];

/** Kustomization keys that decide what a bundle holds; every other key is reported as not evaluated. */
const EVALUATED_KEYS = new Set(['apiVersion', 'kind', 'metadata', 'resources', 'bases', 'namespace']);

const statOrUndefined = (path: string): Stats | undefined => {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
};

/** Objects deployed together: one kustomization root, or the manifests outside every kustomization. */
export interface Bundle {
  /** The kustomization root's directory as given (`dist/examples/app`), or `''` for loose manifests. */
  readonly name: string;
  readonly documents: LoadedDocument[];
  /**
   * Files of the bundle whose text did not parse (see {@link unreadFiles}): an object a
   * reference names may be in one of them.
   */
  readonly unread?: readonly string[];
  /**
   * Loose manifests an Argo CD Application syncs as one app from `name`, its directory (see
   * {@link byArgoCdApp}): who syncs it (`Argo CD ApplicationSet "examples"`). Absent for a
   * kustomization root and for the manifests no Argo CD object of the run syncs.
   */
  readonly syncedBy?: readonly string[];
  /**
   * The Argo CD destination namespace of the app cannot be told offline (a template parameter
   * or function left unresolved): its objects that name no namespace are not read as landing in
   * `default` when compared with other bundles' (see {@link conflictsAcrossBundles}).
   */
  readonly namespaceUnknown?: boolean;
  /**
   * The destination namespaces of the Argo CD apps that sync the directory, when they are more
   * than one (a git directory generator and a list generator over the same directories): its
   * objects that name no namespace land in each (`undefined`: an app that names none, read as
   * the run's namespace; `null`: one that cannot be told offline). Left as written in
   * `documents`, they are compared with other bundles' in each (see {@link conflictsAcrossBundles}).
   */
  readonly destinations?: readonly (string | undefined | null)[];
  /**
   * Objects in the app's directories that its directory source's `include` or `exclude` leaves
   * out, each with why (`Argo CD Application "team" leaves team/a-secret.yaml out by its
   * directory.exclude`): a reference to one is told so rather than only that it is not here.
   */
  readonly leftOut?: ReadonlyArray<{ readonly object: Record<string, unknown>; readonly why: string }>;
}

/** What {@link loadBundles} read. */
export interface BundleLoad {
  readonly bundles: Bundle[];
  /** Parse errors, kustomization problems and features not evaluated. */
  readonly diagnostics: Diagnostic[];
  /** Manifest and kustomization files read, in order (`-` for standard input). */
  readonly files: string[];
}

/** A remote base: a URL or a `host/org/repo` git reference, which kustomize fetches. */
const isRemote = (resource: string): boolean =>
  /^[a-z][a-z0-9+.-]*:\/\//i.test(resource) ||
  resource.startsWith('git@') ||
  /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(resource) ||
  resource.includes('?ref=');

interface Kustomization {
  /** Directory, as given. */
  readonly dir: string;
  readonly file: string;
  readonly namespace?: string;
  readonly resources: ReadonlyArray<{
    readonly path: string;
    /** The item's JSON pointer in the kustomization (`/resources/2`), for findings about it. */
    readonly pointer: string;
    readonly line: number;
    readonly column: number;
  }>;
  readonly diagnostics: Diagnostic[];
  /** It could not be read (a YAML error, not a mapping): what it lists is unknown. */
  readonly unreadable?: true;
}

/**
 * How a finding names the kustomization it is about: by its file (`k/kustomization.yaml`), since
 * a kustomization rarely has a `metadata.name` and is no object of the cluster; the file tells
 * one root from another where `<unnamed>` told nothing.
 */
const kustomizationResource = (file: string): ResourceRef => ({ kind: 'Kustomization', name: file });

/** Reads and checks one kustomization file; what it cannot evaluate becomes a warning. */
function parseKustomization(text: string, dir: string, file: string): Kustomization {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (node: unknown) => {
    const offset = (node as { range?: [number, number, number] } | undefined)?.range?.[0] ?? 0;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const diagnostics: Diagnostic[] = [];
  const problem = (
    severity: Diagnostic['severity'],
    code: string,
    path: string,
    message: string,
    node: unknown,
  ) =>
    diagnostics.push({
      severity,
      code,
      path,
      message,
      resource: kustomizationResource(file),
      source: { file, ...at(node) },
    });
  if (doc.errors.length > 0) {
    for (const { offset, ...finding } of yamlSyntaxFindings(doc.errors, 'kustomization', text)) {
      const { line, col } = lineCounter.linePos(offset);
      diagnostics.push({ ...finding, source: { file, line, column: col } });
    }
    return { dir, file, resources: [], diagnostics, unreadable: true };
  }
  const root = doc.contents as YamlNode | null;
  if (!isMap(root)) {
    if (root !== null) problem('error', 'kustomize/invalid', '', 'a kustomization must be a mapping', root);
    return { dir, file, resources: [], diagnostics, ...(root !== null && { unreadable: true as const }) };
  }
  const resources: Array<{ path: string; pointer: string; line: number; column: number }> = [];
  let namespace: string | undefined;
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key === 'resources' || key === 'bases') {
      if (!isSeq(pair.value)) {
        if (pair.value !== null)
          problem('error', 'kustomize/invalid', `/${key}`, `${key} must be a list of paths`, pair.value);
        continue;
      }
      for (const [i, item] of pair.value.items.entries()) {
        if (!isScalar(item) || typeof item.value !== 'string' || item.value === '') {
          problem('error', 'kustomize/invalid', `/${key}/${i}`, `${key}[${i}] must be a path`, item);
          continue;
        }
        resources.push({ path: item.value, pointer: `/${key}/${i}`, ...at(item) });
      }
    } else if (key === 'namespace') {
      if (isScalar(pair.value) && typeof pair.value.value === 'string' && pair.value.value !== '')
        namespace = pair.value.value;
      else
        problem(
          'error',
          'kustomize/invalid',
          '/namespace',
          'namespace must be a non-empty string',
          pair.value,
        );
    } else if (!EVALUATED_KEYS.has(key)) {
      problem(
        'warning',
        'kustomize/not-evaluated',
        `/${key}`,
        `${key} is not evaluated by kelos; the objects of this kustomization are checked as written, before ${key} applies`,
        pair.key,
      );
    }
  }
  return { dir, file, resources, diagnostics, ...(namespace !== undefined && { namespace }) };
}

interface Tree {
  /** Directories holding a kustomization file, with that file. */
  readonly kustomizations: Map<string, string>;
  /** Manifest files, sorted by path. */
  readonly manifests: string[];
  /** Symbolic links that were not followed, each reported. */
  readonly skipped: Diagnostic[];
}

/**
 * Sorts the manifest files under `dir` into kustomizations and plain manifests. The listing
 * (and its symbolic-link rules: followed inside the tree the user named, reported when they
 * lead out of it) is the one `kelos validate` uses for any directory.
 */
async function walk(dir: string, cwd: string): Promise<Tree> {
  const listing = await manifestFiles(dir, cwd, await realpath(resolve(cwd, dir)), new Set());
  const kustomizations = new Map<string, string>();
  const byDir = new Map<string, Set<string>>();
  for (const file of listing.files) {
    const names = byDir.get(dirname(file)) ?? new Set<string>();
    names.add(basename(file));
    byDir.set(dirname(file), names);
  }
  const skipped = [...listing.skipped];
  for (const [d, names] of byDir) {
    // `Kustomization` has no manifest extension, so the listing does not show it.
    if (statOrUndefined(resolve(cwd, d, 'Kustomization'))?.isFile()) names.add('Kustomization');
    const found = KUSTOMIZATION_FILES.filter((f) => names.has(f));
    if (found.length === 0) continue;
    kustomizations.set(d, join(d, found[0]!));
    if (found.length > 1) {
      skipped.push({
        severity: 'error',
        code: 'kustomize/multiple-files',
        message: `${d} holds ${found.length} kustomization files (${found.join(', ')}): kustomize refuses to build it; ${found[0]} is read, the others are neither read nor checked as manifests`,
        path: '',
        source: { file: join(d, found[1]!) },
        hint: `keep one of ${found.join(', ')}`,
      });
    }
  }
  const manifests = listing.files.filter(
    (f) => !(kustomizations.has(dirname(f)) && KUSTOMIZATION_FILES.includes(basename(f))),
  );
  return { kustomizations, manifests, skipped };
}

const kustomizationFileIn = async (dir: string, cwd: string): Promise<string | undefined> => {
  for (const name of KUSTOMIZATION_FILES) {
    const info = await stat(resolve(cwd, dir, name)).catch(() => undefined);
    if (info?.isFile()) return join(dir, name);
  }
  return undefined;
};

/** Sets `namespace` on a namespaced object, as kustomize's namespace transformer does. */
const withNamespace = (doc: LoadedDocument, namespace: string | undefined): LoadedDocument => {
  if (namespace === undefined || isClusterScoped(doc.object['kind'])) return doc;
  const metadata = (doc.object['metadata'] ?? {}) as Record<string, unknown>;
  if (metadata['namespace'] === namespace) return doc;
  return { ...doc, object: { ...doc.object, metadata: { ...metadata, namespace } } };
};

/** Sets `namespace` on a namespaced object that names none, as Argo CD's destination does. */
const inDestination = (doc: LoadedDocument, namespace: string | undefined): LoadedDocument => {
  const metadata = doc.object['metadata'];
  if (
    namespace === undefined ||
    isClusterScoped(doc.object['kind']) ||
    doc.object['kind'] === 'KelosConfig' ||
    (metadata !== undefined && (typeof metadata !== 'object' || metadata === null)) ||
    (metadata as Record<string, unknown> | undefined)?.['namespace']
  )
    return doc;
  return { ...doc, object: { ...doc.object, metadata: { ...(metadata as object | undefined), namespace } } };
};

/**
 * Manifests outside every kustomization, as the Argo CD objects of the run deploy them (`syncs`):
 * a bundle per app directory that syncs some (an Application's path, the directories below it
 * too when its directory source recurses; a directory an ApplicationSet's git directory generator
 * generates an Application for), named by that directory as the paths given name it, its objects
 * that name no namespace in its destination namespace, and one bundle (named `''`) of those no
 * Argo CD object syncs. A file two apps sync is in both.
 *
 * Argo CD's paths are relative to the repository root: the nearest directory above with a `.git`
 * (see {@link repositoryPath}), or the working directory `cwd` outside a repository; a path
 * must name the directory whole. Only paths are compared, not `repoURL`.
 *
 * @param unread Files whose text did not parse: each stays with the bundle its directory is in.
 */
/**
 * The infos for the ApplicationSets among `objects` whose directory patterns match no directory
 * of the loose manifests read (see {@link argocdUnmatchedPatternDiagnostics}), naming the
 * directory the patterns were read relative to: the repository's root, else the working one.
 */
const unmatchedPatterns = (
  objects: readonly LoadedDocument[],
  documents: readonly LoadedDocument[],
  cwd: string,
): Diagnostic[] => {
  const roots = new Map<string, string | undefined>();
  const dirs = [
    ...new Set(
      documents.filter((d) => d.file !== '-').map((d) => repositoryPath(dirname(d.file), cwd, roots)),
    ),
  ].filter((d) => !d.startsWith('../'));
  if (dirs.length === 0) return [];
  const root = repositoryRoot(resolve(cwd, dirname(documents.find((d) => d.file !== '-')!.file)), roots);
  const readFrom =
    root === undefined
      ? `the working directory ${cwd}, as no git repository holds the files`
      : `the root of the git repository ${relative(cwd, root) || '.'}`;
  // A pattern that names directories of the repository other than the paths read (an
  // ApplicationSet beside them over dist/apps/*) is read right: it just syncs something else.
  const base = root ?? cwd;
  const onDisk = objects.flatMap((o) =>
    o.object['kind'] === 'ApplicationSet'
      ? pathsOf(o.object).flatMap((p) => (p.apps ? directoriesMatching(p, base) : []))
      : [],
  );
  return argocdUnmatchedPatternDiagnostics(objects, [...dirs, ...onDisk], readFrom, (o, pointer) =>
    o.locate(pointer),
  );
};

/** Directories listed at most while expanding one pattern: a bound on a repository of many. */
const PATTERN_LISTING_LIMIT = 2000;

/**
 * The first directory under `root` that the git directory pattern of `sync` generates an app
 * for, as a one-element list (or none): its literal segments followed, each wildcard segment
 * listed (not hidden directories, not `node_modules`), at most {@link PATTERN_LISTING_LIMIT}.
 */
const directoriesMatching = (sync: SyncedPath, root: string): string[] => {
  let level = [''];
  let listed = 0;
  for (const segment of sync.path
    .replace(/^\.?\/+/, '')
    .split('/')
    .filter((s) => s !== '')) {
    const next: string[] = [];
    for (const dir of level) {
      if (!/[*?[{\\]/.test(segment)) {
        const candidate = dir === '' ? segment : `${dir}/${segment}`;
        if (statSync(join(root, candidate), { throwIfNoEntry: false })?.isDirectory()) next.push(candidate);
        continue;
      }
      let entries: string[];
      try {
        entries = readdirSync(join(root, dir), { withFileTypes: true })
          .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
          .map((e) => (dir === '' ? e.name : `${dir}/${e.name}`));
      } catch {
        continue;
      }
      listed += entries.length;
      if (listed > PATTERN_LISTING_LIMIT) return [];
      next.push(...entries);
    }
    level = next;
  }
  const found = level.find((d) => d !== '' && appDirectoryOf(sync, d, true) !== undefined);
  return found === undefined ? [] : [found];
};

export function byArgoCdApp(
  documents: readonly LoadedDocument[],
  unread: readonly string[],
  syncs: ReadonlyArray<SyncedPath & { readonly by: string }>,
  cwd: string,
): Bundle[] {
  if (syncs.length === 0)
    return [{ name: '', documents: [...documents], ...(unread.length > 0 && { unread: [...unread] }) }];
  const roots = new Map<string, string | undefined>();
  type App = {
    name: string;
    by: string;
    namespace: string | undefined;
    /** Its destination names a namespace that cannot be told offline. */
    unresolved: boolean;
    /** The app's directory, absolute; the sync whose file globs decide which files it reads. */
    abs: string;
    sync: SyncedPath;
  };
  const appsOfDir = new Map<string, App[]>();
  /**
   * The apps that sync `file`: each by its directory's name, who syncs it and its destination
   * namespace (`undefined` when it names none, or one of parameters that cannot be told); its
   * directory source's `include` and `exclude` decide whether it reads the file.
   */
  const appsOf = (file: string): App[] =>
    file === '-'
      ? []
      : appsOfDirectory(dirname(file))
          .filter((a) => syncsFile(a.sync, relative(a.abs, resolve(cwd, file)).split(sep).join('/')))
          // Two Argo CD objects syncing one directory: one bundle, both named.
          .filter((a, i, all) => all.findIndex((b) => b.name === a.name && b.by === a.by) === i);
  /** The apps that sync directory `local`, whatever the files in it; see {@link appsOf}. */
  const appsOfDirectory = (local: string): App[] => {
    const known = appsOfDir.get(local);
    if (known) return known;
    const dir = repositoryPath(local, cwd, roots);
    const segments = (d: string) => (d === '.' ? 0 : d.split('/').length);
    const apps = dir.startsWith('../')
      ? []
      : syncs.flatMap((s) => {
          const app = appDirectoryOf(s, dir, true);
          if (app === undefined) return [];
          const abs = resolve(cwd, local, ...Array<string>(segments(dir) - segments(app)).fill('..'));
          const namespace =
            s.destination.namespace === undefined
              ? undefined
              : resolvedNamespace(s.destination.namespace, app, s.parameters);
          return [
            {
              name: isAbsolute(local) ? abs : relative(cwd, abs) || '.',
              by: s.by,
              namespace,
              unresolved: s.destination.namespace !== undefined && namespace === undefined,
              abs,
              sync: s,
            },
          ];
        });
    appsOfDir.set(local, apps);
    return apps;
  };
  const apps = new Map<
    string,
    {
      documents: LoadedDocument[];
      unread: string[];
      by: Set<string>;
      namespaces: Set<string | undefined | null>;
      unresolved: boolean;
    }
  >();
  const outside: { documents: LoadedDocument[]; unread: string[] } = { documents: [], unread: [] };
  /** The bundles `file` goes to: its apps', else the one outside. */
  const homes = (file: string) => {
    const found = appsOf(file);
    if (found.length === 0) return [outside];
    for (const { name, by, namespace, unresolved } of found) {
      const app = apps.get(name) ?? {
        documents: [],
        unread: [],
        by: new Set<string>(),
        namespaces: new Set(),
        unresolved: false,
      };
      apps.set(name, app);
      app.by.add(by);
      app.namespaces.add(unresolved ? null : namespace);
      app.unresolved ||= unresolved;
    }
    return [...new Set(found.map(({ name }) => apps.get(name)!))];
  };
  for (const doc of documents) for (const home of homes(doc.file)) home.documents.push(doc);
  // What an app's globs leave out of its own directory stays loose; its bundle remembers why.
  const leftOut = new Map<string, Array<{ object: Record<string, unknown>; why: string }>>();
  for (const doc of documents) {
    if (doc.file === '-' || appsOf(doc.file).length > 0) continue;
    for (const a of appsOfDirectory(dirname(doc.file))) {
      const globs = Object.entries(a.sync.files ?? {})
        .map(([k, v]) => `directory.${k} '${v}'`)
        .join(' and ');
      const list = leftOut.get(a.name) ?? [];
      leftOut.set(a.name, list);
      list.push({ object: doc.object, why: `${a.by} leaves ${doc.file} out by its ${globs}` });
    }
  }
  for (const file of unread) for (const home of homes(file)) home.unread.push(file);
  const out: Bundle[] = [...apps.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, app]) => ({
      name,
      // Argo CD puts an object that names no namespace in its destination's; two Argo CD objects
      // that sync the directory into two namespaces leave it as written.
      documents:
        app.namespaces.size === 1
          ? app.documents.map((d) => inDestination(d, [...app.namespaces][0] ?? undefined))
          : app.documents,
      ...(app.unread.length > 0 && { unread: app.unread }),
      ...(leftOut.has(name) && { leftOut: leftOut.get(name)! }),
      syncedBy: [...app.by],
      ...(app.namespaces.size === 1 && app.unresolved && { namespaceUnknown: true }),
      ...(app.namespaces.size > 1 && { destinations: [...app.namespaces] }),
    }));
  if (out.length === 0 || outside.documents.length > 0 || outside.unread.length > 0)
    out.push({
      name: '',
      documents: outside.documents,
      ...(outside.unread.length > 0 && { unread: outside.unread }),
    });
  return out;
}

/**
 * Loads files, directories and `-` as bundles. A directory is searched for kustomizations; a
 * kustomization file given by name makes its directory a root; other files, and manifests found
 * outside every kustomization, are bundled by the Argo CD app directory that syncs them, else
 * form the loose bundle.
 *
 * @param paths Paths as given by the user; they are used as-is in diagnostics.
 * @param argocd Argo CD objects read apart from `paths` (`--beside` them) that sync what they hold:
 *   they bundle the loose manifests as those among `paths` do.
 * @throws Error naming the path when a path does not exist or cannot be read.
 */
export async function loadBundles(
  paths: readonly string[],
  readStdin: () => Promise<string>,
  cwd: string = process.cwd(),
  argocd: readonly LoadedDocument[] = [],
): Promise<BundleLoad> {
  const diagnostics: Diagnostic[] = [];
  const files: string[] = [];
  const kustomizations = new Map<string, string>();
  const scanned: string[] = [];
  const loose: string[] = [];
  for (const path of paths) {
    if (path === '-') {
      loose.push(path);
      continue;
    }
    // Synchronous, as the manifest loader reads: thousands of paths, each a thread-pool round trip otherwise.
    const info = statOrUndefined(resolve(cwd, path));
    if (info?.isDirectory()) {
      const tree = await walk(path, cwd);
      for (const [dir, file] of tree.kustomizations) kustomizations.set(dir, file);
      scanned.push(...tree.manifests);
      diagnostics.push(...tree.skipped);
    } else if (info && KUSTOMIZATION_FILES.includes(basename(path))) {
      kustomizations.set(dirname(path), path);
    } else {
      // Missing paths and plain files: the manifest loader reads them and names what is wrong.
      loose.push(path);
    }
  }

  const parsed = new Map<string, Kustomization>();
  const readKustomization = async (dir: string, file: string): Promise<Kustomization> => {
    const key = resolve(cwd, dir);
    const known = parsed.get(key);
    if (known) return known;
    const k = parseKustomization(await readFile(resolve(cwd, file), 'utf8'), dir, file);
    parsed.set(key, k);
    files.push(file);
    diagnostics.push(...k.diagnostics);
    return k;
  };
  for (const [dir, file] of kustomizations) await readKustomization(dir, file);

  // A kustomization another one uses as a resource is part of that one's bundle, not a root.
  // One that lists its own directory is still a root: its build reports the cycle.
  const used = new Set<string>();
  for (const k of parsed.values()) {
    const self = resolve(cwd, k.dir);
    for (const r of k.resources) {
      const target = isRemote(r.path) ? self : resolve(self, r.path);
      if (target !== self) used.add(target);
    }
  }
  const roots = [...kustomizations.keys()].filter((dir) => !used.has(resolve(cwd, dir)));

  const claimed = new Set<string>();
  const manifestCache = new Map<string, { documents: LoadedDocument[]; unread: boolean }>();
  /** The documents of a file, and whether some of its text did not parse. */
  const readManifests = async (file: string): Promise<{ documents: LoadedDocument[]; unread: boolean }> => {
    const key = resolve(cwd, file);
    claimed.add(key);
    const known = manifestCache.get(key);
    if (known) return known;
    const result = parseManifests(readManifestText(key), file);
    const read = { documents: result.documents, unread: unreadFiles(result.diagnostics).length > 0 };
    manifestCache.set(key, read);
    files.push(file);
    diagnostics.push(...result.diagnostics);
    return read;
  };

  let realCwd: string | undefined;
  /**
   * The documents of the kustomization in `dir`, its namespace applied; `stack` guards cycles.
   * Files of it that did not parse are added to `unread`.
   */
  const build = async (
    k: Kustomization,
    stack: readonly string[],
    unread: Set<string>,
  ): Promise<LoadedDocument[]> => {
    const out: LoadedDocument[] = [];
    // kustomize's default load restrictor (LoadRestrictionsRootOnly, Argo CD's too) compares
    // paths with their symbolic links resolved.
    const root = await realpath(resolve(cwd, k.dir));
    // The items read, by real path: kustomize refuses one listed again (`ok.yaml`, `./ok.yaml`).
    // Only within one kustomization: a base two others list is refused only when its objects
    // come out the same both ways, which depends on transformers kelos does not evaluate.
    const listed = new Map<string, Kustomization['resources'][number]>();
    for (const r of k.resources) {
      const where = { file: k.file, line: r.line, column: r.column };
      const report = (severity: Diagnostic['severity'], code: string, message: string, hint?: string) =>
        diagnostics.push({
          severity,
          code,
          message,
          path: r.pointer,
          resource: kustomizationResource(k.file),
          source: where,
          ...(hint !== undefined && { hint }),
        });
      if (isRemote(r.path)) {
        report(
          'warning',
          'kustomize/not-evaluated',
          `remote resource ${r.path} is not fetched by kelos; its objects are not checked`,
        );
        continue;
      }
      const path = join(k.dir, r.path);
      const info = await stat(resolve(cwd, path)).catch(() => undefined);
      if (!info) {
        report(
          'error',
          'kustomize/missing-resource',
          `resource ${r.path} does not exist (looked for ${path})`,
        );
        continue;
      }
      // Synchronous: a thread-pool round trip per item made 5,000 listed files 0.17 s slower (now 0.08 s).
      const real = realpathSync.native(resolve(cwd, path));
      const first = listed.get(real);
      if (first) {
        // Listed, though read once: no "not listed" about it.
        claimed.add(resolve(cwd, path));
        const at = formatLocation({ file: k.file, line: first.line, column: first.column });
        report(
          'error',
          'kustomize/duplicate-resource',
          `resource ${r.path} is listed twice, first at ${at}${first.path === r.path ? '' : ` as ${first.path}`}: kustomize refuses to add its objects again (may not add resource with an already registered id); it is read once`,
          'remove one of the two items',
        );
        continue;
      }
      listed.set(real, r);
      if (info.isDirectory()) {
        const file = await kustomizationFileIn(path, cwd);
        if (!file) {
          report(
            'error',
            'kustomize/missing-resource',
            `resource ${r.path} is a directory without a kustomization file; kustomize cannot build it`,
          );
        } else if (stack.includes(resolve(cwd, path))) {
          report(
            'error',
            'kustomize/cycle',
            resolve(cwd, path) === resolve(cwd, k.dir)
              ? `resource ${r.path} is this kustomization's own directory: kustomize refuses the cycle`
              : `resource ${r.path} includes a kustomization that includes this one`,
          );
        } else {
          const child = await readKustomization(path, file);
          out.push(...(await build(child, [...stack, resolve(cwd, path)], unread)));
        }
      } else {
        if (real !== root && !real.startsWith(root.endsWith(sep) ? root : `${root}${sep}`)) {
          realCwd ??= await realpath(cwd);
          // Named by where the link leads when a symbolic link on the way took it out.
          const target =
            resolve(realCwd, path) === real ? path : isAbsolute(path) ? real : relative(realCwd, real);
          report(
            'error',
            'kustomize/outside-root',
            `resource ${r.path} is the file ${path}${target === path ? '' : ` (${target}, through a symbolic link)`}, outside ${k.dir}: kustomize refuses files outside the kustomization's directory (load restrictor LoadRestrictionsRootOnly, Argo CD's default too), so ${k.dir} does not build; its objects are checked as listed`,
            `move ${target} under ${k.dir}, or put it in a directory with a kustomization file that lists it and list that directory here (kustomize reads a directory outside the root)`,
          );
        }
        const read = await readManifests(path);
        if (read.unread) unread.add(path);
        out.push(...read.documents);
      }
    }
    return out.map((d) => withNamespace(d, k.namespace));
  };

  const bundles: Bundle[] = [];
  for (const dir of roots) {
    const k = parsed.get(resolve(cwd, dir))!;
    const unread = new Set<string>();
    const documents = await build(k, [resolve(cwd, dir)], unread);
    bundles.push({ name: dir, documents, ...(unread.size > 0 && { unread: [...unread] }) });
  }

  // Manifests in a kustomization's directory tree that it does not list are not deployed.
  const looseFromScan: string[] = [];
  for (const file of scanned) {
    const key = resolve(cwd, file);
    if (claimed.has(key)) continue;
    const owner = [...parsed.entries()].find(([d]) => key.startsWith(`${d}/`))?.[1];
    if (owner) {
      diagnostics.push({
        severity: 'info',
        code: 'kustomize/not-a-resource',
        message: owner.unreadable
          ? `not checked: ${owner.file} cannot be read (its error is above), so which files it lists is unknown`
          : `not listed in the resources of ${owner.file}: kustomize and Argo CD do not apply it, so it is not checked`,
        path: '',
        source: { file },
      });
    } else {
      looseFromScan.push(file);
    }
  }
  // A link out of the tree that a kustomization lists was read for it (its outside-root error
  // says so): no "not read" about it as well.
  for (let i = diagnostics.length - 1; i >= 0; i--) {
    const d = diagnostics[i];
    if (d?.code === 'manifest/symlink' && d.source && claimed.has(resolve(cwd, d.source.file)))
      diagnostics.splice(i, 1);
  }
  const looseFiles = [...loose.filter((f) => f === '-' || !claimed.has(resolve(cwd, f))), ...looseFromScan];
  if (looseFiles.length === 0 && kustomizations.size === 0) {
    const skipped = diagnostics.filter((d) => d.code === 'manifest/symlink').length;
    throw new Error(
      `no manifest files (*.yaml, *.yml, *.json) under ${paths.join(', ')}${skipped > 0 ? ` (${skipped} symbolic links not followed)` : ''}`,
    );
  }
  if (looseFiles.length > 0) {
    const result = await loadManifestPaths(looseFiles, readStdin, cwd, new Set(looseFromScan));
    files.push(...result.files);
    diagnostics.push(...result.diagnostics);
    // Argo CD objects anywhere in the run say which directories deploy apart, in a kustomization
    // too, and so do those beside it; one also among the paths is read once.
    const read = new Set(files.map((f) => resolve(cwd, f)));
    const objects = [
      ...bundles.flatMap((b) => b.documents),
      ...result.documents,
      ...argocd.filter((d) => !read.has(resolve(cwd, d.file))),
    ];
    diagnostics.push(
      ...argocdUnevaluatedPathDiagnostics(objects, (o, pointer) => o.locate(pointer), [BUNDLES_UNEVALUATED]),
      ...unmatchedPatterns(objects, result.documents, cwd),
    );
    bundles.push(...byArgoCdApp(result.documents, unreadFiles(result.diagnostics), argoSyncs(objects), cwd));
  }
  if (diagnostics.length === 0 && bundles.every((b) => b.documents.length === 0)) {
    // Files found under directories, none with an object: not a mistake to warn about (a tree of
    // placeholders), but a run over nothing must say so, in JSON too.
    diagnostics.push({
      severity: 'info',
      code: 'manifest/no-objects',
      message: `${files.length} file${files.length === 1 ? '' : 's'} read, none holds a Kubernetes object`,
      path: '',
    });
  }
  return { bundles, diagnostics, files };
}

/** JSON with sorted keys, so two renderings of the same object compare equal. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );

/** How a finding names a bundle: its kustomization root, or the loose manifests. */
export const bundleLabel = (b: { readonly name: string }): string =>
  b.name === '' ? 'the loose manifests' : b.name;

/** What {@link conflictsAcrossBundles} reads of a bundle: its name, and each object with where it is. */
export interface BundleObjects {
  readonly name: string;
  /** See {@link Bundle.namespaceUnknown}. */
  readonly namespaceUnknown?: boolean;
  /** See {@link Bundle.destinations}. */
  readonly destinations?: readonly (string | undefined | null)[];
  /**
   * The objects, each with where it is rendered and, when the user wrote it elsewhere (an app's
   * line), `writtenAt`: a message naming another object's place names that, not a rendered file.
   */
  readonly documents: ReadonlyArray<
    Pick<LoadedDocument, 'object' | 'file' | 'line'> &
      Partial<Pick<LoadedDocument, 'locate'>> & { readonly writtenAt?: SourceLocation }
  >;
}

/**
 * The JSON pointer of the first place two JSON values differ, keys in sorted order (a key one
 * of them lacks is where they differ); undefined when they are equal.
 */
export function firstDifference(a: unknown, b: unknown, at = ''): string | undefined {
  if (a === b) return undefined;
  const bothArrays = Array.isArray(a) && Array.isArray(b);
  const bothMaps =
    !bothArrays &&
    a !== null &&
    b !== null &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    !Array.isArray(a) &&
    !Array.isArray(b);
  if (bothArrays) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= a.length || i >= b.length) return `${at}/${i}`;
      const inner = firstDifference(a[i], b[i], `${at}/${i}`);
      if (inner !== undefined) return inner;
    }
    return undefined;
  }
  if (bothMaps) {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    for (const key of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
      const child = `${at}/${escapePointer(key)}`;
      if (!(key in x) || !(key in y)) return child;
      const inner = firstDifference(x[key], y[key], child);
      if (inner !== undefined) return inner;
    }
    return undefined;
  }
  return at;
}

/**
 * Argo CD's per-object sync options: `Prune=false,Delete=false` in this annotation keep Argo CD
 * from pruning the object and from deleting it with its Application. Written out here because
 * `src/validate` may not import `src/install` (`ARGOCD_ANNOTATION_PREFIX`).
 */
const ARGOCD_SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';

/**
 * What removing an object two Argo CD Applications both own does, as its own sync options say:
 * `prune` whether pruning it (an app no longer renders it) deletes it, `delete` whether
 * deleting either Application with its resources does. `Prune=confirm` and `Delete=confirm`
 * still delete it, once someone confirms.
 */
function argoRemoval(object: Readonly<Record<string, unknown>>): { prune: boolean; delete: boolean } {
  const metadata = object['metadata'];
  const annotations =
    metadata && typeof metadata === 'object'
      ? (metadata as Record<string, unknown>)['annotations']
      : undefined;
  const value =
    annotations && typeof annotations === 'object'
      ? (annotations as Record<string, unknown>)[ARGOCD_SYNC_OPTIONS]
      : undefined;
  const options = typeof value === 'string' ? value.split(',').map((o) => o.trim()) : [];
  return { prune: !options.includes('Prune=false'), delete: !options.includes('Delete=false') };
}

/** The end of a `bundle/shared` message: what removing the object does, for its sync options. */
const sharedRemoval = (removal: { prune: boolean; delete: boolean }): string => {
  if (removal.prune && removal.delete)
    return 'and pruning it from either, or deleting either Application, deletes it from under the other';
  if (removal.delete)
    return 'and though it is never pruned (Prune=false), deleting either Application deletes it from under the other';
  if (removal.prune)
    return 'and though deleting an Application leaves it (Delete=false), pruning it from either deletes it from under the other';
  return 'though its sync options keep Argo CD from ever pruning or deleting it (Prune=false,Delete=false), so neither app deletes it from under the other';
};

/**
 * The one check across bundles: the same kind/namespace/name rendered with different content by
 * two bundles is an error, because the two Argo CD Applications would fight over the object.
 * `kelos validate` and `check` run it on kustomization roots, synth on its apps.
 *
 * @param namespace Namespace of objects that set none.
 * @param beside Bundles deployed beside these (`--beside dist/`): read, never reported on, so
 *   what one of them shares with a bundle of `bundles` is reported at that bundle's object, with
 *   the beside object's place in the message; what they share among themselves is not reported.
 */
export function conflictsAcrossBundles(
  bundles: readonly BundleObjects[],
  namespace = 'default',
  beside: readonly BundleObjects[] = [],
): Diagnostic[] {
  // One bundle cannot conflict with itself: skip the walk (and a canonical copy of every object).
  if (bundles.length + beside.length < 2 || bundles.length === 0) return [];
  // Compared as applied: an object that omits its namespace lands in the default one. Made
  // only for objects two bundles render.
  const applied = (doc: BundleObjects['documents'][number], ns: string): string => {
    const metadata = (doc.object['metadata'] ?? {}) as Record<string, unknown>;
    return canonical(ns ? { ...doc.object, metadata: { ...metadata, namespace: ns } } : doc.object);
  };
  interface Seen {
    readonly bundle: BundleObjects;
    readonly doc: BundleObjects['documents'][number];
    readonly ns: string;
    text?: string;
  }
  /** Each object of `bundle` once (duplicates inside one bundle are the validator's `bundle/duplicate`). */
  const objectsOf = function* (bundle: BundleObjects) {
    const mine = new Set<string>();
    for (const doc of bundle.documents) {
      const r = resourceOf(doc.object);
      // An app whose destination namespace cannot be told: its objects without one are its own,
      // not another app's in `default` (a false bundle/conflict would fail the run). Apps
      // syncing the directory into several namespaces: the object is in each.
      const unknown = `\0unknown destination of ${bundle.name}`;
      const homes = isClusterScoped(r.kind)
        ? ['']
        : r.namespace !== undefined
          ? [r.namespace]
          : (bundle.destinations ?? [bundle.namespaceUnknown ? null : undefined]).map((d) =>
              d === null ? unknown : (d ?? namespace),
            );
      for (const ns of homes) {
        const key = `${r.kind}/${ns}/${r.name}`;
        if (mine.has(key)) continue;
        mine.add(key);
        // Named as written, as every other finding about the object is: a report grouping by
        // resource would otherwise give one Secret two headings, `github-token` and
        // `default/github-token`.
        yield { doc, ns, key, resource: r };
      }
    }
  };
  const out: Diagnostic[] = [];
  /** The finding, at `doc` of `bundle`, that `first` renders the object too; none for one file. */
  const clash = (first: Seen, bundle: BundleObjects, doc: Seen['doc'], ns: string, resource: ResourceRef) => {
    first.text ??= applied(first.doc, first.ns);
    const text = applied(doc, ns);
    if (first.text === text) {
      const at = formatLocation(first.doc.writtenAt ?? sourceAt(first.doc, ''));
      // One file two roots list (a base two overlays share) is kustomize's way; two copies
      // are two owners: Argo CD reports a shared resource whatever the object's sync options,
      // and whether removing it from one app deletes it is the options' to say.
      if (first.doc.file === doc.file) return;
      out.push({
        severity: 'warning',
        code: 'bundle/shared',
        message: `also rendered by ${bundleLabel(first.bundle)} (${at}), the same; the two Applications syncing ${bundleLabel(bundle)} and ${bundleLabel(first.bundle)} would both own it: Argo CD reports it as a shared resource (SharedResourceWarning) and its tracking flips to whichever app synced last, ${sharedRemoval(argoRemoval(doc.object))}`,
        path: '',
        resource,
        source: sourceAt(doc, ''),
        hint: 'Give the object one owner: define it in one app (the others reference it by name) or give each app its own name.',
      });
      return;
    }
    // Pointed at the first field that differs, in both files: the values are not printed
    // (a Secret's are credentials).
    const differs = firstDifference(JSON.parse(first.text) as unknown, JSON.parse(text) as unknown) ?? '';
    const at = formatLocation(first.doc.writtenAt ?? sourceAt(first.doc, differs));
    out.push({
      severity: 'error',
      code: 'bundle/conflict',
      message: `also rendered by ${bundleLabel(first.bundle)} (${at}) with different content; the two Applications syncing ${bundleLabel(bundle)} and ${bundleLabel(first.bundle)} would fight over it`,
      path: differs,
      resource,
      source: sourceAt(doc, differs),
      hint: 'Give the object one owner: define it in one app only, or give each app its own name or namespace.',
    });
  };
  const seen = new Map<string, Seen>();
  for (const bundle of bundles) {
    for (const { doc, ns, key, resource } of objectsOf(bundle)) {
      const first = seen.get(key);
      if (first) clash(first, bundle, doc, ns, resource);
      else seen.set(key, { bundle, doc, ns });
    }
  }
  if (beside.length === 0) return out;
  // The first beside bundle that renders an object stands for them all: their own clashes are
  // their own check's.
  const besideSeen = new Map<string, Seen>();
  for (const bundle of beside) {
    for (const { doc, ns, key } of objectsOf(bundle)) {
      if (seen.has(key) && !besideSeen.has(key)) besideSeen.set(key, { bundle, doc, ns });
    }
  }
  if (besideSeen.size === 0) return out;
  for (const bundle of bundles) {
    for (const { doc, ns, key, resource } of objectsOf(bundle)) {
      const first = besideSeen.get(key);
      if (first) clash(first, bundle, doc, ns, resource);
    }
  }
  return out;
}

/** How many distinct objects the bundles hold (a file shared by two bundles counts once). */
export const objectCount = (bundles: readonly Bundle[]): number =>
  new Set(bundles.flatMap((b) => b.documents.map((d) => `${d.file}#${d.index}`))).size;

/** Drops repeated diagnostics (a file shared by two bundles is reported once). */
export const uniqueDiagnostics = (diagnostics: readonly Diagnostic[]): Diagnostic[] => {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = JSON.stringify(d);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};
