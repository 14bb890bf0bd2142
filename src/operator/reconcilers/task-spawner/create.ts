/**
 * Carrying out a {@link SpawnPlan}: fetch each item's context, build its Task, stamp its
 * serial number and pick-up rank, create it; delete and create again the retriggered ones;
 * delete the queued Tasks whose item went away. Everything is idempotent: a name that exists
 * and is ours is a duplicate (nothing to do), one that is not ours is a collision (a
 * `DiscoveryError`, never adopted).
 *
 * @packageDocumentation
 */
import type { Task, TaskSpawner } from '../../../api/index.ts';
import { ApiError, isAlreadyExists, isConflict, isNotFound, isStatus } from '../../../kube/client.ts';
import type { Checklist } from '../../../kube/log.ts';
import { Resources } from '../../resources.ts';
import { belongsTo } from '../../spawner/ownership.ts';
import type { PlannedTask, SpawnPlan } from '../../spawner/plan.ts';
import { buildTask } from '../../spawner/task-build.ts';
import { templateVars } from '../../spawner/work-item.ts';
import { SPAWNER_PRIORITY_ANNOTATION } from '../task/spawner-gate.ts';
import { contextFetcher } from './context-fetch.ts';
import { SEQUENCE_ANNOTATION, spawnerName, type TaskSpawnerReconcilerOptions } from './options.ts';

/** What carrying out a plan did. */
export interface Applied {
  /** Names created, in order. */
  readonly created: string[];
  /** Names that already existed and are ours (the cache lagged). */
  readonly duplicates: string[];
  readonly withdrawn: string[];
  /** Per-item problems (collisions, templates, context sources, API errors), as messages. */
  readonly errors: { readonly reason: string; readonly message: string }[];
  /** The serial number of the last Task created. */
  readonly lastSequence: number;
}

/** The index of the item's first `priorityLabels` match, if any. */
export const priorityRank = (spawner: TaskSpawner, labels: readonly string[]): number | undefined => {
  const w = spawner.spec.when;
  const prio = w.githubIssues?.priorityLabels ?? w.githubPullRequests?.priorityLabels ?? [];
  const set = new Set(labels.map((l) => l.toLowerCase()));
  const i = prio.findIndex((p) => set.has(p.toLowerCase()));
  return i < 0 ? undefined : i;
};

/** etcd's refusal of a large value, from etcd itself or from the API server's gRPC client. */
const TOO_LARGE = /request is too large|trying to send message larger than max/i;

/**
 * Whether the API server refused the object itself, rather than the request: 400 Bad Request
 * and 422 Invalid (a label value the title rendered into, an admission policy), 413 and etcd's
 * "request is too large" (a prompt rendered from a huge description), an admission webhook's
 * denial. Those concern this item's Task alone, so the items after it are still created. No
 * permission (403), a quota, overload (429) or a network error would meet every create after
 * it too, so they end the pass.
 */
export const isItemRefused = (err: unknown): boolean => {
  if (!(err instanceof ApiError)) return false;
  if (err.status === 400 || err.status === 413 || err.status === 422) return true;
  if (err.status === 500) return TOO_LARGE.test(err.message);
  return err.status === 403 && /admission webhook .* denied the request/i.test(err.message);
};

/** Why a refused Task was refused, with what to change when its size is the reason. */
const refusalOf = (err: Error, task: Task): string => {
  if (!isStatus(err, 413) && !TOO_LARGE.test(err.message)) return err.message;
  const mib = (Buffer.byteLength(JSON.stringify(task)) / 2 ** 20).toFixed(1);
  return `${err.message} (the Task is ${mib} MiB as JSON, more than the API server stores; shorten what spec.taskTemplate.promptTemplate renders from the item)`;
};

/**
 * Creates, retriggers and withdraws what `plan` says. `sequence` is the serial number of the
 * last Task the spawner created; each create takes the next.
 */
