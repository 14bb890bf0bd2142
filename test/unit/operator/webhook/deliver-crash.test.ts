// A receiver killed between creating a delivery's Task and writing the ledger record that says
// so: the failure is injected at exactly that point (every request of the "killed" receiver
// after its Task create never returns, as with SIGKILL), then a fresh receiver over the same
// API server gets the redelivery. It must answer as a duplicate, create nothing, and keep
// maxTotalTasks exact, whether its cache already shows the Task or not yet.
import { describe, expect, it } from 'vitest';
import type { Task, TaskSpawner } from '../../../../src/api/index.ts';
import type { KubeClient } from '../../../../src/kube/client.ts';
import { systemClock } from '../../../../src/kube/clock.ts';
import { Informer } from '../../../../src/kube/informer.ts';
import { silentLogger } from '../../../../src/kube/log.ts';
import { addSpawnerIndexes } from '../../../../src/operator/reconcilers/task.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import { type DeliverDeps, deliverTo, type Outcome } from '../../../../src/operator/webhook/deliver.ts';
import { Ledgers, ledgerName } from '../../../../src/operator/webhook/ledger.ts';
import { type Delivery, matchDelivery } from '../../../../src/operator/webhook/match.ts';
import { FakeKube } from '../../../support/fake-kube.ts';
import { spawnerWith } from '../../../support/webhook-fixtures.ts';

/**
 * The API server as seen by a receiver that is SIGKILLed right after its first Task create
 * succeeds: that create reaches the server, nothing after it does (its requests hang forever).
 */
const killedAfterTaskCreate = (kube: FakeKube): { client: KubeClient; killed: () => boolean } => {
  let dead = false;
  const client = new Proxy(kube, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (dead) return new Promise(() => {});
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        if (prop === 'create' && (args[1] as Task | undefined)?.kind === 'Task')
          return (r as Promise<unknown>).then((x) => {
            dead = true;
            return x;
          });
        return r;
      };
    },
  });
  return { client, killed: () => dead };
};

/** A receiver's delivery dependencies over `client`; its Task cache synced unless `lagging`. */
const receiver = async (client: KubeClient, lagging = false): Promise<DeliverDeps & { stop: () => void }> => {
  const tasks = new Informer<Task>({ client, clock: systemClock, log: silentLogger, type: Resources.Task });
  addSpawnerIndexes(tasks);
  if (!lagging) {
    tasks.start();
    await tasks.waitForSync();
  }
  return { client, tasks, ledgers: new Ledgers({ client, clock: systemClock }), stop: () => tasks.stop() };
};

const alert = (id: string): Delivery => ({
  source: 'generic',
  event: 'alerts',
  deliveryId: '',
  payload: { data: { id, title: `Alert ${id}` } },
});

const github = (deliveryId: string): Delivery => ({
  source: 'github',
  event: 'issue_comment',
  deliveryId,
  payload: {
    action: 'created',
    issue: { number: 7, title: 'Issue 7', body: '', labels: [], state: 'open' },
    comment: { body: '/kelos go', user: { login: 'octocat' } },
    repository: { full_name: 'acme/widgets', name: 'widgets', owner: { login: 'acme' } },
    sender: { login: 'octocat' },
  },
});

const cases = [
  {
    source: 'a generic source (Task name from the mapped id)',
    when: { webhook: { source: 'alerts', fieldMapping: { id: '$.data.id', title: '$.data.title' } } },
    first: alert('a-1'),
    others: [alert('a-2'), alert('a-3')],
  },
  {
    source: 'GitHub (Task name from X-GitHub-Delivery)',
    when: { githubWebhook: { events: ['issue_comment'] } },
    first: github('d-1'),
    others: [github('d-2'), github('d-3')],
  },
] as const;

const deliver = (deps: DeliverDeps, spawner: TaskSpawner, d: Delivery): Promise<Outcome> => {
  const m = matchDelivery(spawner, d);
  if (!m.matched) throw new Error(`delivery not matched: ${m.reason}`);
  return deliverTo(deps, spawner, d, m);
};

describe.each(cases)('a receiver killed between Task create and ledger record, $source', (c) => {
  it.each([
    { cache: 'shows the Task', lagging: false },
    { cache: 'does not show the Task yet', lagging: true },
  ])(
    'the redelivery to a fresh receiver whose cache $cache is a duplicate; maxTotalTasks stays exact',
    async ({ lagging }) => {
      const kube = new FakeKube({ statusSubresources: [Resources.Task, Resources.TaskSpawner] });
      const base = spawnerWith(c.when as TaskSpawner['spec']['when']);
      const spawner = await kube.create<TaskSpawner>(Resources.TaskSpawner, {
        ...base,
        spec: { ...base.spec, maxTotalTasks: 2 },
      });

      // The first receiver takes a serial number, creates the Task, and dies before confirming.
      const dying = killedAfterTaskCreate(kube);
      const a = await receiver(dying.client);
      void deliver(a, spawner, c.first); // its answer never reaches the sender
      await expect.poll(() => dying.killed()).toBe(true);
      a.stop();
      const tasks = async () => (await kube.list<Task>(Resources.Task, { namespace: 'team-a' })).items;
      expect(await tasks()).toHaveLength(1);
      const ledger = async () =>
        (await kube.get<{ metadata: object; data?: Record<string, string> }>(
          Resources.ConfigMap,
          'team-a',
          ledgerName('s'),
        ))!.data!;
      // The ledger holds the reservation only: the record of the create was never written.
      // (`entries`: one line per delivery, `<key> <serial> <r|c> <unix s>`.)
      const states = async () => ((await ledger())['entries'] ?? '').split('\n').map((l) => l.split(' ')[2]);
      expect(await states()).toEqual(['r']);

      // The sender saw no answer and redelivers, to a fresh receiver.
      const b = await receiver(kube, lagging);
      const again = await deliver(b, spawner, c.first);
      expect(again.outcome).toBe('duplicate');
      expect(await tasks()).toHaveLength(1);
      expect((await ledger())['sequence']).toBe('1');

      // maxTotalTasks 2: exactly one more Task, then over the limit.
      const [second, third] = [
        await deliver(b, spawner, c.others[0]),
        await deliver(b, spawner, c.others[1]),
      ];
      expect(second).toMatchObject({ outcome: 'created', seq: 2 });
      expect(third.outcome).toBe('over-limit');
      const names = (await tasks()).map((t) => t.metadata.annotations?.['kelos.dev/spawner-sequence']).sort();
      expect(names).toEqual(['1', '2']);
      b.stop();
    },
  );
});
