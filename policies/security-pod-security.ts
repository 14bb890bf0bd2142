/**
 * security/pod-security: podOverrides do not weaken the Pod's isolation: no privileged
 * containers, privilege escalation, added capabilities, root user (runAsUser 0 or runAsNonRoot
 * false), Unconfined seccomp or AppArmor, an Unmasked /proc, an SELinux type other than the
 * container ones (or an SELinux user or role), unsafe sysctls, Windows host processes, host
 * ports, hostPath volumes or host namespaces. Each is a setting the operator's pod security floor
 * (`src/operator/pod-security.ts`) refuses by default, so a Task that passes here is not failed
 * with PodSecurityViolation for what its podOverrides ask. A ServiceAccount of its own, which the
 * floor refuses too, is security/service-account's: a cluster admin may grant one, and opting an
 * object out of that rule leaves these checks in force.
 *
 * @packageDocumentation
 */
import {
  CONTAINER_SELINUX_TYPES,
  RESTRICTED_VOLUME_TYPES,
  SAFE_SYSCTLS,
  volumeTypeOf,
} from '../src/api/pod-security-standards.ts';
import type { AdmissionCheck, AdmissionValidation, Finding, ObjectRule } from '../src/policy/rule.ts';
import { arr, get, isRecord, nonEmpty, num, str } from './lib/access.ts';
import { CEL_EXECUTION_ROOT, celHas, celList, celPath } from './lib/cel.ts';
import { type Execution, executionOf, type Located, locate } from './lib/worker.ts';

/** Messages, shared verbatim with the admission policy where it can build them. */
export const PodSecurityMessages = {
  privileged: (who: string) => `${who} is privileged`,
  capabilities: (who: string, caps: readonly string[]) => `${who} adds capabilities ${caps.join(', ')}`,
  root: (who: string) => `${who} runs as root (runAsUser 0)`,
  escalation: (who: string) => `${who} allows privilege escalation (allowPrivilegeEscalation true)`,
  nonRoot: (who: string) => `${who} may run as root (runAsNonRoot false)`,
  unconfined: (who: string) => `${who} runs without seccomp (seccompProfile.type Unconfined)`,
  appArmor: (who: string) => `${who} runs without AppArmor (appArmorProfile.type Unconfined)`,
  unmasked: (who: string) => `${who} mounts /proc unmasked (procMount Unmasked)`,
  seLinuxType: (who: string, type: string) =>
    `${who} runs as SELinux type "${type}", not a container type (${CONTAINER_SELINUX_TYPES.join(', ')})`,
  seLinuxUser: (who: string, key: string) => `${who} sets an SELinux ${key} (seLinuxOptions.${key})`,
  hostProcess: (who: string) => `${who} runs as a Windows host process (windowsOptions.hostProcess)`,
  hostPort: (who: string, port: number) => `${who} binds host port ${port} (ports.hostPort)`,
  sysctl: (name: string) => `the Pod sets sysctl ${name}, outside the safe set (podSecurityContext.sysctls)`,
  podRoot: 'the Pod runs as root (podSecurityContext.runAsUser 0)',
  podNonRoot: 'the Pod may run as root (podSecurityContext.runAsNonRoot false)',
  podUnconfined: 'the Pod runs without seccomp (podSecurityContext.seccompProfile.type Unconfined)',
  podAppArmor: 'the Pod runs without AppArmor (podSecurityContext.appArmorProfile.type Unconfined)',
  hostPath: (volume: string, path: string) => `volume "${volume}" mounts the node path ${path} (hostPath)`,
  volumeType: (volume: string, type: string) =>
    `volume "${volume}" is of type ${type}, which the node mounts (the restricted Pod Security Standard allows ${RESTRICTED_VOLUME_TYPES.join(', ')})`,
  hostNamespace: (field: string) =>
    `podOverrides asks for ${field}, which shares the node's namespaces with the agent`,
  extraContainer:
    'an extra container is privileged, allows privilege escalation, adds capabilities, runs as root, without seccomp or AppArmor, as another SELinux type or a Windows host process, mounts /proc unmasked or binds a host port',
  podSeLinux:
    'the Pod runs as an SELinux type other than a container type, sets an SELinux user or role, or runs as a Windows host process',
  podSysctl: 'the Pod sets a sysctl outside the safe set (podSecurityContext.sysctls)',
} as const;

