/**
 * What one discovery pass means for a spawner's Tasks, decided purely from the spawner, the
 * items found and the spawner's existing Tasks (from the informer cache), so the reconciler
 * step only fetches context, creates, deletes and writes status.
 *
 * Definitions (the caps gate in the Task reconciler enforces `maxConcurrency` on admission;
 * this plan bounds what is *created*):
 *
 * - a Task *belongs* to the spawner as `ownership.ts` defines it (its controller owner
 *   reference has the spawner's UID, or a legacy Task's label names it). Manual runs
 *   (`kelos run --from`) have neither;
 * - *active*: belonging and not finished; *admitted*: active and Pending or Running (it has,
 *   or is about to get, a Job); *queued*: active and not admitted (no phase yet, or Waiting);
 * - `maxTotalTasks` bounds `status.totalTasksCreated` plus what this plan creates (retriggers
 *   included): every Task the spawner ever created, queued ones too;
 * - the queue bound ({@link defaultQueueLimit}) bounds queued Tasks plus what this plan
 *   creates, so a first poll of a busy repository creates a bounded number of objects; the
 *   rest stays in the source and is picked up as the queue drains;
 * - a queued Task whose item is no longer found is *withdrawn* (the reconciler deletes it),
 *   but only when the discovery was exhaustive (every page read, not cron) and every item's
 *   name could be computed — otherwise absence proves nothing;
 * - a finished Task is *retriggered* (deleted and created again) when its item's newest
 *   authorized trigger is newer than the Task's completion, as upstream.
 *
 * @packageDocumentation
 */

import type { Task, TaskSpawner } from '../../api/object.ts';
import { isTerminalPhase, TaskPhase } from '../../api/task.ts';
import { belongsTo } from './ownership.ts';
import { taskName } from './task-build.ts';
import type { WorkItem } from './work-item.ts';

/** An item that should become a Task named `name`. */
export interface PlannedTask {
  readonly name: string;
  readonly item: WorkItem;
}

/** The plan of one pass. */
export interface SpawnPlan {
  /** New Tasks to create, in pick-up order. */
  readonly create: readonly PlannedTask[];
  /** Finished Tasks to delete and create again (after `create` in the caps). */
  readonly retrigger: readonly (PlannedTask & { readonly existing: Task })[];
  /** Queued Tasks whose item went away: delete them, they must not run. */
  readonly withdraw: readonly Task[];
  /** Names taken by a Task this spawner does not own: a DiscoveryError, never adopted. */
  readonly collisions: readonly PlannedTask[];
  /** Items whose name could not be computed (bad nameTemplate). */
  readonly nameErrors: readonly { readonly item: WorkItem; readonly error: string }[];
  readonly counts: {
    /** Items found. */
    readonly discovered: number;
    /** Belonging Tasks not finished. */
    readonly active: number;
    readonly admitted: number;
    readonly queued: number;
    /** Items left for a later pass by maxTotalTasks or the queue bound. */
    readonly deferred: number;
    /** Whether maxTotalTasks is reached once this plan is carried out. */
    readonly maxTotalReached: boolean;
  };
}

/** Inputs of {@link planSpawn}. */
export interface PlanInput {
  readonly spawner: TaskSpawner;
  readonly items: readonly WorkItem[];
  /** Whether `items` is everything that matches (all pages read, not cron). */
  readonly exhaustive: boolean;
  /** Tasks in the spawner's namespace carrying its `kelos.dev/taskspawner` label. */
  readonly existing: readonly Task[];
  /** Bound on queued Tasks; default {@link defaultQueueLimit}. */
  readonly queueLimit?: number;
  /**
   * Whether the Task of this name has a Job (the Job cache). A Task is admitted once its Job
   * exists, before its status says so: under a burst the status write follows the Job create by
   * seconds, and a Task withdrawn then would lose its running agent and its spend with it.
   */
  readonly hasJob?: (name: string) => boolean;
}

/**
 * The default bound on queued Tasks: twice `maxConcurrency` and at least 10 (enough that
 * the cap, not the queue, paces the work), or 50 without `maxConcurrency`; `maxQueuedTasks`
 * replaces it.
 */
export const defaultQueueLimit = (spawner: TaskSpawner): number => {
  if (spawner.spec.maxQueuedTasks) return spawner.spec.maxQueuedTasks;
  const max = spawner.spec.maxConcurrency ?? 0;
  return max > 0 ? Math.max(10, 2 * max) : 50;
};

/**
 * Whether a not-finished Task has been admitted (has, or is about to get, a Job): what
 * `maxConcurrency` counts. `hasJob` (the Job cache) sees a Task whose status lags its Job.
 */
