import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateDocuments } from '../../../src/validate/index.ts';
import { documentFromObject } from '../../../src/validate/load.ts';
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
          // The workspace volume is there only with a Workspace, kelos-config only with AgentConfigs or a Workspace.
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
      'pod/volume-mount /spec/worker/podOverrides/volumeMounts/4/name',
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
        'the Pod has volume "workspace" only when the Task names a Workspace (workspaceRef)',
      ],
      [
        'volumeMount refers to volume "kelos-config", which the Pod does not have; the operator cannot build the Task\'s Job, and the Task fails (JobRenderFailed)',
        'the Pod has volume "kelos-config" only when the Task\'s AgentConfigs have agentsMD, MCP servers or plugin files, or its Workspace has files',
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
      'pod/volume-mount /spec/taskTemplate/worker/podOverrides/volumeMounts/0/name declare a volume named "cache" under podOverrides.volumes, or mount one the Pod has: workspace, kelos-tmp',
    ]);
    expect(findings[0]?.message).toContain(
      'the operator cannot build the Jobs of its Tasks, and each Task fails (JobRenderFailed)',
    );
  });

  it("kelos validate reports a toleration and an affinity the API server refuses in a Job's Pod, at their fields, in a Task and a TaskSpawner's template", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-scheduling-'));
    const overrides = [
      '      tolerations:',
      '        - {operator: Exists, value: b, effect: NoSchedul}',
      '      affinity:',
      '        nodeAffinity:',
      '          requiredDuringSchedulingIgnoredDuringExecution:',
      '            nodeSelectorTerms: []',
    ];
    await writeFile(
      join(dir, 't.yaml'),
      [
        'apiVersion: kelos.dev/v1alpha2',
        'kind: Task',
        'metadata: {name: a}',
        'spec:',
        '  prompt: hi',
        '  worker:',
        '    type: claude-code',
        '    credentials: {type: none}',
        '    podOverrides:',
        ...overrides,
        '---',
        'apiVersion: kelos.dev/v1alpha2',
        'kind: TaskSpawner',
        'metadata: {name: s}',
        'spec:',
        '  when: {cron: {schedule: "0 * * * *"}}',
        '  taskTemplate:',
        '    type: claude-code',
        '    credentials: {type: none}',
        '    podOverrides:',
        ...overrides,
        '',
      ].join('\n'),
    );
    const run = await kelos(['validate', '--format', 'json', 't.yaml'], { cwd: dir });
    const { diagnostics } = JSON.parse(run.stdout) as {
      diagnostics: Array<{ code: string; path: string; message: string }>;
    };
    const job = 'the API server accepts the Task but refuses its Job, and the Task fails (JobRejected)';
    expect(diagnostics.map((d) => [d.code, d.path, d.message])).toStrictEqual([
      [
        'pod/toleration',
        '/spec/worker/podOverrides/tolerations/0/value',
        `podOverrides.tolerations[0]: value must be empty when operator is Exists; ${job}`,
      ],
      [
        'pod/toleration',
        '/spec/worker/podOverrides/tolerations/0/effect',
        `podOverrides.tolerations[0]: effect must be NoSchedule, PreferNoSchedule or NoExecute; got "NoSchedul"; ${job}`,
      ],
      [
        'pod/affinity',
        '/spec/worker/podOverrides/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms',
        `podOverrides.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms must have at least one node selector term; ${job}`,
      ],
      [
        'pod/toleration',
        '/spec/taskTemplate/podOverrides/tolerations/0/value',
        expect.stringContaining('JobRejected'),
      ],
      [
        'pod/toleration',
        '/spec/taskTemplate/podOverrides/tolerations/0/effect',
        expect.stringContaining('NoSchedul'),
      ],
      [
        'pod/affinity',
        '/spec/taskTemplate/podOverrides/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms',
        expect.stringContaining('refuses the Jobs of its Tasks'),
      ],
    ]);
    expect(run.code).toBe(2);
  });

  it('reports label keys and values the API server refuses in tolerations and affinity, at each key', () => {
    const q =
      "a qualified name: an optional DNS subdomain prefix and '/', then at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character";
    const v =
      "a label value: empty, or at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character";
    const findings = podOverrideFindings(
      task({
        tolerations: [
          { key: 'gpu type', operator: 'Exists' },
          { key: 'example.com/gpu', operator: 'Exists' },
        ],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'zone!', operator: 'In', values: ['any value'] }] },
              ],
            },
          },
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              {
                topologyKey: 'kubernetes.io/host name',
                matchLabelKeys: ['pod-template-hash', '-bad'],
                labelSelector: {
                  matchLabels: { operator: 'In', 'app name': 'x', tier: 'web tier' },
                  matchExpressions: [{ key: 'app', operator: 'In', values: ['ok', 'not ok'] }],
                },
              },
            ],
          },
        },
      }),
    );
    const at = '/spec/worker/podOverrides';
    const term = `${at}/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/0`;
    const job = '; the API server accepts the Task but refuses its Job, and the Task fails (JobRejected)';
    expect(findings.map((f) => [f.code, f.path, f.message.replace(job, '')])).toStrictEqual([
      [
        'pod/toleration',
        `${at}/tolerations/0/key`,
        `podOverrides.tolerations[0]: key must be ${q}; got "gpu type"`,
      ],
      [
        'pod/affinity',
        `${at}/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchExpressions/0/key`,
        `podOverrides.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key must be ${q}; got "zone!"`,
      ],
      [
        'pod/affinity',
        `${term}/topologyKey`,
        `podOverrides.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey must be ${q}; got "kubernetes.io/host name"`,
      ],
      [
        'pod/affinity',
        `${term}/matchLabelKeys/1`,
        `podOverrides.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys[1] must be ${q}; got "-bad"`,
      ],
      [
        'pod/affinity',
        `${term}/labelSelector/matchLabels/app name`,
        `podOverrides.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels["app name"] must be ${q}; got "app name"`,
      ],
      [
        'pod/affinity',
        `${term}/labelSelector/matchLabels/tier`,
        `podOverrides.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels.tier must be ${v}; got "web tier"`,
      ],
      [
        'pod/affinity',
        `${term}/labelSelector/matchExpressions/0/values/1`,
        `podOverrides.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].values[1] must be ${v}; got "not ok"`,
      ],
    ]);
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

