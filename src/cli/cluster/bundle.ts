/**
 * What `kelos install` applies and `kelos uninstall` removes: the CRDs this package generates
 * and the operator install rendered by the `KelosInstall` construct, in memory, so the
 * installed npm package (which ships no `dist/`) installs exactly what `kelos synth` writes
 * into `dist/crds` and `dist/install` for the same settings.
 *
 * @packageDocumentation
 */
import type { KelosInstallProps } from '../../../constructs/install/index.ts';
import { generateCrds } from '../../crd/generate.ts';
import { INSTALL_NAMESPACE, OPERATOR_NAME } from '../../install/index.ts';
import type { ApiObject, ResourceType } from '../../kube/client.ts';
import { UsageError } from '../io.ts';

/** The resource types of every kind the bundle contains, by `apiVersion/kind`. */
const TYPES: Readonly<Record<string, ResourceType>> = Object.fromEntries(
  (
    [
      ['apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false],
      ['', 'v1', 'namespaces', 'Namespace', false],
      ['', 'v1', 'serviceaccounts', 'ServiceAccount', true],
      ['', 'v1', 'secrets', 'Secret', true],
      ['', 'v1', 'services', 'Service', true],
      ['rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false],
      ['rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false],
      ['rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true],
      ['rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true],
      ['apps', 'v1', 'deployments', 'Deployment', true],
      ['policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true],
      ['networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true],
      ['monitoring.coreos.com', 'v1', 'servicemonitors', 'ServiceMonitor', true],
      ['monitoring.coreos.com', 'v1', 'podmonitors', 'PodMonitor', true],
    ] as const
  ).map(([group, version, plural, kind, namespaced]) => [
    `${group ? `${group}/` : ''}${version}/${kind}`,
    { group, version, plural, kind, namespaced },
  ]),
);

/**
 * The resource types of every kind an install may render, CRDs aside: what `kelos install`
 * prunes and `kelos uninstall` deletes when they carry the install's labels.
 */
export const INSTALL_TYPES: readonly ResourceType[] = Object.values(TYPES).filter(
  (t) => t.kind !== 'CustomResourceDefinition',
);

/** The Namespace resource type. */
export const NAMESPACE = TYPES['v1/Namespace']!;

/** The Deployment resource type (for `kelos version` and `install --wait`). */
export const DEPLOYMENT = TYPES['apps/v1/Deployment']!;
/** The ClusterRoleBinding resource type (another install's are found by them). */
export const CLUSTER_ROLE_BINDING = TYPES['rbac.authorization.k8s.io/v1/ClusterRoleBinding']!;
/** The CRD resource type. */
export const CRD = TYPES['apiextensions.k8s.io/v1/CustomResourceDefinition']!;

/** The resource type of a bundle object. */
export function typeOfObject(obj: ApiObject): ResourceType {
  const type = TYPES[`${obj.apiVersion}/${obj.kind}`];
  if (!type)
    throw new Error(`the install bundle contains ${obj.apiVersion} ${obj.kind}, which the CLI cannot apply`);
  return type;
}

/** `kind/name` (with the namespace when it has one), as progress lines name objects. */
export const describeObject = (obj: ApiObject): string =>
  `${obj.kind?.toLowerCase()}/${obj.metadata.name}${obj.metadata.namespace ? ` -n ${obj.metadata.namespace}` : ''}`;

/** Settings of `kelos install`. */
export interface InstallSettings {
  /** Namespace of the operator. */
  readonly namespace: string;
  /** Namespaced mode: the namespaces the operator watches. */
  readonly watchNamespaces?: readonly string[];
  readonly imageRepository?: string;
  /** Kelos version of the operator (the version label). */
  readonly version: string;
  readonly imageTag: string;
  /** Operator image digest (`sha256:…`), pinned instead of the tag. */
  readonly imageDigest?: string;
  /** Agent base image digest (`sha256:…`), which the operator pins for its agent Jobs. */
  readonly agentBaseDigest?: string;
  /** Default image of each agent type (`--agent-image-<type>`). */
  readonly agentImages?: KelosInstallProps['agentImages'];
  readonly replicas?: number;
  /** Whether to create the operator namespace (default true). */
  readonly createNamespace?: boolean;
  readonly resources?: KelosInstallProps['resources'];
  readonly monitor?: KelosInstallProps['monitor'];
  readonly metricsCertSecret?: string;
  /** The operator's `--default-active-deadline` (a duration, e.g. `6h`). */
  readonly defaultActiveDeadline?: string;
  /** Extra `kelos operator` flags. */
  readonly extraArgs?: readonly string[];
  readonly networkPolicy?: KelosInstallProps['networkPolicy'];
  readonly imagePullSecrets?: KelosInstallProps['imagePullSecrets'];
  readonly nodeSelector?: KelosInstallProps['nodeSelector'];
  readonly tolerations?: KelosInstallProps['tolerations'];
  readonly affinity?: KelosInstallProps['affinity'];
  readonly priorityClassName?: KelosInstallProps['priorityClassName'];
  /** Whether to render `kelos-edit` and `kelos-view` (default true). */
  readonly aggregateToDefaultRoles?: boolean;
}

/** The generated CRDs. */
export const renderCrds = (): ApiObject[] => generateCrds() as unknown as ApiObject[];

/** The `KelosInstall` props of `settings`. */
export function installProps(settings: InstallSettings): KelosInstallProps {
  return {
    namespace: settings.namespace,
    version: settings.version,
    imageTag: settings.imageTag,
    ...(settings.imageDigest ? { imageDigest: settings.imageDigest } : {}),
    ...(settings.agentBaseDigest ? { agentBaseDigest: settings.agentBaseDigest } : {}),
    ...(settings.agentImages ? { agentImages: { ...settings.agentImages } } : {}),
    ...(settings.watchNamespaces ? { watchNamespaces: [...settings.watchNamespaces] } : {}),
    ...(settings.imageRepository ? { imagePrefix: settings.imageRepository } : {}),
    ...(settings.replicas !== undefined ? { replicas: settings.replicas } : {}),
    ...(settings.createNamespace !== undefined ? { createNamespace: settings.createNamespace } : {}),
    ...(settings.resources ? { resources: settings.resources } : {}),
    ...(settings.monitor ? { monitor: settings.monitor } : {}),
    ...(settings.metricsCertSecret ? { metricsCertSecret: settings.metricsCertSecret } : {}),
    ...(settings.defaultActiveDeadline ? { defaultActiveDeadline: settings.defaultActiveDeadline } : {}),
    ...(settings.extraArgs ? { extraArgs: settings.extraArgs } : {}),
    ...(settings.networkPolicy ? { networkPolicy: settings.networkPolicy } : {}),
    ...(settings.imagePullSecrets ? { imagePullSecrets: settings.imagePullSecrets } : {}),
    ...(settings.nodeSelector ? { nodeSelector: settings.nodeSelector } : {}),
    ...(settings.tolerations ? { tolerations: settings.tolerations } : {}),
    ...(settings.affinity ? { affinity: settings.affinity } : {}),
    ...(settings.priorityClassName !== undefined ? { priorityClassName: settings.priorityClassName } : {}),
    ...(settings.aggregateToDefaultRoles !== undefined
      ? { aggregateToDefaultRoles: settings.aggregateToDefaultRoles }
      : {}),
    // Argo CD waves mean nothing to a direct apply.
    syncWaves: false,
  };
}

/**
 * The operator install for `settings`, in apply order (Namespace and RBAC before the
 * Deployment). cdk8s loads only here, so `kelos version` does not pay for it.
 */
export async function renderInstall(settings: InstallSettings): Promise<ApiObject[]> {
  const { App, Chart } = await import('cdk8s');
  const { KelosInstall } = await import('../../../constructs/install/index.ts');
  const props = installProps(settings);
  const app = new App();
  const chart = new Chart(app, 'install');
  try {
    new KelosInstall(chart, 'kelos', props);
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^KelosInstall: /, ''));
  }
  return chart.toJson() as ApiObject[];
}

/** Defaults of the install settings. */
export const INSTALL_DEFAULTS = { namespace: INSTALL_NAMESPACE, deployment: OPERATOR_NAME } as const;
