import { describe, expect, test } from 'vitest';
import { TaskBudget } from '../../../constructs/index.ts';
import { chart, synth, thrown, validationErrors } from './helpers.ts';

describe('TaskBudget', () => {
  test('renders its spec and exposes the API defaults', () => {
    const c = chart();
    const budget = new TaskBudget(c, 'b', {
      metadata: { name: 'daily' },
      taskSelector: { matchLabels: { team: 'a' } },
      period: { type: 'Daily' },
      maxCostUSD: '25.50',
    });
    expect(synth(c)).toStrictEqual([
      {
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'TaskBudget',
        metadata: { name: 'daily' },
        spec: {
          maxCostUSD: '25.50',
          period: { type: 'Daily' },
          taskSelector: { matchLabels: { team: 'a' } },
        },
      },
    ]);
    expect([budget.periodType, budget.timezone, budget.enforcement]).toStrictEqual([
      'Daily',
      'UTC',
      'Admission',
    ]);
    expect(validationErrors(c)).toStrictEqual([]);
  });

  test('exposes what the spec sets', () => {
    const budget = new TaskBudget(chart(), 'b', {
      taskSelector: {},
      period: { type: 'Weekly', timezone: 'Europe/Berlin' },
      maxOutputTokens: 1_000_000,
      enforcement: 'StopRunning',
    });
    expect([budget.periodType, budget.timezone, budget.enforcement]).toStrictEqual([
      'Weekly',
      'Europe/Berlin',
      'StopRunning',
    ]);
  });

  test('rejects a budget without a limit', () => {
    expect(
      thrown(
        () =>
          new TaskBudget(chart(), 'b', {
            metadata: { name: 'b' },
            taskSelector: {},
            period: { type: 'Daily' },
          }),
      ),
    ).toBe('TaskBudget b /spec: at least one of maxCostUSD, maxInputTokens or maxOutputTokens must be set');
  });

  test('a missing period is refused by name', () => {
    const props = { metadata: { name: 'b' }, taskSelector: {}, maxCostUSD: '1' };
    expect(
      thrown(() => new TaskBudget(chart(), 'b', props as ConstructorParameters<typeof TaskBudget>[2])),
    ).toBe('TaskBudget b /spec/period: period is required');
  });

  test('rejects a negative cost limit', () => {
    expect(
      thrown(
        () =>
          new TaskBudget(chart(), 'b', {
            metadata: { name: 'b' },
            taskSelector: {},
            period: { type: 'Daily' },
            maxCostUSD: '-1',
          }),
      ),
    ).toBe('TaskBudget b /spec/maxCostUSD: must be a non-negative quantity');
  });
});
