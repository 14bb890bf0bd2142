// Linear and Slack end to end against a real API server: a Linear issue delivery, in Linear's
// own format and signature, becomes a Task whose prompt is rendered from Linear's template
// variables; a Slack message arriving over Socket Mode (a fake Slack on loopback: the Web API
// and the WebSocket the operator dials) becomes a Task, and once the Task succeeds (the test
// plays kubelet) the result is posted in the message's thread, and a slash command's result in
// the thread its "accepted" message started; a generic delivery to a spawner
// with contextSources gets its `.Context` fetched (a context server on loopback) as a polled
// item does.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_TOKEN, BOT_TOKEN, type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { fixture, type Json } from '../support/webhook-fixtures.ts';
import { firstResult, genericAlert, kelosHeaders, linearHeaders, post } from '../support/webhook-payloads.ts';
import {
  create,
  createSecret,
  finishTask,
  type OperatorScenario,
  outputsMessage,
  useOperator,
  waitFor,
  waitForTask,
} from './operator-helpers.ts';
import { alertsWebhook, githubWorkspace, ownedBy, spawner } from './spawner-helpers.ts';

const LINEAR_SECRET = 'linear-signing-secret';
const ALERTS_SECRET = 'alerts-signing-secret';
const RUNBOOK_TOKEN = 'runbook-token';

/** A runbook service: `GET /runbooks/<id>` with the bearer token answers its steps; unknown ids 404. */
const startRunbooks = async (): Promise<{ server: Server; url: string; calls: string[] }> => {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    calls.push(req.url ?? '');
    if (req.headers.authorization !== `Bearer ${RUNBOOK_TOKEN}`) res.writeHead(401).end();
    else if (req.url !== '/runbooks/a-1') res.writeHead(404).end();
    else
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ steps: ['free disk space on /var', 'restart the agent'] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls };
};

const sha12 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

