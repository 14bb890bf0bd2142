/**
 * Example 07: three Tasks on one branch, each starting when the previous one succeeded
 * and reading its results through `{{.Deps}}`.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import {
  depResult,
  synthWhenMain,
  Task,
  TaskBudget,
  type WorkerProps,
  Workspace,
} from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function taskPipeline(scope: Construct): void {
  const team = 'auth';
  const workspace = new Workspace(scope, 'workspace', {
    metadata: { name: 'pipeline-workspace' },
    repo: 'https://github.com/your-org/your-repo.git',
    ref: 'main',
    secretRef: { name: 'github-token' },
  });
  const worker: WorkerProps = {
    type: 'claude-code',
    credentials: { type: 'oauth', secretRef: { name: 'claude-credentials' } },
    workspace,
    // Each step gets an hour; a stuck step fails, and the steps after it never start.
    podOverrides: {
      activeDeadlineSeconds: 3600,
      // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
      resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } },
    },
  };
  const branch = 'feature/auth';
  // Every step carries the budget's label, and is kept in Git and synced by Argo CD: no TTL
  // (a step would run again after one), see example 01.
  const labels = { team };
  const annotations = { 'kelos.dev/lifecycle': 'git' };

  const scaffold = new Task(scope, 'scaffold', {
    metadata: { name: 'scaffold', labels, annotations },
    worker,
    branch,
    prompt: `Scaffold a user authentication module with the following:
- A login endpoint (POST /auth/login)
- A registration endpoint (POST /auth/register)
- JWT token generation and validation
- Basic middleware for protected routes
Create the code, commit your changes, and push the branch.
`,
  });
  const writeTests = new Task(scope, 'write-tests', {
    metadata: { name: 'write-tests', labels, annotations },
    worker,
    branch,
    dependsOn: [scaffold],
    prompt: `The scaffold task created an auth module on branch ${depResult(scaffold, 'branch')}.
Write comprehensive tests for the authentication module:
- Unit tests for token generation and validation
- Integration tests for login and registration endpoints
- Edge cases: invalid credentials, expired tokens, duplicate registration
Run the tests to make sure they pass. Commit and push.
`,
  });
  new Task(scope, 'open-pr', {
    metadata: { name: 'open-pr', labels, annotations },
    worker,
    branch,
    dependsOn: [writeTests],
    prompt: `The auth module and its tests are ready on branch ${depResult(writeTests, 'branch')}.
Review the full diff (git diff main...HEAD) and open a pull request:
- Write a clear title and description summarizing the changes
- List the endpoints added and test coverage
- Reference any relevant issues
Use \`gh pr create\` to open the PR.
`,
  });
  new TaskBudget(scope, 'budget', {
    metadata: { name: `team-${team}-daily` },
    taskSelector: { matchLabels: { team } },
    period: { type: 'Daily', timezone: 'UTC' },
    // The forecast's worst case is three runs × 1 h × 6 USD/h = 18 USD.
    maxCostUSD: '20',
  });
}

synthWhenMain(import.meta, taskPipeline);
