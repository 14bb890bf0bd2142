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
import type { PodOverrides } from '../api/common.ts';
import {
  AGENT_CONTAINER_NAME,
  AGENT_TYPES,
  type AgentType,
  API_VERSION,
  InitContainers,
  Labels,
  MANAGED_BY,
} from '../api/group.ts';
import type { K8sType } from '../api/k8s/index.ts';
import type { AgentConfig, Task, Workspace } from '../api/object.ts';
import {
  AGENT_UID,
  ALWAYS_RESERVED_ENV,
  BUNDLED_COMMAND,
  CONFIG_DIR,
  ConfigKeys,
  CUSTOM_COMMAND,
  DEFAULT_TERMINATION_MESSAGE_PATH,
  Env,
  GH_CONFIG_DIR,
  GITHUB_TOKEN_DIR,
  GITHUB_TOKEN_FILE,
  MAX_ARG_BYTES,
  MAX_CONFIG_MAP_BYTES,
  MAX_INLINE_ENV_BYTES,
  PLUGIN_DIR,
  REPO_DIR,
  Volumes,
  WORKSPACE_MOUNT_PATH,
} from '../contract/pod.ts';
import type { Diagnostic } from '../validate/diagnostic.ts';
import { type MergedAgentConfig, mergeAgentConfigs } from './agent-config.ts';
import {
  type ConfigFile,
  checkPodOverrides,
  collectPluginFiles,
  collectWorkspaceFiles,
  isValidBranchName,
  ownerRepo,
  repoHost,
} from './checks.ts';
import { credentialEnvName } from './credentials.ts';
import { type McpRender, renderMcpServers } from './mcp.ts';
import { kelosResource, Problems } from './problems.ts';
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

export { isValidBranchName, ownerRepo, repoHost, workspaceFilePathProblem } from './checks.ts';

/** Registry and repository of the bundled agent images; the image is `<repo>/<agent type>:<tag>`. */
export const DEFAULT_IMAGE_REPOSITORY = 'ghcr.io/kelos-dev';
/** Tag of the bundled images when none is configured. */
export const DEFAULT_IMAGE_TAG = 'latest';
/** Image of the git init containers (the one upstream uses). */
export const DEFAULT_GIT_IMAGE = 'alpine/git:v2.47.2';
/** Name of the agent base image (Node 24, git, the entrypoint); also runs `skills-install`. */
export const AGENT_BASE_IMAGE_NAME = 'agent-base';

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

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** An env var read from a Secret key (by default the key named like the variable). */
const secretEnv = (name: string, secret: string, key: string = name): EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: secret, key } },
});

const withPullPolicy = (c: Container, options: RenderOptions): Container =>
  options.imagePullPolicy ? { ...c, imagePullPolicy: options.imagePullPolicy } : c;

