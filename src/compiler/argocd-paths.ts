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
import { isClusterScoped } from '../api/cluster-scoped.ts';
import { API_VERSION, GIT_LIFECYCLE } from '../api/group.ts';
import { repositoryId } from '../api/repo-url.ts';
import { KUBERNETES_NAMESPACES, parseNamespaceList } from '../install/watch-namespaces.ts';
import { plural } from '../policy/reporters/common.ts';
import {
  ARGO_GROUP,
  appDirectoryOf,
  argoSyncs,
  type ObjectInFile,
  pathsOf,
  resolvedNamespace,
  syncsDirectory,
} from '../validate/argocd-paths.ts';
import type { SourceLocation } from '../validate/diagnostic.ts';
import { isPlainObject as isRecord } from '../validate/identity.ts';
import type { Diagnostic } from '../validate/index.ts';
import type { SourcePosition } from '../validate/load.ts';
import type { FilesRepository, GitRemote } from './git-remotes.ts';
import type { SynthObject } from './render.ts';

/** Whether repository path `path` is output directory `dir`, or lies below it. */
const rendersTo = (path: string, dir: string): boolean => {
  const p = posix.normalize(path).replace(/^\.\/|\/$/g, '');
  return p === dir || p.endsWith(`/${dir}`) || p.startsWith(`${dir}/`) || p.includes(`/${dir}/`);
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
 * @param exact Whether `syncedFrom` gave the object's directory relative to the repository root,
 *   so an Argo CD path must name it whole (`dist/apps/*` is not `manifests`); else it is relative
 *   to a project the repository may hold in a subdirectory, and a path's tail may name it.
 */
export function argocdTaskTtlDiagnostics<T extends ObjectInFile>(
  objects: readonly T[],
  locate: (o: T, pointer: string) => SourcePosition | undefined = () => undefined,
  syncedFrom: (o: T) => string = (o) => posix.dirname(o.file),
  repositoryOf: (o: T) => FilesRepository = () => NOT_LOOKED_UP,
  exact: (o: T) => boolean = () => false,
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
    const whole = exact(o);
    const onPath = syncs.filter((s) => appDirectoryOf(s, dir, whole) !== undefined);
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

/** The Argo CD destinations of directory `dir`: who syncs it, into which namespace. */
const destinationsOf = (syncs: ReturnType<typeof argoSyncs>, dir: string) =>
  syncs
    .filter((s) => syncsDirectory(s, dir))
    .map((s) => ({
      by: s.by,
      createNamespace: s.destination.createNamespace,
      namespace:
        s.destination.namespace === undefined
          ? undefined
          : resolvedNamespace(s.destination.namespace, dir, s.parameters),
      templated:
        s.destination.namespace !== undefined &&
        resolvedNamespace(s.destination.namespace, dir, s.parameters) === undefined,
    }));

/**
 * Where an object of an app that names no namespace lands: Argo CD puts it in its destination's
 * namespace; one it cannot tell (a template parameter other than the path's) is undefined; an app
 * no Argo CD object syncs is applied into `defaultNamespace`.
 */
const fallbackNamespace = (
  synced: ReturnType<typeof destinationsOf>,
  defaultNamespace = 'default',
): string | undefined => {
  const landing = synced.find((d) => d.namespace !== undefined || d.templated);
  return landing ? landing.namespace : synced.length > 0 ? undefined : defaultNamespace;
};

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
  const destinations = apps.map((app) => destinationsOf(syncs, app.dir));
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
    const fallback = fallbackNamespace(synced, options.defaultNamespace);
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

/** Kinds Argo CD holds Progressing until the operator writes their status (dist/argocd health checks). */
const HEALTH_CHECKED = new Set(['Task', 'TaskSpawner', 'TaskBudget']);

/** A Kelos operator the project deploys: where it runs and what it watches. */
export interface OperatorInstall {
  /** How findings name it: `Deployment kelos-system/kelos-operator of bundle install`. */
  readonly label: string;
  /** The namespaces its `--namespace` flags name; undefined when it watches every namespace. */
  readonly watched: readonly string[] | undefined;
}

/** The values of `kelos operator` flag `--namespace` (`-n`) among `args`, as the CLI reads them. */
const namespaceFlagValues = (args: readonly unknown[]): string[] => {
  const values: string[] = [];
  args.forEach((arg, i) => {
    if (typeof arg !== 'string') return;
    const inline = /^(?:--namespace|-n)=(.*)$/.exec(arg);
    if (inline) values.push(inline[1]!);
    else if ((arg === '--namespace' || arg === '-n') && typeof args[i + 1] === 'string')
      values.push(args[i + 1] as string);
  });
  return values;
};

/**
 * The Kelos operators among `apps`: each Deployment with a container running `kelos operator`
 * (its first argument `operator`), as KelosInstall renders it, and the namespaces it watches.
 */
export const operatorInstallsOf = <T extends ObjectInFile>(
  apps: readonly AppOutput<T>[],
): OperatorInstall[] =>
  apps.flatMap((app) =>
    app.objects.flatMap((o) => {
      if (o.object['apiVersion'] !== 'apps/v1' || o.object['kind'] !== 'Deployment') return [];
      const metadata = isRecord(o.object['metadata']) ? o.object['metadata'] : {};
      const spec = isRecord(o.object['spec']) ? o.object['spec'] : {};
      const template = isRecord(spec['template']) ? spec['template'] : {};
      const podSpec = isRecord(template['spec']) ? template['spec'] : {};
      const containers = Array.isArray(podSpec['containers']) ? podSpec['containers'] : [];
      const operator = containers.find(
        (c) => isRecord(c) && Array.isArray(c['args']) && c['args'][0] === 'operator',
      ) as Record<string, unknown> | undefined;
      if (!operator) return [];
      const values = namespaceFlagValues(operator['args'] as unknown[]);
      const parsed = values.length > 0 ? parseNamespaceList(values) : undefined;
      // A flag the operator refuses to start with is the install's own error, not this finding's.
      if (parsed && 'problem' in parsed) return [];
      const namespace = typeof metadata['namespace'] === 'string' ? `${metadata['namespace']}/` : '';
      return [
        {
          label: `Deployment ${namespace}${String(metadata['name'] ?? '')} of ${app.label}`,
          watched: parsed?.namespaces,
        },
      ];
    }),
  );

/**
 * A warning at each Kelos object the project deploys into a namespace no operator it installs
 * watches (KelosInstall's `watchNamespaces`, rendered as `--namespace`): nothing reconciles it,
 * so a Task never runs, a TaskSpawner never spawns, and Argo CD's health check of a Task,
 * TaskSpawner or TaskBudget stays Progressing, which holds back every later sync wave of its app.
 * No finding when the project installs no operator (it runs elsewhere) or one that watches every
 * namespace. An object that names no namespace lands where {@link namespaceMissingDiagnostics}
 * says: its Argo CD destination's namespace, else `defaultNamespace`.
 */
export function namespaceUnwatchedDiagnostics<T extends ObjectInFile>(
  apps: readonly AppOutput<T>[],
  options: {
    readonly defaultNamespace?: string;
    readonly locate?: (o: T, pointer: string) => SourcePosition | undefined;
    /**
     * Deployed beside `apps` (`kelos check --beside`): their operators and Argo CD objects
     * count, their own objects are not reported on.
     */
    readonly beside?: readonly AppOutput<T>[];
    /**
     * Whether `apps` are plain manifests (`kelos check` paths): an object that names no
     * namespace in a directory no Argo CD object syncs lands wherever it is applied (`kubectl
     * apply -n`), so it is not judged.
     */
    readonly manifests?: boolean;
  } = {},
): Diagnostic[] {
  const all = [...apps, ...(options.beside ?? [])];
  const installs = operatorInstallsOf(all);
  if (installs.length === 0 || installs.some((i) => i.watched === undefined)) return [];
  const watched = new Set(installs.flatMap((i) => i.watched ?? []));
  const syncs = argoSyncs(all.flatMap((a) => a.objects));
  const named = installs
    .map((i) => `the operator ${i.label} watches only ${(i.watched ?? []).map((n) => `"${n}"`).join(', ')}`)
    .join('; ');
  const out: Diagnostic[] = [];
  for (const app of apps) {
    const synced = destinationsOf(syncs, app.dir);
    const fallback =
      options.manifests && synced.length === 0
        ? undefined
        : fallbackNamespace(synced, options.defaultNamespace);
    for (const o of app.objects) {
      const kind = o.object['kind'];
      if (o.object['apiVersion'] !== API_VERSION || isClusterScoped(kind) || kind === 'KelosConfig') continue;
      const metadata = isRecord(o.object['metadata']) ? o.object['metadata'] : {};
      const own = typeof metadata['namespace'] === 'string' && metadata['namespace'] !== '';
      const namespace = own ? (metadata['namespace'] as string) : fallback;
      if (namespace === undefined || watched.has(namespace)) continue;
      const where = own
        ? ''
        : synced.length === 0
          ? ' (it names none)'
          : ` (it names none: it lands in the destination namespace of ${synced.find((d) => d.namespace === namespace)?.by ?? synced[0]!.by})`;
      out.push({
        severity: 'warning',
        code: 'install/namespace-unwatched',
        path: own ? '/metadata/namespace' : '',
        message: `${app.label} deploys it into namespace "${namespace}"${where}, which no Kelos operator of this project watches (${named}): nothing reconciles it${HEALTH_CHECKED.has(String(kind)) ? `, and Argo CD's health of the ${String(kind)} stays Progressing, so its app's later sync waves never sync` : ''}`,
        hint: `add "${namespace}" to watchNamespaces of the KelosInstall, or deploy it into a namespace the operator watches (${own ? 'its metadata.namespace' : 'its metadata.namespace, or the destination namespace of its Argo CD app: appsNamespace of KelosArgoCd'})`,
        resource: {
          apiVersion: API_VERSION,
          kind: String(kind),
          name: String(metadata['name'] ?? ''),
          ...(own ? { namespace } : {}),
        },
        source: {
          file: o.file,
          ...(own ? options.locate?.(o, '/metadata/namespace') : options.locate?.(o, '')),
          ...(o.constructPath !== undefined && { constructPath: o.constructPath }),
        },
      });
    }
  }
  return out;
}
