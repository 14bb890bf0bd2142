// A Linear Comment delivery carries no labels of its issue: a spawner whose filter judges it by
// labels gets them from Linear's GraphQL API (a stand-in on loopback here, real HTTP), with the
// operator's API key, as upstream's webhook server does; when the API fails, the sender is asked
// to retry (503) and the spawner gets a Warning Event saying why, rather than a guess.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Task, When } from '../../../../src/api/index.ts';
import type { ApiObject } from '../../../../src/kube/client.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import { ISSUE_LABELS_QUERY, linearLabelFetcher } from '../../../../src/operator/webhook/linear-api.ts';
import { fixture, type Json } from '../../../support/webhook-fixtures.ts';
import { firstResult, linearHeaders, post } from '../../../support/webhook-payloads.ts';
import { receiverOver } from '../../../support/webhook-receiver.ts';

const SECRET = 'hook-secret';
const API_KEY = 'lin_api_test';
const ISSUE = '2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9';
const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

interface Call {
  readonly authorization: string | undefined;
  readonly body: { query?: string; variables?: { id?: string } };
}

/** Linear's API on loopback: answers `answer(call)` (status, JSON body, delay), recording each call. */
const startLinear = async (
  answer: (call: Call) => { status: number; body: unknown; delayMs?: number },
): Promise<{ url: string; calls: Call[] }> => {
  const calls: Call[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const call: Call = {
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Call['body'],
      };
      calls.push(call);
      const a = answer(call);
      const send = () =>
        res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
      if (a.delayMs) setTimeout(send, a.delayMs);
      else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  stops.push(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, calls };
};

const labelsAnswer = (names: string[]) => ({
  status: 200,
  body: { data: { issue: { labels: { nodes: names.map((name) => ({ name })) } } } },
});

const commentOnly = (filter: Record<string, unknown>): When =>
  ({ linearWebhook: { types: ['Comment'], filters: [{ type: 'Comment', ...filter }] } }) as When;

/** A receiver for `when` with the Linear label look-up at `url`; returns a sender of the Comment fixture. */
const setup = async (when: When, url: string | undefined, timeoutMs?: number) => {
  const { receiver, kube } = await receiverOver(when, stops, {
    clusterSecrets: { linear: [SECRET] },
    ...(url
      ? { linearLabels: linearLabelFetcher({ apiKey: API_KEY, url, ...(timeoutMs ? { timeoutMs } : {}) }) }
      : {}),
  });
  const addr = (await receiver.listen('127.0.0.1:0')) ?? '';
  const send = () => {
    const comment: Json = fixture('linear', 'comment-create');
    comment.webhookTimestamp = Date.now();
    const body = JSON.stringify(comment);
    return post(addr, '/webhook/linear', body, linearHeaders(body, SECRET, randomUUID()));
  };
  const tasks = async () => (await kube.list<Task>(Resources.Task, { namespace: 'team-a' })).items;
  const warnings = async () =>
    (
      await kube.list<ApiObject & { reason?: string; note?: string; type?: string }>(Resources.Event, {
        namespace: 'team-a',
      })
    ).items.filter((e) => e.type === 'Warning');
  return { send, tasks, warnings };
};

describe('Linear Comment deliveries judged by the issue labels from Linear API', () => {
  it('labels: the issue labels are fetched with the API key and decide the filter', async () => {
    const linear = await startLinear(() => labelsAnswer(['Agent', 'Bug']));
    const { send, tasks } = await setup(commentOnly({ labels: ['agent'] }), linear.url);
    const r = await send();
    expect(r.status, r.body).toBe(200);
    expect(firstResult(r)).toMatchObject({ outcome: 'created' });
    expect(linear.calls).toEqual([
      { authorization: API_KEY, body: { query: ISSUE_LABELS_QUERY, variables: { id: ISSUE } } },
    ]);
    expect((await tasks()).map((t) => t.spec.prompt)).toHaveLength(1);
  });

  it('excludeLabels: an issue with an excluded label is filtered, not invalid and not a Task', async () => {
    const linear = await startLinear(() => labelsAnswer(['No-Agent']));
    const { send, tasks } = await setup(commentOnly({ excludeLabels: ['no-agent'] }), linear.url);
    const r = await send();
    expect(r.status, r.body).toBe(200);
    expect(firstResult(r)).toMatchObject({
      outcome: 'filtered',
      reason: expect.stringContaining('excluded'),
    });
    expect(await tasks()).toEqual([]);
  });

  it('a filter that does not look at labels costs no call', async () => {
    const linear = await startLinear(() => labelsAnswer([]));
    const { send } = await setup(commentOnly({ action: 'create' }), linear.url);
    expect(firstResult(await send())).toMatchObject({ outcome: 'created' });
    expect(linear.calls).toEqual([]);
  });

  it('Linear refusing the key: 503 with Retry-After, no Task, and a Warning Event naming the issue and the status', async () => {
    const linear = await startLinear(() => ({
      status: 401,
      body: { errors: [{ message: 'Authentication required, not authenticated' }] },
    }));
    const { send, tasks, warnings } = await setup(commentOnly({ excludeLabels: ['no-agent'] }), linear.url);
    const r = await send();
    expect(r.status, r.body).toBe(503);
    expect(r.headers['retry-after']).toBeDefined();
    expect(firstResult(r)).toEqual({
      taskSpawner: expect.any(String),
      outcome: 'failed',
      reason: `the labels of Linear issue ${ISSUE} could not be fetched; send the delivery again (the TaskSpawner's Events say why)`,
    });
    // What the operator's key got from Linear is for the spawner's owner, not the sender.
    expect(r.body).not.toContain('HTTP 401');
    expect(await tasks()).toEqual([]);
    // The Event is written after the answer: read until it is there (the test's timeout bounds it).
    while ((await warnings()).length === 0) await new Promise((res) => setTimeout(res, 10));
    const [event] = await warnings();
    expect(event?.reason).toBe('WebhookEnrichmentFailed');
    expect(event?.note).toContain(`the labels of Linear issue ${ISSUE} could not be fetched`);
    expect(event?.note).toContain('is LINEAR_API_KEY a valid API key?');
  });

  it('Linear not answering within the timeout: 503, the sender retries', async () => {
    const linear = await startLinear(() => ({ ...labelsAnswer(['Agent']), delayMs: 2_000 }));
    const { send, tasks } = await setup(commentOnly({ labels: ['agent'] }), linear.url, 200);
    const r = await send();
    expect(r.status, r.body).toBe(503);
    expect(firstResult(r)).toMatchObject({ outcome: 'failed' });
    expect(await tasks()).toEqual([]);
  });

  it('an issue Linear does not know: 503, and the Warning Event names it', async () => {
    const linear = await startLinear(() => ({
      status: 200,
      body: { data: null, errors: [{ message: 'Entity not found: Issue' }] },
    }));
    const { send, warnings } = await setup(commentOnly({ labels: ['agent'] }), linear.url);
    const r = await send();
    expect(r.status, r.body).toBe(503);
    expect(firstResult(r)).toMatchObject({ outcome: 'failed' });
    while ((await warnings()).length === 0) await new Promise((res) => setTimeout(res, 10));
    expect((await warnings())[0]?.note).toContain('Entity not found: Issue');
  });

  it('without LINEAR_API_KEY the delivery stays invalid for that spawner, saying how to fix it', async () => {
    const { send, tasks } = await setup(commentOnly({ labels: ['agent'] }), undefined);
    const r = await send();
    expect(r.status, r.body).toBe(200);
    expect(firstResult(r)).toMatchObject({ outcome: 'invalid' });
    expect(firstResult(r)['reason']).toContain('LINEAR_API_KEY');
    expect(await tasks()).toEqual([]);
  });
});
