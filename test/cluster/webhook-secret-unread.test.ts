// One tenant's webhook Secret that the receiver cannot read, on a path another tenant's spawner
// shares, against the real API server: the receiver runs as a ServiceAccount whose Role lets it
// read only some Secrets (the install's rules otherwise), so the API server answers 403 for the
// others. The other tenant gets its Task and the sender its 200 at once; the delivery is checked
// again for the first and delivered once its Secret can be read; if it never can, a
// WebhookDeliveryDropped Warning Event on that spawner names the delivery.
//
// The receiver is built as the operator wires it (src/operator/main.ts) rather than started
// with the operator, so its identity can lack a permission without the operator's own start-up
// and RBAC check failing, and its re-checks can come within seconds rather than half a minute.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task, TaskSpawner } from '../../src/api/index.ts';
import { policyRules } from '../../src/install/index.ts';
import { type ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { systemClock } from '../../src/kube/clock.ts';
import { EventRecorder } from '../../src/kube/events.ts';
import { Informer } from '../../src/kube/informer.ts';
import { silentLogger } from '../../src/kube/log.ts';
import { addSpawnerIndexes } from '../../src/operator/reconcilers/task.ts';
import { REPORTING_CONTROLLER, Resources } from '../../src/operator/resources.ts';
import { WebhookReceiver } from '../../src/operator/webhook/receiver.ts';
import { genericAlert, kelosHeaders, post } from '../support/webhook-payloads.ts';
import { freshNamespace, waitFor } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { applyManifest, serviceAccountConnection } from './install-identity.ts';
import { create, createSecret, testClient } from './operator-helpers.ts';
import { ownedBy, spawner } from './spawner-helpers.ts';

const SECRET = 'shared-sender-secret';
const RECEIVER = 'webhook-receiver';

/** A generic spawner on `/webhook/<source>` whose deliveries Secret `secretName` verifies. */
const on = (name: string, source: string, secretName: string): TaskSpawner =>
  spawner(name, { webhook: { source, fieldMapping: { id: '$.data.id' }, secretRef: { name: secretName } } });

/** The receiver's Role: the install's rules in a watched namespace, but Secrets only by these names. */
const role = (ns: string, name: string, secrets: readonly string[]) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'Role',
  metadata: { name, namespace: ns },
  rules: [
    ...policyRules('watched').filter((r) => !r.resources.includes('secrets')),
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [...secrets] },
  ],
});
const binding = (ns: string, name: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name, namespace: ns },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
  subjects: [{ kind: 'ServiceAccount', name: RECEIVER, namespace: ns }],
});

