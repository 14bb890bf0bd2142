/**
 * Checks across the objects of a bundle, which the API server cannot do: references that do not
 * resolve inside the bundle, `dependsOn` cycles, and objects defined twice.
 *
 * References resolve by name in the referring object's namespace. An object without
 * `metadata.namespace` is in the default namespace (`default`, or the one the caller applies
 * the bundle to).
 *
 * @packageDocumentation
 */

import { dirname } from 'node:path';
import { isClusterScoped } from '../api/cluster-scoped.ts';
import { API_VERSION, GROUP } from '../api/index.ts';
import {
  type Diagnostic,
  type Finding,
  formatLocation,
  type SourceLocation,
  toPointer,
} from './diagnostic.ts';
import { clipName, closest } from './echo.ts';
import { type LoadedDocument, resourceOf, type SourcePosition, sourceAt, toDiagnostic } from './load.ts';
import { DNS1123_SUBDOMAIN, DNS1123_SUBDOMAIN_MAX, DNS1123_SUBDOMAIN_WORDS } from './object-schema.ts';

/** How bundle references are judged. */
export interface ReferenceOptions {
  /**
   * Namespace of objects that do not name one.
   * @default 'default'
   */
  readonly namespace?: string;
  /**
   * Severity of a reference to a Kelos object that is not in the bundle.
   * @default 'warn'
   */
  readonly externalRefs?: 'warn' | 'error';
  /**
   * Every reference must resolve inside the bundle: to a Kelos object (`ref/dangling` errors), and
   * to a Secret unless {@link externalSecrets} lists it (`ref/secret-external` errors).
   * @default false
   */
  readonly requireRefs?: boolean;
  /**
   * Secrets known to exist in the cluster though not in the bundle (they live outside git), as
   * `namespace/name` or `name` (any namespace): references to them are not reported.
   * @default []
   */
  readonly externalSecrets?: readonly string[];
  /**
   * Namespaces known to exist in the cluster though nothing the project renders creates them
   * (`externalNamespaces` in kelos.policy.yaml): synth's `argocd/namespace-missing` leaves apps
   * deploying into them alone.
   * @default []
   */
  readonly externalNamespaces?: readonly string[];
  /**
   * Where the user wrote the object a document holds, when not in the document's file: synth
   * validates what it renders, and a message naming another object's place (the first of two
   * with one name) names the app line that made it, not a file that may never be written.
   */
  readonly writtenAt?: (file: string) => SourceLocation | undefined;
  /**
   * The other bundle of the same run that deploys an object (another app of the project,
   * another kustomization root), by the name the finding gives it; see {@link bundlesBeside}.
   * A reference to it is an info, not a reference outside git.
   */
  readonly beside?: (kind: string, namespace: string, name: string) => string | undefined;
  /**
   * The names of the objects of a kind in a namespace that the other bundles of the run deploy
   * (see {@link beside}): a reference that resolves nowhere is told the one it likely meant,
   * wherever it is deployed.
   */
  readonly besideNames?: (kind: string, namespace: string) => readonly string[];
  /**
   * The Kelos object another bundle of the run deploys only under a version this Kelos does not
   * serve (`kelos.dev/v1alpha1`), with that bundle (see {@link beside}): a reference to it is
   * `ref/unserved`, as to such an object of the bundle itself.
   */
  readonly besideUnserved?: (kind: string, namespace: string, name: string) => UnservedElsewhere | undefined;
  /**
   * The namespaces in which another bundle of the run deploys an object of this kind and name,
   * each with that bundle (see {@link beside}): a reference that misses only by namespace, one
   * team's directory copying another's, is told where the object is.
   */
  readonly besideNamespaces?: (kind: string, name: string) => readonly NamespacedElsewhere[];
  /**
   * Files of the bundle whose text did not parse: a reference that resolves nowhere may name an
   * object of one of them, so it is not told to exist in the cluster.
   * @default []
   */
  readonly unreadFiles?: readonly string[];
  /**
   * Objects an Argo CD app's `directory.include` or `exclude` leaves out of the bundle, though
   * they sit in its directory, each with why (see the loader's `Bundle.leftOut`).
   * @default []
   */
  readonly leftOut?: ReadonlyArray<{ readonly object: Record<string, unknown>; readonly why: string }>;
}

/** An object of another bundle's namespace: {@link ReferenceOptions.besideNamespaces}. */
export interface NamespacedElsewhere {
  readonly namespace: string;
  /** The bundle that deploys it, as {@link ReferenceOptions.beside} names it. */
  readonly by: string;
}

/** The objects of a bundle as {@link bundlesBeside} reads them. */
interface BesideBundle {
  /** How a finding names the bundle: `app issue-worker`, `dist/apps/issue-worker`. */
  readonly label: string;
  readonly documents: ReadonlyArray<{
    readonly object: Readonly<Record<string, unknown>>;
    /** Where the object is, for a message naming it; an app's object has no line. */
    readonly file?: string;
    readonly line?: number;
    readonly locate?: LoadedDocument['locate'];
  }>;
}

