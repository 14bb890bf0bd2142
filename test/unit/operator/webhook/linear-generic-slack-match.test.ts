import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { GenericWebhook } from '../../../../src/operator/webhook/generic-event.ts';
import type { LinearWebhookFilter } from '../../../../src/operator/webhook/linear-event.ts';
import { matchDelivery } from '../../../../src/operator/webhook/match.ts';
import type { Slack } from '../../../../src/operator/webhook/slack-event.ts';
import { delivery, type Json, spawnerWith } from '../../../support/webhook-fixtures.ts';

const reasonOf = (r: ReturnType<typeof matchDelivery>): string => (r.matched ? 'matched' : r.reason);
const varsOf = (r: ReturnType<typeof matchDelivery>): Record<string, Json> => {
  if (!r.matched) throw new Error(`not matched: ${r.reason}`);
  return r.vars as Record<string, Json>;
};

describe('Linear', () => {
  const linear = (types: string[], filters?: LinearWebhookFilter[]) =>
    spawnerWith({ linearWebhook: { types, ...(filters ? { filters } : {}) } });
  const created = delivery('linear', 'Issue', 'issue-create');
  const updated = delivery('linear', 'Issue', 'issue-update');

  test('types are compared case-insensitively', () => {
    expect(matchDelivery(linear(['issue']), created).matched).toBe(true);
    expect(reasonOf(matchDelivery(linear(['Comment']), created))).toMatch(/type Issue is not in types/);
  });

  test('action, states (any case), labels and excludeLabels', () => {
    const on = (f: LinearWebhookFilter, d = created) => matchDelivery(linear(['Issue'], [f]), d).matched;
    expect([on({ action: 'create' }), on({ action: 'update' }), on({ action: 'update' }, updated)]).toEqual([
      true,
      false,
      true,
    ]);
    expect([
      on({ states: ['todo'] }),
      on({ states: ['In Progress'] }),
      on({ states: ['in progress'] }, updated),
    ]).toEqual([true, false, true]);
    expect([
      on({ labels: ['agent'] }),
      on({ labels: ['agent', 'bug'] }),
      on({ excludeLabels: ['AGENT'] }),
    ]).toEqual([true, false, false]);
  });

  test('filters are alternatives, and a filter with a type applies to that type only', () => {
    const s = linear(
      ['Issue', 'Comment'],
      [
        { type: 'Comment', action: 'create' },
        { type: 'Issue', states: ['Done'] },
      ],
    );
    expect(matchDelivery(s, delivery('linear', 'Comment', 'comment-create')).matched).toBe(true);
    expect(reasonOf(matchDelivery(s, created))).toMatch(
      /type is Issue, not Comment; state "Todo" is not listed/,
    );
    // Two filters failing the same test give that reason once.
    const twice = linear(['Issue'], [{ states: ['Done'] }, { states: ['Done'], labels: ['agent'] }]);
    expect(reasonOf(matchDelivery(twice, created))).toBe('no filter matches: state "Todo" is not listed');
  });

  test('variables: ID, Title, State, Labels of the issue; IssueID and the issue labels for comments', () => {
    const r = matchDelivery(linear(['Issue']), created);
    const sha = createHash('sha256').update('d-Issue-issue-create').digest('hex');
    expect(r.matched && r.id).toBe(`issue-${sha.slice(0, 12)}`);
    const v = varsOf(r);
    expect(v).toMatchObject({
      ID: '2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9',
      Title: 'Improve onboarding flow',
      Kind: 'LinearWebhook',
      Type: 'Issue',
      Action: 'create',
      State: 'Todo',
      Labels: 'Agent',
    });
    expect(v.Payload.data.identifier).toBe('ENG-123');
    expect('IssueID' in v).toBe(false);
    const c = varsOf(matchDelivery(linear(['comment']), delivery('linear', 'Comment', 'comment-create')));
    expect([c.IssueID, c.Title, c.Type]).toEqual([
      '2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9',
      'Improve onboarding flow',
      'Comment',
    ]);
  });
});

