import { describe, expect, it } from 'vitest';
import type { TaskBudget } from '../../src/api/index.ts';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import { offsetClock } from '../../src/kube/clock.ts';
import { Resources } from '../../src/operator/resources.ts';
import { freshNamespace } from './helpers.ts';
import {
  budget,
  create,
  jobNames,
  outputsMessage,
  podFinished,
  podRunning,
  record,
  startOperator,
  task,
  useOperator,
  waitFor,
  waitForPhase,
  waitForTask,
} from './operator-helpers.ts';

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const waitForBudget = async (
  c: HttpKubeClient,
  ns: string,
  name: string,
  pred: (b: TaskBudget) => boolean,
) => {
  let last: TaskBudget | undefined;
  await waitFor(`TaskBudget ${ns}/${name}`, async () => {
    last = await c.get<TaskBudget>(Resources.TaskBudget, ns, name);
    return last !== undefined && pred(last);
  }).catch((err: Error) => {
    throw new Error(`${err.message}; last status: ${JSON.stringify(last?.status ?? null)}`);
  });
  return last as TaskBudget;
};

describe('operator: TaskBudget admission', () => {
  let c: HttpKubeClient;
  let ns: string;
  let op: Parameters<Parameters<typeof useOperator>[1]>[0]['op'];

  useOperator('op-budget', (s) => ({ c, ns, op } = s));

  it('blocks covered Tasks once the period’s TaskRecords reach a limit, and shows the usage', async () => {
    await create(
      c,
      ns,
      'TaskBudget',
      budget('team-a', { taskSelector: { matchLabels: { team: 'a' } }, maxCostUSD: '1' }),
    );
    await create(
      c,
      ns,
      'TaskRecord',
      record('earlier-run', rfc3339(Date.now() - 1000), { costUSD: '2', inputTokens: 10 }, { team: 'a' }),
    );
    const status = await waitForBudget(c, ns, 'team-a', (b) => b.status?.used?.costUSD === '2');
    const dayStart = new Date();
    dayStart.setUTCHours(0, 0, 0, 0);
    expect(status.status).toMatchObject({
      currentPeriodStart: rfc3339(dayStart.getTime()),
      currentPeriodEnd: rfc3339(dayStart.getTime() + 86_400_000),
      used: { costUSD: '2', inputTokens: 10, outputTokens: 0 },
    });

    await create(c, ns, 'Task', task('covered', {}, { team: 'a' }));
    await create(c, ns, 'Task', task('uncovered', {}, { team: 'b' }));
    const blocked = await waitForPhase(c, ns, 'covered', 'Waiting');
    // It says when the period ends, i.e. when the Task may start without anyone's help.
    const periodEnd = rfc3339(dayStart.getTime() + 86_400_000);
    expect(blocked.status?.message).toBe(
      `Budget "team-a" exceeded: cost 2 USD reached maxCostUSD 1; its period ends at ${periodEnd}`,
    );
    expect(blocked.status?.conditions).toEqual([
      expect.objectContaining({
        type: 'BudgetBlocked',
        status: 'True',
        reason: 'BudgetExceeded',
        message: `Blocked by TaskBudget "team-a": cost 2 USD reached maxCostUSD 1; its period ends at ${periodEnd}`,
      }),
    ]);
    const free = await waitForPhase(c, ns, 'uncovered', 'Pending');
    // Not covered by any budget: no label snapshot.
    expect(free.metadata.annotations?.['kelos.dev/taskbudget-labels']).toBeUndefined();
    expect(await jobNames(c, ns)).toEqual(['uncovered']);

    // Raising the limit admits the waiting Task without waiting for the period to end.
    await c.mergePatch(Resources.TaskBudget, ns, 'team-a', { spec: { maxCostUSD: '10' } });
    const admitted = await waitForPhase(c, ns, 'covered', 'Pending');
    expect(admitted.status?.conditions).toEqual([
      expect.objectContaining({ type: 'BudgetBlocked', status: 'False', reason: 'BudgetAvailable' }),
    ]);
    expect(JSON.parse(admitted.metadata.annotations?.['kelos.dev/taskbudget-labels'] ?? 'null')).toEqual({
      team: 'a',
    });
  });

  it('accounts usage under the labels a Task was admitted with, even if they change later', async () => {
    await create(c, ns, 'Task', task('relabelled', {}, { team: 'a' }));
    const pending = await waitForPhase(c, ns, 'relabelled', 'Pending');
    await c.mergePatch(Resources.Task, ns, 'relabelled', { metadata: { labels: { team: 'z' } } });
    await podFinished(c, ns, 'relabelled', { message: outputsMessage({ 'cost-usd': '0.5' }) });
    await waitForPhase(c, ns, 'relabelled', 'Succeeded');
    let labels: Record<string, string> | undefined;
    await waitFor('TaskRecord of relabelled', async () => {
      labels = (await c.get(Resources.TaskRecord, ns, pending.metadata.uid ?? ''))?.metadata.labels;
      return labels !== undefined;
    });
    expect(labels).toEqual({ team: 'a' });
    await waitForBudget(c, ns, 'team-a', (b) => b.status?.used?.costUSD === '2.5');
  });

  it('starts a Task held by running Tasks’ reservations as soon as one of them goes', async () => {
    await create(
      c,
      ns,
      'TaskBudget',
      budget('team-r', { taskSelector: { matchLabels: { team: 'r' } }, maxCostUSD: '10' }),
    );
    // claude-code at the default 6 USD/h with a 1 h deadline reserves 6 USD.
    const spec = {
      worker: {
        type: 'claude-code',
        credentials: { type: 'none' },
        podOverrides: { activeDeadlineSeconds: 3600 },
      },
    } as Parameters<typeof task>[1];
    await create(c, ns, 'Task', task('r-first', spec, { team: 'r' }));
    await waitForTask(c, ns, 'r-first', 'admitted', (t) => !!t.status?.jobName);
    await create(c, ns, 'Task', task('r-second', spec, { team: 'r' }));
    await waitForTask(c, ns, 'r-second', 'admitted', (t) => !!t.status?.jobName);
    await create(c, ns, 'Task', task('r-third', spec, { team: 'r' }));
    const held = await waitForPhase(c, ns, 'r-third', 'Waiting');
    expect(held.status?.message).toMatch(
      /^Budget "team-r" is held by running Tasks: cost 12 USD reached maxCostUSD 10/,
    );
    // The budget says it holds r-third back, and what the running Tasks reserve.
    const holding = await waitForBudget(c, ns, 'team-r', (b) => b.status?.waitingTasks === 1);
    expect(holding.status?.used?.costUSD).toBe('0');
    expect(holding.status?.conditions?.find((x) => x.type === 'Holding')).toMatchObject({
      status: 'True',
      reason: 'TasksWaiting',
    });
    expect(holding.status?.conditions?.find((x) => x.type === 'Holding')?.message).toMatch(
      /^1 Task waits \(r-third\): cost 12 USD reached maxCostUSD 10 \(0 USD used \+ 12 USD reserved by 2 running Tasks\); it starts when a running Task finishes/,
    );
    // Steady state: a resync of the holding budget and its waiting Task writes nothing.
    let before = op.operator.writes;
    for (let quiet = false; !quiet; ) {
      await new Promise((r) => setTimeout(r, 1000));
      await op.operator.idle();
      quiet = op.operator.writes === before;
      before = op.operator.writes;
    }
    op.operator.resync();
    await op.operator.idle();
    expect(op.operator.writes - before).toBe(0);
    // r-first is deleted before its agent started (nothing charged, no TaskRecord: the budget's
    // usage does not change): 6 reserved by r-second leaves room for r-third.
    await c.delete(Resources.Task, ns, 'r-first');
    await waitFor('r-first gone', async () => (await c.get(Resources.Task, ns, 'r-first')) === undefined);
    const started = Date.now();
    await waitForTask(c, ns, 'r-third', 'admitted', (t) => !!t.status?.jobName, 20_000);
    // At once, not at its five-minute re-check.
    expect(Date.now() - started).toBeLessThan(10_000);
    const released = await waitForBudget(c, ns, 'team-r', (b) => b.status?.waitingTasks === undefined);
    expect(released.status?.conditions?.find((x) => x.type === 'Holding')).toMatchObject({
      status: 'False',
      reason: 'NoneWaiting',
    });
  });

  it('marks a budget with an invalid selector Degraded and blocks every Task of its namespace', async () => {
    const other = await freshNamespace('op-budget-bad');
    const op2 = await startOperator(other);
    try {
      await create(
        c,
        other,
        'TaskBudget',
        budget('broken', {
          maxCostUSD: '5',
          // The CRD refuses a bad operator; a label value the API server does not check is what
          // still reaches the operator (and objects stored before the CRD's rules existed).
          taskSelector: { matchLabels: { team: 'not valid!' } },
        }),
      );
      const degraded = await waitForBudget(
        c,
        other,
        'broken',
        (b) => (b.status?.conditions ?? []).length > 0,
      );
      expect(degraded.status?.conditions).toEqual([
        expect.objectContaining({
          type: 'Degraded',
          status: 'True',
          reason: 'InvalidSelector',
          message: `spec.taskSelector is invalid: /matchLabels/team: label value "not valid!" is invalid (expected at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric); every Task in the namespace is blocked until it is fixed`,
        }),
      ]);
      await create(c, other, 'Task', task('innocent', {}, { unrelated: 'yes' }));
      const blocked = await waitForPhase(c, other, 'innocent', 'Waiting');
      expect(blocked.status?.message).toBe(
        `Budget "broken" exceeded: spec.taskSelector is invalid: /matchLabels/team: label value "not valid!" is invalid (expected at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric)`,
      );
      await c.mergePatch(Resources.TaskBudget, other, 'broken', {
        spec: {
          taskSelector: {
            matchLabels: null,
            matchExpressions: [{ key: 'team', operator: 'In', values: ['a'] }],
          },
        },
      });
      await waitForPhase(c, other, 'innocent', 'Pending');
      const healed = await waitForBudget(
        c,
        other,
        'broken',
        (b) => b.status?.conditions?.[0]?.status === 'False',
      );
      expect(healed.status?.conditions?.[0]).toMatchObject({ type: 'Degraded', reason: 'Evaluated' });
    } finally {
      await op2.stop();
    }
  });
});

