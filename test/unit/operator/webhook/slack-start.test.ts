import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Task } from '../../../../src/api/index.ts';
import { silentLogger } from '../../../../src/kube/log.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import {
  SLASH_WORKING,
  type SlackSocketClient,
  type SlackSocketOptions,
} from '../../../../src/operator/webhook/slack-socket.ts';
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
const setup = async (client: Partial<SlackSocketOptions> = {}) => {
  const { kube, spawners, receiver, clock } = await receiverOver(
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
    client: { apiBaseUrl: fake.apiBaseUrl, backoff: { initialMs: 5, maxMs: 20 }, ...client },
  });
  return { kube, clock };
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

  test('a slash command whose Task outlives the ack deadline is acknowledged "working on it", then told its Task through response_url', async () => {
    const { kube, clock } = await setup({ ackDeadlineMs: 100 });
    // A slow API server: the Task's create is answered 10 s later (on the fake's clock).
    kube.inject({ verb: 'create', resource: 'Task', delayMs: 10_000 });
    await fake.until(() => fake.current !== undefined);
    const command = {
      ...fixture('slack', 'slash-command'),
      response_url: fake.responseUrl('T0ACME001/1/abc'),
    };
    const env = fake.sendSlashCommand(command);
    // Acknowledged at the deadline, so Slack shows no operation_timeout; honest about it.
    await fake.until(() => fake.acked(env));
    expect(fake.received.find((f) => f.envelope_id === env)).toStrictEqual({
      envelope_id: env,
      payload: { response_type: 'ephemeral', text: SLASH_WORKING },
    });
    expect(await kube.list<Task>(Resources.Task, { namespace: 'team-a' })).toMatchObject({ items: [] });
    expect(fake.responses).toEqual([]);

    clock.advance(10_000);
    await fake.until(() => fake.responses.length > 0);
    const tasks = (await kube.list<Task>(Resources.Task, { namespace: 'team-a' })).items;
    expect(tasks).toHaveLength(1);
    expect(fake.responses).toStrictEqual([
      {
        path: '/commands/T0ACME001/1/abc',
        body: {
          response_type: 'ephemeral',
          text: `Task \`${tasks[0]!.metadata.name}\` accepted (TaskSpawner team-a/s); its progress follows in this channel.`,
        },
      },
    ]);
    // The client counts the follow-up once Slack answered it.
    await fake.until(() => slack?.stats.followUps === 1);
    expect(slack?.stats).toMatchObject({ deferred: 1, followUps: 1, unacked: 0 });
  });

  test('a slash command taken within the deadline is answered in its acknowledgement', async () => {
    const { kube } = await setup();
    await fake.until(() => fake.current !== undefined);
    const env = fake.sendSlashCommand(fixture('slack', 'slash-command'));
    await fake.until(() => fake.acked(env));
    const [task] = (await kube.list<Task>(Resources.Task, { namespace: 'team-a' })).items;
    expect(fake.received.find((f) => f.envelope_id === env)).toStrictEqual({
      envelope_id: env,
      payload: {
        response_type: 'ephemeral',
        text: `Task \`${task!.metadata.name}\` accepted (TaskSpawner team-a/s); its progress follows in this channel.`,
      },
    });
    expect(fake.responses).toEqual([]);
  });
});