/** A Kelos object of an unserved version that another bundle deploys: {@link ReferenceOptions.besideUnserved}. */
export interface UnservedElsewhere {
  /** The bundle's label (`dist/apps/issue-worker`). */
  readonly by: string;
  readonly apiVersion: string;
  /** Where the object is, when known. */
  readonly at?: SourceLocation;
}

const GROUP_OF = (apiVersion: unknown): string =>
  typeof apiVersion === 'string' && apiVersion.includes('/')
    ? apiVersion.slice(0, apiVersion.indexOf('/'))
    : '';

/** The key a reference looks an object up by: its group, kind, namespace and name. */
const refKey = (kind: string, namespace: string, name: string): string =>
  `${kind === 'Secret' ? '' : 'kelos.dev'}/${kind}/${namespace}/${name}`;

/** The namespace of an object: its own, or `namespace` when it names none. */
const namespaceIn = (object: Readonly<Record<string, unknown>>, namespace: string): string => {
  const ns = (object['metadata'] as Json | undefined)?.['namespace'];
  return typeof ns === 'string' && ns ? ns : namespace;
};

/**
 * The objects a reference can resolve to, by {@link refKey}: of a served Kelos kind and
 * version, or v1 Secrets; the first of two with one key. An object of another version
 * (kelos.dev/v1alpha1) resolves nothing.
 */
const servedObjects = <D extends { readonly object: Readonly<Record<string, unknown>> }>(
  docs: readonly D[],
  namespace: string,
): Map<string, D> => {
  const objects = new Map<string, D>();
  for (const doc of docs) {
    const { object } = doc;
    const kind = String(object['kind']);
    if (object['apiVersion'] !== (kind === 'Secret' ? 'v1' : API_VERSION)) continue;
    const name = (object['metadata'] as Json | undefined)?.['name'];
    const key = typeof name === 'string' && name ? refKey(kind, namespaceIn(object, namespace), name) : '';
    if (key && !objects.has(key)) objects.set(key, doc);
  }
  return objects;
};

/** The {@link refKey}s of the objects a reference can resolve to ({@link servedObjects}). */
const servedKeys = (
  docs: ReadonlyArray<{ readonly object: Readonly<Record<string, unknown>> }>,
  namespace: string,
): Set<string> => new Set(servedObjects(docs, namespace).keys());

/**
 * The document of the bundle a reference of a document's to an object of `kind` named `name`
 * resolves to, in the document's namespace; `undefined` when the bundle does not hold it. For
 * checks that read what is referred to (the Workspace whose credentials decide a Pod's volumes).
 */
export const referencedDocument = (
  docs: readonly LoadedDocument[],
  options: ReferenceOptions = {},
): ((doc: LoadedDocument, kind: string, name: string) => LoadedDocument | undefined) => {
  const namespace = options.namespace ?? 'default';
  const objects = servedObjects(docs, namespace);
  return (doc, kind, name) => objects.get(refKey(kind, namespaceIn(doc.object, namespace), name));
};

/**
 * Whether a reference of a document's to an object of `kind` named `name` resolves, in the
 * document's namespace: to an object of the bundle, or of a bundle beside it
 * ({@link ReferenceOptions.beside}). For checks that judge a reference by whether it resolves
 * (a template's `.Deps` key against the Task a `dependsOn` entry names).
 */
export const referenceResolver = (
  docs: readonly LoadedDocument[],
  options: ReferenceOptions = {},
): ((doc: LoadedDocument, kind: string, name: string) => boolean) => {
  const namespace = options.namespace ?? 'default';
  const keys = servedKeys(docs, namespace);
  return (doc, kind, name) => {
    const ns = namespaceIn(doc.object, namespace);
    return keys.has(refKey(kind, ns, name)) || options.beside?.(kind, ns, name) !== undefined;
  };
};

/**
 * For each bundle of a run, {@link ReferenceOptions.beside} and
 * {@link ReferenceOptions.besideNames}: which other bundle deploys the object a reference
 * names, and what the others deploy. One index for the run, built once.
 */
