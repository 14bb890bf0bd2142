// A body over the limit sent without `Expect: 100-continue`, as fetch and most senders send it:
// the 413 must reach the sender, not a connection reset while it is still writing (EPIPE in
// Node's fetch, status 000 in curl). Real HTTP on loopback to the receiver over a FakeKube.
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { When } from '../../../../src/api/index.ts';
import { DEFAULT_MAX_BODY_BYTES, DISCARD_MS } from '../../../../src/operator/webhook/body.ts';
import { kelosHeaders, splitAddress } from '../../../support/webhook-payloads.ts';
import { receiverOver } from '../../../support/webhook-receiver.ts';

const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

const when = { webhook: { source: 'sentry', fieldMapping: { id: '$.id' } } } as When;

/** A listening receiver at the default body limit (the size is checked before any signature); its address. */
const listening = async (): Promise<string> => {
  const { receiver } = await receiverOver(when, stops);
  return (await receiver.listen('127.0.0.1:0')) ?? '';
};

/** A JSON body of `bytes` bytes. */
const bodyOf = (bytes: number): Buffer => {
  const b = Buffer.alloc(bytes, 'a');
  b.write('{"id":"x","pad":"');
  b.write('"}', bytes - 2);
  return b;
};

describe('a body over the limit, sent without Expect: 100-continue', () => {
  it('is answered 413 to a fetch sender that declared its length, and to one sending it chunked', async () => {
    const addr = await listening();
    const big = bodyOf(DEFAULT_MAX_BODY_BYTES + 1024 * 1024);
    const headers = kelosHeaders('{}', 's');
    const declared = await fetch(`http://${addr}/webhook/sentry`, { method: 'POST', headers, body: big });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toStrictEqual({
      error: `body larger than ${DEFAULT_MAX_BODY_BYTES} bytes`,
    });

    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let at = 0; at < big.length; at += 256 * 1024) c.enqueue(big.subarray(at, at + 256 * 1024));
        c.close();
      },
    });
    const chunked = await fetch(`http://${addr}/webhook/sentry`, {
      method: 'POST',
      headers,
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await chunked.json()).toStrictEqual({ error: `body larger than ${DEFAULT_MAX_BODY_BYTES} bytes` });
  });

  it('is answered 413 to node:http, whose write of the whole body ends without a reset', async () => {
    const addr = await listening();
    const [host, port] = splitAddress(addr);
    const big = bodyOf(DEFAULT_MAX_BODY_BYTES + 1);
    const got = await new Promise<{ status: number; body: string; error?: string }>((resolve) => {
      const req = request({
        host,
        port,
        path: '/webhook/sentry',
        method: 'POST',
        headers: kelosHeaders('{}', 's'),
      });
      let answer: { status: number; body: string } | undefined;
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => {
          answer = { status: res.statusCode ?? 0, body };
        });
      });
      req.on('error', (e) =>
        resolve({ status: answer?.status ?? 0, body: answer?.body ?? '', error: e.message }),
      );
      req.on('close', () => resolve({ status: answer?.status ?? 0, body: answer?.body ?? '' }));
      req.end(big);
    });
    expect(got).toStrictEqual({
      status: 413,
      body: `${JSON.stringify({ error: `body larger than ${DEFAULT_MAX_BODY_BYTES} bytes` })}\n`,
    });
  });

  it('still closes the connection of a sender that trickles a huge body, after a bounded time', async () => {
    const addr = await listening();
    const [host, port] = splitAddress(addr);
    const started = Date.now();
    const got = await new Promise<{ answer: string; openMs: number }>((resolve) => {
      let answer = '';
      const headers = Object.entries(kelosHeaders('{}', 's'))
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      const sock = connect({ host, port }, () => {
        sock.write(
          `POST /webhook/sentry HTTP/1.1\r\nHost: x\r\n${headers}Content-Length: 1000000000\r\n\r\n`,
        );
      });
      // A byte every 100 ms: never done, never idle.
      const trickle = setInterval(() => sock.writable && sock.write('a'), 100);
      sock.on('data', (d: Buffer) => {
        answer += d.toString('latin1');
      });
      sock.on('error', () => {});
      sock.on('close', () => {
        clearInterval(trickle);
        resolve({ answer, openMs: Date.now() - started });
      });
    });
    expect(got.answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(got.answer).toContain('connection: close');
    // Closed by the server, after the discard bound and well before the request timeout (30 s).
    expect(got.openMs).toBeGreaterThanOrEqual(DISCARD_MS - 100);
    expect(got.openMs).toBeLessThan(DISCARD_MS + 3_000);
  });
});
