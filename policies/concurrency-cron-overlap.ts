/**
 * concurrency/cron-overlap: a cron spawner does not fire more often than one run may last.
 *
 * @packageDocumentation
 */

import { formatDuration } from '../src/kube/duration.ts';
import type { ObjectRule } from '../src/policy/rule.ts';
import { get, num, str } from './lib/access.ts';
import { shortestCronGap } from './lib/cron.ts';
import { executionOf } from './lib/worker.ts';

/**
 * Message when runs can overlap. A `maxConcurrency` under the runs the schedule could have going
 * at once bounds the overlap: the operator admits that many and queues the rest, so the count
 * said is the cap's, and the queue is what the schedule's surplus becomes.
 */
export const cronOverlaps = (
  schedule: string,
  gap: number,
  deadline: number,
  maxConcurrency: number | undefined,
): string => {
  const due = Math.ceil(deadline / gap);
  const fires = `cron "${schedule}" fires every ${formatDuration(gap)} but a run may last ${formatDuration(deadline)} (activeDeadlineSeconds ${deadline})`;
  return maxConcurrency !== undefined && maxConcurrency > 0 && maxConcurrency < due
    ? `${fires}, so up to ${maxConcurrency} runs can overlap (maxConcurrency ${maxConcurrency}); the other runs due queue behind them`
    : `${fires}, so up to ${due} runs can overlap`;
};

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
    const max = num(get(object, 'spec', 'maxConcurrency'));
    if (!schedule || max === 1) return [];
    // Without a deadline, budget/active-deadline already reports the spawner.
    const deadline = num(executionOf(object)?.podOverride('activeDeadlineSeconds')?.value);
    const gap = shortestCronGap(schedule);
    if (deadline === undefined || gap === undefined || gap <= 0 || gap >= deadline) return [];
    return [{ path: '/spec/when/cron/schedule', message: cronOverlaps(schedule, gap, deadline, max) }];
  },
};
