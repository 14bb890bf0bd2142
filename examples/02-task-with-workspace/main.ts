/**
 * Example 02: a Task that works in a git repository and opens a pull request.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, Task, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function taskWithWorkspace(scope: Construct): void {
  const workspace = new Workspace(scope, 'workspace', {
    metadata: { name: 'my-workspace' },
    repo: 'https://github.com/your-org/your-repo.git',
    ref: 'main',
    secretRef: { name: 'github-token' },
  });
  new Task(scope, 'add-tests', {
    metadata: { name: 'add-tests' },
    worker: {
      type: 'claude-code',
      credentials: { type: 'oauth', secretRef: { name: 'claude-oauth-token' } },
      workspace,
    },
    prompt: 'Add unit tests for all untested functions and open a PR with the changes.',
  });
}

synthWhenMain(import.meta, taskWithWorkspace);
