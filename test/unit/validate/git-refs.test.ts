import { describe, expect, test } from 'vitest';
import { gitNameFindings, refNameProblem } from '../../../src/validate/git-refs.ts';

describe('git names', () => {
  test.each([
    'main',
    'kelos/issue-42',
    'release/v1.2.3',
    'refs/heads/fix',
    'v2.0.0-rc.1',
    '0123456789abcdef0123456789abcdef01234567',
    'feature/ümlaut',
  ])('%s is a name git takes', (name) => {
    expect(refNameProblem(name)).toBeUndefined();
  });

  test.each([
    ['main branch', 'holds a space'],
    ['fix\tbug', 'holds a control character'],
    ['a~1', 'holds "~"'],
    ['a^', 'holds "^"'],
    ['a:b', 'holds ":"'],
    ['a?', 'holds "?"'],
    ['a*', 'holds "*"'],
    ['a[1]', 'holds "["'],
    ['a\\b', 'holds "\\"'],
    ['fix..bug', 'holds ".."'],
    ['a@{1}', 'holds "@{"'],
    ['@', 'is "@"'],
    ['-f', 'starts with "-"'],
    ['/a', 'has an empty path component'],
    ['a/', 'has an empty path component'],
    ['a//b', 'has an empty path component'],
    ['a.', 'ends with "."'],
    ['a/.hidden', 'has the path component ".hidden"'],
    ['topic.lock/x', 'has the path component "topic.lock"'],
  ])('%s is refused: it %s', (name, why) => {
    expect(refNameProblem(name)).toMatch(new RegExp(`^${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });
});

test("a Task's branch HEAD is refused, as git check-ref-format --branch refuses it; a Workspace's ref is not a branch", () => {
  const of = (kind: string, spec: Record<string, unknown>) =>
    gitNameFindings({ apiVersion: 'kelos.dev/v1alpha2', kind, metadata: { name: 'x' }, spec }).map(
      (f) => `${f.path} ${f.message}`,
    );
  expect(of('Task', { branch: 'HEAD', prompt: 'hi' })).toStrictEqual([
    '/spec/branch branch "HEAD" is no name git takes: it is "HEAD", which git keeps for the checked-out commit; the API server accepts it, and the checkout fails when the agent\'s Pod runs',
  ]);
  expect(of('Workspace', { repo: 'https://github.com/a/b.git', ref: 'HEAD' })).toStrictEqual([]);
});

describe('a TaskSpawner branch template', () => {
  const spawner = (when: Record<string, unknown>, branch: string) => ({
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'TaskSpawner',
    metadata: { name: 's' },
    spec: {
      when,
      taskTemplate: { type: 'claude-code', credentials: { type: 'none' }, branch, promptTemplate: 'hi' },
    },
  });
  const findings = (when: Record<string, unknown>, branch: string) =>
    gitNameFindings(spawner(when, branch)).map((f) => `${f.severity} ${f.message}`);

  test('text around the actions that git refuses is an error, whatever the item', () => {
    expect(findings({ githubIssues: {} }, 'kelos fix/{{.Number}}')).toStrictEqual([
      'error branch template "kelos fix/{{.Number}}" is no name git takes: the text around its template actions holds a space (no git name holds white space, a control character or any of ~ ^ : ? * [ \\); the API server accepts it, and the checkout fails when the agent\'s Pod runs, whatever the item',
    ]);
  });

  test('free text, or a sample that renders no git name, is a warning', () => {
    expect(findings({ githubIssues: {} }, 'kelos/{{.Number}}-{{.Title}}')).toStrictEqual([
      'warning branch template prints .Title, which is free text (it renders "kelos/42-Fix the flaky login test" for a sample githubIssues item); every rendered branch must be a name git takes, and where it is not, that item gets no Task (the operator refuses it: a webhook delivery with 422, a polled item in an Event, tried again each poll)',
    ]);
    expect(findings({ cron: { schedule: '0 9 * * *' } }, 'kelos/deps-{{.Time}}')).toStrictEqual([
      'warning branch template renders "kelos/deps-2026-01-01T09:00:00Z" for a sample cron item; every rendered branch must be a name git takes, and where it is not, that item gets no Task (the operator refuses it: a webhook delivery with 422, a polled item in an Event, tried again each poll)',
    ]);
  });

  test('a branch built from safe values passes', () => {
    expect(findings({ githubIssues: {} }, 'kelos/issue-{{.Number}}')).toStrictEqual([]);
    expect(findings({ cron: { schedule: '0 9 * * *' } }, 'kelos/deps-{{.ID}}')).toStrictEqual([]);
  });

  test("a generic webhook's own fieldMapping keys render a sample value, not an empty string", () => {
    const when = { webhook: { source: 'alerts', fieldMapping: { id: '$.id', fp: '$.fingerprint' } } };
    // Free text (below), but the sample renders a git name: no "renders "alert/"" beside it.
    expect(findings(when, 'alert/{{.fp}}')).toStrictEqual([
      'info branch template prints .fp, which is whatever the sender puts where fieldMapping.fp points; every rendered branch must be a name git takes, and where it is not, that item gets no Task (the operator refuses it: a webhook delivery with 422, a polled item in an Event, tried again each poll)',
    ]);
  });

  test("a generic webhook's mapped fields are free text, as the sender writes them, noted as an info (no rule can tell a safe one); GitHub's .Number is not", () => {
    const when = {
      webhook: {
        source: 'alertmanager',
        fieldMapping: { id: '$.groupKey', severity: '$.commonLabels.severity' },
      },
    };
    const branch = gitNameFindings(spawner(when, 'kelos/alert-{{.ID}}'));
    expect(branch.map((f) => `${f.severity} ${f.code} ${f.path} ${f.message}`)).toStrictEqual([
      'info git/ref-name /spec/taskTemplate/branch branch template prints .ID, which is whatever the sender puts where fieldMapping.id points; every rendered branch must be a name git takes, and where it is not, that item gets no Task (the operator refuses it: a webhook delivery with 422, a polled item in an Event, tried again each poll)',
    ]);
    expect(branch[0]?.hint).toContain('$.alerts[0].fingerprint');
    expect(findings(when, 'kelos/alert-{{.id}}')[0]).toContain(
      'prints .id, which is whatever the sender puts where fieldMapping.id points',
    );
    expect(findings(when, 'kelos/{{.severity}}')[0]).toContain('prints .severity');
    // What the sender does not write: the constant Kind.
    expect(findings(when, 'kelos/{{.Kind}}')).toStrictEqual([]);
    // GitHub's numbers are numbers, whoever sends them.
    expect(findings({ githubWebhook: { events: ['issues'] } }, 'kelos/issue-{{.Number}}')).toStrictEqual([]);
    expect(findings({ githubIssues: {} }, 'kelos/issue-{{.ID}}')).toStrictEqual([]);
  });
});
