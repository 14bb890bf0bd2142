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

/**
 * The shortest time between two fires of a five-field cron schedule, in seconds, evaluated in
 * UTC as the spawner does; `undefined` when the schedule does not parse.
 */
export function shortestCronGap(schedule: string): number | undefined {
  if (gaps.has(schedule)) return gaps.get(schedule);
  let gap: number | undefined;
  // robfig/cron's prefix and descriptors, which the spawner accepts too: resolved as it resolves them.
  let expanded: ExpandedSchedule | undefined;
  try {
    expanded = expandCronSchedule(schedule);
  } catch (e) {
    if (!(e instanceof CronSyntaxError)) throw e;
  }
  if (expanded?.kind === 'every') {
    gap = expanded.seconds;
  } else if (expanded && expanded.text.split(/\s+/).length === 5) {
    // Upstream schedules have five fields; croner would read a sixth as seconds.
    try {
      // UTC as a fixed offset, not as the time zone 'UTC': the same fire times (UTC has no
      // transitions), without croner converting every candidate through Intl (20 times slower).
      const runs = new Cron(expanded.text, CRON_OPTIONS).nextRuns(SAMPLE_RUNS, SAMPLE_FROM);
      for (let i = 1; i < runs.length; i++) {
        const d = (runs[i]!.getTime() - runs[i - 1]!.getTime()) / 1000;
        gap = gap === undefined ? d : Math.min(gap, d);
      }
    } catch {
      gap = undefined;
    }
  }
  gaps.set(schedule, gap);
  return gap;
}
