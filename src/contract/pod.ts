/**
 * Names and paths that make up the contract between a Task's Job and the agent image:
 * the entrypoint, the user, volumes, mount paths, ConfigMap keys and environment
 * variables. The render (`src/render`) writes them and the agent entrypoint
 * (`src/agent`) reads them; both import them from here, so neither side can rename one
 * alone. Nothing here may import run-time code from outside `src/contract`: the agent
 * image copies only `src/agent` and `src/contract`.
 *
 * @packageDocumentation
 */

/**
 * The values of `KELOS_AGENT_TYPE`. A type-only export: the agent image switches on these
 * names, so renaming one in the API fails the typecheck of `src/agent`, not a Task at run time.
 */
export type { AgentType } from '../api/group.ts';

import type { WORKSPACE_VOLUME } from '../api/group.ts';

/** The agent image's entrypoint script; it takes the rendered prompt as its only argument. */
export const ENTRYPOINT_PATH = '/kelos_entrypoint.sh';
/** Entrypoint of bundled images: tini reaps the agent's children and forwards signals. */
export const BUNDLED_COMMAND = ['/usr/bin/tini', '-g', '--', ENTRYPOINT_PATH] as const;
/** Entrypoint of custom images, which need not ship tini or a shell. */
export const CUSTOM_COMMAND = [ENTRYPOINT_PATH] as const;

/** UID and GID the agent and every init container run as (the Pod's fsGroup); images must allow it. */
export const AGENT_UID = 61100;

/** Where the `workspace` volume is mounted. */
export const WORKSPACE_MOUNT_PATH = '/workspace';
/** Where the repository is cloned; the agent's working directory. */
export const REPO_DIR = '/workspace/repo';
/** Where `gh` keeps its configuration, on the workspace volume so it is writable. */
export const GH_CONFIG_DIR = '/workspace/.gh-config';
/** Where plugins and installed skills are assembled. */
export const PLUGIN_DIR = '/kelos/plugin';
/** Where the Task's ConfigMap (agents.md, MCP servers, plugin and workspace files) is mounted. */
export const CONFIG_DIR = '/kelos/config';
/** Where the GitHub token Secret is mounted; kubelet refreshes it in place. */
export const GITHUB_TOKEN_DIR = '/kelos/github-token';
/** The token file inside {@link GITHUB_TOKEN_DIR}. */
export const GITHUB_TOKEN_FILE = `${GITHUB_TOKEN_DIR}/GITHUB_TOKEN`;
/** Where MCP Secrets named by headersFrom/envFrom are mounted, one directory per server and kind. */
export const MCP_SECRETS_DIR = '/kelos/mcp';
/** Default path of the agent container's termination message. */
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';

/** Volume names the operator adds. Users may not declare volumes with these names. */
export const Volumes = {
  // The API's name for it (its CEL rules and `kelos validate` use it), tied by type only.
  Workspace: 'workspace' satisfies typeof WORKSPACE_VOLUME,
  GitHubToken: 'kelos-github-token',
  Plugin: 'kelos-plugin',
  Config: 'kelos-config',
  Tmp: 'kelos-tmp',
} as const;

/** A mount of a built-in volume: the fields of a Kubernetes VolumeMount that Kelos sets. */
export interface BuiltInMount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly?: boolean;
}

/** The mounts of the built-in volumes, in the agent and the init containers. */
export const MOUNTS = {
  tmp: { name: Volumes.Tmp, mountPath: '/tmp' },
  workspace: { name: Volumes.Workspace, mountPath: WORKSPACE_MOUNT_PATH },
  token: { name: Volumes.GitHubToken, mountPath: GITHUB_TOKEN_DIR, readOnly: true },
  plugin: { name: Volumes.Plugin, mountPath: PLUGIN_DIR },
  config: { name: Volumes.Config, mountPath: CONFIG_DIR, readOnly: true },
} as const satisfies Record<string, BuiltInMount>;

/**
 * The volume and agent mount of an MCP server's Secret (`headersFrom`, `envFrom`), by the
 * server's place in the Task's merged MCP servers.
 */
export const mcpSecretMount = (index: number, kind: 'headers' | 'env'): BuiltInMount => ({
  name: `kelos-mcp-${index}-${kind}`,
  mountPath: `${MCP_SECRETS_DIR}/${index}/${kind}`,
  readOnly: true,
});