export const bundlesBeside = (
  bundles: readonly BesideBundle[],
  namespace = 'default',
): ((
  own: string,
) => Required<Pick<ReferenceOptions, 'beside' | 'besideNames' | 'besideUnserved' | 'besideNamespaces'>>) => {
  const owners = new Map<string, string[]>();
  // Names by kind and namespace, each with the bundles that deploy it.
  const names = new Map<string, Map<string, string[]>>();
  // Namespaces by kind and name, each with the bundles that deploy the object there.
  const namespaces = new Map<string, Map<string, string[]>>();
  // Kelos objects of another version, by the key a served one would have: the first of each bundle.
  const unserved = new Map<string, UnservedElsewhere[]>();
  for (const b of bundles) {
    for (const { object, file, line, locate } of b.documents) {
      const kind = String(object['kind']);
      const metadata = (object['metadata'] ?? {}) as Json;
      const ns =
        typeof metadata['namespace'] === 'string' && metadata['namespace']
          ? metadata['namespace']
          : namespace;
      const name = String(metadata['name'] ?? '');
      const key = refKey(kind, ns, name);
      if (object['apiVersion'] !== (kind === 'Secret' ? 'v1' : API_VERSION)) {
        if (kind === 'Secret' || GROUP_OF(object['apiVersion']) !== GROUP) continue;
        const list = unserved.get(key) ?? [];
        if (!list.some((u) => u.by === b.label))
          list.push({
            by: b.label,
            apiVersion: String(object['apiVersion']),
            ...(file !== undefined && {
              at: line === undefined ? { file } : sourceAt({ file, line, ...(locate && { locate }) }, ''),
            }),
          });
        unserved.set(key, list);
        continue;
      }
      const list = owners.get(key);
      if (!list) {
        const labels = [b.label];
        owners.set(key, labels);
        const byName = names.get(`${kind}/${ns}`) ?? new Map<string, string[]>();
        byName.set(name, labels);
        names.set(`${kind}/${ns}`, byName);
        const byNamespace = namespaces.get(`${kind}/${name}`) ?? new Map<string, string[]>();
        byNamespace.set(ns, labels);
        namespaces.set(`${kind}/${name}`, byNamespace);
      } else if (!list.includes(b.label)) list.push(b.label);
    }
  }
  return (own) => ({
    beside: (kind, ns, name) => owners.get(refKey(kind, ns, name))?.find((label) => label !== own),
    besideNames: (kind, ns) =>
      [...(names.get(`${kind}/${ns}`) ?? [])].flatMap(([name, labels]) =>
        labels.some((label) => label !== own) ? [name] : [],
      ),
    besideUnserved: (kind, ns, name) => unserved.get(refKey(kind, ns, name))?.find((u) => u.by !== own),
    besideNamespaces: (kind, name) =>
      [...(namespaces.get(`${kind}/${name}`) ?? [])].flatMap(([ns, labels]) => {
        const by = labels.find((label) => label !== own);
        return by === undefined ? [] : [{ namespace: ns, by }];
      }),
  });
};

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A reference found in an object: what it names and where the name is. */
interface Reference {
  /** Kind of the object referred to. */
  readonly kind: 'Workspace' | 'AgentConfig' | 'Task' | 'Secret' | 'WorkerPool';
  readonly name: string;
  /** Pointer of the name field (or list item) holding the name. */
  readonly path: readonly (string | number)[];
  /** Field, as the user wrote it, for messages (`spec.worker.workspaceRef`). */
  readonly field: string;
}

/** Reads `value` at `path` below `root`. */
const at = (root: unknown, path: readonly (string | number)[]): unknown => {
  let v: unknown = root;
  for (const p of path) {
    if (Array.isArray(v) && typeof p === 'number') v = v[p];
    else if (isRecord(v) && typeof p === 'string') v = v[p];
    else return undefined;
  }
  return v;
};

const fieldName = (path: readonly (string | number)[]): string =>
  path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');

const OBJECT_NAME = new RegExp(DNS1123_SUBDOMAIN);

/**
 * Whether an object of any kind a reference names (a Secret, a Workspace, an AgentConfig, a
 * Task) could bear this name: the API server takes the reference as any string, but refuses
 * such an object, so a reference to a name outside the rule never resolves.
 */
export const isObjectName = (name: string): boolean =>
  name.length <= DNS1123_SUBDOMAIN_MAX && OBJECT_NAME.test(name);

