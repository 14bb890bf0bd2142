/**
 * What the project's own Argo CD objects say about what synth writes. An Application's
 * `spec.source.path` and an ApplicationSet's git directories (`<dir>/*`) are plain strings in the
 * app, set apart from `cdk8s.yaml`; when the two drift (an `outdir` moved, the default
 * `dist/examples` left in place), Argo CD syncs an empty or stale directory and reports nothing
 * wrong. And a Task in a directory Argo CD syncs must not expire: once its TTL deletes it,
 * Argo CD creates it again and the agent runs again. Paths are relative to the git repository,
 * which may hold the project in a subdirectory, so a path matches an output directory it ends
 * with.
 *
 * @packageDocumentation
 */
import { posix } from 'node:path';
import { API_VERSION, GIT_LIFECYCLE } from '../api/group.ts';
import { repositoryId } from '../api/repo-url.ts';
import { KUBERNETES_NAMESPACES } from '../install/watch-namespaces.ts';
import { plural } from '../policy/reporters/common.ts';
import type { SourceLocation } from '../validate/diagnostic.ts';
import { isPlainObject as isRecord } from '../validate/identity.ts';
import type { Diagnostic } from '../validate/index.ts';
import { isClusterScoped } from '../validate/kustomization.ts';
import type { SourcePosition } from '../validate/load.ts';
import type { FilesRepository, GitRemote } from './git-remotes.ts';
import type { SynthObject } from './render.ts';

const ARGO_GROUP = 'argoproj.io/';

type Json = Record<string, unknown>;

/** Whether repository path `path` is output directory `dir`, or lies below it. */
const rendersTo = (path: string, dir: string): boolean => {
  const p = posix.normalize(path).replace(/^\.\/|\/$/g, '');
  return p === dir || p.endsWith(`/${dir}`) || p.startsWith(`${dir}/`) || p.includes(`/${dir}/`);
};

/** Whether an Application's source reads its directory recursively (`directory.recurse`). */
const recursive = (source: Json): boolean =>
  isRecord(source['directory']) && source['directory']['recurse'] === true;

/** The repository an Argo CD source or git generator reads (`repoURL`), when it names one. */
const repoUrlOf = (source: Json): { repoURL?: string } =>
  typeof source['repoURL'] === 'string' && source['repoURL'] !== '' ? { repoURL: source['repoURL'] } : {};

/**
 * Where an Application (or an ApplicationSet's template) deploys: `spec.destination.namespace`,
 * the namespace of the objects that set none, and whether `CreateNamespace=true` makes Argo CD
 * create it (that one namespace only, never those the objects name themselves).
 */
interface Destination {
  readonly namespace?: string;
  readonly createNamespace: boolean;
}

const destinationOf = (spec: Json): Destination => {
  const destination = isRecord(spec['destination']) ? spec['destination'] : {};
  const syncPolicy = isRecord(spec['syncPolicy']) ? spec['syncPolicy'] : {};
  const options = Array.isArray(syncPolicy['syncOptions']) ? syncPolicy['syncOptions'] : [];
  return {
    ...(typeof destination['namespace'] === 'string' &&
      destination['namespace'] !== '' && { namespace: destination['namespace'] }),
    createNamespace: options.includes('CreateNamespace=true'),
  };
};

/** One path an Argo CD object syncs from; see {@link pathsOf}. */
interface SyncedPath {
  pointer: string;
  /** An Application's directory; an ApplicationSet's git directory pattern. */
  path: string;
  apps: boolean;
  /** The directory a `<dir>/*` pattern generates an Application per subdirectory of. */
  parent?: string;
  repoURL?: string;
  recurse?: boolean;
  excludes?: readonly string[];
  destination: Destination;
}

/**
 * The paths an Argo CD object syncs from, each with its JSON pointer, the repository it is a
 * path of and where it deploys; an ApplicationSet's git directory patterns with those its
 * generator excludes (`exclude: true`). `recurse`: an Application's directory source that reads
 * the subdirectories too.
 */
