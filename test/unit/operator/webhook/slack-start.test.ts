import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Task, TaskSpawner } from '../../../../src/api/index.ts';
import { FakeClock } from '../../../../src/kube/clock.ts';
import { EventRecorder } from '../../../../src/kube/events.ts';
import { Informer } from '../../../../src/kube/informer.ts';
import { silentLogger } from '../../../../src/kube/log.ts';
import { addSpawnerIndexes } from '../../../../src/operator/reconcilers/task.ts';
import { REPORTING_CONTROLLER, Resources } from '../../../../src/operator/resources.ts';
import { WebhookReceiver } from '../../../../src/operator/webhook/receiver.ts';
import type { SlackSocketClient } from '../../../../src/operator/webhook/slack-socket.ts';
import { startSlack } from '../../../../src/operator/webhook/slack-start.ts';
import { FakeKube } from '../../../support/fake-kube.ts';
import { APP_TOKEN, BOT_TOKEN, type FakeSlack, startFakeSlack } from '../../../support/fake-slack.ts';
import { fixture, spawnerWith } from '../../../support/webhook-fixtures.ts';

let fake: FakeSlack;
let slack: SlackSocketClient | undefined;
const stops: Array<() => Promise<void> | void> = [];

beforeEach(async () => {
  fake = await startFakeSlack();
});
afterEach(async () => {
  slack?.stop();
  for (const s of stops.splice(0)) await s();
  await fake.close();
});

/** The receiver over a FakeKube with one slack spawner, as the operator builds it. */
const setup = async () => {
  const clock = new FakeClock(Date.parse('2026-03-02T09:00:00Z'));
  const kube = new FakeKube({ clock, statusSubresources: [Resources.Task, Resources.TaskSpawner] });
  const base = { client: kube, clock, log: silentLogger };
  const tasks = new Informer<Task>({ ...base, type: Resources.Task });
  addSpawnerIndexes(tasks);
  const spawners = new Informer<TaskSpawner>({ ...base, type: Resources.TaskSpawner });
  await kube.create(Resources.TaskSpawner, spawnerWith({ slack: { channels: ['C0ENG00001'] } }));
  tasks.start();
  spawners.start();
  await Promise.all([tasks.waitForSync(), spawners.waitForSync()]);
  stops.push(
    () => tasks.stop(),
    () => spawners.stop(),
  );
  const receiver = new WebhookReceiver({
    client: kube,
    spawners,
    tasks,
    allowUnsigned: () => false,
    events: new EventRecorder(kube, clock, silentLogger, 'test', REPORTING_CONTROLLER),
    clock,
    log: silentLogger,
  });
  stops.push(() => receiver.close());
  slack = startSlack({
    tokens: { appToken: APP_TOKEN, botToken: BOT_TOKEN },
    receiver,
    kube,
    spawners,
    log: silentLogger,
    client: { apiBaseUrl: fake.apiBaseUrl, backoff: { initialMs: 5, maxMs: 20 } },
  });
  return { kube };
};

describe('Slack started with the receiver', () => {
  test('a message in Slack creates one Task through the receiver and is answered "accepted" in its thread', async () => {
    const { kube } = await setup();
    await fake.until(() => fake.current !== undefined);
    const env = fake.sendEvent(fixture('slack', 'message'));
    await fake.until(() => fake.acked(env));
    const created = await kube.list<Task>(Resources.Task, { namespace: 'team-a' });
    expect(created.items).toHaveLength(1);
    const task = created.items[0]!;
    expect(task.metadata.annotations?.['kelos.dev/slack-report-phase']).toBe('accepted');
    expect(task.metadata.annotations?.['kelos.dev/slack-channel']).toBe('C0ENG00001');
    expect(fake.posted).toEqual([
      {
        channel: 'C0ENG00001',
        text: `:robot_face: Task \`${task.metadata.name}\` has been *accepted*.`,
        thread_ts: '1763712000.000100',
      },
    ]);

    // Slack resends the same event (say, another replica's connection): the ledger and the
    // Task name make it a duplicate, acknowledged, with no second Task and no second reply.
    const again = fake.sendEvent(fixture('slack', 'message'), 1);
    await fake.until(() => fake.acked(again));
    expect((await kube.list<Task>(Resources.Task, { namespace: 'team-a' })).items).toHaveLength(1);
    expect(fake.posted).toHaveLength(1);
  });
});
