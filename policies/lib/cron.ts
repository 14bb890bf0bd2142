/**
 * Cron schedules as the spawner evaluates them (five fields or robfig/cron's descriptors, UTC).
 *
 * @packageDocumentation
 */
import { Cron } from 'croner';
import { CronSyntaxError, type ExpandedSchedule, expandCronSchedule } from '../../src/api/cron-schedule.ts';

/** Runs looked at to find the shortest gap; enough to cover a day of the busiest schedules. */
const SAMPLE_RUNS = 64;
/** A fixed start, so the result does not depend on when the check runs. */
const SAMPLE_FROM = new Date('2025-01-06T00:00:00Z');
const gaps = new Map<string, number | undefined>();

/** How schedules are evaluated: in UTC, never started. */
export const CRON_OPTIONS = { paused: true, utcOffset: 0 } as const;

/** A schedule as it fires: at a fixed interval (`@every`), or by its five fields, with its period when it has one. */
type Parsed = { readonly every: number } | { readonly cron: Cron; readonly period?: number } | undefined;
const parsed = new Map<string, Parsed>();

/** The schedule read as the spawner reads it; `undefined` when it does not parse. */
function parse(schedule: string): Parsed {
  if (parsed.has(schedule)) return parsed.get(schedule);
  let result: Parsed;
  // robfig/cron's prefix and descriptors, which the spawner accepts too: resolved as it resolves them.
  let expanded: ExpandedSchedule | undefined;
  try {
    expanded = expandCronSchedule(schedule);
  } catch (e) {
    if (!(e instanceof CronSyntaxError)) throw e;
  }
  if (expanded?.kind === 'every') {
    result = { every: expanded.seconds };
  } else if (expanded && expanded.text.split(/\s+/).length === 5) {
    // Upstream schedules have five fields; croner would read a sixth as seconds.
    try {
      // UTC as a fixed offset, not as the time zone 'UTC': the same fire times (UTC has no
      // transitions), without croner converting every candidate through Intl (20 times slower).
      const period = periodOf(expanded.text.split(/\s+/));
      result = { cron: new Cron(expanded.text, CRON_OPTIONS), ...(period ? { period } : {}) };
    } catch {
      result = undefined;
    }
  }
  parsed.set(schedule, result);
  return result;
}

/** A schedule's first runs from {@link SAMPLE_FROM}, computed once: the gap and the sample both start with them. */
const firstRunsOf = new WeakMap<Cron, readonly Date[]>();
const firstRuns = (cron: Cron): readonly Date[] => {
  let runs = firstRunsOf.get(cron);
  if (!runs) {
    runs = cron.nextRuns(SAMPLE_RUNS, SAMPLE_FROM);
    firstRunsOf.set(cron, runs);
  }
  return runs;
};

/**
 * The shortest time between two fires of a five-field cron schedule, in seconds, evaluated in
 * UTC as the spawner does; `undefined` when the schedule does not parse.
 */
export function shortestCronGap(schedule: string): number | undefined {
  if (gaps.has(schedule)) return gaps.get(schedule);
  const p = parse(schedule);
  let gap: number | undefined;
  if (p && 'every' in p) {
    gap = p.every;
  } else if (p) {
    const runs = firstRuns(p.cron);
    for (let i = 1; i < runs.length; i++) {
      const d = (runs[i]!.getTime() - runs[i - 1]!.getTime()) / 1000;
      gap = gap === undefined ? d : Math.min(gap, d);
    }
  }
  gaps.set(schedule, gap);
  return gap;
}

const DAY_MS = 86_400_000;
/** Where a window may start on a schedule that is not periodic: four years hold a leap day and every weekday a month can start on. */
const CALENDAR_MS = 1461 * DAY_MS;
/** Longest window counted on such a schedule: the longest budget period, a 31-day month. */
const MAX_WINDOW_MS = 31 * DAY_MS;
/** Most fires sampled; a busier schedule is counted from its shortest gap instead. */
const MAX_SAMPLED_FIRES = 5000;
/** Each schedule's fires over its sample; `busy` past the sample's cap. */
const sampled = new Map<string, readonly number[] | 'busy'>();