/** What the render decided about a Task before it assembles objects. */
interface Plan {
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
  readonly hasPlugins: boolean;
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
const plan = (input: RenderInput, problems: Problems): Plan => {
  const { task } = input;
  const taskName = task.metadata.name ?? '';
  const namespace = task.metadata.namespace;
  if (taskName === '') problems.error('render/task-name', '/metadata/name', 'Task has no name');
  else if (taskName.length > MAX_TASK_NAME_LENGTH) {
    problems.error(
      'render/task-name',
      '/metadata/name',
      `Task name is ${taskName.length} characters; its Job needs a name of at most ${MAX_TASK_NAME_LENGTH} (Job names become a Pod label value)`,
    );
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
  if (branch && !isValidBranchName(branch)) {
    problems.error(
      'render/branch-name',
      '/spec/branch',
      `branch ${JSON.stringify(branch)} is not a valid git branch name`,
    );
  }

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
    hasPlugins: plugins.names.size > 0,
    skills: skillsInstall(merged),
    mcp,
    files,
    overrides,
    poPath,
    terminationPath: options.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH,
  };
};

/**
 * The agent container's env, in upstream's order, then the user's (names Kelos sets are
 * dropped); also fills the ConfigMap with agentsMD and the MCP document.
 */
const agentEnv = (p: Plan, configData: Record<string, string>, problems: Problems): EnvVar[] => {
  const { task, ws, merged } = p;
  const env: EnvVar[] = [];
  const model = resolveModel(task);
  const effort = resolveEffort(task);
  if (model) env.push({ name: Env.Model, value: model.value });
  if (effort) env.push({ name: Env.Effort, value: effort.value });
  if (p.branch) env.push({ name: Env.Branch, value: p.branch });
  env.push({ name: Env.AgentType, value: p.agentType });
  env.push({ name: Env.TaskName, value: p.taskName });
  const spawner = task.metadata.labels?.[Labels.TaskSpawner];
  if (spawner) env.push({ name: Env.TaskSpawner, value: spawner });

  const creds = resolveCredentials(task);
  if (creds && creds.value.type !== 'none') {
    const name = credentialEnvName(p.agentType, creds.value.type);
    if (!creds.value.secretRef) {
      problems.error(
        'render/credentials-secret',
        `${creds.path}/secretRef`,
        `credentials.secretRef is required for ${creds.value.type} credentials`,
      );
    } else if (name) {
      env.push(secretEnv(name, creds.value.secretRef.name));
    }
  }

  const host = ws ? repoHost(ws.spec.repo) : undefined;
  const enterprise = host !== undefined && host !== 'github.com';
  if (p.tokenSecret && enterprise) env.push({ name: Env.GhHost, value: host! });
  if (ws?.spec.ref) env.push({ name: Env.BaseBranch, value: ws.spec.ref });
  const upstreamRemote = ws?.spec.remotes?.find((r) => r.name === 'upstream');
  const upstreamRepo = task.spec.upstreamRepo || (upstreamRemote ? ownerRepo(upstreamRemote.url) : undefined);
  if (upstreamRepo) env.push({ name: Env.UpstreamRepo, value: upstreamRepo });
  if (p.tokenSecret) {
    env.push(secretEnv(Env.GitHubToken, p.tokenSecret));
    env.push(secretEnv(enterprise ? Env.GhEnterpriseToken : Env.GhToken, p.tokenSecret, Env.GitHubToken));
    env.push({ name: Env.GhConfigDir, value: GH_CONFIG_DIR });
    env.push({ name: Env.GitHubTokenFile, value: GITHUB_TOKEN_FILE });
  }
  if (ws) env.push({ name: Env.RepoDir, value: REPO_DIR });
  if (ws?.spec.setupCommand && ws.spec.setupCommand.length > 0) {
    env.push({ name: Env.SetupCommand, value: JSON.stringify(ws.spec.setupCommand) });
  }

  // Large values travel only as ConfigMap files: Linux caps one env string at 128 KiB.
  const inline = (
    key: string,
    value: string,
    fileVar: string,
    envVar: string,
    code: string,
    what: string,
  ) => {
    configData[key] = value;
    env.push({ name: fileVar, value: `${CONFIG_DIR}/${key}` });
    if (bytes(value) <= MAX_INLINE_ENV_BYTES) env.push({ name: envVar, value });
    else {
      problems.warn(
        code,
        p.refsPath,
        `${what} is ${bytes(value)} bytes, so it is passed only as the file ${fileVar}, not also as ${envVar}; custom images must read the file`,
      );
    }
  };
  if (merged.agentsMD) {
    inline(
      ConfigKeys.AgentsMD,
      merged.agentsMD,
      Env.AgentsMDFile,
      Env.AgentsMD,
      'render/agents-md-file-only',
      'agentsMD',
    );
  }
  if (p.hasPlugins || p.skills.args.length > 0) env.push({ name: Env.PluginDir, value: PLUGIN_DIR });
  if (merged.mcpServers.length > 0) {
    inline(
      ConfigKeys.McpServers,
      JSON.stringify(p.mcp.document),
      Env.McpServersFile,
      Env.McpServers,
      'render/mcp-file-only',
      'the MCP server document',
    );
  }
  env.push({ name: Env.TerminationMessagePath, value: p.terminationPath });
  env.push(...p.mcp.env);

  const builtIn = new Set<string>([...env.map((e) => e.name), ...ALWAYS_RESERVED_ENV]);
  (p.overrides.env ?? []).forEach((e, i) => {
    if (builtIn.has(e.name)) {
      problems.warn(
        'render/env-dropped',
        `${p.poPath}/env/${i}/name`,
        `env ${JSON.stringify(e.name)} is set by Kelos and cannot be overridden; it was dropped`,
      );
    } else {
      env.push(e);
    }
  });
  return env;
};

const MOUNTS = {
  tmp: { name: Volumes.Tmp, mountPath: '/tmp' },
  workspace: { name: Volumes.Workspace, mountPath: WORKSPACE_MOUNT_PATH },
  token: { name: Volumes.GitHubToken, mountPath: GITHUB_TOKEN_DIR, readOnly: true },
  plugin: { name: Volumes.Plugin, mountPath: PLUGIN_DIR },
  config: { name: Volumes.Config, mountPath: CONFIG_DIR, readOnly: true },
} as const satisfies Record<string, VolumeMount>;

/** The built-in init containers that apply, in the order they run. */
const initContainers = (p: Plan): Container[] => {
  const { ws, options } = p;
  const gitImage = options.gitImage ?? DEFAULT_GIT_IMAGE;
  const step = (
    name: string,
    image: string,
    script: string,
    args: string[],
    env: EnvVar[],
    mounts: VolumeMount[],
  ): Container =>
    withPullPolicy(
      {
        name,
        image,
        // $0 names the step in the script's error messages; values arrive as arguments.
        command: ['sh', '-c', script, name],
        ...(args.length > 0 ? { args } : {}),
        env: [{ name: 'HOME', value: '/tmp' }, ...env],
        volumeMounts: [...mounts, { ...MOUNTS.tmp }],
        securityContext: { ...INIT_CONTAINER_SECURITY_CONTEXT },
      },
      options,
    );
  const repoDir: EnvVar = { name: Env.RepoDir, value: REPO_DIR };
  const configDir: EnvVar = { name: 'KELOS_CONFIG_DIR', value: CONFIG_DIR };
  const pluginDir: EnvVar = { name: Env.PluginDir, value: PLUGIN_DIR };
  const tokenEnv: EnvVar[] = p.tokenSecret ? [{ name: Env.GitHubTokenFile, value: GITHUB_TOKEN_FILE }] : [];
  const gitMounts: VolumeMount[] = p.tokenSecret
    ? [{ ...MOUNTS.workspace }, { ...MOUNTS.token }]
    : [{ ...MOUNTS.workspace }];
  const init: Container[] = [];
  if (ws) {
    const clone: EnvVar[] = [{ name: 'KELOS_REPO', value: ws.spec.repo }];
    if (ws.spec.ref) clone.push({ name: 'KELOS_REF', value: ws.spec.ref });
    init.push(
      step(
        InitContainers.GitClone,
        gitImage,
        GIT_CLONE_SCRIPT,
        [],
        [...clone, repoDir, ...tokenEnv],
        gitMounts,
      ),
    );
    const remotes = ws.spec.remotes ?? [];
    if (remotes.length > 0) {
      init.push(
        step(
          InitContainers.RemoteSetup,
          gitImage,
          REMOTE_SETUP_SCRIPT,
          remotes.flatMap((r) => [r.name, r.url]),
          [repoDir],
          [{ ...MOUNTS.workspace }],
        ),
      );
    }
    if (p.branch) {
      init.push(
        step(
          InitContainers.BranchSetup,
          gitImage,
          BRANCH_SETUP_SCRIPT,
          [],
          [{ name: Env.Branch, value: p.branch }, repoDir, ...tokenEnv],
          gitMounts,
        ),
      );
    }
    if (p.files.length > 0) {
      init.push(
        step(
          InitContainers.WorkspaceFiles,
          gitImage,
          WORKSPACE_FILES_SCRIPT,
          p.files.flatMap((f) => [f.key, f.path]),
          [repoDir, configDir],
          [{ ...MOUNTS.workspace }, { ...MOUNTS.config }],
        ),
      );
    }
  }
  if (p.pluginFiles.length > 0) {
    init.push(
      step(
        InitContainers.PluginSetup,
        gitImage,
        PLUGIN_SETUP_SCRIPT,
        p.pluginFiles.flatMap((f) => [f.key, f.path]),
        [pluginDir, configDir],
        [{ ...MOUNTS.plugin }, { ...MOUNTS.config }],
      ),
    );
  }
  if (p.skills.args.length > 0) {
    init.push(
      step(
        InitContainers.SkillsInstall,
        options.skillsImage ?? defaultAgentImage(AGENT_BASE_IMAGE_NAME, options.imageTag),
        SKILLS_INSTALL_SCRIPT,
        p.skills.args,
        [pluginDir, { name: 'TMPDIR', value: '/tmp' }, ...p.skills.env],
        [{ ...MOUNTS.plugin }],
      ),
    );
  }
  return init;
};

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
  const usesPluginDir = p.hasPlugins || p.skills.args.length > 0;