const pathsOf = (object: Json): SyncedPath[] =>
  syncPathsOf(object).map((p) => ({ ...p, destination: destinationOf(specOf(object)) }));

/** An Application's spec, or an ApplicationSet's Application template's. */
const specOf = (object: Json): Json => {
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  if (object['kind'] !== 'ApplicationSet') return spec;
  const template = isRecord(spec['template']) ? spec['template'] : {};
  return isRecord(template['spec']) ? template['spec'] : {};
};

const syncPathsOf = (object: Json): Array<Omit<SyncedPath, 'destination'>> => {
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  if (object['kind'] === 'Application') {
    const sources = Array.isArray(spec['sources']) ? spec['sources'] : [];
    return [
      ...(isRecord(spec['source']) && typeof spec['source']['path'] === 'string'
        ? [
            {
              pointer: '/spec/source/path',
              path: spec['source']['path'],
              apps: false,
              ...repoUrlOf(spec['source']),
              recurse: recursive(spec['source']),
            },
          ]
        : []),
      ...sources.flatMap((s, i) =>
        isRecord(s) && typeof s['path'] === 'string'
          ? [
              {
                pointer: `/spec/sources/${i}/path`,
                path: s['path'],
                apps: false,
                ...repoUrlOf(s),
                recurse: recursive(s),
              },
            ]
          : [],
      ),
    ];
  }
  return gitDirectoriesOf(object).flatMap((g) =>
    g.unevaluated.length > 0
      ? []
      : g.includes.map((d) => ({
          pointer: d.pointer,
          path: d.path,
          apps: true,
          ...(d.path.endsWith('/*') && { parent: d.path.slice(0, -2) }),
          ...repoUrlOf(g.git),
          excludes: g.excludes,
        })),
  );
};

/**
 * The git generators of an ApplicationSet that generate Applications, with their JSON pointers:
 * those in `spec.generators`, every one a matrix combines, and the first of a merge (the others
 * only add parameters to what it generates), nested in one another too.
 */
const gitGeneratorsOf = (generators: unknown, at: string): Array<{ pointer: string; git: Json }> =>
  Array.isArray(generators)
    ? generators.flatMap((g, i) => {
        if (!isRecord(g)) return [];
        const pointer = `${at}/${i}`;
        if (isRecord(g['git'])) return [{ pointer: `${pointer}/git`, git: g['git'] }];
        if (isRecord(g['matrix']))
          return gitGeneratorsOf(g['matrix']['generators'], `${pointer}/matrix/generators`);
        if (isRecord(g['merge']) && Array.isArray(g['merge']['generators']))
          return gitGeneratorsOf(g['merge']['generators'].slice(0, 1), `${pointer}/merge/generators`);
        return [];
      })
    : [];

/** A git directory entry of an ApplicationSet: its pattern and where it is. */
interface GitDirectory {
  readonly pointer: string;
  readonly path: string;
  readonly exclude: boolean;
}

/**
 * The git directory generators of an ApplicationSet: each one's patterns that include, those it
 * excludes, and those that take a parameter of another generator (`{{.path.path}}/*` in a
 * matrix), whose directories cannot be told offline; with one of those, neither can the
 * generator's.
 */
const gitDirectoriesOf = (object: Json) => {
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  if (object['kind'] !== 'ApplicationSet') return [];
  return gitGeneratorsOf(spec['generators'], '/spec/generators').flatMap(({ pointer, git }) => {
    if (!Array.isArray(git['directories'])) return [];
    const entries = git['directories'].flatMap((d, di): GitDirectory[] =>
      isRecord(d) && typeof d['path'] === 'string'
        ? [{ pointer: `${pointer}/directories/${di}/path`, path: d['path'], exclude: d['exclude'] === true }]
        : [],
    );
    return [
      {
        git,
        includes: entries.filter((d) => !d.exclude),
        excludes: entries.filter((d) => d.exclude).map((d) => d.path),
        unevaluated: entries.filter((d) => d.path.includes('{{')),
      },
    ];
  });
};

