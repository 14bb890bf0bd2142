/**
 * Example 12: spawners that select pull requests and pushes by the files they change.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, TaskSpawner, type WorkerProps, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function filePatterns(scope: Construct): void {
  const worker: WorkerProps = {
    type: 'claude-code',
    credentials: { type: 'oauth', secretRef: { name: 'claude-oauth-token' } },
    workspace: Workspace.fromWorkspaceName(scope, 'my-workspace', 'my-workspace'),
  };

  new TaskSpawner(scope, 'go-code-reviewer', {
    metadata: { name: 'go-code-reviewer' },
    when: {
      githubPullRequests: {
        state: 'open',
        filePatterns: { include: ['**/*.go'], exclude: ['vendor/**'] },
      },
    },
    maxConcurrency: 2,
    taskTemplate: {
      worker,
      branch: '{{.Branch}}',
      promptTemplate: `Review PR #{{.Number}}: {{.Title}}

{{.Body}}

Please review the Go code changes. Focus on correctness,
error handling, and test coverage. Ignore vendor changes.
`,
      ttlSecondsAfterFinished: 3600,
    },
  });

  new TaskSpawner(scope, 'code-reviewer-skip-docs', {
    metadata: { name: 'code-reviewer-skip-docs' },
    when: {
      githubPullRequests: {
        state: 'open',
        labels: ['needs-review'],
        filePatterns: { exclude: ['docs/**', '*.md', '*.txt', 'LICENSE'] },
      },
    },
    taskTemplate: {
      worker,
      branch: '{{.Branch}}',
      promptTemplate: `Review PR #{{.Number}}: {{.Title}}

{{.Body}}
`,
      ttlSecondsAfterFinished: 3600,
    },
  });

  const sensitive = ['internal/auth/**', 'internal/crypto/**'];
  new TaskSpawner(scope, 'webhook-security-reviewer', {
    metadata: { name: 'webhook-security-reviewer' },
    when: {
      githubWebhook: {
        events: ['pull_request', 'push'],
        filters: [
          { event: 'pull_request', action: 'opened', filePatterns: { include: sensitive } },
          { event: 'push', branch: 'main', filePatterns: { include: sensitive } },
        ],
      },
    },
    taskTemplate: {
      worker,
      branch: 'kelos-security-review-{{.ID}}',
      promptTemplate: `Security review for {{.Event}} event by @{{.Sender}}
{{- if .Title}}
Title: {{.Title}}
{{- end}}

Focus on: authentication bypass, injection vulnerabilities,
credential handling, and access control in the changed files.
`,
      ttlSecondsAfterFinished: 3600,
    },
  });
}

synthWhenMain(import.meta, filePatterns);
