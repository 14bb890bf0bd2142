/**
 * TaskBudget arithmetic as pure functions: the current period in an IANA time zone, the
 * usage summed from TaskRecords in it, and whether the budget is used up.
 *
 * Periods start at local midnight: Daily every day, Weekly on Monday, Monthly on the 1st.
 * Where a DST change skips midnight (America/Santiago in September) the period starts at the
 * first instant of the day; where midnight happens twice, at the first one.
 *
 * @packageDocumentation
 */
import {
  type BudgetPeriodType,
  isBudgetPeriodType,
  type TaskBudget,
  type TaskRecord,
  type TaskUsage,
} from '../api/index.ts';
import { matches, parseSelector, type Selector } from '../kube/label-selector.ts';
import {
  addQuantities,
  compareQuantities,
  formatQuantity,
  type Quantity,
  quantityOf,
} from '../validate/quantity.ts';
import type { BudgetExtra } from './usage-estimate.ts';

/** A half-open interval [start, end) in epoch milliseconds. */
export interface Period {
  readonly start: number;
  readonly end: number;
}

/** A local calendar date. */
interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

interface LocalTime extends LocalDate {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 1 = Monday … 7 = Sunday. */
  readonly weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws a RangeError for an unknown zone. Formatters are cached: creating one is slow. */
const formatterFor = (timeZone: string): Intl.DateTimeFormat => {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
};

const WEEKDAYS: Readonly<Record<string, number>> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** Whether `timeZone` is a zone this runtime knows. */
export const isValidTimeZone = (timeZone: string): boolean => {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
};

/** The local wall-clock time of instant `t` in `timeZone`. */
export function localTime(t: number, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(t))) parts[p.type] = p.value;
  return {
    year: Number(parts['year']),
    month: Number(parts['month']),
    day: Number(parts['day']),
    hour: Number(parts['hour']),
    minute: Number(parts['minute']),
    second: Number(parts['second']),
    weekday: WEEKDAYS[parts['weekday'] ?? ''] ?? 0,
  };
}

/** Local wall time as if it were UTC, to compare and subtract wall times. */
const wallMs = (l: LocalTime): number => Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);

/** Adds `days` to a calendar date. */
const addDays = (d: LocalDate, days: number): LocalDate => {
  const u = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return { year: u.getUTCFullYear(), month: u.getUTCMonth() + 1, day: u.getUTCDate() };
};

const HOUR = 3_600_000;

/**
 * The first instant whose local time in `timeZone` is at or after midnight starting `date`.
 * That is local midnight, or the end of the DST gap when midnight does not exist.
 */
