/**
 * API group constants shared by every layer: the group and version, the well-known
 * labels, annotations, finalizer and condition types, and the names the operator
 * reserves inside a Task's Pod.
 *
 * @packageDocumentation
 */

/** The API group of every Kelos kind. */
export const GROUP = 'kelos.dev';

/** The served and stored version of the API. */
export const VERSION = 'v1alpha2';

/** `apiVersion` of every Kelos object. */
export const API_VERSION = `${GROUP}/${VERSION}` as const;

/**
 * The names of the kinds we serve, in the order of `KINDS` (src/api/index.ts), without their
 * schemas: for callers that must not load them, such as a one-file `kelos check`.
 */
export const KIND_NAMES: readonly string[] = [
  'Task',
  'Workspace',
  'AgentConfig',
  'TaskSpawner',
  'TaskBudget',
  'TaskRecord',
  'KelosConfig',
];

/** Older version of the group that upstream still serves; we diagnose it but do not serve it. */
export const LEGACY_API_VERSION = `${GROUP}/v1alpha1` as const;

/** Category every Kelos CRD belongs to, so `kubectl get kelos` lists them all. */
export const CATEGORY = 'kelos';

/** Labels the operator and the spawners set. Keys follow upstream Kelos. */
export const Labels = {
  /** Name of the Task a Job or Pod runs. */
  Task: `${GROUP}/task`,
  /** Name of the TaskSpawner that created a Task. */
  TaskSpawner: `${GROUP}/taskspawner`,
  /** Name of the spawner credential picked for a Task. */
  SpawnerCredential: `${GROUP}/spawner-credential`,
  /** Agent type of the Task (`claude-code`, `codex`, …). */
  AgentType: `${GROUP}/agent-type`,
  /** Standard name label on owned children. */
  Name: 'app.kubernetes.io/name',
  /** Standard component label on owned children. */
  Component: 'app.kubernetes.io/component',
  /** Standard managed-by label; its value is {@link MANAGED_BY}. */
  ManagedBy: 'app.kubernetes.io/managed-by',
  /**
   * Upstream's labels on a Task's Job and Pod (`kelos`, `task`, {@link UPSTREAM_MANAGED_BY}),
   * set beside the standard ones so NetworkPolicies, quotas and alerts written for upstream
   * still select the agents.
   */
  UpstreamName: `${GROUP}/name`,
  UpstreamComponent: `${GROUP}/component`,
  UpstreamManagedBy: `${GROUP}/managed-by`,
} as const;

/** Value of upstream's `kelos.dev/managed-by` label on a Task's Job and Pod. */
export const UPSTREAM_MANAGED_BY = 'kelos-controller';

/** Value of the `app.kubernetes.io/managed-by` label on everything the operator creates. */
export const MANAGED_BY = 'kelos-operator';

/** Annotations with a meaning to the operator, the spawners or the policy checker. */
export const Annotations = {
  /** JSON snapshot of a Task's labels taken when a TaskBudget admitted it. */
  TaskBudgetLabels: `${GROUP}/taskbudget-labels`,
  /** Kind of the item a spawned Task came from (`issue`, `pull-request`, …). */
  SourceKind: `${GROUP}/source-kind`,
  /** Number of the issue or pull request a spawned Task came from. */
  SourceNumber: `${GROUP}/source-number`,
  /** Policy rule ids an object opts out of, comma separated. */
  PolicyIgnore: 'policy.kelos.dev/ignore',
  /** Why an object opts out of policy rules; required with {@link Annotations.PolicyIgnore}. */
  PolicyIgnoreReason: 'policy.kelos.dev/ignore-reason',
  /**
   * `git` on a Task kept in Git and synced by Argo CD, whose life Git ends (Argo CD prunes it):
   * a TTL would delete it, self-heal create it again, and its agent run again.
   */
  Lifecycle: `${GROUP}/lifecycle`,
} as const;

/** The annotation that says a Task is kept in Git ({@link Annotations.Lifecycle}), and its value. */
export const GIT_LIFECYCLE = { annotation: Annotations.Lifecycle, value: 'git' } as const;

/** Finalizer the operator puts on Tasks, so a deleted Task's Job is cleaned up first. */
export const FINALIZER = `${GROUP}/finalizer`;

