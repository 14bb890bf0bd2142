/**
 * Issue 9, findings 1 and 6: the kube client against a misbehaving API server on loopback. A
 * malformed watch line ends the watch with an error instead of throwing out of a socket
 * callback (which ended the process); a server that never answers fails the request at the
 * client's deadline instead of hanging it for ever.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, CoreResources, HttpKubeClient, WatchIdleError } from '../../../src/kube/client.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

const serve = async (
  handler: Parameters<typeof createServer>[1],
  opts: { timeoutMs?: number; watchIdleMs?: number } = { timeoutMs: 300 },
): Promise<HttpKubeClient> => {
  server = createServer(handler);
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return new HttpKubeClient({ server: `http://127.0.0.1:${port}`, tls: {}, headers: async () => ({}) }, opts);
};

describe('HttpKubeClient against a hostile or hung API server', () => {
  it('ends a watch that stays silent past the idle limit with a WatchIdleError, however Node reports the cut', async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } })}\n`);
      // Then nothing: a watch of a kind nobody writes to, which gets no bookmarks.
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const client = new HttpKubeClient(
      { server: `http://127.0.0.1:${port}`, tls: {}, headers: async () => ({}) },
      { timeoutMs: 100, watchIdleMs: 200 },
    );
    for (let i = 0; i < 3; i++) {
      const err = await client
        .watch(CoreResources.Pod, {}, () => {})
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(WatchIdleError);
      expect((err as WatchIdleError).message).toMatch(/no data for 200 ms$/);
    }
    client.close();
  });

  it('fails a watch the server never answers at the request deadline, not as an idle watch', async () => {
    // A black-holed API server (a frozen proxy, a dead node on the path) accepts and says
    // nothing: an idle watch is resumed at once and logged at debug, so this must not be one.
    const client = await serve(
      () => {
        // Never answers.
      },
      { timeoutMs: 300, watchIdleMs: 600 },
    );
    const started = Date.now();
    const err = await client
      .watch(CoreResources.Pod, { timeoutSeconds: 300 }, () => {})
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(WatchIdleError);
    expect((err as ApiError).message).toContain('no response within 300 ms');
    expect(Date.now() - started).toBeLessThan(600);
    client.close();
  });

  it('ends a watch whose stream carries a malformed line with MalformedWatchEvent', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } })}\n`);
      res.write('{"type":"ADDED","object":{not json\n');
    });
    const seen: string[] = [];
    const err = await client
      .watch(CoreResources.Pod, {}, (e) => seen.push(String(e.object.metadata.name)))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(seen).toEqual(['a']);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).reason).toBe('MalformedWatchEvent');
    client.close();
  });

  it('ends a watch whose stream carries JSON that is not an event', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(200);
      res.write('null\n');
    });
    const err = await client
      .watch(CoreResources.Pod, {}, () => {})
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((err as ApiError).reason).toBe('MalformedWatchEvent');
    client.close();
  });

  it('fails a request the server never answers at the deadline', async () => {
    const client = await serve(() => {
      // Never answers.
    });
    const err = await client.get(CoreResources.Pod, 'ns', 'p').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toContain('no response within 300 ms');
    client.close();
  });

  it('fails a request whose response body stalls at the deadline', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"kind":');
    });
    const err = await client.get(CoreResources.Pod, 'ns', 'p').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    client.close();
  });
});

describe('HttpKubeClient and 429 Too Many Requests', () => {
  const busyThenOk = (busy: number, requests: string[]) => (req: IncomingMessage, res: ServerResponse) => {
    requests.push(req.url ?? '');
    if (requests.length <= busy) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(
        JSON.stringify({ kind: 'Status', reason: 'TooManyRequests', message: 'storage is (re)initializing' }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ metadata: { name: 'p' } }));
  };

  it('with busyRetries, waits the Retry-After and sends the request again, as client-go', async () => {
    const requests: string[] = [];
    server = createServer(busyThenOk(2, requests));
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const client = new HttpKubeClient(
      { server: `http://127.0.0.1:${port}`, tls: {}, headers: async () => ({}) },
      { busyRetries: 5 },
    );
    const started = Date.now();
    expect((await client.get(CoreResources.Pod, 'a', 'p'))?.metadata.name).toBe('p');
    expect(requests).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    client.close();
  });

  it('without, and once the retries are spent, the 429 is the error', async () => {
    const requests: string[] = [];
    const client = await serve(busyThenOk(10, requests));
    const err = await client.get(CoreResources.Pod, 'a', 'p').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(429);
    expect(requests).toHaveLength(1);
    client.close();
  });
});

describe('HttpKubeClient reports the Warning headers of an answer', () => {
  it("hands each 299 warning's text, unescaped, to the observers, and nothing else", async () => {
    const client = await serve((_req, res) => {
      res.setHeader('content-type', 'application/json');
      // Two headers, one of them carrying two warnings, as the API server may send them.
      res.setHeader('warning', [
        '299 - "Validation failed for ValidatingAdmissionPolicy \'p\': set \\"limits.memory\\""',
        '299 - "spec.foo is deprecated", 199 - "not shown", 299 - "second"',
      ]);
      res.end(JSON.stringify({ metadata: { name: 'a' } }));
    });
    const seen: Array<readonly string[] | undefined> = [];
    client.observe((_verb, _type, _status, _ms, detail) => seen.push(detail.warnings));
    await client.create(CoreResources.ConfigMap, { metadata: { name: 'a', namespace: 'n' } });
    expect(seen).toEqual([
      [
        'Validation failed for ValidatingAdmissionPolicy \'p\': set "limits.memory"',
        'spec.foo is deprecated',
        'second',
      ],
    ]);
    client.close();
  });
});