/** Collects references for one object; `push` ignores values that are not names. */
function referencesOf(object: Json): Reference[] {
  const refs: Reference[] = [];
  const spec = object['spec'];
  if (!isRecord(spec)) return refs;
  const nameAt = (
    kind: Reference['kind'],
    path: (string | number)[],
    field = fieldName(path.slice(0, -1)),
  ) => {
    const name = at(object, path);
    if (typeof name === 'string' && name) refs.push({ kind, name, path, field });
  };
  const listOf = (path: (string | number)[]) => {
    const v = at(object, path);
    return Array.isArray(v) ? v : [];
  };
  /** References a WorkerSpec-shaped struct (or a Task spec's legacy fields) holds. */
  const worker = (base: (string | number)[]) => {
    nameAt('Workspace', [...base, 'workspaceRef', 'name']);
    listOf([...base, 'agentConfigRefs']).forEach((_, i) => {
      nameAt('AgentConfig', [...base, 'agentConfigRefs', i, 'name']);
    });
    nameAt('Secret', [...base, 'credentials', 'secretRef', 'name']);
  };
  /** What a Task spec and a TaskSpawner task template share. */
  const taskLike = (base: (string | number)[]) => {
    worker([...base, 'worker']);
    worker(base);
    nameAt('WorkerPool', [...base, 'workerPoolRef', 'name']);
  };

  switch (object['kind']) {
    case 'Task':
      taskLike(['spec']);
      listOf(['spec', 'dependsOn']).forEach((_, i) => {
        nameAt('Task', ['spec', 'dependsOn', i], 'spec.dependsOn');
      });
      break;
    case 'TaskSpawner': {
      const template = ['spec', 'taskTemplate'];
      taskLike(template);
      listOf(['spec', 'credentials']).forEach((_, i) => {
        nameAt('Secret', ['spec', 'credentials', i, 'secretRef', 'name']);
      });
      nameAt('Secret', ['spec', 'when', 'jira', 'secretRef', 'name']);
      nameAt('Secret', ['spec', 'when', 'webhook', 'secretRef', 'name']);
      nameAt('Secret', ['spec', 'when', 'githubWebhook', 'secretRef', 'name']);
      nameAt('Secret', ['spec', 'when', 'linearWebhook', 'secretRef', 'name']);
      listOf([...template, 'contextSources']).forEach((_, i) => {
        const http = [...template, 'contextSources', i, 'http'];
        nameAt('Secret', [...http, 'githubAppAuth', 'secretRef', 'name']);
        listOf([...http, 'headersFrom']).forEach((_, j) => {
          nameAt('Secret', [...http, 'headersFrom', j, 'secretName'], fieldName([...http, 'headersFrom', j]));
        });
      });
      break;
    }
    case 'Workspace':
      nameAt('Secret', ['spec', 'secretRef', 'name']);
      break;
    case 'AgentConfig':
      listOf(['spec', 'skills']).forEach((_, i) => {
        nameAt('Secret', ['spec', 'skills', i, 'secretRef', 'name']);
      });
      listOf(['spec', 'mcpServers']).forEach((_, i) => {
        const server = ['spec', 'mcpServers', i];
        nameAt('Secret', [...server, 'headersFrom', 'secretRef', 'name']);
        nameAt('Secret', [...server, 'envFrom', 'secretRef', 'name']);
        listOf([...server, 'env']).forEach((_, j) => {
          nameAt('Secret', [...server, 'env', j, 'valueFrom', 'secretKeyRef', 'name']);
        });
      });
      break;
  }
  return refs;
}

/**
 * Runs the bundle checks over every document.
 *
 * @returns Diagnostics tied to the referring documents.
 */
