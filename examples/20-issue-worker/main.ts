/**
 * Example 20: the IssueWorker pattern, GitHub issues to Tasks with safe defaults.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { IssueWorker, synthWhenMain, Workspace } from '../../constructs/index.ts';

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
    labels: ['agent'],
    allowedTeams: ['acme/api-maintainers'],
    priorityLabels: ['priority/critical', 'priority/high'],
    taskLabels: { team: 'api' },
  });
}

synthWhenMain(import.meta, issueWorker);
