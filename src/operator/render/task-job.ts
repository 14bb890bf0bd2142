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
import type { PluginSpec } from '../../api/agent-config.ts';
import type { PodOverrides } from '../../api/common.ts';
import {
  AGENT_CONTAINER_NAME,
  AGENT_TYPES,
  AGENT_UID,
  type AgentType,
  API_VERSION,
  Labels,
  MANAGED_BY,
  RESERVED_CONTAINER_NAMES,
  RESERVED_PREFIX,
} from '../../api/group.ts';
import type { K8sType } from '../../api/k8s/index.ts';
import type { AgentConfig, Task, Workspace } from '../../api/object.ts';
import type { Diagnostic, ResourceRef, Severity } from '../../validate/diagnostic.ts';
import { mergeAgentConfigs } from './agent-config.ts';
import {
  ALWAYS_RESERVED_ENV,
  CONFIG_DIR,
  ConfigKeys,
  DEFAULT_TERMINATION_MESSAGE_PATH,
  Env,
  GH_CONFIG_DIR,
  GITHUB_TOKEN_DIR,
  GITHUB_TOKEN_FILE,
  InitContainers,
  MAX_ARG_BYTES,
  MAX_CONFIG_MAP_BYTES,
  MAX_INLINE_ENV_BYTES,
  PLUGIN_DIR,
  REPO_DIR,
  Volumes,
  WORKSPACE_MOUNT_PATH,
} from './constants.ts';
import { credentialEnvName } from './credentials.ts';
import { renderMcpServers } from './mcp.ts';
import {
  resolveAgentConfigRefs,
  resolveAgentType,
  resolveCredentials,
  resolveEffort,
  resolveImage,
  resolveModel,
  resolvePodOverrides,
  resolveWorkspaceRef,
} from './resolve.ts';
import {
  BRANCH_SETUP_SCRIPT,
  GIT_CLONE_SCRIPT,
  PLUGIN_SETUP_SCRIPT,
  REMOTE_SETUP_SCRIPT,
  SKILLS_INSTALL_SCRIPT,
  WORKSPACE_FILES_SCRIPT,
} from './scripts.ts';

type Job = K8sType<'Job'>;
type ConfigMap = K8sType<'ConfigMap'>;
type Container = K8sType<'Container'>;
type EnvVar = K8sType<'EnvVar'>;
type Volume = K8sType<'Volume'>;
type VolumeMount = K8sType<'VolumeMount'>;
type PodSecurityContext = K8sType<'PodSecurityContext'>;
type SecurityContext = K8sType<'SecurityContext'>;
type PodSpec = NonNullable<NonNullable<NonNullable<Job['spec']>['template']>['spec']>;

/** Registry and repository of the bundled agent images; the image is `<repo>/<agent type>:<tag>`. */
export const DEFAULT_IMAGE_REPOSITORY = 'ghcr.io/kelos-dev';
/** Tag of the bundled images when none is configured. */
export const DEFAULT_IMAGE_TAG = 'latest';
/** Image of the git init containers (the one upstream uses). */
export const DEFAULT_GIT_IMAGE = 'alpine/git:v2.47.2';
/** Name of the agent base image (Node 24, git, the entrypoint); also runs `skills-install`. */
export const AGENT_BASE_IMAGE_NAME = 'agent-base';

/** Entrypoint of bundled images: tini reaps the agent's children and forwards signals. */
export const BUNDLED_COMMAND = ['/usr/bin/tini', '-g', '--', '/kelos_entrypoint.sh'] as const;
/** Entrypoint of custom images, which need not ship tini or a shell. */
export const CUSTOM_COMMAND = ['/kelos_entrypoint.sh'] as const;

/** Deployment-wide settings of the render (operator flags). */
export interface RenderOptions {
  /**
   * Image per agent type, overriding the bundled default.
   * @default - `ghcr.io/kelos-dev/<type>:<imageTag>`
   */
  readonly agentImages?: Partial<Record<AgentType, string>>;
  /**
   * Tag of the bundled images (normally the operator's version).
   * @default 'latest'
   */
  readonly imageTag?: string;
  /**
   * Pull policy of every built-in container.
   * @default - unset (Kubernetes decides from the tag)
   */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /**
   * Image of the git init containers.
   * @default 'alpine/git:v2.47.2'
   */
  readonly gitImage?: string;
  /**
   * Image of the `skills-install` init container; it needs Node (npx) and git.
   * @default - `ghcr.io/kelos-dev/agent-base:<imageTag>`
   */
  readonly skillsImage?: string;
  /**
   * Where the agent writes its termination message (outputs).
   * @default '/dev/termination-log'
   */
  readonly terminationMessagePath?: string;
  /**
   * Deadline for Tasks that set none in podOverrides, in seconds.
   * @default - none (a Task runs until the agent exits)
   */
  readonly defaultActiveDeadlineSeconds?: number;
}

