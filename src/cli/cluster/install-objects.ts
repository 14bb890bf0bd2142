/**
 * The objects of an operator install in a cluster, found by the labels the install puts on
 * every object (`INSTALL_LABELS`), whatever settings rendered them: what `kelos install`
 * prunes after applying a new bundle and what `kelos uninstall` deletes. One definition, so
 * the two commands agree on what belongs to an install.
 *
 * The install's names are fixed (`kelos-operator`, …), so an install is told apart by its
 * operator namespace: its namespaced objects live there, and its RoleBindings and
 * ClusterRoleBindings elsewhere bind a ServiceAccount of that namespace. A Role or ClusterRole
 * belongs to it when one of its bindings references it, and a ClusterRole another install's
 * binding still references is left alone. The ClusterRoles aggregated into the built-in roles
 * (`kelos-edit`, `kelos-view`) have no binding of the install's: they belong to it when no
 * binding references them at all (a cluster holds one install, see {@link otherInstallNamespace}),
 * so turning them off prunes them.
 *
 * @packageDocumentation
 */
import { aggregatesToDefaultRole, INSTALL_LABELS } from '../../install/index.ts';
import { ApiError, type ApiObject, apiVersionOf } from '../../kube/client.ts';
import { INSTALL_TYPES, NAMESPACE, typeOfObject } from './bundle.ts';
import type { Cluster } from './connection.ts';

/** The label selector of every install object (`app.kubernetes.io/name=kelos,…`). */
export const INSTALL_SELECTOR = Object.entries(INSTALL_LABELS)
  .map(([k, v]) => `${k}=${v}`)
  .join(',');

/** Whether `obj` carries every label the install puts on its objects. */
export const hasInstallLabels = (obj: ApiObject): boolean =>
  Object.entries(INSTALL_LABELS).every(([k, v]) => obj.metadata.labels?.[k] === v);

/** `group/kind/namespace/name`: one object, whatever version or settings rendered it. */
export const objectKey = (obj: ApiObject): string => {
  const type = typeOfObject(obj);
  return `${type.group}/${type.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
};

/**
 * Every object of the install's kinds that carries the install labels, in any namespace. A
 * kind the cluster does not serve (the monitors, without the Prometheus Operator) has none.
 * List items carry no kind, so it is set from the type.
 */
export async function labelledInstallObjects(cluster: Cluster): Promise<ApiObject[]> {
  const out: ApiObject[] = [];
  for (const type of INSTALL_TYPES) {
    try {
      const page = await cluster.client.list<ApiObject>(type, { labelSelector: INSTALL_SELECTOR });
      out.push(...page.items.map((o) => ({ ...o, apiVersion: apiVersionOf(type), kind: type.kind })));
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
  }
  return out;
}

interface Binding extends ApiObject {
  roleRef?: { kind?: string; name?: string };
  subjects?: Array<{ kind?: string; name?: string; namespace?: string }>;
}

const BINDINGS = new Set(['RoleBinding', 'ClusterRoleBinding']);

/**
 * The objects of `objects` that belong to the install whose operator runs in `namespace`
 * (see the module comment). Pure, so the rules are tested without a cluster.
 */
export function ownedBy(objects: readonly ApiObject[], namespace: string): ApiObject[] {
  const bindings = objects.filter((o) => BINDINGS.has(o.kind ?? '')) as Binding[];
  const bindsOurs = (b: Binding) =>
    (b.subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.namespace === namespace);
  const ours = bindings.filter(bindsOurs);
  const theirs = bindings.filter((b) => !bindsOurs(b));
  const refers = (b: Binding, kind: string, name: string | undefined) =>
    b.roleRef?.kind === kind && b.roleRef.name === name;
  return objects.filter((o) => {
    const name = o.metadata.name;
    switch (o.kind) {
      case 'Namespace':
        return name === namespace;
      case 'RoleBinding':
      case 'ClusterRoleBinding':
        return o.metadata.namespace === namespace || bindsOurs(o as Binding);
      case 'Role':
        return (
          o.metadata.namespace === namespace ||
          ours.some((b) => b.metadata.namespace === o.metadata.namespace && refers(b, 'Role', name))
        );
      case 'ClusterRole':
        if (theirs.some((b) => refers(b, 'ClusterRole', name))) return false;
        return ours.some((b) => refers(b, 'ClusterRole', name)) || aggregatesToDefaultRole(o.metadata.labels);
      default:
        return o.metadata.namespace === namespace;
    }
  });
}

/**
 * The operator namespace of another install in the cluster, from the live install-labelled
 * ClusterRoleBindings: one that binds a ServiceAccount outside `namespace`. The install's
 * names are fixed and its CRDs and cluster-wide grants shared, so a second install in another
 * namespace would rebind the first one's ClusterRoleBindings to its own ServiceAccount and
 * leave that operator running without its permissions.
 */
export function otherInstallNamespace(
  clusterRoleBindings: readonly ApiObject[],
  namespace: string,
): string | undefined {
  for (const b of clusterRoleBindings) {
    if (!hasInstallLabels(b)) continue;
    for (const s of (b as Binding).subjects ?? [])
      if (s.kind === 'ServiceAccount' && s.namespace && s.namespace !== namespace) return s.namespace;
  }
  return undefined;
}

/**
 * The objects of a previous install that the new `bundle` no longer has: what `kelos install`
 * prunes. Never a Namespace (turning `createNamespace` off must not delete the operator's
 * own namespace) and never a CRD (it is not an install kind).
 */
export const pruneCandidates = (owned: readonly ApiObject[], bundle: readonly ApiObject[]): ApiObject[] => {
  const keep = new Set(bundle.map(objectKey));
  return owned.filter((o) => o.kind !== NAMESPACE.kind && !keep.has(objectKey(o)));
};

/**
 * Deletion order: what runs or routes first (monitors, the NetworkPolicy, the Deployment), then
 * the grants, then the identities, the Namespace last, so the operator never runs without
 * the permissions it was given.
 */
const DELETE_ORDER = [
  'PodMonitor',
  'ServiceMonitor',
  'NetworkPolicy',
  'PodDisruptionBudget',
  'Service',
  'Deployment',
  'RoleBinding',
  'ClusterRoleBinding',
  'Role',
  'ClusterRole',
  'Secret',
  'ServiceAccount',
  'Namespace',
];

/** `objects` once each (by {@link objectKey}, first wins), in deletion order. */
export function inDeletionOrder(objects: readonly ApiObject[]): ApiObject[] {
  const seen = new Map<string, ApiObject>();
  for (const o of objects) if (!seen.has(objectKey(o))) seen.set(objectKey(o), o);
  const rank = (o: ApiObject) => {
    const i = DELETE_ORDER.indexOf(o.kind ?? '');
    return i < 0 ? DELETE_ORDER.length : i;
  };
  return [...seen.values()].sort((a, b) => rank(a) - rank(b));
}

/** Why the Namespace `live` is kept by `kelos uninstall`, or undefined when the install created it. */
export const foreignNamespaceReason = (live: ApiObject): string | undefined =>
  hasInstallLabels(live)
    ? undefined
    : `kelos install did not create it (it lacks the labels ${INSTALL_SELECTOR})`;
