// A request sent again is answered as the first one was taken: a sender that retries after a
// timeout (its first answer lost) must be told its delivery is there, or it keeps retrying and
// alerts; and a delivery posted again under a fresh unsigned delivery id is the same Task.
// Real HTTP on loopback to the receiver over a FakeKube.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Task, When } from '../../../../src/api/index.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import type { ReceiverOptions } from '../../../../src/operator/webhook/receiver.ts';
import { fixture, type Json } from '../../../support/webhook-fixtures.ts';
import {
  firstResult,
  genericAlert,
  githubHeaders,
  githubIssueComment,
  kelosHeaders,
  linearHeaders,
  post,
} from '../../../support/webhook-payloads.ts';
import { listeningReceiver, type TestReceiver } from '../../../support/webhook-receiver.ts';

const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

const SECRET = 'alerts-secret';

/** A listening receiver over `when`, with Secret `team-a/hook` holding {@link SECRET}; its address. */
const listening = (when: When, extra: Partial<ReceiverOptions> = {}) =>
  listeningReceiver(when, stops, SECRET, extra);

const taskNames = (r: TestReceiver): string[] =>
  r.kube.objects<Task>(Resources.Task, 'team-a').map((t) => t.metadata.name ?? '');

describe('a Kelos-signed request sent again', () => {
  it('is answered 200 duplicate with the same Task, as a GitHub redelivery is; one Task', async () => {
    const { r, addr } = await listening({
      webhook: { source: 'alerts', fieldMapping: { id: '$.data.id' }, secretRef: { name: 'hook' } },
    } as When);
    const body = JSON.stringify(genericAlert('a-1'));
    const headers = kelosHeaders(body, SECRET);
    const first = await post(addr, '/webhook/alerts', body, headers);
    expect(first.status, first.body).toBe(200);
    expect(firstResult(first)).toMatchObject({ outcome: 'created', task: 's-a-1' });

    // The sender's retry: the same body, timestamp and signature.
    const retry = await post(addr, '/webhook/alerts', body, headers);
    expect(retry.status, retry.body).toBe(200);
    expect(firstResult(retry)).toStrictEqual({
      taskSpawner: 'team-a/s',
      outcome: 'duplicate',
      task: 's-a-1',
    });
    // And once more after the receiver's cache has the Task.
    await r.kube.flush();
    const third = await post(addr, '/webhook/alerts', body, headers);
    expect([third.status, firstResult(third)['outcome']]).toStrictEqual([200, 'duplicate']);
    expect(taskNames(r)).toStrictEqual(['s-a-1']);
  });

  it('matches how GitHub’s redelivery of the same body is answered', async () => {
    const { r, addr } = await listening({
      githubWebhook: { events: ['issue_comment'], secretRef: { name: 'hook' } },
    } as When);
    const body = JSON.stringify(githubIssueComment(7));
    const first = await post(
      addr,
      '/webhook/github',
      body,
      githubHeaders(body, SECRET, 'issue_comment', 'g-1'),
    );
    const again = await post(
      addr,
      '/webhook/github',
      body,
      githubHeaders(body, SECRET, 'issue_comment', 'g-1'),
    );
    expect([first.status, firstResult(first)['outcome']]).toStrictEqual([200, 'created']);
    expect([again.status, firstResult(again)['outcome']]).toStrictEqual([200, 'duplicate']);
    expect(firstResult(again)['task']).toBe(firstResult(first)['task']);
    expect(taskNames(r)).toHaveLength(1);
  });
});

describe('a Linear delivery posted again', () => {
  const linear = { linearWebhook: { types: ['Issue'] } } as When;
  const signed = (payload: Json) => {
    const body = JSON.stringify(payload);
    return (delivery: string) => linearHeaders(body, SECRET, delivery);
  };

  it('under a fresh Linear-Delivery within the 60 s window (a replay) is a duplicate, not a second Task', async () => {
    const { r, addr } = await listening(linear, { clusterSecrets: { linear: [SECRET] } });
    const payload: Json = { ...fixture('linear', 'issue-create'), webhookTimestamp: Date.now() };
    const body = JSON.stringify(payload);
    const headers = signed(payload);
    const first = await post(addr, '/webhook/linear', body, headers(randomUUID()));
    expect([first.status, firstResult(first)['outcome']], first.body).toStrictEqual([200, 'created']);
    const replay = await post(addr, '/webhook/linear', body, headers(randomUUID()));
    expect(replay.status, replay.body).toBe(200);
    expect(firstResult(replay)).toMatchObject({ outcome: 'duplicate', task: firstResult(first)['task'] });
    expect(taskNames(r)).toHaveLength(1);
  });

  it('as Linear retries it (same event, a new webhookTimestamp) is a duplicate; another event is a Task', async () => {
    const { r, addr } = await listening(linear, { clusterSecrets: { linear: [SECRET] } });
    const event: Json = fixture('linear', 'issue-create');
    const send = (payload: Json, delivery: string) =>
      post(addr, '/webhook/linear', JSON.stringify(payload), signed(payload)(delivery));
    const first = await send({ ...event, webhookTimestamp: Date.now() - 30_000 }, 'd-1');
    const retry = await send({ ...event, webhookTimestamp: Date.now() }, 'd-1');
    expect([firstResult(first)['outcome'], firstResult(retry)['outcome']]).toStrictEqual([
      'created',
      'duplicate',
    ]);
    // The same issue changed later (another action time): its own Task.
    const later = await send(
      { ...event, createdAt: '2026-11-20T10:16:00.000Z', webhookTimestamp: Date.now() },
      'd-2',
    );
    expect(firstResult(later)['outcome'], later.body).toBe('created');
    expect(taskNames(r)).toHaveLength(2);
  });
});
