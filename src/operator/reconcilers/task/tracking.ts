/**
 * Tracking of an admitted Task: the finalizer (and the TaskBudget label snapshot) once its
 * Job exists, the phase derived from the Job and its newest Pod, the outputs read from the
 * agent container's termination message (pod log as a fallback) on completion, and a stop
 * when a used-up `StopRunning` TaskBudget covers it or the kubelet evicted its Pod for
 * exceeding its storage limits (the Job would otherwise start the agent over).
 *
 * @packageDocumentation
 */
import {
  Annotations,
  type Condition,
  ConditionTypes,
  FINALIZER,
  isTerminalPhase,
  type Task,
  TaskPhase,
  type TaskStatus,
} from '../../../api/index.ts';
import { parseLogOutputs, parseTerminationMessage } from '../../../contract/outputs.ts';
import { rfc3339 } from '../../../kube/clock.ts';
import { matches } from '../../../kube/label-selector.ts';
import type { Checklist } from '../../../kube/log.ts';
import type { ReconcileResult } from '../../../kube/queue.ts';
import {
  agentNeverStarted,
  type CachedJob,
  type CachedPod,
  neverStartedObservation,
  newestPod,
  type Observed,
  observeJob,
  storageLimitEviction,
  terminationMessage,
} from '../../children.ts';
import { Resources } from '../../resources.ts';
import { spawnerOwnerOf } from '../../spawner/ownership.ts';
import { resolveCondition } from '../../status.ts';
import { PASSED_GATES } from './admission-gates.ts';
import type { TaskContext } from './context.ts';
import { deleteTaskJob } from './delete-job.ts';
import { admittedLabels, afterFinish, countCompletion } from './finish.ts';
import {
  isOwnedBy,
  jobFinished,
  nameOf,
  ownedByPreviousTask,
  PREDECESSOR_REQUEUE_MS,
  type TaskReconcilerOptions,
} from './options.ts';
import { fail, phaseEvent, writeStatus } from './status.ts';
import { TaskIndexes } from './watch.ts';

