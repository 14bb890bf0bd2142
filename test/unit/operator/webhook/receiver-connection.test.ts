import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { When } from '../../../../src/api/index.ts';
import { githubHeaders, githubIssueComment } from '../../../support/webhook-payloads.ts';
import { receiverOver } from '../../../support/webhook-receiver.ts';

const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

/** A listening receiver with one spawner (a GitHub issue_comment one unless `when` says); its address. */
const start = async (when: When = { githubWebhook: { events: ['issue_comment'] } }): Promise<string> => {
  const { receiver } = await receiverOver(when, stops, { clusterSecrets: { github: ['right'] } });
  return (await receiver.listen('127.0.0.1:0')) ?? '';
};

/** POSTs over `agent`; resolves with the status, the Connection header and whether the socket was reused. */
const send = (agent: Agent | false, addr: string, body: string, headers: Record<string, string>) =>
  new Promise<{ status: number; connection: string | undefined; reused: boolean }>((resolve, reject) => {
    const i = addr.lastIndexOf(':');
    const req = request(
      {
        host: addr.slice(0, i),
        port: Number(addr.slice(i + 1)),
        path: '/webhook/github',
        method: 'POST',
        agent,
        headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            connection: res.headers.connection,
            reused: req.reusedSocket,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });

describe('the receiver’s connections', () => {
  it('keeps the connection after a wrongly signed delivery it read whole, closes it after one refused unread', async () => {
    const addr = await start();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    stops.push(() => agent.destroy());
    const body = JSON.stringify(githubIssueComment(1));
    const bad = githubHeaders(body, 'wrong', 'issue_comment', 'd-1');
    const first = await send(agent, addr, body, bad);
    const second = await send(agent, addr, body, bad);
    expect([first.status, second.status]).toEqual([401, 401]);
    expect(second.connection).not.toBe('close');
    expect(second.reused).toBe(true);
    // Refused before the body was read (content type): closed, so no body byte is read as a request.
    const refused = await send(agent, addr, body, { ...bad, 'content-type': 'text/plain' });
    expect(refused.status).toBe(415);
    expect(refused.connection).toBe('close');
    // A sender that asks for the connection to be closed (no keep-alive agent) has it closed.
    const once = await send(false, addr, body, bad);
    expect([once.status, once.connection]).toEqual([401, 'close']);
  });
});

describe('a path no spawner takes', () => {
  it('is a 404 naming the path and the spec.when field that would serve it, as the README lists it, and /webhook/slack points at Socket Mode', async () => {
    const post = async (addr: string, path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`http://${addr}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{}',
      });
      return [res.status, ((await res.json()) as { error: string }).error];
    };
    const generic = await start({ webhook: { source: 'sentry', fieldMapping: { id: '$.id' } } } as When);
    expect(await post(generic, '/webhook/github')).toEqual([
      404,
      "no TaskSpawner receives deliveries at /webhook/github: a TaskSpawner with spec.when.githubWebhook receives GitHub's deliveries",
    ]);
    expect(await post(generic, '/', { 'x-github-event': 'push' })).toEqual([
      404,
      "no TaskSpawner receives deliveries at / (with X-GitHub-Event): a TaskSpawner with spec.when.githubWebhook receives GitHub's deliveries",
    ]);
    const addr = await start();
    const post1 = (path: string, headers?: Record<string, string>) => post(addr, path, headers);
    expect(await post1('/webhook/alerts')).toEqual([
      404,
      "no TaskSpawner receives deliveries at /webhook/alerts: a generic webhook TaskSpawner's spec.when.webhook.source names its path",
    ]);
    expect(await post1('/webhook/linear')).toEqual([
      404,
      "no TaskSpawner receives deliveries at /webhook/linear: a TaskSpawner with spec.when.linearWebhook receives Linear's deliveries",
    ]);
    expect(await post1('/', { 'linear-signature': 'ab' })).toEqual([
      404,
      "no TaskSpawner receives deliveries at / (with Linear-Signature): a TaskSpawner with spec.when.linearWebhook receives Linear's deliveries",
    ]);
    expect(await post1('/webhook/slack')).toEqual([
      404,
      "no TaskSpawner receives deliveries at /webhook/slack: a generic webhook TaskSpawner's spec.when.webhook.source names its path; Slack's events are not taken over HTTP: a TaskSpawner with when.slack receives them through Socket Mode",
    ]);
  });
});
