/**
 * Issue 9, finding 3: the operator enforces a pod security floor on the Pod it would create,
 * whatever the Task's podOverrides say; only the admin's KelosConfig relaxes it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KelosConfig, Task } from '../../../src/api/index.ts';
import { runCli } from '../../../src/cli/program.ts';
import { DEFAULT_FLOOR, resolveAdminConfig } from '../../../src/operator/admin-config.ts';
import { checkPodFloor } from '../../../src/operator/pod-security.ts';
import { repoCredentialProblem } from '../../../src/operator/repo-credentials.ts';
import { newTask, startTaskOperator, type TaskOperator } from '../../support/task-operator.ts';

const worker = (podOverrides: Record<string, unknown>) =>
  ({ worker: { type: 'claude-code', credentials: { type: 'none' }, podOverrides } }) as Partial<Task['spec']>;

let op: TaskOperator | undefined;
afterEach(async () => {
  await op?.stop();
  op = undefined;
});

describe('pod security floor in the Task reconciler', () => {
  it.each([
    {
      what: 'a privileged agent',
      overrides: { containerSecurityContext: { privileged: true } },
      field: 'spec.containers[kelos-agent].securityContext.privileged: privileged containers are not allowed',
    },
    {
      what: 'runAsUser 0',
      overrides: { podSecurityContext: { runAsUser: 0, runAsNonRoot: false } },
      field: 'spec.securityContext.runAsUser: running as UID 0 is not allowed',
    },
    {
      what: 'a hostPath of /',
      overrides: { volumes: [{ name: 'host', hostPath: { path: '/' } }] },
      field: 'spec.volumes[host].hostPath.path: hostPath "/" is not under podSecurity.allowedHostPaths',
    },
    {
      what: 'an extra container that escalates',
      overrides: {
        extraContainers: [
          { name: 'side', image: 'busybox', securityContext: { allowPrivilegeEscalation: true } },
        ],
      },
      field: 'spec.containers[side].securityContext.allowPrivilegeEscalation: must be false',
    },
    {
      what: 'an added capability',
      overrides: { containerSecurityContext: { capabilities: { add: ['NET_ADMIN'] } } },
      field: 'capability NET_ADMIN is not in podSecurity.allowedCapabilities',
    },
    {
      what: 'a ServiceAccount the admin did not allow',
      overrides: { serviceAccountName: 'cluster-admin-sa' },
      field:
        'spec.serviceAccountName: ServiceAccount "cluster-admin-sa" is not in podSecurity.allowedServiceAccounts (a cluster admin lists there the ServiceAccounts agents may run as, e.g. for IRSA or Workload Identity, as "team/cluster-admin-sa" or, for every namespace, "cluster-admin-sa"; it lists none now)',
    },
    {
      what: 'a projected service account token without an allowed ServiceAccount',
      overrides: {
        volumes: [
          {
            name: 'sa-token',
            projected: { sources: [{ serviceAccountToken: { path: 'token', audience: 'vault' } }] },
          },
        ],
        volumeMounts: [{ name: 'sa-token', mountPath: '/var/run/secrets/tokens' }],
      },
      field:
        'spec.volumes[sa-token].projected.sources.serviceAccountToken: a service account token needs a ServiceAccount from podSecurity.allowedServiceAccounts',
    },
  ])(
    'fails a Task asking for $what with PodSecurityViolation naming the field, without a Job',
    async ({ overrides, field }) => {
      op = await startTaskOperator();
      await op.create('Task', newTask('bad', worker(overrides)));
      const status = op.task('bad')?.status;
      expect(status?.phase).toBe('Failed');
      expect(status?.message).toContain(field);
      expect(op.job('bad')).toBeUndefined();
      expect(op.events('bad').join('\n')).toContain('PodSecurityViolation');
    },
  );

  it('runs what the admin allowed in KelosConfig spec.podSecurity', async () => {
    const config: KelosConfig = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'KelosConfig',
      metadata: { name: 'kelos' },
      spec: { podSecurity: { allowedServiceAccounts: ['builder'], allowedHostPaths: ['/var/cache/tools'] } },
    };
    op = await startTaskOperator({ reconciler: { admin: () => resolveAdminConfig(config) } });
    await op.create(
      'Task',
      newTask(
        'ok',
        worker({
          serviceAccountName: 'builder',
          volumes: [
            { name: 'tools', hostPath: { path: '/var/cache/tools/node' } },
            { name: 'sa-token', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
          ],
        }),
      ),
    );
    expect(op.job('ok')).toBeDefined();
  });

  it('runs extra containers that say nothing, because the render hardens them', async () => {
    op = await startTaskOperator();
    await op.create(
      'Task',
      newTask('side', worker({ extraContainers: [{ name: 'redis', image: 'redis:7' }] })),
    );
    expect(op.job('side')).toBeDefined();
  });
});

describe('checkPodFloor', () => {
  it('grants a ServiceAccount listed by name in every namespace, and one listed as namespace/name in that namespace only', () => {
    const spec = { serviceAccountName: 'bedrock-agent', containers: [{ name: 'agent' }] };
    const fields = (allowed: string[], namespace: string) =>
      checkPodFloor(spec, { ...DEFAULT_FLOOR, allowedServiceAccounts: allowed }, namespace)
        .map((v) => v.field)
        .filter((f) => f.startsWith('spec.serviceAccountName'));
    expect(fields(['bedrock-agent'], 'team-a')).toEqual([]);
    expect(fields(['team-a/bedrock-agent'], 'team-a')).toEqual([]);
    expect(fields(['team-a/bedrock-agent'], 'team-b')).toEqual(['spec.serviceAccountName']);
    expect(fields(['team-a/other', 'bedrock'], 'team-a')).toEqual(['spec.serviceAccountName']);
  });

  it('names what the allowlist holds now when it refuses a ServiceAccount', () => {
    const spec = { serviceAccountName: 'builder', containers: [{ name: 'agent' }] };
    const [refusal] = checkPodFloor(
      spec,
      { ...DEFAULT_FLOOR, allowedServiceAccounts: ['team-b/builder', 'bedrock'] },
      'team-a',
    );
    expect(refusal).toStrictEqual({
      field: 'spec.serviceAccountName',
      message:
        'ServiceAccount "builder" is not in podSecurity.allowedServiceAccounts (a cluster admin lists there the ServiceAccounts agents may run as, e.g. for IRSA or Workload Identity, as "team-a/builder" or, for every namespace, "builder"; it lists "team-b/builder", "bedrock" now)',
    });
  });

  it('judges hostPath after normalizing .. segments', () => {
    const spec = {
      containers: [],
      volumes: [{ name: 'v', hostPath: { path: '/var/cache/tools/../../../etc' } }],
    };
    expect(checkPodFloor(spec, { ...DEFAULT_FLOOR, allowedHostPaths: ['/var/cache/tools'] })).toEqual([
      {
        field: 'spec.volumes[v].hostPath.path',
        message: 'hostPath "/var/cache/tools/../../../etc" is not under podSecurity.allowedHostPaths',
      },
    ]);
  });
  it('refuses volume types the node mounts unless the admin allows them; the restricted ones pass', () => {
    const spec = {
      containers: [],
      volumes: [
        { name: 'cache', nfs: { server: '10.0.0.5', path: '/exports' } },
        { name: 'repo', gitRepo: { repository: 'https://example.com/r.git' } },
        { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
        { name: 'tmp', emptyDir: {} },
        { name: 'token', projected: { sources: [] } },
      ],
    };
    expect(checkPodFloor(spec, DEFAULT_FLOOR)).toEqual([
      {
        field: 'spec.volumes[cache].nfs',
        message:
          'volume type nfs is not allowed: the node mounts it (podSecurity.allowedVolumeTypes; the restricted Pod Security Standard allows configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret)',
      },
      expect.objectContaining({ field: 'spec.volumes[repo].gitRepo' }),
    ]);
    expect(
      checkPodFloor(spec, { ...DEFAULT_FLOOR, allowedVolumeTypes: ['nfs'] }).map((v) => v.field),
    ).toEqual(['spec.volumes[repo].gitRepo']);
  });
  it('allowedVolumeTypes takes only the volume types the floor refuses: a misspelling is a located error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-floor-'));
    writeFileSync(
      join(dir, 'kelos-config.yaml'),
      'apiVersion: kelos.dev/v1alpha2\nkind: KelosConfig\nmetadata: {name: kelos}\nspec:\n  podSecurity: {allowedVolumeTypes: [nfss, nfs]}\n',
    );
    let out = '';
    const code = await runCli(['validate', 'kelos-config.yaml'], {
      stdout: (t) => {
        out += t;
      },
      stderr: () => {},
      cwd: dir,
      isTTY: false,
      env: {},
      readStdin: async () => '',
    });
    expect(code).toBe(2);
    expect(out).toContain(
      'kelos-config.yaml:5:38: error KelosConfig kelos /spec/podSecurity/allowedVolumeTypes/0: must be one of "awsElasticBlockStore"',
    );
    expect(out).toContain('got "nfss"; did you mean "nfs"? [schema/enum]');
    expect(out).toContain('1 object, 1 error');
  });
  it('refuses Unconfined AppArmor and an Unmasked /proc, as it refuses Unconfined seccomp', () => {
    const spec = {
      securityContext: { appArmorProfile: { type: 'Unconfined' } },
      containers: [
        {
          name: 'kelos-agent',
          securityContext: {
            allowPrivilegeEscalation: false,
            appArmorProfile: { type: 'Unconfined' },
            procMount: 'Unmasked',
          },
        },
      ],
    };
    expect(checkPodFloor(spec, DEFAULT_FLOOR).map((v) => v.field)).toEqual([
      'spec.securityContext.appArmorProfile.type',
      'spec.containers[kelos-agent].securityContext.appArmorProfile.type',
      'spec.containers[kelos-agent].securityContext.procMount',
    ]);
    expect(checkPodFloor(spec, { ...DEFAULT_FLOOR, allowPrivileged: true })).toEqual([]);
  });
  it("refuses the rest of the Pod Security Standards' baseline: SELinux, sysctls, host ports, host processes", () => {
    const spec = {
      securityContext: {
        seLinuxOptions: { type: 'spc_t' },
        sysctls: [
          { name: 'net.ipv4.tcp_syncookies', value: '1' },
          { name: 'kernel.msgmax', value: '65536' },
        ],
      },
      containers: [
        {
          name: 'kelos-agent',
          securityContext: {
            allowPrivilegeEscalation: false,
            seLinuxOptions: { type: 'container_t', role: 'sysadm_r' },
          },
          ports: [{ containerPort: 8080 }, { containerPort: 22, hostPort: 2222 }],
        },
        {
          name: 'helper',
          securityContext: { allowPrivilegeEscalation: false, windowsOptions: { hostProcess: true } },
        },
      ],
    };
    expect(checkPodFloor(spec, DEFAULT_FLOOR)).toEqual([
      {
        field: 'spec.securityContext.seLinuxOptions.type',
        message:
          'SELinux type "spc_t" is not a container type (container_t, container_init_t, container_kvm_t, container_engine_t; podSecurity.allowPrivileged)',
      },
      {
        field: 'spec.securityContext.sysctls',
        message: 'sysctl kernel.msgmax is not in the safe set (podSecurity.allowPrivileged)',
      },
      {
        field: 'spec.containers[kelos-agent].securityContext.seLinuxOptions.role',
        message: 'an SELinux role is not allowed (podSecurity.allowPrivileged)',
      },
      {
        field: 'spec.containers[kelos-agent].ports.hostPort',
        message: 'host port 2222 is not allowed (podSecurity.allowHostNamespaces)',
      },
      {
        field: 'spec.containers[helper].securityContext.windowsOptions.hostProcess',
        message: 'Windows host processes are not allowed (podSecurity.allowPrivileged)',
      },
    ]);
    expect(
      checkPodFloor(spec, { ...DEFAULT_FLOOR, allowPrivileged: true, allowHostNamespaces: true }),
    ).toEqual([]);
  });
  it('refuses host namespaces and Unconfined seccomp', () => {
    const spec = {
      hostNetwork: true,
      hostPID: true,
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [],
    };
    expect(checkPodFloor(spec, DEFAULT_FLOOR).map((v) => v.field)).toEqual([
      'spec.hostNetwork',
      'spec.hostPID',
      'spec.securityContext.seccompProfile.type',
    ]);
  });
});

describe('Workspace repo URLs with credentials (issue 9, #8)', () => {
  it('fails the Task without a Job, and never echoes the token', async () => {
    op = await startTaskOperator();
    await op.create('Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'leaky' },
      spec: { repo: 'https://x-access-token:ghp_SECRET123@github.com/org/repo.git' },
    });
    await op.create(
      'Task',
      newTask('t', {
        worker: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: 'leaky' } },
      } as Partial<Task['spec']>),
    );
    const status = op.task('t')?.status;
    expect(status?.phase).toBe('Failed');
    expect(status?.message).toContain('/spec/repo: the repo URL embeds credentials');
    expect(JSON.stringify(op.task('t'))).not.toContain('ghp_SECRET123');
    expect(op.job('t')).toBeUndefined();
  });

  it('uses the rule of the CRD and the validator', () => {
    expect(repoCredentialProblem('https://ghp_abc@github.com/o/r.git')).toContain('embeds credentials');
    expect(repoCredentialProblem('https://u:p@github.com/o/r.git')).toContain('embeds credentials');
    expect(repoCredentialProblem('https://github.com/o/r.git')).toBeUndefined();
    expect(repoCredentialProblem('git@github.com:o/r.git')).toBeUndefined();
  });
});
