/**
 * Example 10: TaskSpawners driven by GitHub webhooks: a general responder with filters
 * per event, and a pull request responder for bursts of new pull requests. Both act only
 * on events sent by the repository's maintainers.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import {
  synthWhenMain,
  TaskBudget,
  TaskSpawner,
  type WorkerProps,
  Workspace,
} from '../../constructs/index.ts';
import type { When } from '../../src/api/index.ts';

/** Logins whose events may start an agent: the sender's text becomes the prompt. */
const MAINTAINERS = ['alice', 'bob'];

/** One GitHub webhook filter. */
type Filter = NonNullable<NonNullable<When['githubWebhook']>['filters']>[number];

/**
 * Each filter once per maintainer (`author` is the event's sender, one login per filter;
 * filters for the same event are alternatives). A filter that already names its sender is
 * kept as it is.
 */
const fromMaintainers = (filters: readonly Filter[]): Filter[] =>
  filters.flatMap((f) => (f.author !== undefined ? [f] : MAINTAINERS.map((author) => ({ ...f, author }))));

const RESPONDER_PROMPT = `A GitHub webhook event has been triggered that requires attention.

- **Event Type**: {{.Event}}
- **Action**: {{.Action}}
- **Triggered by**: @{{.Sender}}
{{- if .Title}}
- **Title**: {{.Title}}
{{- end}}
{{- with index . "URL"}}
- **URL**: {{.}}
{{- end}}
{{- with index . "Branch"}}
- **Branch**: {{.}}
{{- end}}

{{- if eq .Event "issues"}}
{{with index . "Body"}}{{.}}{{end}}

Please review this issue and provide an initial analysis or triage.
{{- else if eq .Event "pull_request"}}
{{with index . "Body"}}{{.}}{{end}}

Please review this pull request and provide feedback on the code changes.
{{- else if eq .Event "issue_comment"}}

A comment was made that mentioned our bot. Please review the comment and respond appropriately.
{{- else if eq .Event "pull_request_review"}}

A pull request review was submitted. Please check if any follow-up actions are needed.
{{- end}}

You have full access to the repository through the workspace. Use git commands and code analysis tools as needed.
`;

/** Builds the example into `scope`. */
export default function githubWebhookSpawner(scope: Construct): void {
  const namespace = 'default';
  const team = 'triage';
  const workspace = new Workspace(scope, 'my-repo-workspace', {
    metadata: { name: 'my-repo-workspace', namespace },
    repo: 'https://github.com/myorg/myrepo.git',
  });
  const worker: WorkerProps = {
    type: 'claude-code',
    credentials: { type: 'api-key', secretRef: { name: 'claude-credentials' } },
    workspace,
    podOverrides: {
      activeDeadlineSeconds: 3600,
      // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
      resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } },
    },
  };

  new TaskSpawner(scope, 'github-webhook-responder', {
    metadata: { name: 'github-webhook-responder', namespace },
    when: {
      githubWebhook: {
        events: ['issues', 'pull_request', 'issue_comment', 'pull_request_review'],
        excludeAuthors: ['dependabot[bot]', 'renovate[bot]'],
        filters: fromMaintainers([
          { event: 'issues', action: 'opened' },
          // Only non-draft pull requests.
          { event: 'pull_request', action: 'opened', draft: false },
          { event: 'pull_request', action: 'labeled', labels: ['review-requested'] },
          { event: 'issues', action: 'opened', labels: ['bug'], excludeLabels: ['wontfix', 'duplicate'] },
          { event: 'issue_comment', action: 'created', bodyPattern: '/kelos' },
          { event: 'pull_request_review', action: 'submitted', author: 'senior-reviewer' },
        ]),
      },
    },
    taskTemplate: {
      worker,
      branch: 'kelos-webhook-{{.Event}}-{{.ID}}',
      promptTemplate: RESPONDER_PROMPT,
      metadata: {
        labels: {
          team,
          'kelos.dev/trigger': 'webhook',
          'kelos.dev/event': '{{.Event}}',
          'kelos.dev/action': '{{.Action}}',
        },
        annotations: {
          'kelos.dev/github-url': '{{.URL}}',
          'kelos.dev/github-sender': '{{.Sender}}',
        },
      },
      ttlSecondsAfterFinished: 3600,
    },
    maxConcurrency: 2,
    maxTotalTasks: 200,
  });

  new TaskSpawner(scope, 'pr-burst-responder', {
    metadata: { name: 'pr-burst-responder', namespace },
    when: {
      githubWebhook: {
        repository: 'myorg/myrepo',
        events: ['pull_request'],
        filters: fromMaintainers([
          { event: 'pull_request', action: 'opened', draft: false },
          { event: 'pull_request', action: 'labeled', labels: ['review-requested'] },
          { event: 'pull_request', action: 'ready_for_review' },
        ]),
      },
    },
    taskTemplate: {
      metadata: { labels: { team } },
      worker,
      nameTemplate: 'pr-burst-responder-{{.Number}}',
      promptTemplate: `Review pull request #{{.Number}}: {{.Title}}
{{with index . "URL"}}URL: {{.}}{{end}}
`,
      ttlSecondsAfterFinished: 3600,
    },
    maxConcurrency: 2,
    maxTotalTasks: 200,
  });

  new TaskBudget(scope, 'budget', {
    metadata: { name: `team-${team}-daily`, namespace },
    taskSelector: { matchLabels: { team } },
    period: { type: 'Daily', timezone: 'UTC' },
    // The forecast's worst case: 2 + 2 agents busy all day, 4 × 24 h × 6 USD/h = 576 USD.
    maxCostUSD: '600',
  });
}

synthWhenMain(import.meta, githubWebhookSpawner);
