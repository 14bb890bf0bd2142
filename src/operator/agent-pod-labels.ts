/**
 * The labels a Task author may put on an agent Pod (podOverrides.labels) without widening its
 * network. NetworkPolicies add up: a Pod matched by the agent isolation policy and by a more
 * permissive one in the namespace may do whatever either allows. So a Task fails, with a
 * reason naming the label and the policy, when its podOverrides labels
 *
 * - use the `kelos.dev` domain (`network-allowance.kelos.dev/<name>` would opt the Pod into an
 *   in-cluster allowance no AgentConfig of the Task names; the rest are the operator's), or
 * - make the Pod match another NetworkPolicy of the namespace that allows traffic and that the
 *   Pod does not match with the operator's labels alone.
 *
 * A policy that already selects every agent Pod by the operator's labels (an empty
 * podSelector, say) is the namespace admin's choice; the operator cannot tell it from intent
 * and leaves it alone (the README's verification steps list it).
 *
 * @packageDocumentation
 */
import type { K8sType } from '../api/k8s/index.ts';
import { matches, parseSelector } from '../kube/label-selector.ts';
import { POLICY_LABELS } from '../render/agent-network-policy.ts';

type NetworkPolicy = K8sType<'NetworkPolicy'>;

/** One label the Pod may not carry, and why. */
export interface LabelViolation {
  readonly label: string;
  readonly message: string;
}

const isKelosDomain = (key: string): boolean => {
  const slash = key.indexOf('/');
  if (slash < 0) return false;
  const prefix = key.slice(0, slash).toLowerCase();
  return prefix === 'kelos.dev' || prefix.endsWith('.kelos.dev');
};

const ownPolicy = (p: NetworkPolicy): boolean =>
  Object.entries(POLICY_LABELS).every(([k, v]) => p.metadata?.labels?.[k] === v);

const allowsSomething = (p: NetworkPolicy): boolean =>
  (p.spec?.ingress?.length ?? 0) > 0 || (p.spec?.egress?.length ?? 0) > 0;

/**
 * What `userLabels` (podOverrides.labels) would widen, given the labels the operator sets
 * (`ownLabels`) and the namespace's NetworkPolicies. Empty when they widen nothing.
 */
export function checkAgentPodLabels(
  userLabels: Readonly<Record<string, string>>,
  ownLabels: Readonly<Record<string, string>>,
  policies: readonly NetworkPolicy[],
): LabelViolation[] {
  const out: LabelViolation[] = [];
  for (const key of Object.keys(userLabels)) {
    if (isKelosDomain(key)) {
      out.push({
        label: key,
        message: `label ${key} is reserved for the operator (the kelos.dev domain selects agent Pods for network policies)`,
      });
    }
  }
  const withUser = { ...userLabels, ...ownLabels };
  for (const p of policies) {
    if (ownPolicy(p) || !allowsSomething(p)) continue;
    const parsed = parseSelector(p.spec?.podSelector);
    // A selector the API server admitted always parses; one that does not selects nothing here.
    if (!parsed.ok) continue;
    if (!matches(parsed.selector, withUser) || matches(parsed.selector, ownLabels)) continue;
    const keys = Object.keys(userLabels).filter((k) => {
      const { [k]: _dropped, ...without } = withUser;
      return !matches(parsed.selector, without);
    });
    out.push({
      label: keys.join(', ') || Object.keys(userLabels).join(', '),
      message: `labels ${keys.join(', ') || 'in podOverrides'} would make the agent Pod match NetworkPolicy ${p.metadata?.name ?? ''}, which allows traffic the agent isolation policy does not`,
    });
  }
  return out;
}

/** One line for a Task's status: every violation. */
export const describeLabelViolations = (violations: readonly LabelViolation[]): string =>
  `podOverrides.labels would widen the agent Pod's network isolation: ${violations
    .map((v) => v.message)
    .join('; ')}`;
