/**
 * The spawner gate: the one place `maxConcurrency` and `suspend` of a TaskSpawner are
 * enforced, for every path that creates a spawner's Tasks (polling today, webhooks next). A
 * Task whose controller owner is a TaskSpawner is admitted (gets its Job) only while fewer
 * than `maxConcurrency` of the spawner's Tasks are *admitted and unfinished*; the others wait
 * in phase `Waiting` with condition `SpawnerCapacity=True` and are admitted in priority order
 * (annotation {@link SPAWNER_PRIORITY_ANNOTATION}, lower first), then oldest first.
 *
 * What counts as admitted, so that the cap holds whatever the timing:
 *
 * - the cache shows it: `status.jobName` set, phase Pending or Running, or its Job is in the
 *   Job cache (a Job created by a process that died before it wrote the status is listed by
 *   the next process before its queues start);
 * - or this process passed it through the gate and the cache does not show it finished yet
 *   ({@link SpawnerSlots}): that covers the Job this process is about to create, just created,
 *   or created and wrote status for while the informers still lag behind.
 *
 * The count and the reservation happen in one synchronous step (no `await` in between), and
 * Node runs one step at a time, so two reconciles of one spawner's Tasks cannot both take the
 * last slot. Only the leader reconciles Tasks, so one process decides at a time (a reconcile
 * already in flight when a leader loses its Lease still finishes: the usual window of
 * leader-elected controllers, which a SIGKILL does not open).
 *
 * A reservation is dropped when the cache shows the Task admitted (the cache then counts it),
 * finished, or gone, and when admission stops after the gates without creating the Job (a
 * GitHub App token that cannot be minted, a missing Secret: `admission.ts`), so a Task that
 * waits there does not hold the spawner's other Tasks back; until then it counts: the cap may
 * be under-used for a moment, never exceeded.
 *
 * Tasks without a TaskSpawner controller owner (manual runs, `kelos run --from`) are not
 * gated and not counted.
 *
 * @packageDocumentation
 */
import { GROUP, isTerminalPhase, type Task, TaskPhase, type TaskSpawner } from '../../../api/index.ts';
import { spawnerOwnerOf } from '../../spawner/ownership.ts';
import { findCondition } from '../../status.ts';
import { keyOf } from './options.ts';

/** Condition type of a Task held by its spawner's cap or suspension. */
export const SPAWNER_CAPACITY_CONDITION = 'SpawnerCapacity';

/** Pick-up rank of a spawned Task (the index of its first `priorityLabels` match; lower first). */
export const SPAWNER_PRIORITY_ANNOTATION = `${GROUP}/spawner-priority`;

/** Conditions that say another gate holds a Task (it does not hold a place in the spawner's line). */
const OTHER_GATES: ReadonlyArray<readonly [type: string, blocking: string]> = [
  ['ReferencesResolved', 'False'],
  ['DependenciesReady', 'False'],
  ['BranchLocked', 'True'],
  ['BudgetBlocked', 'True'],
];

/** Tasks this process admitted through the gate, by spawner UID, until the cache shows them. */
export class SpawnerSlots {
  readonly #held = new Map<string, Map<string, string>>();

  /** Task keys (with their uid) reserved under spawner `uid`. */
  held(uid: string): ReadonlyMap<string, string> {
    return this.#held.get(uid) ?? new Map();
  }

  /** Reserves a slot for `task` under spawner `uid`. */
  reserve(uid: string, task: Task): void {
    let m = this.#held.get(uid);
    if (!m) {
      m = new Map();
      this.#held.set(uid, m);
    }
    m.set(keyOf(task), task.metadata.uid ?? '');
  }

  /** Drops the reservation of the Task under `key`. */
  release(uid: string, key: string): void {
    const m = this.#held.get(uid);
    m?.delete(key);
    if (m?.size === 0) this.#held.delete(uid);
  }
}

/** What the gate sees; all reads are synchronous (caches and memory). */
export interface SpawnerGateInput {
  readonly task: Task;
  /** The owning spawner from the cache; undefined when it is gone. */
  readonly spawner: TaskSpawner | undefined;
  /** Tasks in the namespace whose controller owner is the spawner (the Task itself included). */
  readonly siblings: readonly Task[];
  /** Whether the Job of the named Task is in the Job cache. */
  readonly jobCached: (name: string) => boolean;
  readonly slots: SpawnerSlots;
}

