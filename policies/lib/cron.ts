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

/** A schedule as it fires: at a fixed interval (`@every`), or by its five fields. */
type Parsed = { readonly every: number } | { readonly cron: Cron } | undefined;
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
      result = { cron: new Cron(expanded.text, CRON_OPTIONS) };
    } catch {
      result = undefined;
    }
  }
  parsed.set(schedule, result);
  return result;
}

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
    const runs = p.cron.nextRuns(SAMPLE_RUNS, SAMPLE_FROM);
    for (let i = 1; i < runs.length; i++) {
      const d = (runs[i]!.getTime() - runs[i - 1]!.getTime()) / 1000;
      gap = gap === undefined ? d : Math.min(gap, d);
    }
  }
  gaps.set(schedule, gap);
  return gap;
}

/**
 * Fires sampled for {@link mostCronFires}: four years hold a leap day and every weekday a
 * month can start on, so a window's worst case by day of week or of month is among them.
 */
const HORIZON_MS = 1461 * 86_400_000;
/** Longest window counted: the longest budget period, a 31-day month. */
const MAX_WINDOW_MS = 31 * 86_400_000;
/** Most fires sampled; a busier schedule is counted from its shortest gap instead. */
const MAX_SAMPLED_FIRES = 5000;
/** Each schedule's fires over the horizon and a window past it; `busy` past the sample's cap. */
const sampled = new Map<string, readonly number[] | 'busy'>();

const firesOf = (schedule: string, cron: Cron): readonly number[] | 'busy' => {
  const known = sampled.get(schedule);
  if (known !== undefined) return known;
  const end = SAMPLE_FROM.getTime() + HORIZON_MS + MAX_WINDOW_MS;
  // A schedule whose first runs already foretell more fires than the cap is not sampled: the
  // runs it would take cost more than they tell (an hourly schedule fires 35,000 times).
  const first = cron.nextRuns(SAMPLE_RUNS, SAMPLE_FROM);
  const span = (first.at(-1)?.getTime() ?? end) - SAMPLE_FROM.getTime();
  if (
    first.length === SAMPLE_RUNS &&
    (SAMPLE_RUNS * (end - SAMPLE_FROM.getTime())) / span > MAX_SAMPLED_FIRES
  ) {
    sampled.set(schedule, 'busy');
    return 'busy';
  }
  const fires: number[] = [];
  for (let at = cron.nextRun(SAMPLE_FROM); at && at.getTime() < end; at = cron.nextRun(at)) {
    if (fires.length === MAX_SAMPLED_FIRES) {
      sampled.set(schedule, 'busy');
      return 'busy';
    }
    fires.push(at.getTime());
  }
  sampled.set(schedule, fires);
  return fires;
};

/**
 * The most times a schedule fires within any window of `seconds` (a budget period, at most 31
 * days), evaluated in UTC as the spawner does; `undefined` when it does not parse. A weekday
 * schedule fires at most 23 times in 31 days, not 31; a schedule too busy to sample counts one
 * fire per shortest gap, which is never fewer.
 */
export function mostCronFires(schedule: string, seconds: number): number | undefined {
  const p = parse(schedule);
  const gap = shortestCronGap(schedule);
  if (gap === undefined) return undefined;
  const fires = p && 'cron' in p && seconds * 1000 <= MAX_WINDOW_MS ? firesOf(schedule, p.cron) : 'busy';
  if (fires === 'busy') return Math.ceil(seconds / gap);
  // Each window starts at a fire (a later start only loses fires) inside the horizon, so it
  // ends inside the sample.
  const window = seconds * 1000;
  const lastStart = SAMPLE_FROM.getTime() + HORIZON_MS;
  let most = 0;
  for (let i = 0, j = 0; i < fires.length && fires[i]! < lastStart; i++) {
    while (j < fires.length && fires[j]! < fires[i]! + window) j++;
    most = Math.max(most, j - i);
  }
  return most;
}
