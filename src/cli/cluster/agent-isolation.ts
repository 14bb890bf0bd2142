/**
 * What `kelos install` says of agent network isolation once the operator is in: the KelosConfig
 * holds the cluster's ranges, and without them the agent NetworkPolicy blocks only link-local
 * addresses and the API server, so agents reach in-cluster Pods, Services and nodes on 443. The
 * operator logs it, but the admin running `kelos install` is who can set them, now.
 *
 * @packageDocumentation
 */

import { CLUSTER_RANGES, openRangesReason } from '../../api/cluster-ranges.ts';
import { KELOS_CONFIG_NAME } from '../../api/group.ts';
import type { KelosConfig } from '../../api/index.ts';

/** The install summary's line on agent isolation, and whether it calls for the admin. */
export interface IsolationSummary {
  readonly open: boolean;
  readonly text: string;
}

/** Summarizes the live KelosConfig (undefined: there is none) for the install's last lines. */
export function agentIsolationSummary(config: KelosConfig | undefined): IsolationSummary {
  const isolation = config?.spec?.networkIsolation;
  const where = config
    ? `KelosConfig ${KELOS_CONFIG_NAME} spec.networkIsolation`
    : `no KelosConfig ${KELOS_CONFIG_NAME} in the cluster`;
  if (isolation?.enabled === false)
    return { open: true, text: `off (${where}.enabled is false): agent Pods run without a NetworkPolicy` };
  const unset = CLUSTER_RANGES.filter((r) => !isolation?.[r.field]?.length);
  if (unset.length === 0)
    return { open: false, text: `on, cluster ranges from KelosConfig ${KELOS_CONFIG_NAME}` };
  const fields = unset.map((r) => r.field).join(', ');
  return {
    open: true,
    text: `on, but ${config ? `${where} leaves ${fields} unset` : `${where} (${fields} unset)`}: ${openRangesReason(unset)} ${KELOS_CONFIG_NAME} (README: Agent network isolation)`,
  };
}