/**
 * A warning for each Argo CD path that no output directory of this project matches.
 *
 * @param appsDir `kelos.outdir`, whose subdirectories are the apps an ApplicationSet generates from.
 * @param outputDirs Every other output directory (CRDs, bundles), relative to the project root.
 */
export function argocdPathDiagnostics(
  objects: readonly SynthObject[],
  appsDir: string,
  outputDirs: readonly string[],
): Diagnostic[] {
  const all = [appsDir, ...outputDirs];
  const out: Diagnostic[] = [];
  for (const o of objects) {
    const apiVersion = o.object['apiVersion'];
    if (typeof apiVersion !== 'string' || !apiVersion.startsWith(ARGO_GROUP)) continue;
    const metadata = isRecord(o.object['metadata']) ? o.object['metadata'] : {};
    for (const p of pathsOf(o.object)) {
      // Only a `<dir>/*` pattern names the directory its apps are in; another is judged per
      // directory where a Task or a namespace is (argocd/task-ttl, argocd/namespace-missing).
      if (p.apps && p.parent === undefined) continue;
      const path = p.parent ?? p.path;
      const matched = p.apps
        ? rendersTo(path, appsDir) && !all.some((d) => d !== appsDir && rendersTo(path, d))
        : all.some((d) => rendersTo(path, d));
      if (matched) continue;
      out.push({
        severity: 'warning',
        code: 'argocd/path-not-rendered',
        path: p.pointer,
        message: p.apps
          ? `the ApplicationSet generates an Application per directory of "${path}", but kelos synth writes the apps to ${appsDir} (kelos.outdir in cdk8s.yaml)`
          : `Argo CD syncs "${path}", which kelos synth does not write in this project; it writes ${all.join(', ')}`,
        hint: 'set the paths of KelosArgoCd (argocd, crds, install, apps) to the output directories of cdk8s.yaml',
        resource: {
          apiVersion,
          kind: String(o.object['kind']),
          name: String(metadata['name'] ?? ''),
          ...(typeof metadata['namespace'] === 'string' ? { namespace: metadata['namespace'] } : {}),
        },
        source: { file: o.file },
      });
    }
  }
  return out;
}

const TTL_POINTER = '/spec/ttlSecondsAfterFinished';

/** The directories above `dir` (`a/b/c`: `a/b`, `a`), nearest first. */
const ancestors = (dir: string): string[] => {
  const out: string[] = [];
  for (let d = posix.dirname(dir); d !== '.' && d !== '/' && !out.includes(d); d = posix.dirname(d))
    out.push(d);
  return out;
};

/** Whether repository path `path` names project directory `dir` itself. */
const names = (path: string, dir: string): boolean => {
  const p = posix.normalize(path).replace(/^\.\/|\/$/g, '');
  return p === dir || p.endsWith(`/${dir}`);
};

/** One element of a Go `path.Match` pattern: `*`, `?`, a character, or a class (`[a-z]`, `[^x]`). */
type GlobToken =
  | '*'
  | '?'
  | { readonly char: string }
  | { readonly negated: boolean; readonly ranges: ReadonlyArray<readonly [number, number]> };

/**
 * A segment of a Go `path.Match` pattern (no `/`) as its elements; `undefined` for one Go
 * refuses (`ErrBadPattern`: `[a`, `[]`, an unescaped `-` or `]` in a class, a trailing `\`).
 * Written here rather than taken from picomatch or minimatch: those read patterns as a shell
 * does (`**` across directories, braces, `[!x]`), which Argo CD's `path.Match` does not.
 */
