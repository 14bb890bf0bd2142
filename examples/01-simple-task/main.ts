/**
 * Example 01: the smallest useful Task, an agent with an API key and a prompt, with the
 * limits every Task should carry: a deadline and a budget that covers it. It is kept in Git
 * (`kelos.dev/lifecycle: git`) and has no TTL: Argo CD syncs it with self-heal, so a TTL would
 * delete it, Argo CD would create it again and the agent would run again. Remove it from Git
 * to clean it up.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, Task, TaskBudget } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function simpleTask(scope: Construct): void {
  const team = 'sandbox';
  new Task(scope, 'simple-task', {
    metadata: { name: 'simple-task', labels: { team }, annotations: { 'kelos.dev/lifecycle': 'git' } },
    worker: {
      type: 'claude-code',
      credentials: { type: 'api-key', secretRef: { name: 'anthropic-api-key' } },
      // A run that is not done in an hour is stuck; its Pod is stopped and the Task fails.
      podOverrides: {
        activeDeadlineSeconds: 3600,
        // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
        resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } },
      },
    },
    prompt: 'Write a Python script that prints the first 20 Fibonacci numbers.',
  });
  new TaskBudget(scope, 'budget', {
    metadata: { name: `team-${team}-daily` },
    taskSelector: { matchLabels: { team } },
    period: { type: 'Daily', timezone: 'UTC' },
    // The forecast's worst case is one run × 1 h × 6 USD/h = 6 USD.
    maxCostUSD: '10',
  });
}

synthWhenMain(import.meta, simpleTask);