/** Everything the render needs. */
export interface RenderInput {
  readonly task: Task;
  /** The Workspace the Task names; required when it names one. */
  readonly workspace?: Workspace;
  /** The AgentConfigs the Task names (any order; merged in the Task's order). */
  readonly agentConfigs: readonly AgentConfig[];
  /** The prompt after dependency templating (see `renderPrompt`). */
  readonly prompt: string;
  /**
   * Secret holding `GITHUB_TOKEN` for git and gh. The reconciler sets it to the Secret it
   * minted for a GitHub App workspace.
   * @default - the Workspace's `secretRef`
   */
  readonly githubTokenSecretName?: string;
  readonly options?: RenderOptions;
}

/** The objects to create for a Task, or why they cannot be. */
export interface RenderResult {
  /** The Job; present exactly when there are no errors. */
  readonly job?: Job;
  /** ConfigMaps the Job mounts, owned by the Task; create them before the Job. */
  readonly configMaps: ConfigMap[];
  /** Problems that prevent running the Task. */
  readonly errors: Diagnostic[];
  /** Things the render changed or dropped that the user should know about. */
  readonly warnings: Diagnostic[];
}

/** Name of the ConfigMap that carries a Task's instructions, MCP servers, plugins and files. */
export const configMapName = (taskName: string): string => `${taskName}-agent-config`;

/** Default image of an agent type. */
export const defaultAgentImage = (type: string, tag: string = DEFAULT_IMAGE_TAG): string =>
  `${DEFAULT_IMAGE_REPOSITORY}/${type}:${tag}`;

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

/** Longest Task name whose Job can exist: Job names become a Pod label value (63 characters). */
export const MAX_TASK_NAME_LENGTH = 63;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Why a Workspace file path is refused, or undefined when it is acceptable. */
export const workspaceFilePathProblem = (path: string): string | undefined => {
  if (path === '') return 'must not be empty';
  if (path.startsWith('/')) return 'must be relative to the repository root';
  if (path.includes('\\')) return 'must not contain backslashes';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse them
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'must not contain control characters';
  const segments = path.split('/');
  if (segments.includes('..')) return 'must not contain .. segments';
  if (segments.some((s) => s === '' || s === '.')) return 'must not contain empty or . segments';
  if (segments[0] === '.git') return 'must not write into .git';
  return undefined;
};

/**
 * Whether `git check-ref-format --branch` would accept a name (the rules that matter here:
 * no leading dash, no `..`, no spaces or `~^:?*[\`, no `@{`, no `.lock` or `/` at the end,
 * no empty component, no control characters).
 */
export const isValidBranchName = (name: string): boolean =>
  name !== '' &&
  name !== '@' &&
  !name.startsWith('-') &&
  !name.startsWith('/') &&
  !name.endsWith('/') &&
  !name.endsWith('.') &&
  !name.endsWith('.lock') &&
  !name.includes('..') &&
  !name.includes('//') &&
  !name.includes('@{') &&
  !name.split('/').some((c) => c.startsWith('.')) &&
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  !/[\s~^:?*[\\\u0000-\u001f\u007f]/.test(name);

/** Host of a clone URL (`https://host/…`, `git://host/…`, `git@host:…`), lowercased. */
export const repoHost = (url: string): string | undefined => {
  const scp = /^[^@/]+@([^:/]+):/.exec(url);
  if (scp) return scp[1]!.toLowerCase();
  const m = /^[a-z+]+:\/\/(?:[^@/]*@)?([^/:]+)/i.exec(url);
  return m ? m[1]!.toLowerCase() : undefined;
};

/** `owner/repo` of a clone URL, without a `.git` suffix. */
export const ownerRepo = (url: string): string | undefined => {
  const path = /^[^@/]+@[^:/]+:(.+)$/.exec(url)?.[1] ?? /^[a-z+]+:\/\/[^/]+\/(.+)$/i.exec(url)?.[1];
  if (!path) return undefined;
  const parts = path
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .split('/');
  if (parts.length < 2) return undefined;
  return parts.slice(-2).join('/');
};

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Env var names set from a secret and from plain values, for one container. */
const secretEnv = (name: string, secret: string, key: string = name): EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: secret, key } },
});

