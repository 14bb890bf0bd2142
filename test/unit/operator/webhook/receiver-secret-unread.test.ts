// Two tenants' spawners on one path, one delivery for both, and one tenant's Secret that the
// API server does not answer for a moment (503, an etcd leader change): the other tenant gets
// its Task and the sender its 200 at once, and the delivery reaches the first tenant on the
// re-check after the read succeeds. Real HTTP on loopback to the receiver over a FakeKube whose
// Secret reads fail exactly twice: the re-check schedule, read by read, is what this file
// checks, which a real API server cannot be made to fail on cue. The same paths against the
// real API server (an unreadable Secret, one made readable while held, a Warning when it never
// is, a 503 when no spawner took the delivery) are test/cluster/webhook-secret-unread.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import type { Task, When } from '../../../../src/api/index.ts';
import { type ApiObject, CoreResources } from '../../../../src/kube/client.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import { apiError } from '../../../support/fake-kube.ts';
import { genericAlert, kelosHeaders, post } from '../../../support/webhook-payloads.ts';
import { addSpawner, receiverOver } from '../../../support/webhook-receiver.ts';

const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

const SECRET = 'shared-sender-secret';
const when = (secret: string) =>
  ({
    webhook: { source: 'alerts', fieldMapping: { id: '$.data.id' }, secretRef: { name: secret } },
  }) as When;

/** Spawners `team-a/s` (Secret `hook-a`) and `team-b/s` (Secret `hook-b`) on /webhook/alerts, both signed with {@link SECRET}. */
const twoTenants = async () => {
  const t = await receiverOver(when('hook-a'), stops, { recheckDelaysMs: [50, 50, 50] });
  await addSpawner(t, when('hook-b'), 'team-b', 's');
  for (const [ns, name] of [
    ['team-a', 'hook-a'],
    ['team-b', 'hook-b'],
  ] as const)
    await t.kube.create(Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: ns },
      data: { WEBHOOK_SECRET: Buffer.from(SECRET).toString('base64') },
    } as ApiObject);
  const addr = (await t.receiver.listen('127.0.0.1:0')) ?? '';
  const send = (id: string) => {
    const body = JSON.stringify(genericAlert(id));
    return post(addr, '/webhook/alerts', body, kelosHeaders(body, SECRET));
  };
  const tasks = (ns: string) => t.kube.objects<Task>(Resources.Task, ns).map((x) => x.metadata.name);
  const warnings = async (ns: string) => {
    await t.events.flush();
    return t.kube
      .objects<{ metadata: object; reason?: string; note?: string; type?: string }>(CoreResources.Event, ns)
      .filter((e) => e.type === 'Warning')
      .map((e) => `${e.reason}: ${e.note}`);
  };
  return { ...t, send, tasks, warnings };
};

const waitUntil = async (check: () => boolean | Promise<boolean>, timeoutMs = 5_000) => {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const unavailable = () => apiError(503, 'ServiceUnavailable', 'etcd leader changed', Resources.Secret);

describe('one tenant’s Secret that cannot be read, on a path two tenants share', () => {
  it('holds no one up: the other tenant is answered 200 at once, and the delivery reaches the first once its Secret reads', async () => {
    const t = await twoTenants();
    t.kube.inject({ verb: 'get', resource: 'Secret', name: 'hook-b', times: 2, error: unavailable() });
    const r = await t.send('a-1');
    expect(r.status, r.body).toBe(200);
    // The answer names only the spawner that took it, not the tenant whose Secret was unread.
    expect(r.json()['results']).toStrictEqual([
      { taskSpawner: 'team-a/s', outcome: 'created', task: 's-a-1' },
    ]);
    expect(t.tasks('team-a')).toStrictEqual(['s-a-1']);
    // Checked again after 50 ms (the read fails), and 50 ms later (it succeeds): delivered.
    await waitUntil(() => t.tasks('team-b').length > 0);
    expect(t.tasks('team-b')).toStrictEqual(['s-a-1']);
    expect(await t.warnings('team-b')).toStrictEqual([]);
  });
});
