/**
 * The `cron` source: one item per schedule tick since the watermark, as upstream's cron
 * source (ID `YYYYMMDD-HHMM`, Title the tick in RFC3339, Kind `Issue`, Number 0).
 *
 * The watermark is the last time discovery accounted for, kept by the caller in
 * `status.lastDiscoveryTime` (the spawner's creation time before the first run). Ticks in
 * (watermark, now] are due; after downtime they are caught up, but at most `maxCatchUp`, the
 * newest ones (upstream's bound is 1000 and keeps the oldest). The caller stores the new
 * watermark only after the Tasks of the ticks it handled exist, so a restart neither skips a
 * tick (the watermark did not move) nor repeats one (it did, and the Task name is the tick).
 *
 * @packageDocumentation
 */
import { type CronSchedule, nextActivation, parseCronSchedule } from '../../../api/cron-schedule.ts';
import { rfc3339, type WorkItem } from '../work-item.ts';

/** Upstream's bound on ticks per cycle. */
export const DEFAULT_MAX_CATCH_UP = 1000;

/** Due ticks and what to store afterwards. */
export interface CronTicks {
  /** Due ticks, oldest first. */
  readonly items: readonly WorkItem[];
  /** Older due ticks dropped by the bound (report them; they will not run). */
  readonly dropped: number;
  /**
   * The watermark to store once every item's Task exists: `now`. If only the first k items
   * were handled, store `items[k-1].time` instead.
   */
  readonly watermark: Date;
}

/** `YYYYMMDD-HHMM` in UTC, upstream's tick ID (Go layout `20060102-1504`). */
export const tickId = (t: Date): string => rfc3339(t).slice(0, 16).replace(/[-:]/g, '').replace('T', '-');

/** The work item of one tick. */
export const tickItem = (schedule: string, t: Date): WorkItem => ({
  id: tickId(t),
  number: 0,
  title: rfc3339(t),
  body: '',
  url: '',
  labels: [],
  comments: '',
  kind: 'Issue',
  time: t,
  schedule,
  annotations: {},
});

/**
 * The ticks due in (watermark, now], at most `maxCatchUp` (the newest).
 * @throws {CronSyntaxError} when the schedule does not parse
 */
export function dueTicks(
  schedule: string,
  watermark: Date,
  now: Date,
  maxCatchUp: number = DEFAULT_MAX_CATCH_UP,
): CronTicks {
  const parsed: CronSchedule = parseCronSchedule(schedule);
  const due: Date[] = [];
  let dropped = 0;
  for (let t = nextActivation(parsed, watermark); t && t <= now; t = nextActivation(parsed, t)) {
    due.push(t);
    if (due.length > maxCatchUp) {
      due.shift();
      dropped++;
    }
  }
  return { items: due.map((t) => tickItem(schedule, t)), dropped, watermark: now };
}
