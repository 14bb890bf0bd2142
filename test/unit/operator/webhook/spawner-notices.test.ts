import { describe, expect, it } from 'vitest';
import type { TaskSpawner } from '../../../../src/api/index.ts';
import { CoreResources } from '../../../../src/kube/client.ts';
import { FakeClock } from '../../../../src/kube/clock.ts';
import { EventRecorder } from '../../../../src/kube/events.ts';
import { silentLogger } from '../../../../src/kube/log.ts';
import { CREATED_INTERVAL_MS, SpawnerNotices } from '../../../../src/operator/webhook/spawner-notices.ts';
import { FakeKube } from '../../../support/fake-kube.ts';

const spawner = {
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'TaskSpawner',
  metadata: { name: 'hooks', namespace: 'ns', uid: 'uid-1' },
  spec: { when: { webhook: { source: 's', fieldMapping: { id: '$.id' } } }, taskTemplate: {} },
} as unknown as TaskSpawner;

describe('the receiver’s TaskCreated Events', () => {
  it('records the first creation at once and groups a burst into one Event a second', async () => {
    const kube = new FakeKube();
    const clock = new FakeClock(1_000_000);
    const events = new EventRecorder(kube, clock, silentLogger, 'me', 'kelos.dev/operator');
    const notices = new SpawnerNotices(kube, events, clock, silentLogger);
    const notes = async () => {
      await events.flush();
      const list = await kube.list<{ metadata: object; note?: string; reason?: string }>(
        CoreResources.Event,
        {
          namespace: 'ns',
        },
      );
      return list.items.map((e) => `${e.reason}: ${e.note}`);
    };
    for (let i = 0; i < 12; i++) notices.note(spawner, { outcome: 'created', task: `t-${i}`, seq: i + 1 });
    expect(await notes()).toEqual(['TaskCreated: Created Task t-0 for a webhook delivery']);
    clock.advance(CREATED_INTERVAL_MS);
    expect((await notes()).slice(1)).toEqual([
      'TaskCreated: Created 11 Tasks for webhook deliveries: t-1, t-2, t-3, t-4, t-5 and 6 more',
    ]);
    // Quiet for a while: the next one is recorded at once again.
    clock.advance(10 * CREATED_INTERVAL_MS);
    notices.note(spawner, { outcome: 'created', task: 't-12', seq: 13 });
    expect((await notes()).slice(2)).toEqual(['TaskCreated: Created Task t-12 for a webhook delivery']);
    // One left pending at shutdown is recorded then.
    notices.note(spawner, { outcome: 'created', task: 't-13', seq: 14 });
    notices.stop();
    expect((await notes()).slice(3)).toEqual(['TaskCreated: Created Task t-13 for a webhook delivery']);
  });

  it('names in a grouped Event the item (or delivery) each Task is for', async () => {
    const kube = new FakeKube();
    const clock = new FakeClock(1_000_000);
    const events = new EventRecorder(kube, clock, silentLogger, 'me', 'kelos.dev/operator');
    const notices = new SpawnerNotices(kube, events, clock, silentLogger);
    notices.note(spawner, { outcome: 'created', task: 't-0' }, { item: 'ENG-1' });
    notices.note(spawner, { outcome: 'created', task: 't-1' }, { item: 'ENG-2' });
    notices.note(spawner, { outcome: 'created', task: 't-2' }, { delivery: 'd-3' });
    notices.note(spawner, { outcome: 'created', task: 't-3' });
    notices.stop();
    await events.flush();
    const list = await kube.list<{ metadata: object; note?: string }>(CoreResources.Event, {
      namespace: 'ns',
    });
    expect(list.items.map((e) => e.note)).toEqual([
      'Created Task t-0 for item ENG-1',
      'Created 3 Tasks for webhook deliveries: t-1 (ENG-2), t-2 (d-3), t-3',
    ]);
  });
});
