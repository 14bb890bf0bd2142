import { describe, expect, test } from 'vitest';
import { podSecurity } from '../../../policies/security-pod-security.ts';
import { serviceAccount } from '../../../policies/security-service-account.ts';
import { runPolicies } from '../../../src/policy/engine.ts';
import { documentFromObject } from '../../../src/validate/load.ts';
import { TEST_CONFIG } from './fixtures.ts';

const REFUSED = (name: string) =>
  `the agent runs as ServiceAccount "${name}" (serviceAccountName), its identity to the API server and, through IRSA or Workload Identity, to the cloud: the operator refuses it unless KelosConfig spec.podSecurity.allowedServiceAccounts lists it`;

const task = (name: string, podOverrides: object, annotations?: Record<string, string>) => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'Task',
  metadata: { name, namespace: 'team-a', ...(annotations && { annotations }) },
  spec: { prompt: 'Fix it.', worker: { type: 'claude-code', credentials: { type: 'none' }, podOverrides } },
});
const legacyTask = (name: string, podOverrides: object) => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'Task',
  metadata: { name, namespace: 'team-a' },
  spec: { prompt: 'Fix it.', type: 'claude-code', credentials: { type: 'none' }, podOverrides },
});
const kelosConfig = (allowedServiceAccounts?: string[], name = 'kelos') => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'KelosConfig',
  metadata: { name },
  spec: { podSecurity: allowedServiceAccounts ? { allowedServiceAccounts } : {} },
});
const optOut = (rules: string) => ({
  'policy.kelos.dev/ignore': rules,
  'policy.kelos.dev/ignore-reason': 'the cluster admin lists bedrock-agent-sa',
});

const docs = (objects: readonly object[]) =>
  objects.map((o, i) => documentFromObject(o as never, 'bundle.yaml', i));
/** `rule path :: message` of each finding of the two rules, and the suppressed ones. */
const report = (
  objects: readonly object[],
  alongside: readonly object[] = [],
  besideOnly?: Map<unknown, string>,
) => {
  const r = runPolicies(docs(objects), {
    config: TEST_CONFIG,
    rules: [podSecurity, serviceAccount],
    alongside,
    ...(besideOnly && { besideOnly }),
  });
  return {
    findings: r.diagnostics.map((d) => `${d.code} ${d.path} :: ${d.message}`),
    suppressed: r.suppressions.map((s) => `${s.rule} ${s.resource.name}`),
  };
};

