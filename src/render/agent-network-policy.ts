/**
 * The NetworkPolicies that isolate agent Pods, one set per namespace: a pure function of the
 * admin's `KelosConfig.spec.networkIsolation`, the namespace's Workspaces and AgentConfigs and
 * the API server's addresses. The operator applies them before it creates a Job in the
 * namespace; `kelos synth --preview` shows them next to the Job.
 *
 * Per namespace, not per Task: a Task costs no API write, and what a policy allows follows
 * from objects only admins write (the KelosConfig; Workspaces and AgentConfigs), never from a
 * Task. Two kinds of policy:
 *
 * - {@link AGENT_POLICY_NAME} selects every agent Pod ({@link AGENT_POD_LABELS}, which the
 *   render always sets and podOverrides cannot replace): no ingress; egress to the cluster DNS
 *   on port 53, to addresses outside the blocked ranges on the agent ports (443, plus the ports
 *   of the namespace's Workspace repositories: 22 for SSH, 9418 for git://, explicit ports),
 *   and to the admin's extra destinations. Blocked: the Pod, Service, node and admin ranges,
 *   the API server's endpoints, link-local and metadata addresses.
 * - {@link allowancePolicyName} per in-cluster allowance an AgentConfig of the namespace names
 *   and the admin grants to the namespace: egress to that workload's Pods and ports, for the
 *   agent Pods that carry {@link allowanceLabel} (set by the render for Tasks using that
 *   AgentConfig), so other Tasks of the namespace do not get it.
 *
 * NetworkPolicies add up, so each one only ever allows; nothing here relies on another policy
 * denying.
 *
 * @packageDocumentation
 */

import { Labels, MANAGED_BY } from '../api/group.ts';
import type {
  AgentConfig,
  InClusterAllowance,
  NetworkIsolation,
  NetworkPort,
  Workspace,
} from '../api/index.ts';
import type { K8sType } from '../api/k8s/index.ts';
import { type Cidr, canonicalCidrs, parseCidr } from './cidr.ts';

type NetworkPolicy = K8sType<'NetworkPolicy'>;
type EgressRule = NonNullable<NonNullable<NetworkPolicy['spec']>['egress']>[number];
type Peer = NonNullable<EgressRule['to']>[number];

/** Name of the namespace's isolation policy. */
export const AGENT_POLICY_NAME = 'kelos-agent-isolation';

/** Value of `app.kubernetes.io/component` on the policies the operator owns. */
export const POLICY_COMPONENT = 'agent-network-policy';

/** Labels of every policy the operator writes; it removes only policies carrying them. */
export const POLICY_LABELS: Readonly<Record<string, string>> = {
  [Labels.Name]: 'kelos',
  [Labels.Component]: POLICY_COMPONENT,
  [Labels.ManagedBy]: MANAGED_BY,
};

/**
 * Labels every agent Pod carries (see `task-meta.ts`); the render writes them after the user's
 * labels, so podOverrides cannot remove them.
 */
export const AGENT_POD_LABELS: Readonly<Record<string, string>> = {
  [Labels.Component]: 'task',
  [Labels.ManagedBy]: MANAGED_BY,
};

/** Name of the policy of one in-cluster allowance. */
export const allowancePolicyName = (allowance: string): string => `kelos-agent-allow-${allowance}`;

/** Prefix of the allowance labels; podOverrides may not set any label under `kelos.dev`. */
export const ALLOWANCE_LABEL_PREFIX = 'network-allowance.kelos.dev';

/** Label that opts an agent Pod into one allowance's policy. */
export const allowanceLabel = (allowance: string): string => `${ALLOWANCE_LABEL_PREFIX}/${allowance}`;

/** Always blocked: link-local (cloud metadata at 169.254.169.254) and AWS's IPv6 metadata address. */
export const ALWAYS_BLOCKED = ['169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254/128'] as const;

/** Default egress ports: HTTPS (model APIs, git over HTTPS, skills, MCP servers). */
export const DEFAULT_EGRESS_PORTS: readonly NetworkPort[] = [{ port: 443, protocol: 'TCP' }];

/** Where the cluster DNS runs unless the admin says otherwise. */
export const DEFAULT_DNS = {
  namespace: 'kube-system',
  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
};

/**
 * The DNS rule's ports: each of the admin's ports (53 by default) for UDP and TCP. An entry that
 * is no port number is dropped, as the other untrusted settings are; none left is 53, since a
 * rule without ports would open every port of the DNS Pods.
 */