describe('operator: TaskBudget period rollover', () => {
  let c: HttpKubeClient;
  let ns: string;
  // The operator’s clock runs 6 s before the next UTC midnight when it starts.
  let offset = 0;

  useOperator(
    'op-rollover',
    (s) => ({ c, ns } = s),
    () => {
      const nextMidnight = new Date();
      nextMidnight.setUTCHours(24, 0, 0, 0);
      offset = nextMidnight.getTime() - 6000 - Date.now();
      return { clock: offsetClock(() => offset) };
    },
  );

  it('keeps a blocked Task waiting until the period rolls over, then admits it', async () => {
    const operatorNow = Date.now() + offset;
    await create(c, ns, 'TaskBudget', budget('daily', { maxOutputTokens: 100 }));
    await create(c, ns, 'TaskRecord', record('today', rfc3339(operatorNow - 1000), { outputTokens: 150 }));
    await create(c, ns, 'Task', task('tomorrow'));
    const blocked = await waitForPhase(c, ns, 'tomorrow', 'Waiting');
    const midnight = new Date(operatorNow);
    midnight.setUTCHours(24, 0, 0, 0);
    expect(blocked.status?.message).toBe(
      `Budget "daily" exceeded: 150 output tokens reached maxOutputTokens 100; its period ends at ${rfc3339(midnight.getTime())}`,
    );
    const blockedAt = Date.now() + offset;
    const admitted = await waitForPhase(c, ns, 'tomorrow', 'Pending', 20_000);
    // Admitted only once the operator's clock passed midnight.
    const nextMidnight = new Date(blockedAt);
    nextMidnight.setUTCHours(24, 0, 0, 0);
    expect(Date.now() + offset).toBeGreaterThanOrEqual(nextMidnight.getTime());
    expect(admitted.status?.conditions).toEqual([
      expect.objectContaining({ type: 'BudgetBlocked', status: 'False', reason: 'BudgetAvailable' }),
    ]);
    const b = await waitForBudget(
      c,
      ns,
      'daily',
      (x) => x.status?.currentPeriodStart === rfc3339(nextMidnight.getTime()),
    );
    expect(b.status?.used).toEqual({ costUSD: '0', inputTokens: 0, outputTokens: 0 });
  });
});

