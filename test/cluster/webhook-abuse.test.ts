// The issue's abuse scenario: 10,000 bad requests of each kind (unsigned, wrong signature,
// expired timestamp, oversized, malformed JSON, JSON nested too deep, wrong content
// type, slow clients)
// against a receiver with spawners configured: no Task created, no handler fault, every
// answer a 4xx, and every slow connection closed by the server itself.
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../src/operator/webhook/signature.ts';
import {
  genericAlert,
  githubHeaders,
  githubIssueComment,
  kelosHeaders,
  post,
  splitAddress,
} from '../support/webhook-payloads.ts';
import { create, createSecret, type OperatorScenario, useOperator, waitFor } from './operator-helpers.ts';
import { githubWorkspace, spawner, tasksIn } from './spawner-helpers.ts';

const SECRET = 'abuse-secret';
const PER_KIND = 10_000;
const MAX_BODY = 64 * 1024;
const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;

/** Runs `n` calls of `fn` with at most `concurrency` at once; returns their results. */
async function fire<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) out[i] = await fn(i);
    }),
  );
  return out;
}

/** Counts statuses; a transport error counts under its message. */
const tally = (statuses: Array<number | string>) => {
  const m = new Map<number | string, number>();
  for (const s of statuses) m.set(s, (m.get(s) ?? 0) + 1);
  return Object.fromEntries(m);
};

