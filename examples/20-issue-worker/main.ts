/**
 * Example 20: the IssueWorker pattern, GitHub issues to Tasks with safe defaults.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { IssueWorker, synthWhenMain, TaskBudget, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function issueWorker(scope: Construct): void {
  const workspace = new Workspace(scope, 'workspace', {
    metadata: { name: 'acme-api' },
    repo: 'https://github.com/acme/api.git',
    ref: 'main',
    secretRef: { name: 'acme-github-app' },
  });
  new IssueWorker(scope, 'issue-worker', {
    metadata: { name: 'acme-api-issue-worker' },
    workspace,
    botLogin: 'acme-kelos[bot]',
    credentials: { type: 'oauth', secretRef: { name: 'claude-oauth-token' } },
    // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
    podOverrides: { resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } } },
    labels: ['agent'],
    allowedTeams: ['acme/api-maintainers'],
    priorityLabels: ['priority/critical', 'priority/high'],
    taskLabels: { team: 'api' },
    // A lifetime cap: after 100 Tasks the spawner stops; raise it deliberately.
    maxTotalTasks: 100,
  });
  new TaskBudget(scope, 'budget', {
    metadata: { name: 'team-api-daily' },
    taskSelector: { matchLabels: { team: 'api' } },
    period: { type: 'Daily', timezone: 'UTC' },
    // The worst case of two agents busy all day at 6 USD an hour, so the policy forecast holds.
    maxCostUSD: '300',
  });
}

synthWhenMain(import.meta, issueWorker);