describe('webhook sources end to end: Linear, Slack, generic with context sources', () => {
  let s: OperatorScenario;
  let slack: FakeSlack;
  let runbooks: Awaited<ReturnType<typeof startRunbooks>>;
  beforeAll(async () => {
    slack = await startFakeSlack();
    runbooks = await startRunbooks();
  });
  useOperator(
    'webhook-sources',
    (x) => {
      s = x;
    },
    () => ({
      webhook: {
        addr: '127.0.0.1:0',
        clusterSecrets: { linear: [LINEAR_SECRET] },
        slack: { appToken: APP_TOKEN, botToken: BOT_TOKEN },
        slackApiUrl: slack.apiBaseUrl,
      },
      // The runbook service is on loopback, over plain HTTP.
      outbound: { allowedHosts: ['127.0.0.1'], allowPrivate: true, allowInsecure: true },
    }),
  );
  afterAll(async () => {
    await slack?.close();
    runbooks?.server.close();
  });

  // The spawners both tests use, created once (the first test to run waits for them).
  let spawners: Promise<void> | undefined;
  const withSpawners = () => {
    spawners ??= createSpawners();
    return spawners;
  };
  const createSpawners = async () => {
    const { c, ns } = s;
    await githubWorkspace(c, ns);
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner(
        'linear',
        { linearWebhook: { types: ['Issue'], filters: [{ action: 'create', labels: ['agent'] }] } },
        {},
        {
          promptTemplate:
            '{{.Payload.data.identifier}} [{{.State}}] [{{.Labels}}] {{.Title}}\n{{.Payload.data.description}}\n{{.Payload.data.url}} ({{.Type}} {{.Action}} {{.ID}})',
        },
      ),
    );
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner(
        'slack',
        { slack: { channels: ['C0ENG00001'] } },
        {},
        { promptTemplate: '{{.Body}}\n-- {{.URL}}' },
      ),
    );
    await createSecret(c, ns, 'alerts-hook', { WEBHOOK_SECRET: ALERTS_SECRET });
    await createSecret(c, ns, 'runbooks', { TOKEN: `Bearer ${RUNBOOK_TOKEN}` });
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner(
        'alerts',
        alertsWebhook('alerts-hook'),
        {},
        {
          promptTemplate: 'Fix {{.Title}}. First step: {{.Context.runbook}}',
          contextSources: [
            {
              name: 'runbook',
              http: {
                url: `${runbooks.url}/runbooks/{{.ID}}`,
                allowInsecure: true,
                headersFrom: [{ header: 'Authorization', secretName: 'runbooks', secretKey: 'TOKEN' }],
                responseFilter: { type: 'JSONPath', expression: '$.steps[0]' },
              },
            },
          ],
        },
      ),
    );
    await waitFor('the receiver to see the spawners', async () => s.op.operator.caches.spawners!.size >= 3);
  };

  it('Linear issue created → one Task with the prompt rendered from Linear variables; a redelivery creates nothing', async () => {
    await withSpawners();
    const linear = (body: string, secret: string, delivery: string) =>
      post(
        s.op.operator.webhookAddress ?? '',
        '/webhook/linear',
        body,
        linearHeaders(body, secret, delivery),
      );
    const payload: Json = fixture('linear', 'issue-create');
    // Signed within Linear's window: the receiver checks webhookTimestamp against its clock.
    payload.webhookTimestamp = Date.now();
    const body = JSON.stringify(payload);
    const delivery = randomUUID();
    const r = await linear(body, LINEAR_SECRET, delivery);
    expect(r.status, r.body).toBe(200);
    const tasks = await ownedBy(s.c, s.ns, 'linear');
    // Named after the event the signed body names, not the unsigned Linear-Delivery.
    const event = JSON.stringify([payload.webhookId, 'Issue', 'create', payload.data.id, payload.createdAt]);
    const digest = createHash('sha256').update(event).digest('hex');
    expect(tasks.map((t) => t.metadata.name)).toEqual([`linear-issue-${sha12(digest)}`]);
    expect(tasks[0]!.spec.prompt).toBe(
      [
        'ENG-123 [Todo] [Agent] Improve onboarding flow',
        'New users get lost after sign-up.',
        'https://linear.app/acme/issue/ENG-123/improve-onboarding-flow (Issue create 2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9)',
      ].join('\n'),
    );

    // Linear retries a delivery it saw no 2xx for, with a new webhookTimestamp: nothing new.
    const retried = JSON.stringify({ ...payload, webhookTimestamp: Date.now() + 1 });
    const again = await linear(retried, LINEAR_SECRET, delivery);
    expect(again.status, again.body).toBe(200);
    expect(firstResult(again)['outcome']).toBe('duplicate');
    // The captured delivery posted again under a fresh Linear-Delivery: nothing new either.
    const replayed = await linear(body, LINEAR_SECRET, randomUUID());
    expect(replayed.status, replayed.body).toBe(200);
    expect(firstResult(replayed)['outcome']).toBe('duplicate');

    // The same issue updated (action update) does not pass the spawner's filter; a body signed
    // with another secret, or one whose webhookTimestamp is outside the window, is refused.
    const update: Json = fixture('linear', 'issue-update');
    update.webhookTimestamp = Date.now();
    const updated = JSON.stringify(update);
    const f = await linear(updated, LINEAR_SECRET, randomUUID());
    expect(f.status, f.body).toBe(200);
    expect(firstResult(f)['outcome']).toBe('filtered');
    const forged = await linear(body, 'not-the-secret', randomUUID());
    expect(forged.status).toBe(401);
    payload.webhookTimestamp = Date.now() - 10 * 60_000;
    const stale = JSON.stringify(payload);
    const old = await linear(stale, LINEAR_SECRET, randomUUID());
    expect(old.status, old.body).toBe(401);
    expect(await ownedBy(s.c, s.ns, 'linear')).toHaveLength(1);
  });

  it('Slack message over Socket Mode → Task → "accepted", then the result with the pull request, in the thread', async () => {
    const { c, ns } = s;
    await withSpawners();
    await slack.until(() => slack.current !== undefined);
    const message: Json = fixture('slack', 'message');
    const envelope = slack.sendEvent(message);
    await slack.until(() => slack.acked(envelope));
    const tasks = await ownedBy(s.c, s.ns, 'slack');
    const name = `slack-slack-${sha12('C0ENG00001-1763712000.000100')}`;
    expect(tasks.map((t) => t.metadata.name)).toEqual([name]);
    expect(tasks[0]!.spec.prompt).toBe(
      'fix the flaky login test\nIt fails one run in ten.\n-- https://acme.slack.com/archives/C0ENG00001/p1763712000000100',
    );
    await slack.until(() => slack.posted.length >= 1);
    expect(slack.posted[0]).toEqual({
      channel: 'C0ENG00001',
      text: `:robot_face: Task \`${name}\` has been *accepted*.`,
      thread_ts: '1763712000.000100',
    });

    // Slack redelivers the same event (retry_attempt 1): acknowledged, nothing new.
    const retry = slack.sendEvent(message, 1);
    await slack.until(() => slack.acked(retry));
    expect(await ownedBy(s.c, s.ns, 'slack')).toHaveLength(1);

    // The kubelet's part: the agent finishes and reports its pull request.
    await finishTask(c, ns, name, {
      message: outputsMessage({ pr: 'https://github.com/acme/widgets/pull/42' }),
    });
    await waitFor('the result in the thread', async () => slack.posted.length >= 2, { timeoutMs: 60_000 });
    expect(slack.posted.slice(1)).toEqual([
      {
        channel: 'C0ENG00001',
        text: `:white_check_mark: Task \`${name}\` has *succeeded*.\nPull request: https://github.com/acme/widgets/pull/42`,
        thread_ts: '1763712000.000100',
      },
    ]);
    await waitForTask(
      c,
      ns,
      name,
      'to record the posted phase',
      (t) => t.metadata.annotations?.['kelos.dev/slack-report-phase'] === 'succeeded',
    );
  });

  it('Slack slash command → Task → "accepted" in the channel, then the result in that message\'s thread', async () => {
    const { c, ns } = s;
    await withSpawners();
    await slack.until(() => slack.current !== undefined);
    const before = slack.posted.length;
    const command: Json = fixture('slack', 'slash-command');
    const envelope = slack.sendSlashCommand(command);
    await slack.until(() => slack.acked(envelope));
    const name = `slack-slack-${sha12(command.trigger_id)}`;
    const task = await waitForTask(
      c,
      ns,
      name,
      'to record the thread its "accepted" message started',
      // The fake Slack answers every chat.postMessage with ts 1763712001.000200.
      (t) => t.metadata.annotations?.['kelos.dev/slack-thread-ts'] === '1763712001.000200',
    );
    expect(task.spec.prompt).toBe('fix the flaky login test\n-- ');
    expect(slack.posted.slice(before)).toEqual([
      {
        channel: 'C0ENG00001',
        text: `:robot_face: Task \`${name}\` has been *accepted*.\n<@U0ADA0001> asked: \`/kelos fix the flaky login test\``,
      },
    ]);
    await finishTask(c, ns, name, { exitCode: 1 });
    await waitFor('the result in the thread', async () => slack.posted.length >= before + 2, {
      timeoutMs: 60_000,
    });
    expect(slack.posted[before + 1]).toMatchObject({
      channel: 'C0ENG00001',
      thread_ts: '1763712001.000200',
    });
    expect(slack.posted[before + 1]!.text).toMatch(new RegExp(`^:x: Task \`${name}\` has \\*failed\\*\\.`));
  });

  it('acknowledges a slash command once its Task exists, without waiting for Slack to take the "accepted" message', async () => {
    const { c, ns } = s;
    await withSpawners();
    await slack.until(() => slack.current !== undefined);
    const command: Json = { ...fixture('slack', 'slash-command'), trigger_id: '1763712006.42.slowpost' };
    const name = `slack-slack-${sha12(command.trigger_id)}`;
    slack.holdPosts = true;
    try {
      const envelope = slack.sendSlashCommand(command);
      // Slack answers the "accepted" post only after the command was acknowledged.
      await slack.until(() => slack.acked(envelope));
      expect((await ownedBy(c, ns, 'slack')).map((t) => t.metadata.name)).toContain(name);
      await slack.until(() => slack.heldPosts.length === 1);
    } finally {
      slack.releasePosts();
    }
    await waitForTask(
      c,
      ns,
      name,
      'to record the thread its "accepted" message started',
      (t) => t.metadata.annotations?.['kelos.dev/slack-thread-ts'] === '1763712001.000200',
    );
  });

  it('generic signed POST → Task whose .Context was fetched from its contextSources; a failed fetch creates nothing and asks for a retry', async () => {
    await withSpawners();
    const addr = s.op.operator.webhookAddress ?? '';
    const body = JSON.stringify(genericAlert('a-1', 'disk full'));
    const r = await post(addr, '/webhook/alerts', body, kelosHeaders(body, ALERTS_SECRET));
    expect(r.status, r.body).toBe(200);
    const tasks = await ownedBy(s.c, s.ns, 'alerts');
    expect(tasks.map((t) => [t.metadata.name, t.spec.prompt])).toEqual([
      ['alerts-a-1', 'Fix disk full. First step: free disk space on /var'],
    ]);
    expect(runbooks.calls).toEqual(['/runbooks/a-1']);

    // The runbook service has nothing for this alert (404): the sender is asked to retry.
    const missing = JSON.stringify(genericAlert('a-2'));
    const failed = await post(addr, '/webhook/alerts', missing, kelosHeaders(missing, ALERTS_SECRET));
    expect(failed.status, failed.body).toBe(500);
    expect(firstResult(failed)['reason']).toContain('contextSources runbook: HTTP 404');
    expect((await ownedBy(s.c, s.ns, 'alerts')).map((t) => t.metadata.name)).toEqual(['alerts-a-1']);
  });
});