const globTokens = (segment: string): GlobToken[] | undefined => {
  const chars = [...segment];
  const out: GlobToken[] = [];
  let i = 0;
  // One character of a class, `\`-escaped or not: Go's getEsc.
  const classChar = (): number | undefined => {
    let c = chars[i];
    if (c === undefined || c === '-' || c === ']') return undefined;
    if (c === '\\') c = chars[++i];
    i++;
    return c?.codePointAt(0);
  };
  while (i < chars.length) {
    const c = chars[i]!;
    if (c === '*' || c === '?') {
      out.push(c);
      i++;
    } else if (c === '\\') {
      const escaped = chars[i + 1];
      if (escaped === undefined) return undefined;
      out.push({ char: escaped });
      i += 2;
    } else if (c !== '[') {
      out.push({ char: c });
      i++;
    } else {
      i++;
      const negated = chars[i] === '^';
      if (negated) i++;
      const ranges: Array<readonly [number, number]> = [];
      while (!(chars[i] === ']' && ranges.length > 0)) {
        const lo = classChar();
        if (lo === undefined) return undefined;
        let hi = lo;
        if (chars[i] === '-') {
          i++;
          const to = classChar();
          if (to === undefined) return undefined;
          hi = to;
        }
        // Go reads `[z-a]` and matches nothing with it.
        ranges.push([lo, hi]);
      }
      i++;
      out.push({ negated, ranges });
    }
  }
  return out;
};

/** Whether `name` (one path segment) matches the elements of a Go `path.Match` pattern. */
const globMatches = (tokens: readonly GlobToken[], name: string): boolean => {
  const chars = [...name];
  const one = (t: Exclude<GlobToken, '*'>, c: string): boolean => {
    if (t === '?') return true;
    if ('char' in t) return t.char === c;
    const code = c.codePointAt(0)!;
    return t.ranges.some(([lo, hi]) => lo <= code && code <= hi) !== t.negated;
  };
  // reach[j]: the elements so far match the first j characters of the name.
  let reach = chars.map(() => false).concat(false);
  reach[0] = true;
  for (const t of tokens) {
    const next = reach.map(() => false);
    const from = reach.indexOf(true);
    if (from === -1) return false;
    if (t === '*') next.fill(true, from);
    else for (let j = from; j < chars.length; j++) if (reach[j] && one(t, chars[j]!)) next[j + 1] = true;
    reach = next;
  }
  return reach[chars.length] === true;
};

/**
 * Whether Argo CD's directory pattern `pattern` (a repository path, which Argo CD matches with
 * Go's `path.Match` against every directory of the repository: `*`, `?` and `[…]` within one
 * segment, `\` escaping, `**` no more than `*`) matches project directory `dir`, the repository
 * holding the project in a subdirectory or not: its last segments match those of `dir`.
 */
const patternNames = (pattern: string, dir: string): boolean => {
  const segments = pattern.split('/');
  // Matched as written against clean directory paths: `./dist/apps/*`, `dist/apps/web/` and
  // `dist//apps/*` match no directory in Argo CD, so none here (an Application's path is joined
  // and cleaned instead: see {@link names}).
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return false;
  const want = segments.map(globTokens);
  const have = dir.split('/');
  // A pattern Go refuses matches nothing: Argo CD logs the error and moves on.
  if (want.length < have.length || want.some((t) => t === undefined)) return false;
  return have.every((segment, i) => globMatches(want[want.length - have.length + i]!, segment));
};

/**
 * Whether Argo CD syncs project directory `dir` through `sync`: an Application's path (below it
 * too when its directory source recurses), or an app directory its ApplicationSet's git
 * directory pattern matches and none its generator excludes does.
 */
const syncsDirectory = (sync: SyncedPath, dir: string): boolean =>
  sync.apps
    ? patternNames(sync.path, dir) && !(sync.excludes ?? []).some((x) => patternNames(x, dir))
    : names(sync.path, dir) || (sync.recurse === true && ancestors(dir).some((a) => names(sync.path, a)));

/**
 * An info for each git directory pattern of an ApplicationSet among `objects` that takes a
 * parameter of another generator (`{{.path.path}}/*` in a matrix): what it matches cannot be
 * told offline, so `argocd/task-ttl` and `argocd/namespace-missing` leave its generator out,
 * and say so here rather than pass in silence.
 *
 * @param locate Where a JSON pointer of an object is in its file.
 */