const AGENT = 'the agent container';

function securityContextFindings(who: string, context: Located | undefined): Finding[] {
  if (!context || !isRecord(context.value)) return [];
  const at = (...keys: string[]) => locate(get(context.value, ...keys), [...context.segments, ...keys]);
  const findings: Finding[] = [];
  const privileged = at('privileged');
  if (privileged.value === true)
    findings.push({ path: privileged.path, message: PodSecurityMessages.privileged(who) });
  const add = at('capabilities', 'add');
  const caps = arr(add.value).filter((c): c is string => typeof c === 'string');
  if (caps.length > 0)
    findings.push({ path: add.path, message: PodSecurityMessages.capabilities(who, caps) });
  const escalation = at('allowPrivilegeEscalation');
  if (escalation.value === true)
    findings.push({ path: escalation.path, message: PodSecurityMessages.escalation(who) });
  const user = at('runAsUser');
  if (num(user.value) === 0) findings.push({ path: user.path, message: PodSecurityMessages.root(who) });
  const nonRoot = at('runAsNonRoot');
  if (nonRoot.value === false)
    findings.push({ path: nonRoot.path, message: PodSecurityMessages.nonRoot(who) });
  const seccomp = at('seccompProfile', 'type');
  if (seccomp.value === 'Unconfined')
    findings.push({ path: seccomp.path, message: PodSecurityMessages.unconfined(who) });
  const appArmor = at('appArmorProfile', 'type');
  if (appArmor.value === 'Unconfined')
    findings.push({ path: appArmor.path, message: PodSecurityMessages.appArmor(who) });
  const procMount = at('procMount');
  if (procMount.value === 'Unmasked')
    findings.push({ path: procMount.path, message: PodSecurityMessages.unmasked(who) });
  findings.push(...seLinuxFindings(who, context.value, at));
  return findings;
}

/** SELinux and Windows host-process findings of a security context (a Pod's or a container's). */
function seLinuxFindings(
  who: string,
  context: unknown,
  at: (...keys: string[]) => { value: unknown; path: string },
): Finding[] {
  if (!isRecord(context)) return [];
  const findings: Finding[] = [];
  const type = at('seLinuxOptions', 'type');
  const typeName = str(type.value);
  if (typeName && !CONTAINER_SELINUX_TYPES.includes(typeName))
    findings.push({ path: type.path, message: PodSecurityMessages.seLinuxType(who, typeName) });
  for (const key of ['user', 'role']) {
    const field = at('seLinuxOptions', key);
    if (nonEmpty(field.value))
      findings.push({ path: field.path, message: PodSecurityMessages.seLinuxUser(who, key) });
  }
  const hostProcess = at('windowsOptions', 'hostProcess');
  if (hostProcess.value === true)
    findings.push({ path: hostProcess.path, message: PodSecurityMessages.hostProcess(who) });
  return findings;
}

