import { describe, expect, test } from 'vitest';
import { matchDelivery } from '../../../../src/operator/webhook/match.ts';
import type { GoValue } from '../../../../src/template/go-template.ts';
import { GITHUB_EVENT_PAYLOADS, sourceVariables, type VarType } from '../../../../src/template/variables.ts';
import { delivery, spawnerWith } from '../../../support/webhook-fixtures.ts';

/** Where `value` departs from `type`: struct keys exactly the declared fields, leaves of the declared kind. */
const departures = (type: VarType, value: GoValue, path: string): string[] => {
  if (value === null || value === undefined) return [];
  switch (type.kind) {
    case 'string':
    case 'time':
      return typeof value === 'string' ? [] : [`${path}: not a string`];
    case 'int':
      return Number.isInteger(value) ? [] : [`${path}: not an int`];
    case 'bool':
      return typeof value === 'boolean' ? [] : [`${path}: not a bool`];
    case 'list':
      return Array.isArray(value)
        ? value.flatMap((e, i) => departures(type.elem, e, `${path}[${i}]`))
        : [`${path}: not a list`];
    case 'struct': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: not a struct`];
      const got = Object.keys(value).sort();
      const want = Object.keys(type.fields).sort();
      if (JSON.stringify(got) !== JSON.stringify(want))
        return [`${path}: keys ${got.join(',')} are not ${want.join(',')}`];
      return Object.entries(type.fields).flatMap(([k, f]) =>
        departures(f.type, (value as Record<string, GoValue>)[k], `${path}.${k}`),
      );
    }
    default:
      return [];
  }
};

/** Runtime variables against the declared set: only declared keys, every always-present key, the declared types. */
const check = (declared: VarType, vars: GoValue): string[] => {
  if (declared.kind !== 'struct') throw new Error('declared data is not a struct');
  const runtime = vars as Record<string, GoValue>;
  const problems: string[] = [];
  for (const k of Object.keys(runtime)) if (!(k in declared.fields)) problems.push(`${k}: not declared`);
  for (const [k, f] of Object.entries(declared.fields)) {
    if (!(k in runtime)) {
      if (f.presence.when === 'always') problems.push(`${k}: declared always present, missing`);
      continue;
    }
    problems.push(...departures(f.type, runtime[k], k));
  }
  return problems;
};

const GITHUB_FIXTURES: Record<string, string> = {
  issues: 'issues',
  issue_comment: 'issue_comment-on-pr',
  pull_request: 'pull_request',
  pull_request_target: 'pull_request',
  pull_request_review: 'pull_request_review',
  pull_request_review_comment: 'pull_request_review_comment',
  push: 'push',
  create: 'create',
  release: 'release',
  check_run: 'check_run',
};

describe('webhook template variables are exactly the ones the template checker declares', () => {
  test('every event with a typed payload has a fixture here', () => {
    expect(Object.keys(GITHUB_FIXTURES).sort()).toEqual(Object.keys(GITHUB_EVENT_PAYLOADS).sort());
  });

  test.each(Object.entries(GITHUB_FIXTURES))('GitHub %s (fixture %s)', (event, name) => {
    const d = delivery('github', event, name, undefined, { enrichment: { pullRequestHeadBranch: 'x' } });
    const r = matchDelivery(spawnerWith({ githubWebhook: { events: [event] } }), d);
    if (!r.matched) throw new Error(r.reason);
    expect(check(sourceVariables({ source: 'githubWebhook', events: [event] }), r.vars)).toEqual([]);
    // The payload is the declared go-github struct, not GitHub's JSON.
    expect(Object.keys((r.vars as Record<string, object>).Payload ?? {}).sort()).toEqual(
      Object.keys((GITHUB_EVENT_PAYLOADS[event] as { fields: object }).fields).sort(),
    );
  });

  test('GitHub, several events: each delivery fits the merged declaration', () => {
    const events = ['issues', 'push', 'star'];
    const s = spawnerWith({ githubWebhook: { events } });
    for (const [event, name] of [
      ['issues', 'issues'],
      ['push', 'push'],
      ['star', 'star'],
    ] as const) {
      const r = matchDelivery(s, delivery('github', event, name));
      if (!r.matched) throw new Error(r.reason);
      expect([event, check(sourceVariables({ source: 'githubWebhook', events }), r.vars)]).toEqual([
        event,
        [],
      ]);
    }
  });

  test.each(['issue-create', 'issue-update', 'comment-create'])('Linear %s', (name) => {
    const s = spawnerWith({ linearWebhook: { types: ['Issue', 'Comment'] } });
    const r = matchDelivery(s, delivery('linear', 'Issue', name));
    if (!r.matched) throw new Error(r.reason);
    expect(check(sourceVariables({ source: 'linearWebhook' }), r.vars)).toEqual([]);
  });

  test('generic: the fieldMapping keys and the mirrored ID/Title/Body/URL', () => {
    const fieldMapping = {
      id: '$.data.event.event_id',
      title: '$.data.event.title',
      level: '$.data.event.level',
    };
    const s = spawnerWith({ webhook: { source: 'sentry', fieldMapping } });
    const r = matchDelivery(s, delivery('generic', 'sentry', 'sentry-event-alert'));
    if (!r.matched) throw new Error(r.reason);
    const declared = sourceVariables({ source: 'webhook', fieldMapping: Object.keys(fieldMapping) });
    expect(check(declared, r.vars)).toEqual([]);
    expect(Object.keys(r.vars as object).sort()).toEqual(
      Object.keys((declared as { fields: object }).fields).sort(),
    );
  });

  test('Slack', () => {
    const r = matchDelivery(spawnerWith({ slack: {} }), delivery('slack', 'message', 'message'));
    if (!r.matched) throw new Error(r.reason);
    const declared = sourceVariables({ source: 'slack' });
    expect(check(declared, r.vars)).toEqual([]);
    expect(Object.keys(r.vars as object).sort()).toEqual(
      Object.keys((declared as { fields: object }).fields).sort(),
    );
  });
});
