import { describe, expect, it } from 'vitest';
import type { Task, TaskSpawner } from '../../../src/api/index.ts';
import {
  passSpawnerGate,
  SPAWNER_PRIORITY_ANNOTATION,
  SpawnerSlots,
} from '../../../src/operator/reconcilers/task/spawner-gate.ts';
import { Resources } from '../../../src/operator/resources.ts';
import { NS, newTask, startTaskOperator } from '../../support/task-operator.ts';

const spawner = (spec: Partial<TaskSpawner['spec']> = {}): TaskSpawner =>
  ({
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'TaskSpawner',
    metadata: { name: 'fixer', namespace: 'team', uid: 'sp-1' },
    spec: { when: {}, taskTemplate: {}, maxConcurrency: 2, ...spec },
  }) as TaskSpawner;

let seq = 0;
const task = (
  name: string,
  opts: { phase?: string; jobName?: string; rank?: number; owner?: string } = {},
): Task => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'Task',
  metadata: {
    name,
    namespace: 'team',
    uid: `uid-${name}`,
    creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, seq++)).toISOString(),
    ...(opts.rank !== undefined ? { annotations: { [SPAWNER_PRIORITY_ANNOTATION]: String(opts.rank) } } : {}),
    ...(opts.owner === 'none'
      ? {}
      : {
          ownerReferences: [
            {
              apiVersion: 'kelos.dev/v1alpha2',
              kind: 'TaskSpawner',
              name: 'fixer',
              uid: opts.owner ?? 'sp-1',
              controller: true,
            },
          ],
        }),
  },
  spec: { prompt: 'p' } as Task['spec'],
  ...(opts.phase || opts.jobName
    ? {
        status: {
          ...(opts.phase ? { phase: opts.phase } : {}),
          ...(opts.jobName ? { jobName: opts.jobName } : {}),
        },
      }
    : {}),
});

const gate = (t: Task, siblings: Task[], slots = new SpawnerSlots(), s = spawner(), jobs: string[] = []) =>
  passSpawnerGate({ task: t, spawner: s, siblings, jobCached: (n) => jobs.includes(n), slots });

describe('spawner gate', () => {
  it('admits up to maxConcurrency back to back, counting its own reservations before any cache shows them', () => {
    const ts = ['a', 'b', 'c', 'd'].map((n) => task(n));
    const slots = new SpawnerSlots();
    // Every reconcile sees the same stale cache (no status, no Job): only the reservations tell.
    const verdicts = ts.map((t) => gate(t, ts, slots).state);
    expect(verdicts).toEqual(['free', 'free', 'held', 'held']);
  });

  it('counts a Job in the cache whose Task has no status yet (a process died before writing it)', () => {
    const ts = ['a', 'b', 'c'].map((n) => task(n));
    const v = gate(ts[2]!, ts, new SpawnerSlots(), spawner(), ['a', 'b']);
    expect(v).toMatchObject({ state: 'held', reason: 'MaxConcurrencyReached' });
  });

  it('admits queued Tasks by priority, then oldest first', () => {
    const old = task('old');
    const urgent = task('urgent', { rank: 0 });
    const running = task('running', { phase: 'Running', jobName: 'running' });
    const s = spawner({ maxConcurrency: 2 });
    const siblings = [running, old, urgent];
    expect(gate(old, siblings, new SpawnerSlots(), s).state).toBe('held');
    expect(gate(urgent, siblings, new SpawnerSlots(), s).state).toBe('free');
  });

  it('frees the slot of a finished Task, and keeps the slot of a Task it admitted until it finishes', () => {
    const a = task('a');
    const b = task('b');
    const slots = new SpawnerSlots();
    expect(gate(a, [a, b], slots, spawner({ maxConcurrency: 1 })).state).toBe('free');
    expect(gate(b, [a, b], slots, spawner({ maxConcurrency: 1 })).state).toBe('held');
    const aDone = { ...a, status: { phase: 'Succeeded', jobName: 'a' } };
    expect(gate(b, [aDone, b], slots, spawner({ maxConcurrency: 1 })).state).toBe('free');
  });

  it('holds every queued Task of a suspended spawner, and of a spawner that is gone', () => {
    const a = task('a');
    expect(gate(a, [a], new SpawnerSlots(), spawner({ suspend: true }))).toMatchObject({
      state: 'held',
      reason: 'SpawnerSuspended',
    });
    const v = passSpawnerGate({
      task: a,
      spawner: undefined,
      siblings: [a],
      jobCached: () => false,
      slots: new SpawnerSlots(),
    });
    expect(v).toMatchObject({ state: 'held', reason: 'SpawnerNotFound' });
  });

  it('neither gates nor counts a manual run (no TaskSpawner controller owner)', () => {
    const manual = task('manual', { owner: 'none' });
    const full = [
      task('x', { phase: 'Running', jobName: 'x' }),
      task('y', { phase: 'Running', jobName: 'y' }),
    ];
    expect(gate(manual, [...full, manual]).state).toBe('free');
    const next = task('z');
    expect(gate(next, [...full, next]).state).toBe('held');
  });

  it('does not let a Task held by another gate block the line', () => {
    const blocked: Task = {
      ...task('blocked'),
      status: {
        phase: 'Waiting',
        conditions: [
          {
            type: 'BranchLocked',
            status: 'True',
            reason: 'BranchInUse',
            message: '',
            lastTransitionTime: '2026-01-01T00:00:00Z',
          },
        ],
      },
    };
    const later = task('later');
    expect(gate(later, [blocked, later], new SpawnerSlots(), spawner({ maxConcurrency: 1 })).state).toBe(
      'free',
    );
  });
});