describe('a webhook Secret the receiver cannot read, on a path two spawners share (real API server)', () => {
  let admin: HttpKubeClient;
  let rx: HttpKubeClient;
  let ns: string;
  let addr: string;
  const stops: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    await installCrds();
    admin = await testClient();
    ns = await freshNamespace('webhook-unread');
    await applyManifest(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: RECEIVER, namespace: ns } },
          role(ns, RECEIVER, ['hook-a']),
          binding(ns, RECEIVER),
        ],
      }),
    );
    for (const name of ['hook-a', 'hook-b', 'hook-late'])
      await createSecret(admin, ns, name, { WEBHOOK_SECRET: SECRET });
    // alerts: a readable and an unreadable Secret; metrics: one made readable mid-test; pages: only unreadable.
    for (const s of [
      on('a', 'alerts', 'hook-a'),
      on('b', 'alerts', 'hook-b'),
      on('a2', 'metrics', 'hook-a'),
      on('late', 'metrics', 'hook-late'),
      on('lone', 'pages', 'hook-b'),
    ])
      await create(admin, ns, 'TaskSpawner', s);

    rx = new HttpKubeClient(await serviceAccountConnection(ns, RECEIVER));
    const tasks = new Informer<Task>({
      client: rx,
      type: Resources.Task,
      namespaces: [ns],
      log: silentLogger,
    });
    addSpawnerIndexes(tasks);
    const spawners = new Informer<TaskSpawner>({
      client: rx,
      type: Resources.TaskSpawner,
      namespaces: [ns],
      log: silentLogger,
    });
    tasks.start();
    spawners.start();
    stops.push(
      () => tasks.stop(),
      () => spawners.stop(),
    );
    await Promise.all([tasks.waitForSync(), spawners.waitForSync()]);
    await waitFor('the receiver to see the spawners', async () => spawners.list().length === 5);
    const receiver = new WebhookReceiver({
      client: rx,
      spawners,
      tasks,
      allowUnsigned: () => false,
      events: new EventRecorder(rx, systemClock, silentLogger, 'test', REPORTING_CONTROLLER),
      clock: systemClock,
      log: silentLogger,
      recheckDelaysMs: [1_000, 2_000, 2_000],
    });
    stops.push(() => receiver.close());
    addr = (await receiver.listen('127.0.0.1:0')) ?? '';
  });

  afterAll(async () => {
    for (const s of stops.splice(0).reverse()) await s();
    rx?.close();
    admin?.close();
  });

  const send = (source: string, id: string) => {
    const body = JSON.stringify(genericAlert(id));
    return post(addr, `/webhook/${source}`, body, kelosHeaders(body, SECRET));
  };
  const names = async (spawnerName: string) =>
    (await ownedBy(admin, ns, spawnerName)).map((t) => t.metadata.name);
  const warnings = async (spawnerName: string) => {
    const events = await admin.list<
      ApiObject & { type?: string; reason?: string; note?: string; regarding?: { name?: string } }
    >(Resources.Event, { namespace: ns });
    return events.items
      .filter((e) => e.type === 'Warning' && e.regarding?.name === spawnerName)
      .map((e) => `${e.reason}: ${e.note}`);
  };

  it('a Secret that stays unreadable: the other spawner’s Task and a 200 at once, then a WebhookDeliveryDropped Warning naming the delivery', async () => {
    const r = await send('alerts', 'x-1');
    expect(r.status, r.body).toBe(200);
    // The answer names only the spawner that took it, not the one whose Secret was unread.
    expect(r.json()['results']).toStrictEqual([
      { taskSpawner: `${ns}/a`, outcome: 'created', task: 'a-x-1' },
    ]);
    expect(await names('a')).toStrictEqual(['a-x-1']);
    // Checked again after 1, 3 and 5 s, each read refused: dropped, and said so on the spawner.
    await waitFor(
      'a WebhookDeliveryDropped Event on spawner b',
      async () => (await warnings('b')).length > 0,
      {
        timeoutMs: 30_000,
      },
    );
    expect(await warnings('b')).toStrictEqual([
      expect.stringMatching(
        new RegExp(
          `^WebhookDeliveryDropped: the alerts delivery of \\S+ was not delivered: Secret ${ns}/hook-b: .*403 Forbidden.*secrets "hook-b" is forbidden.*; have the sender send it again$`,
        ),
      ),
    ]);
    expect(await names('b')).toStrictEqual([]);
  });

  it('a Secret that becomes readable while the delivery is held: it reaches that spawner too, with no Warning', async () => {
    const r = await send('metrics', 'y-1');
    expect(r.status, r.body).toBe(200);
    expect(r.json()['results']).toStrictEqual([
      { taskSpawner: `${ns}/a2`, outcome: 'created', task: 'a2-y-1' },
    ]);
    // The permission arrives after the answer, within the re-checks' five seconds.
    await applyManifest(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [role(ns, 'late', ['hook-late']), binding(ns, 'late')],
      }),
    );
    await waitFor('the held delivery to reach spawner late', async () => (await names('late')).length > 0, {
      timeoutMs: 30_000,
    });
    expect(await names('late')).toStrictEqual(['late-y-1']);
    expect(await warnings('late')).toStrictEqual([]);
  });

  it('no spawner took it: 503 with Retry-After, so the sender sends it again, and nothing is created', async () => {
    const r = await send('pages', 'z-1');
    expect([r.status, r.headers['retry-after']], r.body).toStrictEqual([503, '5']);
    expect(await names('lone')).toStrictEqual([]);
  });
});
