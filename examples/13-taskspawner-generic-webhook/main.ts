/**
 * Example 13: a TaskSpawner fed by a generic webhook (Sentry alerts), with field mapping,
 * filters and signed deliveries.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, TaskSpawner, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function genericWebhookSpawner(scope: Construct): void {
  const namespace = 'default';
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
      worker: {
        type: 'claude-code',
        credentials: { type: 'oauth', secretRef: { name: 'claude-credentials' } },
        workspace: Workspace.fromWorkspaceName(scope, 'my-workspace', 'my-workspace', namespace),
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
  });
}

synthWhenMain(import.meta, genericWebhookSpawner);