export function startOfLocalDay(date: LocalDate, timeZone: string): number {
  const target = Date.UTC(date.year, date.month - 1, date.day);
  // Candidates from every offset in use around that day; keep the earliest exact midnight.
  let best: number | undefined;
  for (const probe of [-48, -24, 0, 24, 48]) {
    const at = target + probe * HOUR;
    const offset = wallMs(localTime(at, timeZone)) - at;
    const t = target - offset;
    if (wallMs(localTime(t, timeZone)) === target && (best === undefined || t < best)) best = t;
  }
  if (best !== undefined) return best;
  // Midnight falls into a gap: bisect for the first instant at or after it (to the second).
  let lo = target - 48 * HOUR;
  let hi = target + 48 * HOUR;
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (wallMs(localTime(mid, timeZone)) >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The budget period types (one definition, in `src/api`). */
export type PeriodType = BudgetPeriodType;

/** The period of `type` in `timeZone` that contains instant `now`. Throws RangeError for an unknown zone. */
export function periodAt(type: PeriodType, timeZone: string, now: number): Period {
  const local = localTime(now, timeZone);
  const today: LocalDate = { year: local.year, month: local.month, day: local.day };
  let first: LocalDate;
  let next: LocalDate;
  switch (type) {
    case 'Daily':
      first = today;
      next = addDays(today, 1);
      break;
    case 'Weekly':
      first = addDays(today, 1 - local.weekday);
      next = addDays(first, 7);
      break;
    case 'Monthly':
      first = { year: local.year, month: local.month, day: 1 };
      next =
        local.month === 12
          ? { year: local.year + 1, month: 1, day: 1 }
          : { year: local.year, month: local.month + 1, day: 1 };
      break;
  }
  const start = startOfLocalDay(first, timeZone);
  const end = startOfLocalDay(next, timeZone);
  // Where clocks fall back across midnight (23:00 comes twice), `now` may read as the old day
  // after the new one began; it then belongs to the period that starts at that midnight.
  if (end <= now) return periodAt(type, timeZone, end);
  return { start, end };
}

/** Usage summed exactly: cost as a decimal quantity, tokens as big integers. */
export interface UsageSum {
  readonly costUSD: Quantity;
  readonly inputTokens: bigint;
  readonly outputTokens: bigint;
}

const ZERO: UsageSum = { costUSD: { numerator: 0n, scale: 0 }, inputTokens: 0n, outputTokens: 0n };

/** A usage field that may be a quantity string or number; invalid values count as 0. */
const costOf = (v: unknown): Quantity => quantityOf(v) ?? ZERO.costUSD;

const tokensOf = (v: unknown): bigint =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? BigInt(v) : 0n;

/** Adds one usage to a sum. */
export const addUsage = (sum: UsageSum, u: TaskUsage | undefined): UsageSum =>
  u
    ? {
        costUSD: addQuantities(sum.costUSD, costOf(u.costUSD)),
        inputTokens: sum.inputTokens + tokensOf(u.inputTokens),
        outputTokens: sum.outputTokens + tokensOf(u.outputTokens),
      }
    : sum;

/** The usage as written into TaskBudget status. */
export const usageToStatus = (u: UsageSum): TaskUsage => ({
  costUSD: formatQuantity(u.costUSD),
  inputTokens: Number(u.inputTokens),
  outputTokens: Number(u.outputTokens),
});

/** Sums the records `selector` picks whose completionTime lies in `period`. */
export function sumRecords(records: Iterable<TaskRecord>, selector: Selector, period: Period): UsageSum {
  let sum = ZERO;
  for (const r of records) {
    const done = Date.parse(r.spec?.completionTime ?? '');
    if (!(done >= period.start && done < period.end)) continue;
    if (!matches(selector, r.metadata.labels)) continue;
    sum = addUsage(sum, r.spec.usage);
  }
  return sum;
}

/** Why a budget cannot be evaluated; it then fails closed. */
export interface BudgetProblem {
  /** Condition reason: `InvalidSelector` or `InvalidPeriod`. */
  readonly reason: 'InvalidSelector' | 'InvalidPeriod';
  readonly message: string;
}

/** The state of one budget at one instant. */
export type BudgetState =
  | {
      readonly ok: true;
      readonly selector: Selector;
      readonly period: Period;
      readonly used: UsageSum;
      /** Why the budget is used up, when it is (e.g. "cost 12.5 USD reached maxCostUSD 10"). */
      readonly exhausted: string | undefined;
    }
  | { readonly ok: false; readonly problem: BudgetProblem };

/** Parses a budget's selector and period, failing closed with a reason. */
export function budgetBasis(
  budget: TaskBudget,
  now: number,
): { ok: true; selector: Selector; period: Period } | { ok: false; problem: BudgetProblem } {
  const parsed = parseSelector(budget.spec?.taskSelector as Parameters<typeof parseSelector>[0]);
  if (!parsed.ok) {
    return {
      ok: false,
      problem: {
        reason: 'InvalidSelector',
        message: `spec.taskSelector is invalid: ${parsed.errors.join('; ')}`,
      },
    };
  }
  const type = budget.spec?.period?.type;
  const tz = budget.spec?.period?.timezone || 'UTC';
  if (!isBudgetPeriodType(type)) {
    return {
      ok: false,
      problem: {
        reason: 'InvalidPeriod',
        message: `spec.period.type "${String(type)}" is not one of Daily, Weekly, Monthly`,
      },
    };
  }
  if (!isValidTimeZone(tz)) {
    return {
      ok: false,
      problem: {
        reason: 'InvalidPeriod',
        message: `spec.period.timezone "${tz}" is not a known IANA time zone`,
      },
    };
  }
  return { ok: true, selector: parsed.selector, period: periodAt(type, tz, now) };
}

/** Why `used` reached a limit of `budget`, or undefined while it is under every limit. */
export function exhaustion(budget: TaskBudget, used: UsageSum): string | undefined {
  const reasons: string[] = [];
  const spec = budget.spec;
  if (spec?.maxCostUSD !== undefined) {
    const max = costOf(spec.maxCostUSD);
    if (compareQuantities(used.costUSD, max) >= 0) {
      reasons.push(`cost ${formatQuantity(used.costUSD)} USD reached maxCostUSD ${formatQuantity(max)}`);
    }
  }
  if (spec?.maxInputTokens !== undefined && used.inputTokens >= BigInt(spec.maxInputTokens)) {
    reasons.push(`${used.inputTokens} input tokens reached maxInputTokens ${spec.maxInputTokens}`);
  }
  if (spec?.maxOutputTokens !== undefined && used.outputTokens >= BigInt(spec.maxOutputTokens)) {
    reasons.push(`${used.outputTokens} output tokens reached maxOutputTokens ${spec.maxOutputTokens}`);
  }
  return reasons.length ? reasons.join('; ') : undefined;
}

/** Evaluates a budget at `now` over the TaskRecords of its namespace. */
export function evaluateBudget(budget: TaskBudget, records: Iterable<TaskRecord>, now: number): BudgetState {
  const basis = budgetBasis(budget, now);
  if (!basis.ok) return basis;
  const used = sumRecords(records, basis.selector, basis.period);
  return {
    ok: true,
    selector: basis.selector,
    period: basis.period,
    used,
    exhausted: exhaustion(budget, used),
  };
}

/** What budget admission decided for one Task. */
export type Admission =
  | {
      readonly admitted: true;
      /** Names of the budgets that cover the Task (its labels get snapshotted when non-empty). */
      readonly coveredBy: readonly string[];
      /** When the earliest covering period ends; admission may change then. */
      readonly nextChangeAt?: number;
    }
  | {
      readonly admitted: false;
      /** The budget that blocks. */
      readonly budget: string;
      /** Why, e.g. `cost 12 USD reached maxCostUSD 10` or the budget's problem. */
      readonly reason: string;
      /** When the period of the blocking budget ends (undefined when the budget is broken). */
      readonly retryAt?: number;
      /**
       * Blocked by what running (or just finished) Tasks hold, not by what the period spent:
       * it may start as soon as one of them finishes under its reservation.
       */
      readonly heldByRunning?: true;
    };

/**
 * Decides whether a Task with `labels` may start now. A budget that cannot be evaluated blocks
 * every Task in its namespace (fail closed), as upstream does. Budgets are checked in name order
 * so the answer is stable.
 */
export function admit(
  labels: Readonly<Record<string, string>> | undefined,
  budgets: readonly TaskBudget[],
  stateOf: (budget: TaskBudget) => BudgetState,
  extraFor?: (budget: TaskBudget, selector: Selector, period: Period) => BudgetExtra,
): Admission {
  const covered: string[] = [];
  let nextChangeAt: number | undefined;
  const sorted = [...budgets].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  for (const b of sorted) {
    const name = b.metadata.name ?? '';
    const state = stateOf(b);
    if (!state.ok) return { admitted: false, budget: name, reason: state.problem.message };
    if (!matches(state.selector, labels)) continue;
    if (state.exhausted)
      return { admitted: false, budget: name, reason: state.exhausted, retryAt: state.period.end };
    // Running Tasks hold what they may still cost, so a burst cannot all start under the limit;
    // a Task that just finished counts what it spent until its TaskRecord is summed.
    const extra = extraFor?.(b, state.selector, state.period);
    if (extra && extra.running + extra.finished > 0) {
      const withExtra = exhaustion(
        b,
        addUsage(state.used, {
          costUSD: extra.costUSD,
          inputTokens: extra.inputTokens,
          outputTokens: extra.outputTokens,
        }),
      );
      if (withExtra) {
        return {
          admitted: false,
          budget: name,
          reason: `${withExtra} (${describeAmounts(state.used, extra)} ${describeExtra(extra)})`,
          retryAt: state.period.end,
          heldByRunning: true,
        };
      }
    }
    covered.push(name);
    nextChangeAt = nextChangeAt === undefined ? state.period.end : Math.min(nextChangeAt, state.period.end);
  }
  return nextChangeAt === undefined
    ? { admitted: true, coveredBy: covered }
    : { admitted: true, coveredBy: covered, nextChangeAt };
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * `0 USD used + 12 USD`, for messages: the cost, and the tokens the finished Tasks reported
 * when they reported any (a token limit can be reached by them alone).
 */
const describeAmounts = (used: UsageSum, e: BudgetExtra): string => {
  const parts = [];
  if (e.costUSD !== '0' || (e.inputTokens === 0 && e.outputTokens === 0))
    parts.push(`${formatQuantity(used.costUSD)} USD used + ${e.costUSD} USD`);
  if (e.inputTokens > 0) parts.push(`${used.inputTokens} input tokens used + ${e.inputTokens}`);
  if (e.outputTokens > 0) parts.push(`${used.outputTokens} output tokens used + ${e.outputTokens}`);
  return parts.join(', ');
};

/** `reserved by 2 running Tasks and spent by 1 finished Task not recorded yet`, for messages. */
const describeExtra = (e: BudgetExtra): string =>
  [
    e.running > 0 ? `reserved by ${plural(e.running, 'running Task')}` : '',
    e.finished > 0 ? `spent by ${plural(e.finished, 'finished Task')} not recorded yet` : '',
  ]
    .filter(Boolean)
    .join(' and ');

/**
 * How the `BudgetBlocked` condition of a Task a budget holds back begins: the TaskBudget
 * reconciler finds the Tasks waiting for a budget by it, and shows why they wait.
 */
export const budgetBlockedPrefix = (budget: string): string => `Blocked by TaskBudget "${budget}": `;

/** Longest a blocked Task waits before it is looked at again, whatever the period. */
export const MAX_BUDGET_REQUEUE_MS = 5 * 60_000;

/** Delay until a blocked Task is looked at again: the period end, at most five minutes away. */
export const budgetRequeueMs = (retryAt: number | undefined, now: number): number =>
  retryAt === undefined ? MAX_BUDGET_REQUEUE_MS : Math.max(1, Math.min(MAX_BUDGET_REQUEUE_MS, retryAt - now));
