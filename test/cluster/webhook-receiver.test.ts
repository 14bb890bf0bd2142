import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiObject } from '../../src/kube/client.ts';
import { systemClock } from '../../src/kube/clock.ts';
import { Resources } from '../../src/operator/resources.ts';
import { deliverTo } from '../../src/operator/webhook/deliver.ts';
import { Ledgers, ledgerName } from '../../src/operator/webhook/ledger.ts';
import { type Delivery, matchDelivery } from '../../src/operator/webhook/match.ts';
import { sign } from '../../src/operator/webhook/signature.ts';
import { killedAfterTaskCreate } from '../support/killed-client.ts';
import {
  firstResult,
  genericAlert,
  githubHeaders,
  githubIssueComment,
  kelosHeaders,
  post,
} from '../support/webhook-payloads.ts';
import {
  create,
  createSecret,
  type OperatorScenario,
  podFinished,
  useOperator,
  waitFor,
  waitForPhase,
} from './operator-helpers.ts';
import {
  alertsWebhook,
  githubWorkspace,
  ownedBy,
  spawner,
  tasksIn,
  waitForSpawner,
} from './spawner-helpers.ts';

const SECRET = 'tenant-a-secret';
const OTHER = 'tenant-b-secret';

/** A delivery of GitHub's issue_comment event, signed with `secret`. */
const github = (addr: string, body: string, secret: string, delivery: string) =>
  post(addr, '/webhook/github', body, githubHeaders(body, secret, 'issue_comment', delivery));

