/**
 * Example 11: a TaskSpawner driven by Linear webhooks for issues labelled `agent-task`.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, TaskSpawner, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function linearWebhookSpawner(scope: Construct): void {
  const namespace = 'default';
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
      worker: {
        type: 'claude-code',
        credentials: { type: 'oauth', secretRef: { name: 'claude-credentials' } },
        workspace: Workspace.fromWorkspaceName(scope, 'my-workspace', 'my-workspace', namespace),
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
  });
}

synthWhenMain(import.meta, linearWebhookSpawner);
