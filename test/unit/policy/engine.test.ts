import { describe, expect, test } from 'vitest';
import { BUILTIN_RULES } from '../../../policies/index.ts';
import { runPolicies } from '../../../src/policy/engine.ts';
import type { ObjectRule } from '../../../src/policy/rule.ts';
import { parseManifests } from '../../../src/validate/load.ts';
import { TEST_CONFIG } from './fixtures.ts';

const ttl = BUILTIN_RULES.find((r) => r.id === 'hygiene/ttl-seconds-after-finished')!;

const task = (name: string, annotations: Record<string, string> = {}) => `---
apiVersion: kelos.dev/v1alpha2
kind: Task
metadata:
  name: ${name}
  namespace: team-a
  annotations: ${JSON.stringify(annotations)}
spec:
  prompt: hi
  worker:
    type: claude-code
    credentials: { type: api-key, secretRef: { name: anthropic } }
`;

const docs = (text: string) => parseManifests(text, 'app.yaml').documents;

describe('policy engine', () => {
  test('a reasoned opt-out suppresses the finding and the report lists it with its reason and location', () => {
    const report = runPolicies(
      docs(
        task('kept', {
          'policy.kelos.dev/ignore': 'hygiene/ttl-seconds-after-finished, budget/active-deadline',
          'policy.kelos.dev/ignore-reason': 'debug runs are deleted by hand',
        }),
      ),
      { config: TEST_CONFIG, rules: [ttl], knownRuleIds: BUILTIN_RULES.map((r) => r.id) },
    );
    expect(report.diagnostics).toStrictEqual([]);
    expect(report.suppressions).toStrictEqual([
      {
        rule: 'hygiene/ttl-seconds-after-finished',
        resource: { apiVersion: 'kelos.dev/v1alpha2', kind: 'Task', namespace: 'team-a', name: 'kept' },
        reason: 'debug runs are deleted by hand',
        message:
          'ttlSecondsAfterFinished is not set, so finished Tasks and their Pods stay until someone deletes them',
        path: '/spec/ttlSecondsAfterFinished',
        source: { file: 'app.yaml', line: 8, column: 1 },
      },
    ]);
  });

  test('an opt-out without a reason is an error and is not honoured', () => {
    const report = runPolicies(
      docs(task('lazy', { 'policy.kelos.dev/ignore': 'hygiene/ttl-seconds-after-finished' })),
      {
        config: TEST_CONFIG,
        rules: [ttl],
      },
    );
    expect(report.suppressions).toStrictEqual([]);
    expect(report.diagnostics.map((d) => [d.severity, d.code, d.path, d.message])).toStrictEqual([
      [
        'error',
        'policy/ignore-reason',
        '/metadata/annotations/policy.kelos.dev~1ignore',
        'policy.kelos.dev/ignore opts out of hygiene/ttl-seconds-after-finished without policy.kelos.dev/ignore-reason; the opt-out is not honoured until it says why',
      ],
      [
        'warning',
        'hygiene/ttl-seconds-after-finished',
        '/spec/ttlSecondsAfterFinished',
        'ttlSecondsAfterFinished is not set, so finished Tasks and their Pods stay until someone deletes them',
      ],
    ]);
  });

  test('an opt-out naming an unknown rule is a warning, with the rule it likely meant', () => {
    const report = runPolicies(
      docs(
        task('typo', {
          'policy.kelos.dev/ignore': 'hygiene/ttl-after-finished',
          'policy.kelos.dev/ignore-reason': 'cleanup job',
        }),
      ),
      { config: TEST_CONFIG, rules: [ttl] },
    );
    expect(report.diagnostics.map((d) => [d.severity, d.code, d.message])).toStrictEqual([
      [
        'warning',
        'policy/ignore-unknown-rule',
        'policy.kelos.dev/ignore names "hygiene/ttl-after-finished", which is not a rule id',
      ],
      [
        'warning',
        'hygiene/ttl-seconds-after-finished',
        'ttlSecondsAfterFinished is not set, so finished Tasks and their Pods stay until someone deletes them',
      ],
    ]);
  });

  test('an opt-out naming a rule id with a typo says which rule it likely meant', () => {
    const report = runPolicies(
      docs(
        task('typo', {
          'policy.kelos.dev/ignore': 'hygiene/ttl-secnds-after-finished',
          'policy.kelos.dev/ignore-reason': 'cleanup job',
        }),
      ),
      { config: TEST_CONFIG, rules: [ttl] },
    );
    expect(report.diagnostics.find((d) => d.code === 'policy/ignore-unknown-rule')?.message).toBe(
      'policy.kelos.dev/ignore names "hygiene/ttl-secnds-after-finished", which is not a rule id; did you mean "hygiene/ttl-seconds-after-finished"?',
    );
  });

  test('a misspelt opt-out annotation key is a warning at that key, with the key it likely meant', () => {
    const report = runPolicies(
      docs(
        task('typo', {
          'policy.kelos.dev/ignor': 'hygiene/ttl-seconds-after-finished',
          'policy.kelos.dev/Ignore-Reason': 'cleanup job',
          'policy.kelos.dev/rule': 'not an opt-out, and not near one',
        }),
      ),
      { config: TEST_CONFIG, rules: [ttl] },
    );
    expect(report.suppressions).toStrictEqual([]);
    expect(
      report.diagnostics.map((d) => [d.severity, d.code, d.path, d.source?.line, d.message]),
    ).toStrictEqual([
      [
        'warning',
        'policy/ignore-unknown-annotation',
        '/metadata/annotations/policy.kelos.dev~1ignor',
        7,
        'annotation "policy.kelos.dev/ignor" is not an opt-out annotation, so it opts out of nothing; did you mean "policy.kelos.dev/ignore"?',
      ],
      [
        'warning',
        'policy/ignore-unknown-annotation',
        '/metadata/annotations/policy.kelos.dev~1Ignore-Reason',
        7,
        'annotation "policy.kelos.dev/Ignore-Reason" is not an opt-out annotation, so it opts out of nothing; did you mean "policy.kelos.dev/ignore-reason"?',
      ],
      [
        'warning',
        'hygiene/ttl-seconds-after-finished',
        '/spec/ttlSecondsAfterFinished',
        8,
        'ttlSecondsAfterFinished is not set, so finished Tasks and their Pods stay until someone deletes them',
      ],
    ]);
  });

  test('an opt-out without a reason still has its unknown rule ids named', () => {
    const report = runPolicies(
      docs(task('typo', { 'policy.kelos.dev/ignore': 'hygiene/ttl-secnds-after-finished' })),
      {
        config: TEST_CONFIG,
        rules: [ttl],
      },
    );
    expect(
      report.diagnostics
        .filter((d) => d.code.startsWith('policy/'))
        .map((d) => d.code)
        .sort(),
    ).toStrictEqual(['policy/ignore-reason', 'policy/ignore-unknown-rule']);
  });

  test('the config disables rules and overrides severities; the report lists the rules that ran', () => {
    const text = task('t');
    const off = runPolicies(docs(text), {
      config: { ...TEST_CONFIG, rules: { 'hygiene/ttl-seconds-after-finished': { enabled: false } } },
      rules: [ttl],
    });
    expect(off.diagnostics).toStrictEqual([]);
    expect(off.rules).toStrictEqual([]);
    const raised = runPolicies(docs(text), {
      config: { ...TEST_CONFIG, rules: { 'hygiene/ttl-seconds-after-finished': { severity: 'error' } } },
      rules: [ttl],
    });
    expect(raised.diagnostics.map((d) => d.severity)).toStrictEqual(['error']);
    expect(raised.rules.map((r) => [r.id, r.severity])).toStrictEqual([
      ['hygiene/ttl-seconds-after-finished', 'error'],
    ]);
  });

  test('a rule that throws becomes a policy/rule-failed error and the other rules still run', () => {
    const broken: ObjectRule = {
      ...(ttl as ObjectRule),
      id: 'hygiene/broken',
      check: () => {
        throw new Error('boom');
      },
    };
    const report = runPolicies(docs(task('t')), { config: TEST_CONFIG, rules: [broken, ttl] });
    expect(report.diagnostics.map((d) => [d.code, d.message])).toStrictEqual([
      ['policy/rule-failed', 'rule hygiene/broken failed: boom'],
      [
        'hygiene/ttl-seconds-after-finished',
        'ttlSecondsAfterFinished is not set, so finished Tasks and their Pods stay until someone deletes them',
      ],
    ]);
  });

  test('diagnostics carry the rule hint, the resource and the source location of the path', () => {
    const [d] = runPolicies(docs(task('t')), { config: TEST_CONFIG, rules: [ttl] }).diagnostics;
    expect(d).toStrictEqual({
      severity: 'warning',
      code: 'hygiene/ttl-seconds-after-finished',
      message:
        'ttlSecondsAfterFinished is not set, so finished Tasks and their Pods stay until someone deletes them',
      path: '/spec/ttlSecondsAfterFinished',
      resource: { apiVersion: 'kelos.dev/v1alpha2', kind: 'Task', namespace: 'team-a', name: 't' },
      source: { file: 'app.yaml', line: 8, column: 1 },
      hint: ttl.hint,
    });
  });
});

