/**
 * The lists of the Pod Security Standards' baseline profile that both the operator's pod
 * security floor and the `security/pod-security` policy apply, so a Task that passes the policy
 * offline is not refused by the floor at run time for the same setting. Plain data: the policy
 * engine loads it on every pre-commit run.
 *
 * @packageDocumentation
 */

/** SELinux types a container may run as. */
export const CONTAINER_SELINUX_TYPES: readonly string[] = [
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
];

/** Sysctls namespaced to the Pod and safe to set. */
export const SAFE_SYSCTLS: readonly string[] = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];

/**
 * Volume types the restricted profile allows: none the node mounts itself (nfs, iscsi, cephfs,
 * rbd, gitRepo, …), whose traffic no NetworkPolicy sees and whose plugins run as root on the
 * node. hostPath is judged on its own (the floor's `allowedHostPaths`).
 */
export const RESTRICTED_VOLUME_TYPES: readonly string[] = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

/**
 * The Pod volume types outside {@link RESTRICTED_VOLUME_TYPES} and hostPath, which the admin may
 * allow by name (`podSecurity.allowedVolumeTypes`): the in-tree sources of Kubernetes' Volume.
 */
export const NODE_MOUNTED_VOLUME_TYPES = [
  'awsElasticBlockStore',
  'azureDisk',
  'azureFile',
  'cephfs',
  'cinder',
  'fc',
  'flexVolume',
  'flocker',
  'gcePersistentDisk',
  'gitRepo',
  'glusterfs',
  'image',
  'iscsi',
  'nfs',
  'photonPersistentDisk',
  'portworxVolume',
  'quobyte',
  'rbd',
  'scaleIO',
  'storageos',
  'vsphereVolume',
] as const;

/** The type of a Pod volume: its one key besides `name`; undefined for a volume without one. */
export const volumeTypeOf = (volume: object): string | undefined =>
  Object.keys(volume).find((k) => k !== 'name');
