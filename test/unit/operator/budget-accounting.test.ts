/**
 * Issue 9, finding 5: budgets never under-count. Each case runs the Task reconciler over the
 * fake API server: a Task that reports no usage is charged an estimate, a Task deleted while it
 * runs is charged, the label snapshot the Task author can edit is not what accounting uses,
 * running Tasks hold a reservation, and records outlive a 31-day Monthly period.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_TASK_RECORD_TTL_SECONDS,
  type Task,
  type TaskBudget,
  type TaskRecord,
} from '../../../src/api/index.ts';
import { periodAt } from '../../../src/operator/budget.ts';
import type { CachedPod } from '../../../src/operator/children.ts';
import { Resources } from '../../../src/operator/resources.ts';
import {
  finishTask,
  NS,
  newTask,
  startTaskOperator,
  T0,
  type TaskOperator,
} from '../../support/task-operator.ts';

let op: TaskOperator;
afterEach(async () => {
  await op?.stop();
});

const running = (at: string) => ({
  phase: 'Running',
  startTime: at,
  containerStatuses: [{ name: 'kelos-agent', state: { running: { startedAt: at } } }],
});

const budget = (spec: Partial<TaskBudget['spec']>): TaskBudget => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'TaskBudget',
  metadata: { name: 'team-a' },
  spec: {
    taskSelector: { matchLabels: { team: 'a' } },
    period: { type: 'Daily', timezone: 'UTC' },
    ...spec,
  } as TaskBudget['spec'],
});

const records = (): TaskRecord[] => op.kube.objects<TaskRecord>(Resources.TaskRecord, NS);

/** Creates a Task with `labels`, starts its Pod at the clock's time, and returns its uid. */
async function startRunning(name: string, labels: Record<string, string>, spec: Partial<Task['spec']> = {}) {
  const created = await op.create('Task', newTask(name, spec, labels));
  const pod = await op.startPod(name);
  await op.podStatus(pod, running(new Date(op.clock.now()).toISOString()));
  return { uid: created.metadata.uid ?? '', pod };
}