function podFindings(e: Execution): Finding[] {
  const findings = securityContextFindings(AGENT, e.podOverride('containerSecurityContext'));
  const podUser = e.podOverride('podSecurityContext', 'runAsUser');
  if (podUser && num(podUser.value) === 0)
    findings.push({ path: podUser.path, message: PodSecurityMessages.podRoot });
  const podNonRoot = e.podOverride('podSecurityContext', 'runAsNonRoot');
  if (podNonRoot?.value === false)
    findings.push({ path: podNonRoot.path, message: PodSecurityMessages.podNonRoot });
  const podSeccomp = e.podOverride('podSecurityContext', 'seccompProfile', 'type');
  if (podSeccomp?.value === 'Unconfined')
    findings.push({ path: podSeccomp.path, message: PodSecurityMessages.podUnconfined });
  const podAppArmor = e.podOverride('podSecurityContext', 'appArmorProfile', 'type');
  if (podAppArmor?.value === 'Unconfined')
    findings.push({ path: podAppArmor.path, message: PodSecurityMessages.podAppArmor });
  const podContext = e.podOverride('podSecurityContext');
  if (podContext && isRecord(podContext.value)) {
    const value = podContext.value;
    const atPod = (...keys: string[]) => locate(get(value, ...keys), [...podContext.segments, ...keys]);
    findings.push(...seLinuxFindings('the Pod', value, atPod));
    arr(get(value, 'sysctls')).forEach((sysctl, i) => {
      const name = str(get(sysctl, 'name'));
      if (name !== undefined && !SAFE_SYSCTLS.includes(name))
        findings.push({
          path: atPod('sysctls', String(i), 'name').path,
          message: PodSecurityMessages.sysctl(name),
        });
    });
  }
  for (const list of ['extraContainers', 'extraInitContainers']) {
    const containers = e.podOverride(list);
    arr(containers?.value).forEach((c, i) => {
      const segments = [...(containers?.segments ?? []), i];
      const who = `${list}[${i}] "${str(get(c, 'name')) ?? ''}"`;
      const context = get(c, 'securityContext');
      findings.push(
        ...securityContextFindings(
          who,
          context === undefined ? undefined : locate(context, [...segments, 'securityContext']),
        ),
      );
      arr(get(c, 'ports')).forEach((port, p) => {
        const hostPort = num(get(port, 'hostPort'));
        if (hostPort)
          findings.push({
            path: locate(hostPort, [...segments, 'ports', p, 'hostPort']).path,
            message: PodSecurityMessages.hostPort(who, hostPort),
          });
      });
    });
  }
  const volumes = e.podOverride('volumes');
  arr(volumes?.value).forEach((v, i) => {
    const type = isRecord(v) ? volumeTypeOf(v) : undefined;
    if (type !== undefined && type !== 'hostPath' && !RESTRICTED_VOLUME_TYPES.includes(type)) {
      findings.push({
        path: locate(get(v, type), [...(volumes?.segments ?? []), i, type]).path,
        message: PodSecurityMessages.volumeType(str(get(v, 'name')) ?? '', type),
        hint: 'Mount the data through a PersistentVolumeClaim (a CSI driver) instead, or have the cluster admin add the type to KelosConfig spec.podSecurity.allowedVolumeTypes and opt this object out.',
      });
    }
    const hostPath = get(v, 'hostPath');
    if (hostPath === undefined) return;
    const at = locate(hostPath, [...(volumes?.segments ?? []), i, 'hostPath']);
    findings.push({
      path: at.path,
      message: PodSecurityMessages.hostPath(str(get(v, 'name')) ?? '', nonEmpty(get(hostPath, 'path')) ?? ''),
      hint: 'Mount the data through a PersistentVolumeClaim or a ConfigMap instead of a node path.',
    });
  });
  // Not fields of podOverrides (the API server prunes them), but asking for them shows intent.
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
    const at = e.podOverride(field);
    if (at?.value === true)
      findings.push({ path: at.path, message: PodSecurityMessages.hostNamespace(field) });
  }
  return findings;
}

