import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Task, TaskSpawner } from '../../../../src/api/index.ts';
import { FakeClock } from '../../../../src/kube/clock.ts';
import { EventRecorder } from '../../../../src/kube/events.ts';
import { Informer } from '../../../../src/kube/informer.ts';
import { silentLogger } from '../../../../src/kube/log.ts';
import { REPORTING_CONTROLLER, Resources } from '../../../../src/operator/resources.ts';
import { WebhookReceiver } from '../../../../src/operator/webhook/receiver.ts';
import { FakeKube } from '../../../support/fake-kube.ts';
import { spawnerWith } from '../../../support/webhook-fixtures.ts';
import { githubHeaders, githubIssueComment } from '../../../support/webhook-payloads.ts';

const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

const start = async (): Promise<string> => {
  const clock = new FakeClock(Date.now());
  const kube = new FakeKube({ clock });
  const base = { client: kube, clock, log: silentLogger };
  const tasks = new Informer<Task>({ ...base, type: Resources.Task });
  const spawners = new Informer<TaskSpawner>({ ...base, type: Resources.TaskSpawner });
  await kube.create(Resources.TaskSpawner, spawnerWith({ githubWebhook: { events: ['issue_comment'] } }));
  tasks.start();
  spawners.start();
  await Promise.all([tasks.waitForSync(), spawners.waitForSync()]);
  const receiver = new WebhookReceiver({
    client: kube,
    spawners,
    tasks,
    allowUnsigned: () => false,
    events: new EventRecorder(kube, clock, silentLogger, 'test', REPORTING_CONTROLLER),
    clock,
    log: silentLogger,
    clusterSecrets: { github: ['right'] },
  });
  const addr = (await receiver.listen('127.0.0.1:0')) ?? '';
  stops.push(
    () => receiver.close(),
    () => tasks.stop(),
    () => spawners.stop(),
  );
  return addr;
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
