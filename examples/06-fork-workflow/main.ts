/**
 * Example 06: fix upstream issues from a fork, and open pull requests back upstream. The
 * fork's owner picks which upstream issues the agent works on.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, TaskBudget, TaskSpawner, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function forkWorkflow(scope: Construct): void {
  const team = 'upstream';
  const fork = new Workspace(scope, 'my-fork', {
    metadata: { name: 'my-fork' },
    repo: 'https://github.com/your-user/upstream-repo.git',
    ref: 'main',
    secretRef: { name: 'github-token' },
    remotes: [{ name: 'upstream', url: 'https://github.com/upstream-org/upstream-repo.git' }],
  });
  new TaskSpawner(scope, 'fork-issue-fixer', {
    metadata: { name: 'fork-issue-fixer' },
    when: {
      githubIssues: {
        repo: 'https://github.com/upstream-org/upstream-repo.git',
        labels: ['bug'],
        state: 'open',
        // Anyone can open an issue upstream, and its text becomes the prompt: only issues
        // you (the fork's owner) hand over with `/kelos pick-up` are worked on.
        commentPolicy: {
          triggerComment: '/kelos pick-up',
          excludeComments: ['/kelos stop'],
          allowedUsers: ['your-user'],
        },
        pollInterval: '5m',
      },
    },
    taskTemplate: {
      metadata: { labels: { team } },
      worker: {
        type: 'claude-code',
        credentials: { type: 'oauth', secretRef: { name: 'claude-oauth-token' } },
        workspace: fork,
        podOverrides: {
          activeDeadlineSeconds: 7200,
          // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
          resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } },
        },
      },
      branch: 'kelos-task-{{.Number}}',
      promptTemplate: `Fix the following GitHub issue from the upstream repository and open a
PR from this fork back to upstream.
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

synthWhenMain(import.meta, forkWorkflow);
