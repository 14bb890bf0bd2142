/**
 * The cluster ranges of a KelosConfig's `spec.networkIsolation`, in a module of their own so a
 * one-file `kelos check` reads them without loading TypeBox and the API schemas (the policies
 * import only small modules of src/api; test/unit/policy/check-startup.test.ts holds it).
 *
 * @packageDocumentation
 */

/**
 * The cluster ranges of `spec.networkIsolation` the admin sets so agents cannot reach
 * in-cluster addresses, with what each holds. The operator's warning and `kelos check`'s
 * security/network-isolation both name the unset ones from here.
 */
export const CLUSTER_RANGES = [
  { field: 'podCIDRs', what: 'Pods' },
  { field: 'serviceCIDRs', what: 'Services' },
  { field: 'nodeCIDRs', what: 'nodes' },
] as const;

/** One of {@link CLUSTER_RANGES}. */
export type ClusterRange = (typeof CLUSTER_RANGES)[number];

/** Why unset cluster ranges matter: the operator logs it and `kelos check` reports it. */
export const openRangesReason = (unset: readonly ClusterRange[]): string =>
  `agent Pods may reach the cluster's ${unset.map((r) => r.what).join(', ')} on their egress ports (443 unless egressPorts says otherwise): set the cluster's ranges in the KelosConfig`;