/** When the Pod has the volumes {@link mcpSecretMount} gives, for messages. */
export const MCP_SECRET_VOLUMES_WHEN =
  "an MCP server of the Task's AgentConfigs reads a Secret (headersFrom, envFrom)";

/** Whether a volume name is one {@link mcpSecretMount} gives. */
export const isMcpSecretVolume = (name: string): boolean => /^kelos-mcp-\d+-(?:headers|env)$/.test(name);

/**
 * What decides which built-in volumes a Task's Pod has. The render knows each; `kelos
 * validate` knows some from the Task alone (no Workspace named: no workspace, no token) and
 * leaves the ones that depend on objects it cannot see `undefined`.
 */
export interface PodFacts {
  /** The Task names a Workspace. */
  readonly workspace: boolean | undefined;
  /** The Workspace has credentials (`secretRef`), so the GitHub token Secret is mounted. */
  readonly githubToken: boolean | undefined;
  /** Plugins or skills are installed into {@link PLUGIN_DIR}. */
  readonly pluginDir: boolean | undefined;
  /** The Task's ConfigMap has content: agentsMD, MCP servers, plugin or workspace files. */
  readonly config: boolean | undefined;
  /** Built-in init containers run (clone, plugin setup, skills install); they share kelos-tmp. */
  readonly initContainers: boolean | undefined;
  /** The MCP Secret mounts ({@link mcpSecretMount}), or `undefined` when not known. */
  readonly mcpSecrets: readonly BuiltInMount[] | undefined;
}

/**
 * What a Task's AgentConfigs hold that decides its built-in volumes, summed over all of them:
 * the merge appends their plugins, skills and MCP servers and joins their agentsMD, so a
 * count over the specs is the merged count.
 */
export interface AgentConfigContent {
  /** Some AgentConfig has non-empty agentsMD. */
  readonly agentsMD: boolean;
  readonly plugins: number;
  /** The skills and agents of the plugins: files the plugin-setup init container writes. */
  readonly pluginFiles: number;
  /** skills.sh packages, which the skills-install init container installs. */
  readonly skills: number;
  readonly mcpServers: number;
}

/**
 * The {@link PodFacts} a Task's AgentConfigs decide: the plugin directory for plugins or skills,
 * the ConfigMap for agentsMD, MCP servers or plugin files (a Workspace's files fill it too), and
 * init containers for plugin files or skills (a Workspace's clone runs one too). The render
 * makes the plugin directory from this, and `kelos validate` reads all three from the specs.
 */
export const agentConfigFacts = (
  content: AgentConfigContent,
): { readonly pluginDir: boolean; readonly config: boolean; readonly initContainers: boolean } => ({
  pluginDir: content.plugins > 0 || content.skills > 0,
  config: content.agentsMD || content.mcpServers > 0 || content.pluginFiles > 0,
  initContainers: content.pluginFiles > 0 || content.skills > 0,
});

/** A volume the operator adds to a Task's Pod, as {@link builtInVolumes} tells it. */
export interface BuiltInVolume {
  readonly name: string;
  /** Whether the Pod has it; `undefined` when the facts do not tell. */
  readonly present: boolean | undefined;
  /** Its mount in the agent container; kelos-tmp has none, only init containers mount it. */
  readonly agentMount?: BuiltInMount;
  /** When the Pod has it, for messages: `the Task names a Workspace (workspaceRef)`. */
  readonly when: string;
}

/**
 * The volumes the operator adds to a Task's Pod, in the Pod's order, and their agent mounts:
 * the one definition the render builds the Pod from and `kelos validate` checks podOverrides'
 * volumeMounts against.
 */
