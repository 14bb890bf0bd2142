import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Task } from '../../../../src/api/index.ts';
import { silentLogger } from '../../../../src/kube/log.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import type { SlackSocketClient } from '../../../../src/operator/webhook/slack-socket.ts';
import { startSlack } from '../../../../src/operator/webhook/slack-start.ts';
import { APP_TOKEN, BOT_TOKEN, type FakeSlack, startFakeSlack } from '../../../support/fake-slack.ts';
import { fixture } from '../../../support/webhook-fixtures.ts';
import { receiverOver } from '../../../support/webhook-receiver.ts';

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
  const { kube, spawners, receiver } = await receiverOver(
    { slack: { channels: ['C0ENG00001'] } },
    stops,
    {},
    Date.parse('2026-03-02T09:00:00Z'),
  );
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
    // "accepted" is posted once the envelope is acknowledged.
    await fake.until(() => fake.posted.length > 0);
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
