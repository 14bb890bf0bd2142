import { describe, expect, test } from 'vitest';
import { validateDocuments } from '../../../src/validate/index.ts';
import { parseManifests } from '../../../src/validate/load.ts';

const spawner = (when: string) =>
  `apiVersion: kelos.dev/v1alpha2
kind: TaskSpawner
metadata:
  name: s
spec:
  when:
${when}  taskTemplate:
    worker:
      type: codex
      credentials:
        type: api-key
        secretRef:
          name: key
      workspaceRef:
        name: app
    promptTemplate: Do it.
`;

/** The spawner/* diagnostics of validating `text`, with their places. */
const sourceFindings = (text: string) =>
  validateDocuments(parseManifests(text, 's.yaml').documents)
    .filter((d) => d.code.startsWith('spawner/'))
    .map((d) => ({
      severity: d.severity,
      code: d.code,
      path: d.path,
      message: d.message,
      at: `${d.source?.line}:${d.source?.column}`,
    }));

describe('TaskSpawner sources, checked offline', () => {
  test('a Jira baseUrl over plain HTTP is an error at the field, naming the https URL; https is fine', () => {
    const jira = (url: string) =>
      spawner(`    jira:\n      baseUrl: ${url}\n      project: ENG\n      secretRef:\n        name: jira\n`);
    expect(sourceFindings(jira('http://jira.internal.example'))).toEqual([
      {
        severity: 'error',
        code: 'spawner/jira-base-url',
        path: '/spec/when/jira/baseUrl',
        message:
          'baseUrl "http://jira.internal.example" is plain HTTP; the operator calls Jira over HTTPS only (the token would cross the network in clear text), so the spawner would fail at its first poll',
        at: '8:7',
      },
    ]);
    expect(sourceFindings(jira('https://jira.internal.example'))).toEqual([]);
  });

  test('a schedule that parses but matches no date is a warning; a leap day is a date', () => {
    expect(sourceFindings(spawner('    cron:\n      schedule: "0 0 30 2 *"\n'))).toEqual([
      {
        severity: 'warning',
        code: 'spawner/cron-never-fires',
        path: '/spec/when/cron/schedule',
        message:
          'cron schedule "0 0 30 2 *" matches no date, so the TaskSpawner never creates a Task (upstream accepts it and waits forever)',
        at: expect.any(String),
      },
    ]);
    expect(
      sourceFindings(spawner('    cron:\n      schedule: "0 0 31 4,6,9,11 *"\n')).map((f) => f.code),
    ).toEqual(['spawner/cron-never-fires']);
    expect(sourceFindings(spawner('    cron:\n      schedule: "0 0 29 2 *"\n'))).toEqual([]);
    expect(sourceFindings(spawner('    cron:\n      schedule: "0 0 31 * *"\n'))).toEqual([]);
  });

  test('a schedule the spawner cannot parse is an error at the schedule, with robfig/cron reason', () => {
    expect(sourceFindings(spawner('    cron:\n      schedule: "0 25 * * *"\n'))).toEqual([
      {
        severity: 'error',
        code: 'spawner/cron-schedule',
        path: '/spec/when/cron/schedule',
        message: 'invalid cron schedule "0 25 * * *": end of range (25) above maximum (23): 25',
        at: '8:7',
      },
    ]);
    expect(sourceFindings(spawner('    cron:\n      schedule: every monday\n'))[0]?.message).toBe(
      'invalid cron schedule "every monday": expected exactly 5 fields, found 2: every monday',
    );
  });

  test('five fields and the descriptors robfig/cron accepts are silent', () => {
    for (const schedule of ['*/15 9-17 * * mon-fri', '@daily', '@every 90m', '0 0 1 jan *'])
      expect(sourceFindings(spawner(`    cron:\n      schedule: "${schedule}"\n`))).toEqual([]);
  });

  test('two sources, or none, is an error naming them', () => {
    const two = sourceFindings(
      spawner('    cron:\n      schedule: "@daily"\n    githubIssues:\n      labels: [bug]\n'),
    );
    expect(two).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'spawner/when-source',
        path: '/spec/when',
        at: '6:3',
      }),
    ]);
    expect(two[0]?.message).toContain('spec.when sets 2 sources (githubIssues, cron)');
    expect(sourceFindings(spawner('    {}\n').replace('  when:\n    {}', '  when: {}'))).toEqual([
      expect.objectContaining({
        code: 'spawner/when-source',
        message: 'spec.when sets no source, so the TaskSpawner never creates a Task',
      }),
    ]);
  });

  test('a pollInterval that is not a duration is a warning: the source would be polled every 5m', () => {
    expect(sourceFindings(spawner('    githubIssues:\n      pollInterval: 5 minutes\n'))).toEqual([
      {
        severity: 'warning',
        code: 'spawner/poll-interval',
        path: '/spec/when/githubIssues/pollInterval',
        message:
          'pollInterval "5 minutes" is not a positive Go duration or number of seconds, so the source is polled every 5m instead',
        at: '8:7',
      },
    ]);
    for (const interval of ['30s', '1h30m', '300'])
      expect(sourceFindings(spawner(`    githubIssues:\n      pollInterval: "${interval}"\n`))).toEqual([]);
  });
});
