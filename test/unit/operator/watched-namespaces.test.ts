/**
 * An operator that watches a list of namespaces touches nothing elsewhere: the client asks
 * the operator's fence before every request, and a request outside the watched namespaces
 * (or across all of them) fails with an error naming the namespace, without reaching the
 * API server (here a loopback server that records what arrives).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, HttpKubeClient, namespaceOfPath, OUTSIDE_NAMESPACES } from '../../../src/kube/client.ts';
import { Resources } from '../../../src/operator/resources.ts';
import { watchedNamespacesFence } from '../../../src/operator/watched-namespaces.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

/** A client fenced to `team-a`, `team-b` (Lease in `kelos-system`), and the paths that reached the server. */
const fencedClient = async (): Promise<{ client: HttpKubeClient; arrived: string[] }> => {
  const arrived: string[] = [];
  server = createServer((req, res) => {
    arrived.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(req.url?.includes('watch=true') ? '' : '{"metadata":{"name":"x"},"items":[]}');
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const client = new HttpKubeClient(
    { server: `http://127.0.0.1:${port}`, tls: {}, headers: async () => ({}) },
    { namespaceFence: watchedNamespacesFence(['team-a', 'team-b'], 'kelos-system') },
  );
  return { client, arrived };
};

const refusal = (p: Promise<unknown>): Promise<ApiError> =>
  p.then(
    () => {
      throw new Error('the request was not refused');
    },
    (e: unknown) => e as ApiError,
  );

describe('the namespace a request path addresses', () => {
  it('is the namespace segment of namespaced paths, none for cluster-scoped ones', () => {
    expect(namespaceOfPath('/api/v1/namespaces/team-a/pods/p/log?container=x')).toBe('team-a');
    expect(namespaceOfPath('/apis/kelos.dev/v1alpha2/namespaces/team-b/tasks?watch=true')).toBe('team-b');
    expect(namespaceOfPath('/apis/kelos.dev/v1alpha2/tasks')).toBeUndefined();
    expect(namespaceOfPath('/apis/kelos.dev/v1alpha2/kelosconfigs/kelos')).toBeUndefined();
    // The Namespace object itself is cluster-scoped.
    expect(namespaceOfPath('/api/v1/namespaces/team-a')).toBeUndefined();
    expect(namespaceOfPath('/api/v1/namespaces')).toBeUndefined();
  });
});

describe('the watched-namespaces fence', () => {
  const fence = watchedNamespacesFence(['team-a', 'team-b'], 'kelos-system');

  it('lets through the watched namespaces, the Lease in its namespace and cluster-scoped kinds', () => {
    expect(fence('get', Resources.Secret, 'team-a')).toBeUndefined();
    expect(fence('create', Resources.Job, 'team-b')).toBeUndefined();
    expect(fence('patch', Resources.Lease, 'kelos-system')).toBeUndefined();
    expect(fence('watch', Resources.KelosConfig, undefined)).toBeUndefined();
  });

  it('names the namespace and the watched ones for anything else', () => {
    expect(fence('get', Resources.Secret, 'team-c')).toBe(
      'get secrets in namespace team-c: this operator watches only team-a, team-b',
    );
    // Only the Lease may live in the operator's namespace.
    expect(fence('list', Resources.Task, 'kelos-system')).toBe(
      'list tasks in namespace kelos-system: this operator watches only team-a, team-b',
    );
    expect(fence('patch', Resources.Lease, 'team-c')).toMatch(/^patch leases in namespace team-c/);
    expect(fence('list', Resources.Task, undefined)).toBe(
      'list tasks across all namespaces: this operator watches only team-a, team-b',
    );
  });
});

describe('HttpKubeClient with a namespace fence', () => {
  it('sends requests in the watched namespaces and refuses the others before sending them', async () => {
    const { client, arrived } = await fencedClient();
    await client.get(Resources.Secret, 'team-a', 'token');
    await client.list(Resources.Task, { namespace: 'team-b' });
    await client.watch(Resources.Job, { namespace: 'team-a' }, () => {});

    const get = await refusal(client.get(Resources.Secret, 'team-c', 'token'));
    expect(get).toBeInstanceOf(ApiError);
    expect(get.reason).toBe(OUTSIDE_NAMESPACES);
    expect(get.message).toBe(
      'GET /api/v1/namespaces/team-c/secrets/token: refused: get secrets in namespace team-c: this operator watches only team-a, team-b',
    );
    const create = await refusal(
      client.create(Resources.Task, {
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'Task',
        metadata: { name: 't', namespace: 'team-c' },
      }),
    );
    expect(create.message).toMatch(/refused: create tasks in namespace team-c/);
    const all = await refusal(client.watch(Resources.Task, {}, () => {}));
    expect(all.message).toMatch(/refused: watch tasks across all namespaces/);
    const logs = await refusal(client.getText('/api/v1/namespaces/team-c/pods/p/log?container=kelos-agent'));
    expect(logs.reason).toBe(OUTSIDE_NAMESPACES);

    expect(arrived.map((a) => a.replace(/\?.*$/, ''))).toEqual([
      'GET /api/v1/namespaces/team-a/secrets/token',
      'GET /apis/kelos.dev/v1alpha2/namespaces/team-b/tasks',
      'GET /apis/batch/v1/namespaces/team-a/jobs',
    ]);
    expect(client.requests.create).toBe(0);
    client.close();
  });
});
