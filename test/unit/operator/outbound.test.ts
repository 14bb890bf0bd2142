/**
 * Issue 9, finding 2: the operator's outbound policy (KelosConfig spec.outbound and
 * `--github-api-url`) over the one guarded fetch. The guard's own rules (schemes, ranges,
 * redirects, timeouts) are tested in test/unit/operator/spawner/outbound.test.ts.
 */

import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveAdminConfig } from '../../../src/operator/admin-config.ts';
import { mintInstallationToken } from '../../../src/operator/github-app.ts';
import {
  DEFAULT_OUTBOUND_POLICY,
  guardedFetch,
  guardedFetcher,
  liveOutboundFetch,
  OutboundLookupError,
  OutboundRefusedError,
} from '../../../src/operator/outbound.ts';
import { GitHubClient } from '../../../src/operator/spawner/github-client.ts';

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
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'fetched',
    (e: unknown) => (e instanceof OutboundRefusedError ? e.message : `other: ${String(e)}`),
  );

describe('the operator outbound policy', () => {
  it('allows only the GitHub hosts by default, and no private address', async () => {
    expect(DEFAULT_OUTBOUND_POLICY.allowedHosts).toEqual(['api.github.com', 'github.com']);
    expect(
      await refusal(guardedFetch('https://evil.example/x', undefined, DEFAULT_OUTBOUND_POLICY)),
    ).toContain('host evil.example is not in the allowed hosts');
    const lookalike = resolveAdminConfig(undefined).outbound;
    expect(
      await refusal(
        guardedFetch('https://api.github.com/x', undefined, lookalike, { resolve: async () => ['10.0.0.7'] }),
      ),
    ).toContain('resolves to non-public address 10.0.0.7');
  });

  it('a refusal names the KelosConfig fields that would allow the request, and what the list holds', async () => {
    const policy = resolveAdminConfig(undefined).outbound;
    expect(await refusal(guardedFetch('https://ghe.internal.example/api/v3/x', undefined, policy))).toBe(
      'outbound request to https://ghe.internal.example/api/v3/x refused: host ghe.internal.example is not in the allowed hosts; to allow it, add it to KelosConfig kelos spec.outbound.allowedHosts (now api.github.com, github.com), and set KelosConfig kelos spec.outbound.allowPrivateNetworks: true if it resolves to a private address',
    );
    // A private address literal needs both; with private addresses allowed, only the list.
    expect(await refusal(guardedFetch('https://10.1.2.3/x', undefined, policy))).toContain(
      'add it to KelosConfig kelos spec.outbound.allowedHosts (now api.github.com, github.com), and set KelosConfig kelos spec.outbound.allowPrivateNetworks: true, since 10.1.2.3 is a private address',
    );
    const many = { ...policy, allowPrivateNetworks: true, allowedHosts: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] };
    expect(await refusal(guardedFetch('https://ghe.internal.example/x', undefined, many))).toMatch(
      /allowedHosts \(now a, b, c, d, e and 2 more\)$/,
    );
    // An allowed host at a private address: the switch that allows it.
    const ghe = { ...policy, allowedHosts: ['ghe.internal.example'] };
    expect(
      await refusal(
        guardedFetch('https://ghe.internal.example/x', undefined, ghe, { resolve: async () => ['10.0.0.7'] }),
      ),
    ).toMatch(
      /ghe\.internal\.example resolves to non-public address 10\.0\.0\.7; to allow it, set KelosConfig kelos spec\.outbound\.allowPrivateNetworks: true$/,
    );
  });

  it('a name DNS cannot resolve is a failed lookup saying what DNS answered, not a refusal', async () => {
    // `.invalid` never resolves (RFC 6761): the real resolver answers it.
    const policy = { ...resolveAdminConfig(undefined).outbound, allowedHosts: ['ghe.invalid'] };
    const dns = /cannot resolve ghe\.invalid \(DNS: (ENOTFOUND|EAI_AGAIN)\)$/;
    const err = await guardedFetch('https://ghe.invalid/api/v3/x', undefined, policy).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OutboundLookupError);
    expect((err as Error).message).toMatch(
      /^outbound request to https:\/\/ghe\.invalid\/api\/v3\/x failed: /,
    );
    expect((err as Error).message).toMatch(dns);

    // A poll names the call, and no refusal.
    const client = new GitHubClient({
      baseUrl: 'https://ghe.invalid/api/v3',
      fetch: liveOutboundFetch(() => policy),
    });
    const polled = await client.list('/repos/acme/api/issues').catch((e: Error) => e.message);
    expect(polled).toMatch(/^GitHub API GET https:\/\/ghe\.invalid\/api\/v3\/repos\/acme\/api\/issues\S*: /);
    expect(polled).toMatch(dns);
    expect(polled).not.toContain('refused');

    // So does a GitHub App token request.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const minted = await mintInstallationToken({
      appId: '42',
      installationId: '7',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      apiBaseUrl: 'https://ghe.invalid/api/v3',
      fetch: guardedFetcher(() => policy),
      now: Date.now(),
    }).catch((e: Error) => e.message);
    expect(minted).toMatch(
      /^POST https:\/\/ghe\.invalid\/api\/v3\/app\/installations\/7\/access_tokens failed: /,
    );
    expect(minted).toMatch(dns);
  });

  it('trusts the --github-api-url origin (http, loopback), but not where it redirects', async () => {
    const elsewhere = await serve((_req, res) => res.end('leaked'));
    const base = await serve((req, res) => {
      if (req.url === '/out') {
        res.writeHead(302, { location: `${elsewhere}/steal` });
        return void res.end();
      }
      res.writeHead(201);
      res.end('token');
    });
    const policy = resolveAdminConfig(undefined, { githubApiUrl: base }).outbound;
    const res = await guardedFetch(`${base}/app/installations/1/access_tokens`, { method: 'POST' }, policy);
    expect([res.status, await res.text()]).toEqual([201, 'token']);
    expect(await refusal(guardedFetch(`${base}/out`, undefined, policy))).toContain(
      'scheme http: is not allowed',
    );
  });

  it('takes allowed hosts, private networks and the timeout from KelosConfig spec.outbound', () => {
    const policy = resolveAdminConfig({
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'KelosConfig',
      metadata: { name: 'kelos' },
      spec: {
        outbound: { allowedHosts: ['ghe.corp.example'], allowPrivateNetworks: true, timeoutSeconds: 3 },
      },
    }).outbound;
    expect(policy).toEqual({
      allowedHosts: ['ghe.corp.example'],
      allowPrivateNetworks: true,
      trustedOrigins: [],
      timeoutMs: 3000,
    });
  });
});
