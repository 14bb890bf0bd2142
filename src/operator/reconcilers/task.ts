/**
 * The Task reconciler: turns a Task into a Job, tracks the Job to completion, and records
 * what the agent reported. `reconcile(key)` reads the latest Task from the cache and walks a
 * checklist, top to bottom:
 *
 * 1. Deleted → delete the Job (Background propagation), then remove our finalizer.
 * 2. Finished → make sure the TaskRecord exists; delete the Task when its TTL expired.
 * 3. Job exists → add the finalizer (and the TaskBudget label snapshot) if missing; derive
 *    the phase from the Job and its newest Pod; on completion read the outputs from the agent
 *    container's termination message (pod logs as a fallback). Running Tasks covered by a
 *    used-up `StopRunning` TaskBudget are stopped here.
 * 4. No Job yet → admission: decode and validate the spec (cluster data is untrusted),
 *    resolve the Workspace and AgentConfigs, then the gates in order (dependencies, branch
 *    lock, TaskBudgets); for a Workspace whose Secret holds GitHub App keys, mint an
 *    installation token into the Secret `<task>-github-token` (owned by the Task; refreshed
 *    while the Job runs, see step 3); render the prompt and the Job; create the Job. The bookkeeping of
 *    step 3 follows in the reconcile the Job's event brings, so a burst of new Tasks gets its
 *    Jobs first (new Tasks also go through the queue's urgent lane).
 *
 * All state lives in the API server: the Job is named after the Task and created
 * idempotently, every Task write carries a resourceVersion precondition, and the status is
 * written only when it changed (so resyncs cost nothing).
 *
 * @packageDocumentation
 */
import {
  type AgentConfig,
  Annotations,
  type Condition,
  ConditionTypes,
  FINALIZER,
  isTerminalPhase,
  type KubeObject,
  Labels,
  MANAGED_BY,
  type Task,
  type TaskBudget,
  TaskPhase,
  type TaskRecord,
  type TaskStatus,
  type TaskUsage,
  type Workspace,
} from '../../api/index.ts';
import { DEFAULT_TASK_RECORD_TTL_SECONDS } from '../../api/task-record.ts';
import { parseLogOutputs, parseTerminationMessage } from '../../contract/outputs.ts';
import {
  ApiError,
  type ApiObject,
  isAlreadyExists,
  isConflict,
  isNotFound,
  type KubeClient,
  type ResourceType,
} from '../../kube/client.ts';
import type { Clock } from '../../kube/clock.ts';
import type { EventRecorder, EventType } from '../../kube/events.ts';
import type { Informer } from '../../kube/informer.ts';
import { matches } from '../../kube/label-selector.ts';
import { Checklist, type Logger } from '../../kube/log.ts';
import type { ReconcileResult, WorkQueue } from '../../kube/queue.ts';
import { renderPrompt } from '../../template/render-prompt.ts';
import type { Diagnostic } from '../../validate/diagnostic.ts';
import { admit, budgetRequeueMs } from '../budget.ts';
import type { BudgetStates } from '../budget-state.ts';
import {
  type CachedJob,
  type CachedPod,
  JOB_NAME_LABEL,
  newestPod,
  observeJob,
  terminationMessage,
  trimJob,
} from '../children.ts';
import {
  agentConfigsOf,
  branchKey,
  checkBranchLock,
  checkDependencies,
  type DependencyGate,
  workspaceOf,
} from '../gates.ts';
import { appCredentialsOf, githubApiBaseUrl, mintInstallationToken } from '../github-app.ts';
import type { OperatorMetrics } from '../metrics.ts';
import { KELOS_API_VERSION, Resources } from '../resources.ts';
import {
  type ConditionInput,
  findCondition,
  resolveCondition,
  setCondition,
  statusPatch,
} from '../status.ts';

/** Name of this controller in logs and metrics. */
export const TASK_CONTROLLER = 'task';

/** The caches the Task reconciler reads. */
export interface TaskCaches {
  readonly tasks: Informer<Task>;
  readonly workspaces: Informer<Workspace>;
  readonly agentConfigs: Informer<AgentConfig>;
  readonly budgets: Informer<TaskBudget>;
  readonly records: Informer<TaskRecord>;
  readonly jobs: Informer<CachedJob>;
  readonly pods: Informer<CachedPod>;
}

/** Index names the Task reconciler needs on its informers (see {@link addTaskIndexes}). */
export const TaskIndexes = {
  /** Tasks by `namespace/name` of each Task they depend on. */
  DependsOn: 'dependsOn',
  /** Tasks by branch lock key. */
  Branch: 'branch',
  /** Tasks by `namespace/name` of their Workspace. */
  Workspace: 'workspace',
  /** Tasks by `namespace/name` of each AgentConfig. */
  AgentConfig: 'agentConfig',
  /** Pods by `namespace/job-name`. */
  Job: 'job',
} as const;

/** Registers the indexes of {@link TaskIndexes}. Call before the informers start. */
export function addTaskIndexes(c: Pick<TaskCaches, 'tasks' | 'pods'>): void {
  const ns = (t: ApiObject) => t.metadata.namespace ?? '';
  c.tasks.addIndex(TaskIndexes.DependsOn, (t) => (t.spec?.dependsOn ?? []).map((d) => `${ns(t)}/${d}`));
  c.tasks.addIndex(TaskIndexes.Branch, (t) => {
    const k = branchKey(t);
    return k ? [k] : [];
  });
  c.tasks.addIndex(TaskIndexes.Workspace, (t) => {
    const w = workspaceOf(t);
    return w ? [`${ns(t)}/${w}`] : [];
  });
  c.tasks.addIndex(TaskIndexes.AgentConfig, (t) => agentConfigsOf(t).map((a) => `${ns(t)}/${a}`));
  c.pods.addIndex(TaskIndexes.Job, (p) => {
    const job = p.metadata.labels?.[JOB_NAME_LABEL] ?? p.metadata.labels?.['job-name'];
    return job ? [`${ns(p)}/${job}`] : [];
  });
}

/** What the Job renderer receives. */
export interface JobRenderInput {
  readonly task: Task;
  readonly workspace: Workspace | undefined;
  /** AgentConfigs in the order the Task lists them. */
  readonly agentConfigs: readonly AgentConfig[];
  /** The prompt after `{{.Deps}}` templating. */
  readonly prompt: string;
  /** Secret with the minted GitHub App token, when the Workspace Secret holds App keys. */
  readonly githubTokenSecretName?: string;
}

