/**
 * Status writes of a Task: waiting at a gate, failed for good, and the one guarded write
 * through the status subresource (only when something changed, with an Event when the phase
 * changed).
 *
 * @packageDocumentation
 */
import { type Condition, type Task, TaskPhase, type TaskStatus } from '../../../api/index.ts';
import { rfc3339 } from '../../../kube/clock.ts';
import type { EventType } from '../../../kube/events.ts';
import type { Checklist } from '../../../kube/log.ts';
import type { ReconcileResult } from '../../../kube/queue.ts';
import { Resources } from '../../resources.ts';
import { type ConditionInput, findCondition, setCondition, statusPatch } from '../../status.ts';
import { applyTtl, countCompletion } from './finish.ts';
import { nameOf, type TaskReconcilerOptions } from './options.ts';

/** The Event recorded when a write changes the phase. */
export interface PhaseEvent {
  readonly type: EventType;
  readonly reason: string;
  readonly note: string;
}

/**
 * Waiting: phase, message and one gate condition; other conditions kept (or `keep`). With
 * `warning`, a Warning Event of that reason is recorded when the condition changes (not
 * on every re-check, which writes nothing), instead of the Normal `TaskWaiting` one: waiting
 * for something only a person can fix (a missing Secret) must show in `kubectl get events`.
 */
export async function wait(
  o: TaskReconcilerOptions,
  task: Task,
  list: Checklist,
  message: string,
  opts: { set: ConditionInput; keep?: readonly Condition[]; requeueAfterMs?: number; warning?: string },
): Promise<ReconcileResult | undefined> {
  const now = rfc3339(o.clock.now());
  const conditions = setCondition(opts.keep ?? task.status?.conditions, opts.set, now);
  const before = findCondition(task.status?.conditions, opts.set.type);
  const changed =
    before?.status !== opts.set.status ||
    before.reason !== opts.set.reason ||
    before.message !== opts.set.message;
  // Waiting on what only a person can fix is a failure too, on every re-check, not only the first.
  if (opts.warning) list.fail(message);
  else list.step(message);
  const written = await writeStatus(
    o,
    task,
    { ...task.status, phase: TaskPhase.Waiting, message, conditions },
    list,
    opts.warning ? undefined : { type: 'Normal', reason: 'TaskWaiting', note: message },
  );
  if (opts.warning && changed) o.events.record(written, 'Warning', opts.warning, opts.set.message, 'Admit');
  return opts.requeueAfterMs === undefined ? undefined : { requeueAfterMs: opts.requeueAfterMs };
}

/**
 * Failed for good, with a message (and a condition when it explains the failure). `keep`: the
 * conditions to start from instead of the stored ones, so a Task that failed after its gates
 * passed no longer shows the gate it waited on (`DependenciesReady=False`, waiting) as open.
 */
export async function fail(
  o: TaskReconcilerOptions,
  task: Task,
  list: Checklist,
  f: { reason: string; message: string; condition?: ConditionInput; keep?: readonly Condition[] },
): Promise<ReconcileResult | undefined> {
  const now = rfc3339(o.clock.now());
  let conditions = [...(f.keep ?? task.status?.conditions ?? [])];
  if (f.condition) conditions = setCondition(conditions, f.condition, now);
  const status: TaskStatus = {
    ...task.status,
    phase: TaskPhase.Failed,
    message: f.message,
    completionTime: task.status?.completionTime ?? now,
    conditions,
  };
  if (!conditions.length) delete status.conditions;
  list.fail(`Failed: ${f.message}`);
  const written = await writeStatus(o, task, status, list, {
    type: 'Warning',
    reason: f.reason,
    note: f.message,
  });
  countCompletion(o, written);
  return applyTtl(o, written, list);
}

/**
 * Writes `next` through the status subresource when it differs from the current status,
 * guarded by the Task's resourceVersion. Records `event` (if any) when the phase changed.
 */
export async function writeStatus(
  o: TaskReconcilerOptions,
  task: Task,
  next: TaskStatus,
  list: Checklist,
  event: PhaseEvent | undefined,
): Promise<Task> {
  const patch = statusPatch(
    task.status as Record<string, unknown> | undefined,
    next as Record<string, unknown>,
  );
  if (!patch) {
    list.step('Status unchanged');
    return task;
  }
  const { namespace, name } = nameOf(task);
  const written = await o.client.mergePatch<Task>(
    Resources.Task,
    namespace,
    name,
    { status: patch },
    { subresource: 'status', resourceVersion: task.metadata.resourceVersion },
  );
  if (task.status?.phase !== next.phase)
    list.write(`Status written: ${task.status?.phase || 'new'} → ${next.phase}`);
  else list.writeRoutine(`Status written: ${next.phase}`);
  if (event && task.status?.phase !== next.phase) {
    if (event.type === 'Warning') list.failed = true;
    o.events.record(written, event.type, event.reason, event.note, 'Reconcile');
  }
  return written;
}

/** The Event of a phase the Job moved the Task to. */
export function phaseEvent(phase: string, message: string): PhaseEvent {
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
