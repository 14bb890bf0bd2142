/**
 * Conservative budget accounting for what agents do not report (issue 9, finding 5).
 *
 * - A finished Task that reported no usage (deadline kill, OOM, eviction, StopRunning, a Task
 *   deleted while it ran, an agent that wrote no termination message) is charged an
 *   **estimate**: its runtime (status.startTime to its end) × the hourly rate of its agent type
 *   and model, from the admin's KelosConfig `rates` (the same schema and lookup as the policy
 *   forecast). Its TaskRecord says `estimated: true`. A Task that never started costs nothing,
 *   nor does one whose agent never did: tracking then gives it no `startTime`
 *   (`agentNeverStarted` in children.ts), though its Job started.
 * - A Task that is admitted and not finished holds a **reservation** against every TaskBudget
 *   that covers it: the rate × its Job's `activeDeadlineSeconds` (the most it may run: the Task's
 *   own, else the operator's `--default-active-deadline`), or × (time
 *   run so far + 1 h) when it has no deadline. Reservations are derived from the Task cache on
 *   every admission decision; nothing is written. Only cost is reserved (tokens are unknown
 *   until the agent reports them).
 *
 * Pure functions; times in ms since the epoch.
 *
 * @packageDocumentation
 */
import { isTerminalPhase, type ModelRates, rateOf, type Task, type TaskUsage } from '../api/index.ts';
import { DEFAULT_TASK_RECORD_TTL_SECONDS } from '../api/task-record.ts';
import { matches, type Selector } from '../kube/label-selector.ts';
import { resolveAgentType, resolveModel } from '../render/resolve.ts';
import { usdAmount } from '../validate/quantity.ts';

const HOUR_MS = 3_600_000;

/** Hourly rate of a Task's agent and model; 0 when no rate is configured. */
const rateOfTask = (task: Task, rates: ModelRates): number =>
  rateOf(rates, resolveAgentType(task)?.value ?? '', resolveModel(task)?.value || undefined) ?? 0;

/** USD as the decimal string usage fields hold (micro-dollar precision, rounded up). */
const usd = (value: number): string => (Math.ceil(value * 1e6) / 1e6).toFixed(6).replace(/\.?0+$/, '') || '0';

/**
 * The estimated usage of a Task that ran from `status.startTime` to `endMs` without reporting
 * any; undefined when it never started.
 */
export function estimatedUsage(task: Task, rates: ModelRates, endMs: number): TaskUsage | undefined {
  const start = Date.parse(task.status?.startTime ?? '');
  if (Number.isNaN(start)) return undefined;
  const hours = Math.max(0, endMs - start) / HOUR_MS;
  return { costUSD: usd(hours * rateOfTask(task, rates)) };
}

/** Whether a Task holds a reservation: admitted (it has a Job) and not finished. */
export const holdsReservation = (task: Task, hasJob: boolean): boolean =>
  !isTerminalPhase(task.status?.phase) &&
  !task.metadata.deletionTimestamp &&
  (hasJob || Boolean(task.status?.jobName));

/**
 * The cost a running Task may still add, in USD (see the module comment). `deadline` is the
 * `activeDeadlineSeconds` its Job got (`TaskRuntime.activeDeadlineSeconds`: its own or the
 * operator's default), undefined when it has none.
 */
export function reservationOf(
  task: Task,
  rates: ModelRates,
  now: number,
  deadline: number | undefined,
): number {
  const start = Date.parse(task.status?.startTime ?? '');
  const hours =
    deadline !== undefined
      ? deadline / 3600
      : (Number.isNaN(start) ? 0 : Math.max(0, now - start) / HOUR_MS) + 1;
  return hours * rateOfTask(task, rates);
}

/** What a finished Task's TaskRecord says it used, and whether that is an estimate. */
export interface RecordUsage {
  readonly usage: TaskUsage;
  readonly estimated: boolean;
}