describe('a rule that finds its field unset', () => {
  const cap = BUILTIN_RULES.find((r) => r.id === 'budget/spawner-max-concurrency')!;
  const spawner = (field: string) => `apiVersion: kelos.dev/v1alpha2
kind: TaskSpawner
metadata: { name: s, namespace: team-a }
spec:
  ${field}: 3
  when: { cron: { schedule: "0 9 * * 1" } }
  taskTemplate: { worker: { type: claude-code, credentials: { type: none } }, promptTemplate: hi }
`;
  const messages = (text: string) =>
    runPolicies(docs(text), { config: TEST_CONFIG, rules: [cap] }).diagnostics.map((d) => d.message);

  test('names a key beside it one typo away, which kelos check on paths would otherwise never see', () => {
    const [finding] = runPolicies(docs(spawner('maxConcurency')), {
      config: TEST_CONFIG,
      rules: [cap],
    }).diagnostics;
    // At the misspelt key, not at spec, where the field the rule reads would be.
    expect([finding?.path, finding?.source?.line, finding?.source?.column]).toStrictEqual([
      '/spec/maxConcurrency',
      5,
      3,
    ]);
    expect(messages(spawner('maxConcurency'))).toStrictEqual([
      'maxConcurrency is not set or 0, so the spawner may run any number of Tasks at once; set it between 1 and 10; "maxConcurency" is set beside it: a misspelling of maxConcurrency? (kelos validate names unknown fields)',
    ]);
  });

  test('says nothing more when no key beside it is near', () => {
    expect(messages(spawner('maxTotalTasks'))).toStrictEqual([
      'maxConcurrency is not set or 0, so the spawner may run any number of Tasks at once; set it between 1 and 10',
    ]);
  });
});

