/**
 * Task → Job: the pure function that decides everything about the Pod an agent runs in.
 * Given a Task, its Workspace, its AgentConfigs and its rendered prompt, it returns the
 * Job, the ConfigMap the Job mounts, and the problems that prevent running it — without
 * I/O, clocks or randomness, so the same input always gives the same objects.
 *
 * Beyond upstream Kelos: hardened security contexts by default (non-root, no privilege
 * escalation, all capabilities dropped, RuntimeDefault seccomp, read-only root for the
 * built-in init containers), `backoffLimit: 0` (an agent run is never silently repeated),
 * no service-account token unless a service account is asked for, MCP secrets referenced
 * instead of inlined, and large instructions delivered through files instead of env.
 *
 * @packageDocumentation
 */

import type { AgentType } from '../api/group.ts';
import { AGENT_CONTAINER_NAME } from '../api/group.ts';
import type { K8sType } from '../api/k8s/index.ts';
import {
  BUNDLED_COMMAND,
  builtInVolumes,
  CUSTOM_COMMAND,
  Env,
  MAX_CONFIG_MAP_BYTES,
  REPO_DIR,
  Volumes,
} from '../contract/pod.ts';
import { toPointer } from '../validate/diagnostic.ts';
import { mountProblems } from '../validate/pod-overrides.ts';
import { agentEnv } from './agent-env.ts';
import { allowanceLabel, allowancesOf } from './agent-network-policy.ts';
import { literal } from './expansion.ts';
import { initContainers } from './init-containers.ts';
import { configMapName, defaultAgentImage, type RenderInput, type RenderResult } from './input.ts';
import { bytes, plan } from './plan.ts';
import {
  agentSecurityContext,
  builtInEmptyDirs,
  DEFAULT_POD_FAILURE_POLICY,
  podSpec,
  withPullPolicy,
} from './pod-defaults.ts';
import { kelosResource, Problems } from './problems.ts';
import { effectiveActiveDeadline } from './resolve.ts';
import { taskChildLabels, taskChildMeta } from './task-meta.ts';

type Job = K8sType<'Job'>;
type ConfigMap = K8sType<'ConfigMap'>;
type Container = K8sType<'Container'>;
type Volume = K8sType<'Volume'>;
type VolumeMount = K8sType<'VolumeMount'>;

export { MAX_TASK_NAME_LENGTH } from '../validate/task-metadata.ts';
export { isValidBranchName, workspaceFilePathProblem } from './checks.ts';
export * from './input.ts';
export {
  BUILT_IN_EMPTY_DIR_SIZE_LIMIT,
  DEFAULT_CONTAINER_SECURITY_CONTEXT,
  DEFAULT_POD_FAILURE_POLICY,
  DEFAULT_POD_SECURITY_CONTEXT,
  INIT_CONTAINER_SECURITY_CONTEXT,
} from './pod-defaults.ts';

/**
 * Renders the Job (and ConfigMap) for a Task. Problems are collected, not thrown: the
 * result lists every one, each naming the resource and the JSON pointer of the field.
 */