export function checkReferences(
  docs: readonly LoadedDocument[],
  options: ReferenceOptions = {},
): Diagnostic[] {
  const defaultNamespace = options.namespace ?? 'default';
  const namespaceOf = (doc: LoadedDocument): string => namespaceIn(doc.object, defaultNamespace);
  // Where a referenced object must exist: a namespace the object (or the caller) names is
  // certain; otherwise it is whichever namespace the object is applied to, which kubectl -n or
  // an Argo CD Application's destination decides, not this check.
  const inCluster = (doc: LoadedDocument, namespace: string): string => {
    const ns = (doc.object['metadata'] as Json | undefined)?.['namespace'];
    return (typeof ns === 'string' && ns) || options.namespace !== undefined
      ? `in namespace "${namespace}" in the cluster`
      : `in the cluster, in the namespace the object is applied to (it names none: "${namespace}" unless kubectl -n or the Argo CD Application's destination sets another)`;
  };
  // A reference that resolves nowhere may name an object of a file that did not parse.
  const unread = options.unreadFiles ?? [];
  const unreadNamed =
    unread.length <= MAX_UNREAD_NAMED
      ? unread.join(unread.length === 2 ? ' or ' : ', ')
      : `${unread.slice(0, MAX_UNREAD_NAMED).join(', ')} or ${unread.length - MAX_UNREAD_NAMED} more`;
  const inUnread =
    unread.length === 0
      ? undefined
      : `it may be in ${unreadNamed}, which ${unread.length === 1 ? 'does' : 'do'} not parse; fix ${unread.length === 1 ? 'that file' : 'those files'} and run again`;
  /** Where an object a reference names, and the bundle does not hold, must be. */
  const mustBe = (doc: LoadedDocument, namespace: string): string =>
    inUnread ?? `it must exist ${inCluster(doc, namespace)}`;
  const nameOf = (doc: LoadedDocument): string =>
    String((doc.object['metadata'] as Json | undefined)?.['name'] ?? '');
  const out: Diagnostic[] = [];
  const report = (doc: LoadedDocument, finding: Finding) => out.push(toDiagnostic(doc, finding));
  /**
   * Why an object of the app's directory by that kind and name is not in the bundle, when its
   * directory globs left it out: by name only, as its namespace would have been the app's.
   */
  const leftOutWhy = (kind: string, name: string): string => {
    const hit = (options.leftOut ?? []).find(
      (l) => l.object['kind'] === kind && (l.object['metadata'] as Json | undefined)?.['name'] === name,
    );
    return hit === undefined ? '' : ` (${hit.why})`;
  };

  // Objects by group/kind/namespace/name; the first definition wins, later ones are duplicates.
  const byKey = new Map<string, LoadedDocument>();
  for (const doc of docs) {
    // An object named by generateName gets a fresh name from the server: it cannot clash.
    if (nameOf(doc) === '') continue;
    const key = `${GROUP_OF(doc.object['apiVersion'])}/${String(doc.object['kind'])}/${namespaceOf(doc)}/${nameOf(doc)}`;
    const first = byKey.get(key);
    if (!first) {
      byKey.set(key, doc);
      continue;
    }
    const firstAt = formatLocation(options.writtenAt?.(first.file) ?? sourceAt(first, ''));
    report(doc, {
      severity: 'error',
      code: 'bundle/duplicate',
      path: '',
      message: `${String(doc.object['kind'])} "${isClusterScoped(doc.object['kind']) || doc.object['kind'] === 'KelosConfig' ? '' : `${namespaceOf(doc)}/`}${nameOf(doc)}" is defined twice: here and at ${firstAt}`,
      hint:
        dirname(first.file) === dirname(doc.file)
          ? 'object names must be unique per kind and namespace; rename or remove one of them'
          : `object names must be unique per kind and namespace in one bundle; if ${dirname(first.file)}/ and ${dirname(doc.file)}/ are deployed apart (an Argo CD Application each), validate them with the Application or ApplicationSet that syncs them (name its file too), which makes each directory it syncs a bundle of its own, or give each a kustomization.yaml; else rename or remove one of them`,
    });
  }

  const served = servedKeys(docs, defaultNamespace);
  const kelosKey = (kind: string, namespace: string, name: string) =>
    `kelos.dev/${kind}/${namespace}/${name}`;
  const has = (kind: string, namespace: string, name: string): boolean =>
    served.has(refKey(kind, namespace, name));
  // Namespaces each kind/name occurs in, to hint at a reference that only misses by namespace.
  const namespacesByName = new Map<string, Set<string>>();
  for (const doc of docs) {
    const key = `${String(doc.object['kind'])}/${nameOf(doc)}`;
    const set = namespacesByName.get(key) ?? new Set<string>();
    set.add(namespaceOf(doc));
    namespacesByName.set(key, set);
  }
  // Its own namespaces bare, another bundle's with that bundle: `team-04 (deployed by manifests/team-04)`.
  const elsewhere = (kind: string, name: string, namespace: string): string[] => {
    const own = namespacesByName.get(`${kind}/${name}`) ?? new Set<string>();
    const beside = (options.besideNamespaces?.(kind, name) ?? []).filter((b) => !own.has(b.namespace));
    return [
      ...[...own].filter((ns) => ns !== namespace).sort(),
      ...beside
        .filter((b) => b.namespace !== namespace)
        .sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0))
        .map((b) => `${b.namespace} (deployed by ${b.by})`),
    ];
  };
  // Names of each kind per namespace, for "did you mean" on a reference that resolves nowhere.
  const namesIn = new Map<string, string[]>();
  for (const doc of docs) {
    const key = `${String(doc.object['kind'])}/${namespaceOf(doc)}`;
    const names = namesIn.get(key);
    if (names) names.push(nameOf(doc));
    else namesIn.set(key, [nameOf(doc)]);
  }
  const didYouMean = (
    kind: string,
    namespace: string,
    name: string,
    extra: readonly string[] = [],
    self?: string,
  ): string => {
    // Never the referring object itself: `dependsOn: [t2]` on Task t1 is no typo of a cycle.
    const names = (namesIn.get(`${kind}/${namespace}`) ?? []).filter((n) => n !== self);
    const besideNames = options.besideNames?.(kind, namespace) ?? [];
    const guess = closest(name, [...names, ...extra, ...besideNames]);
    if (!guess || guess === name) return '';
    // A name only another bundle deploys says which one: the reference resolves once both are synced.
    const deployedBy =
      names.includes(guess) || extra.includes(guess) ? undefined : options.beside?.(kind, namespace, guess);
    return `; did you mean "${guess}"${deployedBy === undefined ? '' : `, which ${deployedBy} deploys`}?`;
  };

  /**
   * The object of another version a reference names: the bundle's own (`by` unset), else one a
   * bundle beside it deploys.
   */
  const unservedAt = (
    kind: string,
    namespace: string,
    name: string,
  ): (Omit<UnservedElsewhere, 'by'> & { readonly by?: string }) | undefined => {
    const own = byKey.get(kelosKey(kind, namespace, name));
    return own
      ? { apiVersion: String(own.object['apiVersion']), at: sourceAt(own, '') }
      : options.besideUnserved?.(kind, namespace, name);
  };

  /** The referring object's own name when it is of the kind referred to. */
  const ownName = (doc: LoadedDocument, kind: string): string | undefined =>
    doc.object['kind'] === kind ? nameOf(doc) : undefined;

  // Task dependency graph, for cycle detection.
  const edges = new Map<string, Array<{ to: string; index: number }>>();
  const taskDocs = new Map<string, LoadedDocument>();

  for (const doc of docs) {
    if (doc.object['apiVersion'] !== API_VERSION) continue;
    const namespace = namespaceOf(doc);
    const self = `${namespace}/${nameOf(doc)}`;
    if (doc.object['kind'] === 'Task') {
      taskDocs.set(self, doc);
      edges.set(self, []);
    }
    for (const ref of referencesOf(doc.object)) {
      const path = toPointer(ref.path);
      if (ref.kind === 'Task' && doc.object['kind'] === 'Task') {
        edges
          .get(self)
          ?.push({ to: `${namespace}/${ref.name}`, index: Number(ref.path[ref.path.length - 1]) });
      }
      if (ref.kind === 'WorkerPool') {
        report(doc, {
          severity: 'warning',
          code: 'ref/unserved',
          path,
          message: `${ref.field} names WorkerPool "${ref.name}"; WorkerPools are not served by this version of Kelos, so nothing will run it`,
          hint: 'run the Task inline with spec.worker (type, credentials, workspaceRef) instead of workerPoolRef',
        });
        continue;
      }
      if (has(ref.kind, namespace, ref.name)) continue;
      const beside = options.beside?.(ref.kind, namespace, ref.name);
      if (beside !== undefined) {
        report(doc, {
          severity: 'info',
          code: 'ref/other-bundle',
          path,
          message: `${ref.field} names ${ref.kind} "${ref.name}", which ${beside} deploys (namespace "${namespace}"), not this bundle: it resolves once both are synced`,
        });
        continue;
      }
      if (!isObjectName(ref.name)) {
        // Not a dangling reference to list or create: no object can ever have this name, so
        // neither externalSecrets nor kubectl create makes it resolve.
        const lower = ref.name.toLowerCase().replaceAll('_', '-');
        const fixed = isObjectName(lower) ? `; did you mean "${lower}"?` : '';
        report(doc, {
          severity: 'error',
          code: 'ref/invalid-name',
          path,
          message: `${ref.field} names ${ref.kind} "${clipName(ref.name)}", which no ${ref.kind} can be named, so the reference never resolves: a ${ref.kind}'s name is ${DNS1123_SUBDOMAIN_WORDS} (at most ${DNS1123_SUBDOMAIN_MAX} characters)${fixed}`,
          hint: `write the name as the ${ref.kind}'s metadata.name is written`,
        });
        continue;
      }
      // In the bundle (or one beside it) under a version this Kelos does not serve (upstream's
      // kelos.dev/v1alpha1 Workspace beside a v1alpha2 Task): not missing, but refused with its object.
      const unserved = ref.kind === 'Secret' ? undefined : unservedAt(ref.kind, namespace, ref.name);
      if (unserved !== undefined) {
        const version = clipName(unserved.apiVersion);
        const at = unserved.at && (options.writtenAt?.(unserved.at.file) ?? unserved.at);
        report(doc, {
          severity: options.requireRefs || options.externalRefs === 'error' ? 'error' : 'warning',
          code: 'ref/unserved',
          path,
          message: `${ref.field} names ${ref.kind} "${ref.name}", which ${unserved.by === undefined ? 'this bundle has' : `${unserved.by} deploys`} only as ${version}${at ? ` (${formatLocation(at)})` : ''}, a version this Kelos does not serve: the API server refuses that object, so the reference does not resolve`,
          hint: `change the ${ref.kind}'s apiVersion to ${API_VERSION}, and check its fields against the ${API_VERSION} API`,
        });
        continue;
      }
      const other = elsewhere(ref.kind, ref.name, namespace);
      const otherHint =
        other.length > 0
          ? `${/^[AEIOU]/.test(ref.kind) ? 'an' : 'a'} ${ref.kind} "${ref.name}" exists in namespace${other.length > 1 ? 's' : ''} ${other.join(', ')}; references only resolve within the same namespace`
          : undefined;
      if (ref.kind === 'Secret') {
        const declared = options.externalSecrets ?? [];
        if (declared.includes(ref.name) || declared.includes(`${namespace}/${ref.name}`)) continue;
        const known = declared
          .map((d) => d.split('/'))
          .filter((parts) => parts.length === 1 || parts[0] === namespace)
          .map((parts) => parts[parts.length - 1] as string);
        // Strict, externalSecrets is the list of the Secrets outside git: one neither there nor in
        // the bundle is a typo or a Secret nobody declared, and fails as a dangling reference does.
        if (options.requireRefs) {
          report(doc, {
            severity: 'error',
            code: 'ref/secret-external',
            path,
            message: `${ref.field} names Secret "${ref.name}", which is not in this bundle${leftOutWhy('Secret', ref.name)} (namespace "${namespace}") nor listed under externalSecrets; every reference must resolve within the bundle or, for a Secret created outside git, be listed there${inUnread ? ` (${inUnread})` : ''}${didYouMean('Secret', namespace, ref.name, known)}`,
            hint:
              otherHint ??
              'fix the name; or, if the Secret is created outside git (sealed-secrets, external-secrets, kubectl), list it under externalSecrets in kelos.policy.yaml',
          });
          continue;
        }
        report(doc, {
          severity: 'warning',
          code: 'ref/secret-external',
          path,
          message: `${ref.field} names Secret "${ref.name}", which is not in this bundle${leftOutWhy('Secret', ref.name)}; ${mustBe(doc, namespace)}${didYouMean('Secret', namespace, ref.name, known)}`,
          hint:
            otherHint ??
            'Secrets are usually created outside git (sealed-secrets, external-secrets, kubectl); make sure it exists before the agent runs, then list it under externalSecrets in kelos.policy.yaml',
        });
        continue;
      }
      if (options.requireRefs) {
        report(doc, {
          severity: 'error',
          code: 'ref/dangling',
          path,
          message: `${ref.field} names ${ref.kind} "${ref.name}", which is not in this bundle (namespace "${namespace}"); every reference must resolve within the bundle${inUnread ? ` (${inUnread})` : ''}${didYouMean(ref.kind, namespace, ref.name, [], ownName(doc, ref.kind))}`,
          hint: otherHint ?? `add the ${ref.kind} to the bundle, or fix the name`,
        });
      } else {
        report(doc, {
          severity: options.externalRefs === 'error' ? 'error' : 'warning',
          code: 'ref/external',
          path,
          message: `${ref.field} names ${ref.kind} "${ref.name}", which is not in this bundle${leftOutWhy(ref.kind, ref.name)}; ${mustBe(doc, namespace)}${didYouMean(ref.kind, namespace, ref.name, [], ownName(doc, ref.kind))}`,
          ...(otherHint ? { hint: otherHint } : {}),
        });
      }
    }
  }

  const { cycles, total } = searchCycles(edges, MAX_CYCLES + 1);
  for (const [i, cycle] of cycles.entries()) {
    const [from, to] = [cycle[0] ?? '', cycle[1] ?? ''];
    const doc = taskDocs.get(from);
    const edge = edges.get(from)?.find((e) => e.to === to);
    if (!doc || !edge) continue;
    const path = toPointer(['spec', 'dependsOn', edge.index]);
    if (i === MAX_CYCLES) {
      report(doc, {
        severity: 'error',
        code: 'ref/cycle',
        path,
        message: `dependsOn forms ${total - MAX_CYCLES} more cycles, starting with this one; only the first ${MAX_CYCLES} are listed`,
        hint: 'break the cycles above and run again to see the rest',
      });
      break;
    }
    const names = cycle.map((key) => key.slice(key.indexOf('/') + 1));
    const shown =
      names.length > MAX_CYCLE_NAMES
        ? [...names.slice(0, MAX_CYCLE_NAMES - 1), `… (${names.length - MAX_CYCLE_NAMES} more)`, names.at(-1)]
        : names;
    report(doc, {
      severity: 'error',
      code: 'ref/cycle',
      path,
      message: `dependsOn forms a cycle: ${shown.join(' → ')}; none of these Tasks can ever start`,
      hint: 'remove one of the dependencies in the cycle',
    });
  }
  return out;
}

