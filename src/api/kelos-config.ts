/**
 * KelosConfig: the cluster admin's settings, one cluster-scoped object named `kelos`.
 *
 * Why one kind, and why this name: the settings here bound what every Task may do (the pod
 * security floor, which hosts the operator calls on a tenant's behalf, egress, how budgets
 * price Tasks that report no usage, which objects admission may exempt), so they must be
 * writable by the cluster admin only. A cluster-scoped kind gives exactly that with plain
 * RBAC (namespace admins hold no cluster-scoped write), is validated like every other kind
 * (TypeBox + CEL, CRD generated from this file) and can sit in a bundle `kelos check` reads.
 * It is `KelosConfig`, not `OperatorConfig`, because more than the operator reads it: the
 * generated admission policies and `kelos check` do too. Operator flags override single
 * fields; a missing object means the defaults documented on each field.
 *
 * The .d.ts of this file writes TypeBox's symbol keys ({@link Kind}, {@link Hint},
 * {@link OptionalKind}, {@link ReadonlyKind}); declaration emit can only name the ones imported here.
 *
 * @packageDocumentation
 */
// biome-ignore lint/correctness/noUnusedImports: declaration emit names TypeBox's symbol keys through these
import type { Hint, Kind, OptionalKind, ReadonlyKind } from '@sinclair/typebox';
import { LabelSelectorSchema } from './common.ts';
import type {
  AdmissionExemptions,
  AllowedDestination,
  GitHubAppSettings,
  InClusterAllowance,
  KelosConfigSpec,
  NetworkIsolation,
  NetworkPort,
  Outbound,
  PodSecurityFloor,
  WebhookSettings,
} from './generated/types.ts';
import { CATEGORY } from './group.ts';
import { NODE_MOUNTED_VOLUME_TYPES } from './pod-security-standards.ts';
import { ModelRatesSchema } from './rates.ts';
import { bool, int32, type KindDefinition, list, obj, opt, str, strEnum, strList } from './schema.ts';

export { CLUSTER_RANGES, type ClusterRange, openRangesReason } from './cluster-ranges.ts';
export { KELOS_CONFIG_NAME } from './group.ts';

export const PodSecurityFloorSchema = obj(
  {
    allowPrivileged: opt(bool('allowPrivileged lets containers run privileged. Default false.')),
    allowRunAsRoot: opt(
      bool('allowRunAsRoot lets containers run as UID 0 or with runAsNonRoot false. Default false.'),
    ),
    allowPrivilegeEscalation: opt(
      bool('allowPrivilegeEscalation lets containers set allowPrivilegeEscalation true. Default false.'),
    ),
    allowHostNamespaces: opt(
      bool('allowHostNamespaces lets Pods use hostNetwork, hostPID or hostIPC. Default false.'),
    ),
    allowedHostPaths: opt(
      strList('allowedHostPaths are path prefixes hostPath volumes may mount. Default none.', {
        maxItems: 64,
      }),
    ),
    allowedVolumeTypes: opt(
      list(
        strEnum(NODE_MOUNTED_VOLUME_TYPES, 'a volume type, as the Volume field names it.'),
        'allowedVolumeTypes are volume types beyond those of the restricted Pod Security Standard (configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret) that podOverrides may add, such as nfs. Default none: the node mounts such volumes itself, outside the agent NetworkPolicy. hostPath is governed by allowedHostPaths.',
        { maxItems: 32, 'x-kubernetes-list-type': 'set' },
      ),
    ),
    allowedCapabilities: opt(
      strList('allowedCapabilities may be added to containers (capabilities.add). Default none.', {
        maxItems: 64,
      }),
    ),
    allowedServiceAccounts: opt(
      strList(
        'allowedServiceAccounts may be named in podOverrides.serviceAccountName: a name, for Tasks of every namespace, or namespace/name, for that namespace only. Default none: Tasks run as the namespace default ServiceAccount.',
        { maxItems: 64 },
      ),
    ),
  },
  'podSecurity is the floor the operator enforces on every Task whatever its podOverrides say: a Task asking for more fails with a reason naming the field.',
);

export const OutboundSchema = obj(
  {
    allowedHosts: opt(
      strList(
        'allowedHosts the operator may call on a tenant’s behalf (GitHub and GitHub App API, Jira, context sources): exact host names, or "*.example.com" for subdomains. Default: api.github.com and github.com.',
        { maxItems: 256 },
      ),
    ),
    allowPrivateNetworks: opt(
      bool(
        'allowPrivateNetworks lets allowed hosts resolve to private, loopback or link-local addresses (an in-cluster GitHub Enterprise). Default false.',
      ),
    ),
    timeoutSeconds: opt(
      int32('timeoutSeconds bounds each outbound call. Default 10.', { minimum: 1, maximum: 300 }),
    ),
  },
  'outbound limits the HTTP calls the operator makes on a tenant’s behalf.',
);