const dnsPorts = (ports: readonly unknown[] | undefined): NetworkPort[] => {
  const valid = (ports ?? []).filter(
    (p): p is number => typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 65535,
  );
  return [...new Set(valid.length ? valid : [53])].flatMap((port) => [
    { port, protocol: 'UDP' as const },
    { port, protocol: 'TCP' as const },
  ]);
};

/** What the namespace's policies are rendered from. */
export interface AgentNetworkInput {
  readonly namespace: string;
  /** The admin's settings (`KelosConfig.spec.networkIsolation`); absent means the defaults. */
  readonly isolation: NetworkIsolation | undefined;
  /** The namespace's Workspaces: their repository URLs decide the git ports. */
  readonly workspaces: readonly Workspace[];
  /** The namespace's AgentConfigs: the allowances they name get a policy each. */
  readonly agentConfigs: readonly AgentConfig[];
  /** Addresses of the API server (the `kubernetes` Service's EndpointSlice). */
  readonly apiServerAddresses: readonly string[];
}

/** The namespace's policies, or why there are none. */
export interface AgentNetworkResult {
  /** The policies to keep in the namespace (empty when isolation is off here). */
  readonly policies: NetworkPolicy[];
  /** Set when the admin turned isolation off for this namespace: says how. */
  readonly disabled?: string;
  /** Admin inputs that were ignored (a CIDR that does not parse); the operator logs them. */
  readonly ignored: string[];
}

/** Whether isolation is off for `namespace`, and by which setting. */
export const isolationDisabled = (
  isolation: NetworkIsolation | undefined,
  namespace: string,
): string | undefined => {
  if (isolation?.enabled === false) return 'KelosConfig spec.networkIsolation.enabled is false';
  if (isolation?.exemptNamespaces?.includes(namespace))
    return `namespace ${namespace} is in KelosConfig spec.networkIsolation.exemptNamespaces`;
  return undefined;
};

/** The ports a repository URL is cloned over (`git@host:path` is SSH). */
export const repoPorts = (repo: string): NetworkPort[] => {
  if (/^[^/:@]+@[^/:]+:/.test(repo)) return [{ port: 22, protocol: 'TCP' }];
  const defaults: Record<string, number> = { 'https:': 443, 'http:': 80, 'ssh:': 22, 'git:': 9418 };
  try {
    const u = new URL(repo);
    const port = u.port ? Number(u.port) : defaults[u.protocol];
    return port ? [{ port, protocol: 'TCP' }] : [];
  } catch {
    return [];
  }
};

/** Why `namespace` may not use the allowance named `name`, or undefined when it may. */
export const allowanceDenied = (
  isolation: NetworkIsolation | undefined,
  namespace: string,
  name: string,
): string | undefined => {
  const a = isolation?.inClusterAllowances?.find((x) => x.name === name);
  if (!a)
    return `network allowance "${name}" is not in KelosConfig spec.networkIsolation.inClusterAllowances`;
  if (a.tenantNamespaces && !a.tenantNamespaces.includes(namespace))
    return `network allowance "${name}" is not granted to namespace ${namespace} (tenantNamespaces)`;
  return undefined;
};

/** The allowance names of `agentConfigs`, distinct and sorted. */
export const allowancesOf = (agentConfigs: readonly AgentConfig[]): string[] =>
  [...new Set(agentConfigs.flatMap((c) => c.spec?.networkAllowances ?? []))].sort();

/**
 * Distinct, sorted ports. Cluster data is untrusted (and 0.1.0 wrote ports as bare numbers):
 * a bare number is a TCP port, anything else is dropped. Callers skip a rule whose list comes
 * out empty, because a NetworkPolicy rule without ports allows every port.
 */
const portsOf = (ports: readonly unknown[] | undefined) => {
  const seen = new Map<string, { port: number; protocol: string }>();
  for (const raw of ports ?? []) {
    const p = (typeof raw === 'number' ? { port: raw } : raw) as Partial<NetworkPort> | null;
    const port = p?.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) continue;
    const protocol = ['TCP', 'UDP', 'SCTP'].includes(String(p?.protocol)) ? String(p?.protocol) : 'TCP';
    seen.set(`${protocol}/${port}`, { port, protocol });
  }
  return [...seen.values()].sort((a, b) => a.protocol.localeCompare(b.protocol) || a.port - b.port);
};

const metadata = (namespace: string, name: string) => ({ name, namespace, labels: { ...POLICY_LABELS } });

