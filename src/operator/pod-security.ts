/**
 * The pod security floor the operator enforces on every Job it creates, whatever the Task's
 * podOverrides say. The render merges podOverrides over hardened defaults, which a Task author
 * can override; only the cluster admin may relax this floor (KelosConfig
 * `spec.podSecurity`). Checked on the rendered Pod spec, so it judges what would actually run
 * (extra containers, init containers, volumes), not what the Task meant to ask for.
 *
 * Forbidden unless the floor allows it: privileged containers, Windows host processes,
 * `Unconfined` seccomp or AppArmor, an `Unmasked` /proc, an SELinux type other than the
 * container ones or any SELinux user or role, and sysctls outside the safe set
 * (`allowPrivileged`); UID 0 or `runAsNonRoot: false` at Pod or container level
 * (`allowRunAsRoot`); `allowPrivilegeEscalation: true` (`allowPrivilegeEscalation`); host
 * network, PID or IPC and host ports (`allowHostNamespaces`); hostPath volumes outside `allowedHostPaths`;
 * volume types the node mounts (nfs, iscsi, gitRepo, …: outside the restricted profile's list)
 * unless in `allowedVolumeTypes`;
 * added capabilities outside `allowedCapabilities`; a `serviceAccountName` outside
 * `allowedServiceAccounts`, and a projected `serviceAccountToken` volume without one (the
 * token of the namespace's default ServiceAccount, which the Pod otherwise does not get).
 * By default that is the Pod Security Standards' baseline profile and most of restricted.
 *
 * @packageDocumentation
 */

import { posix } from 'node:path';
import type { K8sType } from '../api/k8s/index.ts';
import {
  CONTAINER_SELINUX_TYPES,
  RESTRICTED_VOLUME_TYPES,
  SAFE_SYSCTLS,
  volumeTypeOf,
} from '../api/pod-security-standards.ts';
import { allowsServiceAccount } from '../api/service-account-grants.ts';
import type { PodSpec } from '../render/pod-defaults.ts';
import type { ResolvedFloor } from './admin-config.ts';

type Container = K8sType<'Container'>;

/** What an SELinux context asks beyond the container types; `at` is its field. */
const seLinuxViolations = (
  at: string,
  options: { type?: string; user?: string; role?: string } | undefined,
): FloorViolation[] => {
  const out: FloorViolation[] = [];
  if (options?.type && !CONTAINER_SELINUX_TYPES.includes(options.type))
    out.push({
      field: `${at}.seLinuxOptions.type`,
      message: `SELinux type "${options.type}" is not a container type (${CONTAINER_SELINUX_TYPES.join(', ')}; podSecurity.allowPrivileged)`,
    });
  for (const key of ['user', 'role'] as const) {
    if (options?.[key])
      out.push({
        field: `${at}.seLinuxOptions.${key}`,
        message: `an SELinux ${key} is not allowed (podSecurity.allowPrivileged)`,
      });
  }
  return out;
};

/** One thing the floor forbids: the Pod field (a path a person can read) and why. */
export interface FloorViolation {
  readonly field: string;
  readonly message: string;
}

const underPrefix = (path: string, prefixes: readonly string[]): boolean => {
  // Normalized first, so `/var/log/../../etc` is judged as `/etc`.
  const norm = posix.normalize(`/${path}`).replace(/\/+$/, '') || '/';
  return prefixes.some((p) => {
    const pre = posix.normalize(`/${p}`).replace(/\/+$/, '') || '/';
    return pre === '/' || norm === pre || norm.startsWith(`${pre}/`);
  });
};

/** The allowlist as it stands, so a refusal says what the admin has granted so far. */
const listed = (grants: readonly string[]): string =>
  grants.length === 0 ? 'it lists none now' : `it lists ${grants.map((g) => `"${g}"`).join(', ')} now`;

