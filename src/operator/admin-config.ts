/**
 * The cluster admin's settings as the operator applies them: the `KelosConfig` object (see
 * src/api/kelos-config.ts) with every default filled in, and the operator flags laid over it.
 * A missing object means the defaults. Pure: the operator calls {@link resolveAdminConfig}
 * whenever the cached object changes.
 *
 * @packageDocumentation
 */
import {
  type AdmissionExemptions,
  DEFAULT_MODEL_RATES,
  type GitHubAppSettings,
  type KelosConfig,
  type ModelRates,
  mergeRates,
  type NetworkIsolation,
  type PodSecurityFloor,
} from '../api/index.ts';
import { DEFAULT_OUTBOUND_POLICY, type OutboundPolicy } from './outbound.ts';

/** The pod security floor with every default filled in. */
export type ResolvedFloor = Required<PodSecurityFloor>;

/** Everything the operator takes from the admin configuration. */
export interface AdminConfig {
  readonly podSecurity: ResolvedFloor;
  readonly outbound: OutboundPolicy;
  /** Prices of finished Tasks that reported no usage (the policy forecast uses the same schema). */
  readonly rates: ModelRates;
  readonly admission: AdmissionExemptions;
  /** Namespaces whose generic webhook spawners may receive unsigned deliveries. */
  readonly allowUnsignedWebhookNamespaces: readonly string[];
  /** Namespaces whose spawners may use the cluster-wide webhook secrets; undefined: every one. */
  readonly clusterSecretNamespaces: readonly string[] | undefined;
  /** The agent network isolation settings as written (the render fills in the defaults). */
  readonly network: NetworkIsolation | undefined;
  /** Which repositories a Task's GitHub App installation token covers. */
  readonly githubTokenScope: GitHubTokenScope;
}

/** `spec.githubApp.tokenScope` of the KelosConfig: the Workspace's repository unless it says otherwise. */
export type GitHubTokenScope = NonNullable<GitHubAppSettings['tokenScope']>;

/** Operator flags that override the object. */
export interface AdminOverrides {
  /** `--github-api-url`: the GitHub API base for every Workspace; its origin is trusted. */
  readonly githubApiUrl?: string;
}

/** The floor when no KelosConfig relaxes it: nothing beyond the hardened defaults. */
export const DEFAULT_FLOOR: ResolvedFloor = {
  allowPrivileged: false,
  allowRunAsRoot: false,
  allowPrivilegeEscalation: false,
  allowHostNamespaces: false,
  allowedHostPaths: [],
  allowedVolumeTypes: [],
  allowedCapabilities: [],
  allowedServiceAccounts: [],
};

/** Resolves the configuration in force from the object (or its absence) and the flags. */
export function resolveAdminConfig(
  obj: KelosConfig | undefined,
  overrides: AdminOverrides = {},
): AdminConfig {
  const spec = obj?.spec ?? {};
  const out = spec.outbound ?? {};
  return {
    podSecurity: { ...DEFAULT_FLOOR, ...spec.podSecurity },
    outbound: {
      allowedHosts: out.allowedHosts ?? DEFAULT_OUTBOUND_POLICY.allowedHosts,
      allowPrivateNetworks: out.allowPrivateNetworks ?? false,
      trustedOrigins: overrides.githubApiUrl ? [new URL(overrides.githubApiUrl).origin] : [],
      timeoutMs: (out.timeoutSeconds ?? DEFAULT_OUTBOUND_POLICY.timeoutMs / 1000) * 1000,
    },
    rates: mergeRates(DEFAULT_MODEL_RATES, spec.rates),
    admission: spec.admission ?? {},
    allowUnsignedWebhookNamespaces: spec.webhooks?.allowUnsignedNamespaces ?? [],
    clusterSecretNamespaces: spec.webhooks?.clusterSecretNamespaces,
    network: spec.networkIsolation,
    githubTokenScope: spec.githubApp?.tokenScope ?? 'Repository',
  };
}

/**
 * Whether spawners in `namespace` may use the cluster-wide webhook secrets: every namespace
 * unless the KelosConfig lists some (`spec.webhooks.clusterSecretNamespaces`).
 */
export const mayUseClusterSecret = (admin: AdminConfig, namespace: string): boolean =>
  admin.clusterSecretNamespaces?.includes(namespace) ?? true;