/** Condition types the operator sets on Kelos objects. */
export const ConditionTypes = {
  /** The Task waits because a TaskBudget covering it is exhausted. */
  BudgetBlocked: 'BudgetBlocked',
  /** The Task waits for a Task it depends on. */
  DependenciesReady: 'DependenciesReady',
  /** The Task waits for an earlier Task on the same workspace and branch. */
  BranchLocked: 'BranchLocked',
  /**
   * False while a Workspace or AgentConfig the Task references, or a Secret its Pod cannot
   * start without, does not exist.
   */
  ReferencesResolved: 'ReferencesResolved',
  /** A TaskBudget cannot be evaluated (bad selector, bad period, list error). */
  Degraded: 'Degraded',
  /** A TaskBudget holds Tasks back: used up, or filled by what its running Tasks reserve. */
  Holding: 'Holding',
  /** The TaskSpawner is suspended by its spec. */
  Suspended: 'Suspended',
  /** The TaskSpawner reached `maxTotalTasks`. */
  MaxTotalTasksReached: 'MaxTotalTasksReached',
  /**
   * Upstream's second name of {@link ConditionTypes.MaxTotalTasksReached}, written with the
   * same status, reason and message: it is about `maxTotalTasks`, not a TaskBudget.
   */
  TaskBudgetExhausted: 'TaskBudgetExhausted',
  /**
   * True while the TaskSpawner's last pass met a problem (upstream's): a setup error (phase
   * Failed), or a failed or rate-limited discovery, a failed create or a Slack connection down,
   * under which the spawner stays Running.
   */
  DiscoveryError: 'DiscoveryError',
  /** Whether the agent Pod runs under the namespace's agent NetworkPolicy (False: the admin opted out). */
  NetworkIsolated: 'NetworkIsolated',
} as const;

/** Name of the container that runs the agent inside a Task's Pod. */
export const AGENT_CONTAINER_NAME = 'kelos-agent';

/** Prefix reserved for containers and volumes the operator adds. */
export const RESERVED_PREFIX = 'kelos-';

/**
 * Name of the volume the repository is cloned into, which the Pod has when its Task names a
 * Workspace; podOverrides may mount it, and may not declare a volume of that name.
 */
export const WORKSPACE_VOLUME = 'workspace';

/** Built-in init containers the render adds, in the order they run. */
export const InitContainers = {
  GitClone: 'git-clone',
  RemoteSetup: 'remote-setup',
  BranchSetup: 'branch-setup',
  WorkspaceFiles: 'workspace-files',
  PluginSetup: 'plugin-setup',
  SkillsInstall: 'skills-install',
} as const;

/** Names of built-in init containers; user containers may not take them. */
export const RESERVED_CONTAINER_NAMES: readonly (typeof InitContainers)[keyof typeof InitContainers][] =
  Object.values(InitContainers);

/**
 * Registry and repository of the images we publish (operator, agent base, bundled agents):
 * an image is `<repository>/<name>:<tag>`. Deployments override it (`kelos operator
 * --image-repository`, `images/build.sh`'s `KELOS_IMAGE_PREFIX`); the policy allowlist of
 * image registries starts from it.
 */
export const DEFAULT_IMAGE_REPOSITORY = 'ghcr.io/kelos-ts';

/**
 * Name of the agent base image under the repository (Node 24, git, the entrypoint): what the
 * bundled agent images build on, and the image of the `skills-install` init container.
 */
export const AGENT_BASE_IMAGE_NAME = 'agent-base';

/** Agent types with a bundled image and a known output format. */
export const AGENT_TYPES = ['claude-code', 'codex', 'gemini', 'opencode', 'cursor'] as const;

/** One of {@link AGENT_TYPES}. */
export type AgentType = (typeof AGENT_TYPES)[number];

/**
 * The name of the KelosConfig the operator reads (`--config-name` overrides it); objects of
 * other names are ignored, so a cluster has one configuration in force.
 */
export const KELOS_CONFIG_NAME = 'kelos';

/**
 * Kinds upstream Kelos has that we recognise but do not serve yet, with what to do instead.
 * The validator reports them instead of failing on an unknown kind.
 */
export const UNSERVED_KINDS: Readonly<Record<string, string>> = {
  WorkerPool:
    'WorkerPool is not served by this version of Kelos; run Tasks with spec.worker instead of workerPoolRef',
  Session: 'Session (interactive agents) is not served by this version of Kelos',
  SessionSpawner: 'SessionSpawner is not served by this version of Kelos',
};

/**
 * Why a Task (`at` `spec`) or a TaskSpawner's template (`spec.taskTemplate`) that names a
 * WorkerPool never runs here: the Task reconciler fails such a Task, and the TaskSpawner
 * reconciler creates none, rather than one Task per poll that fails at once.
 */
export const workerPoolUnsupported = (at: 'spec' | 'spec.taskTemplate'): string =>
  `${at}.workerPoolRef is not supported: this operator does not serve WorkerPools; run ${at === 'spec' ? 'the Task' : 'its Tasks'} with ${at}.worker`;