/** Follows an admitted Task's Job: finalizer, budget stop, phase, outputs, finish. */
export async function track(
  ctx: TaskContext,
  admitted: Task,
  job: CachedJob,
  list: Checklist,
): Promise<ReconcileResult | undefined> {
  const { o, tokens } = ctx;
  let task = admitted;
  const { namespace, name } = nameOf(task);
  if (!isOwnedBy(job, task) && ownedByPreviousTask(job, task)) {
    // A Task re-created while its predecessor's Job is still cached (or still being
    // collected): remove that Job, then admit this Task (issue 9, #9). Never a conflict.
    // Gone (or a different Job by now): the requeue looks again.
    const deletion = await deleteTaskJob(o, task, job, 'previous-task');
    if (deletion === 'deleting') list.step(`Waiting for the Job of a previous Task of this name to go`);
    else
      list.write(
        `Job ${namespace}/${name} of a previous Task of this name ${deletion === 'deleted' ? 'deleted' : 'already gone'}`,
      );
    return { requeueAfterMs: PREDECESSOR_REQUEUE_MS };
  }
  if (!isOwnedBy(job, task)) {
    return fail(o, task, list, {
      reason: 'JobConflict',
      message: `Job ${namespace}/${name} already exists and is not owned by this Task`,
    });
  }
  task = await ensureFinalizer(o, task, list);
  const stop = jobFinished(job) ? undefined : stoppingBudget(o, task, job);
  if (stop) {
    if ((await deleteTaskJob(o, task, job)) === 'deleted')
      list.write(`Job deleted: TaskBudget "${stop.budget}" is used up and enforces StopRunning`);
    const message = `Stopped by TaskBudget "${stop.budget}": ${stop.reason}`;
    return fail(o, task, list, {
      reason: 'BudgetExceeded',
      message,
      condition: { type: ConditionTypes.BudgetBlocked, status: 'True', reason: 'BudgetExceeded', message },
    });
  }

  const pods = o.caches.pods.byIndex(TaskIndexes.Job, `${namespace}/${name}`);
  const evicted = jobFinished(job) ? undefined : storageLimitEviction(pods);
  if (evicted) {
    if ((await deleteTaskJob(o, task, job)) === 'deleted')
      list.write('Job deleted: its Pod was evicted for its storage use; another Pod would start over');
    return fail(o, task, list, {
      reason: 'StorageLimitExceeded',
      message: `The agent's Pod was evicted: ${evicted} Raise the workspace's limit (kelos operator --workspace-size-limit) or set spec.worker.podOverrides.resources.limits.ephemeral-storage`,
    });
  }
  const pod = newestPod(pods);
  const seen = observeJob(job, pod);
  // A Task whose agent never ran is charged nothing: without a start time it gets no estimate.
  const never = isTerminalPhase(seen.phase) ? agentNeverStarted(job, pods, task.status ?? {}) : undefined;
  const observed = never ? neverStartedObservation(seen, never) : seen;
  const next: TaskStatus = {
    ...task.status,
    phase: observed.phase,
    jobName: name,
    message: observed.message,
  };
  const admittedNow = !task.status?.jobName;
  const graceMs = admittedNow ? podGraceLeft(ctx, task, job, observed) : 0;
  if (graceMs > 0) {
    // The Pod is on its way: one status write with it beats one now and one when it comes.
    list.step('Job created; the first status waits for its Pod');
    return { requeueAfterMs: graceMs };
  }
  if (admittedNow) {
    next.conditions = conditionsOnAdmission(ctx, task);
    if (!next.conditions.length) delete next.conditions;
  }
  if (observed.podName) next.podName = observed.podName;
  if (!next.startTime && observed.startTime && observed.phase !== TaskPhase.Pending)
    next.startTime = observed.startTime;
  const finishing = isTerminalPhase(observed.phase);
  if (finishing) {
    next.completionTime = task.status?.completionTime ?? (observed.completionTime || rfc3339(o.clock.now()));
    const captured = await capture(o, pod, list);
    if (captured) {
      next.outputs = captured.outputs;
      next.results = captured.results;
      if (captured.usage) next.usage = captured.usage;
    }
  }
  list.step(`Job observed: ${observed.phase}`);
  // No Event for the admission itself: the status write says it (phase Pending, jobName) and
  // the Job controller's Events tell of the Pod; one more write per Task in a burst said nothing new.
  const event =
    admittedNow && observed.phase === TaskPhase.Pending
      ? undefined
      : phaseEvent(observed.phase, observed.message);
  const written = await writeStatus(o, task, next, list, event);
  if (finishing) {
    tokens.forget(`${namespace}/${name}`);
    countCompletion(o, written);
    return afterFinish(o, written, job, list);
  }
  return tokens.refresh(written, list);
}

/**
 * Longest the first status write of a new Task waits for its Pod after this process created
 * its Job. The wait ends sooner as soon as the Job controller has synced the Job without a Pod
 * (quota, admission: nothing is coming), so this bound only matters while the Job controller
 * lags, as it does in a burst of hundreds on a busy control plane.
 */
export const POD_GRACE_MS = 60_000;

/**
 * Milliseconds the first status write of a just-admitted Task should still wait for its Pod:
 * only for a Task with no status yet (one that said `Waiting` says `Pending` at once) and no
 * TaskSpawner, while its Job is pending without a cached Pod, the Job controller has not
 * said it has none (no `startTime` yet, or an `active` Pod the cache has not shown), and this
 * process created the Job less than {@link POD_GRACE_MS} ago (after a restart the status is
 * written at once).
 */