describe('budget accounting of Tasks that report no usage', () => {
  it('charges a Task killed at its deadline (no termination message) its runtime at the model rate', async () => {
    op = await startTaskOperator();
    const { uid } = await startRunning('slow', { team: 'a' });
    op.clock.advance(30 * 60_000);
    await op.jobStatus('slow', {
      failed: 1,
      conditions: [
        {
          type: 'Failed',
          status: 'True',
          reason: 'DeadlineExceeded',
          message: 'Job was active longer than specified deadline',
        },
      ],
    });
    const record = op.kube.peek<TaskRecord>(Resources.TaskRecord, NS, uid);
    // 30 minutes of claude-code at the default 6 USD/h.
    expect(record?.spec).toMatchObject({ phase: 'Failed', usage: { costUSD: '3' }, estimated: true });
    expect(record?.metadata.labels).toEqual({ team: 'a' });
  });

  it('charges a Task deleted while it runs', async () => {
    op = await startTaskOperator();
    const { uid } = await startRunning('doomed', { team: 'a' });
    op.clock.advance(10 * 60_000);
    await op.kube.delete(Resources.Task, NS, 'doomed');
    await op.settle();
    expect(op.task('doomed')).toBeUndefined();
    expect(op.kube.peek<TaskRecord>(Resources.TaskRecord, NS, uid)?.spec).toMatchObject({
      phase: 'Failed',
      usage: { costUSD: '1' },
      estimated: true,
    });
  });

  /** The Job's status once its deadline ran out, as the Job controller writes it (a Job started at T0). */
  const deadlineExceeded = () => ({
    failed: 1,
    startTime: new Date(T0).toISOString(),
    conditions: [
      {
        type: 'Failed',
        status: 'True',
        reason: 'DeadlineExceeded',
        message: 'Job was active longer than specified deadline',
        lastTransitionTime: new Date(op.clock.now()).toISOString(),
      },
    ],
  });

  it('charges nothing for a Task whose Pod was never scheduled before its deadline, and says so', async () => {
    op = await startTaskOperator();
    const created = await op.create('Task', newTask('short-to', {}, { team: 'a' }));
    const pod = await op.startPod('short-to');
    await op.podStatus(pod, {
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/1 nodes are available: 1 Insufficient cpu.',
        },
      ],
    } as CachedPod['status']);
    expect(op.task('short-to')?.status?.message).toBe(
      'Waiting for the agent container to start: Pod cannot be scheduled: 0/1 nodes are available: 1 Insufficient cpu.',
    );
    op.clock.advance(6_000);
    // At the deadline the Job controller deletes the Pod (unscheduled, it goes at once) and counts it failed.
    await op.kube.delete(Resources.Pod, NS, pod);
    await op.jobStatus('short-to', deadlineExceeded());
    const status = op.task('short-to')?.status;
    expect(status?.phase).toBe('Failed');
    expect(status?.message).toBe(
      'Task failed: DeadlineExceeded: Job was active longer than specified deadline; the agent never started (its Pod never ran)',
    );
    expect(status?.startTime).toBeUndefined();
    expect(op.kube.peek<TaskRecord>(Resources.TaskRecord, NS, created.metadata.uid ?? '')).toBeUndefined();
    expect(records()).toEqual([]);
  });

  it('charges an estimate for a Task whose agent ran but reported nothing, though the operator saw it only at its end', async () => {
    op = await startTaskOperator();
    const created = await op.create('Task', newTask('unseen', {}, { team: 'a' }));
    const pod = await op.startPod('unseen');
    expect(op.task('unseen')?.status?.phase).toBe('Pending');
    op.clock.advance(11 * 60_000);
    // The agent started a minute in and was killed at the deadline; the operator sees only the end.
    await op.kube.mergePatch(
      Resources.Pod,
      NS,
      pod,
      {
        status: {
          phase: 'Failed',
          containerStatuses: [
            {
              name: 'kelos-agent',
              state: {
                terminated: {
                  exitCode: 137,
                  reason: 'Error',
                  startedAt: new Date(T0 + 60_000).toISOString(),
                  finishedAt: new Date(op.clock.now()).toISOString(),
                },
              },
            },
          ],
        },
      },
      { subresource: 'status' },
    );
    await op.jobStatus('unseen', deadlineExceeded());
    const status = op.task('unseen')?.status;
    expect(status?.message).toBe(
      'Task failed: DeadlineExceeded: Job was active longer than specified deadline',
    );
    expect(status?.startTime).toBe(new Date(T0 + 60_000).toISOString());
    // 10 minutes of claude-code at the default 6 USD/h.
    expect(
      op.kube.peek<TaskRecord>(Resources.TaskRecord, NS, created.metadata.uid ?? '')?.spec,
    ).toMatchObject({
      phase: 'Failed',
      usage: { costUSD: '1' },
      estimated: true,
    });
  });

  it('charges nothing for a Task deleted before its agent started', async () => {
    op = await startTaskOperator();
    await op.create('Task', newTask('never', {}, { team: 'a' }));
    await op.kube.delete(Resources.Task, NS, 'never');
    await op.settle();
    expect(records()).toEqual([]);
  });
});

