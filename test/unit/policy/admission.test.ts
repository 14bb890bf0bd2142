import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { BUILTIN_RULES } from '../../../policies/index.ts';
import {
  ADMISSION_POLICY_DIR,
  admissionPolicyName,
  compileAdmissionPolicies,
  renderAdmissionPolicies,
} from '../../../src/policy/admission.ts';
import { parsePolicyConfig } from '../../../src/policy/config.ts';
import { runPolicies } from '../../../src/policy/engine.ts';
import { evaluateRule, toCelValue } from '../../../src/validate/cel.ts';
import { loadFixture, ROOT, TEST_CONFIG } from './fixtures.ts';

const IDS = BUILTIN_RULES.map((r) => r.id);
const rootConfig = () =>
  parsePolicyConfig(
    parse(readFileSync(resolve(ROOT, 'kelos.policy.yaml'), 'utf8')),
    'kelos.policy.yaml',
    IDS,
  );

describe('admission policies', () => {
  test('dist/policies is what the rules and kelos.policy.yaml compile to (run kelos check --emit-admission-policies)', () => {
    const files = renderAdmissionPolicies(compileAdmissionPolicies(BUILTIN_RULES, rootConfig()));
    const dir = resolve(ROOT, ADMISSION_POLICY_DIR);
    expect(readdirSync(dir).sort()).toStrictEqual([...files.keys()].sort());
    for (const [name, text] of files) expect(readFileSync(resolve(dir, name), 'utf8'), name).toBe(text);
  });

  test('output is deterministic', () => {
    const once = renderAdmissionPolicies(compileAdmissionPolicies(BUILTIN_RULES, TEST_CONFIG));
    const twice = renderAdmissionPolicies(compileAdmissionPolicies(BUILTIN_RULES, TEST_CONFIG));
    expect([...twice]).toStrictEqual([...once]);
  });

  test('every per-object rule with a CEL form compiles to one policy and one binding per kind', () => {
    const compiled = compileAdmissionPolicies(BUILTIN_RULES, TEST_CONFIG);
    expect(compiled.map((c) => c.ruleId)).toStrictEqual([
      'budget/spawner-max-concurrency',
      'budget/spawner-max-total-tasks',
      'budget/active-deadline',
      'budget/model-allowlist',
      'budget/effort-allowlist',
      'security/pod-security',
      'security/service-account',
      'security/image-registry',
      'security/webhook-signing-secret',
      'security/github-trigger-restricted',
      'security/exclude-bot-authors',
      'hygiene/ttl-seconds-after-finished',
      'hygiene/agent-memory-limit',
    ]);
    const deadline = compiled.find((c) => c.ruleId === 'budget/active-deadline')!;
    expect(deadline.objects.map((o) => [o['kind'], (o['metadata'] as { name: string }).name])).toStrictEqual([
      ['ValidatingAdmissionPolicy', 'kelos-budget-active-deadline-tasks'],
      ['ValidatingAdmissionPolicyBinding', 'kelos-budget-active-deadline-tasks'],
      ['ValidatingAdmissionPolicy', 'kelos-budget-active-deadline-taskspawners'],
      ['ValidatingAdmissionPolicyBinding', 'kelos-budget-active-deadline-taskspawners'],
    ]);
    expect(deadline.objects[1]!['spec']).toStrictEqual({
      policyName: 'kelos-budget-active-deadline-tasks',
      validationActions: ['Deny'],
    });
  });

  test('hygiene/agent-memory-limit warns (Warn) unless the worker or legacy podOverrides set limits.memory', () => {
    const compiled = compileAdmissionPolicies(BUILTIN_RULES, TEST_CONFIG).find(
      (c) => c.ruleId === 'hygiene/agent-memory-limit',
    )!;
    const [taskPolicy, taskBinding] = compiled.objects;
    expect((taskBinding!['spec'] as { validationActions: string[] }).validationActions).toStrictEqual([
      'Warn',
    ]);
    expect((taskPolicy!['spec'] as { validations: unknown }).validations).toStrictEqual([
      {
        expression:
          'has(object.spec.workerPoolRef) || ((has(object.spec.worker) && has(object.spec.worker.podOverrides) && has(object.spec.worker.podOverrides.resources) && has(object.spec.worker.podOverrides.resources.limits) && has(object.spec.worker.podOverrides.resources.limits.memory)) || (has(object.spec.podOverrides) && has(object.spec.podOverrides.resources) && has(object.spec.podOverrides.resources.limits) && has(object.spec.podOverrides.resources.limits.memory)))',
        message:
          'the agent has no memory limit, so it may take all the memory of its node and get other Pods OOM-killed or evicted; set podOverrides.resources.limits.memory',
        reason: 'Invalid',
      },
    ]);
    expect(compiled.objects.map((o) => (o['metadata'] as { name: string }).name)).toContain(
      'kelos-hygiene-agent-memory-limit-taskspawners',
    );
  });

  test('thresholds come from the config; warnings bind with Warn; disabled and info rules are left out', () => {
    const config = {
      ...TEST_CONFIG,
      thresholds: { ...TEST_CONFIG.thresholds, maxConcurrency: 4 },
      rules: {
        'budget/active-deadline': { severity: 'warning' as const },
        'security/pod-security': { enabled: false },
        'budget/effort-allowlist': { severity: 'info' as const },
      },
    };
    const compiled = compileAdmissionPolicies(BUILTIN_RULES, config);
    const ids = compiled.map((c) => c.ruleId);
    expect(ids).not.toContain('security/pod-security');
    expect(ids).not.toContain('budget/effort-allowlist');
    const binding = compiled.find((c) => c.ruleId === 'budget/active-deadline')!.objects[1]!;
    expect((binding['spec'] as { validationActions: string[] }).validationActions).toStrictEqual(['Warn']);
    const policy = compiled.find((c) => c.ruleId === 'budget/spawner-max-concurrency')!.objects[0]!;
    const validations = (policy['spec'] as { validations: Array<{ expression: string; message: string }> })
      .validations;
    expect(validations[1]!.expression).toBe(
      '!has(object.spec.maxConcurrency) || object.spec.maxConcurrency <= 4',
    );
    expect(validations[0]!.message).toBe(
      'maxConcurrency is not set or 0, so the spawner may run any number of Tasks at once; set it between 1 and 4',
    );
  });

  test('without an admin grant no opt-out annotation is honoured; policies run on UPDATE only when the spec changed', () => {
    const [policy] = compileAdmissionPolicies(BUILTIN_RULES, TEST_CONFIG)[0]!.objects;
    expect((policy!['spec'] as { matchConditions: unknown }).matchConditions).toStrictEqual([
      { name: 'spec-changed', expression: "request.operation == 'CREATE' || object.spec != oldObject.spec" },
    ]);
  });

  test('honours reasoned opt-outs only in the namespaces the admin granted', () => {
    const [policy] = compileAdmissionPolicies(BUILTIN_RULES, TEST_CONFIG, {
      exemptNamespaces: ['kelos-system'],
      exemptNamespaceSelector: {
        matchLabels: { 'policy.kelos.dev/exempt': 'true' },
        matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['prod'] }],
      },
    })[0]!.objects;
    expect((policy!['spec'] as { matchConditions: unknown[] }).matchConditions[1]).toStrictEqual({
      name: 'not-opted-out',
      expression:
        "!((request.namespace in ['kelos-system'] || (namespaceObject != null && ((has(namespaceObject.metadata.labels) && 'policy.kelos.dev/exempt' in namespaceObject.metadata.labels) && namespaceObject.metadata.labels['policy.kelos.dev/exempt'] == 'true') && !((has(namespaceObject.metadata.labels) && 'tier' in namespaceObject.metadata.labels) && namespaceObject.metadata.labels['tier'] in ['prod']))) && has(object.metadata.annotations) && 'policy.kelos.dev/ignore' in object.metadata.annotations && 'policy.kelos.dev/ignore-reason' in object.metadata.annotations && object.metadata.annotations['policy.kelos.dev/ignore-reason'].trim() != '' && object.metadata.annotations['policy.kelos.dev/ignore'].split(',').exists(id, id.trim() == 'budget/spawner-max-concurrency'))",
    });
  });

  test('security/exclude-bot-authors admits what the check passes and refuses what it reports, an author filter included', () => {
    const rule = BUILTIN_RULES.find((r) => r.id === 'security/exclude-bot-authors')!;
    const [check] = rule.admission!(TEST_CONFIG);
    // The admission CEL reads `object`; the offline evaluator binds `self`.
    const refused = (object: unknown) =>
      check!.validations.flatMap((v) => {
        const finding = evaluateRule(
          { rule: v.expression.replaceAll('object.', 'self.'), message: v.message },
          toCelValue({}, object),
          '',
        );
        return finding ? [finding.code === 'cel/rule' ? v.message : finding.message] : [];
      });
    for (const file of ['pass', 'fail'] as const) {
      for (const doc of loadFixture(`security-exclude-bot-authors/${file}.yaml`)) {
        const reported = runPolicies([doc], { config: TEST_CONFIG, rules: [rule] }).diagnostics.length > 0;
        expect(refused(doc.object).length > 0, `${file}: ${JSON.stringify(doc.object)}`).toBe(reported);
      }
    }
  });

  test('security/pod-security admits what the check passes and refuses what it reports, as the operator floor would', () => {
    const rule = BUILTIN_RULES.find((r) => r.id === 'security/pod-security')!;
    const task = rule.admission!(TEST_CONFIG).find((c) => c.kind === 'Task')!;
    const refused = (object: unknown) =>
      task.validations.filter((v) =>
        evaluateRule(
          { rule: v.expression.replaceAll('object.', 'self.'), message: v.message },
          toCelValue({}, object),
          '',
        ),
      );
    for (const file of ['pass', 'fail'] as const) {
      for (const doc of loadFixture(`security-pod-security/${file}.yaml`)) {
        const reported = runPolicies([doc], { config: TEST_CONFIG, rules: [rule] }).diagnostics.length > 0;
        expect(refused(doc.object).length > 0, `${file}: ${JSON.stringify(doc.object['metadata'])}`).toBe(
          reported,
        );
      }
    }
  });

  test('security/service-account refuses a ServiceAccount in worker or legacy podOverrides where the check reports one, whatever a KelosConfig says', () => {
    const rule = BUILTIN_RULES.find((r) => r.id === 'security/service-account')!;
    const checks = rule.admission!(TEST_CONFIG);
    const refused = (object: Record<string, unknown>) =>
      checks
        .find((c) => c.kind === object['kind'])!
        .validations.filter((v) =>
          evaluateRule(
            { rule: v.expression.replaceAll('object.', 'self.'), message: v.message },
            toCelValue({}, object),
            '',
          ),
        );
    for (const file of ['pass', 'fail'] as const) {
      for (const doc of loadFixture(`security-service-account/${file}.yaml`)) {
        const reported = runPolicies([doc], { config: TEST_CONFIG, rules: [rule] }).diagnostics.length;
        expect(refused(doc.object).length, `${file}: ${JSON.stringify(doc.object['metadata'])}`).toBe(
          reported,
        );
        expect(reported).toBe(file === 'fail' ? 1 : 0);
      }
    }
    // The API server cannot read the KelosConfig: the message says what would let it pass.
    expect(checks.find((c) => c.kind === 'Task')!.validations).toStrictEqual([
      {
        expression:
          "!(has(object.spec.worker) && has(object.spec.worker.podOverrides) && has(object.spec.worker.podOverrides.serviceAccountName)) || object.spec.worker.podOverrides.serviceAccountName == ''",
        message:
          'the agent runs as a ServiceAccount (serviceAccountName), which the operator refuses unless KelosConfig spec.podSecurity.allowedServiceAccounts lists it',
        messageExpression:
          "'the agent runs as ServiceAccount \"' + object.spec.worker.podOverrides.serviceAccountName + '\" (serviceAccountName), its identity to the API server and, through IRSA or Workload Identity, to the cloud: the operator refuses it unless KelosConfig spec.podSecurity.allowedServiceAccounts lists it'",
      },
      {
        expression:
          "!(has(object.spec.podOverrides) && has(object.spec.podOverrides.serviceAccountName)) || object.spec.podOverrides.serviceAccountName == ''",
        message:
          'the agent runs as a ServiceAccount (serviceAccountName), which the operator refuses unless KelosConfig spec.podSecurity.allowedServiceAccounts lists it',
        messageExpression:
          "'the agent runs as ServiceAccount \"' + object.spec.podOverrides.serviceAccountName + '\" (serviceAccountName), its identity to the API server and, through IRSA or Workload Identity, to the cloud: the operator refuses it unless KelosConfig spec.podSecurity.allowedServiceAccounts lists it'",
      },
    ]);
  });

  test('budget/model-allowlist admits what the check passes (dated snapshots included) and refuses what it reports', () => {
    const rule = BUILTIN_RULES.find((r) => r.id === 'budget/model-allowlist')!;
    const checks = rule.admission!(TEST_CONFIG);
    const refused = (object: Record<string, unknown>) => {
      const check = checks.find((c) => c.kind === object['kind'])!;
      // The offline evaluator binds `self` and has no `variables`: inline them.
      const inline = (e: string) =>
        check
          .variables!.reduce((out, v) => out.replaceAll(`variables.${v.name}`, `(${v.expression})`), e)
          .replaceAll('object.', 'self.');
      return check.validations.filter((v) =>
        evaluateRule({ rule: inline(v.expression), message: v.message }, toCelValue({}, object), ''),
      );
    };
    for (const file of ['pass', 'fail'] as const) {
      for (const doc of loadFixture(`budget-model-allowlist/${file}.yaml`)) {
        const reported = runPolicies([doc], { config: TEST_CONFIG, rules: [rule] }).diagnostics.length > 0;
        expect(refused(doc.object).length > 0, `${file}: ${JSON.stringify(doc.object['metadata'])}`).toBe(
          reported,
        );
        expect(reported).toBe(file === 'fail');
      }
    }
  });

  test('the kustomization lists every policy file, and every file parses as YAML', () => {
    const files = renderAdmissionPolicies(compileAdmissionPolicies(BUILTIN_RULES, TEST_CONFIG));
    const kustomization = parse(files.get('kustomization.yaml')!);
    expect(kustomization.resources).toStrictEqual(
      [...files.keys()].filter((f) => f !== 'kustomization.yaml').sort(),
    );
    for (const [name, text] of files) {
      for (const doc of parseAllDocuments(text)) expect(doc.errors, name).toStrictEqual([]);
    }
    expect(admissionPolicyName('security/pod-security', 'TaskSpawner')).toBe(
      'kelos-security-pod-security-taskspawners',
    );
  });
});
