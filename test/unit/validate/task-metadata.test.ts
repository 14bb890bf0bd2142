import { describe, expect, it } from 'vitest';
import { taskMetadataFindings } from '../../../src/validate/task-metadata.ts';

const spawner = (metadata: unknown, when: unknown = { githubIssues: {} }) => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'TaskSpawner',
  metadata: { name: 's' },
  spec: { when, taskTemplate: { worker: { type: 'claude-code' }, metadata } },
});

const RULE =
  "a label value: empty, or at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character";
const REFUSED = "the API server refuses that item's Task and none is created for it";

describe('taskMetadataFindings', () => {
  it('refuses a Task name longer than its Job can take, which the API server accepts', () => {
    const task = (name: string) => ({
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Task',
      metadata: { name },
      spec: {},
    });
    expect(taskMetadataFindings(task('a'.repeat(63)))).toEqual([]);
    expect(taskMetadataFindings(task('a'.repeat(64)))).toEqual([
      {
        severity: 'error',
        code: 'task/name-too-long',
        path: '/metadata/name',
        message:
          'Task name is 64 characters; its Job needs a name of at most 63 (Job names become a Pod label value): the API server accepts the Task and the operator fails it',
        hint: 'shorten the name to at most 63 characters',
      },
    ]);
  });

  it("notes (info, not a warning: no rule can tell a safe field) a label value that prints a generic webhook's mapped field, which the sender writes", () => {
    const when = { webhook: { source: 'alertmanager', fieldMapping: { id: '$.groupKey' } } };
    expect(
      taskMetadataFindings(spawner({ labels: { alert: '{{.ID}}' } }, when)).map(
        (f) => `${f.severity} ${f.message}`,
      ),
    ).toEqual([
      `info task label value template prints .ID, which is whatever the sender puts where fieldMapping.id points; every rendered value must be ${RULE}, and where it is not, ${REFUSED}`,
    ]);
    expect(taskMetadataFindings(spawner({ labels: { kind: '{{.Kind}}' } }, when))).toEqual([]);
  });

  it('finds nothing in keys and values every spawned Task can carry', () => {
    const findings = taskMetadataFindings(
      spawner({
        labels: {
          team: 'web',
          'example.com/tier': '',
          issue: '{{.Number}}',
          kind: '{{.Kind}}',
          titled: '{{if .Title}}yes{{end}}',
        },
        annotations: { 'example.com/title': '{{.Title}}', body: 'Any text: at all.' },
      }),
    );
    expect(findings).toEqual([]);
  });

  it('refuses a key that is no qualified name and a static value that is no label value, as errors', () => {
    const findings = taskMetadataFindings(
      spawner({ labels: { 'bad key!': 'x', team: '-web-' }, annotations: { 'a/b/c': 'x' } }),
    );
    expect(findings).toEqual([
      {
        severity: 'error',
        code: 'spawner/label-key',
        path: '/spec/taskTemplate/metadata/labels/bad key!',
        message:
          "task label key \"bad key!\" must be a qualified name: an optional DNS subdomain prefix and '/', then at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character; the API server accepts the TaskSpawner but refuses every Task it spawns",
      },
      {
        severity: 'error',
        code: 'spawner/label-value',
        path: '/spec/taskTemplate/metadata/labels/team',
        message: `task label value "-web-" must be ${RULE}; the API server accepts the TaskSpawner but refuses every Task it spawns`,
      },
      {
        severity: 'error',
        code: 'spawner/annotation-key',
        path: '/spec/taskTemplate/metadata/annotations/a~1b~1c',
        message:
          "task annotation key \"a/b/c\" must be a qualified name: an optional DNS subdomain prefix and '/', then at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character; the API server accepts the TaskSpawner but refuses every Task it spawns",
      },
    ]);
  });

  it('warns where a templated value prints free text or renders no label value for the sample item', () => {
    const findings = taskMetadataFindings(
      spawner({
        labels: {
          title: '{{.Title}}',
          labels: '{{.Labels}}',
          url: '{{.URL}}',
          guarded: '{{if .Body}}{{.Title}}{{end}}',
        },
      }),
    );
    expect(findings.map((f) => [f.severity, f.path, f.message])).toEqual([
      [
        'warning',
        '/spec/taskTemplate/metadata/labels/title',
        `task label value template prints .Title, which is free text (it renders "Fix the flaky login test" for a sample githubIssues item); every rendered value must be ${RULE}, and where it is not, ${REFUSED}`,
      ],
      [
        'warning',
        '/spec/taskTemplate/metadata/labels/labels',
        `task label value template prints .Labels, which is the item's labels joined with ", "; every rendered value must be ${RULE}, and where it is not, ${REFUSED}`,
      ],
      [
        'warning',
        '/spec/taskTemplate/metadata/labels/url',
        `task label value template renders "https://github.com/example/repo/issues/42" for a sample githubIssues item; every rendered value must be ${RULE}, and where it is not, ${REFUSED}`,
      ],
      [
        'warning',
        '/spec/taskTemplate/metadata/labels/guarded',
        `task label value template prints .Title, which is free text (it renders "Fix the flaky login test" for a sample githubIssues item); every rendered value must be ${RULE}, and where it is not, ${REFUSED}`,
      ],
    ]);
    expect(findings[0]?.hint).toBe(
      'keep label values to text that is always a label value (such as .Number), and put free text in metadata.annotations, whose values may be any text',
    );
  });

  it('leaves a template that does not render to the template check, and a cron Title is no free text', () => {
    expect(taskMetadataFindings(spawner({ labels: { a: '{{.Titel}}', b: '{{' } }))).toEqual([]);
    const cron = taskMetadataFindings(
      spawner({ labels: { t: '{{.Title}}' } }, { cron: { schedule: '0 9 * * *' } }),
    );
    expect(cron.map((f) => f.message)).toEqual([
      `task label value template renders "2026-01-01T09:00:00Z" for a sample cron item; every rendered value must be ${RULE}, and where it is not, ${REFUSED}`,
    ]);
  });
});
