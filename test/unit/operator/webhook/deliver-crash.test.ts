// A receiver killed between creating a delivery's Task and writing the ledger record that says
// so: the failure is injected at exactly that point (every request of the "killed" receiver
// after its Task create never returns, as with SIGKILL), then a fresh receiver over the same
// API server gets the redelivery. It must answer as a duplicate, create nothing, and keep
// maxTotalTasks exact, whether its cache already shows the Task or not yet. And when the Task
// finished and `ttlSecondsAfterFinished` deleted it before the redelivery came (the Task
// reconciler running as the operator wires it), the redelivery must still create nothing.
import { describe, expect, it } from 'vitest';
import type { Task, TaskSpawner } from '../../../../src/api/index.ts';
import type { KubeClient } from '../../../../src/kube/client.ts';
import { systemClock } from '../../../../src/kube/clock.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import { type DeliverDeps, deliverTo, type Outcome } from '../../../../src/operator/webhook/deliver.ts';
import { Ledgers, ledgerName } from '../../../../src/operator/webhook/ledger.ts';
import { type Delivery, matchDelivery } from '../../../../src/operator/webhook/match.ts';
import { FakeKube } from '../../../support/fake-kube.ts';
import { killedAfterTaskCreate } from '../../../support/killed-client.ts';
import { NS, startTaskOperator } from '../../../support/task-operator.ts';
import { spawnerWith } from '../../../support/webhook-fixtures.ts';
import { spawnerIndexedTasks } from '../../../support/webhook-receiver.ts';

/** A receiver's delivery dependencies over `client`; its Task cache synced unless `lagging`. */
const receiver = async (client: KubeClient, lagging = false): Promise<DeliverDeps & { stop: () => void }> => {
  const tasks = spawnerIndexedTasks(client, systemClock);
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

/** The ledger of spawner `s`. */
const ledgerOf = async (kube: FakeKube, namespace: string): Promise<Record<string, string>> =>
  (
    await kube.get<{ metadata: object; data?: Record<string, string> }>(
      Resources.ConfigMap,
      namespace,
      ledgerName('s'),
    )
  )?.data ?? {};

/** The state of each ledger entry (`entries`: one line per delivery, `<key> <serial> <r|c> <unix s>`). */
const entryStates = async (kube: FakeKube, namespace: string): Promise<string[]> =>
  ((await ledgerOf(kube, namespace))['entries'] ?? '')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[2]!);

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
      const ledger = () => ledgerOf(kube, 'team-a');
      // The ledger holds the reservation only: the record of the create was never written.
      expect(await entryStates(kube, 'team-a')).toEqual(['r']);

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

