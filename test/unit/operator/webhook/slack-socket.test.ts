import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createLogger } from '../../../../src/kube/log.ts';
import { type Delivery, matchDelivery } from '../../../../src/operator/webhook/match.ts';
import { slackStatusText } from '../../../../src/operator/webhook/slack-report.ts';
import {
  SlackSocketClient,
  type SlackSocketOptions,
  slackTokensFromEnv,
} from '../../../../src/operator/webhook/slack-socket.ts';
import { APP_TOKEN, BOT_TOKEN, type FakeSlack, startFakeSlack } from '../../../support/fake-slack.ts';
import { fixture, type Json, spawnerWith } from '../../../support/webhook-fixtures.ts';

let fake: FakeSlack;
let client: SlackSocketClient | undefined;
const logs: Json[] = [];

beforeEach(async () => {
  fake = await startFakeSlack();
  logs.length = 0;
});
afterEach(async () => {
  client?.stop();
  client = undefined;
  await fake.close();
});

const connect = (onDelivery: SlackSocketOptions['onDelivery'], extra: Partial<SlackSocketOptions> = {}) => {
  client = new SlackSocketClient({
    appToken: APP_TOKEN,
    botToken: BOT_TOKEN,
    apiBaseUrl: fake.apiBaseUrl,
    onDelivery,
    backoff: { initialMs: 5, maxMs: 20 },
    log: createLogger({ write: (l) => logs.push(JSON.parse(l)), level: 'debug' }),
    ...extra,
  });
  client.start();
  return client;
};

const message = (change: (e: Json) => void = () => {}): Json => {
  const p = fixture('slack', 'message') as Json;
  change(p.event);
  return p;
};