describe('operator: TaskBudget enforcement StopRunning', () => {
  let c: HttpKubeClient;
  let ns: string;

  useOperator('op-stop', (s) => ({ c, ns } = s));

  it('stops running covered Tasks once the budget is used up; Admission budgets let them finish', async () => {
    await create(
      c,
      ns,
      'TaskBudget',
      budget('hard-cap', {
        taskSelector: { matchLabels: { team: 'hard' } },
        maxCostUSD: '1',
        enforcement: 'StopRunning',
      }),
    );
    await create(
      c,
      ns,
      'TaskBudget',
      budget('soft-cap', { taskSelector: { matchLabels: { team: 'soft' } }, maxCostUSD: '1' }),
    );
    await create(c, ns, 'Task', task('hard-runner', {}, { team: 'hard' }));
    await create(c, ns, 'Task', task('soft-runner', {}, { team: 'soft' }));
    for (const name of ['hard-runner', 'soft-runner']) {
      await waitForPhase(c, ns, name, 'Pending');
      await podRunning(c, ns, name);
      await waitForPhase(c, ns, name, 'Running');
    }

    // Both teams overspend (as other Tasks finishing would record).
    await create(
      c,
      ns,
      'TaskRecord',
      record('hard-spend', rfc3339(Date.now()), { costUSD: '3' }, { team: 'hard' }),
    );
    await create(
      c,
      ns,
      'TaskRecord',
      record('soft-spend', rfc3339(Date.now()), { costUSD: '3' }, { team: 'soft' }),
    );

    const stopped = await waitForPhase(c, ns, 'hard-runner', 'Failed');
    expect(stopped.status?.message).toBe('Stopped by TaskBudget "hard-cap": cost 3 USD reached maxCostUSD 1');
    expect(stopped.status?.conditions).toEqual([
      expect.objectContaining({ type: 'BudgetBlocked', status: 'True', reason: 'BudgetExceeded' }),
    ]);
    await waitFor(
      'Job hard-runner deleted',
      async () => (await c.get(Resources.Job, ns, 'hard-runner')) === undefined,
    );

    // The Admission budget blocks new work but lets the running Task go on.
    await create(c, ns, 'Task', task('soft-next', {}, { team: 'soft' }));
    await waitForTask(c, ns, 'soft-next', 'blocked', (t) => t.status?.phase === 'Waiting');
    const soft = await c.get<{ metadata: object; status?: { phase?: string } }>(
      Resources.Task,
      ns,
      'soft-runner',
    );
    expect(soft?.status?.phase).toBe('Running');
    expect(await c.get(Resources.Job, ns, 'soft-runner')).toBeDefined();
  });
});
