/**
 * What the Task reconciler is built from: its caches, the pure pieces it calls (validate and
 * render), its options, and the small predicates every step shares.
 *
 * @packageDocumentation
 */
import type {
  AgentConfig,
  Task,
  TaskBudget,
  TaskRecord,
  TaskSpawner,
  Workspace,
} from '../../../api/index.ts';
import type { K8sType } from '../../../api/k8s/index.ts';
import type { ApiObject, KubeClient } from '../../../kube/client.ts';
import type { Clock } from '../../../kube/clock.ts';
import type { EventRecorder } from '../../../kube/events.ts';
import type { Informer } from '../../../kube/informer.ts';
import type { Logger } from '../../../kube/log.ts';
import type { RenderInput, RenderResult } from '../../../render/task-job.ts';
import type { Diagnostic } from '../../../validate/diagnostic.ts';
import { type AdminConfig, resolveAdminConfig } from '../../admin-config.ts';
import type { BudgetStates } from '../../budget-state.ts';
import type { CachedJob, CachedPod } from '../../children.ts';
import type { OperatorMetrics } from '../../metrics.ts';
import type { Ledgers } from '../../webhook/ledger.ts';
import type { NetworkState } from '../agent-network.ts';

/** Name of this controller in logs and metrics. */
export const TASK_CONTROLLER = 'task';

/** The caches the Task reconciler reads (the operator's informers). */
export interface TaskCaches {
  readonly tasks: Informer<Task>;
  readonly workspaces: Informer<Workspace>;
  readonly agentConfigs: Informer<AgentConfig>;
  readonly budgets: Informer<TaskBudget>;
  readonly records: Informer<TaskRecord>;
  readonly jobs: Informer<CachedJob>;
  readonly pods: Informer<CachedPod>;
  /** TaskSpawners, for the spawner gate; without it spawned Tasks are not capped. */
  readonly spawners?: Informer<TaskSpawner>;
  /** NetworkPolicies of the watched namespaces, for the agent network controller. */
  readonly networkPolicies?: Informer<K8sType<'NetworkPolicy'> & ApiObject>;
}

/** The pure pieces the reconciler calls, injected so the wiring decides their options. */
export interface TaskRuntime {
  /**
   * Builds the Job for an admitted Task from the objects the reconciler resolved. The
   * deployment's render options are bound by the runtime; `input.options` is ignored.
   */
  renderJob(input: RenderInput): RenderResult;
  /** Validates a Task read from the cluster; returns its diagnostics (errors fail the Task). */
  validate(task: Task): readonly Diagnostic[];
  /**
   * The `activeDeadlineSeconds` the Job of `task` gets (its own, else the deployment's
   * default), or undefined when it runs without one: what a budget reserves for.
   */
  activeDeadlineSeconds(task: Task): number | undefined;
}

/** Options of the Task reconciler. */
export interface TaskReconcilerOptions {
  readonly client: KubeClient;
  readonly caches: TaskCaches;
  readonly budgets: BudgetStates;
  readonly runtime: TaskRuntime;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics?: OperatorMetrics;
  /** Read pod logs when the termination message is empty. Default true. */
  readonly logFallback?: boolean;
  /** GitHub REST API base URL for App tokens; default derived from the Workspace repo host. */
  readonly githubApiUrl?: string;
  /** HTTP client for the GitHub API. Default {@link guardedFetch} under `admin().outbound`. */
  readonly fetch?: typeof globalThis.fetch;
  /** The cluster admin's configuration in force. Default: no KelosConfig, only the flags. */
  readonly admin?: () => AdminConfig;
  /** The namespaces' agent NetworkPolicies; without it admission writes none (unit tests). */
  readonly network?: TaskNetwork;
  /**
   * The webhook ledgers, which learn a webhook Task's delivery before its finalizer is
   * removed (webhook/task-delivery.ts). Default: the reconciler's own, over `client`.
   */
  readonly ledgers?: Ledgers;
}

/** What admission needs of the agent network controller (`../agent-network.ts`). */
export interface TaskNetwork {
  /** Brings the namespace's agent NetworkPolicies up to date; says when isolation is off. */
  ensure(namespace: string): Promise<NetworkState>;
  /** The namespace's NetworkPolicies from the cache. */
  policiesIn(namespace: string): Array<K8sType<'NetworkPolicy'>>;
}

/** The queue key of an object: `namespace/name`. */
export const keyOf = (obj: ApiObject): string => `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;

/** Namespace and name of a Task read from the cache (both always set there). */
export const nameOf = (task: Task): { namespace: string; name: string } =>
  task.metadata as { namespace: string; name: string };

/** Whether `owner` is the controller of `obj`. */
export const isOwnedBy = (obj: ApiObject, owner: ApiObject): boolean =>
  (obj.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === owner.metadata.uid);

/** Whether a Job reached a final condition. */
export const jobFinished = (job: CachedJob): boolean =>
  (job.status?.conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );

/** The admin configuration in force for a reconciler: its source, else the defaults and flags. */
export const adminOf = (o: TaskReconcilerOptions): AdminConfig =>
  o.admin?.() ?? resolveAdminConfig(undefined, o.githubApiUrl ? { githubApiUrl: o.githubApiUrl } : {});

/**
 * Whether `obj` belongs to an earlier Task of the same name (deleted and re-created): its
 * controller is a Task with this name and another UID. Such a child is garbage, not a conflict.
 */
export const ownedByPreviousTask = (obj: ApiObject, task: Task): boolean =>
  (obj.metadata.ownerReferences ?? []).some(
    (r) => r.controller && r.kind === 'Task' && r.name === task.metadata.name && r.uid !== task.metadata.uid,
  );

/** How soon a Task whose name is still held by its predecessor's Job looks again. */
export const PREDECESSOR_REQUEUE_MS = 1_000;