describe('budget accounting the Task author cannot steer', () => {
  it('charges by the labels on the Job, not by a Task annotation the author edited', async () => {
    op = await startTaskOperator();
    await op.create('TaskBudget', budget({ maxCostUSD: '100' }));
    const { uid } = await startRunning('sneaky', { team: 'a' });
    const task = op.task('sneaky') as Task;
    // The author rewrites the snapshot and the labels to leave the budget.
    await op.kube.mergePatch(Resources.Task, NS, 'sneaky', {
      metadata: { labels: { team: 'b' }, annotations: { 'kelos.dev/taskbudget-labels': '{"team":"b"}' } },
    });
    expect(task.metadata.name).toBe('sneaky');
    op.clock.advance(60 * 60_000);
    await op.jobStatus('sneaky', {
      failed: 1,
      conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'deadline' }],
    });
    expect(op.kube.peek<TaskRecord>(Resources.TaskRecord, NS, uid)?.metadata.labels).toEqual({ team: 'a' });
  });

  it('holds a reservation for running Tasks, so a second Task waits when the first may use the rest', async () => {
    op = await startTaskOperator();
    await op.create('TaskBudget', budget({ maxCostUSD: '10' }));
    // 1 h deadline at 6 USD/h reserves 6 USD of the 10.
    const worker = (deadline: number) =>
      ({
        worker: {
          type: 'claude-code',
          credentials: { type: 'none' },
          podOverrides: { activeDeadlineSeconds: deadline },
        },
      }) as Partial<Task['spec']>;
    await startRunning('first', { team: 'a' }, worker(3600));
    // 0 used + 6 reserved is under 10: the second starts, and reserves 6 more.
    await op.create('Task', newTask('second', worker(3600), { team: 'a' }));
    expect(op.job('second')).toBeDefined();
    await op.create('Task', newTask('third', worker(3600), { team: 'a' }));
    expect(op.job('third')).toBeUndefined();
    expect(op.task('third')?.status?.message).toBe(
      'Budget "team-a" is held by running Tasks: cost 12 USD reached maxCostUSD 10 (0 USD used + 12 USD reserved by 2 running Tasks); it starts when a running Task finishes and leaves room, or when its period ends at 2026-03-03T00:00:00Z',
    );
    // Under another budget's selector nothing is reserved.
    await op.create('Task', newTask('other', worker(3600), { team: 'b' }));
    expect(op.job('other')).toBeDefined();
  });
});

describe('budget admission of Tasks reconciled at the same moment', () => {
  const worker = {
    worker: {
      type: 'claude-code',
      credentials: { type: 'none' },
      podOverrides: { activeDeadlineSeconds: 3600 },
    },
  } as Partial<Task['spec']>;

  it('counts a Task admitted a moment ago before its Job reaches the cache: four at once, two start', async () => {
    op = await startTaskOperator();
    await op.create('TaskBudget', budget({ maxCostUSD: '10' }));
    // All four are queued before any reconcile runs; the workers admit them side by side.
    for (const name of ['t1', 't2', 't3', 't4']) {
      await op.kube.create(Resources.Task, {
        ...newTask(name, worker, { team: 'a' }),
        metadata: { ...newTask(name, worker, { team: 'a' }).metadata, namespace: NS },
      });
    }
    await op.settle();
    const started = ['t1', 't2', 't3', 't4'].filter((n) => op.job(n) !== undefined);
    // 0 + 6 reserved admits the second; 12 reserved holds the rest.
    expect(started).toHaveLength(2);
    const waiting = ['t1', 't2', 't3', 't4'].filter((n) => op.job(n) === undefined);
    expect(op.task(waiting[0] ?? '')?.status?.message).toBe(
      'Budget "team-a" is held by running Tasks: cost 12 USD reached maxCostUSD 10 (0 USD used + 12 USD reserved by 2 running Tasks); it starts when a running Task finishes and leaves room, or when its period ends at 2026-03-03T00:00:00Z',
    );
  });

  it('counts what a dependency spent before its TaskRecord is in the cache: the dependent waits', async () => {
    op = await startTaskOperator();
    await op.create('TaskBudget', budget({ maxCostUSD: '1' }));
    await op.create('Task', newTask('build', {}, { team: 'a' }));
    await op.create('Task', newTask('deploy', { dependsOn: ['build'] }, { team: 'a' }));
    // The agent's termination message: its outputs between the markers.
    await finishTask(op, 'build', 0, '---KELOS_OUTPUTS_START---\ncost-usd: 5\n---KELOS_OUTPUTS_END---\n');
    expect(records().map((r) => r.spec.usage?.costUSD)).toEqual(['5']);
    expect(op.job('deploy')).toBeUndefined();
    expect(op.task('deploy')?.status?.conditions?.find((c) => c.type === 'BudgetBlocked')?.status).toBe(
      'True',
    );
  });
});

