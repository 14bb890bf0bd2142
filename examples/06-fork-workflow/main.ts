/**
 * Example 06: fix upstream issues from a fork, and open pull requests back upstream.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, TaskSpawner, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function forkWorkflow(scope: Construct): void {
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
        pollInterval: '5m',
      },
    },
    taskTemplate: {
      worker: {
        type: 'claude-code',
        credentials: { type: 'oauth', secretRef: { name: 'claude-oauth-token' } },
        workspace: fork,
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
  });
}

synthWhenMain(import.meta, forkWorkflow);