export function argocdUnevaluatedPathDiagnostics<T extends ObjectInFile>(
  objects: readonly T[],
  locate: (o: T, pointer: string) => SourcePosition | undefined = () => undefined,
): Diagnostic[] {
  return objects.flatMap((o) => {
    const apiVersion = o.object['apiVersion'];
    if (typeof apiVersion !== 'string' || !apiVersion.startsWith(ARGO_GROUP)) return [];
    const metadata = isRecord(o.object['metadata']) ? o.object['metadata'] : {};
    const name = String(metadata['name'] ?? '');
    return gitDirectoriesOf(o.object).flatMap((g) =>
      g.unevaluated.map(
        (d): Diagnostic => ({
          severity: 'info',
          code: 'argocd/path-not-evaluated',
          path: d.pointer,
          message: `ApplicationSet "${name}" ${d.exclude ? 'excludes' : 'generates Applications from'} the git directories "${d.path}", a template of generator parameters that cannot be told offline: argocd/task-ttl and argocd/namespace-missing do not judge the directories this generator generates Applications for`,
          hint: 'to have them judged, name the directories in the generator (dist/apps/*) and keep the parameters to the template',
          resource: {
            apiVersion,
            kind: 'ApplicationSet',
            name,
            ...(typeof metadata['namespace'] === 'string' ? { namespace: metadata['namespace'] } : {}),
          },
          source: {
            file: o.file,
            ...locate(o, d.pointer),
            ...(o.constructPath !== undefined && { constructPath: o.constructPath }),
          },
        }),
      ),
    );
  });
}

/** What {@link argocdTaskTtlDiagnostics} reads of an object: the object and the file it is in. */
export type ObjectInFile = Pick<SynthObject, 'object' | 'file' | 'constructPath'>;

/** The repository of files whose remotes no one asked for: only the paths are compared. */
const NOT_LOOKED_UP: FilesRepository = { unknown: 'the git repository was not looked up' };

/**
 * Whether an Argo CD source's `repoURL` is the repository a Task is in: `same` names the remote
 * it is; `unknown` says why that cannot be told (no repoURL, no remote to compare it with), and
 * then the path alone decides, as it must for a repository that has not been pushed yet.
 */
const repositoryMatch = (
  repoURL: string | undefined,
  repository: FilesRepository,
): { same: GitRemote } | { other: true } | { unknown: string } => {
  if (repoURL === undefined) return { unknown: 'it names no repoURL' };
  if ('unknown' in repository) return { unknown: repository.unknown };
  const wanted = repositoryId(repoURL);
  const comparable = repository.remotes.filter((r) => repositoryId(r.url) !== undefined);
  if (wanted === undefined || comparable.length === 0)
    return {
      unknown:
        wanted === undefined
          ? 'its repoURL names no host'
          : `the git repository's remotes are local paths (${repository.remotes.map((r) => r.url).join(', ')})`,
    };
  const same = comparable.find((r) => repositoryId(r.url) === wanted);
  return same ? { same } : { other: true };
};

/** The paths the Argo CD objects among `objects` sync, each with who syncs it, for messages. */
const argoSyncs = (objects: readonly ObjectInFile[]) =>
  objects.flatMap((o) => {
    const apiVersion = o.object['apiVersion'];
    if (typeof apiVersion !== 'string' || !apiVersion.startsWith(ARGO_GROUP)) return [];
    const metadata = isRecord(o.object['metadata']) ? o.object['metadata'] : {};
    const by = `Argo CD ${String(o.object['kind'])} "${String(metadata['name'] ?? '')}"`;
    return pathsOf(o.object).map((p) => ({ ...p, by }));
  });