/** CEL: the security context at `sc` (which exists) asks for no other SELinux type, user or role and no Windows host process. */
const seLinuxOk = (sc: string): string =>
  `(!has(${sc}.seLinuxOptions) || ((!has(${sc}.seLinuxOptions.type) || ${sc}.seLinuxOptions.type == '' || ${sc}.seLinuxOptions.type in ${celList(CONTAINER_SELINUX_TYPES)}) && (!has(${sc}.seLinuxOptions.user) || ${sc}.seLinuxOptions.user == '') && (!has(${sc}.seLinuxOptions.role) || ${sc}.seLinuxOptions.role == ''))) && (!has(${sc}.windowsOptions) || !has(${sc}.windowsOptions.hostProcess) || !${sc}.windowsOptions.hostProcess)`;

/** The CEL validations for podOverrides at `po` (a field path under the execution root). */
function podValidations(root: string, po: readonly string[]): AdmissionValidation[] {
  const has = (...s: string[]) => celHas(root, [...po, ...s]);
  const at = (...s: string[]) => celPath(root, [...po, ...s]);
  const volumes = at('volumes');
  const firstHostPath = `${volumes}.filter(v, has(v.hostPath))[0]`;
  const containerOk = (c: string) =>
    `(!has(${c}.securityContext) || ((!has(${c}.securityContext.privileged) || !${c}.securityContext.privileged) && (!has(${c}.securityContext.allowPrivilegeEscalation) || !${c}.securityContext.allowPrivilegeEscalation) && (!has(${c}.securityContext.capabilities) || !has(${c}.securityContext.capabilities.add) || size(${c}.securityContext.capabilities.add) == 0) && (!has(${c}.securityContext.runAsUser) || ${c}.securityContext.runAsUser != 0) && (!has(${c}.securityContext.runAsNonRoot) || ${c}.securityContext.runAsNonRoot) && (!has(${c}.securityContext.seccompProfile) || !has(${c}.securityContext.seccompProfile.type) || ${c}.securityContext.seccompProfile.type != 'Unconfined') && (!has(${c}.securityContext.appArmorProfile) || !has(${c}.securityContext.appArmorProfile.type) || ${c}.securityContext.appArmorProfile.type != 'Unconfined') && (!has(${c}.securityContext.procMount) || ${c}.securityContext.procMount != 'Unmasked') && ${seLinuxOk(`${c}.securityContext`)})) && (!has(${c}.ports) || ${c}.ports.all(p, !has(p.hostPort) || p.hostPort == 0))`;
  const notFalse = (...s: string[]) => `!(${has(...s)}) || ${at(...s)}`;
  const notUnconfined = (...s: string[]) => `!(${has(...s)}) || ${at(...s)} != 'Unconfined'`;
  return [
    {
      expression: `!(${has('containerSecurityContext', 'privileged')}) || !${at('containerSecurityContext', 'privileged')}`,
      message: PodSecurityMessages.privileged(AGENT),
    },
    {
      expression: `!(${has('containerSecurityContext', 'capabilities', 'add')}) || size(${at('containerSecurityContext', 'capabilities', 'add')}) == 0`,
      message: `${AGENT} adds capabilities`,
      messageExpression: `'${AGENT} adds capabilities ' + ${at('containerSecurityContext', 'capabilities', 'add')}.join(', ')`,
    },
    {
      expression: `!(${has('containerSecurityContext', 'allowPrivilegeEscalation')}) || !${at('containerSecurityContext', 'allowPrivilegeEscalation')}`,
      message: PodSecurityMessages.escalation(AGENT),
    },
    {
      expression: `!(${has('containerSecurityContext', 'runAsUser')}) || ${at('containerSecurityContext', 'runAsUser')} != 0`,
      message: PodSecurityMessages.root(AGENT),
    },
    {
      expression: notFalse('containerSecurityContext', 'runAsNonRoot'),
      message: PodSecurityMessages.nonRoot(AGENT),
    },
    {
      expression: notUnconfined('containerSecurityContext', 'seccompProfile', 'type'),
      message: PodSecurityMessages.unconfined(AGENT),
    },
    {
      expression: notUnconfined('containerSecurityContext', 'appArmorProfile', 'type'),
      message: PodSecurityMessages.appArmor(AGENT),
    },
    {
      expression: `!(${has('containerSecurityContext', 'procMount')}) || ${at('containerSecurityContext', 'procMount')} != 'Unmasked'`,
      message: PodSecurityMessages.unmasked(AGENT),
    },
    {
      expression: `!(${has('podSecurityContext', 'runAsUser')}) || ${at('podSecurityContext', 'runAsUser')} != 0`,
      message: PodSecurityMessages.podRoot,
    },
    {
      expression: notFalse('podSecurityContext', 'runAsNonRoot'),
      message: PodSecurityMessages.podNonRoot,
    },
    {
      expression: notUnconfined('podSecurityContext', 'seccompProfile', 'type'),
      message: PodSecurityMessages.podUnconfined,
    },
    {
      expression: notUnconfined('podSecurityContext', 'appArmorProfile', 'type'),
      message: PodSecurityMessages.podAppArmor,
    },
    {
      expression: `!(${has('containerSecurityContext')}) || ${seLinuxOk(at('containerSecurityContext'))}`,
      message: `${AGENT} runs as an SELinux type other than a container type, sets an SELinux user or role, or runs as a Windows host process`,
    },
    {
      expression: `!(${has('podSecurityContext')}) || (${seLinuxOk(at('podSecurityContext'))})`,
      message: PodSecurityMessages.podSeLinux,
    },
    {
      expression: `!(${has('podSecurityContext', 'sysctls')}) || ${at('podSecurityContext', 'sysctls')}.all(s, s.name in ${celList(SAFE_SYSCTLS)})`,
      message: PodSecurityMessages.podSysctl,
    },
    {
      expression: `!(${has('volumes')}) || ${volumes}.all(v, !has(v.hostPath))`,
      message: 'a volume mounts a node path (hostPath)',
      messageExpression: `'volume "' + ${firstHostPath}.name + '" mounts the node path ' + ${firstHostPath}.hostPath.path + ' (hostPath)'`,
    },
    {
      expression: `!(${has('volumes')}) || ${volumes}.all(v, ${['hostPath', ...RESTRICTED_VOLUME_TYPES].map((t) => `has(v.${t})`).join(' || ')})`,
      message: `a volume is of a type the node mounts (the restricted Pod Security Standard allows ${RESTRICTED_VOLUME_TYPES.join(', ')})`,
    },
    ...['extraContainers', 'extraInitContainers'].map((list) => ({
      expression: `!(${has(list)}) || ${at(list)}.all(c, ${containerOk('c')})`,
      message: PodSecurityMessages.extraContainer,
    })),
  ];
}

