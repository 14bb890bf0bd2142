/**
 * The cluster-scoped kinds of Kubernetes' built-in APIs: one list for kustomize's namespace
 * transformer as `kelos validate` reads it (it sets no namespace on them), the namespace
 * findings of synth and check, and `security/cluster-scoped-object`. A custom resource's scope
 * is in its CRD, which none of them reads; Kelos's own cluster-scoped kind, KelosConfig, is
 * named where it matters.
 *
 * @packageDocumentation
 */

/** What {@link CLUSTER_SCOPED_KINDS} says of a kind. */
export interface ClusterScopedKind {
  /** Its API group, `''` for the core group. */
  readonly group: string;
  /** What an object of it reaches, as a policy finding says it. */
  readonly why: string;
}

const RBAC = 'rbac.authorization.k8s.io';
const ADMISSION = 'admissionregistration.k8s.io';
const STORAGE = 'storage.k8s.io';
const NETWORKING = 'networking.k8s.io';

/**
 * Every cluster-scoped kind of Kubernetes' built-in APIs, by kind, with its API group (`''` for
 * the core group) and what an object of it reaches.
 */
export const CLUSTER_SCOPED_KINDS: Readonly<Record<string, ClusterScopedKind>> = {
  Namespace: { group: '', why: 'it holds the objects of its namespace' },
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
};

/** Whether objects of `kind` are cluster-scoped, as far as the built-in APIs tell. */
export const isClusterScoped = (kind: unknown): boolean =>
  typeof kind === 'string' && Object.hasOwn(CLUSTER_SCOPED_KINDS, kind);
