/**
 * concurrency/cron-overlap: a cron spawner does not fire more often than one run may last.
 *
 * @packageDocumentation
 */
import { Cron } from 'croner';
import type { ObjectRule } from '../src/policy/rule.ts';
import { get, num, str } from './lib/access.ts';
import { formatDuration } from './lib/duration.ts';
import { executionOf } from './lib/worker.ts';

/** Runs looked at to find the shortest gap; enough to cover a day of the busiest schedules. */
const SAMPLE_RUNS = 64;
/** A fixed start, so the result does not depend on when the check runs. */
const SAMPLE_FROM = new Date('2025-01-06T00:00:00Z');
const gaps = new Map<string, number | undefined>();

/**
 * The shortest time between two fires of a five-field cron schedule, in seconds, evaluated in
 * UTC as the spawner does; `undefined` when the schedule does not parse.
 */
export function shortestCronGap(schedule: string): number | undefined {
  if (gaps.has(schedule)) return gaps.get(schedule);
  let gap: number | undefined;
  // Upstream schedules have five fields; croner would read a sixth as seconds.
  if (schedule.trim().split(/\s+/).length === 5) {
    try {
      const runs = new Cron(schedule, { paused: true, timezone: 'UTC' }).nextRuns(SAMPLE_RUNS, SAMPLE_FROM);
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

/** Message when runs can overlap. */
export const cronOverlaps = (schedule: string, gap: number, deadline: number): string =>
  `cron "${schedule}" fires every ${formatDuration(gap)} but a run may last ${formatDuration(deadline)} (activeDeadlineSeconds ${deadline}), so up to ${Math.ceil(deadline / gap)} runs can overlap`;

export const cronOverlap: ObjectRule = {
  id: 'concurrency/cron-overlap',
  scope: 'object',
  severity: 'warning',
  kinds: ['TaskSpawner'],
  description: 'A cron TaskSpawner fires less often than its Tasks’ deadline, or caps maxConcurrency at 1.',
  rationale:
    'Overlapping scheduled runs work on the same repository at the same time and multiply the cost of a job meant to run once per tick.',
  hint: 'Set maxConcurrency: 1, lower activeDeadlineSeconds under the schedule’s interval, or fire less often.',
  check({ object }) {
    const schedule = str(get(object, 'spec', 'when', 'cron', 'schedule'));
    if (!schedule || num(get(object, 'spec', 'maxConcurrency')) === 1) return [];
    // Without a deadline, budget/active-deadline already reports the spawner.
    const deadline = num(executionOf(object)?.podOverride('activeDeadlineSeconds')?.value);
    const gap = shortestCronGap(schedule);
    if (deadline === undefined || gap === undefined || gap <= 0 || gap >= deadline) return [];
    return [{ path: '/spec/when/cron/schedule', message: cronOverlaps(schedule, gap, deadline) }];
  },
};