describe('generic (JSONPath)', () => {
  const sentry = (extra: Partial<GenericWebhook> = {}) =>
    spawnerWith({
      webhook: {
        source: 'sentry',
        fieldMapping: {
          id: '$.data.event.event_id',
          title: '$.data.event.title',
          url: '$.data.event.web_url',
          level: '$.data.event.level',
          environment: "$.data.event.tags[?(@[0] == 'environment')][1]",
          timestamp: '$.data.event.timestamp',
        },
        ...extra,
      },
    });
  const alert = delivery('generic', 'sentry', 'sentry-event-alert');

  test('a delivery to another source path is not for the spawner', () => {
    expect(reasonOf(matchDelivery(sentry(), { ...alert, event: 'grafana' }))).toMatch(
      /source grafana is not sentry/,
    );
  });

  test('fieldMapping fills the variables (values printed as Go prints them); the mapped id names the Task', () => {
    const r = matchDelivery(sentry(), alert);
    expect(r.matched && r.id).toBe('b2e6c6b9d8f74c1c9c4e0f3a1d2b3c4d');
    expect(varsOf(r)).toMatchObject({
      Kind: 'GenericWebhook',
      ID: 'b2e6c6b9d8f74c1c9c4e0f3a1d2b3c4d',
      Title: 'ZeroDivisionError: division by zero',
      URL: 'https://sentry.io/organizations/acme/issues/1170820242/events/b2e6c6b9d8f74c1c9c4e0f3a1d2b3c4d/',
      Body: '',
      level: 'error',
      environment: 'production',
      timestamp: '1763712000.123',
    });
  });

  test('filters must all match (value or RE2 pattern); a missing field fails a filter', () => {
    const on = (filters: GenericWebhook['filters']) => matchDelivery(sentry({ filters }), alert);
    expect(
      on([
        { field: '$.data.event.level', value: 'error' },
        { field: '$.action', pattern: '^trig' },
      ]).matched,
    ).toBe(true);
    expect(reasonOf(on([{ field: '$.data.event.level', value: 'warning' }]))).toMatch(/filters\/0/);
    expect(reasonOf(on([{ field: '$.data.event.nope', pattern: '.*' }]))).toMatch(
      /filters\/0 \(\$\.data\.event\.nope\)/,
    );
    expect(on([{ field: '$.data.event.project', value: '1' }]).matched).toBe(true);
  });

  test('excludeFilters drop on any match; a missing field does not exclude', () => {
    const on = (excludeFilters: GenericWebhook['excludeFilters']) =>
      matchDelivery(sentry({ excludeFilters }), alert);
    expect(reasonOf(on([{ field: '$.data.event.environment', value: 'production' }]))).toMatch(
      /excludeFilters\/0/,
    );
    expect(on([{ field: '$.data.event.nope', value: 'x' }]).matched).toBe(true);
  });

  test('an id that is no Task name as it is gets a hash of itself, so ids differing in case or punctuation stay apart', () => {
    const s = spawnerWith({ webhook: { source: 'sentry', fieldMapping: { id: '$.id' } } });
    const idOf = (id: string) => {
      const r = matchDelivery(s, { ...alert, payload: { id } });
      return r.matched ? [r.id, varsOf(r)['ID']] : [reasonOf(r)];
    };
    expect(idOf('a-1')).toEqual(['a-1', 'a-1']);
    const upper = idOf('A-1');
    expect(upper[0]).toMatch(/^a-1-[0-9a-f]{8}$/);
    expect(upper[1]).toBe('A-1');
    expect(idOf('x/y')[0]).toMatch(/^x-y-[0-9a-f]{8}$/);
    expect(idOf('a-1-')[0]).toMatch(/^a-1-[0-9a-f]{8}$/);
    expect(idOf('a-1-')[0]).not.toBe(upper[0]);
    expect(idOf('äö')[0]).toMatch(/^[0-9a-f]{8}$/);
    expect(idOf('äö')[0]).not.toBe(idOf('üß')[0]);
  });

  test('an id that selects nothing creates no Task', () => {
    const s = spawnerWith({ webhook: { source: 'sentry', fieldMapping: { id: '$.data.missing' } } });
    expect(reasonOf(matchDelivery(s, alert))).toMatch(
      /fieldMapping.id \(\$\.data\.missing\) selects nothing/,
    );
  });

  test('a filter pattern RE2 refuses fails closed', () => {
    const r = matchDelivery(sentry({ filters: [{ field: '$.action', pattern: '(?=x)' }] }), alert);
    expect(reasonOf(r)).toMatch(/invalid filter or mapping: invalid RE2 pattern/);
  });
});

