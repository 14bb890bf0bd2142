// Whether a Slack spawner can receive, in its status, against a real API server: an operator
// with its receiver on but no Slack tokens puts its Slack spawners in phase Failed, naming the
// variables and the Secret to set; one with tokens whose Slack is out of reach (a fake Slack
// on loopback, stopped) keeps them Running with DiscoveryError=True/SlackDisconnected naming
// the URL and the cause, a Warning Event and kelos_slack_connected 0, and clears it all once
// Slack answers again. And `kelos operator --slack-api-url`, a real process with the tokens in
// its environment, dials the Slack it names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiObject } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { NO_SLACK_APP } from '../../src/operator/webhook/verify.ts';
import { APP_TOKEN, BOT_TOKEN, type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { freshNamespace } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { create, type OperatorScenario, useOperator } from './operator-helpers.ts';
import { kill9, spawnOperator } from './operator-process.ts';
import { spawner, waitForSpawner } from './spawner-helpers.ts';

const slackSpawner = (name: string) =>
  spawner(
    name,
    { slack: { channels: ['C0ENG00001'] } },
    {},
    { worker: { type: 'claude-code', credentials: { type: 'none' } } },
  );

const condition = (
  s: { status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } },
  type: string,
) => s.status?.conditions?.find((c) => c.type === type);

describe('a Slack spawner on an operator without Slack tokens', () => {
  let s: OperatorScenario;
  useOperator(
    'slack-no-tokens',
    (x) => {
      s = x;
    },
    () => ({ webhook: { addr: '127.0.0.1:0' } }),
  );

  it('is phase Failed, naming the variables and the Secret to set', async () => {
    await create(s.c, s.ns, 'TaskSpawner', slackSpawner('help'));
    const st = await waitForSpawner(s.c, s.ns, 'help', 'to be Failed', (x) => x.status?.phase === 'Failed');
    expect(st.status?.message).toBe(NO_SLACK_APP);
    expect(st.status?.message).toMatch(/SLACK_APP_TOKEN .*SLACK_BOT_TOKEN .*kelos-slack/);
    expect(condition(st, 'Suspended')).toMatchObject({
      status: 'False',
      reason: 'SetupFailed',
      message: expect.stringContaining('taking no Slack messages'),
    });
  });
});

describe('a Slack spawner while the operator cannot reach Slack', () => {
  let s: OperatorScenario;
  let slack: FakeSlack;
  // Before useOperator's: Slack is out of reach before the operator dials.
  beforeAll(async () => {
    slack = await startFakeSlack();
    await slack.down();
  });
  afterAll(async () => {
    await slack?.close();
  });
  useOperator(
    'slack-unreachable',
    (x) => {
      s = x;
    },
    () => ({
      webhook: {
        addr: '127.0.0.1:0',
        slack: { appToken: APP_TOKEN, botToken: BOT_TOKEN },
        slackApiUrl: slack.apiBaseUrl,
      },
    }),
  );
  it('says the connection is down and why, then that it receives once Slack answers', async () => {
    const gauge = async () =>
      (await s.op.operator.metrics.registry.metrics())
        .split('\n')
        .find((l) => l.startsWith('kelos_slack_connected '));
    await create(s.c, s.ns, 'TaskSpawner', slackSpawner('help'));
    const down = await waitForSpawner(
      s.c,
      s.ns,
      'help',
      'to say Slack is disconnected',
      (x) => condition(x, 'DiscoveryError')?.reason === 'SlackDisconnected',
    );
    expect(down.status?.phase).toBe('Running');
    expect(condition(down, 'DiscoveryError')?.message).toMatch(
      /^no Slack message reaches this spawner: the operator's Socket Mode connection is down since \S+, redialling with backoff; last try: Slack POST http:\/\/127\.0\.0\.1:\d+\/api\/apps\.connections\.open: fetch failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
    );
    expect(down.status?.message).toBe(condition(down, 'DiscoveryError')?.message);
    expect(condition(down, 'Suspended')?.message).toMatch(/^Not receiving Slack messages until/);
    expect(await gauge()).toBe('kelos_slack_connected 0');
    const events = await s.c.list<
      ApiObject & { reason?: string; type?: string; regarding?: { name?: string } }
    >(Resources.Event, { namespace: s.ns });
    expect(
      events.items.filter((e) => e.regarding?.name === 'help' && e.reason === 'SlackDisconnected'),
    ).toMatchObject([{ type: 'Warning' }]);

    await slack.up();
    const up = await waitForSpawner(
      s.c,
      s.ns,
      'help',
      'to say it receives',
      (x) => condition(x, 'DiscoveryError')?.status === 'False',
      60_000,
    );
    expect(up.status?.phase).toBe('Running');
    expect(up.status?.message).toBeUndefined();
    expect(condition(up, 'Suspended')?.message).toBe('Receiving Slack messages over Socket Mode');
    expect(await gauge()).toBe('kelos_slack_connected 1');
  });
});

describe('kelos operator --slack-api-url', () => {
  let slack: FakeSlack;
  beforeAll(async () => {
    slack = await startFakeSlack();
  });
  afterAll(async () => {
    await slack?.close();
  });

  it('dials the Slack it names with the tokens of its environment', async () => {
    await installCrds();
    const ns = await freshNamespace('slack-flag');
    const op = await spawnOperator(
      ns,
      ['--webhook-addr', '127.0.0.1:0', '--slack-api-url', slack.apiBaseUrl],
      undefined,
      { SLACK_APP_TOKEN: APP_TOKEN, SLACK_BOT_TOKEN: BOT_TOKEN },
    );
    try {
      await slack.until(() => slack.sockets.length > 0);
      expect(slack.opens).toBeGreaterThan(0);
    } finally {
      await kill9(op.child);
    }
  });
});
