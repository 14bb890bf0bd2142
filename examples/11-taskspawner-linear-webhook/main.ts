/**
 * Example 11: a TaskSpawner driven by Linear webhooks for issues labelled `agent-task`.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, TaskBudget, TaskSpawner, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function linearWebhookSpawner(scope: Construct): void {
  const namespace = 'default';
  const team = 'product';
  const workspace = new Workspace(scope, 'workspace', {
    metadata: { name: 'linear-workspace', namespace },
    repo: 'https://github.com/your-org/your-repo.git',
    ref: 'main',
    secretRef: { name: 'github-token' },
  });
  const filter = {
    states: ['Todo', 'In Progress'],
    labels: ['agent-task'],
    excludeLabels: ['no-automation'],
  };
  new TaskSpawner(scope, 'linear-webhook-example', {
    metadata: { name: 'linear-webhook-example', namespace },
    when: {
      linearWebhook: {
        types: ['Issue'],
        filters: [
          { action: 'create', ...filter },
          { action: 'update', ...filter },
        ],
      },
    },
    taskTemplate: {
      metadata: { labels: { team } },
      worker: {
        type: 'claude-code',
        credentials: { type: 'oauth', secretRef: { name: 'claude-credentials' } },
        workspace,
        podOverrides: {
          activeDeadlineSeconds: 7200,
          // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
          resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } },
        },
      },
      branch: 'linear-task-{{.ID}}',
      promptTemplate: `Linear {{.Type}} {{.Action}}: {{.Title}}

Linear Issue ID: {{.ID}}
State: {{.State}}
Labels: {{.Labels}}

Please analyze this Linear issue and provide recommendations or implement any requested changes.
Full webhook data is available in the payload for detailed analysis if needed.
`,
      ttlSecondsAfterFinished: 3600,
    },
    maxConcurrency: 3,
    // A lifetime cap: the spawner stops creating Tasks after 100; raise it deliberately.
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

synthWhenMain(import.meta, linearWebhookSpawner);
