import { describe, expect, test } from 'vitest';
import { networkIsolation } from '../../../policies/security-network-isolation.ts';
import { runPolicies } from '../../../src/policy/engine.ts';
import { documentFromObject } from '../../../src/validate/load.ts';
import { TEST_CONFIG } from './fixtures.ts';

const config = (networkIsolation: object) => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'KelosConfig',
  metadata: { name: 'kelos' },
  spec: { networkIsolation },
});
const agent = (kind: string, name: string, namespace: string) => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind,
  metadata: { name, namespace },
  spec: {},
});
const messages = (objects: object[]) =>
  runPolicies(
    objects.map((o, i) => documentFromObject(o as never, 'bundle.yaml', i)),
    { config: TEST_CONFIG, rules: [networkIsolation] },
  ).diagnostics.map((d) => `${d.path} :: ${d.message}`);

describe('security/network-isolation', () => {
  test('the admin’s opt-out is reported once per namespace that runs agents, naming them', () => {
    expect(
      messages([
        config({ enabled: false }),
        agent('Task', 'fix', 'team-a'),
        agent('TaskSpawner', 'nightly', 'team-a'),
        agent('Task', 'docs', 'team-b'),
      ]),
    ).toEqual([
      '/spec/networkIsolation/enabled :: namespace team-a runs agents (Task fix, TaskSpawner nightly) without network isolation: networkIsolation.enabled is false, so they can reach every Pod and Service of the cluster',
      '/spec/networkIsolation/enabled :: namespace team-b runs agents (Task docs) without network isolation: networkIsolation.enabled is false, so they can reach every Pod and Service of the cluster',
    ]);
  });

  test('without a KelosConfig in the bundle there is nothing to judge (isolation is the default)', () => {
    expect(messages([agent('Task', 'fix', 'team-a')])).toEqual([]);
  });

  test('an opt-out where no agent runs is not reported', () => {
    expect(messages([config({ enabled: false }), agent('Workspace', 'repo', 'team-a')])).toEqual([]);
  });
});
