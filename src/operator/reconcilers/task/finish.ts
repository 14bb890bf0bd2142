/**
 * After a Task finished: its Job stopped if it still runs, its usage kept in a TaskRecord
 * (named after the Task's UID, the input of TaskBudgets), the completion counted, and the
 * Task deleted once `ttlSecondsAfterFinished` passed.
 *
 * @packageDocumentation
 */
import { Annotations, Labels, type Task, type TaskRecord } from '../../../api/index.ts';
import { DEFAULT_TASK_RECORD_TTL_SECONDS } from '../../../api/task-record.ts';
import { isAlreadyExists } from '../../../kube/client.ts';
import type { Checklist } from '../../../kube/log.ts';
import type { ReconcileResult } from '../../../kube/queue.ts';
import { resolveAgentType, resolveModel } from '../../../render/resolve.ts';
import type { CachedJob } from '../../children.ts';
import { KELOS_API_VERSION, Resources } from '../../resources.ts';
import { recordExpired, recordUsageOf } from '../../usage-estimate.ts';
import { deleteTaskJob } from './delete-job.ts';
import { adminOf, isOwnedBy, jobFinished, nameOf, type TaskReconcilerOptions } from './options.ts';

/**
 * The labels the Task was admitted with: the snapshot on its Job (which the operator wrote, and
 * which a Task author may change only with a grant on Jobs), else its current labels. The Task's own snapshot annotation is
 * not trusted for accounting: anyone who may edit the Task may edit it.
 */
export const admittedLabels = (
  task: Task,
  job: CachedJob | undefined,
): Record<string, string> | undefined => {
  const snap =
    job && isOwnedBy(job, task) ? job.metadata.annotations?.[Annotations.TaskBudgetLabels] : undefined;
  if (snap) {
    try {
      const parsed = JSON.parse(snap) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v;
        return out;
      }
    } catch {
      // Unparseable: fall back to the live labels.
    }
  }
  return task.metadata.labels;
};

/** The agent type and model of a Task, from the fields the render reads. */
const agentOf = (task: Task): { type: string; model: string } => ({
  type: resolveAgentType(task)?.value ?? '',
  model: resolveModel(task)?.value ?? '',
});

/** Counts a finished Task and its usage in the metrics. */
export function countCompletion(o: TaskReconcilerOptions, task: Task): void {
  const m = o.metrics;
  if (!m) return;
  const { type, model } = agentOf(task);
  const namespace = task.metadata.namespace ?? '';
  m.taskCompletions.inc({ namespace, type, phase: task.status?.phase ?? '' });
  const usage = task.status?.usage;
  if (!usage) return;
  const labels = {
    namespace,
    spawner: m.spawners.of(task.metadata.labels?.[Labels.TaskSpawner] ?? ''),
    model: m.models.of(model),
  };
  if (usage.inputTokens) m.inputTokens.inc(labels, usage.inputTokens);
  if (usage.outputTokens) m.outputTokens.inc(labels, usage.outputTokens);
  const cost = Number(usage.costUSD);
  if (Number.isFinite(cost) && cost > 0) m.costUSD.inc(labels, cost);
}

/** Stops a Job that outlived its Task, then keeps the record and applies the TTL. */
export async function afterFinish(
  o: TaskReconcilerOptions,
  task: Task,
  job: CachedJob | undefined,
  list: Checklist,
): Promise<ReconcileResult | undefined> {
  const { namespace, name } = nameOf(task);
  // A Task failed by us (a StopRunning budget, a vanished dependency) may still have a live Job.
  if (job && !jobFinished(job) && (await deleteTaskJob(o, task, job)) === 'deleted')
    list.write(`Job ${namespace}/${name} of the finished Task deleted`);
  await ensureRecord(o, task, job, list);
  return applyTtl(o, task, list);
}

/**
 * Creates the TaskRecord of a finished Task, unless it exists or expired. A Task that reported
 * no usage is charged an estimate from its runtime and its model's rate, marked `estimated`
 * (see usage-estimate.ts). `ended` records a Task deleted while it ran: it counts as Failed,
 * ending now.
 */
export async function ensureRecord(
  o: TaskReconcilerOptions,
  task: Task,
  job: CachedJob | undefined,
  list: Checklist,
  ended?: { phase: 'Failed'; completionTime: string },
): Promise<void> {
  const uid = task.metadata.uid;
  const phase = ended?.phase ?? task.status?.phase;
  const completionTime = ended?.completionTime ?? task.status?.completionTime;
  if (!uid || !completionTime || (phase !== 'Succeeded' && phase !== 'Failed')) return;
  const charged = recordUsageOf(task, adminOf(o).rates, completionTime);
  // A Task that never started ran no agent: nothing to charge.
  if (!charged) return;
  const { usage, estimated } = charged;
  const namespace = task.metadata.namespace ?? '';
  if (o.caches.records.get(namespace, uid)) return;
  // Past its own TTL the record would be deleted at once; do not bring it back.
  if (recordExpired(completionTime, o.clock.now())) return;
  const { type, model } = agentOf(task);
  const record: TaskRecord = {
    apiVersion: KELOS_API_VERSION,
    kind: 'TaskRecord',
    metadata: { name: uid, namespace, labels: admittedLabels(task, job) ?? {} },
    spec: {
      taskRef: { name: task.metadata.name ?? '', uid },
      ...(type ? { type: type as TaskRecord['spec']['type'] } : {}),
      ...(model ? { model } : {}),
      phase,
      ...(task.status?.startTime ? { startTime: task.status.startTime } : {}),
      completionTime,
      usage,
      ...(estimated ? { estimated: true } : {}),
      ttlSecondsAfterCompletion: DEFAULT_TASK_RECORD_TTL_SECONDS,
    },
  };
  try {
    await o.client.createMetadataOnly(Resources.TaskRecord, record);
    list.write(
      `TaskRecord ${namespace}/${uid} created${estimated ? ` (estimated ${usage.costUSD} USD: no usage reported)` : ''}`,
    );
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    list.step(`TaskRecord ${namespace}/${uid} exists`);
  }
}

/** Deletes the Task once `ttlSecondsAfterFinished` passed; else requeues for that moment. */
export async function applyTtl(
  o: TaskReconcilerOptions,
  task: Task,
  list: Checklist,
): Promise<ReconcileResult | undefined> {
  const ttl = task.spec?.ttlSecondsAfterFinished;
  const done = Date.parse(task.status?.completionTime ?? '');
  if (ttl === undefined || Number.isNaN(done)) return undefined;
  const remaining = done + ttl * 1000 - o.clock.now();
  if (remaining > 0) {
    list.step(`Deleted in ${Math.ceil(remaining / 1000)} s (ttlSecondsAfterFinished)`);
    return { requeueAfterMs: remaining };
  }
  const { namespace, name } = nameOf(task);
  await o.client.delete(Resources.Task, namespace, name, { uid: task.metadata.uid });
  list.write('Task deleted: ttlSecondsAfterFinished expired');
  o.events.record(
    task,
    'Normal',
    'TaskExpired',
    `Deleted ${ttl} s after it finished (ttlSecondsAfterFinished)`,
    'Delete',
  );
  return undefined;
}
