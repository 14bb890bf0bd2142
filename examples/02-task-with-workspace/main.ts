/**
 * Example 02: a Task that works in a git repository and opens a pull request.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, Task, TaskBudget, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function taskWithWorkspace(scope: Construct): void {
  const team = 'qa';
  const workspace = new Workspace(scope, 'workspace', {
    metadata: { name: 'my-workspace' },
    repo: 'https://github.com/your-org/your-repo.git',
    ref: 'main',
    secretRef: { name: 'github-token' },
  });
  new Task(scope, 'add-tests', {
    // Kept in Git and synced by Argo CD: no TTL (it would run again after one), see example 01.
    metadata: { name: 'add-tests', labels: { team }, annotations: { 'kelos.dev/lifecycle': 'git' } },
    worker: {
      type: 'claude-code',
      credentials: { type: 'oauth', secretRef: { name: 'claude-oauth-token' } },
      workspace,
      // Writing tests for a whole repository takes a while; two hours is still a ceiling.
      podOverrides: {
        activeDeadlineSeconds: 7200,
        // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
        resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } },
      },
    },
    prompt: 'Add unit tests for all untested functions and open a PR with the changes.',
  });
  new TaskBudget(scope, 'budget', {
    metadata: { name: `team-${team}-daily` },
    taskSelector: { matchLabels: { team } },
    period: { type: 'Daily', timezone: 'UTC' },
    // The forecast's worst case is one run × 2 h × 6 USD/h = 12 USD.
    maxCostUSD: '15',
  });
}

synthWhenMain(import.meta, taskWithWorkspace);