describe('budget admission when room frees up', () => {
  it('starts a Task held by running Tasks as soon as one of them finishes and leaves room', async () => {
    op = await startTaskOperator();
    await op.create('TaskBudget', budget({ maxCostUSD: '10' }));
    const worker = {
      worker: {
        type: 'claude-code',
        credentials: { type: 'none' },
        podOverrides: { activeDeadlineSeconds: 3600 },
      },
    } as Partial<Task['spec']>;
    await startRunning('first', { team: 'a' }, worker);
    await op.create('Task', newTask('second', worker, { team: 'a' }));
    await op.create('Task', newTask('third', worker, { team: 'a' }));
    // 12 USD reserved by first and second: third waits.
    expect(op.job('third')).toBeUndefined();
    // first ends at once (an estimate of 0 USD): 6 reserved by second leaves room for third's 6.
    await op.jobStatus('first', {
      succeeded: 1,
      conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2026-03-02T09:00:00Z' }],
    });
    await op.settle();
    expect(op.task('first')?.status?.phase).toBe('Succeeded');
    // No clock advance: the finish itself, not the five-minute re-check, lets third start.
    expect(op.job('third')).toBeDefined();
    expect(op.task('third')?.status?.conditions?.find((c) => c.type === 'BudgetBlocked')?.status).toBe(
      'False',
    );
  });
});

describe('budget admission when a TaskRecord goes', () => {
  it('starts a blocked Task once the record that used the budget up is deleted', async () => {
    op = await startTaskOperator();
    await op.create('TaskBudget', budget({ maxCostUSD: '1' }));
    await op.create('TaskRecord', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskRecord',
      metadata: { name: 'spent', labels: { team: 'a' } },
      spec: {
        taskRef: { name: 'earlier' },
        phase: 'Succeeded',
        completionTime: new Date(op.clock.now() - 60_000).toISOString(),
        usage: { costUSD: '2' },
      },
    } as TaskRecord);
    await op.create('Task', newTask('next', {}, { team: 'a' }));
    expect(op.job('next')).toBeUndefined();
    await op.kube.delete(Resources.TaskRecord, NS, 'spent');
    await op.settle();
    expect(op.job('next')).toBeDefined();
  });
});

describe('budget admission on token limits', () => {
  it('counts the tokens a dependency reported before its TaskRecord is in the cache: the dependent waits', async () => {
    op = await startTaskOperator();
    await op.create('TaskBudget', budget({ maxOutputTokens: 100 }));
    await op.create('Task', newTask('build', {}, { team: 'a' }));
    await op.create('Task', newTask('deploy', { dependsOn: ['build'] }, { team: 'a' }));
    await finishTask(
      op,
      'build',
      0,
      '---KELOS_OUTPUTS_START---\ninput-tokens: 10\noutput-tokens: 150\n---KELOS_OUTPUTS_END---\n',
    );
    expect(records().map((r) => r.spec.usage?.outputTokens)).toEqual([150]);
    expect(op.job('deploy')).toBeUndefined();
    const blocked = op.task('deploy')?.status?.conditions?.find((c) => c.type === 'BudgetBlocked');
    expect(blocked?.status).toBe('True');
    expect(op.task('deploy')?.status?.message).toBe(
      'Budget "team-a" exceeded: 150 output tokens reached maxOutputTokens 100; its period ends at 2026-03-03T00:00:00Z',
    );
  });
});

describe('TaskRecord lifetime', () => {
  it('outlives the longest Monthly period, so a record from the 1st still counts on the 31st', () => {
    for (const tz of ['UTC', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'Europe/Berlin']) {
      const january = periodAt('Monthly', tz, Date.parse('2026-01-20T12:00:00Z'));
      // A record completed in the first minute of a 31-day month, read in its last minute.
      expect(january.start + DEFAULT_TASK_RECORD_TTL_SECONDS * 1000, tz).toBeGreaterThan(january.end);
    }
  });
});
