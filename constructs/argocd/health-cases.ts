/**
 * The expected health of every phase and condition of each kind: the cases of Argo CD's
 * test layout (`health_test.yaml` and `testdata/`), which the gopher-lua test runs.
 *
 * @packageDocumentation
 */
import { API_VERSION } from '../../src/api/index.ts';

/** Argo CD's health status names. */
export type HealthStatusCode = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

/** One case: an object and the health Argo CD must report for it. */
export interface HealthCase {
  /** File name in `testdata/`, without `.yaml`. */
  readonly name: string;
  readonly object: Record<string, unknown>;
  readonly status: HealthStatusCode;
  readonly message: string;
}

const meta = (name: string, generation = 1) => ({ name, namespace: 'default', generation });

const cond = (type: string, status: 'True' | 'False', reason: string, message: string) => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2026-11-02T10:00:00Z',
});

const task = (name: string, status?: Record<string, unknown>) => ({
  apiVersion: API_VERSION,
  kind: 'Task',
  metadata: meta(name),
  spec: { prompt: 'Fix the flaky test', worker: { type: 'claude-code', credentials: { type: 'none' } } },
  ...(status && { status }),
});

const waiting = (name: string, c: ReturnType<typeof cond>) =>
  task(name, { phase: 'Waiting', message: 'Waiting for admission', conditions: [c] });

const TASK: readonly HealthCase[] = [
  {
    name: 'no-status',
    object: task('new'),
    status: 'Progressing',
    message: 'Waiting for the operator to admit the Task',
  },
  {
    name: 'pending',
    object: task('pending', { phase: 'Pending', message: 'Job created' }),
    status: 'Progressing',
    message: 'Job created',
  },
  {
    name: 'running',
    object: task('running', { phase: 'Running', podName: 'running-abc12' }),
    status: 'Progressing',
    message: 'Task is Running',
  },
  {
    name: 'succeeded',
    object: task('done', { phase: 'Succeeded', message: 'Agent finished', results: { branch: 'fix/flaky' } }),
    status: 'Healthy',
    message: 'Agent finished',
  },
  {
    name: 'succeeded-without-message',
    object: task('done', { phase: 'Succeeded' }),
    status: 'Healthy',
    message: 'Task succeeded',
  },
  {
    name: 'failed',
    object: task('failed', { phase: 'Failed', message: 'Agent exited with code 2' }),
    status: 'Degraded',
    message: 'Agent exited with code 2',
  },
  {
    name: 'failed-without-message',
    object: task('failed', { phase: 'Failed' }),
    status: 'Degraded',
    message: 'Task failed',
  },
  {
    name: 'waiting-budget',
    object: waiting(
      'over-budget',
      cond('BudgetBlocked', 'True', 'BudgetExceeded', 'Blocked by TaskBudget "team": cost 50 of 50 USD used'),
    ),
    status: 'Suspended',
    message: 'BudgetBlocked: Blocked by TaskBudget "team": cost 50 of 50 USD used',
  },
  {
    name: 'waiting-dependencies',
    object: waiting(
      'second',
      cond('DependenciesReady', 'False', 'DependencyNotFinished', 'Waiting for dependency Task "first"'),
    ),
    status: 'Suspended',
    message: 'DependenciesReady: Waiting for dependency Task "first"',
  },
  {
    name: 'waiting-branch',
    object: waiting(
      'later',
      cond('BranchLocked', 'True', 'BranchBusy', 'Task "earlier" holds branch "main"'),
    ),
    status: 'Suspended',
    message: 'BranchLocked: Task "earlier" holds branch "main"',
  },
  {
    name: 'waiting-references',
    object: waiting(
      'orphan',
      cond('ReferencesResolved', 'False', 'WorkspaceNotFound', 'Workspace default/api does not exist'),
    ),
    status: 'Suspended',
    message: 'ReferencesResolved: Workspace default/api does not exist',
  },
  {
    name: 'waiting-gates-passed',
    object: task('queued', {
      phase: 'Waiting',
      message: 'Waiting for admission',
      conditions: [
        cond('ReferencesResolved', 'True', 'Resolved', 'Workspace and AgentConfigs exist'),
        cond('BranchLocked', 'False', 'BranchAvailable', 'Branch is free'),
      ],
    }),
    status: 'Suspended',
    message: 'Waiting for admission',
  },
  {
    name: 'unknown-phase',
    object: task('odd', { phase: 'Exploded' }),
    status: 'Unknown',
    message: 'Unknown Task phase Exploded',
  },
];

