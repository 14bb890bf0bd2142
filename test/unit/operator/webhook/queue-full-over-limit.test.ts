// A spawner whose maxTotalTasks is used up while its queue is full: a new delivery can never
// become a Task, so it is answered `over-limit` (200, "a retry will not create one"), not
// `queue-full` (429, "retry later"), which would have the sender retry for nothing until the
// queue drains.
import { describe, expect, it } from 'vitest';
import type { TaskSpawner } from '../../../../src/api/index.ts';
import { systemClock } from '../../../../src/kube/clock.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import { type DeliverDeps, deliverTo, type Outcome } from '../../../../src/operator/webhook/deliver.ts';
import { Ledgers } from '../../../../src/operator/webhook/ledger.ts';
import { type Delivery, matchDelivery } from '../../../../src/operator/webhook/match.ts';
import { FakeKube } from '../../../support/fake-kube.ts';
import { spawnerWith } from '../../../support/webhook-fixtures.ts';
import { spawnerIndexedTasks } from '../../../support/webhook-receiver.ts';

const alert = (id: string): Delivery => ({
  source: 'generic',
  event: 'alerts',
  deliveryId: '',
  payload: { data: { id, title: `Alert ${id}` } },
});

describe('a delivery after maxTotalTasks while the queue is full', () => {
  it('is over-limit, not queue-full; a delivery that holds a number still gets its Task', async () => {
    const kube = new FakeKube({ statusSubresources: [Resources.Task, Resources.TaskSpawner] });
    const base = spawnerWith({
      webhook: { source: 'alerts', fieldMapping: { id: '$.data.id', title: '$.data.title' } },
    } as TaskSpawner['spec']['when']);
    const spawner = await kube.create<TaskSpawner>(Resources.TaskSpawner, {
      ...base,
      spec: { ...base.spec, maxConcurrency: 1, maxTotalTasks: 2, maxQueuedTasks: 2 },
    });
    const tasks = spawnerIndexedTasks(kube, systemClock);
    tasks.start();
    await tasks.waitForSync();
    const deps: DeliverDeps = {
      client: kube,
      tasks,
      ledgers: new Ledgers({ client: kube, clock: systemClock }),
    };
    const deliver = (d: Delivery): Promise<Outcome> => {
      const m = matchDelivery(spawner, d);
      if (!m.matched) throw new Error(m.reason);
      return deliverTo(deps, spawner, d, m);
    };
    try {
      expect(await deliver(alert('a-1'))).toMatchObject({ outcome: 'created', seq: 1 });
      expect(await deliver(alert('a-2'))).toMatchObject({ outcome: 'created', seq: 2 });
      // Both wait (nothing admitted them): the queue of 2 is full, and so is maxTotalTasks.
      await expect.poll(() => tasks.list().length).toBe(2);
      const third = await deliver(alert('a-3'));
      expect(third.outcome).toBe('over-limit');
      // A redelivery of a Task that exists is still a duplicate.
      expect((await deliver(alert('a-1'))).outcome).toBe('duplicate');
    } finally {
      tasks.stop();
    }
  });
});
