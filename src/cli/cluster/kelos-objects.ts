/**
 * The Kelos objects in a cluster, and which of them an installed operator cannot release: a
 * Kelos object carrying the operator's `kelos.dev/` finalizer in a namespace the operator does
 * not watch keeps it until that namespace is watched again or someone removes it by hand, so
 * deleting it waits forever. `kelos install` warns of them when it narrows the watched
 * namespaces; `kelos delete` and `kelos uninstall` say so instead of asking whether the
 * operator runs.
 *
 * @packageDocumentation
 */
import { GROUP, KINDS } from '../../api/index.ts';
import { parseNamespaceList } from '../../install/watch-namespaces.ts';
import { ApiError, type ApiObject } from '../../kube/client.ts';
import { DEPLOYMENT, INSTALL_DEFAULTS } from './bundle.ts';
import type { Cluster } from './connection.ts';
import { INSTALL_SELECTOR } from './install-objects.ts';
import { typeOf } from './kinds.ts';
import { pollUntil } from './poll.ts';

/**
 * Listing order: spawners first, so none makes a Task while Tasks go; Tasks next, as their
 * finalization writes TaskRecords; then the rest.
 */
const ORDER = ['TaskSpawner', 'Task'];
const ORDERED_KINDS = [...KINDS].sort(
  (a, b) => (ORDER.indexOf(a.kind) + 1 || 99) - (ORDER.indexOf(b.kind) + 1 || 99),
);

/** How long a list may answer 429 before it fails. */
const BUSY_SECONDS = 30;

/**
 * Every Kelos object in the cluster, each with its kind, TaskSpawners then Tasks then the
 * rest; an unserved kind has none. Just after the CRDs are created the API server answers 429
 * ("storage is (re)initializing") until its cache of the kind is ready, so a list is retried
 * for a while instead of failing.
 */