const spawner = (
  name: string,
  status?: Record<string, unknown>,
  spec: Record<string, unknown> = {},
  generation = 1,
) => ({
  apiVersion: API_VERSION,
  kind: 'TaskSpawner',
  metadata: meta(name, generation),
  spec: {
    when: { cron: { schedule: '0 9 * * 1' } },
    taskTemplate: { worker: { type: 'claude-code', credentials: { type: 'none' } } },
    ...spec,
  },
  ...(status && { status }),
});

const TASK_SPAWNER: readonly HealthCase[] = [
  {
    name: 'no-status',
    object: spawner('new'),
    status: 'Progressing',
    message: 'Waiting for the operator to start the spawner',
  },
  {
    name: 'pending',
    object: spawner('pending', { phase: 'Pending', observedGeneration: 1 }),
    status: 'Progressing',
    message: 'TaskSpawner is pending',
  },
  {
    name: 'running',
    object: spawner('running', { phase: 'Running', observedGeneration: 1, activeTasks: 2 }),
    status: 'Healthy',
    message: 'Running; 2 active Tasks',
  },
  {
    name: 'running-with-message',
    object: spawner('running', { phase: 'Running', observedGeneration: 1, message: 'Polling every 5m' }),
    status: 'Healthy',
    message: 'Polling every 5m',
  },
  {
    name: 'suspended-by-spec',
    object: spawner('paused', { phase: 'Running', observedGeneration: 1 }, { suspend: true }),
    status: 'Suspended',
    message: 'Suspended by spec.suspend',
  },
  {
    name: 'suspended-phase',
    object: spawner('paused', {
      phase: 'Suspended',
      observedGeneration: 1,
      conditions: [cond('Suspended', 'True', 'Suspended', 'Suspended')],
    }),
    status: 'Suspended',
    message: 'TaskSpawner is suspended',
  },
  {
    name: 'failed',
    object: spawner('broken', {
      phase: 'Failed',
      observedGeneration: 1,
      message: 'Secret github-token not found',
    }),
    status: 'Degraded',
    message: 'Secret github-token not found',
  },
  {
    name: 'discovery-error',
    object: spawner('flaky', {
      phase: 'Running',
      observedGeneration: 1,
      conditions: [cond('DiscoveryError', 'True', 'GitHubError', 'GET /repos/acme/api/issues: 502')],
    }),
    status: 'Degraded',
    message: 'GET /repos/acme/api/issues: 502',
  },
  {
    name: 'rate-limited',
    object: spawner('throttled', {
      phase: 'Running',
      observedGeneration: 1,
      conditions: [
        cond(
          'DiscoveryError',
          'True',
          'RateLimited',
          'GitHub rate limit reached; polling resumes at 10:15:00Z',
        ),
      ],
    }),
    status: 'Healthy',
    message: 'Rate limited: GitHub rate limit reached; polling resumes at 10:15:00Z',
  },
  {
    name: 'max-total-tasks-reached',
    object: spawner('capped', {
      phase: 'Running',
      observedGeneration: 1,
      totalTasksCreated: 10,
      // Both names of the maxTotalTasks state, as the operator writes them.
      conditions: [
        cond('MaxTotalTasksReached', 'True', 'LimitReached', '10 of maxTotalTasks 10 Tasks created'),
        cond('TaskBudgetExhausted', 'True', 'LimitReached', '10 of maxTotalTasks 10 Tasks created'),
      ],
    }),
    status: 'Healthy',
    message: '10 of maxTotalTasks 10 Tasks created',
  },
  {
    name: 'generation-not-observed',
    object: spawner('edited', { phase: 'Running', observedGeneration: 1 }, {}, 2),
    status: 'Progressing',
    message: 'Waiting for the operator to observe generation 2',
  },
  {
    name: 'unknown-phase',
    object: spawner('odd', { phase: 'Sideways', observedGeneration: 1 }),
    status: 'Unknown',
    message: 'Unknown TaskSpawner phase Sideways',
  },
];

