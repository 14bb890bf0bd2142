// A spawner whose own settings cannot take a delivery (a filter pattern RE2 refuses) answers it
// `invalid` and says so on the spawner, where its owner looks; a filter that merely does not
// match answers `filtered`.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { When } from '../../../../src/api/index.ts';
import type { ApiObject } from '../../../../src/kube/client.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import { fixture, type Json } from '../../../support/webhook-fixtures.ts';
import {
  firstResult,
  githubHeaders,
  githubIssueComment,
  linearHeaders,
  post,
} from '../../../support/webhook-payloads.ts';
import { receiverOver } from '../../../support/webhook-receiver.ts';

const SECRET = 'hook-secret';
const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

const send = (addr: string) => {
  const body = JSON.stringify(githubIssueComment(3));
  return post(addr, '/webhook/github', body, githubHeaders(body, SECRET, 'issue_comment', randomUUID()));
};

describe('a GitHub delivery for a spawner whose filter cannot be evaluated', () => {
  it('is invalid, with a WebhookDeliveryInvalid Event naming the pattern; a plain mismatch is filtered', async () => {
    const when = (bodyPattern: string) =>
      ({
        githubWebhook: { events: ['issue_comment'], filters: [{ event: 'issue_comment', bodyPattern }] },
      }) as When;
    const broken = await receiverOver(when('(a)\\1'), stops, { clusterSecrets: { github: [SECRET] } });
    const r = await send((await broken.receiver.listen('127.0.0.1:0')) ?? '');
    expect(r.status, r.body).toBe(200);
    expect(firstResult(r)).toMatchObject({ outcome: 'invalid' });
    expect(firstResult(r)['reason']).toContain('invalid RE2 pattern');
    // The Event is written after the answer: read until it is there (the test's timeout bounds it).
    const events = async () =>
      (
        await broken.kube.list<ApiObject & { reason?: string; note?: string }>(Resources.Event, {
          namespace: 'team-a',
        })
      ).items.map((e) => [e.reason, e.note?.includes('invalid RE2 pattern')]);
    while ((await events()).length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(await events()).toEqual([['WebhookDeliveryInvalid', true]]);

    const other = await receiverOver(when('^/other'), stops, { clusterSecrets: { github: [SECRET] } });
    const f = await send((await other.receiver.listen('127.0.0.1:0')) ?? '');
    expect(firstResult(f)).toMatchObject({ outcome: 'filtered' });
  });
});

describe('a Linear Comment delivery for a spawner that filters on labels', () => {
  it('is invalid, not a Task for an issue excludeLabels should have kept out: the Comment payload carries no labels', async () => {
    const when = {
      linearWebhook: { types: ['Comment'], filters: [{ type: 'Comment', excludeLabels: ['no-agent'] }] },
    } as When;
    const { receiver, kube } = await receiverOver(when, stops, { clusterSecrets: { linear: [SECRET] } });
    const addr = (await receiver.listen('127.0.0.1:0')) ?? '';
    const comment: Json = fixture('linear', 'comment-create');
    comment.webhookTimestamp = Date.now();
    const body = JSON.stringify(comment);
    const r = await post(addr, '/webhook/linear', body, linearHeaders(body, SECRET, randomUUID()));
    expect(r.status, r.body).toBe(200);
    expect(firstResult(r)).toMatchObject({ outcome: 'invalid' });
    expect(firstResult(r)['reason']).toContain('the payload carries no labels');
    expect((await kube.list(Resources.Task, { namespace: 'team-a' })).items).toEqual([]);
  });
});