describe('Slack Socket Mode client against a fake Slack on loopback', () => {
  test('a message becomes a Delivery that matches the spawner, is acknowledged, and gets a reply in its thread', async () => {
    const spawner = spawnerWith({ slack: { channels: ['C0ENG00001'] } });
    const seen: Delivery[] = [];
    const c = connect(async (d) => {
      seen.push(d);
      const r = matchDelivery(spawner, d);
      if (r.matched)
        await c.postMessage(
          r.annotations['kelos.dev/slack-channel']!,
          slackStatusText('s-slack-1', 'accepted'),
          r.annotations['kelos.dev/slack-thread-ts'],
        );
    });
    await fake.until(() => c.stats.connections === 1);
    const env = fake.sendEvent(message());
    await fake.until(() => fake.acked(env));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ source: 'slack', event: 'message', deliveryId: 'Ev0ACME0001' });
    const r = matchDelivery(spawner, seen[0]!);
    expect(r.matched && (r.vars as Json).URL).toBe(
      'https://acme.slack.com/archives/C0ENG00001/p1763712000000100',
    );
    expect(fake.posted).toEqual([
      {
        channel: 'C0ENG00001',
        text: ':robot_face: Task `s-slack-1` has been *accepted*.',
        thread_ts: '1763712000.000100',
      },
    ]);
  });

  test('bot message policy holds on the socket path: OthersOnly ignores this app, takes another bot', async () => {
    const spawner = spawnerWith({
      slack: { botMessagePolicy: 'OthersOnly', triggers: [{ mentionOptional: true }] },
    });
    const matched: string[] = [];
    const c = connect(async (d) => {
      const r = matchDelivery(spawner, d);
      if (r.matched) matched.push((r.vars as Json).ID);
    });
    await fake.until(() => c.stats.connections === 1);
    const self = fake.sendEvent(
      message((e) =>
        Object.assign(e, { bot_id: 'B0KELOS001', app_id: 'A0KELOS01', user: 'U0KELOSBOT', ts: '1.1' }),
      ),
    );
    const other = fake.sendEvent(
      message((e) =>
        Object.assign(e, { bot_id: 'B0CI000001', app_id: 'A0CI000001', user: 'U0CIBOT001', ts: '2.2' }),
      ),
    );
    await fake.until(() => fake.acked(self) && fake.acked(other));
    expect(matched).toEqual(['2.2']);
  });

  test('a failing handler leaves the envelope unacknowledged; the redelivery is acknowledged', async () => {
    let calls = 0;
    const c = connect(async () => {
      calls++;
      if (calls === 1) throw new Error('API server unavailable');
    });
    await fake.until(() => c.stats.connections === 1);
    const first = fake.sendEvent(message());
    await fake.until(() => c.stats.unacked === 1);
    const retry = fake.sendEvent(message(), 1);
    await fake.until(() => fake.acked(retry));
    expect([fake.acked(first), calls]).toEqual([false, 2]);
    expect(logs.some((l) => l.msg === 'Slack message not handled; left for redelivery')).toBe(true);
  });

  test('a handler that outlives the ack deadline leaves the envelope to Slack', async () => {
    const c = connect(() => new Promise<void>(() => {}), { ackDeadlineMs: 20 });
    await fake.until(() => c.stats.connections === 1);
    const env = fake.sendEvent(message());
    await fake.until(() => c.stats.unacked === 1);
    expect(fake.acked(env)).toBe(false);
  });

  test('envelopes that are not messages are acknowledged without a delivery', async () => {
    const seen: Delivery[] = [];
    const c = connect(async (d) => {
      seen.push(d);
    });
    await fake.until(() => c.stats.connections === 1);
    const reaction = fake.sendEvent({
      type: 'event_callback',
      event: { type: 'reaction_added', reaction: 'eyes' },
    });
    await fake.until(() => fake.acked(reaction));
    expect(seen).toEqual([]);
  });

  test('a slash command becomes a Delivery keyed by its trigger_id, and is acknowledged', async () => {
    const seen: Delivery[] = [];
    const c = connect(async (d) => {
      seen.push(d);
    });
    await fake.until(() => c.stats.connections === 1);
    const env = fake.sendSlashCommand(fixture('slack', 'slash-command'));
    await fake.until(() => fake.acked(env));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      source: 'slack',
      event: 'slash_command',
      deliveryId: '1763712005.42.8088930838d88f008e0',
    });
    const r = matchDelivery(spawnerWith({ slack: { channels: ['C0ENG00001'] } }), seen[0]!);
    expect(r.matched && r.vars).toMatchObject({ Title: 'fix the flaky login test' });
  });

  test('a slash command whose handler fails is acknowledged with why, since Slack never resends one', async () => {
    const c = connect(async () => {
      throw new Error('Task not created: etcd timed out');
    });
    await fake.until(() => c.stats.connections === 1);
    const env = fake.sendSlashCommand(fixture('slack', 'slash-command'));
    await fake.until(() => fake.acked(env));
    expect(fake.received.find((f) => f.envelope_id === env)).toStrictEqual({
      envelope_id: env,
      payload: {
        response_type: 'ephemeral',
        text: ':warning: Kelos could not take this command (Task not created: etcd timed out). Run it again.',
      },
    });
  });

  test('disconnect (refresh_requested) opens a new connection, which carries the next messages', async () => {
    const seen: string[] = [];
    const c = connect(async (d) => {
      seen.push(d.deliveryId);
    });
    await fake.until(() => c.stats.connections === 1);
    fake.disconnect('refresh_requested');
    await fake.until(() => c.stats.connections === 2);
    expect(fake.opens).toBe(2);
    const env = fake.sendEvent(message((e) => (e.ts = '3.3')));
    await fake.until(() => fake.acked(env));
    expect(seen).toEqual(['Ev0ACME0001']);
    expect(fake.sockets[0]!.readyState).not.toBe(fake.sockets[0]!.OPEN);
  });

  test('a connection cut without warning is redialled', async () => {
    const c = connect(async () => {});
    await fake.until(() => c.stats.connections === 1);
    fake.sockets[0]!.terminate();
    await fake.until(() => c.stats.connections === 2);
    const env = fake.sendEvent(message());
    await fake.until(() => fake.acked(env));
  });

  test('a healthy quiet connection is pinged and kept', async () => {
    const c = connect(async () => {}, { heartbeat: { intervalMs: 20, timeoutMs: 100 } });
    await fake.until(() => c.stats.connections === 1);
    // Ten pings span twice the timeout: only the pongs keep the connection.
    await fake.until(() => fake.pings >= 10);
    expect([c.stats.connections, c.stats.silent, fake.opens]).toEqual([1, 0, 1]);
  });

  test('a connection whose peer vanished without a close is dropped and redialled', async () => {
    const c = connect(async () => {}, { heartbeat: { intervalMs: 20, timeoutMs: 100 } });
    await fake.until(() => c.stats.connections === 1);
    fake.sockets[0]!.pause(); // Reads nothing more: no pong, no ack, as a dropped NAT flow.
    await fake.until(() => c.stats.connections === 2);
    expect(c.stats.silent).toBe(1);
    expect(logs.find((l) => l.level === 'warn')?.msg).toBe(
      'Slack connection silent past the heartbeat timeout; redialling',
    );
    const env = fake.sendEvent(message());
    await fake.until(() => fake.acked(env));
  });

  test('failed opens and a connection that never says hello are retried with backoff, never thrown', async () => {
    fake.failOpens = 2;
    fake.silentConnections = 1;
    // Long enough that the fake's hello always arrives in time on a loaded machine (at 50 ms
    // the good connection was sometimes taken for a silent one too): the silent one still times out.
    const c = connect(async () => {}, { helloTimeoutMs: 500 });
    await fake.until(() => c.stats.connections === 1);
    // Two refused opens, one silent connection, then the one that said hello.
    expect(fake.opens).toBe(4);
    // The second refused open fails as the first did: not a new warn line.
    const warnings = logs.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warnings).toEqual(['connecting failed', 'Slack connection said no hello in time']);
  });

  test('Slack out of reach: a warn line naming the URL and the cause, then one per interval with the tries since, and a line when it connects again', async () => {
    await fake.down();
    const started = Date.now();
    const c = connect(async () => {}, { failureLogIntervalMs: 200 });
    const failed = () => logs.filter((l) => l.msg === 'connecting failed');
    await fake.until(() => failed().some((l) => l.failedAttemptsSinceLastLine !== undefined));
    const elapsed = Date.now() - started;
    const warned = failed().filter((l) => l.level === 'warn');
    expect(warned[0]!.error).toMatch(
      /^Slack POST http:\/\/127\.0\.0\.1:\d+\/api\/apps\.connections\.open: fetch failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
    );
    expect(warned.length).toBeLessThanOrEqual(1 + Math.floor(elapsed / 200));
    expect(warned.at(-1)).toMatchObject({ failingSince: expect.any(String) });
    expect(warned.at(-1)!.failedAttemptsSinceLastLine).toBeGreaterThan(1);
    expect(failed().filter((l) => l.level === 'debug').length).toBeGreaterThan(0);
    // One failure per try: auth.test is not tried before the open answers.
    expect(logs.filter((l) => String(l.msg).includes('auth.test'))).toEqual([]);
    await fake.up();
    await fake.until(() => c.stats.connections === 1);
    expect(logs.find((l) => l.msg === 'Slack Socket Mode connected')).toMatchObject({
      level: 'info',
      host: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      recovered: expect.stringMatching(/^after \d+ failed attempt\(s\) since /),
    });
  });

  test('a wrong app token is logged and retried, not thrown', async () => {
    const c = connect(async () => {}, { appToken: 'xapp-wrong' });
    await fake.until(() => fake.opens >= 2);
    expect(c.stats.connections).toBe(0);
    expect(logs.find((l) => l.level === 'warn')).toMatchObject({
      msg: 'connecting failed',
      error: 'Slack apps.connections.open: invalid_auth',
    });
  });

  test('stop closes the connection', async () => {
    const c = connect(async () => {});
    await fake.until(() => c.stats.connections === 1);
    const ws = fake.sockets[0]!;
    c.stop();
    await fake.until(() => ws.readyState === ws.CLOSED);
  });
});

describe('Slack tokens', () => {
  test('both tokens or none; each of its kind', () => {
    expect(slackTokensFromEnv({})).toBeUndefined();
    expect(slackTokensFromEnv({ SLACK_APP_TOKEN: APP_TOKEN, SLACK_BOT_TOKEN: BOT_TOKEN })).toEqual({
      appToken: APP_TOKEN,
      botToken: BOT_TOKEN,
    });
    expect(() => slackTokensFromEnv({ SLACK_APP_TOKEN: BOT_TOKEN, SLACK_BOT_TOKEN: BOT_TOKEN })).toThrow(
      /xapp-/,
    );
    expect(() => slackTokensFromEnv({ SLACK_APP_TOKEN: APP_TOKEN })).toThrow(/SLACK_BOT_TOKEN/);
  });
});