export const builtInVolumes = (facts: PodFacts): BuiltInVolume[] => [
  {
    name: Volumes.Workspace,
    present: facts.workspace,
    agentMount: MOUNTS.workspace,
    when: 'the Task names a Workspace (workspaceRef)',
  },
  {
    name: Volumes.GitHubToken,
    present: facts.githubToken,
    agentMount: MOUNTS.token,
    when: "the Task names a Workspace that has credentials (the Workspace's secretRef)",
  },
  {
    name: Volumes.Plugin,
    present: facts.pluginDir,
    agentMount: MOUNTS.plugin,
    when: "the Task's AgentConfigs install plugins or skills",
  },
  {
    name: Volumes.Config,
    present: facts.config,
    agentMount: MOUNTS.config,
    when: "the Task's AgentConfigs have agentsMD, MCP servers or plugin files, or its Workspace has files",
  },
  ...(facts.mcpSecrets ?? []).map((m) => ({
    name: m.name,
    present: true,
    agentMount: m,
    when: MCP_SECRET_VOLUMES_WHEN,
  })),
  {
    name: Volumes.Tmp,
    present: facts.initContainers,
    when: 'built-in init containers run: the Task names a Workspace, or its AgentConfigs have plugin files or skills',
  },
];

/** Keys of the Task's ConfigMap. */
export const ConfigKeys = {
  AgentsMD: 'agents.md',
  McpServers: 'mcp-servers.json',
  pluginSkill: (plugin: number, skill: number) => `plugin-${plugin}-skill-${skill}`,
  pluginAgent: (plugin: number, agent: number) => `plugin-${plugin}-agent-${agent}`,
  workspaceFile: (index: number) => `file-${index}`,
} as const;

/** Environment variables of the agent image interface. */
export const Env = {
  Model: 'KELOS_MODEL',
  Effort: 'KELOS_EFFORT',
  Branch: 'KELOS_BRANCH',
  AgentType: 'KELOS_AGENT_TYPE',
  TaskName: 'KELOS_TASK_NAME',
  TaskSpawner: 'KELOS_TASKSPAWNER',
  GhHost: 'GH_HOST',
  BaseBranch: 'KELOS_BASE_BRANCH',
  UpstreamRepo: 'KELOS_UPSTREAM_REPO',
  GitHubToken: 'GITHUB_TOKEN',
  GhToken: 'GH_TOKEN',
  GhEnterpriseToken: 'GH_ENTERPRISE_TOKEN',
  GhConfigDir: 'GH_CONFIG_DIR',
  GitHubTokenFile: 'KELOS_GITHUB_TOKEN_FILE',
  SetupCommand: 'KELOS_SETUP_COMMAND',
  SessionSetupOnly: 'KELOS_SESSION_SETUP_ONLY',
  AgentsMD: 'KELOS_AGENTS_MD',
  AgentsMDFile: 'KELOS_AGENTS_MD_FILE',
  PluginDir: 'KELOS_PLUGIN_DIR',
  McpServers: 'KELOS_MCP_SERVERS',
  McpServersFile: 'KELOS_MCP_SERVERS_FILE',
  TerminationMessagePath: 'KELOS_TERMINATION_MESSAGE_PATH',
  RepoDir: 'KELOS_REPO_DIR',
  /** Where the image keeps the Kelos runtime (`/kelos`); read by the image's wrapper scripts. */
  RuntimeDir: 'KELOS_RUNTIME_DIR',
  /** The real gh binary behind the image's token-refreshing gh wrapper. */
  RealGh: 'KELOS_REAL_GH',
} as const;

/** Prefix of the env vars that carry MCP secret values into the agent container. */
export const MCP_SECRET_ENV_PREFIX = 'KELOS_MCP_SECRET_';

/**
 * Env names a user can never set through podOverrides, whatever the Task's configuration:
 * they would let a Pod override run commands before the agent (upstream reserves the
 * first two) or swap the image's entrypoint and gh for other programs (the agent base
 * image reads the last two).
 */
export const ALWAYS_RESERVED_ENV = [
  Env.SetupCommand,
  Env.SessionSetupOnly,
  Env.RuntimeDir,
  Env.RealGh,
] as const;

/**
 * Largest value passed in a single env var or argument. Linux refuses any one argv or
 * environment string longer than 128 KiB (MAX_ARG_STRLEN) when the agent is exec'd.
 */
export const MAX_ARG_BYTES = 128 * 1024;

/**
 * Values larger than this go to the agent only through files in the ConfigMap, not also
 * through the upstream env var, to stay well clear of {@link MAX_ARG_BYTES}.
 */
export const MAX_INLINE_ENV_BYTES = 32 * 1024;

/** Upstream's cap on the total content of a Task's ConfigMap (the API limit is 1 MiB). */
export const MAX_CONFIG_MAP_BYTES = 900 * 1024;