export const podSecurity: ObjectRule = {
  id: 'security/pod-security',
  scope: 'object',
  severity: 'error',
  kinds: ['Task', 'TaskSpawner'],
  description:
    'podOverrides ask for no privileged container, privilege escalation, added capabilities, runAsUser 0, runAsNonRoot false, Unconfined seccomp or AppArmor, Unmasked procMount, SELinux type other than a container type, unsafe sysctl, Windows host process, host port, hostPath volume, volume type outside the restricted profile (nfs, iscsi, gitRepo, …), hostNetwork, hostPID or hostIPC.',
  rationale:
    'Agents run untrusted prompts with permission prompts disabled; the Pod boundary is their only sandbox, and each of these settings opens it to the node.',
  hint: 'Remove the setting from podOverrides: an agent needs no privilege on the node.',
  check({ object }) {
    const e = executionOf(object);
    return e ? podFindings(e) : [];
  },
  admission: () =>
    (['Task', 'TaskSpawner'] as const).map(
      (kind): AdmissionCheck => ({
        kind,
        validations: [
          ...podValidations(CEL_EXECUTION_ROOT[kind]!, ['worker', 'podOverrides']),
          ...podValidations(CEL_EXECUTION_ROOT[kind]!, ['podOverrides']),
        ],
      }),
    ),
};
