import { describe, expect, test } from 'vitest';
import type { K8sType } from '../../../src/api/k8s/index.ts';
import { checkAgentPodLabels } from '../../../src/operator/agent-pod-labels.ts';
import { POLICY_LABELS } from '../../../src/render/agent-network-policy.ts';

type NetworkPolicy = K8sType<'NetworkPolicy'>;

const OWN = {
  'app.kubernetes.io/name': 'kelos',
  'app.kubernetes.io/component': 'task',
  'app.kubernetes.io/managed-by': 'kelos-operator',
  'kelos.dev/task': 'fix-bug',
};

const policy = (
  name: string,
  spec: NetworkPolicy['spec'],
  labels?: Record<string, string>,
): NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace: 'team-a', ...(labels ? { labels } : {}) },
  spec,
});

const allowDb = policy('allow-db', {
  podSelector: { matchLabels: { role: 'backend' } },
  policyTypes: ['Egress'],
  egress: [{ to: [{ podSelector: { matchLabels: { app: 'postgres' } } }] }],
});

describe('podOverrides labels and the namespace’s NetworkPolicies', () => {
  test('a label that joins a more permissive policy is refused, naming label and policy', () => {
    expect(checkAgentPodLabels({ role: 'backend', team: 'a' }, OWN, [allowDb])).toEqual([
      {
        label: 'role',
        message:
          'labels role would make the agent Pod match NetworkPolicy allow-db, which allows traffic the agent isolation policy does not',
      },
    ]);
  });

  test('labels that join no policy pass', () => {
    expect(checkAgentPodLabels({ team: 'a', role: 'frontend' }, OWN, [allowDb])).toEqual([]);
  });

  test('matchExpressions count too', () => {
    const p = policy('any-tier', {
      podSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
      ingress: [{}],
    });
    expect(checkAgentPodLabels({ tier: 'x' }, OWN, [p]).map((v) => v.label)).toEqual(['tier']);
  });

  test('a policy that allows nothing (deny-all) and the operator’s own policies are not a widening', () => {
    const denyAll = policy('deny', {
      podSelector: { matchLabels: { role: 'backend' } },
      policyTypes: ['Egress'],
    });
    const ours = policy(
      'kelos-agent-allow-x',
      { podSelector: { matchLabels: { role: 'backend' } }, egress: [{}] },
      {
        ...POLICY_LABELS,
      },
    );
    expect(checkAgentPodLabels({ role: 'backend' }, OWN, [denyAll, ours])).toEqual([]);
  });

  test('a policy that already selects every agent Pod by the operator’s labels is the admin’s choice, not the Task’s', () => {
    const everything = policy('allow-all', { podSelector: {}, egress: [{}] });
    expect(checkAgentPodLabels({ team: 'a' }, OWN, [everything])).toEqual([]);
  });

  test('labels in the kelos.dev domain are reserved: no opting into an allowance by hand', () => {
    expect(
      checkAgentPodLabels(
        { 'network-allowance.kelos.dev/search-mcp': 'true', 'kelos.dev/task': 'x' },
        OWN,
        [],
      ).map((v) => v.label),
    ).toEqual(['network-allowance.kelos.dev/search-mcp', 'kelos.dev/task']);
  });
});
