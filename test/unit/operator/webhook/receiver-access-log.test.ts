// Every request the receiver answers is one structured log line, as an HTTP service's access
// log: what became of a delivery at info, a refusal that means a setup is wrong at warn, and
// never a signature or the body.
import { afterEach, describe, expect, it } from 'vitest';
import type { When } from '../../../../src/api/index.ts';
import { createLogger } from '../../../../src/kube/log.ts';
import { SAMPLE_BURST, SAMPLE_MAX_KEYS, SAMPLE_WINDOW_MS } from '../../../../src/kube/log-sampler.ts';
import { ACCESS_SUMMARY_MSG } from '../../../../src/operator/webhook/receiver.ts';
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

    // A request refused for its method still names the route's source.
    const get = await fetch(`http://${addr}/webhook/github`);
    expect(get.status).toBe(405);
    expect(last()).toMatchObject({ level: 'info', source: 'github', route: '/webhook/github', status: 405 });

    expect(access()).toHaveLength(8);
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

  it('samples a flood of refusals per route and status, counts the rest, and still logs each delivery it takes', async () => {
    const lines: Line[] = [];
    const log = createLogger({ write: (l) => lines.push(JSON.parse(l) as Line) });
    const when = { githubWebhook: { events: ['issue_comment'] } } as When;
    const { receiver, clock } = await receiverOver(when, stops, {
      clusterSecrets: { github: [SECRET] },
      log,
    });
    const addr = (await receiver.listen('127.0.0.1:0')) ?? '';
    const comment = JSON.stringify(githubIssueComment(7));
    const badlySigned = (i: number) =>
      post(addr, '/webhook/github', comment, githubHeaders(comment, 'wrong', 'issue_comment', `bad-${i}`));
    const inBatches = async (n: number, send: (i: number) => Promise<{ status: number }>, want: number) => {
      for (let i = 0; i < n; i += 25) {
        const batch = await Promise.all(Array.from({ length: Math.min(25, n - i) }, (_, j) => send(i + j)));
        for (const a of batch) expect(a.status).toBe(want);
      }
    };

    await inBatches(100, badlySigned, 401);
    const taken = await post(
      addr,
      '/webhook/github',
      comment,
      githubHeaders(comment, SECRET, 'issue_comment', 'good-1'),
    );
    expect(taken.status, taken.body).toBe(200);
    await inBatches(100, (i) => badlySigned(100 + i), 401);
    // Routes an attacker varies: each a key of its own until the window holds the most keys,
    // then counted under one key per status.
    const routes = SAMPLE_MAX_KEYS + 44;
    await inBatches(
      routes,
      (i) => post(addr, `/webhook/nosuch-${i}`, '{}', { 'content-type': 'application/json' }),
      404,
    );

    const answered = () => lines.filter((l) => l['msg'] === 'Webhook delivery answered');
    const refused401 = answered().filter((l) => l['status'] === 401);
    expect(refused401.length).toBe(SAMPLE_BURST);
    expect(refused401[0]).toMatchObject({ level: 'warn', route: '/webhook/github', delivery: 'bad-0' });
    // The delivery taken in the middle of the flood has its line.
    expect(answered().filter((l) => l['status'] === 200)).toEqual([
      expect.objectContaining({ level: 'info', outcome: 'created', delivery: 'good-1' }),
    ]);
    // Nothing is summed up before the window ends; then one line per key, counts that add up.
    expect(lines.filter((l) => l['msg'] === ACCESS_SUMMARY_MSG)).toEqual([]);
    clock.advance(SAMPLE_WINDOW_MS);
    const summaries = lines.filter((l) => l['msg'] === ACCESS_SUMMARY_MSG);
    const of401 = summaries.filter((l) => l['status'] === 401);
    expect(of401).toEqual([
      expect.objectContaining({
        level: 'warn',
        source: 'github',
        route: '/webhook/github',
        outcome: 'refused',
        notLogged: 200 - SAMPLE_BURST,
        logged: SAMPLE_BURST,
        windowSeconds: SAMPLE_WINDOW_MS / 1000,
      }),
    ]);
    expect(Date.parse(of401[0]!['to'] as string) - Date.parse(of401[0]!['from'] as string)).toBe(
      SAMPLE_WINDOW_MS,
    );
    const lines404 = answered().filter((l) => l['status'] === 404).length;
    const of404 = summaries.filter((l) => l['status'] === 404);
    expect(of404).toEqual([
      expect.objectContaining({ level: 'warn', overflow: expect.stringContaining(`${SAMPLE_MAX_KEYS}`) }),
    ]);
    expect(lines404 + (of404[0]!['notLogged'] as number)).toBe(routes);
    expect(lines404).toBeLessThan(SAMPLE_MAX_KEYS);

    // A new window writes the first lines again.
    await badlySigned(999);
    expect(answered().at(-1)).toMatchObject({ status: 401, delivery: 'bad-999' });

    // A signed delivery replayed (for the issue whose Task good-1 made): each answer finds that
    // Task again (200, duplicate), and the lines are sampled like refusals, counted at the end.
    const replayed = githubHeaders(comment, SECRET, 'issue_comment', 'replayed');
    await inBatches(60, () => post(addr, '/webhook/github', comment, replayed), 200);
    const ofReplay = answered().filter((l) => l['delivery'] === 'replayed');
    expect(ofReplay.map((l) => l['outcome'])).toEqual(Array(SAMPLE_BURST).fill('duplicate'));
    clock.advance(SAMPLE_WINDOW_MS);
    expect(lines.filter((l) => l['msg'] === ACCESS_SUMMARY_MSG && l['outcome'] === 'duplicate')).toEqual([
      expect.objectContaining({ status: 200, notLogged: 60 - SAMPLE_BURST, logged: SAMPLE_BURST }),
    ]);
  });
});