export async function applyPlan(
  o: TaskSpawnerReconcilerOptions,
  spawner: TaskSpawner,
  plan: SpawnPlan,
  sequence: number,
  upstreamRepo: string | undefined,
  list: Checklist,
): Promise<Applied> {
  const { namespace, name: spawnerN } = spawnerName(spawner);
  const out: Applied & { lastSequence: number } = {
    created: [],
    duplicates: [],
    withdrawn: [],
    errors: [],
    lastSequence: sequence,
  };
  const error = (reason: string, message: string) => {
    out.errors.push({ reason, message });
    list.fail(`${reason}: ${message}`);
  };
  for (const c of plan.collisions) {
    error(
      'TaskNameCollision',
      `Task ${namespace}/${c.name} exists and is not owned by TaskSpawner ${spawnerN}`,
    );
  }
  for (const e of plan.nameErrors) error('TaskNameInvalid', `item ${e.item.id}: ${e.error}`);

  const contextSources = spawner.spec.taskTemplate.contextSources ?? [];
  const fetchContextOf = contextFetcher(o);

  const createOne = async (p: PlannedTask): Promise<'created' | 'exists' | 'skipped'> => {
    let context: Record<string, string> | undefined;
    if (contextSources.length > 0) {
      const fetched = await fetchContextOf(spawner, templateVars(p.item));
      if (!fetched.ok) {
        error('ContextSourceFailed', `item ${p.item.id}: ${fetched.error}`);
        return 'skipped';
      }
      context = fetched.context;
    }
    const built = buildTask(spawner, p.item, {
      name: p.name,
      ...(context ? { context } : {}),
      ...(upstreamRepo ? { upstreamRepo } : {}),
    });
    if (!built.ok) {
      error('TaskTemplateFailed', `item ${p.item.id}: ${built.error}`);
      return 'skipped';
    }
    const task: Task = built.value;
    const rank = priorityRank(spawner, p.item.labels);
    task.metadata.annotations = {
      ...task.metadata.annotations,
      [SEQUENCE_ANNOTATION]: String(out.lastSequence + 1),
      ...(rank !== undefined ? { [SPAWNER_PRIORITY_ANNOTATION]: String(rank) } : {}),
    };
    try {
      await o.client.createMetadataOnly(Resources.Task, task);
    } catch (e) {
      if (isItemRefused(e)) {
        // The items after it are not held up by it, and the next pass tries it again.
        error(
          'TaskRejected',
          `item ${p.item.id}: Task ${namespace}/${p.name}: ${refusalOf(e as Error, task)}`,
        );
        return 'skipped';
      }
      if (!isAlreadyExists(e)) throw e;
      const existing = await o.client.get<Task>(Resources.Task, namespace, p.name);
      if (existing && belongsTo(existing, spawner)) return 'exists';
      if (existing) {
        error(
          'TaskNameCollision',
          `Task ${namespace}/${p.name} exists and is not owned by TaskSpawner ${spawnerN}`,
        );
      }
      return 'skipped';
    }
    out.lastSequence++;
    list.write(`Task ${namespace}/${p.name} created (item ${p.item.id}, #${out.lastSequence})`);
    o.events.record(
      spawner,
      'Normal',
      'TaskCreated',
      `Created Task ${p.name} for item ${p.item.id}`,
      'Spawn',
    );
    return 'created';
  };

  // The item a failure that ends the pass met, so its message names where the pass stopped.
  let at: PlannedTask | undefined;
  try {
    for (const p of plan.create) {
      at = p;
      const r = await createOne(p);
      if (r === 'created') out.created.push(p.name);
      else if (r === 'exists') out.duplicates.push(p.name);
    }
    for (const p of plan.retrigger) {
      at = p;
      try {
        await o.client.delete(Resources.Task, namespace, p.name, { uid: p.existing.metadata.uid });
        list.write(`Task ${namespace}/${p.name} deleted to run again (trigger newer than its completion)`);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      // The old Task may still carry the operator's finalizer: then the create waits for the
      // next pass, which the deletion event brings.
      const r = await createOne(p);
      if (r === 'created') {
        out.created.push(p.name);
        o.events.record(
          spawner,
          'Normal',
          'TaskRetriggered',
          `Task ${p.name} runs again for item ${p.item.id}`,
          'Spawn',
        );
      }
    }
    at = undefined;
    for (const t of plan.withdraw) {
      // Admission creates the Job before it writes anything on the Task, so neither the
      // Task's resourceVersion (the guard below) nor the Job cache, which may lag, shows a Task
      // admitted a moment ago: the API server is asked for its Job (named after it). Left: a
      // Job created between this read and the delete.
      if (await hasOwnJob(o, namespace, t)) {
        list.step(
          `Queued Task ${namespace}/${t.metadata.name} not withdrawn: it was admitted meanwhile (its Job exists)`,
        );
        continue;
      }
      try {
        // The resourceVersion guard: a Task whose status was written meanwhile (admitted, or
        // finished) is not withdrawn.
        await o.client.delete(Resources.Task, namespace, t.metadata.name ?? '', {
          uid: t.metadata.uid,
          resourceVersion: t.metadata.resourceVersion,
        });
      } catch (e) {
        if (isConflict(e)) continue;
        if (!isNotFound(e)) throw e;
      }
      out.withdrawn.push(t.metadata.name ?? '');
      list.write(`Queued Task ${namespace}/${t.metadata.name} withdrawn: its item is no longer found`);
      o.events.record(
        spawner,
        'Normal',
        'TaskWithdrawn',
        `Queued Task ${t.metadata.name} deleted before it ran: its item no longer matches`,
        'Spawn',
      );
    }
  } catch (e) {
    const where = at ? `item ${at.item.id}: Task ${namespace}/${at.name}: ` : '';
    const rest = at ? '; the items after it wait for the next pass' : '';
    error('TaskCreationFailed', `${where}${(e as Error).message}${rest}`);
  }
  return out;
}

/** Whether the API server holds `task`'s Job (its name, owned by this very Task). */
const hasOwnJob = async (
  o: TaskSpawnerReconcilerOptions,
  namespace: string,
  task: Task,
): Promise<boolean> => {
  const job = await o.client.getMetadata(Resources.Job, namespace, task.metadata.name ?? '');
  return job?.metadata.ownerReferences?.some((r) => r.uid === task.metadata.uid) ?? false;
};