describe('webhook receiver under abuse', () => {
  let s: OperatorScenario;
  let addr: string;
  useOperator(
    'webhook-abuse',
    (x) => {
      s = x;
    },
    () => ({
      webhook: {
        addr: '127.0.0.1:0',
        maxBodyBytes: MAX_BODY,
        limits: {
          headersTimeoutMs: HEADERS_TIMEOUT_MS,
          requestTimeoutMs: REQUEST_TIMEOUT_MS,
          maxConnections: 4096,
        },
        clusterSecrets: { github: [SECRET] },
      },
    }),
  );

  beforeAll(async () => {
    const { c, ns } = s;
    addr = s.op.operator.webhookAddress ?? '';
    await githubWorkspace(c, ns);
    await createSecret(c, ns, 'hook', { WEBHOOK_SECRET: SECRET });
    await create(c, ns, 'TaskSpawner', spawner('gh', { githubWebhook: { events: ['issue_comment'] } }));
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner('alerts', {
        webhook: { source: 'alerts', fieldMapping: { id: '$.data.id' }, secretRef: { name: 'hook' } },
      }),
    );
    await waitFor('the receiver to see the spawners', async () => s.op.operator.caches.spawners!.size >= 2);
  });

  it('answers every bad request with a 4xx, creates no Task, and closes slow connections itself', async () => {
    const { c, ns } = s;
    // One legitimate delivery. Its exact request sent again is no abuse but a sender's retry,
    // answered 200 duplicate (test/unit/operator/webhook/receiver-retry.test.ts).
    const legit = JSON.stringify(genericAlert('legit'));
    expect((await post(addr, '/webhook/alerts', legit, kelosHeaders(legit, SECRET))).status).toBe(200);
    const baseline = (await tasksIn(c, ns)).size;
    expect(baseline).toBe(1);

    const comment = JSON.stringify(githubIssueComment(1));
    const alert = JSON.stringify(genericAlert('bad'));
    const now = () => Math.floor(Date.now() / 1000);
    const big = Buffer.alloc(MAX_BODY + 1, 'a');
    const kinds: Record<string, (i: number) => [string, string | Buffer, Record<string, string>]> = {
      unsigned: () => [
        '/webhook/github',
        comment,
        { 'content-type': 'application/json', 'x-github-event': 'issue_comment' },
      ],
      'bad signature': (i) => [
        '/webhook/github',
        comment,
        githubHeaders(comment, `wrong-${i}`, 'issue_comment', randomUUID()),
      ],
      'expired timestamp': (i) => ['/webhook/alerts', alert, kelosHeaders(alert, SECRET, now() - 600 - i)],
      oversized: (i) => [
        '/webhook/alerts',
        big,
        { ...kelosHeaders(`x${i}`, SECRET), ...(i % 2 ? { 'transfer-encoding': 'chunked' } : {}) },
      ],
      'malformed JSON': (i) => {
        const body = `{"data":{"id":"m${i}"`;
        return ['/webhook/alerts', body, kelosHeaders(body, SECRET)];
      },
      // Signed, so it reaches the filters, which walk values recursively.
      'nested too deep': (i) => {
        const body = `{"id":"n${i}","data":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
        return ['/webhook/alerts', body, kelosHeaders(body, SECRET)];
      },
      'wrong content type': (i) => [
        '/webhook/alerts',
        alert,
        {
          ...kelosHeaders(alert, SECRET, now() - (i % 100)),
          'content-type': 'application/x-www-form-urlencoded',
        },
      ],
    };
    const seen: Record<string, Record<string, number>> = {};
    for (const [kind, make] of Object.entries(kinds)) {
      const statuses = await fire(PER_KIND, 32, async (i) => {
        const [path, body, headers] = make(i);
        try {
          return (await post(addr, path, body, headers)).status;
        } catch (e) {
          return `error: ${(e as Error).message}`;
        }
      });
      seen[kind] = tally(statuses);
    }
    console.log(`webhook abuse: ${JSON.stringify(seen)}`);
    for (const [kind, counts] of Object.entries(seen)) {
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      expect(total, kind).toBe(PER_KIND);
      for (const status of Object.keys(counts)) {
        expect(Number(status) >= 400 && Number(status) < 500, `${kind}: ${status}`).toBe(true);
      }
    }
    expect(seen['unsigned']).toEqual({ 401: PER_KIND });
    expect(seen['bad signature']).toEqual({ 401: PER_KIND });
    expect(seen['expired timestamp']).toEqual({ 401: PER_KIND });
    expect(seen['oversized']).toEqual({ 413: PER_KIND });
    expect(seen['malformed JSON']).toEqual({ 400: PER_KIND });
    expect(seen['nested too deep']).toEqual({ 400: PER_KIND });
    expect(seen['wrong content type']).toEqual({ 415: PER_KIND });

    // Slow clients: half send part of the headers, half the headers and part of the body, then
    // stall. The server must answer 408 (or close) on its own timeouts; the test never closes them.
    const slow = await fire(PER_KIND, 1000, (i) => slowClient(addr, i % 2 === 0 ? 'headers' : 'body'));
    const slowTally = tally(slow.map((r) => r.answer));
    console.log(
      `webhook abuse: slow clients ${JSON.stringify(slowTally)}, longest open ${Math.max(...slow.map((r) => r.openMs))} ms`,
    );
    // The test never closes them: each ended with the server's own timeout answer.
    expect(slowTally).toEqual({ 'HTTP/1.1 408 Request Timeout': PER_KIND });

    expect((await tasksIn(c, ns)).size).toBe(baseline);
    const faults = await s.op.operator.metrics.faults.get();
    expect(faults.values.filter((v) => v.labels.source === 'http_handler')).toEqual([]);
    // Still serving: a good delivery goes through.
    const good = JSON.stringify(genericAlert('after'));
    expect((await post(addr, '/webhook/alerts', good, kelosHeaders(good, SECRET))).status).toBe(200);
    expect((await tasksIn(c, ns)).size).toBe(baseline + 1);
  }, 600_000);
});

/** Opens a connection that stalls; resolves with what the server did. */
function slowClient(address: string, stall: 'headers' | 'body'): Promise<{ answer: string; openMs: number }> {
  const [host, port] = splitAddress(address);
  return new Promise((resolve) => {
    const started = Date.now();
    let answer = '';
    const sock = connect({ host, port }, () => {
      sock.write(
        stall === 'headers'
          ? 'POST /webhook/alerts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
          : `POST /webhook/alerts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n${Object.entries(
              sign.kelos('{}', 'x', Math.floor(Date.now() / 1000)),
            )
              .map(([k, v]) => `${k}: ${v}`)
              .join('\r\n')}\r\n\r\n{"data":`,
      );
    });
    sock.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
    });
    sock.on('error', () => {});
    sock.on('close', () =>
      resolve({
        answer: answer ? (answer.split('\r\n')[0] ?? '') : 'closed',
        openMs: Date.now() - started,
      }),
    );
  });
}
