/**
 * security/network-isolation: where the bundle holds the admin's KelosConfig, every namespace
 * that runs agents (Tasks, TaskSpawners) keeps the operator's agent NetworkPolicy, and every
 * in-cluster allowance an AgentConfig names is one the KelosConfig grants to its namespace.
 * With isolation on, a cluster range left unset is a warning, as the operator logs it.
 *
 * The operator enforces the same at run time (`src/render/agent-network-policy.ts`); this rule
 * shows it in review, before the KelosConfig or the AgentConfig is merged.
 *
 * @packageDocumentation
 */

import { CLUSTER_RANGES, openRangesReason } from '../src/api/cluster-ranges.ts';
import { KELOS_CONFIG_NAME } from '../src/api/group.ts';
import type { KubeObject } from '../src/api/object.ts';
import type { BundleRule, Finding } from '../src/policy/rule.ts';
import { clipName } from '../src/validate/echo.ts';
import { arr, get, namespaceOf, str } from './lib/access.ts';

/** Message for a namespace that runs agents without isolation. */
export const unisolated = (namespace: string, agents: readonly KubeObject[], how: string): string =>
  `namespace ${clipName(namespace, 300)} runs agents (${clipName(
    agents.map((a) => `${a.kind} ${a.metadata?.name ?? ''}`).join(', '),
    500,
  )}) without network isolation: ${how}, so they can reach every Pod and Service of the cluster`;

export const networkIsolation: BundleRule = {
  id: 'security/network-isolation',
  scope: 'bundle',
  severity: 'error',
  kinds: ['KelosConfig', 'Task', 'TaskSpawner', 'AgentConfig'],
  description:
    'Namespaces that run agents keep the operator’s agent NetworkPolicy, and AgentConfigs name only in-cluster allowances the KelosConfig grants them; with isolation on, the KelosConfig sets the cluster’s podCIDRs, serviceCIDRs and nodeCIDRs (a warning).',
  rationale:
    'Without the policy an agent Pod can connect to every Service and Pod in the cluster (databases, metrics, webhook receivers, the cloud metadata endpoint).',
  hint: 'Leave KelosConfig spec.networkIsolation.enabled unset and the namespace out of exemptNamespaces; add the allowance to inClusterAllowances (with the namespace in tenantNamespaces) or drop it from the AgentConfig.',
  check({ bundle }) {
    const config = bundle.ofKind('KelosConfig').find((c) => c.metadata?.name === KELOS_CONFIG_NAME);
    if (!config) return [];
    const findings: Finding[] = [];
    const agents = new Map<string, KubeObject[]>();
    for (const o of [...bundle.ofKind('Task'), ...bundle.ofKind('TaskSpawner')]) {
      const ns = namespaceOf(o);
      agents.set(ns, [...(agents.get(ns) ?? []), o]);
    }
    const iso = get(config, 'spec', 'networkIsolation');
    const namespaces = [...agents.keys()].sort();
    const unset = CLUSTER_RANGES.filter((r) => arr(get(iso, r.field)).length === 0);
    if (get(iso, 'enabled') !== false && unset.length)
      findings.push({
        object: config,
        path: iso === undefined ? '' : '/spec/networkIsolation',
        severity: 'warning',
        message: `agent NetworkPolicies leave cluster ranges open: ${unset.map((r) => `spec.networkIsolation.${r.field}`).join(', ')} ${unset.length === 1 ? 'is' : 'are'} not set; ${openRangesReason(unset)}`,
        hint: `Set ${unset.map((r) => r.field).join(', ')} under KelosConfig spec.networkIsolation to the cluster's ranges.`,
      });
    if (get(iso, 'enabled') === false) {
      for (const ns of namespaces)
        findings.push({
          object: config,
          path: '/spec/networkIsolation/enabled',
          message: unisolated(ns, agents.get(ns) ?? [], 'networkIsolation.enabled is false'),
        });
    }
    arr(get(iso, 'exemptNamespaces')).forEach((ns, i) => {
      const here = typeof ns === 'string' ? agents.get(ns) : undefined;
      if (!here || get(iso, 'enabled') === false) return;
      findings.push({
        object: config,
        path: `/spec/networkIsolation/exemptNamespaces/${i}`,
        message: unisolated(ns as string, here, 'it is in networkIsolation.exemptNamespaces'),
      });
    });
    const allowances = arr(get(iso, 'inClusterAllowances'));
    for (const ac of bundle.ofKind('AgentConfig')) {
      const ns = namespaceOf(ac);
      arr(get(ac, 'spec', 'networkAllowances')).forEach((name, i) => {
        const a = allowances.find((x) => str(get(x, 'name')) === name);
        const tenants = get(a, 'tenantNamespaces');
        const message = !a
          ? `network allowance "${clipName(String(name))}" is not in KelosConfig spec.networkIsolation.inClusterAllowances, so Tasks using this AgentConfig fail`
          : Array.isArray(tenants) && !tenants.includes(ns)
            ? `network allowance "${clipName(String(name))}" is not granted to namespace ${clipName(ns, 300)} (tenantNamespaces), so Tasks using this AgentConfig fail`
            : undefined;
        if (message) findings.push({ object: ac, path: `/spec/networkAllowances/${i}`, message });
      });
    }
    return findings;
  },
};