const withPullPolicy = (c: Container, options: RenderOptions): Container =>
  options.imagePullPolicy ? { ...c, imagePullPolicy: options.imagePullPolicy } : c;

/**
 * Renders the Job (and ConfigMap) for a Task. Problems are collected, not thrown: the
 * result lists every one, each naming the resource and the JSON pointer of the field.
 */
export const renderTaskJob = (input: RenderInput): RenderResult => {
  const { task, prompt } = input;
  const options = input.options ?? {};
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const taskName = task.metadata.name ?? '';
  const namespace = task.metadata.namespace;
  const taskRef: ResourceRef = {
    apiVersion: API_VERSION,
    kind: 'Task',
    name: taskName,
    ...(namespace ? { namespace } : {}),
  };
  const report = (
    severity: Severity,
    code: string,
    path: string,
    message: string,
    resource: ResourceRef = taskRef,
    hint?: string,
  ): void => {
    (severity === 'error' ? errors : warnings).push({
      severity,
      code,
      message,
      path,
      resource,
      ...(hint ? { hint } : {}),
    });
  };

  // --- The Task itself --------------------------------------------------------------
  if (taskName === '') report('error', 'render/task-name', '/metadata/name', 'Task has no name');
  else if (taskName.length > MAX_TASK_NAME_LENGTH) {
    report(
      'error',
      'render/task-name',
      '/metadata/name',
      `Task name is ${taskName.length} characters; its Job needs a name of at most ${MAX_TASK_NAME_LENGTH} (Job names become a Pod label value)`,
    );
  }
  if (task.spec.workerPoolRef) {
    report(
      'error',
      'render/worker-pool',
      '/spec/workerPoolRef',
      'Task dispatches to a WorkerPool (workerPoolRef), which this operator does not serve; use spec.worker instead',
    );
  }
  const type = resolveAgentType(task);
  const image = resolveImage(task);
  if (!type) {
    report(
      'error',
      'render/agent-type',
      '/spec/worker/type',
      `agent type is required: one of ${AGENT_TYPES.join(', ')}`,
    );
  }
  if (bytes(prompt) >= MAX_ARG_BYTES) {
    report(
      'error',
      'render/prompt-size',
      '/spec/prompt',
      `prompt is ${bytes(prompt)} bytes; the agent receives it as one argument, which Linux limits to ${MAX_ARG_BYTES - 1} bytes`,
    );
  }

  // --- Workspace ----------------------------------------------------------------------
  const wsRef = resolveWorkspaceRef(task);
  let ws: Workspace | undefined;
  if (wsRef) {
    if (!input.workspace) {
      report(
        'error',
        'render/workspace-missing',
        `${wsRef.path}/name`,
        `Workspace ${JSON.stringify(wsRef.value.name)} was not found`,
      );
    } else if (input.workspace.metadata.name !== wsRef.value.name) {
      report(
        'error',
        'render/workspace-mismatch',
        `${wsRef.path}/name`,
        `Task names Workspace ${JSON.stringify(wsRef.value.name)} but Workspace ${JSON.stringify(input.workspace.metadata.name)} was given`,
      );
    } else {
      ws = input.workspace;
    }
  }
  const wsResource: ResourceRef | undefined = ws
    ? {
        apiVersion: API_VERSION,
        kind: 'Workspace',
        name: ws.metadata.name ?? '',
        ...(ws.metadata.namespace ? { namespace: ws.metadata.namespace } : {}),
      }
    : undefined;
  const branch = task.spec.branch;
  if (branch && !wsRef) {
    report(
      'warning',
      'render/branch-without-workspace',
      '/spec/branch',
      `branch ${JSON.stringify(branch)} has no effect without a workspace; it only serializes Tasks`,
    );
  }
  if (branch && !isValidBranchName(branch)) {
    report(
      'error',
      'render/branch-name',
      '/spec/branch',
      `branch ${JSON.stringify(branch)} is not a valid git branch name`,
    );
  }

  // --- AgentConfigs -------------------------------------------------------------------
  const refs = resolveAgentConfigRefs(task);
  const named: { name: string; spec: AgentConfig['spec'] }[] = [];
  (refs?.value ?? []).forEach((ref, i) => {
    const found = input.agentConfigs.find((c) => c.metadata.name === ref.name);
    if (!found)
      report(
        'error',
        'render/agent-config-missing',
        `${refs!.path}/${i}/name`,
        `AgentConfig ${JSON.stringify(ref.name)} was not found`,
      );
    else named.push({ name: ref.name, spec: found.spec });
  });
  const merged = mergeAgentConfigs(named);
  const configResource = (name: string): ResourceRef => ({
    apiVersion: API_VERSION,
    kind: 'AgentConfig',
    name,
    ...(namespace ? { namespace } : {}),
  });

  // Plugins: names become directories, so they must be plain names.
  const pluginNames = new Set<string>();
  const pluginFiles: { key: string; path: string; content: string }[] = [];
  merged.plugins.forEach(({ plugin, config, path }, p) => {
    const check = (value: string, at: string, what: string): boolean => {
      if (NAME_PATTERN.test(value) && value !== '.' && value !== '..') return true;
      report(
        'error',
        'render/plugin-name',
        at,
        `${what} name ${JSON.stringify(value)} must match ${NAME_PATTERN.source}`,
        configResource(config),
      );
      return false;
    };
    if (!check(plugin.name, `${path}/name`, 'plugin')) return;
    if (plugin.name === 'skills-sh' && merged.skills.length > 0) {
      report(
        'error',
        'render/plugin-name',
        `${path}/name`,
        'plugin name "skills-sh" is reserved for installed skills when skills are set',
        configResource(config),
      );
      return;
    }
    if (pluginNames.has(plugin.name)) {
      report(
        'error',
        'render/plugin-duplicate',
        `${path}/name`,
        `plugin ${JSON.stringify(plugin.name)} is defined more than once across the Task's AgentConfigs`,
        configResource(config),
      );
      return;
    }
    pluginNames.add(plugin.name);
    addPluginFiles(plugin, p, path, check, pluginFiles);
  });

  // Skills: the secret token of a private package reaches the install step by reference.
  const skillArgs: string[] = [];
  const skillEnv: EnvVar[] = [];
  const skillSecrets = new Map<string, string>();
  for (const { skill } of merged.skills) {
    let tokenVar = '';
    if (skill.secretRef) {
      tokenVar = skillSecrets.get(skill.secretRef.name) ?? `KELOS_SKILLS_GITHUB_TOKEN_${skillSecrets.size}`;
      if (!skillSecrets.has(skill.secretRef.name)) {
        skillSecrets.set(skill.secretRef.name, tokenVar);
        skillEnv.push(secretEnv(tokenVar, skill.secretRef.name, 'GITHUB_TOKEN'));
      }
    }
    skillArgs.push(skill.source, skill.skill ?? '', tokenVar);
  }

  // MCP servers.
  const mcp = renderMcpServers(merged.mcpServers.map((m) => m.server));
  for (const p of mcp.problems) {
    const src = merged.mcpServers[p.index]!;
    report('error', p.code, `${src.path}${p.path}`, p.message, configResource(src.config));
  }

  // Workspace files.
  const files: { key: string; path: string; content: string }[] = [];
  const seenFiles = new Set<string>();
  (ws?.spec.files ?? []).forEach((f, i) => {
    const problem = workspaceFilePathProblem(f.path);
    if (problem) {
      report(
        'error',
        'render/workspace-file-path',
        `/spec/files/${i}/path`,
        `file path ${JSON.stringify(f.path)} ${problem}`,
        wsResource,
      );
      return;
    }
    if (seenFiles.has(f.path)) {
      report(
        'error',
        'render/workspace-file-duplicate',
        `/spec/files/${i}/path`,
        `file path ${JSON.stringify(f.path)} is listed more than once`,
        wsResource,
      );
      return;
    }
    seenFiles.add(f.path);
    files.push({ key: ConfigKeys.workspaceFile(i), path: f.path, content: f.content });
  });

  // --- Pod overrides ------------------------------------------------------------------
  const po = resolvePodOverrides(task);
  const overrides: PodOverrides = po?.value ?? {};
  const poPath = po?.path ?? '/spec/worker/podOverrides';
  const userVolumes = overrides.volumes ?? [];
  const seenVolumes = new Set<string>();
  userVolumes.forEach((v, i) => {
    if (v.name.startsWith(RESERVED_PREFIX) || v.name === Volumes.Workspace) {
      report(
        'error',
        'render/reserved-volume-name',
        `${poPath}/volumes/${i}/name`,
        `volume name ${JSON.stringify(v.name)} is reserved: names must not start with "${RESERVED_PREFIX}" or be "${Volumes.Workspace}"`,
      );
    } else if (seenVolumes.has(v.name)) {
      report(
        'error',
        'render/duplicate-volume-name',
        `${poPath}/volumes/${i}/name`,
        `volume name ${JSON.stringify(v.name)} is used more than once`,
      );
    }
    seenVolumes.add(v.name);
  });
  const extraNames = new Map<string, string>();
  for (const field of ['extraContainers', 'extraInitContainers'] as const) {
    (overrides[field] ?? []).forEach((c, i) => {
      const at = `${poPath}/${field}/${i}/name`;
      if (!c.name) report('error', 'render/container-name', at, `${field} names must not be empty`);
      else if (
        c.name.startsWith(RESERVED_PREFIX) ||
        (RESERVED_CONTAINER_NAMES as readonly string[]).includes(c.name)
      ) {
        report(
          'error',
          'render/reserved-container-name',
          at,
          `container name ${JSON.stringify(c.name)} is reserved: names must not start with "${RESERVED_PREFIX}" or be a built-in init container (${RESERVED_CONTAINER_NAMES.join(', ')})`,
        );
      } else if (extraNames.has(c.name)) {
        report(
          'error',
          'render/duplicate-container-name',
          at,
          `container name ${JSON.stringify(c.name)} is already used in ${extraNames.get(c.name)}`,
        );
      } else {
        extraNames.set(c.name, field);
      }
    });
  }

  // --- Environment of the agent container ---------------------------------------------
  const agentType = type?.value ?? '';
  const tokenSecret = ws ? (input.githubTokenSecretName ?? ws.spec.secretRef?.name) : undefined;
  const host = ws ? repoHost(ws.spec.repo) : undefined;
  const enterprise = host !== undefined && host !== 'github.com';
  const upstreamRemote = ws?.spec.remotes?.find((r) => r.name === 'upstream');
  const upstreamRepo = task.spec.upstreamRepo || (upstreamRemote ? ownerRepo(upstreamRemote.url) : undefined);
  const terminationPath = options.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH;

  const configData: Record<string, string> = {};
  const env: EnvVar[] = [];
  const model = resolveModel(task);
  const effort = resolveEffort(task);
  if (model) env.push({ name: Env.Model, value: model.value });
  if (effort) env.push({ name: Env.Effort, value: effort.value });
  if (branch) env.push({ name: Env.Branch, value: branch });
  env.push({ name: Env.AgentType, value: agentType });
  env.push({ name: Env.TaskName, value: taskName });
  const spawner = task.metadata.labels?.[Labels.TaskSpawner];
  if (spawner) env.push({ name: Env.TaskSpawner, value: spawner });

  const creds = resolveCredentials(task);
  if (creds && creds.value.type !== 'none') {
    const name = credentialEnvName(agentType, creds.value.type);
    if (!creds.value.secretRef) {
      report(
        'error',
        'render/credentials-secret',
        `${creds.path}/secretRef`,
        `credentials.secretRef is required for ${creds.value.type} credentials`,
      );
    } else if (name) {
      env.push(secretEnv(name, creds.value.secretRef.name));
    }
  }
  if (ws) {
    if (tokenSecret && enterprise) env.push({ name: Env.GhHost, value: host! });
    if (ws.spec.ref) env.push({ name: Env.BaseBranch, value: ws.spec.ref });
  }
  if (upstreamRepo) env.push({ name: Env.UpstreamRepo, value: upstreamRepo });
  if (tokenSecret) {
    env.push(secretEnv(Env.GitHubToken, tokenSecret));
    env.push(secretEnv(enterprise ? Env.GhEnterpriseToken : Env.GhToken, tokenSecret, Env.GitHubToken));
    env.push({ name: Env.GhConfigDir, value: GH_CONFIG_DIR });
    env.push({ name: Env.GitHubTokenFile, value: GITHUB_TOKEN_FILE });
  }
  if (ws) env.push({ name: Env.RepoDir, value: REPO_DIR });
  if (ws?.spec.setupCommand && ws.spec.setupCommand.length > 0) {
    env.push({ name: Env.SetupCommand, value: JSON.stringify(ws.spec.setupCommand) });
  }
  if (merged.agentsMD) {
    configData[ConfigKeys.AgentsMD] = merged.agentsMD;
    env.push({ name: Env.AgentsMDFile, value: `${CONFIG_DIR}/${ConfigKeys.AgentsMD}` });
    if (bytes(merged.agentsMD) <= MAX_INLINE_ENV_BYTES)
      env.push({ name: Env.AgentsMD, value: merged.agentsMD });
    else {
      report(
        'warning',
        'render/agents-md-file-only',
        refs?.path ?? '/spec/worker/agentConfigRefs',
        `agentsMD is ${bytes(merged.agentsMD)} bytes, so it is passed only as the file ${Env.AgentsMDFile}, not also as ${Env.AgentsMD}; custom images must read the file`,
      );
    }
  }
  const hasPlugins = pluginFiles.length > 0 || pluginNames.size > 0;
  if (hasPlugins || skillArgs.length > 0) env.push({ name: Env.PluginDir, value: PLUGIN_DIR });
  if (merged.mcpServers.length > 0) {
    const json = JSON.stringify(mcp.document);
    configData[ConfigKeys.McpServers] = json;
    env.push({ name: Env.McpServersFile, value: `${CONFIG_DIR}/${ConfigKeys.McpServers}` });
    if (bytes(json) <= MAX_INLINE_ENV_BYTES) env.push({ name: Env.McpServers, value: json });
    else {
      report(
        'warning',
        'render/mcp-file-only',
        refs?.path ?? '/spec/worker/agentConfigRefs',
        `the MCP server document is ${bytes(json)} bytes, so it is passed only as the file ${Env.McpServersFile}`,
      );
    }
  }
  env.push({ name: Env.TerminationMessagePath, value: terminationPath });
  env.push(...mcp.env);

  // User env goes last; a name the operator sets (or always reserves) is dropped.
  const builtIn = new Set<string>([...env.map((e) => e.name), ...ALWAYS_RESERVED_ENV]);
  (overrides.env ?? []).forEach((e, i) => {
    if (builtIn.has(e.name)) {
      report(
        'warning',
        'render/env-dropped',
        `${poPath}/env/${i}/name`,
        `env ${JSON.stringify(e.name)} is set by Kelos and cannot be overridden; it was dropped`,
      );
      return;
    }
    env.push(e);
  });

  // --- ConfigMap content --------------------------------------------------------------
  for (const f of pluginFiles) configData[f.key] = f.content;
  for (const f of files) configData[f.key] = f.content;
  const configBytes = Object.entries(configData).reduce((n, [k, v]) => n + bytes(k) + bytes(v), 0);
  if (configBytes > MAX_CONFIG_MAP_BYTES) {
    report(
      'error',
      'render/config-size',
      refs?.path ?? '/spec',
      `instructions, MCP servers, plugins and workspace files add up to ${configBytes} bytes; at most ${MAX_CONFIG_MAP_BYTES} fit in the Task's ConfigMap`,
    );
  }
  const hasConfig = Object.keys(configData).length > 0;

  // --- Volumes ------------------------------------------------------------------------
  const tmpMount: VolumeMount = { name: Volumes.Tmp, mountPath: '/tmp' };
  const wsMount: VolumeMount = { name: Volumes.Workspace, mountPath: WORKSPACE_MOUNT_PATH };
  const tokenMount: VolumeMount = { name: Volumes.GitHubToken, mountPath: GITHUB_TOKEN_DIR, readOnly: true };
  const pluginMount: VolumeMount = { name: Volumes.Plugin, mountPath: PLUGIN_DIR };
  const configMount: VolumeMount = { name: Volumes.Config, mountPath: CONFIG_DIR, readOnly: true };
  const volumes: Volume[] = [];
  if (ws) volumes.push({ name: Volumes.Workspace, emptyDir: {} });
  if (tokenSecret) {
    volumes.push({
      name: Volumes.GitHubToken,
      secret: {
        secretName: tokenSecret,
        items: [{ key: Env.GitHubToken, path: Env.GitHubToken }],
        defaultMode: 0o440,
        optional: true,
      },
    });
  }
  if (hasPlugins || skillArgs.length > 0) volumes.push({ name: Volumes.Plugin, emptyDir: {} });
  if (hasConfig)
    volumes.push({ name: Volumes.Config, configMap: { name: configMapName(taskName), defaultMode: 0o444 } });
  volumes.push(...mcp.volumes);

  // --- Init containers ----------------------------------------------------------------
  const init: Container[] = [];
  const gitImage = options.gitImage ?? DEFAULT_GIT_IMAGE;
  const builtinInit = (
    name: string,
    img: string,
    script: string,
    args: string[],
    extraEnv: EnvVar[],
    mounts: VolumeMount[],
  ): Container =>
    withPullPolicy(
      {
        name,
        image: img,
        command: ['sh', '-c', script, name],
        ...(args.length > 0 ? { args } : {}),
        env: [{ name: 'HOME', value: '/tmp' }, ...extraEnv],
        volumeMounts: [...mounts, tmpMount],
        securityContext: { ...INIT_CONTAINER_SECURITY_CONTEXT },
      },
      options,
    );
  const tokenEnv: EnvVar[] = tokenSecret ? [{ name: Env.GitHubTokenFile, value: GITHUB_TOKEN_FILE }] : [];
  const gitMounts = tokenSecret ? [wsMount, tokenMount] : [wsMount];
  if (ws) {
    init.push(
      builtinInit(
        InitContainers.GitClone,
        gitImage,
        GIT_CLONE_SCRIPT,
        [],
        [
          { name: 'KELOS_REPO', value: ws.spec.repo },
          ...(ws.spec.ref ? [{ name: 'KELOS_REF', value: ws.spec.ref }] : []),
          { name: Env.RepoDir, value: REPO_DIR },
          ...tokenEnv,
        ],
        gitMounts,
      ),
    );
    const remotes = ws.spec.remotes ?? [];
    if (remotes.length > 0) {
      init.push(
        builtinInit(
          InitContainers.RemoteSetup,
          gitImage,
          REMOTE_SETUP_SCRIPT,
          remotes.flatMap((r) => [r.name, r.url]),
          [{ name: Env.RepoDir, value: REPO_DIR }],
          [wsMount],
        ),
      );
    }
    if (branch) {
      init.push(
        builtinInit(
          InitContainers.BranchSetup,
          gitImage,
          BRANCH_SETUP_SCRIPT,
          [],
          [{ name: Env.Branch, value: branch }, { name: Env.RepoDir, value: REPO_DIR }, ...tokenEnv],
          gitMounts,
        ),
      );
    }
    if (files.length > 0) {
      init.push(
        builtinInit(
          InitContainers.WorkspaceFiles,
          gitImage,
          WORKSPACE_FILES_SCRIPT,
          files.flatMap((f) => [f.key, f.path]),
          [
            { name: Env.RepoDir, value: REPO_DIR },
            { name: 'KELOS_CONFIG_DIR', value: CONFIG_DIR },
          ],
          [wsMount, configMount],
        ),
      );
    }
  }
  if (pluginFiles.length > 0) {
    init.push(
      builtinInit(
        InitContainers.PluginSetup,
        gitImage,
        PLUGIN_SETUP_SCRIPT,
        pluginFiles.flatMap((f) => [f.key, f.path]),
        [
          { name: Env.PluginDir, value: PLUGIN_DIR },
          { name: 'KELOS_CONFIG_DIR', value: CONFIG_DIR },
        ],
        [pluginMount, configMount],
      ),
    );
  }
  if (skillArgs.length > 0) {
    init.push(
      builtinInit(
        InitContainers.SkillsInstall,
        options.skillsImage ?? defaultAgentImage(AGENT_BASE_IMAGE_NAME, options.imageTag),
        SKILLS_INSTALL_SCRIPT,
        skillArgs,
        [{ name: Env.PluginDir, value: PLUGIN_DIR }, { name: 'TMPDIR', value: '/tmp' }, ...skillEnv],
        [pluginMount],
      ),
    );
  }
  const needsTmp = init.length > 0;
  if (needsTmp) volumes.push({ name: Volumes.Tmp, emptyDir: {} });
  volumes.push(...userVolumes);

  // --- Agent container ----------------------------------------------------------------
  const agentMounts: VolumeMount[] = [];
  if (ws) agentMounts.push(wsMount);
  if (tokenSecret) agentMounts.push(tokenMount);
  if (hasPlugins || skillArgs.length > 0) agentMounts.push(pluginMount);
  if (hasConfig) agentMounts.push(configMount);
  agentMounts.push(...mcp.mounts);
  const builtInPaths = new Set(agentMounts.map((m) => m.mountPath));
  const knownVolumes = new Set(volumes.map((v) => v.name));
  (overrides.volumeMounts ?? []).forEach((m, i) => {
    if (!knownVolumes.has(m.name)) {
      report(
        'error',
        'render/volume-mount-unknown',
        `${poPath}/volumeMounts/${i}/name`,
        `volumeMount refers to volume ${JSON.stringify(m.name)}, which the Pod does not have`,
      );
    } else if (builtInPaths.has(m.mountPath) || m.mountPath === terminationPath) {
      report(
        'error',
        'render/volume-mount-path',
        `${poPath}/volumeMounts/${i}/mountPath`,
        `mountPath ${JSON.stringify(m.mountPath)} is used by a built-in mount`,
      );
    } else {
      agentMounts.push(m);
    }
  });
  const customImage = image?.value;
  const agentImage =
    customImage ??
    options.agentImages?.[agentType as AgentType] ??
    defaultAgentImage(agentType, options.imageTag);
  const agent: Container = withPullPolicy(
    {
      name: AGENT_CONTAINER_NAME,
      image: agentImage,
      command: [...(customImage ? CUSTOM_COMMAND : BUNDLED_COMMAND)],
      args: [prompt],
      ...(ws ? { workingDir: REPO_DIR } : {}),
      env,
      ...(agentMounts.length > 0 ? { volumeMounts: agentMounts } : {}),
      ...(overrides.resources ? { resources: overrides.resources } : {}),
      securityContext: { ...DEFAULT_CONTAINER_SECURITY_CONTEXT, ...overrides.containerSecurityContext },
      terminationMessagePath: terminationPath,
      terminationMessagePolicy: 'FallbackToLogsOnError',
    },
    options,
  );

  // --- Pod, Job, ConfigMap ------------------------------------------------------------
  const builtinLabels: Record<string, string> = {
    [Labels.Name]: 'kelos',
    [Labels.Component]: 'task',
    [Labels.ManagedBy]: MANAGED_BY,
    [Labels.Task]: taskName,
    ...(agentType ? { [Labels.AgentType]: agentType } : {}),
  };
  const labels = { ...overrides.labels, ...builtinLabels };
  const ownerReferences = task.metadata.uid
    ? [
        {
          apiVersion: API_VERSION,
          kind: 'Task',
          name: taskName,
          uid: task.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]
    : undefined;
  const meta = (name: string) => ({
    name,
    ...(namespace ? { namespace } : {}),
    labels: { ...labels },
    ...(ownerReferences ? { ownerReferences: ownerReferences.map((r) => ({ ...r })) } : {}),
  });

  const podSpec: PodSpec = {
    restartPolicy: 'Never',
    enableServiceLinks: false,
    ...(overrides.serviceAccountName
      ? { serviceAccountName: overrides.serviceAccountName }
      : { automountServiceAccountToken: false }),
    securityContext: { ...DEFAULT_POD_SECURITY_CONTEXT, ...overrides.podSecurityContext },
    ...(init.length > 0 || overrides.extraInitContainers?.length
      ? { initContainers: [...init, ...(overrides.extraInitContainers ?? [])] }
      : {}),
    containers: [agent, ...(overrides.extraContainers ?? [])],
    ...(volumes.length > 0 ? { volumes } : {}),
    ...(overrides.nodeSelector ? { nodeSelector: { ...overrides.nodeSelector } } : {}),
    ...(overrides.tolerations ? { tolerations: overrides.tolerations } : {}),
    ...(overrides.affinity ? { affinity: overrides.affinity } : {}),
    ...(overrides.imagePullSecrets ? { imagePullSecrets: overrides.imagePullSecrets } : {}),
  };
  const deadline = overrides.activeDeadlineSeconds ?? options.defaultActiveDeadlineSeconds;
  const job: Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(taskName),
    spec: {
      backoffLimit: 0,
      ...(deadline !== undefined ? { activeDeadlineSeconds: deadline } : {}),
      podFailurePolicy: task.spec.podFailurePolicy ?? DEFAULT_POD_FAILURE_POLICY,
      template: { metadata: { labels: { ...labels } }, spec: podSpec },
    },
  };
  const configMaps: ConfigMap[] = hasConfig
    ? [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(configMapName(taskName)), data: configData }]
    : [];
  return errors.length > 0 ? { configMaps: [], errors, warnings } : { job, configMaps, errors, warnings };
};

/** Adds a plugin's skills and agents as ConfigMap files with their paths in the plugin tree. */
const addPluginFiles = (
  plugin: PluginSpec,
  p: number,
  path: string,
  check: (value: string, at: string, what: string) => boolean,
  out: { key: string; path: string; content: string }[],
): void => {
  (plugin.skills ?? []).forEach((s, j) => {
    if (check(s.name, `${path}/skills/${j}/name`, 'skill')) {
      out.push({
        key: ConfigKeys.pluginSkill(p, j),
        path: `${plugin.name}/skills/${s.name}/SKILL.md`,
        content: s.content,
      });
    }
  });
  (plugin.agents ?? []).forEach((a, j) => {
    if (check(a.name, `${path}/agents/${j}/name`, 'agent')) {
      out.push({
        key: ConfigKeys.pluginAgent(p, j),
        path: `${plugin.name}/agents/${a.name}.md`,
        content: a.content,
      });
    }
  });
};
