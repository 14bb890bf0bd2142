/**
 * Example 12: spawners that select pull requests and pushes by the files they change.
 * Reviews start when a maintainer asks for them, or when a maintainer sent the event.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import {
  type GitHubCommentPolicy,
  synthWhenMain,
  TaskBudget,
  TaskSpawner,
  type WorkerProps,
  Workspace,
} from '../../constructs/index.ts';

/** Logins whose pull requests and pushes get a security review without being asked. */
const MAINTAINERS = ['alice', 'bob'];

/**
 * Pull request text becomes the prompt: a review starts only when someone with write
 * access comments `/kelos review`.
 */
const ON_REQUEST: GitHubCommentPolicy = {
  triggerComment: '/kelos review',
  excludeComments: ['/kelos stop'],
  minimumPermission: 'write',
};

/** Builds the example into `scope`. */
export default function filePatterns(scope: Construct): void {
  const team = 'review';
  // Also the credentials the spawners use to list a pull request's changed files.
  const workspace = new Workspace(scope, 'workspace', {
    metadata: { name: 'file-patterns-workspace' },
    repo: 'https://github.com/your-org/your-repo.git',
    ref: 'main',
    secretRef: { name: 'github-token' },
  });
  const worker: WorkerProps = {
    type: 'claude-code',
    credentials: { type: 'oauth', secretRef: { name: 'claude-oauth-token' } },
    workspace,
    podOverrides: {
      activeDeadlineSeconds: 3600,
      // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
      resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } },
    },
  };
  const metadata = { labels: { team } };

  new TaskSpawner(scope, 'go-code-reviewer', {
    metadata: { name: 'go-code-reviewer' },
    when: {
      githubPullRequests: {
        state: 'open',
        filePatterns: { include: ['**/*.go'], exclude: ['vendor/**'] },
        commentPolicy: ON_REQUEST,
      },
    },
    maxConcurrency: 2,
    maxTotalTasks: 200,
    taskTemplate: {
      metadata,
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
        commentPolicy: ON_REQUEST,
      },
    },
    maxConcurrency: 1,
    maxTotalTasks: 200,
    taskTemplate: {
      metadata,
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
        // `author` is the event's sender, one login per filter; filters for the same event
        // are alternatives, so each maintainer gets a pair.
        filters: MAINTAINERS.flatMap((author) => [
          { event: 'pull_request', action: 'opened', author, filePatterns: { include: sensitive } },
          { event: 'push', branch: 'main', author, filePatterns: { include: sensitive } },
        ]),
      },
    },
    maxConcurrency: 1,
    maxTotalTasks: 200,
    taskTemplate: {
      metadata,
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

  new TaskBudget(scope, 'budget', {
    metadata: { name: `team-${team}-daily` },
    taskSelector: { matchLabels: { team } },
    period: { type: 'Daily', timezone: 'UTC' },
    // The forecast's worst case: 2 + 1 + 1 agents busy all day, 4 × 24 h × 6 USD/h = 576 USD.
    maxCostUSD: '600',
  });
}

synthWhenMain(import.meta, filePatterns);
