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
import { type ApiObject, isAlreadyExists, isConflict, isNotFound, isStatus } from '../../../kube/client.ts';
import type { Checklist } from '../../../kube/log.ts';
import { Resources } from '../../resources.ts';
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

/**
 * Whether the API server refused the object itself (400 Bad Request, 422 Invalid: what one
 * item's Task holds), rather than the request (no permission, overload, a network error),
 * which every create after it would meet too.
 */
const isRefused = (err: unknown): boolean => isStatus(err, 400) || isStatus(err, 422);

/** Whether `task`'s controller owner reference is `spawner`. */
const ownedBy = (task: ApiObject, spawner: TaskSpawner): boolean =>
  (task.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === spawner.metadata.uid);

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
      if (isRefused(e)) {
        // This item's Task (a label its title rendered into, an admission policy): the items
        // after it are not held up by it, and the next pass tries it again.
        error('TaskRejected', `item ${p.item.id}: Task ${namespace}/${p.name}: ${(e as Error).message}`);
        return 'skipped';
      }
      if (!isAlreadyExists(e)) throw e;
      const existing = await o.client.get<Task>(Resources.Task, namespace, p.name);
      if (existing && ownedBy(existing, spawner)) return 'exists';
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

  try {
    for (const p of plan.create) {
      const r = await createOne(p);
      if (r === 'created') out.created.push(p.name);
      else if (r === 'exists') out.duplicates.push(p.name);
    }
    for (const p of plan.retrigger) {
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
    for (const t of plan.withdraw) {
      try {
        // The resourceVersion guard: a Task admitted meanwhile is not withdrawn.
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
    error('TaskCreationFailed', (e as Error).message);
  }
  return out;
}