/** What `spec`, of a Pod in `namespace`, asks for beyond `floor`; empty when it stays within. */
export function checkPodFloor(spec: PodSpec, floor: ResolvedFloor, namespace?: string): FloorViolation[] {
  const out: FloorViolation[] = [];
  const deny = (field: string, message: string) => out.push({ field, message });
  if (!floor.allowHostNamespaces) {
    for (const k of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
      if ((spec as Record<string, unknown>)[k] === true)
        deny(`spec.${k}`, 'host namespaces are not allowed (podSecurity.allowHostNamespaces)');
    }
  }
  const sa = spec.serviceAccountName ?? (spec as { serviceAccount?: string }).serviceAccount;
  if (sa && !allowsServiceAccount(floor.allowedServiceAccounts, namespace, sa)) {
    deny(
      'spec.serviceAccountName',
      `ServiceAccount "${sa}" is not in podSecurity.allowedServiceAccounts (a cluster admin lists there the ServiceAccounts agents may run as, e.g. for IRSA or Workload Identity, as "${namespace ? `${namespace}/` : ''}${sa}"${namespace ? ` or, for every namespace, "${sa}"` : ''}; ${listed(floor.allowedServiceAccounts)})`,
    );
  }
  // A projected token is the Pod's ServiceAccount's credential whatever automountServiceAccountToken
  // says: without an allowed ServiceAccount the Pod runs as the namespace default one, with no
  // token, and a Task may not mint itself one (for the API server, or any audience that trusts it).
  if (!sa) {
    for (const [i, v] of (spec.volumes ?? []).entries()) {
      if ((v.projected?.sources ?? []).some((s) => s.serviceAccountToken !== undefined)) {
        deny(
          `spec.volumes[${v.name ?? i}].projected.sources.serviceAccountToken`,
          'a service account token needs a ServiceAccount from podSecurity.allowedServiceAccounts',
        );
      }
    }
  }
  for (const [i, v] of (spec.volumes ?? []).entries()) {
    const type = volumeTypeOf(v);
    if (
      type !== undefined &&
      type !== 'hostPath' &&
      !RESTRICTED_VOLUME_TYPES.includes(type) &&
      !(floor.allowedVolumeTypes as readonly string[]).includes(type)
    )
      deny(
        `spec.volumes[${v.name ?? i}].${type}`,
        `volume type ${type} is not allowed: the node mounts it (podSecurity.allowedVolumeTypes; the restricted Pod Security Standard allows ${RESTRICTED_VOLUME_TYPES.join(', ')})`,
      );
    const path = v.hostPath?.path;
    if (path !== undefined && !underPrefix(path, floor.allowedHostPaths)) {
      deny(
        `spec.volumes[${v.name ?? i}].hostPath.path`,
        `hostPath "${path}" is not under podSecurity.allowedHostPaths`,
      );
    }
  }
  const podSc = spec.securityContext ?? {};
  if (!floor.allowRunAsRoot) {
    if (podSc.runAsUser === 0)
      deny('spec.securityContext.runAsUser', 'running as UID 0 is not allowed (podSecurity.allowRunAsRoot)');
    if (podSc.runAsNonRoot === false)
      deny(
        'spec.securityContext.runAsNonRoot',
        'runAsNonRoot false is not allowed (podSecurity.allowRunAsRoot)',
      );
  }
  if (!floor.allowPrivileged && podSc.seccompProfile?.type === 'Unconfined') {
    deny(
      'spec.securityContext.seccompProfile.type',
      'Unconfined seccomp is not allowed (podSecurity.allowPrivileged)',
    );
  }
  if (!floor.allowPrivileged && podSc.appArmorProfile?.type === 'Unconfined') {
    deny(
      'spec.securityContext.appArmorProfile.type',
      'Unconfined AppArmor is not allowed (podSecurity.allowPrivileged)',
    );
  }
  if (!floor.allowPrivileged) {
    out.push(...seLinuxViolations('spec.securityContext', podSc.seLinuxOptions));
    for (const sysctl of podSc.sysctls ?? []) {
      if (!SAFE_SYSCTLS.includes(sysctl.name))
        deny(
          'spec.securityContext.sysctls',
          `sysctl ${sysctl.name} is not in the safe set (podSecurity.allowPrivileged)`,
        );
    }
    if (podSc.windowsOptions?.hostProcess === true)
      deny(
        'spec.securityContext.windowsOptions.hostProcess',
        'Windows host processes are not allowed (podSecurity.allowPrivileged)',
      );
  }
  const containers: Array<[string, Container]> = [
    ...(spec.initContainers ?? []).map((c): [string, Container] => [`spec.initContainers[${c.name}]`, c]),
    ...(spec.containers ?? []).map((c): [string, Container] => [`spec.containers[${c.name}]`, c]),
  ];
  for (const [at, c] of containers) {
    const sc = c.securityContext ?? {};
    if (!floor.allowPrivileged) {
      if (sc.privileged === true)
        deny(
          `${at}.securityContext.privileged`,
          'privileged containers are not allowed (podSecurity.allowPrivileged)',
        );
      if (sc.seccompProfile?.type === 'Unconfined') {
        deny(
          `${at}.securityContext.seccompProfile.type`,
          'Unconfined seccomp is not allowed (podSecurity.allowPrivileged)',
        );
      }
      if (sc.appArmorProfile?.type === 'Unconfined') {
        deny(
          `${at}.securityContext.appArmorProfile.type`,
          'Unconfined AppArmor is not allowed (podSecurity.allowPrivileged)',
        );
      }
      if (sc.procMount === 'Unmasked') {
        deny(
          `${at}.securityContext.procMount`,
          'an Unmasked /proc is not allowed (podSecurity.allowPrivileged)',
        );
      }
      out.push(...seLinuxViolations(`${at}.securityContext`, sc.seLinuxOptions));
      if (sc.windowsOptions?.hostProcess === true)
        deny(
          `${at}.securityContext.windowsOptions.hostProcess`,
          'Windows host processes are not allowed (podSecurity.allowPrivileged)',
        );
    }
    if (!floor.allowHostNamespaces) {
      for (const port of c.ports ?? []) {
        if (port.hostPort)
          deny(
            `${at}.ports.hostPort`,
            `host port ${port.hostPort} is not allowed (podSecurity.allowHostNamespaces)`,
          );
      }
    }
    if (!floor.allowRunAsRoot) {
      if (sc.runAsUser === 0)
        deny(
          `${at}.securityContext.runAsUser`,
          'running as UID 0 is not allowed (podSecurity.allowRunAsRoot)',
        );
      if (sc.runAsNonRoot === false)
        deny(
          `${at}.securityContext.runAsNonRoot`,
          'runAsNonRoot false is not allowed (podSecurity.allowRunAsRoot)',
        );
    }
    // Kubernetes defaults allowPrivilegeEscalation to true when unset, so unset counts too.
    if (!floor.allowPrivilegeEscalation && sc.allowPrivilegeEscalation !== false) {
      deny(
        `${at}.securityContext.allowPrivilegeEscalation`,
        'must be false (podSecurity.allowPrivilegeEscalation)',
      );
    }
    for (const cap of sc.capabilities?.add ?? []) {
      if (!floor.allowedCapabilities.includes(cap)) {
        deny(
          `${at}.securityContext.capabilities.add`,
          `capability ${cap} is not in podSecurity.allowedCapabilities`,
        );
      }
    }
  }
  return out;
}

/** One line for a Task's status: every violation with its field. */
export const describeFloorViolations = (violations: readonly FloorViolation[]): string =>
  `The Pod asks for more than the cluster's pod security floor (KelosConfig spec.podSecurity): ${violations
    .map((v) => `${v.field}: ${v.message}`)
    .join('; ')}`;