export async function kelosObjects(cluster: Cluster): Promise<ApiObject[]> {
  const out: ApiObject[] = [];
  for (const def of ORDERED_KINDS) {
    let items: ApiObject[] = [];
    let busy: ApiError | undefined;
    await pollUntil(BUSY_SECONDS, async () => {
      try {
        items = (await cluster.client.list<ApiObject>(typeOf(def))).items;
      } catch (err) {
        if (err instanceof ApiError && err.status === 429) {
          busy = err;
          return false;
        }
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
      busy = undefined;
      return true;
    });
    if (busy) throw busy;
    out.push(...items.map((o) => ({ ...o, kind: def.kind })));
  }
  return out;
}

/** The `kelos.dev/` finalizers `obj` carries: those only the Kelos operator removes. */
export const kelosFinalizers = (obj: ApiObject): string[] =>
  (obj.metadata.finalizers ?? []).filter((f) => f.startsWith(`${GROUP}/`));

type OperatorDeployment = ApiObject & {
  spec?: {
    replicas?: number;
    template?: { spec?: { containers?: Array<{ name?: string; args?: string[] }> } };
  };
  status?: { readyReplicas?: number };
};

/**
 * The namespaces the operator of `deployment` watches, from its container's `--namespace`
 * flags (`--namespace=a,b`, as the install writes it, or `--namespace a`, repeated or not);
 * undefined when it has none, and so watches every namespace.
 */
export function watchedNamespacesOf(deployment: OperatorDeployment): string[] | undefined {
  const containers = deployment.spec?.template?.spec?.containers ?? [];
  const args = (containers.find((c) => c.name === 'operator') ?? containers[0])?.args ?? [];
  const values: string[] = [];
  args.forEach((arg, i) => {
    if (arg.startsWith('--namespace=')) values.push(arg.slice('--namespace='.length));
    else if (arg === '--namespace' && args[i + 1] !== undefined) values.push(args[i + 1]!);
  });
  if (values.length === 0) return undefined;
  const parsed = parseNamespaceList(values);
  return 'namespaces' in parsed ? parsed.namespaces : undefined;
}

/** The installed operator: where its Deployment is and the namespaces it watches (undefined: all). */
export interface InstalledOperator {
  readonly namespace: string;
  readonly watched: readonly string[] | undefined;
  /** Its ready replicas and the replicas it asks for, as `kubectl get deployment` shows them. */
  readonly ready: number;
  readonly replicas: number;
}

/**
 * What the CLI can tell of the operator: installed (where, and what it watches); absent, when
 * the API server answered that its Deployment does not exist (404) and no install is found by
 * its labels elsewhere; unknown, when RBAC forbids the read or another namespace holds it.
 */
export type OperatorLookup =
  | { readonly state: 'installed'; readonly operator: InstalledOperator }
  | { readonly state: 'absent'; readonly namespace: string }
  | { readonly state: 'unknown' };

/**
 * Looks the operator's Deployment up, in `namespace` when given (uninstall knows it), else by
 * the install's labels in any namespace (a cluster holds one install), else at the default
 * place; see {@link OperatorLookup}.
 */
export async function lookUpOperator(
  cluster: Pick<Cluster, 'client'>,
  namespace?: string,
): Promise<OperatorLookup> {
  const at = namespace ?? INSTALL_DEFAULTS.namespace;
  const installed = (d: OperatorDeployment): OperatorLookup => ({
    state: 'installed',
    operator: {
      namespace: d.metadata.namespace ?? at,
      watched: watchedNamespacesOf(d),
      ready: d.status?.readyReplicas ?? 0,
      replicas: d.spec?.replicas ?? 1,
    },
  });
  const forbidden = (err: unknown): undefined => {
    if (err instanceof ApiError && err.status === 403) return undefined;
    throw err;
  };
  const labelled = await cluster.client
    .list<OperatorDeployment>(DEPLOYMENT, { labelSelector: INSTALL_SELECTOR })
    .then((l) => l.items.filter((d) => d.metadata.name === INSTALL_DEFAULTS.deployment), forbidden);
  if (namespace === undefined && labelled?.[0]) return installed(labelled[0]);
  let read: OperatorDeployment | undefined;
  try {
    read = await cluster.client.get<OperatorDeployment>(DEPLOYMENT, at, INSTALL_DEFAULTS.deployment);
  } catch (err) {
    // A read RBAC forbids: whether an operator is installed is not known. (A 404 is no error
    // here: `get` answers undefined for it, which is told apart below.)
    if (err instanceof ApiError && err.status === 403) return { state: 'unknown' };
    throw err;
  }
  if (read) return installed(read);
  // Installed in another namespace than the one asked about: not "none", and not this one.
  return labelled === undefined || labelled.length === 0
    ? { state: 'absent', namespace: at }
    : { state: 'unknown' };
}

/**
 * The installed operator's Deployment (see {@link lookUpOperator}). Undefined when there is
 * none, or the user may not read it: what it watches is then unknown, and nothing is said of it.
 */
export async function installedOperator(
  cluster: Cluster,
  namespace?: string,
): Promise<InstalledOperator | undefined> {
  const found = await lookUpOperator(cluster, namespace);
  return found.state === 'installed' ? found.operator : undefined;
}

/** The objects in one namespace the operator does not watch that carry its finalizer. */
export interface Stranded {
  readonly namespace: string;
  readonly objects: readonly ApiObject[];
}

/**
 * The objects of `objects` that carry a `kelos.dev/` finalizer in a namespace outside
 * `watched`, by namespace (sorted); none when `watched` is undefined (every namespace).
 */
export function strandedObjects(
  objects: readonly ApiObject[],
  watched: readonly string[] | undefined,
): Stranded[] {
  if (watched === undefined) return [];
  const by = new Map<string, ApiObject[]>();
  for (const o of objects) {
    const ns = o.metadata.namespace;
    if (!ns || watched.includes(ns) || kelosFinalizers(o).length === 0) continue;
    by.set(ns, [...(by.get(ns) ?? []), o]);
  }
  return [...by.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([namespace, objs]) => ({ namespace, objects: objs }));
}

/** `40 Tasks, 1 Workspace`: how many objects of each kind, in the order first seen. */
export const countByKind = (objects: readonly ApiObject[]): string => {
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(o.kind ?? 'object', (counts.get(o.kind ?? 'object') ?? 0) + 1);
  return [...counts.entries()].map(([kind, n]) => `${n} ${kind}${n === 1 ? '' : 's'}`).join(', ');
};

/**
 * What keeps the finalizers of `stranded` and the two ways out: watch their namespaces again
 * (the install command that does, with `watched` kept), or remove the finalizer by hand (the
 * command for one object, and what that skips).
 */
export function strandedWayOut(stranded: readonly Stranded[], watched: readonly string[]): string {
  const again = [...watched, ...stranded.map((s) => s.namespace)].join(',');
  return (
    `the finalizer stays until ${stranded.length === 1 ? 'the namespace is' : 'their namespaces are'} watched again ` +
    `(kelos install --watch-namespace ${again}, with the install's other flags) or is ${byHand(stranded.flatMap((s) => s.objects))}`
  );
}

/**
 * `removed by hand (kubectl patch …)`: the command that removes the finalizers of the first of
 * `objects` (`, for each` when there are more), and what doing so skips.
 */
const byHand = (objects: readonly ApiObject[]): string => {
  const first = objects[0];
  const patch = first
    ? `kubectl patch ${(first.kind ?? 'task').toLowerCase()} ${first.metadata.name}${first.metadata.namespace ? ` -n ${first.metadata.namespace}` : ''} --type=merge -p '{"metadata":{"finalizers":null}}'`
    : '';
  return (
    `removed by hand (${patch}${objects.length > 1 ? ', for each' : ''}), ` +
    "which skips the operator's clean-up of a Task (its Job deleted, its cost recorded in a TaskRecord)"
  );
};

/**
 * What to say of Kelos objects whose finalizer nothing will release because no operator is
 * installed (see {@link lookUpOperator}): so, and the command that removes it by hand. Asking
 * whether the operator runs would send the user after a Deployment that does not exist.
 */
export function noOperatorWayOut(objects: readonly ApiObject[], namespace: string): string {
  return (
    `no Kelos operator is installed (${missingDeployment(namespace)}), ` +
    `so nothing will release the finalizer: it stays until an operator is installed again or is ${byHand(objects)}`
  );
}

/**
 * What `kelos run` says once it has created Task `task` on a cluster where no operator is
 * installed (see {@link lookUpOperator}): the Task would otherwise wait for ever without a phase.
 */
export function noOperatorToRun(task: string, namespace: string): string {
  return `no Kelos operator is installed on this cluster (${missingDeployment(namespace)}), so nothing will run task "${task}"; install one with kelos install`;
}

/**
 * What `kelos run` says once it has created Task `task` while the installed operator has no
 * ready replica: the Task waits for one. An operator run by hand (`kelos operator`) is not
 * seen here, so the words leave room for it.
 */
export function noReadyOperator(task: string, operator: InstalledOperator): string {
  const deployment = `deployment/${INSTALL_DEFAULTS.deployment} -n ${operator.namespace}`;
  return `the Kelos operator (${deployment}) has no ready replica (${operator.ready}/${operator.replicas}), so task "${task}" waits until one is ready (kubectl rollout status ${deployment}), unless an operator runs elsewhere (kelos operator)`;
}

/** Where the operator's Deployment was looked for, and that it is not there. */
const missingDeployment = (namespace: string): string =>
  `deployment/${INSTALL_DEFAULTS.deployment} -n ${namespace} does not exist`;
