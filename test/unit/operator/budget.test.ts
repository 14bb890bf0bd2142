import { describe, expect, it } from 'vitest';
import type { TaskBudget, TaskRecord } from '../../../src/api/index.ts';
import {
  admit,
  budgetRequeueMs,
  evaluateBudget,
  MAX_BUDGET_REQUEUE_MS,
  periodAt,
  startOfLocalDay,
} from '../../../src/operator/budget.ts';
import { formatQuantity } from '../../../src/validate/quantity.ts';

const iso = (t: number): string => new Date(t).toISOString();
const at = (s: string): number => Date.parse(s);
const period = (type: 'Daily' | 'Weekly' | 'Monthly', tz: string, now: string) => {
  const p = periodAt(type, tz, at(now));
  return [iso(p.start), iso(p.end)];
};

describe('periodAt', () => {
  it('gives UTC days midnight to midnight', () => {
    expect(period('Daily', 'UTC', '2026-03-10T13:45:00Z')).toEqual([
      '2026-03-10T00:00:00.000Z',
      '2026-03-11T00:00:00.000Z',
    ]);
    // The start is inclusive, the end exclusive.
    expect(period('Daily', 'UTC', '2026-03-10T00:00:00Z')).toEqual([
      '2026-03-10T00:00:00.000Z',
      '2026-03-11T00:00:00.000Z',
    ]);
    expect(period('Daily', 'UTC', '2026-03-10T23:59:59.999Z')).toEqual([
      '2026-03-10T00:00:00.000Z',
      '2026-03-11T00:00:00.000Z',
    ]);
  });

  it('follows the local day of the time zone, not the UTC day', () => {
    // 02:00 UTC is still the previous evening in New York (UTC−5 in January).
    expect(period('Daily', 'America/New_York', '2026-01-15T02:00:00Z')).toEqual([
      '2026-01-14T05:00:00.000Z',
      '2026-01-15T05:00:00.000Z',
    ]);
    // Half- and three-quarter-hour offsets.
    expect(period('Daily', 'Asia/Kolkata', '2026-01-15T20:00:00Z')).toEqual([
      '2026-01-15T18:30:00.000Z',
      '2026-01-16T18:30:00.000Z',
    ]);
    expect(period('Daily', 'Pacific/Chatham', '2026-06-15T00:00:00Z')).toEqual([
      '2026-06-14T11:15:00.000Z',
      '2026-06-15T11:15:00.000Z',
    ]);
  });

  it('makes the spring-forward day 23 hours and the fall-back day 25 hours long (Europe/Berlin)', () => {
    const spring = periodAt('Daily', 'Europe/Berlin', at('2026-03-29T12:00:00Z'));
    expect(iso(spring.start)).toBe('2026-03-28T23:00:00.000Z');
    expect(iso(spring.end)).toBe('2026-03-29T22:00:00.000Z');
    expect((spring.end - spring.start) / 3_600_000).toBe(23);
    const fall = periodAt('Daily', 'Europe/Berlin', at('2026-10-25T12:00:00Z'));
    expect(iso(fall.start)).toBe('2026-10-24T22:00:00.000Z');
    expect(iso(fall.end)).toBe('2026-10-25T23:00:00.000Z');
    expect((fall.end - fall.start) / 3_600_000).toBe(25);
  });

  it('starts the day at 01:00 where DST skips midnight (America/Santiago)', () => {
    // On 2026-09-06 clocks jump from 00:00 to 01:00 (UTC−4 → UTC−3).
    expect(startOfLocalDay({ year: 2026, month: 9, day: 6 }, 'America/Santiago')).toBe(
      at('2026-09-06T04:00:00Z'),
    );
    expect(period('Daily', 'America/Santiago', '2026-09-06T12:00:00Z')).toEqual([
      '2026-09-06T04:00:00.000Z',
      '2026-09-07T03:00:00.000Z',
    ]);
    // The day before ends where the new one starts: no instant is lost.
    expect(period('Daily', 'America/Santiago', '2026-09-06T03:59:59Z')).toEqual([
      '2026-09-05T04:00:00.000Z',
      '2026-09-06T04:00:00.000Z',
    ]);
  });

  it('starts weeks on Monday in the local zone', () => {
    // 2026-03-11 is a Wednesday.
    expect(period('Weekly', 'UTC', '2026-03-11T10:00:00Z')).toEqual([
      '2026-03-09T00:00:00.000Z',
      '2026-03-16T00:00:00.000Z',
    ]);
    // Sunday belongs to the week that started the Monday before.
    expect(period('Weekly', 'UTC', '2026-03-15T23:59:59Z')).toEqual([
      '2026-03-09T00:00:00.000Z',
      '2026-03-16T00:00:00.000Z',
    ]);
    // Monday 00:00 starts a new week.
    expect(period('Weekly', 'UTC', '2026-03-16T00:00:00Z')).toEqual([
      '2026-03-16T00:00:00.000Z',
      '2026-03-23T00:00:00.000Z',
    ]);
    // Sunday 23:30 UTC is already Monday in Tokyo.
    expect(period('Weekly', 'Asia/Tokyo', '2026-03-15T23:30:00Z')).toEqual([
      '2026-03-15T15:00:00.000Z',
      '2026-03-22T15:00:00.000Z',
    ]);
    // A week across the spring-forward change is 167 hours.
    const w = periodAt('Weekly', 'Europe/Berlin', at('2026-03-27T12:00:00Z'));
    expect(iso(w.start)).toBe('2026-03-22T23:00:00.000Z');
    expect(iso(w.end)).toBe('2026-03-29T22:00:00.000Z');
    // A week across a year boundary.
    expect(period('Weekly', 'UTC', '2027-01-01T12:00:00Z')).toEqual([
      '2026-12-28T00:00:00.000Z',
      '2027-01-04T00:00:00.000Z',
    ]);
  });

  it('runs months from the 1st to the 1st, across year ends and leap Februaries', () => {
    expect(period('Monthly', 'UTC', '2026-12-31T23:59:59Z')).toEqual([
      '2026-12-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
    expect(period('Monthly', 'UTC', '2028-02-29T12:00:00Z')).toEqual([
      '2028-02-01T00:00:00.000Z',
      '2028-03-01T00:00:00.000Z',
    ]);
    expect(period('Monthly', 'UTC', '2027-02-28T12:00:00Z')).toEqual([
      '2027-02-01T00:00:00.000Z',
      '2027-03-01T00:00:00.000Z',
    ]);
    // 2026-03-31T23:30Z is already April 1st in Berlin (UTC+2 after the change).
    expect(period('Monthly', 'Europe/Berlin', '2026-03-31T23:30:00Z')).toEqual([
      '2026-03-31T22:00:00.000Z',
      '2026-04-30T22:00:00.000Z',
    ]);
    expect(period('Monthly', 'America/Los_Angeles', '2026-11-15T00:00:00Z')).toEqual([
      '2026-11-01T07:00:00.000Z',
      '2026-12-01T08:00:00.000Z',
    ]);
  });

  it('throws a RangeError for an unknown zone', () => {
    expect(() => periodAt('Daily', 'Mars/Olympus_Mons', 0)).toThrow(RangeError);
  });
});

const budget = (name: string, spec: Partial<TaskBudget['spec']>): TaskBudget => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'TaskBudget',
  metadata: { name, namespace: 'ns' },
  spec: { taskSelector: {}, period: { type: 'Daily', timezone: 'UTC' }, ...spec } as TaskBudget['spec'],
});

