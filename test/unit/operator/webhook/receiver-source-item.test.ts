// Which item a webhook Task is for: a Linear Task's name is a hash (`s-issue-5385b0572815`),
// and its Event said only "for a webhook delivery". Each Task now carries the item as its
// sender names it (annotation kelos.dev/source-item) and its TaskCreated Event names it, as a
// polling source's does (`for item ENG-1`). Real HTTP on loopback to the receiver over a FakeKube.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Task, When } from '../../../../src/api/index.ts';
import { CoreResources } from '../../../../src/kube/client.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import { fixture } from '../../../support/webhook-fixtures.ts';
import {
  firstResult,
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

const SECRET = 'item-secret';

const listening = (when: When) =>
  listeningReceiver(when, stops, SECRET, { clusterSecrets: { github: [SECRET], linear: [SECRET] } });

/** The Task's source-item annotation and the spawner's TaskCreated Event notes. */
const traces = async (r: TestReceiver, task: string) => {
  await r.events.flush();
  const t = r.kube.objects<Task>(Resources.Task, 'team-a').find((x) => x.metadata.name === task);
  const notes = r.kube
    .objects<{ metadata: object; reason?: string; note?: string }>(CoreResources.Event, 'team-a')
    .filter((e) => e.reason === 'TaskCreated')
    .map((e) => e.note);
  return { item: t?.metadata.annotations?.['kelos.dev/source-item'], notes };
};

describe('a webhook Task names the item it was made for', () => {
  it('Linear: the issue key, on a Task whose name is a hash', async () => {
    const { r, addr } = await listening({ linearWebhook: { types: ['Issue'] } } as When);
    const body = JSON.stringify({ ...fixture('linear', 'issue-create'), webhookTimestamp: Date.now() });
    const answer = await post(addr, '/webhook/linear', body, linearHeaders(body, SECRET, randomUUID()));
    const task = firstResult(answer)['task'] ?? '';
    expect([answer.status, firstResult(answer)['outcome']], answer.body).toStrictEqual([200, 'created']);
    expect(task).toMatch(/^s-issue-[0-9a-f]{12}$/);
    expect(await traces(r, task)).toStrictEqual({
      item: 'ENG-123',
      notes: [`Created Task ${task} for item ENG-123`],
    });
  });

  it('generic: the mapped id as sent', async () => {
    const { r, addr } = await listening({
      webhook: { source: 'pager', fieldMapping: { id: '$.incident' }, secretRef: { name: 'hook' } },
    } as When);
    const body = JSON.stringify({ incident: 'INC-1' });
    const answer = await post(addr, '/webhook/pager', body, kelosHeaders(body, SECRET));
    const task = firstResult(answer)['task'] ?? '';
    expect(firstResult(answer)['outcome'], answer.body).toBe('created');
    expect(await traces(r, task)).toStrictEqual({
      item: 'INC-1',
      notes: [`Created Task ${task} for item INC-1`],
    });
  });

  it('GitHub: owner/repo#number, beside upstream’s source annotations', async () => {
    const { r, addr } = await listening({ githubWebhook: { events: ['issue_comment'] } } as When);
    const body = JSON.stringify(githubIssueComment(12));
    const answer = await post(
      addr,
      '/webhook/github',
      body,
      githubHeaders(body, SECRET, 'issue_comment', randomUUID()),
    );
    const task = firstResult(answer)['task'] ?? '';
    expect(firstResult(answer)['outcome'], answer.body).toBe('created');
    expect(await traces(r, task)).toStrictEqual({
      item: 'acme/widgets#12',
      notes: [`Created Task ${task} for item acme/widgets#12`],
    });
  });
});
