/**
 * Issue 9, finding 2: every URL the operator fetches for a tenant passes one guard. Real HTTP
 * servers on loopback; DNS answers injected where a test needs a name to resolve somewhere.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_OUTBOUND_POLICY,
  guardedFetch,
  hostAllowed,
  isPrivateAddress,
  type OutboundPolicy,
  OutboundRefusedError,
} from '../../../src/operator/outbound.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});
const serve = async (handler: Parameters<typeof createServer>[1]): Promise<string> => {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};
const policy = (over: Partial<OutboundPolicy> = {}): OutboundPolicy => ({
  ...DEFAULT_OUTBOUND_POLICY,
  timeoutMs: 2_000,
  ...over,
});
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'fetched',
    (e: unknown) => (e instanceof OutboundRefusedError ? e.message : `other: ${String(e)}`),
  );

describe('guardedFetch', () => {
  it('refuses a host the admin did not allow before connecting (the App JWT never leaves)', async () => {
    let hits = 0;
    await serve(() => hits++);
    expect(
      await refusal(
        guardedFetch('https://evil.example/app/installations/1/access_tokens', { method: 'POST' }, policy()),
      ),
    ).toContain('host evil.example is not in the allowed outbound hosts');
    expect(hits).toBe(0);
  });

  it('refuses http, and URLs with credentials', async () => {
    expect(await refusal(guardedFetch('http://api.github.com/x', undefined, policy()))).toContain(
      'only https',
    );
    expect(await refusal(guardedFetch('https://u:p@api.github.com/x', undefined, policy()))).toContain(
      'credentials',
    );
  });

  it('refuses an allowed host that resolves to a private, loopback or link-local address', async () => {
    for (const address of [
      '10.1.2.3',
      '127.0.0.1',
      '169.254.169.254',
      '::1',
      '::ffff:192.168.0.1',
      'fd00::1',
    ]) {
      const lookup = (_h: string, cb: (e: Error | null, a: { address: string; family: number }[]) => void) =>
        cb(null, [{ address, family: address.includes(':') ? 6 : 4 }]);
      expect(
        await refusal(
          guardedFetch(
            'https://git.corp.example/x',
            undefined,
            policy({ allowedHosts: ['*.corp.example'] }),
            { lookup },
          ),
        ),
      ).toContain(`resolves to ${address}`);
    }
  });

  it('refuses IP literals in private ranges even when listed', async () => {
    expect(
      await refusal(
        guardedFetch(
          'https://169.254.169.254/latest/meta-data',
          undefined,
          policy({ allowedHosts: ['169.254.169.254'] }),
        ),
      ),
    ).toContain('resolves to 169.254.169.254');
  });

  it('fetches from an origin the admin trusted (--github-api-url), over http and on loopback', async () => {
    const base = await serve((req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization }));
    });
    const res = await guardedFetch(
      `${base}/app/installations/1/access_tokens`,
      { method: 'POST', headers: { Authorization: 'Bearer jwt' } },
      policy({ trustedOrigins: [base] }),
    );
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ method: 'POST', auth: 'Bearer jwt' });
  });

  it('fetches from an allowed host on a private network when allowPrivateNetworks is set', async () => {
    const base = await serve((_req, res) => res.end('ok'));
    const port = new URL(base).port;
    const lookup = (_h: string, cb: (e: Error | null, a: { address: string; family: number }[]) => void) =>
      cb(null, [{ address: '127.0.0.1', family: 4 }]);
    // Plain http stays refused for an untrusted origin even on an allowed private host.
    const p = policy({ allowedHosts: ['ghe.internal'], allowPrivateNetworks: true });
    expect(await refusal(guardedFetch(`http://ghe.internal:${port}/`, undefined, p, { lookup }))).toContain(
      'only https',
    );
    const res = await guardedFetch(`${base}/`, undefined, { ...p, trustedOrigins: [base] }, { lookup });
    expect(await res.text()).toBe('ok');
  });

  it('re-checks every redirect: to a host not allowed, and to a private address', async () => {
    const toEvil = await serve((_req, res) => {
      res.writeHead(302, { location: 'https://evil.example/steal' });
      res.end();
    });
    expect(
      await refusal(guardedFetch(`${toEvil}/`, undefined, policy({ trustedOrigins: [toEvil] }))),
    ).toContain('host evil.example is not in the allowed');
    const toMetadata = await serve((_req, res) => {
      res.writeHead(307, { location: 'https://metadata.corp.example/' });
      res.end();
    });
    const lookup = (_h: string, cb: (e: Error | null, a: { address: string; family: number }[]) => void) =>
      cb(null, [{ address: '169.254.169.254', family: 4 }]);
    expect(
      await refusal(
        guardedFetch(
          `${toMetadata}/`,
          undefined,
          policy({ trustedOrigins: [toMetadata], allowedHosts: ['*.corp.example'] }),
          { lookup },
        ),
      ),
    ).toContain('resolves to 169.254.169.254');
  });

  it('follows redirects within the trusted origin, drops Authorization across origins, and stops a loop', async () => {
    const seen: Array<string | undefined> = [];
    const second = await serve((req, res) => {
      seen.push(req.headers.authorization);
      res.end('second');
    });
    const first = await serve((req, res) => {
      seen.push(req.headers.authorization);
      if (req.url === '/a') res.writeHead(301, { location: '/b' });
      else res.writeHead(302, { location: `${second}/c` });
      res.end();
    });
    const res = await guardedFetch(
      `${first}/a`,
      { headers: { authorization: 'Bearer t' } },
      policy({ trustedOrigins: [first, second] }),
    );
    expect(await res.text()).toBe('second');
    expect(seen).toEqual(['Bearer t', 'Bearer t', undefined]);
    const loop = await serve((_req, res) => {
      res.writeHead(302, { location: '/again' });
      res.end();
    });
    expect(await refusal(guardedFetch(`${loop}/`, undefined, policy({ trustedOrigins: [loop] })))).toContain(
      'more than 5 redirects',
    );
  });

  it('gives up at the deadline when the server never answers', async () => {
    const hung = await serve(() => {});
    const err = await guardedFetch(
      `${hung}/`,
      undefined,
      policy({ trustedOrigins: [hung], timeoutMs: 200 }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(err)).toContain('longer than 200 ms');
  });

  it('caps the response body', async () => {
    const big = await serve((_req, res) => res.end('x'.repeat(4096)));
    expect(
      await refusal(
        guardedFetch(`${big}/`, undefined, policy({ trustedOrigins: [big], maxResponseBytes: 1024 })),
      ),
    ).toContain('larger than 1024 bytes');
  });
});

describe('address and host rules', () => {
  it('classifies addresses', () => {
    for (const a of [
      '10.0.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '127.0.0.2',
      '169.254.1.1',
      '100.64.0.1',
      '0.0.0.0',
      '::',
      '::1',
      'fe80::1',
      'fc00::1',
      '::ffff:10.0.0.1',
      '224.0.0.1',
    ]) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['140.82.112.6', '8.8.8.8', '2606:50c0:8000::153', '::ffff:140.82.112.6']) {
      expect(isPrivateAddress(a), a).toBe(false);
    }
  });
  it('matches exact hosts and subdomain wildcards only', () => {
    expect(hostAllowed('api.github.com', ['api.github.com'])).toBe(true);
    expect(hostAllowed('API.GitHub.com.', ['api.github.com'])).toBe(true);
    expect(hostAllowed('evil-api.github.com', ['api.github.com'])).toBe(false);
    expect(hostAllowed('a.b.example.com', ['*.example.com'])).toBe(true);
    expect(hostAllowed('example.com', ['*.example.com'])).toBe(false);
    expect(hostAllowed('evilexample.com', ['*.example.com'])).toBe(false);
  });
});