export const renderTaskJob = (input: RenderInput): RenderResult => {
  const problems = new Problems(kelosResource('Task', input.task.metadata));
  const p = plan(input, problems);
  const { overrides, options } = p;

  const configData: Record<string, string> = {};
  const env = agentEnv(p, configData, problems);
  for (const f of [...p.pluginFiles, ...p.files]) configData[f.key] = f.content;
  const configBytes = Object.entries(configData).reduce((n, [k, v]) => n + bytes(k) + bytes(v), 0);
  if (configBytes > MAX_CONFIG_MAP_BYTES) {
    problems.error(
      'render/config-size',
      p.refsPath,
      `instructions, MCP servers, plugins and workspace files add up to ${configBytes} bytes; at most ${MAX_CONFIG_MAP_BYTES} fit in the Task's ConfigMap`,
    );
  }
  const hasConfig = Object.keys(configData).length > 0;

  // Volumes: built-in ones first, then the user's (left as they wrote them).
  const emptyDirs = builtInEmptyDirs(overrides, options);
  // The built-in init containers take the agent's resources: a namespace whose ResourceQuota
  // counts requests or limits refuses a Pod any container of which lacks them ("must specify
  // limits.memory for: git-clone"), and an init container's requests never add to the Pod's (it
  // asks for the larger of its init containers' and the sum of its other containers'), so this
  // changes no scheduling.
  const init = initContainers(p).map((c) =>
    overrides.resources && c.resources === undefined ? { ...c, resources: overrides.resources } : c,
  );
  const builtIn = builtInVolumes({
    workspace: p.ws !== undefined,
    githubToken: p.tokenSecret !== undefined,
    pluginDir: p.usesPluginDir,
    config: hasConfig,
    initContainers: init.length > 0,
    mcpSecrets: p.mcp.mounts,
  }).filter((v) => v.present);
  const source = (name: string): Volume => {
    switch (name) {
      case Volumes.Workspace:
        return { name, emptyDir: { ...emptyDirs.workspace } };
      case Volumes.GitHubToken:
        return {
          name,
          secret: {
            secretName: p.tokenSecret!,
            items: [{ key: Env.GitHubToken, path: Env.GitHubToken }],
            defaultMode: 0o440,
            optional: true,
          },
        };
      case Volumes.Config:
        return { name, configMap: { name: configMapName(p.taskName), defaultMode: 0o444 } };
      case Volumes.Plugin:
      case Volumes.Tmp:
        return { name, emptyDir: { ...emptyDirs.small } };
      default:
        // The MCP Secrets', which the MCP render made with their Secret names.
        return p.mcp.volumes.find((v) => v.name === name)!;
    }
  };
  const volumes: Volume[] = [...builtIn.map((v) => source(v.name)), ...(overrides.volumes ?? [])];

  // The agent container.
  const mounts: VolumeMount[] = builtIn.flatMap((v) => (v.agentMount ? [{ ...v.agentMount }] : []));
  const builtInPaths = new Set([...mounts.map((m) => m.mountPath), p.terminationPath]);
  const knownVolumes = new Set(volumes.map((v) => v.name));
  // The rules `kelos validate` applies offline, here with every volume and built-in mount known.
  for (const problem of mountProblems(overrides, (name) => knownVolumes.has(name), builtInPaths)) {
    problems.error(
      problem.kind === 'unknown-volume' ? 'render/volume-mount-unknown' : 'render/volume-mount-path',
      `${p.poPath}${toPointer(problem.at)}`,
      problem.message,
    );
  }
  mounts.push(...(overrides.volumeMounts ?? []));
  const agent: Container = withPullPolicy(
    {
      name: AGENT_CONTAINER_NAME,
      image:
        p.customImage ??
        options.agentImages?.[p.agentType as AgentType] ??
        defaultAgentImage(p.agentType, options),
      command: [...(p.customImage ? CUSTOM_COMMAND : BUNDLED_COMMAND)],
      args: [literal(p.prompt)],
      ...(p.ws ? { workingDir: REPO_DIR } : {}),
      env,
      ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
      ...(overrides.resources ? { resources: overrides.resources } : {}),
      securityContext: agentSecurityContext(overrides),
      terminationMessagePath: p.terminationPath,
      terminationMessagePolicy: 'FallbackToLogsOnError',
    },
    options,
  );

  if (problems.errors.length > 0)
    return { configMaps: [], errors: problems.errors, warnings: problems.warnings };

  const labels = taskChildLabels(p.task, {
    agentType: p.agentType,
    extra: overrides.labels ?? {},
    network: Object.fromEntries(allowancesOf(input.agentConfigs).map((a) => [allowanceLabel(a), 'true'])),
  });
  const spec = podSpec(overrides, { agent, init, volumes });
  const deadline = effectiveActiveDeadline(p.task, options.defaultActiveDeadlineSeconds);
  const job: Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: taskChildMeta(p.task, p.taskName, labels),
    spec: {
      backoffLimit: 0,
      ...(deadline !== undefined ? { activeDeadlineSeconds: deadline } : {}),
      podFailurePolicy: p.task.spec.podFailurePolicy ?? DEFAULT_POD_FAILURE_POLICY,
      template: { metadata: { labels: { ...labels } }, spec },
    },
  };
  const configMaps: ConfigMap[] = hasConfig
    ? [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: taskChildMeta(p.task, configMapName(p.taskName), labels),
          data: configData,
        },
      ]
    : [];
  return { job, configMaps, errors: [], warnings: problems.warnings };
};