describe.each([
  { spawner: 'without maxTotalTasks (recorded after the create)', max: undefined },
  { spawner: 'with maxTotalTasks (reserved, never confirmed)', max: 5 },
])(
  'a receiver killed before its ledger record, its Task then deleted by TTL, a spawner $spawner',
  ({ max }) => {
    const TTL_S = 60;
    const start = async (c: (typeof cases)[number]) => {
      const op = await startTaskOperator();
      await op.create('Workspace', {
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'Workspace',
        metadata: { name: 'repo' },
        spec: { repo: 'https://github.com/o/r.git' },
      });
      const base = spawnerWith(c.when as TaskSpawner['spec']['when']);
      const spawner = await op.create<TaskSpawner>('TaskSpawner', {
        ...base,
        spec: {
          ...base.spec,
          ...(max ? { maxTotalTasks: max } : {}),
          taskTemplate: { ...base.spec.taskTemplate, ttlSecondsAfterFinished: TTL_S },
        },
      });
      const tasks = () => op.kube.objects<Task>(Resources.Task, NS);
      /** Plays the Job controller: the Task's Job succeeds; then the TTL passes. */
      const finishAndExpire = async (name: string) => {
        expect(op.job(name)).toBeDefined();
        const at = new Date(op.clock.now()).toISOString();
        await op.jobStatus(name, {
          succeeded: 1,
          completionTime: at,
          conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: at }],
        });
        expect(op.task(name)?.status?.phase).toBe('Succeeded');
        op.clock.advance(TTL_S * 1000);
        await op.settle();
      };
      const ledgerWrites = () =>
        op.kube.calls.filter((x) => x.resource === 'configmaps' && x.verb === 'patch').length;
      /** A receiver creates the delivery's Task and is killed before its record; the Task's name. */
      const createThenKill = async (d: Delivery): Promise<string> => {
        const dying = killedAfterTaskCreate(op.kube);
        const a = await receiver(dying.client);
        void deliver(a, spawner, d); // its answer never reaches the sender
        await expect.poll(() => dying.killed()).toBe(true);
        a.stop();
        await op.settle();
        expect(tasks()).toHaveLength(1);
        // Nothing says the delivery was processed but the Task itself.
        expect(await entryStates(op.kube, NS)).toEqual(max ? ['r'] : []);
        return tasks()[0]?.metadata.name ?? '';
      };
      /**
       * Lets the deleted Task go; says whether it was still held (deleting): it outlives the
       * reconciler's ledger write by the time a receiver may answer from an older read.
       */
      const heldThenGone = async (name: string): Promise<boolean> => {
        const held = op.task(name)?.metadata.deletionTimestamp !== undefined;
        op.clock.advance(1_100);
        await op.settle();
        expect(op.task(name)).toBeUndefined();
        return held;
      };
      return { op, spawner, tasks, finishAndExpire, ledgerWrites, createThenKill, heldThenGone };
    };

    it.each(cases)('the redelivery after the deletion creates no second Task: $source', async (c) => {
      const { op, spawner, tasks, finishAndExpire, ledgerWrites, createThenKill, heldThenGone } =
        await start(c);
      try {
        const name = await createThenKill(c.first);
        await finishAndExpire(name);
        const held = await heldThenGone(name);

        // The sender saw no answer and redelivers, to a fresh receiver.
        const b = await receiver(op.kube);
        const before = ledgerWrites();
        expect(await deliver(b, spawner, c.first)).toEqual({ outcome: 'duplicate', task: name });
        expect(tasks()).toHaveLength(0);
        expect(ledgerWrites()).toBe(before);
        expect(await entryStates(op.kube, NS)).toEqual(['c']);
        // The next delivery takes the next serial number: the recorded one kept its place.
        expect(await deliver(b, spawner, c.others[0])).toMatchObject({ outcome: 'created' });
        await expect.poll(async () => (await ledgerOf(op.kube, NS))['sequence']).toBe('2');
        expect(held).toBe(true);
        b.stop();
      } finally {
        await op.stop();
      }
    });

    it('a running Task deleted by hand: the redelivery creates no second Task either', async () => {
      const { op, spawner, tasks, createThenKill, heldThenGone } = await start(cases[1]);
      try {
        const name = await createThenKill(cases[1].first);
        expect(op.job(name)).toBeDefined();
        await op.kube.delete(Resources.Task, NS, name);
        await op.settle();
        const held = await heldThenGone(name);
        const b = await receiver(op.kube);
        expect(await deliver(b, spawner, cases[1].first)).toEqual({ outcome: 'duplicate', task: name });
        expect(tasks()).toHaveLength(0);
        expect(held).toBe(true);
        b.stop();
      } finally {
        await op.stop();
      }
    });

    it('a Task whose delivery was recorded is deleted at its TTL without a ledger write', async () => {
      const { op, spawner, tasks, finishAndExpire, ledgerWrites } = await start(cases[0]);
      try {
        const a = await receiver(op.kube);
        expect(await deliver(a, spawner, cases[0].first)).toMatchObject({ outcome: 'created' });
        await expect.poll(() => entryStates(op.kube, NS)).toEqual(['c']);
        a.stop();
        await op.settle();
        const name = tasks()[0]?.metadata.name ?? '';
        const before = ledgerWrites();
        await finishAndExpire(name);
        expect(op.task(name)).toBeUndefined();
        expect(ledgerWrites()).toBe(before);
      } finally {
        await op.stop();
      }
    });
  },
);
