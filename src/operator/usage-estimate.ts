/**
 * Conservative budget accounting for what agents do not report (issue 9, finding 5).
 *
 * - A finished Task that reported no usage (deadline kill, OOM, eviction, StopRunning, a Task
 *   deleted while it ran, an agent that wrote no termination message) is charged an
 *   **estimate**: its runtime (status.startTime to its end) × the hourly rate of its agent type
 *   and model, from the admin's KelosConfig `rates` (the same schema and lookup as the policy
 *   forecast). Its TaskRecord says `estimated: true`. A Task that never started costs nothing.
 * - A Task that is admitted and not finished holds a **reservation** against every TaskBudget
 *   that covers it: the rate × its `activeDeadlineSeconds` (the most it may run), or × (time
 *   run so far + 1 h) when it has no deadline. Reservations are derived from the Task cache on
 *   every admission decision; nothing is written. Only cost is reserved (tokens are unknown
 *   until the agent reports them).
 *
 * Pure functions; times in ms since the epoch.
 *
 * @packageDocumentation
 */
import { isTerminalPhase, type ModelRates, rateOf, type Task, type TaskUsage } from '../api/index.ts';
import { matches, type Selector } from '../kube/label-selector.ts';
import { resolveAgentType, resolveModel, resolvePodOverrides } from '../render/resolve.ts';

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

/** The cost a running Task may still add, in USD (see the module comment). */
export function reservationOf(task: Task, rates: ModelRates, now: number): number {
  const deadline = resolvePodOverrides(task)?.value.activeDeadlineSeconds;
  const start = Date.parse(task.status?.startTime ?? '');
  const hours =
    deadline !== undefined
      ? deadline / 3600
      : (Number.isNaN(start) ? 0 : Math.max(0, now - start) / HOUR_MS) + 1;
  return hours * rateOfTask(task, rates);
}

/** Cost reserved by the running Tasks `selector` covers (by the labels they were admitted with). */
export function reservedCost(
  tasks: Iterable<{ task: Task; labels: Readonly<Record<string, string>> | undefined; hasJob: boolean }>,
  selector: Selector,
  rates: ModelRates,
  now: number,
): { costUSD: string; tasks: number } {
  let total = 0;
  let n = 0;
  for (const { task, labels, hasJob } of tasks) {
    if (!holdsReservation(task, hasJob) || !matches(selector, labels)) continue;
    total += reservationOf(task, rates, now);
    n++;
  }
  return { costUSD: usd(total), tasks: n };
}
