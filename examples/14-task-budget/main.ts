/**
 * Example 14: a daily spending cap over the platform team's Tasks.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, TaskBudget } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function taskBudget(scope: Construct): void {
  new TaskBudget(scope, 'daily-cost-cap', {
    metadata: { name: 'daily-cost-cap', namespace: 'default' },
    taskSelector: { matchLabels: { team: 'platform' } },
    period: { type: 'Daily', timezone: 'UTC' },
    maxCostUSD: '50',
  });
}

synthWhenMain(import.meta, taskBudget);
