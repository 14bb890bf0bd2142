/**
 * Example 04: a TaskSpawner that updates dependencies every Monday morning.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, TaskBudget, TaskSpawner, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function cronSpawner(scope: Construct): void {
  const team = 'deps';
  const workspace = new Workspace(scope, 'workspace', {
    metadata: { name: 'cron-workspace' },
    repo: 'https://github.com/your-org/your-repo.git',
    ref: 'main',
    secretRef: { name: 'github-token' },
  });
  new TaskSpawner(scope, 'weekly-dependency-update', {
    metadata: { name: 'weekly-dependency-update' },
    // Every Monday at 9:00 UTC.
    when: { cron: { schedule: '0 9 * * 1' } },
    taskTemplate: {
      metadata: { labels: { team } },
      worker: {
        type: 'claude-code',
        credentials: { type: 'api-key', secretRef: { name: 'anthropic-api-key' } },
        workspace,
        podOverrides: {
          activeDeadlineSeconds: 7200,
          // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
          resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } },
        },
      },
      promptTemplate: `Check for outdated dependencies, update them to the latest compatible
versions, run the tests, and open a PR with the changes.
`,
      ttlSecondsAfterFinished: 3600,
    },
    // Runs never overlap: a Monday run still going blocks the next one.
    maxConcurrency: 1,
    // A year of Mondays; then someone decides whether it keeps earning its keep.
    maxTotalTasks: 52,
  });
  new TaskBudget(scope, 'budget', {
    metadata: { name: `team-${team}-daily` },
    taskSelector: { matchLabels: { team } },
    period: { type: 'Daily', timezone: 'UTC' },
    // The schedule fires at most once a day: 1 run × 2 h × 6 USD/h = 12 USD.
    maxCostUSD: '15',
  });
}

synthWhenMain(import.meta, cronSpawner);
