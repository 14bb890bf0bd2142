import { afterEach, describe, expect, it } from 'vitest';
import type { Task, TaskSpawner } from '../../../../src/api/index.ts';
import { FakeClock } from '../../../../src/kube/clock.ts';
import { Informer } from '../../../../src/kube/informer.ts';
import { silentLogger } from '../../../../src/kube/log.ts';
import { addSpawnerIndexes } from '../../../../src/operator/reconcilers/task.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import { queuedTasks } from '../../../../src/operator/webhook/deliver.ts';
import { FakeKube } from '../../../support/fake-kube.ts';

// The queue bound counts, from the Task cache's index, the spawner's Tasks that wait for room:
// not admitted (no Job, not Pending or Running) and not finished; it follows their changes.
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

const spawner = (uid: string): TaskSpawner =>
  ({ metadata: { name: `s-${uid}`, namespace: 'team', uid } }) as unknown as TaskSpawner;

const task = (name: string, ownerUid: string, status?: Task['status']): Task =>
  ({
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'Task',
    metadata: {
      name,
      namespace: 'team',
      ownerReferences: [
        {
          apiVersion: 'kelos.dev/v1alpha2',
          kind: 'TaskSpawner',
          name: `s-${ownerUid}`,
          uid: ownerUid,
          controller: true,
        },
      ],
    },
    spec: { type: 'claude-code', credentials: { type: 'none' }, prompt: 'p' },
    ...(status ? { status } : {}),
  }) as Task;

describe('the webhook queue bound', () => {
  it('counts the spawner’s waiting Tasks only, and follows their changes', async () => {
    const clock = new FakeClock(Date.parse('2026-03-02T09:00:00Z'));
    const kube = new FakeKube({ clock, statusSubresources: [Resources.Task] });
    const tasks = new Informer<Task>({ client: kube, clock, log: silentLogger, type: Resources.Task });
    addSpawnerIndexes(tasks);
    await kube.create(Resources.Task, task('waiting-1', 'a'));
    await kube.create(Resources.Task, task('waiting-2', 'a'));
    await kube.create(Resources.Task, task('other-spawner', 'b'));
    for (const [name, status] of [
      ['pending', { phase: 'Pending' }],
      ['running', { phase: 'Running' }],
      ['with-job', { jobName: 'j' }],
      ['succeeded', { phase: 'Succeeded' }],
      ['failed', { phase: 'Failed' }],
    ] as const) {
      await kube.create(Resources.Task, task(name, 'a'));
      await kube.mergePatch(Resources.Task, 'team', name, { status }, { subresource: 'status' });
    }
    tasks.start();
    stops.push(() => tasks.stop());
    await tasks.waitForSync();
    expect(queuedTasks(tasks, spawner('a'))).toBe(2);
    expect(queuedTasks(tasks, spawner('b'))).toBe(1);
    expect(queuedTasks(tasks, spawner('c'))).toBe(0);

    // One is admitted, two more arrive, the other spawner's is deleted.
    await kube.mergePatch(
      Resources.Task,
      'team',
      'waiting-1',
      { status: { phase: 'Pending' } },
      { subresource: 'status' },
    );
    await kube.create(Resources.Task, task('waiting-3', 'a'));
    await kube.create(Resources.Task, task('waiting-4', 'a'));
    await kube.delete(Resources.Task, 'team', 'other-spawner');
    await expect
      .poll(() => [queuedTasks(tasks, spawner('a')), queuedTasks(tasks, spawner('b'))])
      .toEqual([3, 0]);
  });
});