/**
 * How often a five-field schedule repeats in UTC: a day when it restricts neither the day of
 * the month, the month nor the weekday, a week when it restricts the weekday only; undefined
 * when its fires follow the calendar.
 */
const periodOf = (fields: readonly string[]): number | undefined => {
  const [, , dayOfMonth, month, weekday] = fields;
  if (dayOfMonth !== '*' || month !== '*') return undefined;
  return weekday === '*' ? DAY_MS : 7 * DAY_MS;
};

/** The schedule's fires in `span` from {@link SAMPLE_FROM}, or `busy` past {@link MAX_SAMPLED_FIRES}. */
const firesOf = (schedule: string, cron: Cron, span: number): readonly number[] | 'busy' => {
  const known = sampled.get(schedule);
  if (known !== undefined) return known;
  const end = SAMPLE_FROM.getTime() + span;
  // A schedule whose first runs already foretell more fires than the cap is not sampled: the
  // runs it would take cost more than they tell (an hourly schedule fires 35,000 times in four years).
  const first = firstRuns(cron);
  const reach = (first.at(-1)?.getTime() ?? end) - SAMPLE_FROM.getTime();
  if (first.length === SAMPLE_RUNS && (SAMPLE_RUNS * span) / reach > MAX_SAMPLED_FIRES) {
    sampled.set(schedule, 'busy');
    return 'busy';
  }
  const fires = first.map((d) => d.getTime()).filter((t) => t < end);
  const from = fires.length === SAMPLE_RUNS ? first.at(-1) : undefined;
  for (let at = from && cron.nextRun(from); at && at.getTime() < end; at = cron.nextRun(at)) {
    if (fires.length === MAX_SAMPLED_FIRES) {
      sampled.set(schedule, 'busy');
      return 'busy';
    }
    fires.push(at.getTime());
  }
  sampled.set(schedule, fires);
  return fires;
};

/** The most of `fires` in a window of `window` ms that starts at one of them before `lastStart`. */
const mostInWindow = (fires: readonly number[], window: number, lastStart: number): number => {
  let most = 0;
  for (let i = 0, j = 0; i < fires.length && fires[i]! < lastStart; i++) {
    while (j < fires.length && fires[j]! < fires[i]! + window) j++;
    most = Math.max(most, j - i);
  }
  return most;
};

/**
 * The most times a schedule fires within any window of `seconds` (a budget period), evaluated
 * in UTC as the spawner does; `undefined` when it does not parse. A weekday schedule fires at
 * most 23 times in 31 days, not 31; a schedule too busy to sample counts one fire per shortest
 * gap, which is never fewer.
 *
 * A schedule that repeats daily or weekly is sampled over three of its periods: a window holds
 * its whole periods' fires wherever it starts, plus the most of one stretch shorter than a
 * period. Sampling four years of 60 daily schedules took 1.4 s under load; three days of them, 0.1 s.
 * Any other schedule is sampled over four years.
 */
export function mostCronFires(schedule: string, seconds: number): number | undefined {
  const p = parse(schedule);
  const gap = shortestCronGap(schedule);
  if (gap === undefined) return undefined;
  const byGap = Math.ceil(seconds / gap);
  if (!p || !('cron' in p)) return byGap;
  const window = seconds * 1000;
  const from = SAMPLE_FROM.getTime();
  if (p.period !== undefined) {
    // One period from the first fire, and the stretch after any start in it: three periods.
    const fires = firesOf(schedule, p.cron, 3 * p.period);
    if (fires === 'busy') return byGap;
    const first = fires[0];
    if (first === undefined) return 0;
    const perPeriod = fires.filter((t) => t < first + p.period!).length;
    const whole = Math.floor(window / p.period);
    return whole * perPeriod + mostInWindow(fires, window - whole * p.period, first + p.period);
  }
  if (window > MAX_WINDOW_MS) return byGap;
  // Each window starts at a fire (a later start only loses fires) inside the four years, so it
  // ends inside the sample.
  const fires = firesOf(schedule, p.cron, CALENDAR_MS + MAX_WINDOW_MS);
  return fires === 'busy' ? byGap : mostInWindow(fires, window, from + CALENDAR_MS);
}
