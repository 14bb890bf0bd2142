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
    // Its own name: example 20 deploys acme-api, and one object in two Argo CD Applications has
    // two owners (bundle/shared).
    metadata: { name: 'acme-api-review' },
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
    // Its own label and budget: team-api-daily (example 20) already forecasts two agents of
    // team api all day, and a budget counts every Task of its namespace that it selects,
    // whichever app deploys it; one TaskBudget object in two apps would have two Argo CD
    // Applications fight over it.
    taskLabels: { team: 'api-review' },
  });
  new TaskBudget(scope, 'budget', {
    metadata: { name: 'team-api-review-daily' },
    taskSelector: { matchLabels: { team: 'api-review' } },
    period: { type: 'Daily', timezone: 'UTC' },
    // The worst case of two agents busy all day at 6 USD an hour, so the policy forecast holds.
    maxCostUSD: '300',
  });
}

synthWhenMain(import.meta, prResponder);
