import { Cron } from 'croner';
import { describe, expect, test } from 'vitest';
import { CronSyntaxError, nextActivation, parseCronSchedule } from '../../../../src/api/cron-schedule.ts';
import { dueTicks, tickId } from '../../../../src/operator/spawner/sources/cron.ts';

const next3 = (schedule: string, from: string): string[] => {
  const s = parseCronSchedule(schedule);
  const out: string[] = [];
  let t: Date | undefined = new Date(from);
  for (let i = 0; i < 3 && t; i++) {
    t = nextActivation(s, t);
    if (t) out.push(t.toISOString().slice(0, 16));
  }
  return out;
};

// 2026-01-01 is a Thursday. Expected values follow robfig/cron v3's documented rules:
// fields minute hour dom month dow; `*`/`?` are stars; when either day field is a star both
// must match (AND), otherwise either may (OR); "N/step" is "N-max/step"; names are
// case-insensitive; dow is 0-6.
const TABLE: Array<[schedule: string, expected: string[], why: string]> = [
  ['0 9 * * 1', ['2026-01-05T09:00', '2026-01-12T09:00', '2026-01-19T09:00'], 'Mondays (dom star: AND)'],
  ['0 0 13 * 5', ['2026-01-02T00:00', '2026-01-09T00:00', '2026-01-13T00:00'], 'Friday OR the 13th'],
  [
    '0 0 */1 * 5',
    ['2026-01-02T00:00', '2026-01-09T00:00', '2026-01-16T00:00'],
    '*/1 is still a star: Fridays only',
  ],
  ['0 0 ? * 1', ['2026-01-05T00:00', '2026-01-12T00:00', '2026-01-19T00:00'], '? is a star'],
  ['0 0 1 * */2', ['2026-01-03T00:00', '2026-01-04T00:00', '2026-01-06T00:00'], '*/2 is not a star: OR'],
  ['0 0 1-7 * MON', ['2026-01-02T00:00', '2026-01-03T00:00', '2026-01-04T00:00'], 'first week OR Mondays'],
  ['5/20 * * * *', ['2026-01-01T00:05', '2026-01-01T00:25', '2026-01-01T00:45'], 'N/step means N-max/step'],
  [
    '0 12 * JAN-feb sat,Sun',
    ['2026-01-03T12:00', '2026-01-04T12:00', '2026-01-10T12:00'],
    'names, ranges of names',
  ],
  [
    '30 23 31 * *',
    ['2026-01-31T23:30', '2026-03-31T23:30', '2026-05-31T23:30'],
    'months without a 31st are skipped',
  ],
  ['0 0 29 2 *', ['2028-02-29T00:00', '2032-02-29T00:00', '2036-02-29T00:00'], 'leap days'],
  [
    '0 0 29 2 1',
    ['2026-02-02T00:00', '2026-02-09T00:00', '2026-02-16T00:00'],
    'both restricted: OR (Mondays of February)',
  ],
  ['@weekly', ['2026-01-04T00:00', '2026-01-11T00:00', '2026-01-18T00:00'], 'descriptor: Sundays'],
  ['@monthly', ['2026-02-01T00:00', '2026-03-01T00:00', '2026-04-01T00:00'], 'descriptor'],
  ['@every 90m', ['2026-01-01T01:30', '2026-01-01T03:00', '2026-01-01T04:30'], 'constant delay'],
  ['CRON_TZ=UTC 15 10 * * *', ['2026-01-01T10:15', '2026-01-02T10:15', '2026-01-03T10:15'], 'UTC prefix'],
  ['0 0 30 2 *', [], 'never'],
];

describe('cron schedules (robfig/cron semantics)', () => {
  test.each(TABLE)('%s → %j (%s)', (schedule, expected) => {
    expect(next3(schedule, '2026-01-01T00:00:00Z')).toEqual(expected);
  });

  test('croner differs from robfig on the star rules, which is why the spawner has its own matcher', () => {
    const croner = (p: string) =>
      new Cron(p, { utcOffset: 0, paused: true })
        .nextRuns(3, new Date('2026-01-01T00:00:00Z'))
        .map((d) => d.toISOString().slice(0, 16));
    expect(croner('0 0 */1 * 5')).not.toEqual(next3('0 0 */1 * 5', '2026-01-01T00:00:00Z'));
    expect(croner('0 0 1 * 7')).toHaveLength(3); // robfig refuses 7
  });

  test.each([
    ['0 0 1 * 7', 'end of range (7) above maximum (6)'],
    ['0 0 L * *', 'failed to parse int from L'],
    ['* * * *', 'expected exactly 5 fields, found 4'],
    ['0 0 * * * *', 'expected exactly 5 fields, found 6'],
    ['*/0 * * * *', 'step of range should be a positive number'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1)'],
    ['60 * * * *', 'end of range (60) above maximum (59)'],
    ['0 0 0 * *', 'beginning of range (0) below minimum (1)'],
    ['@fortnightly', 'unrecognized descriptor'],
    ['CRON_TZ=Europe/Paris 0 9 * * *', 'time zone Europe/Paris is not supported'],
    ['', 'empty spec string'],
  ])('%j is refused: %s', (schedule, reason) => {
    expect(() => parseCronSchedule(schedule)).toThrow(CronSyntaxError);
    expect(() => parseCronSchedule(schedule)).toThrow(reason);
  });
});

describe('cron catch-up', () => {
  const watermark = new Date('2026-01-01T00:00:00Z');

  test('ticks in (watermark, now] become items with upstream IDs and variables', () => {
    const r = dueTicks('0 * * * *', watermark, new Date('2026-01-01T03:00:00Z'));
    expect(r.items.map((i) => i.id)).toEqual(['20260101-0100', '20260101-0200', '20260101-0300']);
    expect(r.items[0]).toMatchObject({
      title: '2026-01-01T01:00:00Z',
      number: 0,
      kind: 'Issue',
      schedule: '0 * * * *',
    });
    expect(r.dropped).toBe(0);
    expect(r.watermark.toISOString()).toBe('2026-01-01T03:00:00.000Z');
  });

  test('after downtime the catch-up is bounded to the newest ticks and says how many it dropped', () => {
    const r = dueTicks('*/5 * * * *', watermark, new Date('2026-01-02T00:00:00Z'), 10);
    expect(r.items).toHaveLength(10);
    expect(r.dropped).toBe(288 - 10);
    expect(r.items[9]!.id).toBe('20260102-0000');
    expect(r.items[0]!.id).toBe('20260101-2315');
  });

  test('a restart neither skips nor repeats: polling again from the stored watermark yields only new ticks', () => {
    const first = dueTicks('*/15 * * * *', watermark, new Date('2026-01-01T00:40:00Z'));
    expect(first.items.map((i) => i.id)).toEqual(['20260101-0015', '20260101-0030']);
    const second = dueTicks('*/15 * * * *', first.watermark, new Date('2026-01-01T01:00:00Z'));
    expect(second.items.map((i) => i.id)).toEqual(['20260101-0045', '20260101-0100']);
    // Same poll repeated (the watermark was not stored): same ticks, hence the same Task names.
    expect(dueTicks('*/15 * * * *', first.watermark, new Date('2026-01-01T01:00:00Z')).items).toEqual(
      second.items,
    );
  });

  test('tickId is Go layout 20060102-1504 in UTC', () => {
    expect(tickId(new Date('2026-12-31T23:59:59Z'))).toBe('20261231-2359');
  });
});