const record = (
  name: string,
  completionTime: string,
  usage: object,
  labels: Record<string, string> = {},
): TaskRecord => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'TaskRecord',
  metadata: { name, namespace: 'ns', labels },
  spec: { taskRef: { name }, phase: 'Succeeded', completionTime, usage } as TaskRecord['spec'],
});

describe('evaluateBudget', () => {
  const now = at('2026-03-10T12:00:00Z');

  it('sums cost exactly and tokens of the records in the period that the selector picks', () => {
    const b = budget('team', {
      taskSelector: { matchLabels: { team: 'a' } },
      maxCostUSD: '10',
      maxInputTokens: 5000,
    });
    const records = [
      record(
        'r1',
        '2026-03-10T00:00:00Z',
        { costUSD: '0.1', inputTokens: 100, outputTokens: 10 },
        { team: 'a' },
      ),
      record(
        'r2',
        '2026-03-10T11:00:00Z',
        { costUSD: '0.2', inputTokens: 200, outputTokens: 20 },
        { team: 'a' },
      ),
      record('other-team', '2026-03-10T11:00:00Z', { costUSD: '100' }, { team: 'b' }),
      record('yesterday', '2026-03-09T23:59:59Z', { costUSD: '100' }, { team: 'a' }),
      record('tomorrow', '2026-03-11T00:00:00Z', { costUSD: '100' }, { team: 'a' }),
      record('millis', '2026-03-10T11:30:00Z', { costUSD: '700m' }, { team: 'a' }),
    ];
    const state = evaluateBudget(b, records, now);
    expect(state.ok).toBe(true);
    if (!state.ok) return;
    // 0.1 + 0.2 + 0.7 is exactly 1 (no floating point drift).
    expect(formatQuantity(state.used.costUSD)).toBe('1');
    expect(state.used.inputTokens).toBe(300n);
    expect(state.used.outputTokens).toBe(30n);
    expect(state.exhausted).toBeUndefined();
  });

  it('is exhausted when usage reaches a limit, naming every limit reached', () => {
    const b = budget('b', { maxCostUSD: '1', maxOutputTokens: 30 });
    const records = [
      record('r1', '2026-03-10T01:00:00Z', { costUSD: '0.5', outputTokens: 10 }),
      record('r2', '2026-03-10T02:00:00Z', { costUSD: '0.5', outputTokens: 20 }),
    ];
    const state = evaluateBudget(b, records, now);
    expect(state.ok && state.exhausted).toBe(
      'cost 1 USD reached maxCostUSD 1; 30 output tokens reached maxOutputTokens 30',
    );
  });

  it('treats a limit of 0 as always exhausted', () => {
    const state = evaluateBudget(budget('zero', { maxInputTokens: 0 }), [], now);
    expect(state.ok && state.exhausted).toBe('0 input tokens reached maxInputTokens 0');
  });

  it('fails closed on a selector that does not parse', () => {
    const b = budget('bad', {
      maxCostUSD: '1',
      taskSelector: { matchExpressions: [{ key: 'team', operator: 'Near', values: ['a'] }] },
    });
    expect(evaluateBudget(b, [], now)).toEqual({
      ok: false,
      problem: {
        reason: 'InvalidSelector',
        message:
          'spec.taskSelector is invalid: /matchExpressions/0/operator: "Near" is not a valid operator (expected In, NotIn, Exists or DoesNotExist)',
      },
    });
  });

  it('fails closed on an unknown time zone', () => {
    const b = budget('tz', { maxCostUSD: '1', period: { type: 'Daily', timezone: 'Europe/Atlantis' } });
    expect(evaluateBudget(b, [], now)).toEqual({
      ok: false,
      problem: {
        reason: 'InvalidPeriod',
        message: 'spec.period.timezone "Europe/Atlantis" is not a known IANA time zone',
      },
    });
  });
});