/** What the Job renderer returns: the Job, owned ConfigMaps, and errors that prevent it. */
export interface RenderedJob {
  readonly job: KubeObject | undefined;
  readonly configMaps: readonly KubeObject[];
  /** Errors (severity `error`) fail the Task; warnings are logged. */
  readonly diagnostics: readonly Diagnostic[];
}

/** The pure pieces the reconciler calls, injected so the wiring decides their options. */
export interface TaskRuntime {
  /** Builds the Job for an admitted Task. */
  renderJob(input: JobRenderInput): RenderedJob;
  /** Validates a Task read from the cluster; returns its diagnostics (errors fail the Task). */
  validate(task: Task): readonly Diagnostic[];
}

/** Options of {@link TaskReconciler}. */
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
  /** HTTP client for the GitHub API. Default the global `fetch`. */
  readonly fetch?: typeof globalThis.fetch;
}

/**
 * Safety net after a Job was created: the Job's ADDED event normally brings the Task back
 * within milliseconds to write its status.
 */
const ADMITTED_REQUEUE_MS = 5_000;

/** Gate conditions as they read once the Task is admitted (each flips only if it was set). */
const PASSED_GATES: readonly ConditionInput[] = [
  {
    type: ConditionTypes.ReferencesResolved,
    status: 'True',
    reason: 'Resolved',
    message: 'Workspace and AgentConfigs exist',
  },
  {
    type: ConditionTypes.DependenciesReady,
    status: 'True',
    reason: 'DependenciesSucceeded',
    message: 'All dependencies succeeded',
  },
  {
    type: ConditionTypes.BranchLocked,
    status: 'False',
    reason: 'BranchAvailable',
    message: 'Branch is free',
  },
  {
    type: ConditionTypes.BudgetBlocked,
    status: 'False',
    reason: 'BudgetAvailable',
    message: 'Admitted by every TaskBudget that covers it',
  },
];

/** How long a Task waiting for a missing Workspace or AgentConfig waits before a re-check. */
const MISSING_REFERENCE_REQUEUE_MS = 30_000;
/** Back-off when a write lost a race with another writer; the watch usually brings the key back first. */
const CONFLICT_REQUEUE_MS = 250;
/** A GitHub App token is minted again when less than this remains (tokens live an hour). */
const TOKEN_REFRESH_MARGIN_MS = 10 * 60_000;
/** First retry after a failed mint; doubles per failure up to {@link TOKEN_RETRY_MAX_MS}. */
const TOKEN_RETRY_BASE_MS = 2_000;
const TOKEN_RETRY_MAX_MS = 30_000;
/** Condition that says why a Task waits for its GitHub App token. */
const GITHUB_TOKEN_CONDITION = 'GitHubTokenReady';
/** Annotation on the token Secret: when the token expires (RFC 3339). */
export const TOKEN_EXPIRY_ANNOTATION = 'kelos.dev/github-token-expires-at';
/** Key of the token in the token Secret (what the credential helper reads). */
const TOKEN_KEY = 'GITHUB_TOKEN';

/** Name of the Secret holding a Task's minted GitHub App token. */
export const githubTokenSecretName = (task: string): string => `${task}-github-token`;

/** What {@link TaskReconciler} knows about a Task's GitHub App token. */
type TokenState =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok'; readonly secret: string; readonly expiresAt: number }
  | { readonly kind: 'error'; readonly secret: string; readonly message: string };

interface SecretObject extends ApiObject {
  data?: Record<string, string>;
}

const isoNow = (clock: Clock): string => new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');

const isOwnedBy = (obj: ApiObject, owner: ApiObject): boolean =>
  (obj.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === owner.metadata.uid);

const jobFinished = (job: CachedJob): boolean =>
  (job.status?.conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );

const hasUsage = (u: TaskUsage | undefined): u is TaskUsage =>
  u !== undefined && (u.costUSD !== undefined || u.inputTokens !== undefined || u.outputTokens !== undefined);

/** The labels a TaskBudget admitted the Task with (the snapshot), else its current labels. */
export const admittedLabels = (task: Task): Record<string, string> | undefined => {
  const snap = task.metadata.annotations?.[Annotations.TaskBudgetLabels];
  if (snap) {
    try {
      const parsed = JSON.parse(snap) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v;
        return out;
      }
    } catch {
      // A hand-edited, unparseable snapshot: fall back to the live labels.
    }
  }
  return task.metadata.labels;
};

/** The agent type and model of a Task, preferring `spec.worker`. */
const agentOf = (task: Task): { type: string; model: string } => ({
  type: task.spec?.worker?.type || task.spec?.type || '',
  model: task.spec?.worker?.model ?? task.spec?.model ?? '',
});

/** The controller owner reference of a Task's children. */
const ownerReferenceTo = (task: Task) => ({
  apiVersion: KELOS_API_VERSION,
  kind: 'Task',
  name: task.metadata.name ?? '',
  uid: task.metadata.uid ?? '',
  controller: true,
  blockOwnerDeletion: true,
});

/** Reconciles Tasks. */
export class TaskReconciler {
  readonly #o: TaskReconcilerOptions;
  /**
   * What this process remembers about Tasks not yet admitted, by key: the validation result
   * (the spec is immutable, so a Task is validated once) and, between creating the Job and
   * writing the status, the gate conditions. Dropped once the status is written, when the
   * Task is gone, or when it finished, so it stays as small as the set of pending Tasks.
   */
  readonly #pending = new Map<
    string,
    { uid: string; validation?: readonly Diagnostic[]; conditions?: readonly Condition[] }
  >();
  /**
   * GitHub App token per unfinished Task key (`none` for Workspaces without App keys), so
   * the reconciles a running Job brings cost no reads until the token is due for refresh.
   */
  readonly #tokens = new Map<string, { uid: string; state: TokenState | undefined; failures: number }>();

  constructor(opts: TaskReconcilerOptions) {
    this.#o = opts;
  }