describe('a kind of the Kelos group that Kelos does not serve', () => {
  test('is a warning at its kind with the kind meant, since no rule would judge it', () => {
    const text = `apiVersion: kelos.dev/v1alpha2
kind: Taks
metadata: { name: t, namespace: team-a }
spec: { prompt: hi }
---
apiVersion: tekton.dev/v1
kind: Pipeline
metadata: { name: p }
`;
    const report = runPolicies(
      docs(
        `${text}---\napiVersion: kelos.dev/v1alpha2\nkind: WorkerPool\nmetadata: { name: pool, namespace: team-a }\n`,
      ),
      {
        config: TEST_CONFIG,
        rules: BUILTIN_RULES,
      },
    );
    expect(
      report.diagnostics.map((d) => [d.severity, d.code, d.path, d.message, d.source?.line, d.hint]),
    ).toStrictEqual([
      [
        'warning',
        'policy/unknown-kind',
        '/kind',
        'kind "Taks" is no kind of kelos.dev, so no rule judged this object; did you mean "Task"?',
        2,
        'Spell the kind as Kelos serves it (kelos validate reports it too).',
      ],
      // Upstream's kinds are known, and told as upstream's, not as a misspelling.
      [
        'warning',
        'policy/unknown-kind',
        '/kind',
        'WorkerPool is not served by this version of Kelos; run Tasks with spec.worker instead of workerPoolRef, so no rule judged this object',
        11,
        // Spelt right: the hint says to take it out, not to respell it.
        "The kind is spelt right: it is upstream Kelos's, which this version of Kelos does not serve (the cluster has no CRD for it and refuses the object). Take it out of the manifests applied to this cluster, and move what it did onto the kinds Kelos serves (kelos validate reports it too).",
      ],
    ]);
  });
});

describe('a Kelos object at another version of the group', () => {
  test('is one warning at its apiVersion and judged by no rule, since its fields are not where the rules read them', () => {
    const text = `apiVersion: kelos.dev/v1alpha1
kind: TaskSpawner
metadata: { name: s, namespace: team-a }
spec:
  pollInterval: 1m
  when: { githubIssues: { labels: [bug] } }
  taskTemplate: { type: claude-code, credentials: { type: none } }
---
apiVersion: kelos.dev/v2
kind: Task
metadata: { name: t, namespace: team-a }
spec: { prompt: hi }
`;
    const report = runPolicies(docs(text), { config: TEST_CONFIG, rules: BUILTIN_RULES });
    expect(
      report.diagnostics.map((d) => [d.severity, d.code, d.path, d.message, d.source?.line]),
    ).toStrictEqual([
      [
        'warning',
        'policy/unknown-version',
        '/apiVersion',
        'kelos.dev/v1alpha1 is not the version the rules read (kelos.dev/v1alpha2), and v1alpha2 renamed and moved its fields, so no rule judged this object',
        1,
      ],
      [
        'warning',
        'policy/unknown-version',
        '/apiVersion',
        'kelos.dev/v2 is not the version the rules read (kelos.dev/v1alpha2), so no rule judged this object',
        9,
      ],
    ]);
    expect(report.diagnostics[0]?.hint).toBe(
      'Change apiVersion to kelos.dev/v1alpha2; kelos validate names each field v1alpha2 moved and where it went.',
    );
  });
});