/** Files that did not parse a reference's message names before it counts the rest. */
const MAX_UNREAD_NAMED = 3;

/** A bundle as {@link cyclesAcrossBundles} reads it (the shape of `BundleObjects`). */
interface CycleBundle {
  readonly name: string;
  readonly documents: ReadonlyArray<{
    readonly object: Readonly<Record<string, unknown>>;
    readonly file: string;
    readonly line: number;
    readonly writtenAt?: SourceLocation;
    /** Where a JSON pointer is in the file, when the document was read from one. */
    readonly locate?: (pointer: string) => SourcePosition | undefined;
  }>;
}

/**
 * `dependsOn` cycles whose Tasks more than one bundle of the run deploys (two apps, two
 * kustomization roots): each bundle's own check sees a dependency on the other as a reference
 * elsewhere, and cannot see the cycle it closes. Cycles inside one bundle are its own check's.
 */
export function cyclesAcrossBundles(bundles: readonly CycleBundle[], namespace = 'default'): Diagnostic[] {
  if (bundles.length < 2) return [];
  const edges = new Map<string, Array<{ to: string; index: number }>>();
  const owner = new Map<string, { bundle: CycleBundle; doc: CycleBundle['documents'][number] }>();
  for (const bundle of bundles) {
    for (const doc of bundle.documents) {
      const o = doc.object;
      if (o['apiVersion'] !== API_VERSION || o['kind'] !== 'Task') continue;
      const metadata = (o['metadata'] ?? {}) as Json;
      const ns =
        typeof metadata['namespace'] === 'string' && metadata['namespace']
          ? metadata['namespace']
          : namespace;
      const self = `${ns}/${String(metadata['name'] ?? '')}`;
      if (owner.has(self)) continue;
      owner.set(self, { bundle, doc });
      edges.set(
        self,
        referencesOf(o)
          .filter((r) => r.kind === 'Task')
          .map((r) => ({ to: `${ns}/${r.name}`, index: Number(r.path[r.path.length - 1]) })),
      );
    }
  }
  const out: Diagnostic[] = [];
  const label = (b: CycleBundle) => (b.name === '' ? 'the loose manifests' : b.name);
  for (const cycle of searchCycles(edges, MAX_CYCLES).cycles) {
    const bundlesOf = new Set(cycle.map((key) => owner.get(key)?.bundle));
    if (bundlesOf.size < 2) continue;
    const [from = '', to = ''] = cycle;
    const start = owner.get(from);
    const edge = edges.get(from)?.find((e) => e.to === to);
    if (!start || !edge) continue;
    const nameOf = (key: string) => key.slice(key.indexOf('/') + 1);
    // The cycle ends where it starts: the last name once more, without its bundle.
    const names = cycle
      .slice(0, -1)
      .map((key) => `${nameOf(key)} (${label(owner.get(key)?.bundle ?? start.bundle)})`);
    const resource = resourceOf(start.doc.object);
    const path = toPointer(['spec', 'dependsOn', edge.index]);
    out.push({
      severity: 'error',
      code: 'ref/cycle',
      path,
      message: `dependsOn forms a cycle across bundles: ${names.join(' → ')} → ${nameOf(from)}; none of these Tasks can ever start`,
      hint: 'remove one of the dependencies in the cycle',
      resource: { ...resource, namespace: resource.namespace ?? namespace },
      source: { file: start.doc.file, ...(start.doc.locate?.(path) ?? { line: start.doc.line }) },
    });
  }
  return out;
}