describe('admit', () => {
  const now = at('2026-03-10T12:00:00Z');
  const records = [record('r1', '2026-03-10T01:00:00Z', { costUSD: '5' }, { team: 'a' })];
  const state = (b: TaskBudget) => evaluateBudget(b, records, now);

  it('admits a Task no budget covers, with nothing to snapshot', () => {
    const b = budget('team-b', { taskSelector: { matchLabels: { team: 'b' } }, maxCostUSD: '1' });
    expect(admit({ team: 'a' }, [b], state)).toEqual({ admitted: true, coveredBy: [] });
  });

  it('admits a covered Task under budget and says when the period ends', () => {
    const b = budget('team-a', { taskSelector: { matchLabels: { team: 'a' } }, maxCostUSD: '10' });
    expect(admit({ team: 'a' }, [b], state)).toEqual({
      admitted: true,
      coveredBy: ['team-a'],
      nextChangeAt: at('2026-03-11T00:00:00Z'),
    });
  });

  it('blocks a covered Task once the budget is used up, until the period ends', () => {
    const b = budget('team-a', { taskSelector: { matchLabels: { team: 'a' } }, maxCostUSD: '5' });
    expect(admit({ team: 'a' }, [b], state)).toEqual({
      admitted: false,
      budget: 'team-a',
      reason: 'cost 5 USD reached maxCostUSD 5',
      retryAt: at('2026-03-11T00:00:00Z'),
    });
  });

  it('counts the tokens of finished Tasks whose records are pending against token limits', () => {
    const b = budget('team-a', { taskSelector: { matchLabels: { team: 'a' } }, maxOutputTokens: 100 });
    const extra = () => ({ costUSD: '0', inputTokens: 0, outputTokens: 150, running: 0, finished: 1 });
    expect(admit({ team: 'a' }, [b], state, extra)).toEqual({
      admitted: false,
      budget: 'team-a',
      reason:
        '150 output tokens reached maxOutputTokens 100 (0 output tokens used + 150 spent by 1 finished Task not recorded yet)',
      retryAt: at('2026-03-11T00:00:00Z'),
      heldByRunning: true,
    });
  });

  it('blocks every Task of the namespace while a budget is broken', () => {
    const broken = budget('broken', { maxCostUSD: '5', period: { type: 'Hourly' as 'Daily' } });
    const result = admit({ unrelated: 'x' }, [broken], state);
    expect(result).toEqual({
      admitted: false,
      budget: 'broken',
      reason: 'spec.period.type "Hourly" is not one of Daily, Weekly, Monthly',
    });
  });
});

describe('budgetRequeueMs', () => {
  it('waits until the period ends but never more than five minutes', () => {
    expect(budgetRequeueMs(1_000 + 30_000, 1_000)).toBe(30_000);
    expect(budgetRequeueMs(1_000 + 3_600_000, 1_000)).toBe(MAX_BUDGET_REQUEUE_MS);
    expect(budgetRequeueMs(undefined, 0)).toBe(MAX_BUDGET_REQUEUE_MS);
    expect(budgetRequeueMs(500, 1_000)).toBe(1);
  });
});
