import { describe, expect, test } from 'vitest';
import { mostCronFires, shortestCronGap } from '../../../policies/lib/cron.ts';
import { selectorKeys, selectorMatches } from '../../../policies/lib/worker.ts';
import { formatDuration, parseDuration } from '../../../src/kube/duration.ts';

describe('policy helpers', () => {
  test('parseDuration reads Go durations and bare seconds, as the spawner does', () => {
    expect(parseDuration('5m')).toBe(300);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('1.5s')).toBe(1.5);
    expect(parseDuration('250ms')).toBe(0.25);
    expect(parseDuration('90')).toBe(90);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('5 minutes')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
  });

  test('formatDuration writes the short form', () => {
    expect(formatDuration(60)).toBe('1m');
    expect(formatDuration(5400)).toBe('1h30m');
    expect(formatDuration(90)).toBe('1m30s');
    expect(formatDuration(0)).toBe('0s');
  });

  test('mostCronFires counts the fires of the busiest window of a period, not one per shortest gap', () => {
    const [day, week, month] = [24 * 3600, 168 * 3600, 744 * 3600];
    // 31 days hold at most 23 weekdays: 4 weeks and 3 more days.
    expect(mostCronFires('0 3 * * 1-5', month)).toBe(23);
    expect(mostCronFires('0 3 * * 1-5', week)).toBe(5);
    expect(mostCronFires('0 3 * * 1-5', day)).toBe(1);
    expect(mostCronFires('0 9,17 * * *', day)).toBe(2);
    // A window across a month's end: Feb 1, Feb 15 and Mar 1 lie within 31 days.
    expect(mostCronFires('0 0 1,15 * *', month)).toBe(3);
    // Once in four years, sampled: the horizon holds a leap day.
    expect(mostCronFires('0 0 29 2 *', month)).toBe(1);
    // Weekly: 4 weeks of 120 and the busiest 3 days, 72; daily: 30 days of 48 and one more.
    expect(mostCronFires('0 * * * 1-5', month)).toBe(552);
    expect(mostCronFires('*/30 * * * *', month)).toBe(1488);
    expect(mostCronFires('*/5 * * * *', day)).toBe(288);
    // Less than a period: the busiest stretch, wherever in the day it falls.
    expect(mostCronFires('0 3,4 * * *', 3600)).toBe(1);
    expect(mostCronFires('0 3,4 * * *', 3601)).toBe(2);
    // Too busy to sample over four years, or a fixed interval: one fire per shortest gap.
    expect(mostCronFires('* * 1-31 * *', day)).toBe(1440);
    expect(mostCronFires('@every 90m', day)).toBe(16);
    expect(mostCronFires('not a schedule', day)).toBeUndefined();
  });

  test('shortestCronGap finds the tightest spacing of a five-field schedule', () => {
    expect(shortestCronGap('*/15 * * * *')).toBe(900);
    expect(shortestCronGap('0 9 * * 1-5')).toBe(86_400);
    expect(shortestCronGap('0 9,17 * * *')).toBe(8 * 3600);
    expect(shortestCronGap('0 9 * * 1')).toBe(7 * 86_400);
    // Six fields would be read as seconds by croner; upstream schedules have five.
    expect(shortestCronGap('* * * * * *')).toBeUndefined();
    expect(shortestCronGap('not a schedule')).toBeUndefined();
    // robfig/cron's descriptors, which the spawner runs too: not an always-busy spawner.
    expect(shortestCronGap('@daily')).toBe(86_400);
    expect(shortestCronGap('@hourly')).toBe(3600);
    expect(shortestCronGap('@weekly')).toBe(7 * 86_400);
    expect(shortestCronGap('@every 90m')).toBe(5400);
    expect(shortestCronGap('CRON_TZ=UTC 0 9 * * 1-5')).toBe(86_400);
  });

  test('selectorMatches follows metav1.LabelSelector, and a templated label value matches any value', () => {
    const labels = { team: 'web', tier: '{{.Labels.tier}}' };
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches(undefined, labels)).toBe(false);
    expect(selectorMatches({ matchLabels: { team: 'web' } }, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { team: 'api' } }, labels)).toBe(false);
    expect(selectorMatches({ matchLabels: { tier: 'batch' } }, labels)).toBe(true);
    expect(
      selectorMatches(
        { matchExpressions: [{ key: 'team', operator: 'In', values: ['api', 'web'] }] },
        labels,
      ),
    ).toBe(true);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['web'] }] }, labels),
    ).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'owner', operator: 'Exists' }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'owner', operator: 'DoesNotExist' }] }, labels)).toBe(
      true,
    );
    expect(
      selectorKeys({
        matchLabels: { team: 'x' },
        matchExpressions: [
          { key: 'tier', operator: 'Exists' },
          { key: 'old', operator: 'DoesNotExist' },
        ],
      }),
    ).toStrictEqual(['team', 'tier']);
  });
});
