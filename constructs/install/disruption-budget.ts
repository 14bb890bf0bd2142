/**
 * The operator's PodDisruptionBudget. cdk8s-plus-28 has no L2 construct for it
 * (cdk8s-plus#419), so this is the L1 `KubePodDisruptionBudget` with the same explicit
 * selector as the Deployment.
 *
 * @packageDocumentation
 */
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { SELECTOR_LABELS } from '../../src/install/index.ts';
import { InstallWaves, installMetadata } from './metadata.ts';
import type { ResolvedInstallProps } from './props.ts';

/**
 * Builds the PDB: one replica may be disrupted at a time, so a drain never takes the
 * standby and the leader together. With one replica it allows the drain (a PDB that can
 * never be satisfied would block node maintenance).
 */
export const operatorDisruptionBudget = (scope: Construct, props: ResolvedInstallProps) =>
  new kplus.k8s.KubePodDisruptionBudget(scope, 'disruption-budget', {
    metadata: installMetadata(
      props.name,
      props.syncWaves ? InstallWaves.operator : undefined,
      props.namespace,
    ),
    spec: {
      maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
      selector: { matchLabels: { ...SELECTOR_LABELS } },
    },
  });
