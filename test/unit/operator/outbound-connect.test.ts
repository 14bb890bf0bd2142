/**
 * Issue 9, hardening of the outbound guard: the policy comes from the live KelosConfig, the
 * connection goes to the address the guard checked (no DNS rebinding), and a response body is
 * cut off at a size limit. Real HTTP servers on loopback; name resolution is faked, and the
 * names are chosen so that a connection resolving the name again would behave visibly
 * differently (`*.invalid` resolves nowhere, `localhost` to the loopback server).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { KelosConfig } from '../../../src/api/index.ts';
import { resolveAdminConfig } from '../../../src/operator/admin-config.ts';
import {
  createOutboundFetch,
  DEFAULT_MAX_RESPONSE_BYTES,
  OutboundResponseTooLargeError,
  spawnerFetches,
} from '../../../src/operator/outbound.ts';
import { JiraSource } from '../../../src/operator/spawner/sources/jira.ts';
import { FakeJira } from '../../support/fake-jira.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});
const serve = async (handler: Parameters<typeof createServer>[1], host = '127.0.0.1'): Promise<number> => {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, host, r));
  return (s.address() as AddressInfo).port;
};

const kelosConfig = (outbound: NonNullable<KelosConfig['spec']>['outbound']): KelosConfig => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'KelosConfig',
  metadata: { name: 'kelos' },
  spec: { outbound },
});

describe('the spawner fetch under a changing KelosConfig', () => {
  it('applies an admin change to the next call of a spawner source already running', async () => {
    const jira = await FakeJira.start();
    try {
      jira.authorization = 'Bearer pat';
      jira.issues.push({ key: 'ENG-1', summary: 'S1' });
      let config: KelosConfig | undefined = kelosConfig({
        allowedHosts: ['127.0.0.1'],
        allowPrivateNetworks: true,
      });
      // As the operator wires it; `allowInsecure` because the fake Jira speaks plain HTTP.
      const { fetch } = spawnerFetches(() => resolveAdminConfig(config).outbound, undefined, {
        allowInsecure: true,
      });
      const source = new JiraSource(
        { baseUrl: jira.baseUrl, project: 'ENG', secretRef: { name: 's' } },
        { token: 'pat' },
        fetch,
      );
      const outcome = async () => {
        const d = await source.discover();
        return d.kind === 'items' ? d.items.map((i) => i.id).join(',') : `${d.kind}: ${d.message}`;
      };
      expect(await outcome()).toBe('ENG-1');

      config = kelosConfig({ allowedHosts: ['127.0.0.1'], allowPrivateNetworks: false });
      expect(await outcome()).toMatch(
        /^error: .*127\.0\.0\.1 resolves to non-public address 127\.0\.0\.1; to allow it, set KelosConfig kelos spec\.outbound\.allowPrivateNetworks: true$/,
      );

      config = undefined; // the KelosConfig was deleted: the GitHub hosts only
      expect(await outcome()).toMatch(
        /^error: .*host 127\.0\.0\.1 is not in the allowed hosts; to allow it, add it to KelosConfig kelos spec\.outbound\.allowedHosts \(now api\.github\.com, github\.com\), and set KelosConfig kelos spec\.outbound\.allowPrivateNetworks: true, since 127\.0\.0\.1 is a private address$/,
      );

      config = kelosConfig({ allowedHosts: ['*.example.com', '127.0.0.1'], allowPrivateNetworks: true });
      expect(await outcome()).toBe('ENG-1');
      expect(jira.requests).toHaveLength(2);
    } finally {
      await jira.close();
    }
  });

  it('takes the timeout from the KelosConfig at call time', async () => {
    const port = await serve((_req, res) => {
      setTimeout(() => res.end('late'), 2000);
    });
    let config = kelosConfig({ allowedHosts: ['127.0.0.1'], allowPrivateNetworks: true, timeoutSeconds: 1 });
    const { fetch } = spawnerFetches(() => resolveAdminConfig(config).outbound, undefined, {
      allowInsecure: true,
    });
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ name: 'TimeoutError' });
    config = kelosConfig({ allowedHosts: ['127.0.0.1'], allowPrivateNetworks: true, timeoutSeconds: 30 });
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toBe('late');
  }, 20_000);
});

describe('DNS rebinding', () => {
  it('connects to the address it checked, without resolving the name again', async () => {
    const port = await serve((_req, res) => res.end('pinned'));
    const asked: string[] = [];
    const f = createOutboundFetch({
      allowInsecure: true,
      allowPrivate: true,
      resolve: async (host) => {
        asked.push(host);
        return ['127.0.0.1'];
      },
    });
    // No real resolver knows `.invalid`: only the checked answer can have been used.
    const res = await f(`http://rebind.invalid:${port}/`);
    expect(await res.text()).toBe('pinned');
    expect(asked).toEqual(['rebind.invalid']);
  });

  it('a name that answers public for the check and loopback afterwards never reaches loopback', async () => {
    let hits = 0;
    const port = await serve((_req, res) => {
      hits += 1;
      res.end('internal secret');
    });
    let answers = 0;
    const f = createOutboundFetch({
      allowInsecure: true,
      timeoutMs: 1500,
      // TEST-NET-3 first (public by the guard's rules, routed nowhere), loopback for anyone who asks again.
      resolve: async () => (answers++ === 0 ? ['203.0.113.7'] : ['127.0.0.1']),
    });
    // `localhost`: a connection that resolved the name itself (the system resolver) would reach the server.
    await expect(f(`http://localhost:${port}/`)).rejects.toThrow();
    expect(answers).toBe(1);
    expect(hits).toBe(0);
  });

  it('a name that resolves to a private address among public ones is refused before connecting', async () => {
    const f = createOutboundFetch({ resolve: async () => ['140.82.112.6', '10.0.0.9'] });
    await expect(f('https://mixed.invalid/')).rejects.toThrow(
      'mixed.invalid resolves to non-public address 10.0.0.9',
    );
  });
});

describe('response size limit', () => {
  const streaming = (chunks: number, length?: number) =>
    serve((_req, res) => {
      res.writeHead(200, length === undefined ? {} : { 'content-length': String(length) });
      let sent = 0;
      const more = () => {
        // 64 KiB a chunk, without Content-Length: only counting while reading can stop it.
        while (sent < chunks) {
          sent += 1;
          if (!res.write(Buffer.alloc(64 * 1024, 120))) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });

  it('ends a body larger than the limit while reading, naming the host and the limit', async () => {
    const port = await streaming(10_000); // 625 MiB if read to the end
    const f = createOutboundFetch({ allowInsecure: true, allowPrivate: true, maxResponseBytes: 1024 * 1024 });
    const res = await f(`http://127.0.0.1:${port}/big`);
    const err = await res.text().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OutboundResponseTooLargeError);
    expect((err as Error).message).toBe(
      `response from 127.0.0.1:${port} (http://127.0.0.1:${port}/big) is larger than 1048576 bytes, the outbound limit; it was not read further`,
    );
  });

  it('refuses a declared Content-Length over the limit before reading; reads one under it whole', async () => {
    const over = await streaming(20, 20 * 64 * 1024);
    const f = createOutboundFetch({ allowInsecure: true, allowPrivate: true, maxResponseBytes: 1024 * 1024 });
    await expect(f(`http://127.0.0.1:${over}/`)).rejects.toThrow(/is larger than 1048576 bytes/);
    const under = await streaming(16);
    const body = await (await f(`http://127.0.0.1:${under}/`)).arrayBuffer();
    expect(body.byteLength).toBe(1024 * 1024);
  });

  it('defaults to 10 MiB', () => {
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(10 * 1024 * 1024);
  });
});