/** The gate's verdict. */
export type SpawnerGate =
  | { readonly state: 'free'; readonly admitted: number; readonly max: number }
  | { readonly state: 'held'; readonly reason: string; readonly message: string };

const rankOf = (t: Task): number => {
  const v = Number(t.metadata.annotations?.[SPAWNER_PRIORITY_ANNOTATION]);
  return Number.isFinite(v) && v >= 0 ? v : Number.MAX_SAFE_INTEGER;
};

/** Pick-up order of queued Tasks: priority, then creation time, then name. */
export const pickUpOrder = (a: Task, b: Task): number =>
  rankOf(a) - rankOf(b) ||
  (Date.parse(a.metadata.creationTimestamp ?? '') || 0) -
    (Date.parse(b.metadata.creationTimestamp ?? '') || 0) ||
  (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

/** Whether another gate holds `t` (it then holds no place in its spawner's line). */
export const heldElsewhere = (t: Task): boolean =>
  OTHER_GATES.some(([type, blocking]) => findCondition(t.status?.conditions, type)?.status === blocking);

/**
 * Decides, and on `free` reserves the slot in the same synchronous step. Prunes reservations
 * the cache made redundant.
 */
export function passSpawnerGate(input: SpawnerGateInput): SpawnerGate {
  const { task, spawner, siblings, slots } = input;
  const owner = spawnerOwnerOf(task);
  if (!owner) return { state: 'free', admitted: 0, max: 0 };
  if (!spawner || spawner.metadata.uid !== owner.uid) {
    return {
      state: 'held',
      reason: 'SpawnerNotFound',
      message: `TaskSpawner "${owner.name}" (uid ${owner.uid}) is not found; its Tasks wait for it or are garbage-collected with it`,
    };
  }
  if (spawner.spec.suspend) {
    return {
      state: 'held',
      reason: 'SpawnerSuspended',
      message: `TaskSpawner "${owner.name}" is suspended; queued Tasks start when it resumes`,
    };
  }
  const reserved = slots.held(owner.uid);
  const byKey = new Map(siblings.map((t) => [keyOf(t), t]));
  for (const [key, uid] of reserved) {
    const t = byKey.get(key);
    if (!t || t.metadata.uid !== uid || isTerminalPhase(t.status?.phase) || cachedAdmitted(t, input)) {
      slots.release(owner.uid, key);
    }
  }
  const max = spawner.spec.maxConcurrency ?? 0;
  const selfKey = keyOf(task);
  if (max <= 0 || reserved.get(selfKey) === task.metadata.uid) {
    slots.reserve(owner.uid, task);
    return { state: 'free', admitted: 0, max };
  }
  let admitted = 0;
  const queued: Task[] = [];
  for (const t of siblings) {
    if (isTerminalPhase(t.status?.phase)) continue;
    const key = keyOf(t);
    if (cachedAdmitted(t, input) || reserved.get(key) === t.metadata.uid) admitted++;
    else if (key === selfKey || (!t.metadata.deletionTimestamp && !heldElsewhere(t))) queued.push(t);
  }
  queued.sort(pickUpOrder);
  const place = queued.findIndex((t) => keyOf(t) === selfKey);
  const room = max - admitted;
  if (place >= 0 && place < room) {
    slots.reserve(owner.uid, task);
    return { state: 'free', admitted: admitted + 1, max };
  }
  return {
    state: 'held',
    reason: 'MaxConcurrencyReached',
    message:
      room > 0
        ? `Queued behind ${place} older or higher-priority Task(s) of TaskSpawner "${owner.name}" (maxConcurrency ${max}, ${admitted} running)`
        : `TaskSpawner "${owner.name}" runs ${admitted} of maxConcurrency ${max} Tasks; queued at position ${place + 1}`,
  };
}

const cachedAdmitted = (t: Task, input: SpawnerGateInput): boolean =>
  !!t.status?.jobName ||
  t.status?.phase === TaskPhase.Pending ||
  t.status?.phase === TaskPhase.Running ||
  input.jobCached(t.metadata.name ?? '');