/**
 * The elementary cycles of a dependency graph that are reachable in it, each reported once as a
 * closed path starting (and ending) at its smallest key, e.g. `[a, b, a]`. Edges to unknown
 * nodes are ignored: a dependency outside the bundle cannot close a cycle we can see.
 */
export function findCycles(edges: ReadonlyMap<string, ReadonlyArray<{ to: string }>>): string[][] {
  return searchCycles(edges, Number.POSITIVE_INFINITY).cycles;
}

/** Cycles reported in full; past them, one finding counts the rest (300 mutually dependent Tasks close 44,850). */
const MAX_CYCLES = 20;
/** Task names a cycle's message lists before it elides the middle. */
const MAX_CYCLE_NAMES = 12;

/**
 * {@link findCycles}, recording at most `limit` cycles and counting the others (each back edge
 * of the search closes one), so the work stays linear in the graph once the limit is reached.
 */
function searchCycles(
  edges: ReadonlyMap<string, ReadonlyArray<{ to: string }>>,
  limit: number,
): { cycles: string[][]; total: number } {
  let total = 0;
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'active' | 'done'>();
  // Iterative depth-first search: a long dependsOn chain must not exhaust the call stack.
  for (const root of [...edges.keys()].sort()) {
    if (state.has(root)) continue;
    const path: string[] = [root];
    const next: number[] = [0];
    state.set(root, 'active');
    while (path.length > 0) {
      const node = path[path.length - 1] ?? '';
      const out = edges.get(node) ?? [];
      const i = next[next.length - 1] ?? 0;
      if (i >= out.length) {
        state.set(node, 'done');
        path.pop();
        next.pop();
        continue;
      }
      next[next.length - 1] = i + 1;
      const to = out[i]?.to ?? '';
      if (!edges.has(to)) continue;
      const s = state.get(to);
      if (s === undefined) {
        state.set(to, 'active');
        path.push(to);
        next.push(0);
      } else if (s === 'active') {
        if (cycles.length >= limit) {
          total++;
          continue;
        }
        const loop = path.slice(path.indexOf(to));
        const smallest = [...loop].sort()[0] ?? to;
        const start = loop.indexOf(smallest);
        const rotated = [...loop.slice(start), ...loop.slice(0, start)];
        const id = rotated.join('\u0000');
        if (!seen.has(id)) {
          seen.add(id);
          cycles.push([...rotated, smallest]);
          total++;
        }
      }
    }
  }
  return { cycles, total };
}
