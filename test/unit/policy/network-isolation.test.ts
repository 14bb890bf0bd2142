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
const diagnostics = (objects: object[]) =>
  runPolicies(
    objects.map((o, i) => documentFromObject(o as never, 'bundle.yaml', i)),
    { config: TEST_CONFIG, rules: [networkIsolation] },
  ).diagnostics;
const RANGES = { podCIDRs: ['10.0.0.0/16'], serviceCIDRs: ['10.96.0.0/12'], nodeCIDRs: ['192.168.0.0/24'] };

describe('security/network-isolation', () => {
  test('the admin’s opt-out is reported once per namespace that runs agents, naming them', () => {
    expect(
      messages([
        config({ enabled: false, ...RANGES }),
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

  test('cluster ranges left unset are a warning naming them, with the operator’s reason', () => {
    const [d, ...rest] = diagnostics([config({ podCIDRs: ['10.0.0.0/16'] })]);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      severity: 'warning',
      path: '/spec/networkIsolation',
      resource: { kind: 'KelosConfig', name: 'kelos' },
      message:
        "agent NetworkPolicies leave cluster ranges open: spec.networkIsolation.serviceCIDRs, spec.networkIsolation.nodeCIDRs are not set; agent Pods may reach the cluster's Services, nodes on their egress ports (443 unless egressPorts says otherwise): set the cluster's ranges in the KelosConfig",
      hint: "Set serviceCIDRs, nodeCIDRs under KelosConfig spec.networkIsolation to the cluster's ranges.",
    });
  });

  test('without spec.networkIsolation, all three ranges are named at the object; with all set, or isolation off, none', () => {
    const bare = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'KelosConfig',
      metadata: { name: 'kelos' },
      spec: {},
    };
    expect(messages([bare])).toEqual([
      " :: agent NetworkPolicies leave cluster ranges open: spec.networkIsolation.podCIDRs, spec.networkIsolation.serviceCIDRs, spec.networkIsolation.nodeCIDRs are not set; agent Pods may reach the cluster's Pods, Services, nodes on their egress ports (443 unless egressPorts says otherwise): set the cluster's ranges in the KelosConfig",
    ]);
    expect(messages([config(RANGES)])).toEqual([]);
    expect(messages([config({ enabled: false })])).toEqual([]);
  });
});
