/**
 * security/pod-security: podOverrides do not weaken the Pod's isolation: no privileged
 * containers, added capabilities, root user, hostPath volumes, or host namespaces.
 *
 * @packageDocumentation
 */
import type { AdmissionCheck, AdmissionValidation, Finding, ObjectRule } from '../src/policy/rule.ts';
import { arr, get, isRecord, nonEmpty, num, str } from './lib/access.ts';
import { CEL_EXECUTION_ROOT, celHas, celPath } from './lib/cel.ts';
import { type Execution, executionOf, type Located, locate } from './lib/worker.ts';

/** Messages, shared verbatim with the admission policy where it can build them. */
export const PodSecurityMessages = {
  privileged: (who: string) => `${who} is privileged`,
  capabilities: (who: string, caps: readonly string[]) => `${who} adds capabilities ${caps.join(', ')}`,
  root: (who: string) => `${who} runs as root (runAsUser 0)`,
  podRoot: 'the Pod runs as root (podSecurityContext.runAsUser 0)',
  hostPath: (volume: string, path: string) => `volume "${volume}" mounts the node path ${path} (hostPath)`,
  hostNamespace: (field: string) =>
    `podOverrides asks for ${field}, which shares the node's namespaces with the agent`,
  extraContainer: 'an extra container is privileged, adds capabilities or runs as root',
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
  const user = at('runAsUser');
  if (num(user.value) === 0) findings.push({ path: user.path, message: PodSecurityMessages.root(who) });
  return findings;
}

function podFindings(e: Execution): Finding[] {
  const findings = securityContextFindings(AGENT, e.podOverride('containerSecurityContext'));
  const podUser = e.podOverride('podSecurityContext', 'runAsUser');
  if (podUser && num(podUser.value) === 0)
    findings.push({ path: podUser.path, message: PodSecurityMessages.podRoot });
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
    });
  }
  const volumes = e.podOverride('volumes');
  arr(volumes?.value).forEach((v, i) => {
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

/** The CEL validations for podOverrides at `po` (a field path under the execution root). */
function podValidations(root: string, po: readonly string[]): AdmissionValidation[] {
  const has = (...s: string[]) => celHas(root, [...po, ...s]);
  const at = (...s: string[]) => celPath(root, [...po, ...s]);
  const volumes = at('volumes');
  const firstHostPath = `${volumes}.filter(v, has(v.hostPath))[0]`;
  const containerOk = (c: string) =>
    `(!has(${c}.securityContext) || ((!has(${c}.securityContext.privileged) || !${c}.securityContext.privileged) && (!has(${c}.securityContext.capabilities) || !has(${c}.securityContext.capabilities.add) || size(${c}.securityContext.capabilities.add) == 0) && (!has(${c}.securityContext.runAsUser) || ${c}.securityContext.runAsUser != 0)))`;
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
      expression: `!(${has('containerSecurityContext', 'runAsUser')}) || ${at('containerSecurityContext', 'runAsUser')} != 0`,
      message: PodSecurityMessages.root(AGENT),
    },
    {
      expression: `!(${has('podSecurityContext', 'runAsUser')}) || ${at('podSecurityContext', 'runAsUser')} != 0`,
      message: PodSecurityMessages.podRoot,
    },
    {
      expression: `!(${has('volumes')}) || ${volumes}.all(v, !has(v.hostPath))`,
      message: 'a volume mounts a node path (hostPath)',
      messageExpression: `'volume "' + ${firstHostPath}.name + '" mounts the node path ' + ${firstHostPath}.hostPath.path + ' (hostPath)'`,
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
    'podOverrides ask for no privileged container, added capabilities, runAsUser 0, hostPath volume, hostNetwork or hostPID.',
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