/**
 * A CIDR as the API server's NetworkPolicy validation accepts it (IPv4 or IPv6, with a prefix
 * length). The operator parses and canonicalizes each one again before it writes a policy.
 */
export const CIDR_PATTERN =
  '^(([0-9]{1,3}\\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))$';

const cidrList = (description: string, maxItems = 32) =>
  strList(description, { maxItems }, { pattern: CIDR_PATTERN, maxLength: 64 });

/** One port (and protocol) of an egress rule. */
export const NetworkPortSchema = obj(
  {
    port: int32('port number.', { minimum: 1, maximum: 65535 }),
    protocol: opt(strEnum(['TCP', 'UDP', 'SCTP'] as const, 'protocol of the port. Default TCP.')),
  },
  'A port an agent may connect to.',
);

const portList = (description: string) => list(NetworkPortSchema, description, { minItems: 1, maxItems: 16 });

/** A destination outside the cluster's ranges (or inside them, when the admin says so). */
export const AllowedDestinationSchema = obj(
  {
    cidr: str('cidr the agents may reach (an address range; NetworkPolicy cannot name hosts).', {
      pattern: CIDR_PATTERN,
      maxLength: 64,
    }),
    ports: portList('ports on it the agents may reach; at least one.'),
  },
  'One extra destination for every agent Pod.',
);

/**
 * An in-cluster workload (an MCP server, a context source) that agents may reach only when an
 * AgentConfig names it in `networkAllowances`: the admin approves the destination, a namespace
 * admin opts its agents in by name, and a Task author can do neither.
 */
export const InClusterAllowanceSchema = obj(
  {
    name: str('name AgentConfigs use in spec.networkAllowances (a DNS-1123 label).', {
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
      maxLength: 40,
    }),
    namespace: opt(str('namespace of the destination Pods; exactly one of namespace and namespaceSelector.')),
    namespaceSelector: opt({
      ...LabelSelectorSchema,
      description: 'namespaceSelector picks the namespaces of the destination Pods by their labels.',
    }),
    podSelector: {
      ...LabelSelectorSchema,
      description:
        'podSelector picks the destination Pods; it must not be empty (least privilege: one workload, not a namespace).',
    },
    ports: portList('ports of the destination the agents may reach; at least one.'),
    tenantNamespaces: opt(
      strList(
        'tenantNamespaces whose AgentConfigs may name this allowance. Default: every namespace the operator runs Tasks in.',
        { maxItems: 256 },
      ),
    ),
  },
  'One in-cluster destination agents may reach by name.',
  {
    'x-kubernetes-validations': [
      {
        rule: 'has(self.namespace) != has(self.namespaceSelector)',
        message: 'set exactly one of namespace and namespaceSelector',
      },
      {
        rule: '(has(self.podSelector.matchLabels) && size(self.podSelector.matchLabels) > 0) || (has(self.podSelector.matchExpressions) && size(self.podSelector.matchExpressions) > 0)',
        message: 'podSelector must select something: an empty selector would open every Pod of the namespace',
      },
    ],
  },
);

