import { describe, expect, test } from 'vitest';
import type { NetworkIsolation } from '../../../src/api/index.ts';
import {
  AGENT_POLICY_NAME,
  allowanceLabel,
  DEFAULT_DNS,
  renderAgentNetworkPolicies,
  repoPorts,
} from '../../../src/render/agent-network-policy.ts';
import { makeAgentConfig, makeWorkspace, renderOk, withWorker } from './fixtures.ts';

const ADMIN: NetworkIsolation = {
  podCIDRs: ['10.244.0.0/16', 'fd10:244::/56'],
  serviceCIDRs: ['10.96.0.0/12'],
  nodeCIDRs: ['10.0.0.7/16'],
  inClusterAllowances: [
    {
      name: 'search-mcp',
      namespace: 'mcp',
      podSelector: { matchLabels: { app: 'search-mcp' } },
      ports: [{ port: 8080 }],
      tenantNamespaces: ['team-a'],
    },
    {
      name: 'jira-proxy',
      namespaceSelector: { matchLabels: { tier: 'proxies' } },
      podSelector: { matchLabels: { app: 'jira-proxy' } },
      ports: [{ port: 3128 }],
      tenantNamespaces: ['team-b'],
    },
  ],
};

const renderFor = (over: Partial<Parameters<typeof renderAgentNetworkPolicies>[0]> = {}) =>
  renderAgentNetworkPolicies({
    namespace: 'team-a',
    isolation: ADMIN,
    workspaces: [makeWorkspace()],
    agentConfigs: [],
    apiServerAddresses: ['172.18.0.2'],
    ...over,
  });

const main = (r: ReturnType<typeof renderAgentNetworkPolicies>) => {
  const p = r.policies.find((x) => x.metadata?.name === AGENT_POLICY_NAME);
  if (!p?.spec) throw new Error('no isolation policy');
  return p.spec;
};

describe('agent NetworkPolicy: HTTPS repository', () => {
  const spec = main(renderFor());

  test('selects agent Pods by the operator’s labels and denies all ingress', () => {
    expect(spec.podSelector).toEqual({
      matchLabels: {
        'app.kubernetes.io/component': 'task',
        'app.kubernetes.io/managed-by': 'kelos-operator',
      },
    });
    expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(spec.ingress).toEqual([]);
  });

  test('allows DNS to the cluster DNS Pods only, on 53 UDP and TCP', () => {
    expect(spec.egress?.[0]).toEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ],
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    });
  });

  test('allows 443 outside the cluster’s ranges, the API server and link-local/metadata addresses', () => {
    expect(spec.egress?.[1]).toEqual({
      to: [
        {
          ipBlock: {
            cidr: '0.0.0.0/0',
            // Canonical (10.0.0.7/16 → 10.0.0.0/16), sorted, the API server as /32.
            except: ['10.0.0.0/16', '10.244.0.0/16', '10.96.0.0/12', '169.254.0.0/16', '172.18.0.2/32'],
          },
        },
        { ipBlock: { cidr: '::/0', except: ['fd00:ec2::254/128', 'fd10:244::/56', 'fe80::/10'] } },
      ],
      ports: [{ port: 443, protocol: 'TCP' }],
    });
    expect(spec.egress).toHaveLength(2);
  });
});

