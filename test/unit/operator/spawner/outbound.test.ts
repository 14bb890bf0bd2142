import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createOutboundFetch,
  isNonPublicAddress,
  OutboundRefusedError,
} from '../../../../src/operator/outbound.ts';
import { fetchContext } from '../../../../src/operator/spawner/context-sources.ts';

let server: Server;
let base: string;
const seen: Array<{ path: string; auth: string | undefined; method: string; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', (): void => {
      seen.push({ path: req.url ?? '', auth: req.headers.authorization, method: req.method ?? '', body });
      const redirects: Record<string, string> = {
        '/redirect-out': 'http://169.254.169.254/latest',
        '/redirect-in': '/json',
        '/loop': '/loop',
      };
      const to = redirects[req.url ?? ''];
      if (to) res.writeHead(302, { location: to }).end();
      else if (req.url === '/slow') setTimeout(() => res.end('late'), 3000);
      else if (req.url === '/big') res.end('x'.repeat(5000));
      else if (req.url === '/fail') res.writeHead(500).end();
      else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ spec: { title: 'T', items: [1, 2] }, path: req.url }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('outbound guard', () => {
  test.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.20.0.1', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['fe80::1', true],
    ['fd00::1', true],
    ['::ffff:127.0.0.1', true],
    ['140.82.112.6', false],
    ['2606:50c0:8000::154', false],
  ])('%s non-public: %s', (address, expected) => {
    expect(isNonPublicAddress(address)).toBe(expected);
  });

  test('loopback is refused by default, allowed explicitly', async () => {
    const refuse = createOutboundFetch({ allowInsecure: true });
    await expect(refuse(`${base}/json`)).rejects.toThrow(/non-public address 127\.0\.0\.1/);
    const allow = createOutboundFetch({ allowInsecure: true, allowPrivate: true });
    expect((await allow(`${base}/json`)).status).toBe(200);
  });

  test('a public name that resolves to a private address is refused; http without leave is refused', async () => {
    const f = createOutboundFetch({ resolve: async () => ['10.0.0.5'] });
    await expect(f('https://evil.example/')).rejects.toThrow(
      'evil.example resolves to non-public address 10.0.0.5',
    );
    await expect(createOutboundFetch({ allowPrivate: true })(`${base}/json`)).rejects.toThrow(
      'scheme http: is not allowed',
    );
    await expect(
      createOutboundFetch({ allowPrivate: true })(`${base}/json`, { allowInsecure: true }),
    ).resolves.toHaveProperty('status', 200);
  });

  test('allowed hosts: exact names and *.suffix', async () => {
    const f = createOutboundFetch({
      allowedHosts: ['api.github.com', '*.corp.example'],
      resolve: async () => ['10.0.0.1'],
    });
    await expect(f('https://example.org/')).rejects.toThrow('host example.org is not in the allowed hosts');
    await expect(f('https://ghe.corp.example/')).rejects.toThrow('non-public'); // allowed host, still private
  });

  test('redirects are re-checked per hop; Authorization is dropped on a cross-origin hop; loops end', async () => {
    const f = createOutboundFetch({ allowInsecure: true, allowPrivate: true, allowedHosts: ['127.0.0.1'] });
    await expect(f(`${base}/redirect-out`)).rejects.toThrow(
      'host 169.254.169.254 is not in the allowed hosts',
    );
    seen.length = 0;
    const r = await f(`${base}/redirect-in`, { headers: { authorization: 'token t' } });
    expect(((await r.json()) as { path: string }).path).toBe('/json');
    expect(seen.map((s) => s.auth)).toEqual(['token t', 'token t']);
    await expect(f(`${base}/loop`)).rejects.toThrow('more than 5 redirects');
  });

  test('every call has a timeout', async () => {
    const f = createOutboundFetch({ allowInsecure: true, allowPrivate: true });
    await expect(f(`${base}/slow`, { timeoutMs: 100 })).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  test('refusals are OutboundRefusedError', async () => {
    await expect(createOutboundFetch()('ftp://x/')).rejects.toBeInstanceOf(OutboundRefusedError);
  });
});

describe('context sources', () => {
  const deps = {
    fetch: createOutboundFetch({ allowPrivate: true }),
    secret: async (name: string, key: string) => `${name}/${key}`,
    githubAppToken: async () => 'ghs_app',
  };
  const vars = { ID: '7', Title: 'Hello' };

  test('URL, headers and body are templates; headersFrom win; githubAppAuth adds a token; JSONPath filters', async () => {
    seen.length = 0;
    const r = await fetchContext(
      [
        {
          name: 'spec',
          http: {
            url: `${base}/items/{{.ID}}`,
            method: 'POST',
            headers: { 'x-title': '{{.Title}}', 'x-key': 'inline' },
            headersFrom: [{ header: 'x-key', secretName: 's', secretKey: 'k' }],
            githubAppAuth: { secretRef: { name: 'app' } },
            body: '{"id":"{{.ID}}"}',
            responseFilter: { type: 'JSONPath', expression: '$.spec.title' },
            allowInsecure: true,
          },
        },
        {
          name: 'list',
          http: {
            url: `${base}/x`,
            responseFilter: { type: 'JSONPath', expression: '$.spec.items[*]' },
            allowInsecure: true,
          },
        },
      ],
      vars,
      deps,
    );
    expect(r).toEqual({ ok: true, context: { spec: 'T', list: '[1,2]' } });
    expect(seen.find((s) => s.path === '/items/7')).toMatchObject({
      path: '/items/7',
      method: 'POST',
      auth: 'token ghs_app',
      body: '{"id":"7"}',
    });
  });

  test('Fail skips the item with the reason; Ignore gives an empty string; limits hold', async () => {
    const fail = await fetchContext(
      [{ name: 'a', http: { url: `${base}/fail`, allowInsecure: true } }],
      vars,
      deps,
    );
    expect(fail).toEqual({ ok: false, error: 'contextSources a: HTTP 500' });
    const ignore = await fetchContext(
      [{ name: 'a', http: { url: `${base}/fail`, allowInsecure: true }, failurePolicy: 'Ignore' }],
      vars,
      deps,
    );
    expect(ignore).toEqual({ ok: true, context: { a: '' } });
    const big = await fetchContext(
      [{ name: 'a', http: { url: `${base}/big`, allowInsecure: true, maxResponseBytes: 1000 } }],
      vars,
      deps,
    );
    expect(big).toMatchObject({ ok: false, error: expect.stringContaining('exceeds maxResponseBytes 1000') });
    const slow = await fetchContext(
      [{ name: 'a', http: { url: `${base}/slow`, allowInsecure: true, timeoutSeconds: 1 } }],
      vars,
      deps,
    );
    expect(slow).toEqual({ ok: false, error: 'contextSources a: timed out after 1s' });
    const insecure = await fetchContext([{ name: 'a', http: { url: `${base}/json` } }], vars, deps);
    expect(insecure).toMatchObject({
      ok: false,
      error: expect.stringContaining('scheme http: is not allowed'),
    });
  });
});
