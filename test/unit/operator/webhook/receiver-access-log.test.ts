// Every request the receiver answers is one structured log line, as an HTTP service's access
// log: what became of a delivery at info, a refusal that means a setup is wrong at warn, and
// never a signature or the body.
import { afterEach, describe, expect, it } from 'vitest';
import type { When } from '../../../../src/api/index.ts';
import { createLogger } from '../../../../src/kube/log.ts';
import { githubHeaders, githubIssueComment, post } from '../../../support/webhook-payloads.ts';
import { receiverOver } from '../../../support/webhook-receiver.ts';

const SECRET = 'hook-secret';
const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

type Line = Record<string, unknown>;

describe('the receiver’s access log', () => {
  it('writes one line per delivery: created, duplicate and filtered at info, refusals with the reason', async () => {
    const lines: Line[] = [];
    const texts: string[] = [];
    const log = createLogger({
      write: (l) => {
        texts.push(l);
        lines.push(JSON.parse(l) as Line);
      },
    });
    const when = {
      githubWebhook: {
        events: ['issue_comment'],
        filters: [{ event: 'issue_comment', bodyPattern: '^/kelos' }],
      },
    } as When;
    const { receiver } = await receiverOver(when, stops, { clusterSecrets: { github: [SECRET] }, log });
    const addr = (await receiver.listen('127.0.0.1:0')) ?? '';
    const comment = JSON.stringify(githubIssueComment(7));
    const access = () => lines.filter((l) => l['msg'] === 'Webhook delivery answered');
    const last = () => access().at(-1);

    const created = await post(
      addr,
      '/webhook/github?token=t0ps3cret',
      comment,
      githubHeaders(comment, SECRET, 'issue_comment', 'd-1'),
    );
    expect(created.status, created.body).toBe(200);
    const task = (created.json()['results'] as Array<{ task: string }>)[0]!.task;
    expect(last()).toMatchObject({
      level: 'info',
      source: 'github',
      route: '/webhook/github',
      status: 200,
      outcome: 'created',
      delivery: 'd-1',
      results: [{ taskSpawner: 'team-a/s', outcome: 'created', task }],
      remote: '127.0.0.1',
    });
    expect(typeof last()?.['durationMs']).toBe('number');

    await post(addr, '/webhook/github', comment, githubHeaders(comment, SECRET, 'issue_comment', 'd-2'));
    expect(last()).toMatchObject({ level: 'info', outcome: 'duplicate', results: [{ task }] });

    const other = JSON.stringify(githubIssueComment(8, 'thanks!'));
    await post(addr, '/webhook/github', other, githubHeaders(other, SECRET, 'issue_comment', 'd-3'));
    expect(last()).toMatchObject({ level: 'info', outcome: 'filtered', delivery: 'd-3' });
    expect(last()?.['results']).toEqual([
      { taskSpawner: 'team-a/s', outcome: 'filtered', reason: expect.any(String) },
    ]);

    // A signature that does not match: a setup to fix, named with the spawners it was checked for.
    const bad = githubHeaders(comment, 'wrong', 'issue_comment', 'd-4');
    expect((await post(addr, '/webhook/github', comment, bad)).status).toBe(401);
    expect(last()).toMatchObject({
      level: 'warn',
      status: 401,
      outcome: 'refused',
      delivery: 'd-4',
      taskSpawners: ['team-a/s'],
      reason: 'signature not verified: X-Hub-Signature-256 does not match',
    });

    // A webhook route no spawner receives: warn; a path that is no webhook route: info.
    await post(addr, '/webhook/nosuch', '{}', { 'content-type': 'application/json' });
    expect(last()).toMatchObject({
      level: 'warn',
      status: 404,
      route: '/webhook/nosuch',
      outcome: 'refused',
    });
    await post(addr, '/foo', '{}', { 'content-type': 'application/json' });
    expect(last()).toMatchObject({ level: 'info', status: 404, route: '/foo' });
    await post(addr, '/webhook/github', comment, {
      ...githubHeaders(comment, SECRET, 'issue_comment', 'd-5'),
      'content-type': 'text/plain',
    });
    expect(last()).toMatchObject({ level: 'info', status: 415, outcome: 'refused', delivery: 'd-5' });
    expect(last()?.['reason']).toContain('content type');

    expect(access()).toHaveLength(7);
    // Neither a signature, the query's token, nor the body is written.
    const all = texts.join('');
    expect(all).not.toContain(bad['x-hub-signature-256'].slice('sha256='.length));
    expect(all).not.toContain(
      githubHeaders(comment, SECRET, 'issue_comment', '')['x-hub-signature-256'].slice(7),
    );
    expect(all).not.toContain('t0ps3cret');
    expect(all).not.toContain('It is broken.');
    expect(all).not.toContain(SECRET);
  });
});