  // Volumes: built-in ones first, then the user's.
  const volumes: Volume[] = [];
  if (p.ws) volumes.push({ name: Volumes.Workspace, emptyDir: {} });
  if (p.tokenSecret) {
    volumes.push({
      name: Volumes.GitHubToken,
      secret: {
        secretName: p.tokenSecret,
        items: [{ key: Env.GitHubToken, path: Env.GitHubToken }],
        defaultMode: 0o440,
        optional: true,
      },
    });
  }
  if (usesPluginDir) volumes.push({ name: Volumes.Plugin, emptyDir: {} });
  if (hasConfig)
    volumes.push({
      name: Volumes.Config,
      configMap: { name: configMapName(p.taskName), defaultMode: 0o444 },
    });
  volumes.push(...p.mcp.volumes);
  const init = initContainers(p);
  if (init.length > 0) volumes.push({ name: Volumes.Tmp, emptyDir: {} });
  volumes.push(...(overrides.volumes ?? []));

  // The agent container.
  const mounts: VolumeMount[] = [];
  if (p.ws) mounts.push({ ...MOUNTS.workspace });
  if (p.tokenSecret) mounts.push({ ...MOUNTS.token });
  if (usesPluginDir) mounts.push({ ...MOUNTS.plugin });
  if (hasConfig) mounts.push({ ...MOUNTS.config });
  mounts.push(...p.mcp.mounts);
  const builtInPaths = new Set([...mounts.map((m) => m.mountPath), p.terminationPath]);
  const knownVolumes = new Set(volumes.map((v) => v.name));
  (overrides.volumeMounts ?? []).forEach((m, i) => {
    if (!knownVolumes.has(m.name)) {
      problems.error(
        'render/volume-mount-unknown',
        `${p.poPath}/volumeMounts/${i}/name`,
        `volumeMount refers to volume ${JSON.stringify(m.name)}, which the Pod does not have`,
      );
    } else if (builtInPaths.has(m.mountPath)) {
      problems.error(
        'render/volume-mount-path',
        `${p.poPath}/volumeMounts/${i}/mountPath`,
        `mountPath ${JSON.stringify(m.mountPath)} is used by a built-in mount`,
      );
    } else {
      mounts.push(m);
    }
  });
  const agent: Container = withPullPolicy(
    {
      name: AGENT_CONTAINER_NAME,
      image:
        p.customImage ??
        options.agentImages?.[p.agentType as AgentType] ??
        defaultAgentImage(p.agentType, options.imageTag),
      command: [...(p.customImage ? CUSTOM_COMMAND : BUNDLED_COMMAND)],
      args: [p.prompt],
      ...(p.ws ? { workingDir: REPO_DIR } : {}),
      env,
      ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
      ...(overrides.resources ? { resources: overrides.resources } : {}),
      securityContext: { ...DEFAULT_CONTAINER_SECURITY_CONTEXT, ...overrides.containerSecurityContext },
      terminationMessagePath: p.terminationPath,
      terminationMessagePolicy: 'FallbackToLogsOnError',
    },
    options,
  );