export const NetworkIsolationSchema = obj(
  {
    enabled: opt(
      bool(
        'enabled isolates agent Pods with a NetworkPolicy per namespace. Default true; false is the only opt-out, and every Task admitted without isolation says so in its status and an Event.',
      ),
    ),
    exemptNamespaces: opt(
      strList(
        'exemptNamespaces where agent Pods run without the operator’s NetworkPolicy (shown like enabled: false on each Task). Default none.',
        { maxItems: 256 },
      ),
    ),
    podCIDRs: opt(cidrList('podCIDRs of the cluster: agents may not reach them.')),
    serviceCIDRs: opt(cidrList('serviceCIDRs of the cluster: agents may not reach them.')),
    nodeCIDRs: opt(cidrList('nodeCIDRs: the nodes’ and VPC ranges agents may not reach.')),
    blockedCIDRs: opt(
      cidrList(
        'blockedCIDRs: further ranges agents may not reach (on-premises networks). Link-local and metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254) and the API server’s endpoints are always blocked.',
        64,
      ),
    ),
    egressPorts: opt(
      portList(
        'egressPorts agents may reach outside the blocked ranges. Default 443/TCP; ports of the namespace’s Workspace repositories (22 for SSH, 9418 for git://, explicit ports) are added.',
      ),
    ),
    dns: opt(
      obj(
        {
          namespace: str('namespace of the cluster DNS Pods. Default kube-system.'),
          podSelector: {
            ...LabelSelectorSchema,
            description: 'podSelector of the cluster DNS Pods. Default k8s-app=kube-dns.',
          },
          ports: opt(
            list(
              int32('port number.', { minimum: 1, maximum: 65535 }),
              'ports the DNS Pods serve on, as the Pods see them: a NetworkPolicy matches after the Service maps its port (OpenShift’s DNS Pods serve on 5353). Each is opened for UDP and TCP. Default [53].',
              { minItems: 1, maxItems: 8 },
            ),
          ),
        },
        'dns says where the cluster DNS runs; agents may reach it on its ports (UDP and TCP). A node-local cache (NodeLocal DNSCache’s 169.254.20.10) is a link-local address, blocked unless extraAllowedDestinations names it with port 53.',
      ),
    ),
    extraAllowedDestinations: opt(
      list(
        AllowedDestinationSchema,
        'extraAllowedDestinations every agent Pod may reach beyond the defaults.',
        {
          maxItems: 256,
        },
      ),
    ),
    inClusterAllowances: opt(
      list(InClusterAllowanceSchema, 'inClusterAllowances AgentConfigs may name in spec.networkAllowances.', {
        maxItems: 64,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
  },
  'networkIsolation: the NetworkPolicy the operator keeps in every namespace where it runs Tasks (no ingress; egress to DNS and to addresses outside the cluster’s ranges). Needs a CNI that enforces NetworkPolicy.',
);

export const AdmissionExemptionsSchema = obj(
  {
    exemptNamespaces: opt(
      strList('exemptNamespaces whose objects may opt out of policy rules with policy.kelos.dev/ignore.', {
        maxItems: 256,
      }),
    ),
    exemptNamespaceSelector: opt({
      ...LabelSelectorSchema,
      description:
        'exemptNamespaceSelector selects namespaces (by their labels, which only cluster admins set) whose objects may opt out of policy rules with policy.kelos.dev/ignore.',
    }),
  },
  'admission decides which opt-outs the generated ValidatingAdmissionPolicies honour in the cluster. Default: none; an object’s own annotation is not enough.',
);

export const WebhookSettingsSchema = obj(
  {
    allowUnsignedNamespaces: opt(
      strList(
        'allowUnsignedNamespaces whose generic webhook spawners may receive deliveries without a secretRef (anyone who can reach the receiver can then create their Tasks). Default none: a generic spawner without a secret receives nothing.',
        { maxItems: 256 },
      ),
    ),
    clusterSecretNamespaces: opt(
      strList(
        'clusterSecretNamespaces whose GitHub and Linear webhook spawners without a secretRef may use the operator’s cluster-wide secrets (--webhook-github-secret-file, --webhook-linear-secret-file). Unset: every namespace, as upstream, so a spawner in any namespace receives every delivery signed with them, for any repository it names; on a cluster tenants share, list the namespaces trusted with them and give the others a secretRef.',
        { maxItems: 256, 'x-kubernetes-list-type': 'set' },
        { pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
      ),
    ),
  },
  'webhooks governs the webhook receiver.',
);

export const GitHubAppSettingsSchema = obj(
  {
    tokenScope: opt(
      strEnum(
        ['Repository', 'Installation'],
        'tokenScope of the installation token minted for a Task whose Workspace Secret holds GitHub App keys: Repository (the default) narrows it to the Workspace’s repository and those of its remotes and, for a spawned Task, of its TaskSpawner’s source (githubIssues.repo, githubPullRequests.repo, githubWebhook.repository) that the same owner has, so an agent can push to, comment on and read no other repository of the installation; Installation gives it every repository the installation covers, as upstream Kelos does.',
      ),
    ),
  },
  'githubApp governs the GitHub App installation tokens the operator mints for agents.',
);

export const KelosConfigSpecSchema = obj(
  {
    podSecurity: opt(PodSecurityFloorSchema),
    outbound: opt(OutboundSchema),
    networkIsolation: opt(NetworkIsolationSchema),
    rates: opt(ModelRatesSchema),
    admission: opt(AdmissionExemptionsSchema),
    webhooks: opt(WebhookSettingsSchema),
    githubApp: opt(GitHubAppSettingsSchema),
  },
  'KelosConfigSpec holds the settings only the cluster admin controls.',
);

/** The KelosConfig kind. */
export const KELOS_CONFIG: KindDefinition<typeof KelosConfigSpecSchema> = {
  kind: 'KelosConfig',
  listKind: 'KelosConfigList',
  plural: 'kelosconfigs',
  singular: 'kelosconfig',
  shortNames: ['kc'],
  categories: [CATEGORY],
  namespaced: false,
  spec: KelosConfigSpecSchema,
  specRequired: false,
  description:
    'KelosConfig holds the cluster admin’s settings for Kelos: the pod security floor, outbound hosts, agent network isolation, model rates and admission exemptions.',
  printerColumns: [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
};

/** The documented types of this file's schemas, generated by scripts/generate-api-types.ts. */
export type {
  AdmissionExemptions,
  AllowedDestination,
  GitHubAppSettings,
  InClusterAllowance,
  KelosConfigSpec,
  NetworkIsolation,
  NetworkPort,
  Outbound,
  PodSecurityFloor,
  WebhookSettings,
};