describe('agent NetworkPolicy: other shapes', () => {
  test('an SSH repository adds port 22; git:// and explicit ports add theirs', () => {
    const spec = main(
      renderFor({
        workspaces: [
          makeWorkspace({ repo: 'git@github.com:acme/widgets.git' }),
          makeWorkspace({ repo: 'ssh://git@ghe.example.com:2222/acme/w.git' }, 'b'),
          makeWorkspace({ repo: 'git://mirror.example.com/w.git' }, 'c'),
        ],
      }),
    );
    expect(spec.egress?.[1]?.ports).toEqual([
      { port: 22, protocol: 'TCP' },
      { port: 443, protocol: 'TCP' },
      { port: 2222, protocol: 'TCP' },
      { port: 9418, protocol: 'TCP' },
    ]);
    expect(repoPorts('https://ghe.example.com:8443/a/b.git')).toEqual([{ port: 8443, protocol: 'TCP' }]);
  });

  test('an in-cluster MCP server the admin allows gets its own policy, for Pods carrying its label', () => {
    const r = renderFor({
      agentConfigs: [makeAgentConfig('tools', { networkAllowances: ['search-mcp'] })],
    });
    expect(r.policies.map((p) => p.metadata?.name)).toEqual([
      AGENT_POLICY_NAME,
      'kelos-agent-allow-search-mcp',
    ]);
    expect(r.policies[1]?.spec).toEqual({
      podSelector: {
        matchLabels: {
          'app.kubernetes.io/component': 'task',
          'app.kubernetes.io/managed-by': 'kelos-operator',
          'network-allowance.kelos.dev/search-mcp': 'true',
        },
      },
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'mcp' } },
              podSelector: { matchLabels: { app: 'search-mcp' } },
            },
          ],
          ports: [{ port: 8080, protocol: 'TCP' }],
        },
      ],
    });
    // The main policy is unchanged: the allowance does not open the namespace's other Pods.
    expect(main(r)).toEqual(main(renderFor()));
  });

  test('an allowance not granted to the namespace, or unknown, renders no policy', () => {
    const r = renderFor({
      agentConfigs: [makeAgentConfig('tools', { networkAllowances: ['jira-proxy', 'nope'] })],
    });
    expect(r.policies.map((p) => p.metadata?.name)).toEqual([AGENT_POLICY_NAME]);
  });

  test('the admin’s opt-out renders nothing and says why; so does an exempt namespace', () => {
    expect(renderFor({ isolation: { ...ADMIN, enabled: false } })).toEqual({
      policies: [],
      disabled: 'KelosConfig spec.networkIsolation.enabled is false',
      ignored: [],
    });
    expect(renderFor({ isolation: { exemptNamespaces: ['team-a'] } }).disabled).toBe(
      'namespace team-a is in KelosConfig spec.networkIsolation.exemptNamespaces',
    );
  });

  test('without a KelosConfig: isolation on, link-local blocked, 443 only', () => {
    const spec = main(renderFor({ isolation: undefined, apiServerAddresses: [] }));
    expect(spec.egress?.[1]?.to?.map((t) => t.ipBlock)).toEqual([
      { cidr: '0.0.0.0/0', except: ['169.254.0.0/16'] },
      { cidr: '::/0', except: ['fd00:ec2::254/128', 'fe80::/10'] },
    ]);
  });

  test('extra destinations and DNS settings come from the admin; bad CIDRs are reported, not written', () => {
    const r = renderFor({
      isolation: {
        ...ADMIN,
        blockedCIDRs: ['not-a-cidr'],
        dns: { namespace: 'dns', podSelector: { matchLabels: { app: 'coredns' } } },
        extraAllowedDestinations: [{ cidr: '10.0.5.0/24', ports: [{ port: 5432 }] }],
      },
    });
    const spec = main(r);
    expect(spec.egress?.[0]?.to?.[0]?.namespaceSelector?.matchLabels).toEqual({
      'kubernetes.io/metadata.name': 'dns',
    });
    expect(spec.egress?.[2]).toEqual({
      to: [{ ipBlock: { cidr: '10.0.5.0/24' } }],
      ports: [{ port: 5432, protocol: 'TCP' }],
    });
    expect(r.ignored).toEqual(['blockedCIDRs: "not-a-cidr" is not a CIDR']);
  });

  test('DNS on the ports its Pods serve (OpenShift 5353), and a node-local cache named as an extra destination', () => {
    const r = renderFor({
      isolation: {
        ...ADMIN,
        dns: { namespace: 'openshift-dns', podSelector: { matchLabels: { app: 'dns' } }, ports: [5353, 53] },
        extraAllowedDestinations: [
          { cidr: '169.254.20.10/32', ports: [{ port: 53, protocol: 'UDP' }, { port: 53 }] },
        ],
      },
    });
    const spec = main(r);
    expect(spec.egress?.[0]?.ports).toEqual([
      { port: 5353, protocol: 'UDP' },
      { port: 5353, protocol: 'TCP' },
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ]);
    // Link-local stays blocked on the agent ports; the cache is reached on 53 alone.
    expect(spec.egress?.[2]).toEqual({
      to: [{ ipBlock: { cidr: '169.254.20.10/32' } }],
      ports: [
        { port: 53, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
      ],
    });
    expect(r.ignored).toEqual([]);
    // A stored value that is no port leaves 53, never a rule without ports.
    const broken = renderFor({
      isolation: { ...ADMIN, dns: { ...DEFAULT_DNS, ports: ['x' as unknown as number] } },
    });
    expect(main(broken).egress?.[0]?.ports).toEqual([
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ]);
  });

  test('untrusted settings never yield a rule without ports (which would open every port)', () => {
    const r = renderFor({
      isolation: {
        ...ADMIN,
        // As 0.1.0 stored them (bare numbers), and broken ones.
        extraAllowedDestinations: [
          { cidr: '10.0.5.0/24', ports: [5432] as never },
          { cidr: '10.0.6.0/24', ports: [{ port: 0 }] },
          { cidr: '10.0.7.0/24', ports: [] },
        ],
        inClusterAllowances: [{ ...ADMIN.inClusterAllowances![0]!, ports: [] }],
      },
      agentConfigs: [makeAgentConfig('tools', { networkAllowances: ['search-mcp'] })],
    });
    expect(r.policies.map((p) => p.metadata?.name)).toEqual([AGENT_POLICY_NAME]);
    const spec = main(r);
    expect(spec.egress?.slice(2)).toEqual([
      { to: [{ ipBlock: { cidr: '10.0.5.0/24' } }], ports: [{ port: 5432, protocol: 'TCP' }] },
    ]);
    expect(spec.egress?.every((rule) => (rule.ports ?? []).length > 0)).toBe(true);
    expect(r.ignored).toEqual([
      'extraAllowedDestinations/1: no valid port',
      'extraAllowedDestinations/2: no valid port',
      'inClusterAllowances search-mcp: needs ports and a non-empty podSelector',
    ]);
  });

  test('a blocked range covering a whole family drops that family’s internet rule', () => {
    const spec = main(renderFor({ isolation: { blockedCIDRs: ['::/0'] } }));
    expect(spec.egress?.[1]?.to?.map((t) => t.ipBlock?.cidr)).toEqual(['0.0.0.0/0']);
  });
});

describe('the Job carries the allowance labels of its AgentConfigs', () => {
  test('a Task using an AgentConfig with an allowance gets its label on the Pod; others do not', () => {
    const tools = makeAgentConfig('tools', { networkAllowances: ['search-mcp'] });
    const { job } = renderOk({
      task: withWorker({ agentConfigRefs: [{ name: 'tools' }] }),
      agentConfigs: [tools],
    });
    expect(job.spec?.template.metadata?.labels?.[allowanceLabel('search-mcp')]).toBe('true');
    const plain = renderOk();
    expect(
      Object.keys(plain.job.spec?.template.metadata?.labels ?? {}).some((k) =>
        k.includes('network-allowance'),
      ),
    ).toBe(false);
  });
});