/**
 * A warning for each Task with `ttlSecondsAfterFinished` in a directory one of the Argo CD
 * objects among `objects` syncs (an Application's path, below it too when its directory source
 * recurses, or an app directory its ApplicationSet generates an Application for) from the
 * repository the Task is in. Argo CD recreates a synced object that is gone: at once under
 * `selfHeal`, else at the next sync. The TTL rule (`hygiene/ttl-seconds-after-finished`) knows
 * a Task is kept in Git only by its annotation; here it is known by where the Task lies: where
 * synth writes it, or where a plain YAML tree `kelos check` reads holds it.
 *
 * @param locate Where a JSON pointer of an object is in its file.
 * @param syncedFrom The repository directory Argo CD reads an object from: by default its
 *   file's directory (synth's output, relative to the project root); for a plain YAML tree, its
 *   kustomization root's, relative to the git repository.
 * @param repositoryOf The git repository an object's file is in, by its remotes: an Argo CD
 *   object whose `repoURL` is none of them syncs another repository's path. When it cannot be
 *   told (no git, no remote), the path alone decides, and the finding says so. Asking costs a
 *   `git` run: call without it first, and again with it only when that finds something.
 */
export function argocdTaskTtlDiagnostics<T extends ObjectInFile>(
  objects: readonly T[],
  locate: (o: T, pointer: string) => SourcePosition | undefined = () => undefined,
  syncedFrom: (o: T) => string = (o) => posix.dirname(o.file),
  repositoryOf: (o: T) => FilesRepository = () => NOT_LOOKED_UP,
): Diagnostic[] {
  const syncs = argoSyncs(objects);
  if (syncs.length === 0) return [];
  const out: Diagnostic[] = [];
  for (const o of objects) {
    if (o.object['apiVersion'] !== API_VERSION || o.object['kind'] !== 'Task') continue;
    const spec = isRecord(o.object['spec']) ? o.object['spec'] : {};
    const metadata = isRecord(o.object['metadata']) ? o.object['metadata'] : {};
    const annotations = isRecord(metadata['annotations']) ? metadata['annotations'] : {};
    // Annotated as kept in Git, the TTL rule reports the TTL already.
    if (
      spec['ttlSecondsAfterFinished'] === undefined ||
      annotations[GIT_LIFECYCLE.annotation] === GIT_LIFECYCLE.value
    )
      continue;
    const dir = syncedFrom(o);
    const onPath = syncs.filter((s) => syncsDirectory(s, dir));
    if (onPath.length === 0) continue;
    const repository = repositoryOf(o);
    // Another repository's path is not this Task's directory; one told to be this repository
    // is named before one that cannot be told.
    const matched = onPath
      .map((sync) => ({ sync, match: repositoryMatch(sync.repoURL, repository) }))
      .filter(({ match }) => !('other' in match))
      .sort((a, b) => Number('unknown' in a.match) - Number('unknown' in b.match))[0];
    if (!matched) continue;
    const { sync, match } = matched;
    const of =
      'same' in match
        ? ` of ${sync.repoURL}, the repository it is in (its remote "${match.same.name}")`
        : 'unknown' in match && sync.repoURL !== undefined
          ? ` (only the path was compared, not its repoURL ${sync.repoURL}: ${match.unknown})`
          : ' (only the path was compared: it names no repoURL)';
    out.push({
      severity: 'warning',
      code: 'argocd/task-ttl',
      path: TTL_POINTER,
      message: `${sync.by} syncs this Task from ${dir}${of}: once ttlSecondsAfterFinished deletes it, Argo CD creates it again (at once under selfHeal, else at its next sync) and the agent runs again`,
      hint: 'leave ttlSecondsAfterFinished unset and annotate the Task kelos.dev/lifecycle: git; remove it from the app to clean it up (Argo CD prunes it)',
      resource: {
        apiVersion: API_VERSION,
        kind: 'Task',
        name: String(metadata['name'] ?? ''),
        ...(typeof metadata['namespace'] === 'string' ? { namespace: metadata['namespace'] } : {}),
      },
      source: {
        file: o.file,
        ...locate(o, TTL_POINTER),
        ...(o.constructPath !== undefined && { constructPath: o.constructPath }),
      },
    });
  }
  return out;
}

