/**
 * Pod defaults: the hardening every Job gets (security contexts, no service-account token,
 * no service links, a failure policy that ignores disruptions) and how a Task's
 * podOverrides are merged over it. The user's settings win where they are allowed to; the
 * built-in containers and volumes come first.
 *
 * @packageDocumentation
 */
import type { PodOverrides } from '../api/common.ts';
import type { K8sType } from '../api/k8s/index.ts';
import { AGENT_UID } from '../contract/pod.ts';
import { parseQuantity, quantitySign } from '../validate/quantity.ts';
import { DEFAULT_WORKSPACE_SIZE_LIMIT, type RenderOptions } from './input.ts';

type Job = K8sType<'Job'>;
type Container = K8sType<'Container'>;
type Volume = K8sType<'Volume'>;
type EmptyDirVolumeSource = NonNullable<Volume['emptyDir']>;
type PodSecurityContext = K8sType<'PodSecurityContext'>;
type SecurityContext = K8sType<'SecurityContext'>;
/** The Pod spec of a Job's template. */
export type PodSpec = NonNullable<NonNullable<NonNullable<Job['spec']>['template']>['spec']>;

/** The hardened Pod security context, applied under podOverrides.podSecurityContext. */
export const DEFAULT_POD_SECURITY_CONTEXT: Readonly<PodSecurityContext> = {
  runAsNonRoot: true,
  runAsUser: AGENT_UID,
  runAsGroup: AGENT_UID,
  fsGroup: AGENT_UID,
  seccompProfile: { type: 'RuntimeDefault' },
};

/** The hardened agent container security context, applied under podOverrides.containerSecurityContext. */
export const DEFAULT_CONTAINER_SECURITY_CONTEXT: Readonly<SecurityContext> = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  runAsNonRoot: true,
};

/**
 * Security context of the built-in init containers. Their root filesystem is read-only:
 * they write only to volumes. The agent's is not, because agent CLIs and setup commands
 * write to $HOME, caches and tool directories each image lays out differently; users
 * who want it set `readOnlyRootFilesystem` in containerSecurityContext and mount volumes.
 */
export const INIT_CONTAINER_SECURITY_CONTEXT: Readonly<SecurityContext> = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: AGENT_UID,
  runAsGroup: AGENT_UID,
};

/**
 * Pod failures that do not count against the Job: the Pod was evicted, preempted or its
 * node drained, which says nothing about the agent. Used when the Task sets no policy.
 */
export const DEFAULT_POD_FAILURE_POLICY: Readonly<NonNullable<NonNullable<Job['spec']>['podFailurePolicy']>> =
  {
    rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }],
  };

/**
 * sizeLimit of the small built-in emptyDirs: `kelos-plugin` (plugins, installed skills and the
 * skills CLI's npm cache) and `kelos-tmp` (the init containers' HOME and temporary files, such
 * as the skills CLI's checkouts). They hold tens of MiB; 1Gi is ample, and bounds what a stray
 * write there can take from the node.
 */
export const BUILT_IN_EMPTY_DIR_SIZE_LIMIT = '1Gi';

/**
 * Whether a configured sizeLimit turns the limit off: `''` or a zero quantity. Anything else is
 * rendered as given (`kelos operator` has checked it is a quantity; a library caller's typo is
 * then refused by the API server naming the field, never dropped in silence).
 */
export const isSizeLimitOff = (sizeLimit: string): boolean => {
  if (sizeLimit === '') return true;
  const q = parseQuantity(sizeLimit);
  return q !== undefined && quantitySign(q) === 0;
};

/** The emptyDir sources of the built-in volumes: each with its sizeLimit, or none. */
export interface BuiltInEmptyDirs {
  /** The `workspace` volume's. */
  readonly workspace: EmptyDirVolumeSource;
  /** The `kelos-plugin` and `kelos-tmp` volumes'. */
  readonly small: EmptyDirVolumeSource;
}

/**
 * The emptyDirs of the built-in volumes, each with a sizeLimit so a runaway agent (it runs
 * arbitrary builds and installs) is evicted alone instead of filling the node's ephemeral
 * storage and getting other Pods evicted. A Task that sets
 * `resources.limits["ephemeral-storage"]` gets none: the kubelet counts emptyDirs against
 * the Pod's limit, so the user's limit already bounds them, and a smaller built-in one would
 * contradict it.
 */
export const builtInEmptyDirs = (overrides: PodOverrides, options: RenderOptions): BuiltInEmptyDirs => {
  if (overrides.resources?.limits?.['ephemeral-storage'] !== undefined) return { workspace: {}, small: {} };
  const workspace = options.workspaceSizeLimit ?? DEFAULT_WORKSPACE_SIZE_LIMIT;
  return {
    workspace: isSizeLimitOff(workspace) ? {} : { sizeLimit: workspace },
    small: { sizeLimit: BUILT_IN_EMPTY_DIR_SIZE_LIMIT },
  };
};

/** A built-in container with the deployment's pull policy, when one is set. */
export const withPullPolicy = (c: Container, options: RenderOptions): Container =>
  options.imagePullPolicy ? { ...c, imagePullPolicy: options.imagePullPolicy } : c;

/** The agent container's security context: the hardened default under the user's. */
export const agentSecurityContext = (overrides: PodOverrides): SecurityContext => ({
  ...DEFAULT_CONTAINER_SECURITY_CONTEXT,
  ...overrides.containerSecurityContext,
});

/**
 * A user's extra container with the hardened container defaults under its own settings: an
 * extra container that says nothing runs as hardened as the agent.
 */
const hardened = (c: Container): Container => ({
  ...c,
  securityContext: { ...DEFAULT_CONTAINER_SECURITY_CONTEXT, ...c.securityContext },
});

/** The hardened Pod spec with podOverrides merged in; built-in containers and volumes first. */
export const podSpec = (
  overrides: PodOverrides,
  built: { readonly agent: Container; readonly init: Container[]; readonly volumes: Volume[] },
): PodSpec => {
  const extraInit = (overrides.extraInitContainers ?? []).map(hardened);
  const { init, volumes } = built;
  return {
    restartPolicy: 'Never',
    enableServiceLinks: false,
    // The agent does not talk to the Kubernetes API unless the user gives it an identity.
    ...(overrides.serviceAccountName
      ? { serviceAccountName: overrides.serviceAccountName }
      : { automountServiceAccountToken: false }),
    securityContext: { ...DEFAULT_POD_SECURITY_CONTEXT, ...overrides.podSecurityContext },
    ...(init.length > 0 || extraInit.length > 0 ? { initContainers: [...init, ...extraInit] } : {}),
    containers: [built.agent, ...(overrides.extraContainers ?? []).map(hardened)],
    ...(volumes.length > 0 ? { volumes } : {}),
    ...(overrides.nodeSelector ? { nodeSelector: { ...overrides.nodeSelector } } : {}),
    ...(overrides.tolerations ? { tolerations: overrides.tolerations } : {}),
    ...(overrides.affinity ? { affinity: overrides.affinity } : {}),
    ...(overrides.imagePullSecrets ? { imagePullSecrets: overrides.imagePullSecrets } : {}),
  };
};
