/**
 * security/cluster-scoped-object: an app renders no cluster-scoped object. The scaffold's
 * ApplicationSet and Applications use Argo CD's `default` project, which lets an app directory
 * sync any kind, cluster-scoped included: a ClusterRoleBinding to cluster-admin in one app
 * directory would be synced as readily as a Task. The operator install needs its ClusterRoles
 * and ClusterRoleBindings and the Kelos CRDs, so a bundle that deploys the operator (a
 * Deployment running `kelos operator`) and the `kelos.dev` CRDs are left alone, as is a
 * Namespace (an app renders its own with `AppNamespace`).
 *
 * Kinds are the built-in cluster-scoped kinds of Kubernetes (by API group) and Kelos's
 * KelosConfig; a custom resource's scope is in its CRD, which the rules do not read.
 *
 * @packageDocumentation
 */
import { GROUP } from '../src/api/group.ts';
import type { KubeObject } from '../src/api/object.ts';
import type { ObjectRule } from '../src/policy/rule.ts';
import { arr, get, isRecord, str } from './lib/access.ts';

const RBAC = 'rbac.authorization.k8s.io';
const ADMISSION = 'admissionregistration.k8s.io';
const STORAGE = 'storage.k8s.io';
const NETWORKING = 'networking.k8s.io';

/** Cluster-scoped kinds by kind, each with its API group (`''` for the core group) and what it reaches. */
const CLUSTER_SCOPED: Readonly<Record<string, { readonly group: string; readonly why: string }>> = {
  Node: { group: '', why: 'it is a node of the cluster' },
  PersistentVolume: { group: '', why: 'any namespace can claim the storage it exposes' },
  ComponentStatus: { group: '', why: 'it is cluster state' },
  ClusterRole: { group: RBAC, why: 'it defines permissions a binding grants across every namespace' },
  ClusterRoleBinding: {
    group: RBAC,
    why: 'it grants its ClusterRole in every namespace (to cluster-admin, the whole cluster)',
  },
  CustomResourceDefinition: {
    group: 'apiextensions.k8s.io',
    why: 'it adds an API for the whole cluster, and deleting it deletes every object of it',
  },
  APIService: {
    group: 'apiregistration.k8s.io',
    why: 'it routes an API group of the whole cluster to a Service',
  },
  ValidatingWebhookConfiguration: {
    group: ADMISSION,
    why: 'its webhook sees, and may refuse, matching API requests in every namespace',
  },
  MutatingWebhookConfiguration: {
    group: ADMISSION,
    why: 'its webhook sees and may rewrite matching API requests in every namespace',
  },
  ValidatingAdmissionPolicy: { group: ADMISSION, why: 'it may refuse API requests in every namespace' },
  ValidatingAdmissionPolicyBinding: {
    group: ADMISSION,
    why: 'it applies an admission policy to the cluster',
  },
  MutatingAdmissionPolicy: { group: ADMISSION, why: 'it may rewrite API requests in every namespace' },
  MutatingAdmissionPolicyBinding: { group: ADMISSION, why: 'it applies an admission policy to the cluster' },
  PriorityClass: {
    group: 'scheduling.k8s.io',
    why: "its Pods may preempt every other namespace's Pods",
  },
  StorageClass: { group: STORAGE, why: 'every namespace provisions volumes from it' },
  CSIDriver: { group: STORAGE, why: 'it configures a storage driver of every node' },
  CSINode: { group: STORAGE, why: 'it is node state' },
  VolumeAttachment: { group: STORAGE, why: 'it attaches a volume to a node' },
  VolumeAttributesClass: { group: STORAGE, why: 'every namespace may use it' },
  IngressClass: { group: NETWORKING, why: 'it may become the default of every Ingress' },
  IPAddress: { group: NETWORKING, why: 'it allocates a Service IP of the cluster' },
  ServiceCIDR: { group: NETWORKING, why: 'it changes the Service IP ranges of the cluster' },
  RuntimeClass: { group: 'node.k8s.io', why: 'it configures a container runtime of every node' },
  FlowSchema: {
    group: 'flowcontrol.apiserver.k8s.io',
    why: "it decides the API server's priority for every client's requests",
  },
  PriorityLevelConfiguration: {
    group: 'flowcontrol.apiserver.k8s.io',
    why: "it sets the API server's capacity for every client",
  },
  CertificateSigningRequest: {
    group: 'certificates.k8s.io',
    why: 'it asks the cluster to sign a certificate',
  },
  ClusterTrustBundle: { group: 'certificates.k8s.io', why: 'every Pod of the cluster may trust it' },
  DeviceClass: { group: 'resource.k8s.io', why: 'every namespace claims devices through it' },
  ResourceSlice: { group: 'resource.k8s.io', why: 'it publishes devices of the cluster' },
  StorageVersionMigration: {
    group: 'storagemigration.k8s.io',
    why: 'it rewrites every stored object of a resource',
  },
  KelosConfig: {
    group: GROUP,
    why: "it is the cluster's Kelos configuration: admission exemptions and the network isolation of every namespace",
  },
};

/** API group of an apiVersion (`rbac.authorization.k8s.io/v1` → its group, `v1` → `''`). */
const groupOf = (apiVersion: unknown): string | undefined => {
  if (typeof apiVersion !== 'string') return undefined;
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
};

/** Whether `o` is a Deployment whose Pods run `kelos operator` (KelosInstall's operator). */
const runsOperator = (o: KubeObject): boolean =>
  groupOf(o.apiVersion) === 'apps' &&
  arr(get(o, 'spec', 'template', 'spec', 'containers')).some(
    (c) => isRecord(c) && arr(c['args'])[0] === 'operator',
  );

export const clusterScopedObject: ObjectRule = {
  id: 'security/cluster-scoped-object',
  scope: 'object',
  severity: 'warning',
  kinds: Object.keys(CLUSTER_SCOPED),
  description:
    'No app renders a cluster-scoped object (ClusterRole, ClusterRoleBinding, CustomResourceDefinition, webhook configurations, PriorityClass, StorageClass, PersistentVolume, KelosConfig, …); a Namespace, the bundle that deploys the operator and the kelos.dev CRDs are left alone.',
  rationale:
    "The scaffold's Applications use Argo CD's default project, which syncs any kind an app directory holds: a ClusterRoleBinding to cluster-admin merged into one app would be applied to the cluster as readily as a Task.",
  hint: 'Move the object out of the app into a bundle a cluster admin reviews (or leave it to whoever runs the cluster), or restrict the apps with an Argo CD AppProject whose clusterResourceWhitelist leaves the kind out; if the app must render it, opt out with policy.kelos.dev/ignore and say why.',
  check({ object, bundle }) {
    const scoped = CLUSTER_SCOPED[object.kind];
    if (!scoped || groupOf(object.apiVersion) !== scoped.group) return [];
    // The Kelos CRDs and the install's cluster-wide RBAC are what the operator needs.
    if (object.kind === 'CustomResourceDefinition' && str(get(object, 'spec', 'group')) === GROUP) return [];
    if (bundle.ofKind('Deployment').some(runsOperator)) return [];
    return [
      {
        path: '',
        message: `${object.kind} ${object.metadata?.name ?? ''} is cluster-scoped, and ${scoped.why}: an app's Argo CD Application (project default) syncs it to the whole cluster, not to the app's namespace`,
      },
    ];
  },
};
