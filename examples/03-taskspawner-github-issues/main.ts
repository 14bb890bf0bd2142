/**
 * Example 03: a TaskSpawner that turns open issues labelled `bug` into Tasks, once a
 * maintainer asks for it.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, TaskBudget, TaskSpawner, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function githubIssuesSpawner(scope: Construct): void {
  const team = 'bugfix';
  const workspace = new Workspace(scope, 'workspace', {
    metadata: { name: 'issues-workspace' },
    repo: 'https://github.com/your-org/your-repo.git',
    ref: 'main',
    secretRef: { name: 'github-token' },
  });
  new TaskSpawner(scope, 'fix-bugs', {
    metadata: { name: 'fix-bugs' },
    when: {
      githubIssues: {
        labels: ['bug'],
        state: 'open',
        excludeAuthors: ['dependabot[bot]'],
        // Issue text becomes the prompt: only an issue a maintainer (write access or more)
        // hands over with `/kelos pick-up` is worked on; `/kelos stop` takes it back.
        commentPolicy: {
          triggerComment: '/kelos pick-up',
          excludeComments: ['/kelos stop'],
          minimumPermission: 'write',
        },
        pollInterval: '5m',
      },
    },
    taskTemplate: {
      metadata: { labels: { team } },
      worker: {
        type: 'claude-code',
        credentials: { type: 'oauth', secretRef: { name: 'claude-oauth-token' } },
        workspace,
        podOverrides: {
          activeDeadlineSeconds: 7200,
          // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
          resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } },
        },
      },
      promptTemplate: `Fix the following GitHub issue and open a PR with the fix.
Issue #{{.Number}}: {{.Title}}
{{.Body}}
`,
      ttlSecondsAfterFinished: 3600,
    },
    maxConcurrency: 3,
    // A lifetime cap: the spawner stops creating Tasks after 50; raise it deliberately.
    maxTotalTasks: 50,
  });
  new TaskBudget(scope, 'budget', {
    metadata: { name: `team-${team}-daily` },
    taskSelector: { matchLabels: { team } },
    period: { type: 'Daily', timezone: 'UTC' },
    // The forecast's worst case: 3 agents busy all day, 3 × 24 h × 6 USD/h = 432 USD.
    maxCostUSD: '450',
  });
}

synthWhenMain(import.meta, githubIssuesSpawner);