const budget = (name: string, status?: Record<string, unknown>, generation = 1) => ({
  apiVersion: API_VERSION,
  kind: 'TaskBudget',
  metadata: meta(name, generation),
  spec: {
    taskSelector: { matchLabels: { team: 'platform' } },
    period: { type: 'Daily' },
    maxCostUSD: '50',
    maxInputTokens: 1000000,
    maxOutputTokens: 200000,
  },
  ...(status && { status }),
});

const period = { currentPeriodStart: '2026-11-02T00:00:00Z', currentPeriodEnd: '2026-11-03T00:00:00Z' };

const TASK_BUDGET: readonly HealthCase[] = [
  {
    name: 'no-status',
    object: budget('new'),
    status: 'Progressing',
    message: 'Waiting for the operator to evaluate the budget',
  },
  {
    name: 'within',
    object: budget('team', {
      observedGeneration: 1,
      ...period,
      used: { costUSD: '12.5', inputTokens: 1000, outputTokens: 200 },
    }),
    status: 'Healthy',
    message: 'Used 12.5 USD this period',
  },
  {
    name: 'cost-used-up',
    object: budget('team', { observedGeneration: 1, ...period, used: { costUSD: '50', inputTokens: 10 } }),
    status: 'Healthy',
    message: 'Cost budget used up until 2026-11-03T00:00:00Z',
  },
  {
    name: 'input-tokens-used-up',
    object: budget('team', {
      observedGeneration: 1,
      ...period,
      used: { costUSD: '1', inputTokens: 1000000 },
    }),
    status: 'Healthy',
    message: 'Input-token budget used up until 2026-11-03T00:00:00Z',
  },
  {
    name: 'output-tokens-used-up',
    object: budget('team', {
      observedGeneration: 1,
      ...period,
      used: { costUSD: '1', inputTokens: 5, outputTokens: 250000 },
    }),
    status: 'Healthy',
    message: 'Output-token budget used up until 2026-11-03T00:00:00Z',
  },
  {
    name: 'degraded',
    object: budget('bad', {
      observedGeneration: 1,
      conditions: [
        cond(
          'Degraded',
          'True',
          'InvalidSelector',
          'selector is invalid; every Task in the namespace is blocked until it is fixed',
        ),
      ],
    }),
    status: 'Degraded',
    message: 'selector is invalid; every Task in the namespace is blocked until it is fixed',
  },
  {
    name: 'recovered',
    object: budget('fixed', {
      observedGeneration: 1,
      ...period,
      used: { costUSD: '0' },
      conditions: [cond('Degraded', 'False', 'Evaluated', 'Budget evaluated')],
    }),
    status: 'Healthy',
    message: 'Used 0 USD this period',
  },
  {
    name: 'generation-not-observed',
    object: budget('edited', { observedGeneration: 1, ...period, used: { costUSD: '1' } }, 3),
    status: 'Progressing',
    message: 'Waiting for the operator to observe generation 3',
  },
];

const application = (name: string, health?: Record<string, unknown>) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: 'argocd' },
  spec: { project: 'default' },
  ...(health && { status: { health } }),
});

const APPLICATION: readonly HealthCase[] = [
  { name: 'no-status', object: application('new'), status: 'Progressing', message: '' },
  { name: 'healthy', object: application('ok', { status: 'Healthy' }), status: 'Healthy', message: '' },
  {
    name: 'degraded',
    object: application('bad', { status: 'Degraded', message: 'Deployment kelos-operator is not available' }),
    status: 'Degraded',
    message: 'Deployment kelos-operator is not available',
  },
];

/** Cases per `<group>/<kind>`. */
export const HEALTH_CASES: Readonly<Record<string, readonly HealthCase[]>> = {
  'kelos.dev/Task': TASK,
  'kelos.dev/TaskSpawner': TASK_SPAWNER,
  'kelos.dev/TaskBudget': TASK_BUDGET,
  'argoproj.io/Application': APPLICATION,
};
