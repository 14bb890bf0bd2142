/**
 * What an operator that watches a list of namespaces may touch: namespaced objects in those
 * namespaces, the leader-election Lease in its own namespace, and cluster-scoped objects (the
 * admin's KelosConfig). The client asks {@link watchedNamespacesFence} before every request
 * (watches and pod logs included), so no code path, and no object that names something in
 * another namespace, makes the operator reach elsewhere: such a request fails at once with an
 * error naming the namespace and the watched ones, instead of a 403 (the namespaced install
 * grants nothing elsewhere) or, under a cluster-wide grant, a silent success.
 *
 * Kelos references (Workspace, AgentConfig, Secret, dependsOn, a spawner's Tasks) are names in
 * the referring object's own namespace, so a well-formed object never trips the fence; it is
 * the guarantee, not the mechanism.
 *
 * @packageDocumentation
 */
import { CoreResources, type NamespaceFence, type ResourceType } from '../kube/client.ts';

const isLease = (type: ResourceType): boolean =>
  type.group === CoreResources.Lease.group && type.plural === CoreResources.Lease.plural;

/**
 * The fence of an operator watching `namespaces`.
 *
 * @param leaseNamespace - where its leader-election Lease lives (also reachable), if it elects.
 */
export function watchedNamespacesFence(
  namespaces: readonly string[],
  leaseNamespace?: string,
): NamespaceFence {
  const watched = new Set(namespaces);
  const list = [...watched].join(', ');
  return (verb, type, namespace) => {
    if (!type.namespaced) return undefined;
    if (namespace !== undefined && watched.has(namespace)) return undefined;
    if (namespace !== undefined && namespace === leaseNamespace && isLease(type)) return undefined;
    return namespace === undefined
      ? `${verb} ${type.plural} across all namespaces: this operator watches only ${list}`
      : `${verb} ${type.plural} in namespace ${namespace}: this operator watches only ${list}`;
  };
}
