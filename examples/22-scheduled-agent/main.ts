/**
 * Example 22: the ScheduledAgent pattern, a nightly agent that keeps the test suite green.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { AgentConfig, ScheduledAgent, synthWhenMain, TaskBudget, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function scheduledAgent(scope: Construct): void {
  // Its own Workspace (it runs `npm ci` first): acme-api belongs to the issue-worker and
  // pr-responder apps, and two Argo CD Applications must not render one object differently.
  const workspace = new Workspace(scope, 'workspace', {
    metadata: { name: 'acme-api-nightly' },
    repo: 'https://github.com/acme/api.git',
    ref: 'main',
    secretRef: { name: 'acme-github-app' },
    setupCommand: ['npm', 'ci'],
  });
  const conventions = new AgentConfig(scope, 'conventions', {
    metadata: { name: 'acme-conventions' },
    agentsMD: `- Run \`npm test\` before every commit.
- Keep pull requests small and focused; one fix per pull request.
- Never disable or skip a test to make the suite pass.
`,
  });
  new ScheduledAgent(scope, 'nightly-flaky-tests', {
    metadata: { name: 'acme-api-nightly-flaky-tests' },
    schedule: '0 2 * * *',
    workspace,
    agentConfigs: [conventions],
    credentials: { type: 'api-key', secretRef: { name: 'anthropic-api-key' } },
    model: 'claude-sonnet-4-5',
    branch: 'kelos/flaky-tests-{{.ID}}',
    prompt: `Run the test suite five times ({{.Time}}). For every test that failed at least once
but not every time, find the cause of the flakiness and fix it. Open one pull request with
the fixes, listing each flaky test and its cause. If every run passed, do nothing.
`,
    activeDeadlineSeconds: 3600,
    // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
    podOverrides: { resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } } },
    taskLabels: { team: 'api', job: 'nightly-flaky-tests' },
    // A year of nights; then someone decides whether it keeps earning its keep.
    maxTotalTasks: 365,
  });
  new TaskBudget(scope, 'budget', {
    metadata: { name: 'team-api-nightly' },
    taskSelector: { matchLabels: { team: 'api', job: 'nightly-flaky-tests' } },
    period: { type: 'Daily', timezone: 'UTC' },
    // This spawner's forecast worst case is 1 run × 1 h × 6 USD/h, since the schedule fires
    // once a day; the cap leaves room for a rerun.
    maxCostUSD: '20',
  });
}

synthWhenMain(import.meta, scheduledAgent);
