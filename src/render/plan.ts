/**
 * The plan: from the resolved inputs (the Task, the Workspace and AgentConfigs the
 * reconciler looked up, the rendered prompt) to what the render builds. It checks what the
 * objects cannot be built without and gathers every decision the later steps read, so they
 * only assemble.
 *
 * @packageDocumentation
 */

import type { PodOverrides } from '../api/common.ts';
import { AGENT_TYPES } from '../api/group.ts';
import type { K8sType } from '../api/k8s/index.ts';
import type { AgentConfig, Task, Workspace } from '../api/object.ts';
import { agentConfigFacts, DEFAULT_TERMINATION_MESSAGE_PATH, MAX_ARG_BYTES } from '../contract/pod.ts';
import { invalidBranchName } from '../validate/git-refs.ts';
import { MAX_TASK_NAME_LENGTH, taskNameTooLong } from '../validate/task-metadata.ts';
import { type MergedAgentConfig, mergeAgentConfigs } from './agent-config.ts';
import { type ConfigFile, checkPodOverrides, collectPluginFiles, collectWorkspaceFiles } from './checks.ts';
import type { RenderInput, RenderOptions } from './input.ts';
import { type McpRender, renderMcpServers } from './mcp.ts';
import { kelosResource, type Problems } from './problems.ts';
import {
  resolveAgentConfigRefs,
  resolveAgentType,
  resolveImage,
  resolvePodOverrides,
  resolveWorkspaceRef,
} from './resolve.ts';

type EnvVar = K8sType<'EnvVar'>;

/** Size of a string in UTF-8. */
export const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** An env var read from a Secret key (by default the key named like the variable). */
export const secretEnv = (name: string, secret: string, key: string = name): EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: secret, key } },
});

/** What the render decided about a Task before it assembles objects. */
export interface Plan {
  readonly task: Task;
  readonly taskName: string;
  readonly namespace: string | undefined;
  readonly agentType: string;
  readonly customImage: string | undefined;
  readonly prompt: string;
  readonly options: RenderOptions;
  readonly ws: Workspace | undefined;
  readonly branch: string | undefined;
  /** Secret holding GITHUB_TOKEN for git and gh, when the workspace has credentials. */
  readonly tokenSecret: string | undefined;
  readonly merged: MergedAgentConfig;
  /** JSON pointer of the AgentConfig references, for diagnostics about the merged config. */
  readonly refsPath: string;
  readonly pluginFiles: ConfigFile[];
  /** Plugins or skills are installed, into the plugin directory. */
  readonly usesPluginDir: boolean;
  readonly skills: { readonly args: string[]; readonly env: EnvVar[] };
  readonly mcp: McpRender;
  readonly files: ConfigFile[];
  readonly overrides: PodOverrides;
  readonly poPath: string;
  readonly terminationPath: string;
}

/** The Workspace the Task names, when it was given and is the right one. */
const resolveWorkspace = (input: RenderInput, problems: Problems): Workspace | undefined => {
  const ref = resolveWorkspaceRef(input.task);
  if (!ref) return undefined;
  const at = `${ref.path}/name`;
  if (!input.workspace) {
    problems.error(
      'render/workspace-missing',
      at,
      `Workspace ${JSON.stringify(ref.value.name)} was not found`,
    );
    return undefined;
  }
  if (input.workspace.metadata.name !== ref.value.name) {
    problems.error(
      'render/workspace-mismatch',
      at,
      `Task names Workspace ${JSON.stringify(ref.value.name)} but Workspace ${JSON.stringify(input.workspace.metadata.name)} was given`,
    );
    return undefined;
  }
  return input.workspace;
};

/** The Task's AgentConfigs, merged in the order it names them. */
const resolveAgentConfigs = (input: RenderInput, problems: Problems): MergedAgentConfig => {
  const refs = resolveAgentConfigRefs(input.task);
  const named: { name: string; spec: AgentConfig['spec'] }[] = [];
  (refs?.value ?? []).forEach((ref, i) => {
    const found = input.agentConfigs.find((c) => c.metadata.name === ref.name);
    if (found) named.push({ name: ref.name, spec: found.spec });
    else {
      problems.error(
        'render/agent-config-missing',
        `${refs!.path}/${i}/name`,
        `AgentConfig ${JSON.stringify(ref.name)} was not found`,
      );
    }
  });
  return mergeAgentConfigs(named);
};

