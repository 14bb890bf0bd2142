/**
 * The cron helper evaluates schedules at UTC offset 0 instead of in the time zone `UTC`, which
 * croner evaluates through Intl and twenty times slower. Both must give the same fire times
 * for every kind of schedule, or the same error.
 */
import { Cron } from 'croner';
import { describe, expect, test } from 'vitest';
import { CRON_OPTIONS } from '../../../policies/lib/cron.ts';

const FROM = new Date('2025-01-06T00:00:00Z');

const fires = (schedule: string, options: object): number[] | string => {
  try {
    return new Cron(schedule, options).nextRuns(64, FROM).map((d) => d.getTime());
  } catch (err) {
    return `throws: ${(err as Error).message}`;
  }
};

const SCHEDULES = [
  ...['* * * * *', '*/5 * * * *', '15-45/10 * * * *', '0 * * * *', '0 */3 * * *', '0 0 * * *', '59 23 * * *'],
  ...[
    '0 9 * * 1-5',
    '0 9,17 * * *',
    '0 9 * * 1',
    '0 0 * * 0',
    '0 0 * * 7',
    '0 12 ? * MON',
    '0 0 * * SUN-TUE',
  ],
  ...['30 2 1 * *', '0 0 29 2 *', '0 0 31 * *', '0 0 L * *', '0 0 * * 5L', '0 0 * * 1#2', '0 0 15W * *'],
  ...['0 0 1,15 * 1', '0 0 1 JAN *', '59 23 31 12 *', '0 0 1 */2 *', '0 4 8-14 * *'],
  ...['@hourly', '@daily', '@weekly', '@monthly', '@yearly', '@annually', '@midnight'],
  ...['61 * * * *', '0 25 * * *', '0 0 32 * *', 'not a schedule', '', '0 0 30 2 *'],
];

/** Schedules put together from every field syntax, from a fixed seed. */
const generated = (): string[] => {
  let state = 11;
  const next = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const pick = (items: readonly string[]) => items[Math.floor(next() * items.length)] as string;
  const minute = ['*', '0', '7', '*/7', '5-50/15', '0,30', '59'];
  const hour = ['*', '0', '3', '*/6', '9-17', '1,13', '23'];
  const dom = ['*', '1', '15', 'L', '10W', '1-7', '*/10', '?', '31'];
  const month = ['*', '1', '2', '*/3', '6-8', 'FEB,MAR', 'DEC'];
  const dow = ['*', '0', '1-5', 'MON', '5L', '2#3', '*/2', '?', '6,0'];
  return Array.from(
    { length: 300 },
    () => `${pick(minute)} ${pick(hour)} ${pick(dom)} ${pick(month)} ${pick(dow)}`,
  );
};

describe('cron at UTC offset 0', () => {
  test.each([...SCHEDULES, ...generated()])('"%s" fires when it fires in the time zone UTC', (schedule) => {
    expect(fires(schedule, CRON_OPTIONS)).toStrictEqual(fires(schedule, { paused: true, timezone: 'UTC' }));
  });
});
