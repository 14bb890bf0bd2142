/**
 * The network step of admission, run after the Job is rendered and before it is created: the
 * Task's podOverrides labels may not widen the agent Pod's isolation, the in-cluster
 * allowances its AgentConfigs name must be granted to the namespace, and the namespace's
 * agent NetworkPolicies must be in place, so no agent Pod starts unisolated. When the admin
 * opted out, the Task says so: condition `NetworkIsolated=False` (written with the admission's
 * status) and a Warning Event; an isolated Task carries no extra condition.
 *
 * @packageDocumentation
 */
import { type AgentConfig, ConditionTypes, type Task } from '../../../api/index.ts';
import type { K8sType } from '../../../api/k8s/index.ts';
import {
  AGENT_POLICY_NAME,
  allowanceDenied,
  allowancePolicyName,
  allowancesOf,
} from '../../../render/agent-network-policy.ts';
import { resolvePodOverrides } from '../../../render/resolve.ts';
import { checkAgentPodLabels, describeLabelViolations } from '../../agent-pod-labels.ts';
import type { ConditionInput } from '../../status.ts';
import { adminOf, nameOf, type TaskReconcilerOptions } from './options.ts';

type Job = K8sType<'Job'>;

/** What admission does next. */
export type NetworkOutcome =
  | { readonly kind: 'fail'; readonly reason: string; readonly message: string }
  | {
      readonly kind: 'ok';
      readonly step: string;
      readonly condition?: ConditionInput;
      /** The step came with a Warning Event: the reconcile is logged as a warning. */
      readonly warning?: boolean;
    };

/** Checks and prepares the network side of a Task's admission. */
export async function admitNetwork(
  o: TaskReconcilerOptions,
  task: Task,
  job: Job,
  agentConfigs: readonly AgentConfig[],
): Promise<NetworkOutcome> {
  if (!o.network) return { kind: 'ok', step: 'No agent network controller (isolation not managed)' };
  const { namespace } = nameOf(task);
  const isolation = adminOf(o).network;
  const state = await o.network.ensure(namespace);
  if (state.disabled) {
    const message = `The agent Pod runs without the operator's NetworkPolicy: ${state.disabled}`;
    o.events.record(task, 'Warning', 'NetworkIsolationDisabled', message, 'Admit');
    return {
      kind: 'ok',
      step: message,
      warning: true,
      condition: {
        type: ConditionTypes.NetworkIsolated,
        status: 'False',
        reason: 'IsolationDisabled',
        message,
      },
    };
  }
  const allowances = allowancesOf(agentConfigs);
  const denied = allowances.flatMap((name) => {
    const why = allowanceDenied(isolation, namespace, name);
    return why ? [why] : [];
  });
  if (denied.length)
    return {
      kind: 'fail',
      reason: 'NetworkAllowanceDenied',
      message: `AgentConfig spec.networkAllowances: ${denied.join('; ')}`,
    };
  const podLabels = job.spec?.template.metadata?.labels ?? {};
  const user = resolvePodOverrides(task)?.value?.labels ?? {};
  // The operator's labels: the rendered ones that the user's did not supply.
  const own = Object.fromEntries(Object.entries(podLabels).filter(([k, v]) => user[k] !== v));
  const violations = checkAgentPodLabels(user, own, o.network.policiesIn(namespace));
  if (violations.length)
    return {
      kind: 'fail',
      reason: 'NetworkIsolationViolation',
      message: describeLabelViolations(violations),
    };
  // No condition when isolated: the default needs no status write of its own.
  return {
    kind: 'ok',
    step: `NetworkPolicies ${[AGENT_POLICY_NAME, ...allowances.map(allowancePolicyName)].join(', ')} in ${namespace} select the agent Pod`,
  };
}