describe('Slack', () => {
  const slack = (spec: Slack) => spawnerWith({ slack: spec });
  const msg = (change: (e: Json) => void = () => {}) =>
    delivery('slack', 'message', 'message', (p) => change(p.event), {
      enrichment: { slackTeamUrl: 'https://acme.slack.com/' },
    });

  test('a message mentioning the bot starts a Task: id, variables, thread annotations', () => {
    const r = matchDelivery(slack({}), msg());
    if (!r.matched) throw new Error(r.reason);
    const sha = createHash('sha256').update('C0ENG00001-1763712000.000100').digest('hex');
    expect(r.id).toBe(`slack-${sha.slice(0, 12)}`);
    expect(r.vars).toEqual({
      ID: '1763712000.000100',
      Title: 'fix the flaky login test',
      Body: 'fix the flaky login test\nIt fails one run in ten.',
      URL: 'https://acme.slack.com/archives/C0ENG00001/p1763712000000100',
      Kind: 'SlackMessage',
    });
    expect(r.annotations).toEqual({
      'kelos.dev/slack-channel': 'C0ENG00001',
      'kelos.dev/slack-thread-ts': '1763712000.000100',
      'kelos.dev/slack-user': 'U0ADA0001',
    });
  });

  test('without a mention nothing starts, unless a trigger makes the mention optional', () => {
    const plain = msg((e) => {
      e.text = 'deploy: the build is red';
    });
    expect(reasonOf(matchDelivery(slack({}), plain))).toBe('the bot is not mentioned');
    expect(
      matchDelivery(slack({ triggers: [{ pattern: '^deploy:', mentionOptional: true }] }), plain).matched,
    ).toBe(true);
    expect(matchDelivery(slack({ triggers: [{ pattern: '^deploy:' }] }), plain).matched).toBe(false);
    expect(
      matchDelivery(slack({ triggers: [{ pattern: '^ship' }, { mentionOptional: true }] }), plain).matched,
    ).toBe(true);
  });

  test('trigger patterns read the text without the mention', () => {
    expect(matchDelivery(slack({ triggers: [{ pattern: '^fix\\b' }] }), msg()).matched).toBe(true);
    expect(reasonOf(matchDelivery(slack({ triggers: [{ pattern: '^deploy' }] }), msg()))).toBe(
      'no trigger pattern matches',
    );
  });

  test('channels restrict where the bot listens', () => {
    expect(matchDelivery(slack({ channels: ['C0ENG00001'] }), msg()).matched).toBe(true);
    expect(reasonOf(matchDelivery(slack({ channels: ['C0OPS00001'] }), msg()))).toMatch(/not in channels/);
  });

  test('excludePatterns drop a message', () => {
    expect(reasonOf(matchDelivery(slack({ excludePatterns: ['(?i)FLAKY'] }), msg()))).toMatch(
      /excludePatterns/,
    );
  });

  test('botMessagePolicy: None drops bots, All takes every bot, OthersOnly drops this app only', () => {
    const otherBot = msg((e) => {
      e.bot_id = 'B0OTHER001';
      e.app_id = 'A0OTHER001';
      e.user = 'U0OTHERBOT';
    });
    const self = msg((e) => {
      e.bot_id = 'B0KELOS001';
      e.app_id = 'A0KELOS01';
      e.user = 'U0KELOSBOT';
      e.text = `<@U0KELOSBOT> ${e.text}`;
    });
    const run = (policy: Slack['botMessagePolicy']) =>
      [otherBot, self].map((d) => matchDelivery(slack({ botMessagePolicy: policy }), d).matched);
    expect(run(undefined)).toEqual([false, false]);
    expect(run('None')).toEqual([false, false]);
    expect(run('All')).toEqual([true, true]);
    expect(run('OthersOnly')).toEqual([true, false]);
  });

  test('edits and joins are not messages; a thread reply replies in its thread', () => {
    expect(
      reasonOf(
        matchDelivery(
          slack({}),
          msg((e) => (e.subtype = 'message_changed')),
        ),
      ),
    ).toMatch(/subtype/);
    const reply = matchDelivery(
      slack({}),
      msg((e) => {
        e.thread_ts = '1763711000.000050';
      }),
    );
    expect(reply.matched && reply.annotations['kelos.dev/slack-thread-ts']).toBe('1763711000.000050');
  });

  describe('slash commands', () => {
    const cmd = (change: (p: Json) => void = () => {}) =>
      delivery('slack', 'slash_command', 'slash-command', change);
    test('are addressed to the app: no mention needed; id, variables and annotations from the command', () => {
      const r = matchDelivery(slack({}), cmd());
      expect(r.matched).toBe(true);
      if (!r.matched) return;
      const sha = createHash('sha256').update('1763712005.42.8088930838d88f008e0').digest('hex');
      expect(r.id).toBe(`slack-${sha.slice(0, 12)}`);
      expect(r.vars).toEqual({
        ID: '1763712005.42.8088930838d88f008e0',
        Title: 'fix the flaky login test',
        Body: 'fix the flaky login test',
        URL: '',
        Kind: 'SlackMessage',
      });
      // No thread yet: the intake's "accepted" message becomes it.
      expect(r.annotations).toEqual({
        'kelos.dev/slack-channel': 'C0ENG00001',
        'kelos.dev/slack-user': 'U0ADA0001',
      });
    });
    test('meet channels, trigger patterns and excludePatterns like a message', () => {
      expect(reasonOf(matchDelivery(slack({ channels: ['C0OPS00001'] }), cmd()))).toMatch(/not in channels/);
      expect(matchDelivery(slack({ triggers: [{ pattern: '^fix\\b' }] }), cmd()).matched).toBe(true);
      expect(reasonOf(matchDelivery(slack({ triggers: [{ pattern: '^deploy' }] }), cmd()))).toBe(
        'no trigger pattern matches',
      );
      expect(reasonOf(matchDelivery(slack({ excludePatterns: ['flaky'] }), cmd()))).toMatch(
        /excludePatterns/,
      );
      expect(
        reasonOf(
          matchDelivery(
            slack({}),
            cmd((p) => delete p.trigger_id),
          ),
        ),
      ).toMatch(/trigger_id/);
    });
  });
});