const hasUsage = (u: TaskUsage | undefined): u is TaskUsage =>
  u !== undefined && (u.costUSD !== undefined || u.inputTokens !== undefined || u.outputTokens !== undefined);

/**
 * The usage the TaskRecord of a Task that ended at `completionTime` holds: what the agent
 * reported, else the estimate from its runtime; undefined when it never started (no agent ran,
 * nothing to charge).
 */
export function recordUsageOf(
  task: Task,
  rates: ModelRates,
  completionTime: string,
): RecordUsage | undefined {
  const reported = task.status?.usage;
  if (hasUsage(reported)) return { usage: reported, estimated: false };
  const usage = estimatedUsage(task, rates, Date.parse(completionTime));
  return usage && { usage, estimated: true };
}

/** Whether a record completed at `completionTime` is past its TTL (it is then not written again). */
export const recordExpired = (completionTime: string, now: number): boolean =>
  Date.parse(completionTime) + DEFAULT_TASK_RECORD_TTL_SECONDS * 1000 <= now;

/**
 * The usage of a finished Task that its TaskRecord will hold but that the record cache does not
 * show yet (`recorded(uid)` is false), when it completed within `period`; else undefined.
 */
export function pendingRecordUsage(
  task: Task,
  rates: ModelRates,
  now: number,
  period: { readonly start: number; readonly end: number },
  recorded: (uid: string) => unknown,
): TaskUsage | undefined {
  const { uid } = task.metadata;
  const phase = task.status?.phase;
  const completionTime = task.status?.completionTime;
  if (!uid || !completionTime || (phase !== 'Succeeded' && phase !== 'Failed')) return undefined;
  const done = Date.parse(completionTime);
  if (!(done >= period.start && done < period.end) || recordExpired(completionTime, now) || recorded(uid)) {
    return undefined;
  }
  return recordUsageOf(task, rates, completionTime)?.usage;
}

/** What a budget counts beyond its TaskRecords: reservations, and records not written yet. */
export interface BudgetExtra {
  /** USD, as usage fields hold it. */
  readonly costUSD: string;
  /** Input tokens the finished Tasks reported (running ones reserve none: unknown until they report). */
  readonly inputTokens: number;
  /** Output tokens the finished Tasks reported. */
  readonly outputTokens: number;
  /** Running Tasks holding a reservation. */
  readonly running: number;
  /** Finished Tasks whose records are pending. */
  readonly finished: number;
}

type Labels = Readonly<Record<string, string>> | undefined;

/** A reported token count; anything but a positive integer counts as none (as budgets sum records). */
const tokenCount = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 0);

/**
 * Cost reserved by the running Tasks `selector` covers (by the labels they were admitted with),
 * plus the cost and tokens of the finished ones whose records are pending. `deadlineOf` says
 * the `activeDeadlineSeconds` a Task's Job gets (see {@link reservationOf}).
 */
export function reservedCost(
  running: Iterable<{ task: Task; labels: Labels; hasJob: boolean }>,
  finished: Iterable<{ usage: TaskUsage; labels: Labels }>,
  selector: Selector,
  rates: ModelRates,
  now: number,
  deadlineOf: (task: Task) => number | undefined,
): BudgetExtra {
  let total = 0;
  let nRunning = 0;
  let nFinished = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  for (const { task, labels, hasJob } of running) {
    if (!holdsReservation(task, hasJob) || !matches(selector, labels)) continue;
    total += reservationOf(task, rates, now, deadlineOf(task));
    nRunning++;
  }
  for (const { usage, labels } of finished) {
    if (!matches(selector, labels)) continue;
    total += usdAmount(usage.costUSD) ?? 0;
    inputTokens += tokenCount(usage.inputTokens);
    outputTokens += tokenCount(usage.outputTokens);
    nFinished++;
  }
  return { costUSD: usd(total), inputTokens, outputTokens, running: nRunning, finished: nFinished };
}
