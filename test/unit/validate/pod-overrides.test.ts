import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { podOverrideFindings } from '../../../src/validate/pod-overrides.ts';
import { kelos } from './run-cli.ts';

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

  it('refuses a volumeMount of a volume the Pod does not have, and a mount path taken twice, as the render does', () => {
    const findings = podOverrideFindings(
      task({
        volumes: [{ name: 'cache', emptyDir: {} }],
        volumeMounts: [
          { name: 'nope', mountPath: '/x' },
          { name: 'cache', mountPath: '/cache' },
          { name: 'cache', mountPath: '/cache', subPath: 'b' },
          // The workspace volume is there only with a Workspace; kelos-… ones only the cluster knows.
          { name: 'workspace', mountPath: '/w' },
          { name: 'kelos-config', mountPath: '/c' },
        ],
        extraContainers: [{ name: 'db', volumeMounts: [{ name: 'data', mountPath: '/var/lib/db' }] }],
      }),
    );
    expect(findings.map((f) => `${f.code} ${f.path}`)).toEqual([
      'pod/volume-mount /spec/worker/podOverrides/volumeMounts/0/name',
      'pod/mount-path /spec/worker/podOverrides/volumeMounts/2/mountPath',
      'pod/volume-mount /spec/worker/podOverrides/volumeMounts/3/name',
      'pod/volume-mount /spec/worker/podOverrides/extraContainers/0/volumeMounts/0/name',
    ]);
    expect(findings.map((f) => [f.message, f.hint])).toEqual([
      [
        'volumeMount refers to volume "nope", which the Pod does not have; the operator cannot build the Task\'s Job, and the Task fails (JobRenderFailed)',
        'declare a volume named "nope" under podOverrides.volumes, or mount one the Pod has: cache',
      ],
      [
        'mountPath "/cache" is already mounted by volumeMounts[1]; a container\'s mount paths must be unique; the operator cannot build the Task\'s Job, and the Task fails (JobRenderFailed)',
        'mount each path once per container',
      ],
      [
        'volumeMount refers to volume "workspace", which the Pod does not have; the operator cannot build the Task\'s Job, and the Task fails (JobRenderFailed)',
        'the Pod has the workspace volume only when the Task names a Workspace (worker.workspaceRef)',
      ],
      [
        'volumeMount refers to volume "data", which the Pod does not have; the operator cannot build the Task\'s Job, and the Task fails (JobRenderFailed)',
        'declare a volume named "data" under podOverrides.volumes, or mount one the Pod has: cache',
      ],
    ]);
    // With a Workspace named, its volume is there to mount.
    const withWorkspace = task({ volumeMounts: [{ name: 'workspace', mountPath: '/w' }] });
    (withWorkspace.spec as Record<string, unknown>)['workspaceRef'] = { name: 'ws' };
    expect(podOverrideFindings(withWorkspace)).toEqual([]);
  });

  it("checks the mounts of a TaskSpawner's task template, each spawned Task failing", () => {
    const spawner = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      metadata: { name: 's' },
      spec: {
        when: { cron: { schedule: '@daily' } },
        taskTemplate: {
          worker: {
            workspaceRef: { name: 'ws' },
            podOverrides: { volumeMounts: [{ name: 'cache', mountPath: '/c' }] },
          },
        },
      },
    };
    const findings = podOverrideFindings(spawner);
    expect(findings.map((f) => `${f.code} ${f.path} ${f.hint}`)).toEqual([
      'pod/volume-mount /spec/taskTemplate/worker/podOverrides/volumeMounts/0/name declare a volume named "cache" under podOverrides.volumes, or mount one the Pod has: workspace',
    ]);
    expect(findings[0]?.message).toContain(
      'the operator cannot build the Jobs of its Tasks, and each Task fails (JobRenderFailed)',
    );
  });

  it('leaves other kinds alone', () => {
    const workspace = { ...task({ labels: { 'a/b/c': 'x' } }), kind: 'Workspace' };
    expect(podOverrideFindings(workspace)).toEqual([]);
  });

  it('kelos validate reports a mount of no volume in a plain YAML Task at its field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-mounts-'));
    await writeFile(
      join(dir, 't.yaml'),
      [
        'apiVersion: kelos.dev/v1alpha2',
        'kind: Task',
        'metadata: {name: a, namespace: x}',
        'spec:',
        '  type: claude-code',
        '  prompt: hi',
        '  credentials: {type: none}',
        '  podOverrides:',
        '    volumeMounts: [{name: nope, mountPath: /x}]',
        '',
      ].join('\n'),
    );
    const run = await kelos(['validate', 't.yaml'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(
      't.yaml:9:21: error Task x/a /spec/podOverrides/volumeMounts/0/name: volumeMount refers to volume "nope", which the Pod does not have; the operator cannot build the Task\'s Job, and the Task fails (JobRenderFailed) [pod/volume-mount]',
    );
  });
});
