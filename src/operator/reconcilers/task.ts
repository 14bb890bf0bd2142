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
 *    while the Job runs, see step 3); render the prompt and the Job; wait (SecretNotFound)
 *    while a Secret its Pod cannot start without is missing; create the Job. The bookkeeping of
 *    step 3 follows in the reconcile the Job's event brings, so a burst of new Tasks gets its
 *    Jobs first (new Tasks also go through the queue's urgent lane).
 *
 * The steps live in `task/`, one concern per file: `watch.ts` (which events bring which
 * keys), `admission-gates.ts`, `admission.ts` and `secrets.ts` (step 4), `github-token.ts`, `tracking.ts`
 * (step 3), `finish.ts` (step 2) and `status.ts` (every status write). This file is the
 * dispatcher: it reads the Task, picks the step, and logs the checklist the steps wrote.
 *
 * All state lives in the API server: the Job is named after the Task and created
 * idempotently, every Task write carries a resourceVersion precondition, and the status is
 * written only when it changed (so resyncs cost nothing). A reconcile waits while the cache
 * has not shown our own last write yet (`task/own-writes.ts`), rather than lose a race to it.
 *
 * @packageDocumentation
 */
import {
  FINALIZER,
  isTerminalPhase,
  type KubeObject,
  type Task,
  workerPoolUnsupported,
} from '../../api/index.ts';
import { ApiError, isConflict, isNamespaceTerminating, isNotFound } from '../../kube/client.ts';
import { rfc3339 } from '../../kube/clock.ts';
import { Checklist } from '../../kube/log.ts';
import type { ReconcileResult, WorkQueue } from '../../kube/queue.ts';
import { trimJob } from '../children.ts';
import { Resources } from '../resources.ts';
import { Ledgers } from '../webhook/ledger.ts';
import { DELIVERY_ANNOTATION } from '../webhook/ledger-format.ts';
import { ledgerSeed, recordDelivery } from '../webhook/task-delivery.ts';
import { admit } from './task/admission.ts';
import { PendingTasks, type TaskContext } from './task/context.ts';
import { deleteTaskJob } from './task/delete-job.ts';
import { afterFinish, ensureRecord } from './task/finish.ts';
import { GitHubTokens } from './task/github-token.ts';
import { nameOf, TASK_CONTROLLER, type TaskReconcilerOptions } from './task/options.ts';
import { OwnWrites, recordingTaskWrites } from './task/own-writes.ts';
import { BudgetHolds } from './task/reservations.ts';
import { SecretPresence } from './task/secrets.ts';
import { SpawnerSlots } from './task/spawner-gate.ts';
import { fail } from './task/status.ts';
import { track } from './task/tracking.ts';
import { registerTaskWatches } from './task/watch.ts';

export { admittedLabels } from './task/finish.ts';
export { githubTokenSecretName, TOKEN_EXPIRY_ANNOTATION } from './task/github-token.ts';
export {
  TASK_CONTROLLER,
  type TaskCaches,
  type TaskReconcilerOptions,
  type TaskRuntime,
} from './task/options.ts';
export { addSpawnerIndexes, addTaskIndexes, TaskIndexes } from './task/watch.ts';

/**
 * Runs `write`: its result, or `{ going: true }` when the API server refused it because the
 * namespace is being deleted ({@link isNamespaceTerminating}); other errors are thrown.
 */
async function unlessNamespaceGoing<T>(write: () => Promise<T>): Promise<{ value: T } | { going: true }> {
  try {
    return { value: await write() };
  } catch (err) {
    if (isNamespaceTerminating(err)) return { going: true };
    throw err;
  }
}

/** Back-off when a write lost a race with another writer; the watch usually brings the key back first. */
const CONFLICT_REQUEUE_MS = 250;

/** Reconciles Tasks. */
export class TaskReconciler {
  readonly #o: TaskReconcilerOptions;
  readonly #ctx: TaskContext;
  readonly #writes: OwnWrites;

  constructor(options: TaskReconcilerOptions) {
    this.#writes = new OwnWrites(options.clock);
    const client = recordingTaskWrites(options.client, this.#writes);
    const ledgers =
      options.ledgers ??
      new Ledgers({
        client,
        clock: options.clock,
        seed: (s) => ledgerSeed(s, options.caches.tasks),
        spawners: options.caches.spawners,
      });
    const opts = { ...options, client, ledgers };
    this.#o = opts;
    this.#ctx = {
      o: opts,
      pending: new PendingTasks(),
      tokens: new GitHubTokens(opts),
      slots: new SpawnerSlots(),
      holds: new BudgetHolds(),
      secrets: new SecretPresence(opts.clock),
    };
  }

  /** Maps informer events to Task keys on `queue` (see `task/watch.ts`). */
  register(queue: WorkQueue): void {
    // First, so a reconcile the same event starts sees the write as observed.
    this.#o.caches.tasks.onChange((type, key, task) =>
      this.#writes.observed(key, type === 'delete' ? undefined : task),
    );
    registerTaskWatches(this.#o, queue);
  }

  /**
   * Validates and renders a sample Task once, so the schema and CEL validators are compiled
   * and the render's code is warm before the first real Task: compiled on first use, they held
   * the event loop for most of a second (seconds on a loaded machine) while a burst waited.
   * Never throws: a failure here only means the first admission pays instead.
   */
  warmUp(): void {
    const task = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Task',
      metadata: { name: 'warm-up', namespace: 'default', uid: '00000000-0000-0000-0000-000000000000' },
      spec: {
        prompt: 'Warm up.',
        worker: { type: 'claude-code', credentials: { type: 'api-key', secretRef: { name: 'warm-up' } } },
      },
    } as unknown as Task;
    try {
      this.#o.runtime.validate(task);
      this.#o.runtime.renderJob({ task, agentConfigs: [], prompt: 'Warm up.' });
    } catch (err) {
      this.#o.log.debug('Warm-up of validation and render failed', { error: err });
    }
  }

  /** Drops what this process remembers about the Task under `key` (gone or finished). */
  #forget(key: string): void {
    this.#ctx.pending.forget(key);
    this.#ctx.tokens.forget(key);
  }

  /** Reconciles the Task under `key` (`namespace/name`). */
  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const task = this.#o.caches.tasks.getByKey(key);
    const log = this.#o.log.child({ controller: TASK_CONTROLLER, key });
    if (!task) {
      this.#forget(key);
      log.debug('Task is gone; nothing to do');
      return undefined;
    }
    const behind = this.#writes.behind(task);
    if (behind > 0) {
      // Its watch event brings the key back: deciding on the older copy would write again.
      log.debug('Cache is behind our own write; waiting for its event', { requeueAfterMs: behind });
      return { requeueAfterMs: behind };
    }
    const list = new Checklist();
    try {
      const result = await this.#reconcile(task, list);
      const fields = { steps: list.steps, requeueAfterMs: result?.requeueAfterMs };
      log[list.level()]('Reconciled Task', fields);
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
    const { namespace, name } = nameOf(task);
    if (task.metadata.deletionTimestamp) return this.#finalize(task, list);
    const job = this.#o.caches.jobs.get(namespace, name);
    if (isTerminalPhase(task.status?.phase)) {
      this.#forget(`${namespace}/${name}`);
      list.step(`Finished (${task.status?.phase})`);
      return afterFinish(this.#o, task, job, list);
    }
    if (task.spec?.workerPoolRef) {
      return fail(this.#o, task, list, {
        reason: 'WorkerPoolUnsupported',
        message: workerPoolUnsupported('spec'),
      });
    }
    if (job) return track(this.#ctx, task, job, list);
    const jobCreatedHere = this.#ctx.pending.of(task)?.jobCreatedAt !== undefined;
    if (task.status?.jobName || jobCreatedHere) {
      // Admitted before. Either the Job informer lags behind our own create, or someone
      // deleted the Job; ask the API server rather than admitting it a second time.
      const live = await this.#o.client.get<KubeObject>(Resources.Job, namespace, name);
      if (live) {
        list.step('Job not cached yet; read it from the API server');
        return track(this.#ctx, task, trimJob(live), list);
      }
      return fail(this.#o, task, list, {
        reason: 'JobDeleted',
        message: `Job ${namespace}/${name} was deleted before the Task finished`,
      });
    }
    return admit(this.#ctx, task, list);
  }

  async #finalize(task: Task, list: Checklist): Promise<ReconcileResult | undefined> {
    const { namespace, name } = nameOf(task);
    this.#forget(`${namespace}/${name}`);
    if (!task.metadata.finalizers?.includes(FINALIZER)) {
      list.step('Being deleted; our finalizer is not on it');
      return undefined;
    }
    // A Task deleted while it ran is charged too (an estimate, as it reported nothing), so
    // deleting a Task is no way around a budget; a finished one gets the record it is due.
    const ended = isTerminalPhase(task.status?.phase)
      ? undefined
      : ({ phase: 'Failed', completionTime: rfc3339(this.#o.clock.now()) } as const);
    // In a namespace being deleted nothing can be created, the record included; it would go
    // with the namespace anyway. Retrying would keep the finalizer, and the namespace, for ever.
    const recorded = await unlessNamespaceGoing(() =>
      ensureRecord(this.#o, task, this.#o.caches.jobs.get(namespace, name), list, ended),
    );
    if ('going' in recorded) list.step(`TaskRecord not written: namespace ${namespace} is being deleted`);
    const job = await this.#o.client.get<KubeObject>(Resources.Job, namespace, name);
    const deletion = job ? await deleteTaskJob(this.#o, task, job) : 'gone';
    if (deletion === 'deleted') list.write(`Job ${namespace}/${name} deleted (Background propagation)`);
    else list.step('No Job of ours to delete');
    // A webhook Task's delivery must be in the ledger before the Task's name is free, or a
    // redelivery would create it again (its receiver may have died before the record). When
    // this wrote it, a receiver may still answer from an older read of the ledger: wait that out.
    const ledgers = this.#o.ledgers;
    const delivery = ledgers
      ? await unlessNamespaceGoing(() => recordDelivery(ledgers, this.#o.caches.spawners, task))
      : { value: 0 };
    const keep = 'value' in delivery ? delivery.value : 0;
    if (keep > 0) {
      list.step(
        `Webhook delivery ${task.metadata.annotations?.[DELIVERY_ANNOTATION]} recorded in the ledger`,
      );
      return { requeueAfterMs: keep + 100 };
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
}
