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
import type { Hint, Kind, OptionalKind, ReadonlyKind, Static } from '@sinclair/typebox';
import { LabelSelectorSchema } from './common.ts';
import { CATEGORY } from './group.ts';
import { ModelRatesSchema } from './rates.ts';
import { bool, int32, type KindDefinition, list, obj, opt, str, strList } from './schema.ts';

/**
 * The name of the KelosConfig the operator reads (`--config-name` overrides it); objects of
 * other names are ignored, so a cluster has one configuration in force.
 */
export const KELOS_CONFIG_NAME = 'kelos';

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
    allowedCapabilities: opt(
      strList('allowedCapabilities may be added to containers (capabilities.add). Default none.', {
        maxItems: 64,
      }),
    ),
    allowedServiceAccounts: opt(
      strList(
        'allowedServiceAccounts may be named in podOverrides.serviceAccountName. Default none: Tasks run as the namespace default ServiceAccount.',
        { maxItems: 64 },
      ),
    ),
  },
  'podSecurity is the floor the operator enforces on every Task whatever its podOverrides say: a Task asking for more fails with a reason naming the field.',
);
export type PodSecurityFloor = Static<typeof PodSecurityFloorSchema>;

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
export type Outbound = Static<typeof OutboundSchema>;

export const NetworkIsolationSchema = obj(
  {
    podCIDRs: opt(
      strList('podCIDRs of the cluster, so egress rules can tell Pods from the internet.', { maxItems: 16 }),
    ),
    serviceCIDRs: opt(strList('serviceCIDRs of the cluster.', { maxItems: 16 })),
    extraAllowedDestinations: opt(
      list(
        obj(
          {
            cidr: opt(str('cidr the agent may reach.')),
            host: opt(str('host the agent may reach.')),
            ports: opt(
              list(int32('port', { minimum: 1, maximum: 65535 }), 'ports; all when empty.', { maxItems: 16 }),
            ),
          },
          'One destination.',
          {
            'x-kubernetes-validations': [
              { rule: 'has(self.cidr) != has(self.host)', message: 'set exactly one of cidr and host' },
            ],
          },
        ),
        'extraAllowedDestinations agents may reach beyond the defaults.',
        { maxItems: 256 },
      ),
    ),
  },
  'networkIsolation is reserved for the agent egress policy (not enforced yet).',
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
export type AdmissionExemptions = Static<typeof AdmissionExemptionsSchema>;

export const WebhookSettingsSchema = obj(
  {
    allowUnsignedNamespaces: opt(
      strList(
        'allowUnsignedNamespaces whose generic webhook spawners may receive deliveries without a secretRef (anyone who can reach the receiver can then create their Tasks). Default none: a generic spawner without a secret receives nothing.',
        { maxItems: 256 },
      ),
    ),
  },
  'webhooks governs the webhook receiver.',
);
export type WebhookSettings = Static<typeof WebhookSettingsSchema>;

export const KelosConfigSpecSchema = obj(
  {
    podSecurity: opt(PodSecurityFloorSchema),
    outbound: opt(OutboundSchema),
    networkIsolation: opt(NetworkIsolationSchema),
    rates: opt(ModelRatesSchema),
    admission: opt(AdmissionExemptionsSchema),
    webhooks: opt(WebhookSettingsSchema),
  },
  'KelosConfigSpec holds the settings only the cluster admin controls.',
);
export type KelosConfigSpec = Static<typeof KelosConfigSpecSchema>;

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
    'KelosConfig holds the cluster admin’s settings for Kelos: the pod security floor, outbound hosts, model rates and admission exemptions.',
  printerColumns: [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
};