describe('podOverrides volumeMounts against the built-in volumes', () => {
  /** A Task whose worker has these fields besides its type, and the podOverrides' mounts. */
  const taskWith = (worker: Record<string, unknown>, volumeMounts: unknown[]) => ({
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'Task',
    metadata: { name: 't', namespace: 'team' },
    spec: { prompt: 'p', worker: { type: 'claude-code', ...worker, podOverrides: { volumeMounts } } },
  });
  const codes = (findings: readonly { code: string; path: string }[]) =>
    findings
      .filter((f) => f.code.startsWith('pod/'))
      .map((f) => `${f.code} ${f.path.replace('/spec/worker/podOverrides/', '')}`);

  it('refuses, without a Workspace or AgentConfigs, every built-in volume the Pod then lacks', () => {
    const findings = podOverrideFindings(
      taskWith({}, [
        { name: 'kelos-github-token', mountPath: '/a' },
        { name: 'kelos-plugin', mountPath: '/b' },
        { name: 'kelos-tmp', mountPath: '/c' },
        { name: 'kelos-mcp-0-env', mountPath: '/d' },
        { name: 'kelos-cache', mountPath: '/e' },
      ]),
    );
    expect(codes(findings)).toEqual([
      'pod/volume-mount volumeMounts/0/name',
      'pod/volume-mount volumeMounts/1/name',
      'pod/volume-mount volumeMounts/2/name',
      'pod/volume-mount volumeMounts/3/name',
      'pod/volume-mount volumeMounts/4/name',
    ]);
    expect(findings[0]?.message).toBe(
      'volumeMount refers to volume "kelos-github-token", which the Pod does not have; the operator cannot build the Task\'s Job, and the Task fails (JobRenderFailed)',
    );
    expect(findings[0]?.hint).toBe(
      'the Pod has volume "kelos-github-token" only when the Task names a Workspace that has credentials (the Workspace\'s secretRef)',
    );
    expect(findings[4]?.hint).toBe('declare a volume named "kelos-cache" under podOverrides.volumes');
  });

  it('refuses a mount over a built-in mount path, naming the volume mounted there', () => {
    const findings = podOverrideFindings(
      taskWith({ workspaceRef: { name: 'ws' } }, [
        { name: 'workspace', mountPath: '/workspace' },
        { name: 'workspace', mountPath: '/dev/termination-log', subPath: 'x' },
        { name: 'workspace', mountPath: '/workspace/cache', subPath: 'cache' },
      ]),
    );
    expect(codes(findings)).toEqual([
      'pod/mount-path volumeMounts/0/mountPath',
      'pod/mount-path volumeMounts/1/mountPath',
    ]);
    expect(findings.map((f) => [f.message, f.hint])).toEqual([
      [
        'mountPath "/workspace" is used by a built-in mount; the operator cannot build the Task\'s Job, and the Task fails (JobRenderFailed)',
        'the operator mounts volume "workspace" at /workspace; mount at another path',
      ],
      [
        'mountPath "/dev/termination-log" is used by a built-in mount; the operator cannot build the Task\'s Job, and the Task fails (JobRenderFailed)',
        "the operator mounts the agent's termination message at /dev/termination-log; mount at another path",
      ],
    ]);
  });

  it('compares mount paths cleaned, as the container runtime mounts them, quoting what the user wrote', () => {
    const findings = podOverrideFindings(
      taskWith({ workspaceRef: { name: 'ws' } }, [
        { name: 'workspace', mountPath: '/workspace/', subPath: 'x' },
        { name: 'workspace', mountPath: '/cache', subPath: 'a' },
        { name: 'workspace', mountPath: '//cache/.', subPath: 'b' },
        { name: 'workspace', mountPath: '/cache/sub/', subPath: 'c' },
      ]),
    );
    expect(codes(findings)).toEqual([
      'pod/mount-path volumeMounts/0/mountPath',
      'pod/mount-path volumeMounts/2/mountPath',
    ]);
    expect(findings.map((f) => [f.message, f.hint])).toEqual([
      [
        'mountPath "/workspace/" is the same path as the built-in mount at "/workspace": the API server compares the strings and lets it pass, but the container runtime cleans the path and mounts this volume over the built-in one; the operator cannot build the Task\'s Job, and the Task fails (JobRenderFailed)',
        'the operator mounts volume "workspace" at /workspace; mount at another path',
      ],
      [
        'mountPath "//cache/." is the same path as "/cache" of volumeMounts[1]: the API server compares the strings and lets it pass, but the container runtime cleans both to "/cache"; a container\'s mount paths must be unique; the operator cannot build the Task\'s Job, and the Task fails (JobRenderFailed)',
        'mount each path once per container',
      ],
    ]);
  });

  it('stays silent on what depends on a Workspace or AgentConfigs outside the bundle', () => {
    const task = taskWith({ workspaceRef: { name: 'ws' }, agentConfigRefs: [{ name: 'cfg' }] }, [
      { name: 'kelos-github-token', mountPath: '/a' },
      { name: 'kelos-config', mountPath: '/b' },
      { name: 'kelos-plugin', mountPath: '/c' },
      { name: 'kelos-mcp-3-headers', mountPath: '/d' },
      { name: 'kelos-tmp', mountPath: '/kelos/plugin' },
      { name: 'kelos-tmp', mountPath: '/kelos/github-token', subPath: 'x' },
    ]);
    expect(podOverrideFindings(task)).toEqual([]);
    const spawner = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      metadata: { name: 's', namespace: 'team' },
      spec: { when: { cron: { schedule: '@daily' } }, taskTemplate: { worker: task.spec.worker } },
    };
    expect(podOverrideFindings(spawner)).toEqual([]);
  });

  it('reads the Workspace and AgentConfigs of the bundle, for Tasks and TaskSpawners alike', () => {
    const workspace = (spec: Record<string, unknown> = {}) => ({
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'ws', namespace: 'team' },
      spec: { repo: 'https://github.com/acme/app.git', ...spec },
    });
    const config = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'AgentConfig',
      metadata: { name: 'cfg', namespace: 'team' },
      spec: { agentsMD: 'Be brief.' },
    };
    const worker = { workspaceRef: { name: 'ws' }, agentConfigRefs: [{ name: 'cfg' }] };
    const mounts = [
      { name: 'kelos-github-token', mountPath: '/a' },
      { name: 'kelos-plugin', mountPath: '/b' },
      { name: 'kelos-tmp', mountPath: '/kelos/config' },
    ];
    const task = taskWith(worker, mounts);
    const spawner = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      metadata: { name: 's', namespace: 'team' },
      spec: {
        when: { cron: { schedule: '@daily' } },
        taskTemplate: { worker: { type: 'claude-code', ...worker, podOverrides: { volumeMounts: mounts } } },
      },
    };
    const run = (...objects: Record<string, unknown>[]) =>
      validateDocuments(objects.map((o, i) => documentFromObject(o, 'b.yaml', i)))
        .filter((d) => d.code.startsWith('pod/'))
        .map((d) => `${d.resource?.kind} ${d.code} ${d.path}`)
        .sort();
    // No secretRef: no token. agentsMD alone: the ConfigMap at /kelos/config, no plugin directory.
    expect(run(task, spawner, workspace(), config)).toEqual([
      'Task pod/mount-path /spec/worker/podOverrides/volumeMounts/2/mountPath',
      'Task pod/volume-mount /spec/worker/podOverrides/volumeMounts/0/name',
      'Task pod/volume-mount /spec/worker/podOverrides/volumeMounts/1/name',
      'TaskSpawner pod/mount-path /spec/taskTemplate/worker/podOverrides/volumeMounts/2/mountPath',
      'TaskSpawner pod/volume-mount /spec/taskTemplate/worker/podOverrides/volumeMounts/0/name',
      'TaskSpawner pod/volume-mount /spec/taskTemplate/worker/podOverrides/volumeMounts/1/name',
    ]);
    const [plugin] = validateDocuments(
      [task, workspace(), config].map((o, i) => documentFromObject(o, 'b.yaml', i)),
    ).filter((d) => d.path.endsWith('/volumeMounts/1/name'));
    expect(plugin?.hint).toBe(
      'the Pod has volume "kelos-plugin" only when the Task\'s AgentConfigs install plugins or skills',
    );
    // With credentials the token is mounted; the plugin directory needs plugins or skills.
    expect(run(task, workspace({ secretRef: { name: 'gh' } }), config)).toEqual([
      'Task pod/mount-path /spec/worker/podOverrides/volumeMounts/2/mountPath',
      'Task pod/volume-mount /spec/worker/podOverrides/volumeMounts/1/name',
    ]);
    const withSkills = { ...config, spec: { skills: [{ source: 'acme/skills' }] } };
    expect(run(task, workspace({ secretRef: { name: 'gh' } }), withSkills)).toEqual([]);
    // A Workspace with errors of its own tells nothing of the token.
    expect(run(task, workspace({ secretRef: 'gh' }), config)).toEqual([
      'Task pod/mount-path /spec/worker/podOverrides/volumeMounts/2/mountPath',
      'Task pod/volume-mount /spec/worker/podOverrides/volumeMounts/1/name',
    ]);
    // Nor does an AgentConfig with errors of its own, or one the bundle lacks, of what it adds.
    const expected = ['Task pod/volume-mount /spec/worker/podOverrides/volumeMounts/0/name'];
    expect(run(task, workspace(), { ...config, spec: { agentsMD: 5 } })).toEqual(expected);
    expect(run(task, workspace())).toEqual(expected);
    const both = taskWith({ ...worker, agentConfigRefs: [{ name: 'cfg' }, { name: 'other' }] }, mounts);
    expect(run(both, workspace(), config)).toEqual(expected);
  });

  it('refuses an MCP Secret volume when no MCP server of the AgentConfigs reads a Secret', () => {
    const config = (server: Record<string, unknown>) => ({
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'AgentConfig',
      metadata: { name: 'cfg', namespace: 'team' },
      spec: { mcpServers: [{ name: 'docs', type: 'http', url: 'https://docs.example', ...server }] },
    });
    const task = taskWith({ agentConfigRefs: [{ name: 'cfg' }] }, [
      { name: 'kelos-mcp-0-headers', mountPath: '/h' },
    ]);
    const run = (...objects: Record<string, unknown>[]) =>
      validateDocuments(objects.map((o, i) => documentFromObject(o, 'b.yaml', i))).filter((d) =>
        d.code.startsWith('pod/'),
      );
    const [found, ...more] = run(task, config({}));
    expect(more).toEqual([]);
    expect([found?.code, found?.path, found?.hint]).toEqual([
      'pod/volume-mount',
      '/spec/worker/podOverrides/volumeMounts/0/name',
      'the Pod has volume "kelos-mcp-0-headers" only when an MCP server of the Task\'s AgentConfigs reads a Secret (headersFrom, envFrom)',
    ]);
    // One that does: its mount's number is the render's to give.
    expect(run(task, config({ headersFrom: { secretRef: { name: 'h' } } }))).toEqual([]);
  });
});