export const isAdmitted = (task: Task, hasJob?: (name: string) => boolean): boolean =>
  task.status?.phase === TaskPhase.Pending ||
  task.status?.phase === TaskPhase.Running ||
  (hasJob?.(task.metadata.name ?? '') ?? false);

/**
 * A spawner's Tasks that are not finished, as its cap counts them: `admitted` and `queued`
 * (waiting for a place). Tasks being deleted (withdrawn, or going with their spawner) are neither.
 */
export function countActive(
  tasks: readonly Task[],
  hasJob?: (name: string) => boolean,
): { admitted: number; queued: number } {
  const active = tasks.filter((t) => !t.metadata.deletionTimestamp && !isTerminalPhase(t.status?.phase));
  const admitted = active.filter((t) => isAdmitted(t, hasJob)).length;
  return { admitted, queued: active.length - admitted };
}

/** Items in pick-up order: by the first matching `priorityLabels` entry, stable otherwise. */
export const byPriority = (
  items: readonly WorkItem[],
  priorityLabels: readonly string[] | undefined,
): WorkItem[] => {
  if (!priorityLabels?.length) return [...items];
  const rank = (item: WorkItem) => {
    const labels = new Set(item.labels.map((l) => l.toLowerCase()));
    const i = priorityLabels.findIndex((p) => labels.has(p.toLowerCase()));
    return i < 0 ? priorityLabels.length : i;
  };
  return items
    .map((item, i) => ({ item, i, r: rank(item) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.item);
};

const priorityLabelsOf = (spawner: TaskSpawner): readonly string[] | undefined =>
  spawner.spec.when.githubIssues?.priorityLabels ?? spawner.spec.when.githubPullRequests?.priorityLabels;

/** Decides one pass; see the module comment. */
export function planSpawn(input: PlanInput): SpawnPlan {
  const { spawner } = input;
  const byName = new Map(input.existing.map((t) => [t.metadata.name ?? '', t]));
  const mine = input.existing.filter((t) => belongsTo(t, spawner) && !t.metadata.deletionTimestamp);
  const active = mine.filter((t) => !isTerminalPhase(t.status?.phase));
  const started = (t: Task) => isAdmitted(t, input.hasJob);
  const { admitted, queued } = countActive(mine, input.hasJob);

  const nameErrors: { item: WorkItem; error: string }[] = [];
  const found = new Set<string>();
  const wanted: PlannedTask[] = [];
  const retriggerWanted: (PlannedTask & { existing: Task })[] = [];
  const collisions: PlannedTask[] = [];
  for (const item of byPriority(input.items, priorityLabelsOf(spawner))) {
    const name = taskName(spawner, item);
    if (!name.ok) {
      nameErrors.push({ item, error: name.error });
      continue;
    }
    if (found.has(name.value)) continue; // two items, one name (nameTemplate): first wins
    found.add(name.value);
    const existing = byName.get(name.value);
    if (!existing) wanted.push({ name: name.value, item });
    else if (!belongsTo(existing, spawner)) collisions.push({ name: name.value, item });
    else if (
      !existing.metadata.deletionTimestamp &&
      isTerminalPhase(existing.status?.phase) &&
      item.triggerTime &&
      existing.status?.completionTime &&
      item.triggerTime.getTime() > Date.parse(existing.status.completionTime)
    ) {
      retriggerWanted.push({ name: name.value, item, existing });
    }
  }

  const maxTotal = spawner.spec.maxTotalTasks ?? 0;
  const created = spawner.status?.totalTasksCreated ?? 0;
  const totalRoom = maxTotal > 0 ? Math.max(0, maxTotal - created) : Number.POSITIVE_INFINITY;
  const queueRoom = Math.max(0, (input.queueLimit ?? defaultQueueLimit(spawner)) - queued);
  const room = Math.min(totalRoom, queueRoom);
  const create = wanted.slice(0, room);
  const retrigger = retriggerWanted.slice(0, room - create.length);
  const deferred = wanted.length - create.length + retriggerWanted.length - retrigger.length;

  const withdraw =
    input.exhaustive && nameErrors.length === 0
      ? active.filter((t) => !started(t) && !found.has(t.metadata.name ?? ''))
      : [];

  return {
    create,
    retrigger,
    withdraw,
    collisions,
    nameErrors,
    counts: {
      discovered: input.items.length,
      active: active.length,
      admitted,
      queued,
      deferred,
      maxTotalReached: maxTotal > 0 && created + create.length + retrigger.length >= maxTotal,
    },
  };
}