function podGraceLeft(ctx: TaskContext, task: Task, job: CachedJob, observed: Observed): number {
  if (task.status?.phase || observed.podName || observed.phase !== TaskPhase.Pending) return 0;
  // A spawner counts its Tasks without a phase as queued (its queue bound holds further
  // creates, and a queued Task whose item went is withdrawn): its Tasks say Pending at once.
  if (spawnerOwnerOf(task)) return 0;
  if (job.status?.startTime && !job.status.active) return 0;
  const createdAt = ctx.pending.of(task)?.jobCreatedAt;
  if (createdAt === undefined) return 0;
  return Math.max(0, createdAt + POD_GRACE_MS - ctx.o.clock.now());
}

/**
 * Adds the finalizer (and, for a Task a TaskBudget covers, the snapshot of the labels it was
 * admitted with) once its Job exists. Returns the Task as written.
 */
async function ensureFinalizer(o: TaskReconcilerOptions, task: Task, list: Checklist): Promise<Task> {
  if (task.metadata.deletionTimestamp) return task;
  const finalizers = task.metadata.finalizers ?? [];
  const snapshot =
    !task.status?.jobName &&
    !task.metadata.annotations?.[Annotations.TaskBudgetLabels] &&
    coveredByBudget(o, task)
      ? JSON.stringify(task.metadata.labels ?? {})
      : undefined;
  if (finalizers.includes(FINALIZER) && !snapshot) return task;
  const { namespace, name } = nameOf(task);
  const metadata: Record<string, unknown> = { finalizers: [...new Set([...finalizers, FINALIZER])] };
  if (snapshot) metadata['annotations'] = { [Annotations.TaskBudgetLabels]: snapshot };
  const written = await o.client.mergePatch<Task>(
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

/** Whether a usable TaskBudget covers the Task. */
function coveredByBudget(o: TaskReconcilerOptions, task: Task): boolean {
  return o.caches.budgets.list(task.metadata.namespace).some((b) => {
    const state = o.budgets.stateOf(b);
    return state.ok && matches(state.selector, task.metadata.labels);
  });
}

/**
 * Conditions of a Task whose Job was just created: the ones admission computed (when this
 * process admitted it), else the gate conditions it carried, flipped to passed.
 */
function conditionsOnAdmission(ctx: TaskContext, task: Task): Condition[] {
  const entry = ctx.pending.take(task);
  if (entry?.conditions) return [...entry.conditions];
  const now = rfc3339(ctx.o.clock.now());
  let c = task.status?.conditions ?? [];
  for (const input of PASSED_GATES) c = resolveCondition(c, input, now);
  return [...c];
}

/** Outputs from the termination message; the pod log only when that is empty. */
async function capture(
  o: TaskReconcilerOptions,
  pod: CachedPod | undefined,
  list: Checklist,
): Promise<ReturnType<typeof parseLogOutputs>> {
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
  if (!pod || o.logFallback === false) return undefined;
  const path = `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace ?? '')}/pods/${encodeURIComponent(
    pod.metadata.name ?? '',
  )}/log?container=kelos-agent&tailLines=100&limitBytes=${POD_LOG_LIMIT_BYTES}`;
  try {
    const parsed = parseLogOutputs(await o.client.getText(path));
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

/**
 * Most of a pod log the fallback reads: the outputs block is a few KiB, and a log of a few
 * huge lines must not be read whole into the operator's memory (issue 9, #9).
 */
export const POD_LOG_LIMIT_BYTES = 256 * 1024;

/** The StopRunning budget that is used up and covers this Task, if any. */
function stoppingBudget(
  o: TaskReconcilerOptions,
  task: Task,
  job: CachedJob,
): { budget: string; reason: string } | undefined {
  const labels = admittedLabels(task, job);
  for (const b of o.caches.budgets.list(task.metadata.namespace)) {
    if (b.spec?.enforcement !== 'StopRunning') continue;
    const state = o.budgets.stateOf(b);
    // A broken budget blocks new Tasks (fail closed) but does not kill running ones.
    if (!state.ok || !state.exhausted || !matches(state.selector, labels)) continue;
    return { budget: b.metadata.name ?? '', reason: state.exhausted };
  }
  return undefined;
}