describe('webhook receiver end to end', () => {
  let s: OperatorScenario;
  let addr: string;
  useOperator(
    'webhook',
    (x) => {
      s = x;
    },
    () => ({ webhook: { addr: '127.0.0.1:0' } }),
  );

  beforeAll(async () => {
    const { c, ns } = s;
    addr = s.op.operator.webhookAddress ?? '';
    await githubWorkspace(c, ns);
    await createSecret(c, ns, 'hook-a', { WEBHOOK_SECRET: SECRET, WEBHOOK_SECRET_PREVIOUS: 'old-a-secret' });
    await createSecret(c, ns, 'hook-b', { WEBHOOK_SECRET: OTHER });
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner(
        'gh',
        { githubWebhook: { events: ['issue_comment'], secretRef: { name: 'hook-a' } } },
        {},
        {
          promptTemplate: 'Comment on #{{.Number}}: {{.CommentBody}}',
        },
      ),
    );
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner('gh-other', { githubWebhook: { events: ['issue_comment'], secretRef: { name: 'hook-b' } } }),
    );
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner('alerts', alertsWebhook('hook-a'), { maxTotalTasks: 3 }, { promptTemplate: 'Fix {{.Title}}' }),
    );
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner('sentry', {
        webhook: {
          source: 'sentry',
          fieldMapping: { id: '$.data.id' },
          secretRef: { name: 'hook-a' },
          signatureHeader: 'Sentry-Hook-Signature',
        },
      }),
    );
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner(
        'narrow',
        { webhook: { source: 'narrow', fieldMapping: { id: '$.data.id' }, secretRef: { name: 'hook-a' } } },
        { maxConcurrency: 1, maxQueuedTasks: 1 },
      ),
    );
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner('open', { webhook: { source: 'open', fieldMapping: { id: '$.data.id' } } }),
    );
    // The receiver answers from its cache: wait until it holds every spawner.
    await waitFor('the receiver to see the spawners', async () => s.op.operator.caches.spawners!.size >= 6);
  });

  it('turns a GitHub issue_comment signed as GitHub signs into one Task of the spawner whose secret verified it', async () => {
    const { c, ns } = s;
    const body = JSON.stringify(githubIssueComment(7));
    const delivery = randomUUID();
    const r = await github(addr, body, SECRET, delivery);
    expect(r.status, r.body).toBe(200);
    const results = r.json()['results'] as Array<Record<string, string>>;
    // Only the spawner whose secret verified the delivery is named (tenant B's is not).
    expect(results.map((x) => [x['taskSpawner'], x['outcome']])).toEqual([[`${ns}/gh`, 'created']]);
    const tasks = await ownedBy(c, ns, 'gh');
    expect(tasks).toHaveLength(1);
    expect(tasks[0]!.spec.prompt).toBe('Comment on #7: /kelos pick-up');
    expect(tasks[0]!.metadata.annotations?.['kelos.dev/source-number']).toBe('7');
    expect(tasks[0]!.metadata.annotations?.['kelos.dev/source-item']).toBe('acme/widgets#7');
    expect(await ownedBy(c, ns, 'gh-other')).toHaveLength(0);

    // The same delivery again (GitHub's "Redeliver"): 200, nothing created.
    const again = await github(addr, body, SECRET, delivery);
    expect(again.status).toBe(200);
    expect(firstResult(again)['outcome']).toBe('duplicate');
    expect(await ownedBy(c, ns, 'gh')).toHaveLength(1);

    // Redelivered after its Task was deleted (ttlSecondsAfterFinished): the ledger remembers.
    // Its record is written within about 200 ms of the create, long before a Task can run and
    // be TTL-deleted; deleting it sooner by hand must wait for that write like TTL would.
    const recorded = async () =>
      (await c.get<ApiObject & { data?: Record<string, string> }>(Resources.ConfigMap, ns, ledgerName('gh')))
        ?.data?.['sequence'] === '1';
    await waitFor('the ledger to record the delivery', recorded);
    await c.delete(Resources.Task, ns, tasks[0]!.metadata.name ?? '');
    await waitFor('the Task to be gone', async () => (await ownedBy(c, ns, 'gh')).length === 0);
    await waitFor(
      'the receiver cache to drop it',
      async () => !s.op.operator.caches.tasks.get(ns, tasks[0]!.metadata.name ?? ''),
    );
    const late = await github(addr, body, SECRET, delivery);
    expect(late.status).toBe(200);
    expect(firstResult(late)['outcome']).toBe('duplicate');
    expect(await ownedBy(c, ns, 'gh')).toHaveLength(0);
    const ledger = await c.get<ApiObject & { data?: Record<string, string> }>(
      Resources.ConfigMap,
      ns,
      ledgerName('gh'),
    );
    expect(ledger?.data?.['sequence']).toBe('1');

    // The previous secret is accepted during a rotation.
    const rotated = JSON.stringify(githubIssueComment(8));
    const r2 = await github(addr, rotated, 'old-a-secret', randomUUID());
    expect(r2.status, r2.body).toBe(200);
    expect(await ownedBy(c, ns, 'gh')).toHaveLength(1);
  });

  it('makes a captured GitHub delivery posted again under a fresh X-GitHub-Delivery a duplicate, not a second Task', async () => {
    const { c, ns } = s;
    const before = (await ownedBy(c, ns, 'gh')).length;
    const body = JSON.stringify(githubIssueComment(12));
    const first = await github(addr, body, SECRET, randomUUID());
    expect(firstResult(first)['outcome']).toBe('created');
    // X-GitHub-Delivery is not signed: anyone holding the signed body can pick another.
    for (let i = 0; i < 3; i++) {
      const replay = await github(addr, body, SECRET, randomUUID());
      expect(replay.status, replay.body).toBe(200);
      expect(firstResult(replay)).toMatchObject({ outcome: 'duplicate', task: firstResult(first)['task'] });
    }
    expect(await ownedBy(c, ns, 'gh')).toHaveLength(before + 1);
    // Another comment is another Task.
    const other = JSON.stringify(githubIssueComment(12, '/kelos again'));
    expect(firstResult(await github(addr, other, SECRET, randomUUID()))['outcome']).toBe('created');
  });

  it('takes a GitHub delivery form-encoded, as GitHub sends it by default, signed over the form body', async () => {
    const { c, ns } = s;
    const before = (await ownedBy(c, ns, 'gh')).length;
    const form = `payload=${encodeURIComponent(JSON.stringify(githubIssueComment(11, '/kelos form')))}`;
    const headers = {
      ...githubHeaders(form, SECRET, 'issue_comment', randomUUID()),
      'content-type': 'application/x-www-form-urlencoded',
    };
    const r = await post(addr, '/webhook/github', form, headers);
    expect(r.status, r.body).toBe(200);
    expect(firstResult(r)['outcome']).toBe('created');
    const prompts = (await ownedBy(c, ns, 'gh')).map((t) => t.spec.prompt);
    expect(prompts).toHaveLength(before + 1);
    expect(prompts).toContain('Comment on #11: /kelos form');

    const forged = await post(addr, '/webhook/github', form, {
      ...headers,
      'x-hub-signature-256': sign.github(form, 'not-the-secret'),
    });
    expect(forged.status).toBe(401);
    const empty = 'other=1';
    const none = await post(addr, '/webhook/github', empty, {
      ...headers,
      'x-hub-signature-256': sign.github(empty, SECRET),
    });
    expect([none.status, none.json()['error']]).toEqual([400, 'form-encoded body has no payload field']);
    // Form encoding is GitHub's: a generic sender still gets 415.
    const alert = JSON.stringify(genericAlert('f-1'));
    const generic = await post(addr, '/webhook/alerts', alert, {
      ...kelosHeaders(alert, SECRET),
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(generic.status).toBe(415);
  });

  it('refuses unsigned, wrongly signed and unknown deliveries with a 4xx and creates nothing', async () => {
    const { c, ns } = s;
    const before = (await tasksIn(c, ns)).size;
    const body = JSON.stringify(githubIssueComment(9));
    const h = githubHeaders(body, 'not-the-secret', 'issue_comment', randomUUID());
    const bad = await post(addr, '/webhook/github', body, h);
    expect(bad.status).toBe(401);
    expect(bad.body).toContain('X-Hub-Signature-256 does not match');
    const { 'x-hub-signature-256': _sig, ...unsigned } = h;
    expect((await post(addr, '/webhook/github', body, unsigned)).status).toBe(401);
    expect((await post(addr, '/webhook/github', body, { ...h, 'content-type': 'text/plain' })).status).toBe(
      415,
    );
    const open = JSON.stringify(genericAlert('x1'));
    const refused = await post(addr, '/webhook/open', open, { 'content-type': 'application/json' });
    expect(refused.status).toBe(401);
    // The sender learns nothing of the cluster (namespace, Secret); the spawner's Event says why.
    expect(refused.body).toContain('no TaskSpawner here can verify this delivery');
    expect(refused.body).not.toContain(ns);
    await waitFor('a WebhookCannotVerify Event on the spawner', async () => {
      const events = await c.list<
        ApiObject & { reason?: string; note?: string; regarding?: { name?: string } }
      >(Resources.Event, { namespace: ns });
      return events.items.some(
        (e) =>
          e.regarding?.name === 'open' &&
          e.reason === 'WebhookCannotVerify' &&
          e.note?.includes(`allows unsigned deliveries in namespace ${ns}`) === true,
      );
    });
    // A route no spawner receives is a 404 naming it, not a signature problem the sender lacks.
    const nobody = await post(addr, '/webhook/nobody', open, kelosHeaders(open, SECRET));
    expect(nobody.status).toBe(404);
    expect(nobody.body).toContain('/webhook/nobody');
    expect((await tasksIn(c, ns)).size).toBe(before);
  });

  it('puts a webhook spawner whose deliveries cannot be verified in phase Failed, naming why, until its Secret exists', async () => {
    const { c, ns } = s;
    const statusOf = async (name: string) =>
      (
        await c.get<
          ApiObject & {
            status?: {
              phase?: string;
              message?: string;
              conditions?: { type: string; reason: string; message?: string }[];
            };
          }
        >(Resources.TaskSpawner, ns, name)
      )?.status;
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner('late', {
        webhook: { source: 'late', fieldMapping: { id: '$.data.id' }, secretRef: { name: 'hook-late' } },
      }),
    );
    await waitFor('spawner late in phase Failed', async () => (await statusOf('late'))?.phase === 'Failed');
    const failed = await statusOf('late');
    expect(failed?.message).toBe(`webhook deliveries are refused with 401: Secret ${ns}/hook-late not found`);
    expect(failed?.conditions?.find((x) => x.type === 'DiscoveryError')?.reason).toBe('SetupFailed');
    // Not suspended, and not claiming to receive what it refuses.
    expect(failed?.conditions?.find((x) => x.type === 'Suspended')).toMatchObject({
      reason: 'SetupFailed',
      message:
        'Not suspended, but taking no webhook deliveries at /webhook/late until the setup problem in the DiscoveryError condition (reason SetupFailed) is fixed',
    });
    // The spawner without a secretRef, in a namespace that takes no unsigned deliveries, too.
    expect((await statusOf('open'))?.message).toContain(`allows unsigned deliveries in namespace ${ns}`);

    // The operator watches no Secrets: it looks again, and the spawner runs once the Secret is there.
    await createSecret(c, ns, 'hook-late', { WEBHOOK_SECRET: SECRET });
    await waitFor('spawner late Running', async () => (await statusOf('late'))?.phase === 'Running', {
      timeoutMs: 45_000,
    });
    expect((await statusOf('late'))?.message).toBeUndefined();
  });

  it('says in Suspended=False/Active what a webhook spawner does: receiving deliveries at its path, not polling', async () => {
    const { c, ns } = s;
    const suspended = async (name: string) =>
      (
        await waitForSpawner(c, ns, name, 'to have a Suspended condition', (x) =>
          Boolean(x.status?.conditions?.some((k) => k.type === 'Suspended')),
        )
      ).status?.conditions?.find((k) => k.type === 'Suspended');
    expect(await suspended('alerts')).toMatchObject({
      status: 'False',
      reason: 'Active',
      message: 'Receiving webhook deliveries at /webhook/alerts',
    });
    expect((await suspended('gh'))?.message).toBe('Receiving GitHub webhook deliveries at /webhook/github');
  });

  it('turns a generic POST signed with the Kelos scheme into a Task; a stale request is refused, one sent again is a duplicate', async () => {
    const { c, ns } = s;
    const body = JSON.stringify(genericAlert('a-1', 'disk full'));
    const headers = kelosHeaders(body, SECRET);
    const r = await post(addr, '/webhook/alerts', body, headers);
    expect(r.status, r.body).toBe(200);
    const tasks = await ownedBy(c, ns, 'alerts');
    expect(tasks.map((t) => [t.metadata.name, t.spec.prompt])).toEqual([['alerts-a-1', 'Fix disk full']]);
    // The sender's retry of the same request: told its delivery is there, not refused.
    const retry = await post(addr, '/webhook/alerts', body, headers);
    expect(retry.status, retry.body).toBe(200);
    expect(firstResult(retry)).toMatchObject({ outcome: 'duplicate', task: 'alerts-a-1' });
    const stale = await post(
      addr,
      '/webhook/alerts',
      body,
      kelosHeaders(body, SECRET, Math.floor(Date.now() / 1000) - 3600),
    );
    expect(stale.status).toBe(401);
    expect(stale.body).toContain('X-Kelos-Timestamp');
    // A fresh signature (another timestamp) of the same alert: a duplicate, not a second Task.
    const resent = await post(
      addr,
      '/webhook/alerts',
      body,
      kelosHeaders(body, SECRET, Math.floor(Date.now() / 1000) - 5),
    );
    expect(firstResult(resent)['outcome']).toBe('duplicate');
    expect(await ownedBy(c, ns, 'alerts')).toHaveLength(1);

    // The named-header scheme (Sentry's).
    const sentry = JSON.stringify(genericAlert('s-1'));
    const ok = await post(addr, '/webhook/sentry', sentry, {
      'content-type': 'application/json',
      'sentry-hook-signature': sign.raw(sentry, SECRET),
    });
    expect(ok.status, ok.body).toBe(200);
    expect(await ownedBy(c, ns, 'sentry')).toHaveLength(1);
  });

  it('gives generic ids that differ only in case or punctuation a Task each; the same id again is a duplicate', async () => {
    const { c, ns } = s;
    const send = async (id: string) => {
      const body = JSON.stringify(genericAlert(id));
      const r = await post(addr, '/webhook/sentry', body, {
        'content-type': 'application/json',
        'sentry-hook-signature': sign.raw(body, SECRET),
      });
      expect(r.status, r.body).toBe(200);
      return firstResult(r);
    };
    const before = (await ownedBy(c, ns, 'sentry')).length;
    const ids = ['c-1', 'C-1', 'x/y', 'x-y', 'x-y-', 'äö', 'üß'];
    const outcomes = [];
    for (const id of ids) outcomes.push((await send(id))['outcome']);
    expect(outcomes).toEqual(ids.map(() => 'created'));
    const names = (await ownedBy(c, ns, 'sentry')).map((t) => t.metadata.name);
    expect(names).toHaveLength(before + ids.length);
    expect(names).toContain('sentry-c-1');
    expect(names).toContain('sentry-x-y');
    expect(await send('C-1')).toMatchObject({ outcome: 'duplicate' });
  });

  it('answers a generic delivery its fieldMapping.id finds nothing in as invalid, and says so on the spawner', async () => {
    const { c, ns } = s;
    const before = (await ownedBy(c, ns, 'sentry')).length;
    const body = JSON.stringify({ action: 'triggered', data: { title: 'no id here' } });
    const r = await post(addr, '/webhook/sentry', body, {
      'content-type': 'application/json',
      'sentry-hook-signature': sign.raw(body, SECRET),
    });
    expect(r.status, r.body).toBe(200);
    expect(firstResult(r)).toMatchObject({ outcome: 'invalid' });
    expect(firstResult(r)['reason']).toContain('fieldMapping.id ($.data.id) selects nothing');
    await waitFor('a WebhookDeliveryInvalid Event on the spawner', async () => {
      const events = await c.list<
        ApiObject & { reason?: string; note?: string; regarding?: { name?: string } }
      >(Resources.Event, { namespace: ns });
      return events.items.some(
        (e) =>
          e.regarding?.name === 'sentry' &&
          e.reason === 'WebhookDeliveryInvalid' &&
          e.note?.includes('fieldMapping.id ($.data.id) selects nothing') === true,
      );
    });
    expect(await ownedBy(c, ns, 'sentry')).toHaveLength(before);
  });

  it('refuses with 422 a delivery whose rendered branch git refuses, creating and recording nothing, so it can be sent again once the template is fixed', async () => {
    const { c, ns } = s;
    const when = {
      webhook: { source: 'alertmanager', fieldMapping: { id: '$.groupKey' }, secretRef: { name: 'hook-a' } },
    };
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner('alert-responder', when, {}, { branch: 'kelos/alert-{{.ID}}', promptTemplate: 'Fix {{.ID}}' }),
    );
    const cached = () => s.op.operator.caches.spawners!.get(ns, 'alert-responder');
    await waitFor('the receiver to see alert-responder', async () => cached() !== undefined);
    const body = JSON.stringify({ groupKey: '{}:{alertname="DiskFull"}', status: 'firing' });
    const send = () => post(addr, '/webhook/alertmanager', body, kelosHeaders(body, SECRET));

    const r = await send();
    expect(r.status, r.body).toBe(422);
    expect(firstResult(r)).toMatchObject({ taskSpawner: `${ns}/alert-responder`, outcome: 'rejected' });
    const reason = firstResult(r)['reason'] ?? '';
    expect(reason).toContain(`TaskSpawner ${ns}/alert-responder: spec.taskTemplate.branch rendered`);
    expect(reason).toContain(
      `${JSON.stringify('kelos/alert-{}:{alertname="DiskFull"}')} is not a valid git branch name: it holds ":"`,
    );
    expect(reason).toContain('no Task was created and the delivery was not recorded');
    await waitFor('a WebhookDeliveryRejected Event on the spawner', async () => {
      const events = await c.list<
        ApiObject & { type?: string; reason?: string; note?: string; regarding?: { name?: string } }
      >(Resources.Event, { namespace: ns });
      return events.items.some(
        (e) =>
          e.regarding?.name === 'alert-responder' &&
          e.type === 'Warning' &&
          e.reason === 'WebhookDeliveryRejected' &&
          e.note?.includes('spec.taskTemplate.branch rendered') === true,
      );
    });
    expect(await ownedBy(c, ns, 'alert-responder')).toEqual([]);
    // Sent again before the fix: refused again, not a duplicate of a Task that never was.
    expect((await send()).status).toBe(422);

    await c.mergePatch(Resources.TaskSpawner, ns, 'alert-responder', {
      spec: { taskTemplate: { branch: 'kelos/alerts' } },
    });
    await waitFor(
      'the receiver to see the fixed branch',
      async () => cached()?.spec.taskTemplate.branch === 'kelos/alerts',
    );
    const again = await send();
    expect(again.status, again.body).toBe(200);
    expect(firstResult(again)).toMatchObject({ outcome: 'created' });
    const tasks = await ownedBy(c, ns, 'alert-responder');
    expect(tasks.map((t) => [t.metadata.name, t.spec.branch])).toEqual([
      [firstResult(again)['task'], 'kelos/alerts'],
    ]);
  });

  it('puts a webhook spawner whose template names a WorkerPool in phase Failed, and refuses its deliveries with 422, creating nothing', async () => {
    const { c, ns } = s;
    const pooled = spawner('pooled', {
      webhook: { source: 'pooled', fieldMapping: { id: '$.id' }, secretRef: { name: 'hook-a' } },
    });
    pooled.spec.taskTemplate = { workerPoolRef: { name: 'warm' }, promptTemplate: 'Fix {{.ID}}' };
    await create(c, ns, 'TaskSpawner', pooled);
    const unsupported =
      'spec.taskTemplate.workerPoolRef is not supported: this operator does not serve WorkerPools; run its Tasks with spec.taskTemplate.worker';
    const failed = await waitForSpawner(
      c,
      ns,
      'pooled',
      'in phase Failed',
      (x) => x.status?.phase === 'Failed',
    );
    expect(failed.status?.message).toBe(unsupported);
    await waitFor(
      'the receiver to see pooled',
      async () => s.op.operator.caches.spawners!.get(ns, 'pooled') !== undefined,
    );
    const body = JSON.stringify({ id: 'p-1' });
    const r = await post(addr, '/webhook/pooled', body, kelosHeaders(body, SECRET));
    expect(r.status, r.body).toBe(422);
    expect(firstResult(r)).toStrictEqual({
      taskSpawner: `${ns}/pooled`,
      outcome: 'rejected',
      reason: `TaskSpawner ${ns}/pooled: ${unsupported}; no Task was created and the delivery was not recorded: fix the template and have the sender send it again`,
    });
    expect(await ownedBy(c, ns, 'pooled')).toEqual([]);
  });

  it('creates exactly maxTotalTasks Tasks; later deliveries get a 2xx saying why no Task was made', async () => {
    const { c, ns } = s;
    const outcomes: string[] = [];
    for (const id of ['a-2', 'a-3', 'a-4', 'a-5']) {
      const body = JSON.stringify(genericAlert(id));
      const r = await post(addr, '/webhook/alerts', body, kelosHeaders(body, SECRET));
      expect(r.status, r.body).toBe(200);
      const res = firstResult(r);
      outcomes.push(res['outcome']!);
      if (res['outcome'] === 'over-limit') expect(res['reason']).toContain('maxTotalTasks 3 reached');
    }
    expect(outcomes).toEqual(['created', 'created', 'over-limit', 'over-limit']);
    expect(await ownedBy(c, ns, 'alerts')).toHaveLength(3);
    await waitForSpawner(
      c,
      ns,
      'alerts',
      'to count the refusals',
      (x) => x.status?.webhookDeliveriesOverLimit === 2,
    );
    await waitForSpawner(c, ns, 'alerts', 'to count 3 Tasks', (x) => x.status?.totalTasksCreated === 3);
  });

  it('answers 429 with Retry-After when maxQueuedTasks Tasks wait, and counts it in the status', async () => {
    const { c, ns } = s;
    const send = async (id: string) => {
      const body = JSON.stringify(genericAlert(id));
      return post(addr, '/webhook/narrow', body, kelosHeaders(body, SECRET));
    };
    const cache = s.op.operator.caches.tasks;
    expect((await send('n-1')).status).toBe(200);
    // The first is admitted (maxConcurrency 1) and the receiver's cache shows it.
    await waitFor('n-1 admitted', async () => !!cache.get(ns, 'narrow-n-1')?.status?.jobName);
    expect((await send('n-2')).status).toBe(200);
    await waitFor('n-2 cached', async () => cache.get(ns, 'narrow-n-2') !== undefined);
    const full = await send('n-3');
    expect(full.status, full.body).toBe(429);
    expect(full.headers['retry-after']).toBe('30');
    expect(firstResult(full)['reason']).toContain('maxQueuedTasks 1');
    expect((await ownedBy(c, ns, 'narrow')).map((t) => t.metadata.name).sort()).toEqual([
      'narrow-n-1',
      'narrow-n-2',
    ]);
    await waitForSpawner(
      c,
      ns,
      'narrow',
      'to count the refusal',
      (x) => x.status?.webhookDeliveriesRefused === 1,
    );
  });

  it('records the delivery of a receiver killed before its ledger write before the Task TTL-deletes; its redelivery creates nothing', async () => {
    const { c, ns } = s;
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner(
        'expiring',
        {
          webhook: {
            source: 'expiring',
            fieldMapping: { id: '$.data.id', title: '$.data.title' },
            secretRef: { name: 'hook-a' },
          },
        },
        {},
        { ttlSecondsAfterFinished: 1 },
      ),
    );
    const expiring = await waitForSpawner(c, ns, 'expiring', 'to exist', () => true);
    await waitFor(
      'the receiver to see the spawner',
      async () => s.op.operator.caches.spawners!.get(ns, 'expiring') !== undefined,
    );
    // A receiver creates the delivery's Task and is SIGKILLed before its record.
    const payload = genericAlert('x-1');
    const delivery: Delivery = { source: 'generic', event: 'expiring', deliveryId: '', payload };
    const m = matchDelivery(expiring, delivery);
    if (!m.matched) throw new Error(m.reason);
    const dying = killedAfterTaskCreate(c);
    const deps = {
      client: dying.client,
      tasks: s.op.operator.caches.tasks,
      ledgers: new Ledgers({ client: dying.client, clock: systemClock }),
    };
    void deliverTo(deps, expiring, delivery, m);
    await waitFor('the Task create', async () => dying.killed());
    const [task] = await ownedBy(c, ns, 'expiring');
    const name = task?.metadata.name ?? '';
    const ledger = async () =>
      (
        await c.get<ApiObject & { data?: Record<string, string> }>(
          Resources.ConfigMap,
          ns,
          ledgerName('expiring'),
        )
      )?.data ?? {};
    expect((await ledger())['entries'] ?? '').toBe('');

    // It runs, finishes, and ttlSecondsAfterFinished deletes it.
    await waitForPhase(c, ns, name, 'Pending');
    await podFinished(c, ns, name);
    await waitForPhase(c, ns, name, 'Succeeded');
    await waitFor(
      'the Task deleted by its TTL',
      async () => (await ownedBy(c, ns, 'expiring')).length === 0,
      {
        timeoutMs: 15_000,
      },
    );
    await waitFor('the receiver cache to drop it', async () => !s.op.operator.caches.tasks.get(ns, name));
    // The ledger has the delivery, confirmed with serial number 1.
    const entries = ((await ledger())['entries'] ?? '').split('\n').map((l) => l.split(' ').slice(1, 3));
    expect(entries).toEqual([['1', 'c']]);

    // The sender redelivers: a duplicate, no Task.
    const body = JSON.stringify(payload);
    const late = await post(addr, '/webhook/expiring', body, kelosHeaders(body, SECRET));
    expect(late.status, late.body).toBe(200);
    expect(firstResult(late)['outcome']).toBe('duplicate');
    expect(await ownedBy(c, ns, 'expiring')).toHaveLength(0);
  });
});
