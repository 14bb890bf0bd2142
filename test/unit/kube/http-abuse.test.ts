/**
 * Issue 9, finding 1: hostile requests to every endpoint the operator serves. Each request
 * goes over a raw TCP socket (so malformed request lines reach the server as sent), and after
 * each the server must still answer `/healthz` and `/metrics`.
 */
import { connect } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EndpointServer, originForm, serveEndpoints } from '../../../src/kube/http.ts';

/** Sends `raw` (optionally in slow pieces) and returns what the server wrote before closing. */
const rawRequest = (
  address: string,
  raw: string | Buffer,
  opts: { dripMs?: number } = {},
): Promise<string> => {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.on('connect', () => {
      if (!opts.dripMs) {
        socket.write(raw);
        // Half-close only for complete requests, so a server waiting for more still times out.
        return;
      }
      const bytes = Buffer.from(raw);
      let i = 0;
      timer = setInterval(() => {
        if (i < bytes.length && socket.writable) socket.write(bytes.subarray(i, ++i));
      }, opts.dripMs);
    });
    // Every request ends with the server closing (connection: close), or by our own cut-off.
    setTimeout(() => socket.destroy(), 8_000).unref();
  });
};

const statusOf = (response: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);

describe('endpoint server under hostile requests', () => {
  let server: EndpointServer;
  const errors: string[] = [];
  beforeAll(async () => {
    const registry = new Registry();
    const s = await serveEndpoints('127.0.0.1:0', {
      metrics: registry,
      metricsToken: 's3cret',
      health: { checks: [{ name: 'always', check: () => undefined }] },
      limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, maxHeaderBytes: 4096, maxUrlBytes: 1024 },
      onError: (source) => errors.push(source),
    });
    if (!s) throw new Error('no server');
    server = s;
  });
  afterAll(() => server.close());

  const stillServing = async () => {
    const res = await fetch(`http://${server.address}/healthz`);
    expect(res.status).toBe(200);
    const metrics = await fetch(`http://${server.address}/metrics`, {
      headers: { authorization: 'Bearer s3cret' },
    });
    expect(metrics.status).toBe(200);
  };

  const cases: Array<[string, string | Buffer, number]> = [
    [
      'an unparseable absolute-form target (the crash of finding 1)',
      'GET http://[ HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n',
      400,
    ],
    [
      'an absolute-form URL',
      'GET http://evil.example/metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n',
      400,
    ],
    // Node hands CONNECT to a 'connect' listener; with none it closes the socket unanswered.
    [
      'an authority-form target (closed unanswered)',
      'CONNECT evil.example:443 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n',
      0,
    ],
    ['an asterisk target', 'OPTIONS * HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', 400],
    ['a scheme-relative target', 'GET //evil/healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', 400],
    ['a POST', 'POST /healthz HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi', 405],
    ['a DELETE', 'DELETE /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', 405],
    ['a TRACE', 'TRACE /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', 405],
    [
      'a huge URL',
      `GET /healthz?${'a'.repeat(100_000)} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`,
      431,
    ],
    [
      'a URL over the limit but under the header cap',
      `GET /healthz?${'a'.repeat(2_000)} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`,
      414,
    ],
    [
      'a huge header',
      `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'b'.repeat(64_000)}\r\nconnection: close\r\n\r\n`,
      431,
    ],
    ['a malformed request line', 'GARBAGE\r\n\r\n', 400],
    ['binary garbage', Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10]), 400],
    ['a NUL in the target', 'GET /health\0z HTTP/1.1\r\nhost: x\r\n\r\n', 400],
    ['a bad Content-Length', 'GET /healthz HTTP/1.1\r\nhost: x\r\ncontent-length: -1\r\n\r\n', 400],
    ['metrics without the token', 'GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', 401],
    [
      'metrics with a wrong token',
      'GET /metrics HTTP/1.1\r\nhost: x\r\nauthorization: Bearer s3creu\r\nconnection: close\r\n\r\n',
      401,
    ],
    [
      'metrics with a shorter token',
      'GET /metrics HTTP/1.1\r\nhost: x\r\nauthorization: Bearer s\r\nconnection: close\r\n\r\n',
      401,
    ],
    ['an unknown path', 'GET /../../etc/passwd HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', 404],
  ];
  for (const [name, raw, status] of cases) {
    it(`answers ${name} with ${status} and keeps serving`, async () => {
      expect(statusOf(await rawRequest(server.address, raw))).toBe(status);
      await stillServing();
    });
  }

  it('cuts off a client that sends its headers too slowly (slowloris) and keeps serving', async () => {
    const response = await rawRequest(
      server.address,
      'GET /healthz HTTP/1.1\r\nhost: x\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n',
      {
        dripMs: 50,
      },
    );
    // The 3.5 s drip never completes: the server closes first (408, or a bare close).
    expect([0, 408]).toContain(statusOf(response));
    await stillServing();
  });

  it('reports the requests it refused instead of throwing', () => {
    expect(errors).toContain('client');
    expect(errors).not.toContain('handler');
  });
});

describe('originForm', () => {
  it('splits origin-form targets and refuses every other form', () => {
    expect(originForm('/readyz?verbose')?.path).toBe('/readyz');
    expect(originForm('/readyz?verbose')?.query.has('verbose')).toBe(true);
    expect(originForm('/a#frag')?.path).toBe('/a');
    for (const t of ['http://[', 'http://x/metrics', '*', 'x:443', '//x/healthz', '']) {
      expect(originForm(t)).toBeUndefined();
    }
  });
});