  /**
   * Maps informer events to Task keys on `queue`. Each mapping says why it exists; handlers
   * only enqueue (level-triggered), the reconcile reads the cache.
   */
  register(queue: WorkQueue): void {
    const { tasks, workspaces, agentConfigs, budgets, records, jobs, pods } = this.#o.caches;
    tasks.onChange((type, key, task, old) => {
      // A new Task, or one that may now be admitted, goes ahead of status bookkeeping.
      if (type === 'add' && !task.status?.jobName) queue.addUrgent(key);
      else queue.add(key);
      if (type === 'resync') return;
      // Tasks that depend on this one wait for it to appear and to finish.
      const phaseChanged = type !== 'update' || old?.status?.phase !== task.status?.phase;
      if (phaseChanged) for (const k of tasks.keysByIndex(TaskIndexes.DependsOn, key)) queue.add(k);
      // The next Task on the branch starts when this one finishes or goes away; the ones
      // queued behind it say who holds the branch now.
      const bk = branchKey(task);
      if (bk && phaseChanged) {
        for (const k of tasks.keysByIndex(TaskIndexes.Branch, bk)) if (k !== key) queue.add(k);
      }
    });
    // Tasks waiting for a Workspace or AgentConfig start as soon as it is created.
    workspaces.onChange((type, key) => {
      if (type !== 'resync') for (const k of tasks.keysByIndex(TaskIndexes.Workspace, key)) queue.add(k);
    });
    agentConfigs.onChange((type, key) => {
      if (type !== 'resync') for (const k of tasks.keysByIndex(TaskIndexes.AgentConfig, key)) queue.add(k);
    });
    // The Task's phase follows its Job and Pods.
    jobs.onChange((type, _key, job) => {
      if (type === 'resync') return;
      const owner = job.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Task');
      if (owner) queue.add(`${job.metadata.namespace}/${owner.name}`);
    });
    pods.onChange((type, _key, pod) => {
      if (type === 'resync') return;
      for (const jobKey of [pod.metadata.labels?.[JOB_NAME_LABEL] ?? pod.metadata.labels?.['job-name']]) {
        if (jobKey) queue.add(`${pod.metadata.namespace}/${jobKey}`);
      }
    });
    // A budget that changed may admit waiting Tasks, or stop running ones (StopRunning).
    budgets.onChange((type, _key, budget) => {
      if (type === 'resync') return;
      this.#enqueueBudgetSensitive(
        queue,
        budget.metadata.namespace ?? '',
        type === 'delete' ? 'waiting' : 'all',
      );
    });
    // New usage may exhaust a StopRunning budget; running Tasks it covers must stop.
    records.onChange((type, _key, record) => {
      if (type !== 'add') return;
      const ns = record.metadata.namespace ?? '';
      if (budgets.list(ns).some((b) => b.spec?.enforcement === 'StopRunning'))
        this.#enqueueBudgetSensitive(queue, ns, 'running');
    });
  }

  #enqueueBudgetSensitive(queue: WorkQueue, namespace: string, which: 'waiting' | 'running' | 'all'): void {
    for (const t of this.#o.caches.tasks.list(namespace)) {
      if (isTerminalPhase(t.status?.phase)) continue;
      const blocked = findCondition(t.status?.conditions, ConditionTypes.BudgetBlocked)?.status === 'True';
      const running = Boolean(t.status?.jobName);
      if ((which !== 'running' && blocked) || (which !== 'waiting' && running)) {
        queue.add(`${namespace}/${t.metadata.name}`);
      }
    }
  }

  /** Reconciles the Task under `key` (`namespace/name`). */
  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const task = this.#o.caches.tasks.getByKey(key);
    const log = this.#o.log.child({ controller: TASK_CONTROLLER, key });
    if (!task) {
      this.#pending.delete(key);
      this.#tokens.delete(key);
      log.debug('Task is gone; nothing to do');
      return undefined;
    }
    const list = new Checklist();
    try {
      const result = await this.#reconcile(task, list);
      const fields = { steps: list.steps, requeueAfterMs: result?.requeueAfterMs };
      if (list.notable) log.info('Reconciled Task', fields);
      else log.debug('Reconciled Task', fields);
      return result;
    } catch (err) {
      if (isConflict(err)) {
        list.step('Lost a write race (resourceVersion changed); retrying with the newer object');
        log.debug('Reconciled Task', { steps: list.steps });
        return { requeueAfterMs: CONFLICT_REQUEUE_MS };
      }
      if (isNotFound(err) && err instanceof ApiError && err.kind === 'Task') {
        // The cache lagged behind a deletion; the delete event is on its way.
        list.step('Task is gone');
        log.debug('Reconciled Task', { steps: list.steps });
        return undefined;
      }
      log.error('Reconcile of Task failed', { steps: list.steps, error: err });
      throw err;
    }
  }

  async #reconcile(task: Task, list: Checklist): Promise<ReconcileResult | undefined> {
    const { namespace, name } = task.metadata as { namespace: string; name: string };
    if (task.metadata.deletionTimestamp) return this.#finalize(task, list);
    const job = this.#o.caches.jobs.get(namespace, name);
    if (isTerminalPhase(task.status?.phase)) {
      this.#pending.delete(`${namespace}/${name}`);
      this.#tokens.delete(`${namespace}/${name}`);
      list.step(`Finished (${task.status?.phase})`);
      return this.#afterFinish(task, job, list);
    }
    if (task.spec?.workerPoolRef) {
      return this.#fail(task, list, {
        reason: 'WorkerPoolUnsupported',
        message:
          'spec.workerPoolRef is not supported: this operator does not serve WorkerPools; run the Task with spec.worker',
      });
    }
    if (job) return this.#track(task, job, list);
    const createdHere = this.#pending.get(`${namespace}/${name}`);
    const jobCreatedHere =
      createdHere !== undefined && createdHere.uid === task.metadata.uid && !!createdHere.conditions;
    if (task.status?.jobName || jobCreatedHere) {
      // Admitted before. Either the Job informer lags behind our own create, or someone
      // deleted the Job; ask the API server rather than admitting it a second time.
      const live = await this.#o.client.get<KubeObject>(Resources.Job, namespace, name);
      if (live) {
        list.step('Job not cached yet; read it from the API server');
        return this.#track(task, trimJob(live), list);
      }
      return this.#fail(task, list, {
        reason: 'JobDeleted',
        message: `Job ${namespace}/${name} was deleted before the Task finished`,
      });
    }
    return this.#admit(task, list);
  }

  // ---- deletion -------------------------------------------------------------------------

  async #finalize(task: Task, list: Checklist): Promise<ReconcileResult | undefined> {
    const { namespace, name } = task.metadata as { namespace: string; name: string };
    this.#pending.delete(`${namespace}/${name}`);
    this.#tokens.delete(`${namespace}/${name}`);
    if (!task.metadata.finalizers?.includes(FINALIZER)) {
      list.step('Being deleted; our finalizer is not on it');
      return undefined;
    }
    const job = await this.#o.client.get<KubeObject>(Resources.Job, namespace, name);
    if (job && isOwnedBy(job, task) && !job.metadata.deletionTimestamp) {
      await this.#o.client.delete(Resources.Job, namespace, name, {
        uid: job.metadata.uid,
        propagationPolicy: 'Background',
      });
      list.write(`Job ${namespace}/${name} deleted (Background propagation)`);
    } else {
      list.step('No Job of ours to delete');
    }
    await this.#o.client.mergePatch(
      Resources.Task,
      namespace,
      name,
      { metadata: { finalizers: (task.metadata.finalizers ?? []).filter((f) => f !== FINALIZER) } },
      { resourceVersion: task.metadata.resourceVersion },
    );
    list.write('Finalizer removed');
    return undefined;
  }

  // ---- admission --------------------------------------------------------------------------

  async #admit(task: Task, list: Checklist): Promise<ReconcileResult | undefined> {
    const { namespace, name } = task.metadata as { namespace: string; name: string };
    const { caches, clock } = this.#o;
    const now = isoNow(clock);

    const problems = this.#validate(task);
    if (problems.length) {
      const detail = problems.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ');
      return this.#fail(task, list, { reason: 'InvalidSpec', message: `Task spec is invalid: ${detail}` });
    }
    list.step('Spec valid');

    let conditions = task.status?.conditions ?? [];
    const wsName = workspaceOf(task);
    const workspace = wsName ? caches.workspaces.get(namespace, wsName) : undefined;
    if (wsName && !workspace) {
      return this.#wait(task, list, `Waiting for Workspace "${wsName}" to be created`, {
        set: {
          type: ConditionTypes.ReferencesResolved,
          status: 'False',
          reason: 'WorkspaceNotFound',
          message: `Workspace ${namespace}/${wsName} does not exist`,
        },
        requeueAfterMs: MISSING_REFERENCE_REQUEUE_MS,
      });
    }
    const agentConfigs: AgentConfig[] = [];
    for (const acName of agentConfigsOf(task)) {
      const ac = caches.agentConfigs.get(namespace, acName);
      if (!ac) {
        return this.#wait(task, list, `Waiting for AgentConfig "${acName}" to be created`, {
          set: {
            type: ConditionTypes.ReferencesResolved,
            status: 'False',
            reason: 'AgentConfigNotFound',
            message: `AgentConfig ${namespace}/${acName} does not exist`,
          },
          requeueAfterMs: MISSING_REFERENCE_REQUEUE_MS,
        });
      }
      agentConfigs.push(ac);
    }
    conditions = resolveCondition(
      conditions,
      {
        type: ConditionTypes.ReferencesResolved,
        status: 'True',
        reason: 'Resolved',
        message: 'Workspace and AgentConfigs exist',
      },
      now,
    );
    list.step(wsName || agentConfigs.length ? 'References resolved' : 'No references to resolve');

    const lookup = (n: string) => caches.tasks.get(namespace, n);
    const deps: DependencyGate = checkDependencies(task, lookup);
    if (deps.state === 'failed') {
      return this.#fail(task, list, {
        reason: deps.reason,
        message: deps.message,
        condition: {
          type: ConditionTypes.DependenciesReady,
          status: 'False',
          reason: deps.reason,
          message: deps.message,
        },
      });
    }
    if (deps.state === 'waiting') {
      return this.#wait(task, list, deps.message, {
        set: {
          type: ConditionTypes.DependenciesReady,
          status: 'False',
          reason: deps.reason,
          message: deps.message,
        },
      });
    }
    if (deps.state === 'ready') {
      conditions = setCondition(
        conditions,
        {
          type: ConditionTypes.DependenciesReady,
          status: 'True',
          reason: 'DependenciesSucceeded',
          message: 'All dependencies succeeded',
        },
        now,
      );
      list.step(`Dependencies succeeded (${deps.deps.length})`);
    }

    const bk = branchKey(task);
    if (bk) {
      const gate = checkBranchLock(
        task,
        caches.tasks.byIndex(TaskIndexes.Branch, bk),
        lookup,
        (n) => caches.jobs.get(namespace, n) !== undefined,
      );
      if (gate.state === 'locked') {
        return this.#wait(task, list, gate.message, {
          set: {
            type: ConditionTypes.BranchLocked,
            status: 'True',
            reason: 'BranchInUse',
            message: gate.message,
          },
          keep: conditions,
        });
      }
      conditions = resolveCondition(
        conditions,
        {
          type: ConditionTypes.BranchLocked,
          status: 'False',
          reason: 'BranchAvailable',
          message: `Branch "${task.spec.branch}" is free`,
        },
        now,
      );
      list.step(`Branch "${task.spec.branch}" is free`);
    }

    const admission = admit(task.metadata.labels, caches.budgets.list(namespace), (b) =>
      this.#o.budgets.stateOf(b),
    );
    if (!admission.admitted) {
      return this.#wait(task, list, `Budget "${admission.budget}" exceeded: ${admission.reason}`, {
        set: {
          type: ConditionTypes.BudgetBlocked,
          status: 'True',
          reason: 'BudgetExceeded',
          message: `Blocked by TaskBudget "${admission.budget}": ${admission.reason}`,
        },
        keep: conditions,
        requeueAfterMs: budgetRequeueMs(admission.retryAt, clock.now()),
      });
    }
    conditions = resolveCondition(
      conditions,
      {
        type: ConditionTypes.BudgetBlocked,
        status: 'False',
        reason: 'BudgetAvailable',
        message: 'Admitted by every TaskBudget that covers it',
      },
      now,
    );
    list.step(
      admission.coveredBy.length
        ? `Admitted by TaskBudgets ${admission.coveredBy.join(', ')}`
        : 'No TaskBudget covers it',
    );

    const token = await this.#ensureGitHubToken(task, workspace, list);
    if (token.kind === 'error') {
      return this.#wait(task, list, `Waiting for the GitHub App token: ${token.message}`, {
        set: {
          type: GITHUB_TOKEN_CONDITION,
          status: 'False',
          reason: 'TokenMintFailed',
          message: `Secret ${namespace}/${token.secret} not written: ${token.message}`,
        },
        keep: conditions,
        requeueAfterMs: this.#tokenRetryMs(task),
      });
    }
    if (token.kind === 'ok') {
      conditions = resolveCondition(
        conditions,
        {
          type: GITHUB_TOKEN_CONDITION,
          status: 'True',
          reason: 'TokenMinted',
          message: `Installation token in Secret ${namespace}/${token.secret}`,
        },
        now,
      );
    }

    const prompt = renderPrompt(task, deps.state === 'ready' ? deps.deps : []);
    if (!prompt.ok) return this.#fail(task, list, { reason: 'PromptRenderFailed', message: prompt.message });
    if (deps.state === 'ready') list.step('Prompt rendered with dependency results');

    const rendered = this.#o.runtime.renderJob({
      task,
      workspace,
      agentConfigs,
      prompt: prompt.prompt,
      ...(token.kind === 'ok' ? { githubTokenSecretName: token.secret } : {}),
    });
    const renderErrors = rendered.diagnostics.filter((d) => d.severity === 'error');
    if (renderErrors.length || !rendered.job) {
      const detail = renderErrors.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ');
      return this.#fail(task, list, {
        reason: 'JobRenderFailed',
        message: `Cannot build the Job: ${detail || 'no Job rendered'}`,
      });
    }
    const notes = rendered.diagnostics.filter((d) => d.severity !== 'error');
    list.step(notes.length ? `Job rendered (${notes.map((d) => d.message).join('; ')})` : 'Job rendered');

    for (const cm of rendered.configMaps) await this.#createOwned(Resources.ConfigMap, cm, task, list);
    const job = await this.#createOwned(Resources.Job, this.#withLabels(rendered.job, task), task, list);
    if (!job) {
      return this.#fail(task, list, {
        reason: 'JobConflict',
        message: `Job ${namespace}/${name} already exists and is not owned by this Task`,
      });
    }
    // The Job is what admits the Task. The finalizer, the label snapshot and the status follow
    // in the next reconcile, which the Job's ADDED event brings: in a burst, every new Task gets
    // its Job first and the bookkeeping comes after. A crash in between loses nothing: the Job
    // is owned by the Task (garbage-collected with it) and found again by name.
    this.#remember(task).conditions = conditions;
    return { requeueAfterMs: ADMITTED_REQUEUE_MS };
  }

  /** The entry of {@link TaskReconciler.#pending} for this Task (a new one if the uid changed). */
  #remember(task: Task): {
    uid: string;
    validation?: readonly Diagnostic[];
    conditions?: readonly Condition[];
  } {
    const key = `${task.metadata.namespace}/${task.metadata.name}`;
    const uid = task.metadata.uid ?? '';
    let entry = this.#pending.get(key);
    if (!entry || entry.uid !== uid) {
      entry = { uid };
      this.#pending.set(key, entry);
    }
    return entry;
  }

  #validate(task: Task): readonly Diagnostic[] {
    const entry = this.#remember(task);
    entry.validation ??= this.#o.runtime.validate(task).filter((d) => d.severity === 'error');
    return entry.validation;
  }

  /** Puts the labels selectors depend on onto the Job and its Pod template, whatever the renderer did. */
  #withLabels(job: KubeObject, task: Task): KubeObject {
    const name = task.metadata.name ?? '';
    const ours = { [Labels.ManagedBy]: MANAGED_BY, [Labels.Task]: name };
    const spec = (job['spec'] ?? {}) as { template?: { metadata?: { labels?: Record<string, string> } } };
    const template = spec.template ?? {};
    return {
      ...job,
      metadata: {
        ...job.metadata,
        namespace: task.metadata.namespace,
        name,
        labels: { ...job.metadata.labels, ...ours },
      },
      spec: {
        ...spec,
        template: {
          ...template,
          metadata: { ...template.metadata, labels: { ...template.metadata?.labels, ...ours } },
        },
      },
    };
  }

  /**
   * Creates a child owned by `task` (owner reference added when missing). An existing child
   * is fine when it is ours: a restart between create and status write must not fail.
   * Returns undefined when the name is taken by something we do not own.
   */
  async #createOwned(
    type: ResourceType,
    obj: KubeObject,
    task: Task,
    list: Checklist,
  ): Promise<KubeObject | undefined> {
    const owner = ownerReferenceTo(task);
    const refs = obj.metadata.ownerReferences ?? [];
    const body: KubeObject = {
      ...obj,
      metadata: {
        ...obj.metadata,
        namespace: task.metadata.namespace,
        ownerReferences: refs.some((r) => r.controller) ? refs : [...refs, owner],
      },
    };
    const what = `${type.kind} ${body.metadata.namespace}/${body.metadata.name}`;
    try {
      const created = await this.#o.client.create(type, body);
      list.write(`${what} created`);
      return created;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await this.#o.client.get<KubeObject>(
        type,
        body.metadata.namespace,
        body.metadata.name ?? '',
      );
      if (existing && isOwnedBy(existing, task)) {
        list.step(`${what} already exists and is ours`);
        return existing;
      }
      list.step(`${what} already exists and is not ours`);
      return undefined;
    }
  }

  // ---- tracking -----------------------------------------------------------------------------

  async #track(admitted: Task, job: CachedJob, list: Checklist): Promise<ReconcileResult | undefined> {
    let task = admitted;
    const { namespace, name } = task.metadata as { namespace: string; name: string };
    if (!isOwnedBy(job, task)) {
      return this.#fail(task, list, {
        reason: 'JobConflict',
        message: `Job ${namespace}/${name} already exists and is not owned by this Task`,
      });
    }
    task = await this.#ensureFinalizer(task, list);
    const stop = jobFinished(job) ? undefined : this.#stoppingBudget(task);
    if (stop) {
      if (!job.metadata.deletionTimestamp) {
        await this.#o.client.delete(Resources.Job, namespace, name, {
          uid: job.metadata.uid,
          propagationPolicy: 'Background',
        });
        list.write(`Job deleted: TaskBudget "${stop.budget}" is used up and enforces StopRunning`);
      }
      const message = `Stopped by TaskBudget "${stop.budget}": ${stop.reason}`;
      return this.#fail(task, list, {
        reason: 'BudgetExceeded',
        message,
        condition: { type: ConditionTypes.BudgetBlocked, status: 'True', reason: 'BudgetExceeded', message },
      });
    }

    const pod = newestPod(this.#o.caches.pods.byIndex(TaskIndexes.Job, `${namespace}/${name}`));
    const observed = observeJob(job, pod);
    const next: TaskStatus = {
      ...task.status,
      phase: observed.phase,
      jobName: name,
      message: observed.message,
    };
    const admittedNow = !task.status?.jobName;
    if (admittedNow) {
      next.conditions = this.#conditionsOnAdmission(task);
      if (!next.conditions.length) delete next.conditions;
    }
    if (observed.podName) next.podName = observed.podName;
    if (!next.startTime && observed.startTime && observed.phase !== TaskPhase.Pending)
      next.startTime = observed.startTime;
    const finishing = isTerminalPhase(observed.phase);
    if (finishing) {
      next.completionTime = task.status?.completionTime ?? (observed.completionTime || isoNow(this.#o.clock));
      const captured = await this.#capture(pod, list);
      if (captured) {
        next.outputs = captured.outputs;
        next.results = captured.results;
        if (captured.usage) next.usage = captured.usage;
      }
    }
    list.step(`Job observed: ${observed.phase}`);
    const event = admittedNow
      ? { type: 'Normal' as const, reason: 'JobCreated', note: `Created Job ${namespace}/${name}` }
      : this.#phaseEvent(observed.phase, observed.message);
    const written = await this.#writeStatus(task, next, list, event);
    if (finishing) {
      this.#tokens.delete(`${namespace}/${name}`);
      this.#countCompletion(written);
      return this.#afterFinish(written, job, list);
    }
    return this.#refreshGitHubToken(written, list);
  }

  // ---- GitHub App token -------------------------------------------------------------------

  /** Keeps the token of a running Task fresh; the requeue comes back before it is due. */
  async #refreshGitHubToken(task: Task, list: Checklist): Promise<ReconcileResult | undefined> {
    const wsName = workspaceOf(task);
    const workspace = wsName ? this.#o.caches.workspaces.get(task.metadata.namespace, wsName) : undefined;
    const token = await this.#ensureGitHubToken(task, workspace, list);
    if (token.kind === 'none') return undefined;
    if (token.kind === 'error') {
      this.#o.events.record(task, 'Warning', 'GitHubTokenRefreshFailed', token.message, 'Reconcile');
      return { requeueAfterMs: this.#tokenRetryMs(task) };
    }
    return {
      requeueAfterMs: Math.max(1_000, token.expiresAt - TOKEN_REFRESH_MARGIN_MS - this.#o.clock.now()),
    };
  }

  /** Retry delay after the latest mint failure of this Task: doubles per failure, capped. */
  #tokenRetryMs(task: Task): number {
    const failures = this.#tokens.get(`${task.metadata.namespace}/${task.metadata.name}`)?.failures ?? 1;
    return Math.min(TOKEN_RETRY_MAX_MS, TOKEN_RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
  }

  /**
   * Makes sure `<task>-github-token` holds an installation token with more than
   * {@link TOKEN_REFRESH_MARGIN_MS} left when the Workspace Secret holds GitHub App keys.
   * The private key is read here and goes nowhere but into the JWT signature.
   */
  async #ensureGitHubToken(
    task: Task,
    workspace: Workspace | undefined,
    list: Checklist,
  ): Promise<TokenState> {
    const { namespace, name } = task.metadata as { namespace: string; name: string };
    const key = `${namespace}/${name}`;
    const uid = task.metadata.uid ?? '';
    const now = this.#o.clock.now();
    const stored = this.#tokens.get(key);
    const entry = stored?.uid === uid ? stored : { uid, state: undefined, failures: 0 };
    const known = entry.state;
    if (known?.kind === 'none') return known;
    if (known?.kind === 'ok' && known.expiresAt - TOKEN_REFRESH_MARGIN_MS > now) return known;
    const remember = (state: TokenState): TokenState => {
      entry.state = state;
      entry.failures = state.kind === 'error' ? entry.failures + 1 : 0;
      this.#tokens.set(key, entry);
      return state;
    };

    const sourceName = workspace?.spec.secretRef?.name;
    if (!workspace || !sourceName) return remember({ kind: 'none' });
    const source = await this.#o.client.get<SecretObject>(Resources.Secret, namespace, sourceName);
    const creds = appCredentialsOf(source?.data);
    // A missing Secret counts as none: the Job then names the Workspace Secret and its Pod
    // waits for it, and the reconciles of a running Job do not read it again and again.
    if (!creds) return remember({ kind: 'none' });

    const secret = githubTokenSecretName(name);
    const existing = await this.#o.client.get<SecretObject>(Resources.Secret, namespace, secret);
    if (existing && !isOwnedBy(existing, task)) {
      list.step(`Secret ${namespace}/${secret} exists and is not ours`);
      return remember({
        kind: 'error',
        secret,
        message: `Secret ${namespace}/${secret} exists and is not owned by this Task`,
      });
    }
    const expiry = Date.parse(existing?.metadata.annotations?.[TOKEN_EXPIRY_ANNOTATION] ?? '');
    if (existing?.data?.[TOKEN_KEY] && expiry - TOKEN_REFRESH_MARGIN_MS > now) {
      list.step(`GitHub App token in Secret ${namespace}/${secret} is fresh`);
      return remember({ kind: 'ok', secret, expiresAt: expiry });
    }

    const apiBaseUrl = this.#o.githubApiUrl || githubApiBaseUrl(workspace.spec.repo);
    let minted: { token: string; expiresAt: number };
    try {
      minted = await mintInstallationToken({
        ...creds,
        apiBaseUrl,
        fetch: this.#o.fetch ?? globalThis.fetch,
        now,
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      list.step(
        `GitHub App token not minted (App ${creds.appId}, installation ${creds.installationId}): ${message}`,
      );
      return remember({ kind: 'error', secret, message });
    }
    const annotations = { [TOKEN_EXPIRY_ANNOTATION]: new Date(minted.expiresAt).toISOString() };
    const data = { [TOKEN_KEY]: Buffer.from(minted.token, 'utf8').toString('base64') };
    if (existing) {
      await this.#o.client.mergePatch(
        Resources.Secret,
        namespace,
        secret,
        { metadata: { annotations }, data },
        { resourceVersion: existing.metadata.resourceVersion },
      );
      list.write(
        `GitHub App token refreshed in Secret ${namespace}/${secret} (expires ${annotations[TOKEN_EXPIRY_ANNOTATION]})`,
      );
    } else {
      const body: SecretObject & { type: string } = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: secret,
          namespace,
          labels: { [Labels.ManagedBy]: MANAGED_BY, [Labels.Task]: name },
          annotations,
          ownerReferences: [ownerReferenceTo(task)],
        },
        type: 'Opaque',
        data,
      };
      await this.#o.client.create(Resources.Secret, body);
      list.write(
        `GitHub App token minted into Secret ${namespace}/${secret} (expires ${annotations[TOKEN_EXPIRY_ANNOTATION]})`,
      );
    }
    return remember({ kind: 'ok', secret, expiresAt: minted.expiresAt });
  }

  /**
   * Adds the finalizer (and, for a Task a TaskBudget covers, the snapshot of the labels it was
   * admitted with) once its Job exists. Returns the Task as written.
   */
  async #ensureFinalizer(task: Task, list: Checklist): Promise<Task> {
    if (task.metadata.deletionTimestamp) return task;
    const finalizers = task.metadata.finalizers ?? [];
    const snapshot =
      !task.status?.jobName &&
      !task.metadata.annotations?.[Annotations.TaskBudgetLabels] &&
      this.#coveredByBudget(task)
        ? JSON.stringify(task.metadata.labels ?? {})
        : undefined;
    if (finalizers.includes(FINALIZER) && !snapshot) return task;
    const { namespace, name } = task.metadata as { namespace: string; name: string };
    const metadata: Record<string, unknown> = { finalizers: [...new Set([...finalizers, FINALIZER])] };
    if (snapshot) metadata['annotations'] = { [Annotations.TaskBudgetLabels]: snapshot };
    const written = await this.#o.client.mergePatch<Task>(
      Resources.Task,
      namespace,
      name,
      { metadata },
      { resourceVersion: task.metadata.resourceVersion },
    );
    list.writeRoutine(
      snapshot ? 'Finalizer added; labels snapshotted for TaskBudget accounting' : 'Finalizer added',
    );
    return written;
  }

  #coveredByBudget(task: Task): boolean {
    return this.#o.caches.budgets.list(task.metadata.namespace).some((b) => {
      const state = this.#o.budgets.stateOf(b);
      return state.ok && matches(state.selector, task.metadata.labels);
    });
  }

  /**
   * Conditions of a Task whose Job was just created: the ones admission computed (when this
   * process admitted it), else the gate conditions it carried, flipped to passed.
   */
  #conditionsOnAdmission(task: Task): Condition[] {
    const key = `${task.metadata.namespace}/${task.metadata.name}`;
    const entry = this.#pending.get(key);
    this.#pending.delete(key);
    if (entry && entry.uid === task.metadata.uid && entry.conditions) return [...entry.conditions];
    const now = isoNow(this.#o.clock);
    let c = task.status?.conditions ?? [];
    for (const input of PASSED_GATES) c = resolveCondition(c, input, now);
    return [...c];
  }

  #phaseEvent(phase: string, message: string): { type: EventType; reason: string; note: string } {
    switch (phase) {
      case TaskPhase.Running:
        return { type: 'Normal', reason: 'TaskRunning', note: 'The agent is running' };
      case TaskPhase.Succeeded:
        return { type: 'Normal', reason: 'TaskSucceeded', note: message };
      case TaskPhase.Failed:
        return { type: 'Warning', reason: 'TaskFailed', note: message };
      default:
        return { type: 'Normal', reason: 'TaskPending', note: message };
    }
  }

  /** Outputs from the termination message; the pod log only when that is empty. */
  async #capture(pod: CachedPod | undefined, list: Checklist): Promise<ReturnType<typeof parseLogOutputs>> {
    const message = terminationMessage(pod);
    if (message) {
      const parsed = parseTerminationMessage(message);
      list.step(
        parsed
          ? `Outputs read from the termination message (${parsed.outputs.length} lines)`
          : 'Termination message has no outputs',
      );
      if (parsed) return parsed;
    }
    if (!pod || this.#o.logFallback === false) return undefined;
    const path = `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace ?? '')}/pods/${encodeURIComponent(
      pod.metadata.name ?? '',
    )}/log?container=kelos-agent&tailLines=100`;
    try {
      const parsed = parseLogOutputs(await this.#o.client.getText(path));
      list.step(
        parsed ? `Outputs read from the pod log (${parsed.outputs.length} lines)` : 'Pod log has no outputs',
      );
      return parsed;
    } catch (err) {
      list.step(
        `Pod log not readable (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); no outputs recorded`,
      );
      return undefined;
    }
  }

  /** The StopRunning budget that is used up and covers this Task, if any. */
  #stoppingBudget(task: Task): { budget: string; reason: string } | undefined {
    const labels = admittedLabels(task);
    for (const b of this.#o.caches.budgets.list(task.metadata.namespace)) {
      if (b.spec?.enforcement !== 'StopRunning') continue;
      const state = this.#o.budgets.stateOf(b);
      // A broken budget blocks new Tasks (fail closed) but does not kill running ones.
      if (!state.ok || !state.exhausted || !matches(state.selector, labels)) continue;
      return { budget: b.metadata.name ?? '', reason: state.exhausted };
    }
    return undefined;
  }

  #countCompletion(task: Task): void {
    const m = this.#o.metrics;
    if (!m) return;
    const { type, model } = agentOf(task);
    const namespace = task.metadata.namespace ?? '';
    m.taskCompletions.inc({ namespace, type, phase: task.status?.phase ?? '' });
    const usage = task.status?.usage;
    if (!usage) return;
    const labels = { namespace, spawner: task.metadata.labels?.[Labels.TaskSpawner] ?? '', model };
    if (usage.inputTokens) m.inputTokens.inc(labels, usage.inputTokens);
    if (usage.outputTokens) m.outputTokens.inc(labels, usage.outputTokens);
    const cost = Number(usage.costUSD);
    if (Number.isFinite(cost) && cost > 0) m.costUSD.inc(labels, cost);
  }

  // ---- after completion ---------------------------------------------------------------------

  async #afterFinish(
    task: Task,
    job: CachedJob | undefined,
    list: Checklist,
  ): Promise<ReconcileResult | undefined> {
    const { namespace, name } = task.metadata as { namespace: string; name: string };
    // A Task failed by us (a StopRunning budget, a vanished dependency) may still have a live Job.
    if (job && !jobFinished(job) && !job.metadata.deletionTimestamp && isOwnedBy(job, task)) {
      await this.#o.client.delete(Resources.Job, namespace, name, {
        uid: job.metadata.uid,
        propagationPolicy: 'Background',
      });
      list.write(`Job ${namespace}/${name} of the finished Task deleted`);
    }
    await this.#ensureRecord(task, list);
    return this.#applyTtl(task, list);
  }

  async #ensureRecord(task: Task, list: Checklist): Promise<void> {
    const usage = task.status?.usage;
    const uid = task.metadata.uid;
    const phase = task.status?.phase;
    const completionTime = task.status?.completionTime;
    if (!hasUsage(usage) || !uid || !completionTime || (phase !== 'Succeeded' && phase !== 'Failed')) return;
    const namespace = task.metadata.namespace ?? '';
    if (this.#o.caches.records.get(namespace, uid)) return;
    // Past its own TTL the record would be deleted at once; do not bring it back.
    if (Date.parse(completionTime) + DEFAULT_TASK_RECORD_TTL_SECONDS * 1000 <= this.#o.clock.now()) return;
    const { type, model } = agentOf(task);
    const record: TaskRecord = {
      apiVersion: KELOS_API_VERSION,
      kind: 'TaskRecord',
      metadata: { name: uid, namespace, labels: admittedLabels(task) ?? {} },
      spec: {
        taskRef: { name: task.metadata.name ?? '', uid },
        ...(type ? { type: type as TaskRecord['spec']['type'] } : {}),
        ...(model ? { model } : {}),
        phase,
        ...(task.status?.startTime ? { startTime: task.status.startTime } : {}),
        completionTime,
        usage,
        ttlSecondsAfterCompletion: DEFAULT_TASK_RECORD_TTL_SECONDS,
      },
    };
    try {
      await this.#o.client.create(Resources.TaskRecord, record);
      list.write(`TaskRecord ${namespace}/${uid} created`);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      list.step(`TaskRecord ${namespace}/${uid} exists`);
    }
  }

  async #applyTtl(task: Task, list: Checklist): Promise<ReconcileResult | undefined> {
    const ttl = task.spec?.ttlSecondsAfterFinished;
    const done = Date.parse(task.status?.completionTime ?? '');
    if (ttl === undefined || Number.isNaN(done)) return undefined;
    const remaining = done + ttl * 1000 - this.#o.clock.now();
    if (remaining > 0) {
      list.step(`Deleted in ${Math.ceil(remaining / 1000)} s (ttlSecondsAfterFinished)`);
      return { requeueAfterMs: remaining };
    }
    const { namespace, name } = task.metadata as { namespace: string; name: string };
    await this.#o.client.delete(Resources.Task, namespace, name, { uid: task.metadata.uid });
    list.write('Task deleted: ttlSecondsAfterFinished expired');
    this.#o.events.record(
      task,
      'Normal',
      'TaskExpired',
      `Deleted ${ttl} s after it finished (ttlSecondsAfterFinished)`,
      'Delete',
    );
    return undefined;
  }

  // ---- status writes ----------------------------------------------------------------------

  /** Waiting: phase, message and one gate condition; other conditions kept (or `keep`). */
  async #wait(
    task: Task,
    list: Checklist,
    message: string,
    opts: { set: ConditionInput; keep?: readonly Condition[]; requeueAfterMs?: number },
  ): Promise<ReconcileResult | undefined> {
    const now = isoNow(this.#o.clock);
    const conditions = setCondition(opts.keep ?? task.status?.conditions, opts.set, now);
    list.step(message);
    await this.#writeStatus(task, { ...task.status, phase: TaskPhase.Waiting, message, conditions }, list, {
      type: 'Normal',
      reason: 'TaskWaiting',
      note: message,
    });
    return opts.requeueAfterMs === undefined ? undefined : { requeueAfterMs: opts.requeueAfterMs };
  }

  /** Failed for good, with a message (and a condition when it explains the failure). */
  async #fail(
    task: Task,
    list: Checklist,
    f: { reason: string; message: string; condition?: ConditionInput },
  ): Promise<ReconcileResult | undefined> {
    const now = isoNow(this.#o.clock);
    let conditions = task.status?.conditions ?? [];
    if (f.condition) conditions = setCondition(conditions, f.condition, now);
    const status: TaskStatus = {
      ...task.status,
      phase: TaskPhase.Failed,
      message: f.message,
      completionTime: task.status?.completionTime ?? now,
      conditions,
    };
    if (!conditions.length) delete status.conditions;
    list.step(`Failed: ${f.message}`);
    const written = await this.#writeStatus(task, status, list, {
      type: 'Warning',
      reason: f.reason,
      note: f.message,
    });
    this.#countCompletion(written);
    return this.#applyTtl(written, list);
  }

  /**
   * Writes `next` through the status subresource when it differs from the current status,
   * guarded by the Task's resourceVersion. Records an Event when the phase changed.
   */
  async #writeStatus(
    task: Task,
    next: TaskStatus,
    list: Checklist,
    event: { type: EventType; reason: string; note: string },
  ): Promise<Task> {
    const patch = statusPatch(
      task.status as Record<string, unknown> | undefined,
      next as Record<string, unknown>,
    );
    if (!patch) {
      list.step('Status unchanged');
      return task;
    }
    const { namespace, name } = task.metadata as { namespace: string; name: string };
    const written = await this.#o.client.mergePatch<Task>(
      Resources.Task,
      namespace,
      name,
      { status: patch },
      { subresource: 'status', resourceVersion: task.metadata.resourceVersion },
    );
    if (task.status?.phase !== next.phase)
      list.write(`Status written: ${task.status?.phase || 'new'} → ${next.phase}`);
    else list.writeRoutine(`Status written: ${next.phase}`);
    if (task.status?.phase !== next.phase) {
      this.#o.events.record(written, event.type, event.reason, event.note, 'Reconcile');
    }
    return written;
  }
}