describe('security/service-account', () => {
  test('a serviceAccountName is an error at worker.podOverrides, and security/pod-security says nothing of it', () => {
    expect(report([task('irsa', { serviceAccountName: 'bedrock-agent-sa' })]).findings).toStrictEqual([
      `security/service-account /spec/worker/podOverrides/serviceAccountName :: ${REFUSED('bedrock-agent-sa')}`,
    ]);
  });

  test('the legacy top-level podOverrides is read too, at its own path', () => {
    expect(report([legacyTask('irsa', { serviceAccountName: 'bedrock-agent-sa' })]).findings).toStrictEqual([
      `security/service-account /spec/podOverrides/serviceAccountName :: ${REFUSED('bedrock-agent-sa')}`,
    ]);
  });

  test('an opt-out of security/pod-security no longer silences it', () => {
    const r = report([
      task('irsa', { serviceAccountName: 'bedrock-agent-sa' }, optOut('security/pod-security')),
    ]);
    expect(r.findings).toStrictEqual([
      `security/service-account /spec/worker/podOverrides/serviceAccountName :: ${REFUSED('bedrock-agent-sa')}`,
    ]);
  });

  test('an opt-out of security/service-account silences it and leaves a privileged container reported', () => {
    const r = report([
      task(
        'irsa',
        { serviceAccountName: 'bedrock-agent-sa', containerSecurityContext: { privileged: true } },
        optOut('security/service-account'),
      ),
    ]);
    expect(r).toStrictEqual({
      findings: [
        'security/pod-security /spec/worker/podOverrides/containerSecurityContext/privileged :: the agent container is privileged',
      ],
      suppressed: ['security/service-account irsa'],
    });
  });

  test('a KelosConfig kelos of the bundle that lists the ServiceAccount lets it pass, with no opt-out', () => {
    expect(
      report([
        kelosConfig(['other-sa', 'bedrock-agent-sa']),
        task('irsa', { serviceAccountName: 'bedrock-agent-sa' }),
      ]),
    ).toStrictEqual({ findings: [], suppressed: [] });
  });

  test('a KelosConfig kelos of the bundle that does not list it is named, with what it lists', () => {
    expect(
      report([kelosConfig(['other-sa', 'ci-sa']), task('irsa', { serviceAccountName: 'bedrock-agent-sa' })])
        .findings,
    ).toStrictEqual([
      `security/service-account /spec/worker/podOverrides/serviceAccountName :: ${REFUSED('bedrock-agent-sa')}, and KelosConfig "kelos" of this bundle lists "other-sa", "ci-sa" but not it`,
    ]);
    expect(
      report([kelosConfig(), task('irsa', { serviceAccountName: 'bedrock-agent-sa' })]).findings,
    ).toStrictEqual([
      `security/service-account /spec/worker/podOverrides/serviceAccountName :: ${REFUSED('bedrock-agent-sa')}, and KelosConfig "kelos" of this bundle lists none`,
    ]);
  });

  test('the hint of a finding against a KelosConfig of the bundle names the list to add it to', () => {
    const r = runPolicies(docs([kelosConfig([]), task('irsa', { serviceAccountName: 'bedrock-agent-sa' })]), {
      config: TEST_CONFIG,
      rules: [serviceAccount],
    });
    expect(r.diagnostics.map((d) => d.hint)).toStrictEqual([
      'Add "team-a/bedrock-agent-sa" to spec.podSecurity.allowedServiceAccounts of KelosConfig kelos, or leave serviceAccountName unset.',
    ]);
  });

  test('an entry namespace/name grants the ServiceAccount in that namespace only, as the floor reads it', () => {
    const irsa = task('irsa', { serviceAccountName: 'bedrock-agent-sa' });
    expect(report([kelosConfig(['team-a/bedrock-agent-sa']), irsa]).findings).toStrictEqual([]);
    expect(report([kelosConfig(['team-b/bedrock-agent-sa']), irsa]).findings).toStrictEqual([
      `security/service-account /spec/worker/podOverrides/serviceAccountName :: ${REFUSED('bedrock-agent-sa')}, and KelosConfig "kelos" of this bundle lists "team-b/bedrock-agent-sa" but not it`,
    ]);
  });

  test('a KelosConfig of another name is not the one the operator reads, so it grants nothing', () => {
    expect(
      report([
        kelosConfig(['bedrock-agent-sa'], 'staging'),
        task('irsa', { serviceAccountName: 'bedrock-agent-sa' }),
      ]).findings,
    ).toStrictEqual([
      `security/service-account /spec/worker/podOverrides/serviceAccountName :: ${REFUSED('bedrock-agent-sa')}`,
    ]);
  });

  test('a KelosConfig kelos deployed beside the bundle is read as the cluster will hold it', () => {
    const irsa = task('irsa', { serviceAccountName: 'bedrock-agent-sa' });
    expect(report([irsa], [kelosConfig(['bedrock-agent-sa'])]).findings).toStrictEqual([]);
    const config = kelosConfig(['ci-sa']);
    expect(report([irsa], [config]).findings).toStrictEqual([
      `security/service-account /spec/worker/podOverrides/serviceAccountName :: ${REFUSED('bedrock-agent-sa')}, and KelosConfig "kelos" deployed beside this bundle lists "ci-sa" but not it`,
    ]);
    expect(
      report([irsa], [config], new Map([[config, 'dist/platform/kelosconfig-kelos.yaml:1']])).findings,
    ).toStrictEqual([
      `security/service-account /spec/worker/podOverrides/serviceAccountName :: ${REFUSED('bedrock-agent-sa')}, and KelosConfig "kelos" deployed beside this bundle (dist/platform/kelosconfig-kelos.yaml:1) lists "ci-sa" but not it`,
    ]);
  });
});