/**
 * `namespace` with the ApplicationSet git generator's path parameters an app directory `dir`
 * gives it (`{{.path.basename}}`, `{{path.basename}}`, their `Normalized` forms); `undefined`
 * when another parameter is left, whose value cannot be told offline.
 */
const resolvedNamespace = (namespace: string, dir: string): string | undefined => {
  const basename = posix.basename(dir);
  const resolved = namespace.replace(/\{\{\s*\.?path\.basename(Normalized)?\s*\}\}/g, (_, normalized) =>
    normalized ? basename.replace(/[^a-zA-Z0-9-.]/g, '-').toLowerCase() : basename,
  );
  return resolved.includes('{{') ? undefined : resolved;
};

/**
 * What {@link namespaceMissingDiagnostics} reads of what is deployed as one: an app synth
 * renders, or a kustomization root (or the loose manifests of a directory) `kelos check` reads.
 */
export interface AppOutput<T extends ObjectInFile = ObjectInFile> {
  /** How the finding names it: `app platform`, `kustomization manifests/team`. */
  readonly label: string;
  /** Its directory, relative to the project or repository root (what an Argo CD path names). */
  readonly dir: string;
  readonly objects: readonly T[];
  /** Where the finding points: the app's module, or the first object in the namespace. */
  readonly source: (first: T) => SourceLocation;
  /** The command that applies it by hand: `kubectl apply -k dist/apps/platform`. */
  readonly apply: string;
}

/** Options of {@link namespaceMissingDiagnostics}. */
export interface NamespaceOptions<T extends ObjectInFile = ObjectInFile> {
  /** Namespaces created outside this project (`externalNamespaces` in kelos.policy.yaml). */
  readonly external?: readonly string[];
  /** Where an object that sets no namespace lands when no Argo CD destination says. @default `default` */
  readonly defaultNamespace?: string;
  /**
   * Objects deployed beside `apps` (`kelos check --beside`): their Namespaces and Argo CD
   * destinations count, their own namespaces are not reported.
   */
  readonly beside?: readonly T[];
  /**
   * Whether `apps` are plain manifests (`kelos check` paths), not the apps synth renders: only
   * those an Argo CD object among them (or beside them) syncs are judged.
   */
  readonly manifests?: boolean;
}

const MAX_LISTED = 3;

/**
 * A warning per app and namespace its namespaced objects are deployed into that nothing
 * creates: no Namespace object among `apps` (any app or bundle of the project: Argo CD retries a
 * sync that ran before the one creating it), no Argo CD destination with `CreateNamespace=true`
 * (which creates that one namespace, not those the objects name themselves), not Argo CD's own
 * namespace (its objects are there), not one every cluster has, not one listed as `external`.
 * Argo CD's sync of such an app fails with `namespaces "…" not found`, and so does
 * `kubectl apply -k` of its directory. An object that sets no namespace lands in the
 * destination namespace of the Argo CD object that syncs its app; an app no Argo CD object
 * syncs, in `defaultNamespace`.
 */