/** The owner reference a spawner puts on its Tasks. */
const controllerOf = (sp: { metadata: { uid?: string } }) => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'TaskSpawner',
  name: 'fixer',
  uid: sp.metadata.uid ?? '',
  controller: true,
});

describe('spawner gate in the Task reconciler (fake API server, 4 workers)', () => {
  it('never has more than maxConcurrency Jobs of unfinished Tasks while 30 queued Tasks drain', async () => {
    const op = await startTaskOperator();
    try {
      const sp = await op.create('TaskSpawner', spawner({ maxConcurrency: 3 }));
      const owner = controllerOf(sp);
      // All at once, without settling in between: reconciles of siblings overlap.
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => {
          const t = newTask(`t-${String(i).padStart(2, '0')}`);
          t.metadata.ownerReferences = [owner];
          return op.kube.create(Resources.Task, { ...t, metadata: { ...t.metadata, namespace: NS } });
        }),
      );
      await op.settle();
      const admittedUnfinished = () =>
        op.kube
          .objects<Task>(Resources.Task, NS)
          .filter(
            (t) => !['Succeeded', 'Failed'].includes(t.status?.phase ?? '') && op.job(t.metadata.name ?? ''),
          );
      let finished = 0;
      const order: string[] = [];
      while (finished < 30) {
        const running = admittedUnfinished();
        expect(running.length).toBeLessThanOrEqual(3);
        expect(running.length).toBe(Math.min(3, 30 - finished));
        const pick = running.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))[0]!;
        order.push(pick.metadata.name ?? '');
        await op.jobStatus(pick.metadata.name ?? '', {
          failed: 1,
          conditions: [{ type: 'Failed', status: 'True', lastTransitionTime: '2026-03-02T09:00:00Z' }],
        });
        finished++;
      }
      // Oldest first: same creation second, so by name.
      expect(order).toEqual([...order].sort());
    } finally {
      await op.stop();
    }
  });

  it('says why every queued Task waits once its spawner is suspended, not only the head of the line', async () => {
    const op = await startTaskOperator();
    try {
      const sp = await op.create('TaskSpawner', spawner({ maxConcurrency: 2 }));
      const owner = controllerOf(sp);
      for (let i = 0; i < 12; i++) {
        const t = newTask(`t-${String(i).padStart(2, '0')}`);
        t.metadata.ownerReferences = [owner];
        await op.kube.create(Resources.Task, { ...t, metadata: { ...t.metadata, namespace: NS } });
      }
      await op.settle();
      await op.kube.mergePatch(Resources.TaskSpawner, NS, 'fixer', { spec: { suspend: true } });
      await op.settle();
      const waiting = op.kube.objects<Task>(Resources.Task, NS).filter((t) => !op.job(t.metadata.name ?? ''));
      expect(waiting).toHaveLength(10);
      const reasons = waiting.map(
        (t) =>
          t.status?.conditions?.find((c) => c.status === 'True' && c.reason?.startsWith('Spawner'))?.reason,
      );
      expect(reasons).toStrictEqual(Array(10).fill('SpawnerSuspended'));
    } finally {
      await op.stop();
    }
  });
});
