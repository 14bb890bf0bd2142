/**
 * Example 03: a TaskSpawner that turns open issues labelled `bug` into Tasks.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, TaskSpawner, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function githubIssuesSpawner(scope: Construct): void {
  const workspace = new Workspace(scope, 'workspace', {
    metadata: { name: 'my-workspace' },
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
        pollInterval: '5m',
      },
    },
    taskTemplate: {
      worker: {
        type: 'claude-code',
        credentials: { type: 'oauth', secretRef: { name: 'claude-oauth-token' } },
        workspace,
      },
      promptTemplate: `Fix the following GitHub issue and open a PR with the fix.
Issue #{{.Number}}: {{.Title}}
{{.Body}}
`,
      ttlSecondsAfterFinished: 3600,
    },
    maxConcurrency: 3,
  });
}

synthWhenMain(import.meta, githubIssuesSpawner);
