// contextSources of a webhook spawner: `.Context` comes from the fetcher the receiver is given
// (the poll loop's), and a delivery whose context cannot be fetched fails before it takes a
// serial number, so it costs no place under maxTotalTasks.
import { describe, expect, it } from 'vitest';
import type { Task, TaskSpawner } from '../../../../src/api/index.ts';
import { systemClock } from '../../../../src/kube/clock.ts';
import type { ContextFetcher } from '../../../../src/operator/reconcilers/task-spawner/context-fetch.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import { deliverTo } from '../../../../src/operator/webhook/deliver.ts';
import { Ledgers, ledgerName } from '../../../../src/operator/webhook/ledger.ts';
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

const setup = async (context?: ContextFetcher) => {
  const kube = new FakeKube({ statusSubresources: [Resources.Task, Resources.TaskSpawner] });
  const base = spawnerWith({
    webhook: { source: 'alerts', fieldMapping: { id: '$.data.id', title: '$.data.title' } },
  });
  const spawner = await kube.create<TaskSpawner>(Resources.TaskSpawner, {
    ...base,
    spec: {
      ...base.spec,
      maxTotalTasks: 1,
      taskTemplate: {
        ...base.spec.taskTemplate,
        promptTemplate: '{{.Title}}: {{.Context.runbook}}',
        contextSources: [{ name: 'runbook', http: { url: 'https://runbooks.example/{{.ID}}' } }],
      },
    },
  });
  const tasks = spawnerIndexedTasks(kube, systemClock);
  tasks.start();
  await tasks.waitForSync();
  const deps = { client: kube, tasks, ledgers: new Ledgers({ client: kube, clock: systemClock }), context };
  const deliver = (d: Delivery) => {
    const m = matchDelivery(spawner, d);
    if (!m.matched) throw new Error(m.reason);
    return deliverTo(deps, spawner, d, m);
  };
  const sequence = async () =>
    (
      await kube.get<{ metadata: object; data?: Record<string, string> }>(
        Resources.ConfigMap,
        'team-a',
        ledgerName('s'),
      )
    )?.data?.['sequence'];
  return { kube, deliver, sequence, stop: () => tasks.stop() };
};

describe('webhook deliveries to a spawner with contextSources', () => {
  it('render .Context from the fetcher, over the delivery variables', async () => {
    const seen: unknown[] = [];
    const t = await setup(async (_s, vars) => {
      seen.push((vars as Record<string, unknown>)['ID']);
      return { ok: true, context: { runbook: 'free disk space' } };
    });
    expect(await t.deliver(alert('a-1'))).toMatchObject({ outcome: 'created', task: 's-a-1', seq: 1 });
    const task = await t.kube.get<Task>(Resources.Task, 'team-a', 's-a-1');
    expect(task?.spec.prompt).toBe('Alert a-1: free disk space');
    expect(seen).toEqual(['a-1']);
    t.stop();
  });

  it('fail (the sender retries) without taking a serial number when a Fail-policy source fails', async () => {
    let up = false;
    const t = await setup(async () =>
      up
        ? { ok: true, context: { runbook: 'restart' } }
        : { ok: false, error: 'contextSources runbook: HTTP 503' },
    );
    expect(await t.deliver(alert('a-1'))).toEqual({
      outcome: 'failed',
      reason: 'contextSources runbook: HTTP 503',
    });
    expect(await t.sequence()).toBeUndefined();
    // maxTotalTasks is 1: the failed delivery left that one place free.
    up = true;
    expect(await t.deliver(alert('a-2'))).toMatchObject({ outcome: 'created', seq: 1 });
    expect(await t.sequence()).toBe('1');
    t.stop();
  });

  it('are invalid on a receiver given no fetcher, rather than rendered without context', async () => {
    const t = await setup();
    expect(await t.deliver(alert('a-1'))).toEqual({
      outcome: 'invalid',
      reason: 'contextSources cannot be fetched here',
    });
    expect((await t.kube.list<Task>(Resources.Task, { namespace: 'team-a' })).items).toHaveLength(0);
    t.stop();
  });
});
