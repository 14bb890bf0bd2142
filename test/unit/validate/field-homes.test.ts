import { describe, expect, test } from 'vitest';
import { validateSchema } from '../../../src/validate/schema.ts';

/** The message of the one unknown-field finding of `object`. */
const unknownField = (object: Record<string, unknown>): string | undefined => {
  const findings = (validateSchema(object) ?? []).filter((f) => f.code === 'schema/unknown-field');
  expect(findings).toHaveLength(1);
  return findings[0]?.message;
};

const task = (worker: Record<string, unknown>, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'Task',
  metadata: { name: 'fix' },
  spec: { prompt: 'Fix it.', worker: { type: 'claude-code', ...worker }, ...spec },
});

describe('an unknown field that is known elsewhere in the object', () => {
  test('a key indented one level too little names the field it belongs in, not the deep look-alikes', () => {
    expect(unknownField(task({ credentials: { type: 'api-key' }, secretRef: { name: 'k' } }))).toBe(
      'unknown field "spec.worker.secretRef"; "secretRef" is a field of spec.worker.credentials (indented one level too little?)',
    );
  });

  test("a Task in upstream's flat form is sent to its own fields, not to worker's", () => {
    const flat = (spec: Record<string, unknown>) => ({
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Task',
      metadata: { name: 'fix' },
      spec: { prompt: 'Fix it.', type: 'claude-code', credentials: { type: 'api-key' }, ...spec },
    });
    expect(unknownField(flat({ secretRef: { name: 'k' } }))).toBe(
      'unknown field "spec.secretRef"; "secretRef" is a field of spec.credentials (indented one level too little?)',
    );
    expect(unknownField(flat({ podOverrides: {}, activeDeadlineSeconds: 60 }))).toBe(
      'unknown field "spec.activeDeadlineSeconds"; "activeDeadlineSeconds" is a field of spec.podOverrides (indented one level too little?)',
    );
    // Without the flat form's field, the place is worker's.
    const { podOverrides: _, ...noOverrides } = flat({ activeDeadlineSeconds: 60 }).spec as Record<
      string,
      unknown
    >;
    expect(unknownField({ ...flat({}), spec: noOverrides })).toBe(
      'unknown field "spec.activeDeadlineSeconds"; "activeDeadlineSeconds" is a field of spec.worker.podOverrides',
    );
  });

  test("upstream v1alpha1's root-level pollInterval on a cron spawner is told that cron takes none", () => {
    const spawner = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      metadata: { name: 's' },
      spec: {
        pollInterval: '5m',
        when: { cron: { schedule: '0 9 * * 1' } },
        taskTemplate: { worker: { type: 'claude-code', credentials: { type: 'none' } } },
      },
    };
    expect(unknownField(spawner)).toBe(
      'unknown field "spec.pollInterval"; "pollInterval" is upstream\'s kelos.dev/v1alpha1 field, which v1alpha2 moved into the polling source (githubIssues, githubPullRequests, jira); spec.when.cron is not polled and takes none: remove it',
    );
  });

  test('of the sources a field belongs to, the one the spawner uses is named', () => {
    const spawner = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      metadata: { name: 's' },
      spec: {
        when: { webhook: { source: 'alerts', fieldMapping: { id: '$.id' } }, secretRef: { name: 'hook' } },
        taskTemplate: { worker: { type: 'claude-code', credentials: { type: 'none' } } },
      },
    };
    expect(unknownField(spawner)).toBe(
      'unknown field "spec.when.secretRef"; "secretRef" is a field of spec.when.webhook (indented one level too little?)',
    );
    // The same mistake in a spawner of another source names that one, not the memo of the first.
    const jira = {
      ...spawner,
      spec: {
        ...spawner.spec,
        when: {
          jira: { baseUrl: 'https://example.atlassian.net', project: 'OPS' },
          secretRef: { name: 'jira' },
        },
      },
    };
    expect(unknownField(jira)).toBe(
      'unknown field "spec.when.secretRef"; "secretRef" is a field of spec.when.jira (indented one level too little?)',
    );
  });

  test('a field put one level too deep names its parent', () => {
    expect(unknownField(task({ credentials: { type: 'none' }, branch: 'main' }))).toBe(
      'unknown field "spec.worker.branch"; "branch" is a field of spec (indented one level too deep?)',
    );
  });

  test('a field of the object itself, nested too deep, names the top level', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', data: { a: 'b' } } };
    expect(unknownField(configMap)).toBe(
      'unknown field "metadata.data"; "data" is a field of the top level (indented one level too deep?)',
    );
  });

  test('deprecated fields are never the place named: spec.secretRef goes to the worker', () => {
    expect(unknownField(task({ credentials: { type: 'none' } }, { secretRef: { name: 'k' } }))).toBe(
      'unknown field "spec.secretRef"; "secretRef" is a field of spec.worker.credentials',
    );
  });

  test('core kinds follow their $refs: a Deployment whose containers sit beside the Pod template', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, containers: [{ name: 'x', image: 'y' }] },
      },
    };
    expect(unknownField(deployment)).toBe(
      'unknown field "spec.template.containers"; "containers" is a field of spec.template.spec (indented one level too little?)',
    );
  });

  test('core kinds too: labels beside metadata', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, labels: { a: 'b' } };
    expect(unknownField(configMap)).toBe(
      'unknown field "labels"; "labels" is a field of metadata (indented one level too little?)',
    );
  });

  test('a near miss is still suggested as such, and a name known nowhere adds nothing', () => {
    expect(unknownField(task({ credentials: { type: 'none' }, modle: 'x' }))).toBe(
      'unknown field "spec.worker.modle"; did you mean "model"?',
    );
    expect(unknownField(task({ credentials: { type: 'none' }, zzzqqq: 'x' }))).toBe(
      'unknown field "spec.worker.zzzqqq"',
    );
  });
});

describe('an enum value that is almost right', () => {
  test('is guessed, and the unset value reads as such', () => {
    const findings = validateSchema(task({ type: 'codx', credentials: { type: 'none' } })) ?? [];
    expect(findings.find((f) => f.code === 'schema/enum')?.message).toBe(
      'must be one of "claude-code", "codex", "gemini", "opencode", "cursor", "" (unset); got "codx"; did you mean "codex"?',
    );
  });
});