/**
 * Arguments of `skills-install` (`source skill token-env` triples) and the env vars that
 * carry private packages' tokens, one per Secret.
 */
const skillsInstall = (merged: MergedAgentConfig): Plan['skills'] => {
  const args: string[] = [];
  const env: EnvVar[] = [];
  const vars = new Map<string, string>();
  for (const { skill } of merged.skills) {
    let tokenVar = '';
    if (skill.secretRef) {
      const secret = skill.secretRef.name;
      tokenVar = vars.get(secret) ?? `KELOS_SKILLS_GITHUB_TOKEN_${vars.size}`;
      if (!vars.has(secret)) {
        vars.set(secret, tokenVar);
        env.push(secretEnv(tokenVar, secret, 'GITHUB_TOKEN'));
      }
    }
    args.push(skill.source, skill.skill ?? '', tokenVar);
  }
  return { args, env };
};

/** Checks the Task and gathers everything the objects are built from. */
export const plan = (input: RenderInput, problems: Problems): Plan => {
  const { task } = input;
  const taskName = task.metadata.name ?? '';
  const namespace = task.metadata.namespace;
  if (taskName === '') problems.error('render/task-name', '/metadata/name', 'Task has no name');
  else if (taskName.length > MAX_TASK_NAME_LENGTH) {
    problems.error('render/task-name', '/metadata/name', taskNameTooLong(taskName));
  }
  if (task.spec.workerPoolRef) {
    problems.error(
      'render/worker-pool',
      '/spec/workerPoolRef',
      'Task dispatches to a WorkerPool (workerPoolRef), which this operator does not serve; use spec.worker instead',
    );
  }
  const type = resolveAgentType(task);
  if (!type) {
    problems.error(
      'render/agent-type',
      '/spec/worker/type',
      `agent type is required: one of ${AGENT_TYPES.join(', ')}`,
    );
  }
  if (bytes(input.prompt) >= MAX_ARG_BYTES) {
    problems.error(
      'render/prompt-size',
      '/spec/prompt',
      `prompt is ${bytes(input.prompt)} bytes; the agent receives it as one argument, which Linux limits to ${MAX_ARG_BYTES - 1} bytes`,
    );
  }

  const ws = resolveWorkspace(input, problems);
  const branch = task.spec.branch || undefined;
  if (branch && !resolveWorkspaceRef(task)) {
    problems.warn(
      'render/branch-without-workspace',
      '/spec/branch',
      `branch ${JSON.stringify(branch)} has no effect without a workspace; it only serializes Tasks`,
    );
  }
  const branchProblem = branch ? invalidBranchName(branch) : undefined;
  if (branchProblem) problems.error('render/branch-name', '/spec/branch', `branch ${branchProblem}`);

  const merged = resolveAgentConfigs(input, problems);
  const plugins = collectPluginFiles(merged, namespace, problems);
  const mcp = renderMcpServers(merged.mcpServers.map((m) => m.server));
  for (const p of mcp.problems) {
    const src = merged.mcpServers[p.index]!;
    problems.error(
      p.code,
      `${src.path}${p.path}`,
      p.message,
      kelosResource('AgentConfig', { name: src.config, ...(namespace ? { namespace } : {}) }),
    );
  }
  const files = collectWorkspaceFiles(ws, problems);

  const po = resolvePodOverrides(task);
  const poPath = po?.path ?? '/spec/worker/podOverrides';
  const overrides: PodOverrides = po?.value ?? {};
  checkPodOverrides(overrides, poPath, problems);

  const options = input.options ?? {};
  return {
    task,
    taskName,
    namespace,
    agentType: type?.value ?? '',
    customImage: resolveImage(task)?.value,
    prompt: input.prompt,
    options,
    ws,
    branch,
    tokenSecret: ws ? (input.githubTokenSecretName ?? ws.spec.secretRef?.name) : undefined,
    merged,
    refsPath: resolveAgentConfigRefs(task)?.path ?? '/spec/worker/agentConfigRefs',
    pluginFiles: plugins.files,
    usesPluginDir: agentConfigFacts({
      agentsMD: merged.agentsMD !== undefined,
      plugins: plugins.names.size,
      pluginFiles: plugins.files.length,
      skills: merged.skills.length,
      mcpServers: merged.mcpServers.length,
    }).pluginDir,
    skills: skillsInstall(merged),
    mcp,
    files,
    overrides,
    poPath,
    terminationPath: options.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH,
  };
};