export function namespaceMissingDiagnostics<T extends ObjectInFile>(
  apps: readonly AppOutput<T>[],
  options: NamespaceOptions<T> = {},
): Diagnostic[] {
  const objects = [...apps.flatMap((a) => a.objects), ...(options.beside ?? [])];
  const syncs = argoSyncs(objects);
  const created = new Set([...KUBERNETES_NAMESPACES, ...(options.external ?? [])]);
  for (const o of objects) {
    const metadata = isRecord(o.object['metadata']) ? o.object['metadata'] : {};
    if (
      o.object['apiVersion'] === 'v1' &&
      o.object['kind'] === 'Namespace' &&
      typeof metadata['name'] === 'string'
    )
      created.add(metadata['name']);
    // Argo CD's objects live where Argo CD runs: that namespace exists, or nothing syncs at all.
    if (String(o.object['apiVersion']).startsWith(ARGO_GROUP) && typeof metadata['namespace'] === 'string')
      created.add(metadata['namespace']);
  }
  const destinations = apps.map((app) =>
    syncs
      .filter((s) => syncsDirectory(s, app.dir))
      .map((s) => ({
        by: s.by,
        createNamespace: s.destination.createNamespace,
        namespace:
          s.destination.namespace === undefined
            ? undefined
            : resolvedNamespace(s.destination.namespace, app.dir),
        templated:
          s.destination.namespace !== undefined &&
          resolvedNamespace(s.destination.namespace, app.dir) === undefined,
      })),
  );
  for (const list of destinations)
    for (const d of list) if (d.createNamespace && d.namespace !== undefined) created.add(d.namespace);

  const out: Diagnostic[] = [];
  apps.forEach((app, i) => {
    const synced = destinations[i] ?? [];
    // A destination Argo CD fills from a parameter that cannot be told offline may create any
    // namespace: what this app needs may be it.
    if (synced.some((d) => d.templated && d.createNamespace)) return;
    // Plain manifests nothing here deploys may be applied anywhere, into namespaces made elsewhere.
    if (options.manifests && synced.length === 0) return;
    // Argo CD puts an object that names no namespace in its destination's; one it cannot tell
    // (a template parameter other than the path's) leaves such objects out.
    const landing = synced.find((d) => d.namespace !== undefined || d.templated);
    const fallback = landing
      ? landing.namespace
      : synced.length > 0
        ? undefined
        : (options.defaultNamespace ?? 'default');
    const byNamespace = new Map<string, { first: T; named: string[] }>();
    for (const o of app.objects) {
      const kind = o.object['kind'];
      if (isClusterScoped(kind) || kind === 'KelosConfig') continue;
      const metadata = isRecord(o.object['metadata']) ? o.object['metadata'] : {};
      const namespace =
        typeof metadata['namespace'] === 'string' && metadata['namespace'] !== ''
          ? metadata['namespace']
          : fallback;
      if (namespace === undefined || created.has(namespace)) continue;
      const seen = byNamespace.get(namespace) ?? { first: o, named: [] };
      seen.named.push(`${String(kind)} ${String(metadata['name'] ?? '')}`);
      byNamespace.set(namespace, seen);
    }
    for (const [namespace, { first, named }] of byNamespace) {
      const listed = `${named.slice(0, MAX_LISTED).join(', ')}${named.length > MAX_LISTED ? ` and ${named.length - MAX_LISTED} more` : ''}`;
      const argo =
        synced.length === 0
          ? `no Argo CD Application of this project syncs ${app.dir}`
          : synced
              .map((d) =>
                d.createNamespace && d.namespace !== undefined
                  ? `${d.by} creates only its destination namespace "${d.namespace}" (CreateNamespace=true)`
                  : `${d.by} creates no namespace (its syncOptions have no CreateNamespace=true)`,
              )
              .join('; ');
      out.push({
        severity: 'warning',
        code: 'argocd/namespace-missing',
        path: '',
        message: `${app.label} deploys ${plural(named.length, 'object')} into namespace "${namespace}" (${listed}), which nothing creates: ${options.manifests ? 'no manifest among the paths or beside them defines' : 'no app or bundle of this project renders'} a Namespace "${namespace}", ${argo}, and externalNamespaces in kelos.policy.yaml does not list it; ${synced.length === 0 ? 'applying them' : 'the sync'} fails with namespaces "${namespace}" not found, as ${app.apply} does`,
        hint: `${options.manifests ? `add a Namespace "${namespace}" (apiVersion: v1, kind: Namespace) to the manifests` : `render the Namespace with the app (new AppNamespace(scope, 'namespace', { name: '${namespace}' }), from kelos-ts)`}, or deploy them through an Argo CD destination.namespace "${namespace}" with CreateNamespace=true; if it is created outside this repository, list it under externalNamespaces in kelos.policy.yaml`,
        source: app.source(first),
      });
    }
  });
  return out;
}
