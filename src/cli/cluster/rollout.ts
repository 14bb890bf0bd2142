/**
 * Whether a Deployment's rollout is complete, decided as `kubectl rollout status` decides it:
 * old Pods that are still available do not count, so a new image that cannot be pulled never
 * passes for a finished install.
 *
 * @packageDocumentation
 */
import type { ApiObject } from '../../kube/client.ts';

/** The fields of a Deployment a rollout is judged by. */
export interface DeploymentRolloutFields extends ApiObject {
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{ type: string; status?: string; reason?: string; message?: string }>;
  };
}

/** Where a rollout stands: done, still going (and why), or failed (and the Deployment's message). */
export type RolloutState =
  | { readonly state: 'done' }
  | { readonly state: 'waiting'; readonly reason: string }
  | { readonly state: 'failed'; readonly reason: string };

/**
 * The rollout state of `deployment`, by kubectl's rules: the controller has seen the latest
 * spec (`status.observedGeneration >= metadata.generation`), every replica runs the new
 * template (`updatedReplicas == spec.replicas`), no old replica is left (`status.replicas ==
 * updatedReplicas`) and every updated one is available; a `Progressing` condition with reason
 * `ProgressDeadlineExceeded` fails it.
 */
export function rolloutState(deployment: DeploymentRolloutFields | undefined): RolloutState {
  if (!deployment) return { state: 'waiting', reason: 'the Deployment does not exist yet' };
  const status = deployment.status ?? {};
  const generation = deployment.metadata.generation ?? 0;
  if ((status.observedGeneration ?? 0) < generation) {
    return { state: 'waiting', reason: 'the Deployment controller has not seen the new spec yet' };
  }
  const stuck = status.conditions?.find(
    (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
  );
  if (stuck) {
    return {
      state: 'failed',
      reason: `it exceeded its progress deadline (ProgressDeadlineExceeded: ${stuck.message ?? 'no message'})`,
    };
  }
  const desired = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  if (updated < desired) {
    return { state: 'waiting', reason: `${updated} of ${desired} new replicas have been updated` };
  }
  const total = status.replicas ?? 0;
  if (total > updated) {
    return { state: 'waiting', reason: `${total - updated} old replicas are pending termination` };
  }
  const available = status.availableReplicas ?? 0;
  if (available < updated) {
    return { state: 'waiting', reason: `${available} of ${updated} updated replicas are available` };
  }
  return { state: 'done' };
}
