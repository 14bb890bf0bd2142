/**
 * `/metrics` with Kubernetes-delegated auth: the answers the endpoint gives for each verdict,
 * and the authorizer's reviews and cache. The API server's side (real TokenReviews and
 * SubjectAccessReviews under the install's RBAC) is in test/cluster/install-rbac.test.ts.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/kube/api.ts';
import { delegatedAuthorizer, type MetricsAccess } from '../../../src/kube/delegated-auth.ts';
import { serveEndpoints } from '../../../src/kube/http.ts';

/** A client that answers reviews: `alice-token` is alice, who may read; `bob-token` is bob, who may not. */
const reviewer = () => {
  const calls: string[] = [];
  let down = false;
  const client = {
    async create(type: { kind: string }, obj: { spec: Record<string, unknown> }) {
      calls.push(type.kind);
      if (down) throw new Error('connect ECONNREFUSED');
      if (type.kind === 'TokenReview') {
        const user = { 'alice-token': 'alice', 'bob-token': 'bob' }[obj.spec['token'] as string];
        return { ...obj, status: user ? { authenticated: true, user: { username: user } } : {} };
      }
      const attrs = obj.spec['nonResourceAttributes'] as { path: string; verb: string };
      const allowed = obj.spec['user'] === 'alice' && attrs.path === '/metrics' && attrs.verb === 'get';
      return { ...obj, status: { allowed } };
    },
  } as unknown as KubeClient;
  return { client, calls, setDown: (d: boolean) => (down = d) };
};

describe('delegatedAuthorizer', () => {
  it('asks who the token names, then whether that user may get /metrics', async () => {
    const r = reviewer();
    const authorize = delegatedAuthorizer(r.client);
    expect(await authorize('alice-token')).toEqual({ verdict: 'allowed' });
    expect(await authorize('bob-token')).toEqual({ verdict: 'forbidden', user: 'bob' });
    expect(await authorize('made-up')).toEqual({ verdict: 'unauthenticated' });
    expect(await authorize(undefined)).toEqual({ verdict: 'unauthenticated' });
    expect(r.calls).toEqual([
      'TokenReview',
      'SubjectAccessReview',
      'TokenReview',
      'SubjectAccessReview',
      'TokenReview',
    ]);
  });

  it('reuses an answer for the cache period, and never caches a failure to ask', async () => {
    const r = reviewer();
    let now = 0;
    const authorize = delegatedAuthorizer(r.client, { cacheMs: 60_000, now: () => now });
    await authorize('alice-token');
    await authorize('alice-token');
    expect(r.calls).toHaveLength(2);
    now = 61_000;
    r.setDown(true);
    expect(await authorize('alice-token')).toEqual({
      verdict: 'unavailable',
      reason: 'connect ECONNREFUSED',
    });
    r.setDown(false);
    expect(await authorize('alice-token')).toEqual({ verdict: 'allowed' });
    expect(r.calls).toHaveLength(5);
  });

  it('keeps at most maxEntries tokens', async () => {
    const r = reviewer();
    const authorize = delegatedAuthorizer(r.client, { maxEntries: 2 });
    for (const t of ['a', 'b', 'c', 'a']) await authorize(t);
    // 'a' was forgotten when 'c' came: asked again.
    expect(r.calls).toEqual(['TokenReview', 'TokenReview', 'TokenReview', 'TokenReview']);
  });
});

describe('/metrics with metricsAuth', () => {
  it('answers 200, 401, 403 or 503 by the verdict, passing the bearer token', async () => {
    const seen: Array<string | undefined> = [];
    const verdicts: Record<string, MetricsAccess> = {
      good: { verdict: 'allowed' },
      nobody: { verdict: 'forbidden', user: 'system:serviceaccount:x:y' },
      later: { verdict: 'unavailable', reason: 'timeout' },
    };
    const server = await serveEndpoints('127.0.0.1:0', {
      metrics: new Registry(),
      metricsAuth: async (token) => {
        seen.push(token);
        return (token && verdicts[token]) || { verdict: 'unauthenticated' };
      },
    });
    if (!server) throw new Error('no server');
    try {
      const get = async (authorization?: string) => {
        const res = await fetch(`http://${server.address}/metrics`, {
          headers: authorization ? { authorization } : {},
        });
        return [res.status, await res.text()] as const;
      };
      expect((await get('Bearer good'))[0]).toBe(200);
      expect(await get()).toEqual([401, 'unauthorized\n']);
      expect(await get('Basic Zm9vOmJhcg==')).toEqual([401, 'unauthorized\n']);
      expect(await get('Bearer nobody')).toEqual([
        403,
        'forbidden: system:serviceaccount:x:y may not get /metrics\n',
      ]);
      expect(await get('Bearer later')).toEqual([503, 'authorization unavailable; retry\n']);
      expect(seen).toEqual(['good', undefined, undefined, 'nobody', 'later']);
    } finally {
      await server.close();
    }
  });
});