  if (problems.errors.length > 0)
    return { configMaps: [], errors: problems.errors, warnings: problems.warnings };

  // Labels: the user's, under the built-in ones (selectors depend on those).
  const labels: Record<string, string> = {
    ...overrides.labels,
    [Labels.Name]: 'kelos',
    [Labels.Component]: 'task',
    [Labels.ManagedBy]: MANAGED_BY,
    [Labels.Task]: p.taskName,
    ...(p.agentType ? { [Labels.AgentType]: p.agentType } : {}),
  };
  const uid = p.task.metadata.uid;
  const meta = (name: string) => ({
    name,
    ...(p.namespace ? { namespace: p.namespace } : {}),
    labels: { ...labels },
    ...(uid
      ? {
          ownerReferences: [
            {
              apiVersion: API_VERSION,
              kind: 'Task',
              name: p.taskName,
              uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        }
      : {}),
  });
  const extraInit = overrides.extraInitContainers ?? [];
  const podSpec: PodSpec = {
    restartPolicy: 'Never',
    enableServiceLinks: false,
    // The agent does not talk to the Kubernetes API unless the user gives it an identity.
    ...(overrides.serviceAccountName
      ? { serviceAccountName: overrides.serviceAccountName }
      : { automountServiceAccountToken: false }),
    securityContext: { ...DEFAULT_POD_SECURITY_CONTEXT, ...overrides.podSecurityContext },
    ...(init.length > 0 || extraInit.length > 0 ? { initContainers: [...init, ...extraInit] } : {}),
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
    metadata: meta(p.taskName),
    spec: {
      backoffLimit: 0,
      ...(deadline !== undefined ? { activeDeadlineSeconds: deadline } : {}),
      podFailurePolicy: p.task.spec.podFailurePolicy ?? DEFAULT_POD_FAILURE_POLICY,
      template: { metadata: { labels: { ...labels } }, spec: podSpec },
    },
  };
  const configMaps: ConfigMap[] = hasConfig
    ? [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(configMapName(p.taskName)), data: configData }]
    : [];
  return { job, configMaps, errors: [], warnings: problems.warnings };
};
