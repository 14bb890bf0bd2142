import { describe, expect, it } from 'vitest';
import { podOverrideFindings } from '../../../src/validate/pod-overrides.ts';

const task = (podOverrides: unknown, where: 'worker' | 'legacy' = 'worker') => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'Task',
  metadata: { name: 't' },
  spec:
    where === 'worker'
      ? { prompt: 'p', worker: { type: 'claude-code', podOverrides } }
      : { prompt: 'p', type: 'claude-code', podOverrides },
});

describe('podOverrideFindings', () => {
  it('finds nothing in values the API server takes on a Pod', () => {
    const findings = podOverrideFindings(
      task({
        labels: { 'example.com/team': 'web', empty: '' },
        nodeSelector: { 'kubernetes.io/arch': 'arm64' },
        resources: {
          requests: { cpu: '500m', memory: '2Gi', 'nvidia.com/gpu': '1', 'hugepages-2Mi': '0' },
          limits: { cpu: '1', memory: '2048Mi', 'nvidia.com/gpu': 1 },
        },
        extraContainers: [{ name: 'db', resources: { requests: { cpu: '1' } } }],
      }),
    );
    expect(findings).toEqual([]);
  });

  it('points at each bad value, in extra containers and in the deprecated place too', () => {
    const findings = podOverrideFindings(
      task(
        {
          labels: { 'a/b/c': 'x', ok: 'y'.repeat(64) },
          extraInitContainers: [
            { name: 'seed', resources: { requests: { cpu: '2' }, limits: { cpu: '1500m' } } },
          ],
        },
        'legacy',
      ),
    );
    expect(findings.map((f) => `${f.code} ${f.path}`)).toEqual([
      'pod/label-key /spec/podOverrides/labels/a~1b~1c',
      'pod/label-value /spec/podOverrides/labels/ok',
      'pod/request-above-limit /spec/podOverrides/extraInitContainers/0/resources/requests/cpu',
    ]);
    expect(findings[2]?.message).toBe(
      'the cpu request 2 is above its limit 1500m; the API server accepts the Task but refuses its Job, and the Task fails (JobRejected)',
    );
  });

  it('checks resource names, signs and extended resources as the API server checks a container', () => {
    const findings = podOverrideFindings(
      task({
        nodeSelector: { [`${'a'.repeat(254)}/zone`]: 'x' },
        resources: {
          requests: { memry: '1Gi', cpu: '-1', 'nvidia.com/gpu': '1', 'example.com/fpga': '2' },
          limits: { 'example.com/fpga': '1' },
        },
      }),
    );
    expect(findings.map((f) => `${f.code} ${f.path}`)).toEqual([
      `pod/label-key /spec/worker/podOverrides/nodeSelector/${'a'.repeat(254)}~1zone`,
      'pod/resource-name /spec/worker/podOverrides/resources/requests/memry',
      'pod/resource-quantity /spec/worker/podOverrides/resources/requests/cpu',
      'pod/request-above-limit /spec/worker/podOverrides/resources/requests/nvidia.com~1gpu',
      'pod/request-above-limit /spec/worker/podOverrides/resources/requests/example.com~1fpga',
    ]);
    expect(findings[3]?.message).toContain(
      'the nvidia.com/gpu request 1 has no limit; an extended resource cannot be overcommitted',
    );
    expect(findings[4]?.message).toContain('the example.com/fpga request 2 differs from its limit 1');
  });

  it('leaves other kinds alone', () => {
    const workspace = { ...task({ labels: { 'a/b/c': 'x' } }), kind: 'Workspace' };
    expect(podOverrideFindings(workspace)).toEqual([]);
  });
});