/** Egress to everything of one family outside `blocked`; none when a blocked range is the whole family. */
const outside = (family: 4 | 6, blocked: readonly Cidr[]): Peer[] => {
  if (blocked.some((c) => c.family === family && c.prefix === 0)) return [];
  const except = canonicalCidrs(blocked, family);
  return [{ ipBlock: { cidr: family === 4 ? '0.0.0.0/0' : '::/0', ...(except.length ? { except } : {}) } }];
};

const allowancePolicy = (namespace: string, a: InClusterAllowance): NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: metadata(namespace, allowancePolicyName(a.name)),
  spec: {
    podSelector: { matchLabels: { ...AGENT_POD_LABELS, [allowanceLabel(a.name)]: 'true' } },
    policyTypes: ['Egress'],
    egress: [
      {
        to: [
          {
            namespaceSelector: a.namespace
              ? { matchLabels: { 'kubernetes.io/metadata.name': a.namespace } }
              : structuredClone(a.namespaceSelector ?? {}),
            podSelector: structuredClone(a.podSelector),
          },
        ],
        ports: portsOf(a.ports),
      },
    ],
  },
});

/** Renders the namespace's agent NetworkPolicies. */
export const renderAgentNetworkPolicies = (input: AgentNetworkInput): AgentNetworkResult => {
  const { namespace, isolation } = input;
  const disabled = isolationDisabled(isolation, namespace);
  if (disabled) return { policies: [], disabled, ignored: [] };
  const ignored: string[] = [];
  const parse = (field: string, values: readonly string[] | undefined): Cidr[] =>
    (values ?? []).flatMap((v) => {
      const c = parseCidr(String(v));
      if (!c) ignored.push(`${field}: ${JSON.stringify(v)} is not a CIDR`);
      return c ? [c] : [];
    });
  const blocked = [
    ...parse('podCIDRs', isolation?.podCIDRs),
    ...parse('serviceCIDRs', isolation?.serviceCIDRs),
    ...parse('nodeCIDRs', isolation?.nodeCIDRs),
    ...parse('blockedCIDRs', isolation?.blockedCIDRs),
    ...parse('API server endpoints', input.apiServerAddresses),
    ...ALWAYS_BLOCKED.map((c) => parseCidr(c) as Cidr),
  ];
  const dns = isolation?.dns ?? DEFAULT_DNS;
  const ports = portsOf([
    ...(isolation?.egressPorts?.length ? isolation.egressPorts : DEFAULT_EGRESS_PORTS),
    ...input.workspaces.flatMap((w) => repoPorts(w.spec?.repo ?? '')),
  ]);
  const internet = [...outside(4, blocked), ...outside(6, blocked)];
  const egress: EgressRule[] = [
    {
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': dns.namespace } },
          podSelector: structuredClone(dns.podSelector),
        },
      ],
      ports: dnsPorts(isolation?.dns?.ports),
    },
    ...(internet.length && ports.length ? [{ to: internet, ports }] : []),
    ...(isolation?.extraAllowedDestinations ?? []).flatMap((d, i): EgressRule[] => {
      const c = parseCidr(String(d.cidr ?? ''));
      const dports = portsOf(d.ports);
      if (!c) ignored.push(`extraAllowedDestinations/${i}: ${JSON.stringify(d.cidr)} is not a CIDR`);
      else if (!dports.length) ignored.push(`extraAllowedDestinations/${i}: no valid port`);
      return c && dports.length ? [{ to: [{ ipBlock: { cidr: c.text } }], ports: dports }] : [];
    }),
  ];
  const main: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metadata(namespace, AGENT_POLICY_NAME),
    // `ingress: []` said out loud: applied with force it takes back rules someone else added.
    spec: {
      podSelector: { matchLabels: { ...AGENT_POD_LABELS } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress,
    },
  };
  const granted = allowancesOf(input.agentConfigs).flatMap((name) => {
    const a = isolation?.inClusterAllowances?.find((x) => x.name === name);
    if (!a || allowanceDenied(isolation, namespace, name)) return [];
    // Without ports or a podSelector the rule would open every port or every Pod: refuse it.
    const sel = a.podSelector ?? {};
    if (
      !portsOf(a.ports).length ||
      (!Object.keys(sel.matchLabels ?? {}).length && !sel.matchExpressions?.length)
    ) {
      ignored.push(`inClusterAllowances ${name}: needs ports and a non-empty podSelector`);
      return [];
    }
    return [a];
  });
  return { policies: [main, ...granted.map((a) => allowancePolicy(namespace, a))], ignored };
};
