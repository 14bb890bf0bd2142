/**
 * Example 13: a TaskSpawner fed by a generic webhook (Sentry alerts), with field mapping,
 * filters and signed deliveries.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, TaskBudget, TaskSpawner, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function genericWebhookSpawner(scope: Construct): void {
  const namespace = 'default';
  const team = 'oncall';
  const workspace = new Workspace(scope, 'workspace', {
    metadata: { name: 'webhook-workspace', namespace },
    repo: 'https://github.com/your-org/your-repo.git',
    ref: 'main',
    secretRef: { name: 'github-token' },
  });
  new TaskSpawner(scope, 'sentry-error-responder', {
    metadata: { name: 'sentry-error-responder', namespace },
    when: {
      webhook: {
        source: 'sentry',
        fieldMapping: {
          id: '$.data.event.event_id',
          title: '$.data.event.title',
          url: '$.data.url',
          level: '$.data.event.level',
          platform: '$.data.event.platform',
        },
        filters: [
          { field: '$.data.event.level', value: 'error' },
          { field: '$.data.event.platform', pattern: '^(python|go|node)' },
        ],
        excludeFilters: [
          { field: '$.data.event.environment', value: 'staging' },
          { field: '$.data.event.title', pattern: '^(?i)test' },
        ],
        // Kelos extension: deliveries must carry an HMAC signature made with this Secret.
        secretRef: { name: 'sentry-webhook-secret' },
      },
    },
    taskTemplate: {
      metadata: { labels: { team } },
      worker: {
        type: 'claude-code',
        credentials: { type: 'oauth', secretRef: { name: 'claude-credentials' } },
        workspace,
        podOverrides: {
          activeDeadlineSeconds: 3600,
          // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
          resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } },
        },
      },
      branch: 'sentry-{{.ID}}',
      promptTemplate: `A new Sentry error was reported.

Title:    {{.Title}}
Level:    {{.level}}
Platform: {{.platform}}
URL:      {{.URL}}

Investigate the stack trace in the payload and open a PR with a fix.
`,
      ttlSecondsAfterFinished: 3600,
    },
    maxConcurrency: 3,
    // An error storm must not become a Task storm: after 100 Tasks the spawner stops and
    // someone looks at what is going on.
    maxTotalTasks: 100,
  });
  new TaskBudget(scope, 'budget', {
    metadata: { name: `team-${team}-daily`, namespace },
    taskSelector: { matchLabels: { team } },
    period: { type: 'Daily', timezone: 'UTC' },
    // The forecast's worst case: 3 agents busy all day, 3 × 24 h × 6 USD/h = 432 USD.
    maxCostUSD: '450',
  });
}

synthWhenMain(import.meta, genericWebhookSpawner);
