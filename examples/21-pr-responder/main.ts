/**
 * Example 21: the PrResponder pattern, an agent that addresses review feedback on its
 * own pull requests when a maintainer asks.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { PrResponder, synthWhenMain, TaskBudget, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function prResponder(scope: Construct): void {
  const workspace = new Workspace(scope, 'workspace', {
    metadata: { name: 'acme-api' },
    repo: 'https://github.com/acme/api.git',
    ref: 'main',
    secretRef: { name: 'acme-github-app' },
  });
  new PrResponder(scope, 'pr-responder', {
    metadata: { name: 'acme-api-pr-responder' },
    workspace,
    botLogin: 'acme-kelos[bot]',
    credentials: { type: 'oauth', secretRef: { name: 'claude-oauth-token' } },
    // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
    podOverrides: { resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } } },
    allowedUsers: ['alice', 'bob'],
    reviewState: 'changes_requested',
    reporting: { comments: { mode: 'Sticky' }, checks: { name: 'Kelos: address review' } },
    taskLabels: { team: 'api' },
  });
  new TaskBudget(scope, 'budget', {
    metadata: { name: 'team-api-daily' },
    taskSelector: { matchLabels: { team: 'api' } },
    period: { type: 'Daily', timezone: 'UTC' },
    // The worst case of two agents busy all day at 6 USD an hour, so the policy forecast holds.
    maxCostUSD: '300',
  });
}

synthWhenMain(import.meta, prResponder);
