import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FINALIZER, type Task } from '../../../src/api/index.ts';
import type { ApiObject } from '../../../src/kube/client.ts';
import { POD_GRACE_MS } from '../../../src/operator/reconcilers/task/tracking.ts';
import { Resources } from '../../../src/operator/resources.ts';
import { apiError } from '../../support/fake-kube.ts';
import {
  NS,
  newTask,
  ownedLabels,
  startTaskOperator,
  type TaskOperator,
} from '../../support/task-operator.ts';

/** The termination message an agent leaves: its outputs between the markers. */
const outputs = (results: Record<string, string>): string =>
  [
    '---KELOS_OUTPUTS_START---',
    ...Object.entries(results).map(([k, v]) => `${k}: ${v}`),
    '---KELOS_OUTPUTS_END---',
    '',
  ].join('\n');

const running = (at: string) => ({
  phase: 'Running',
  startTime: at,
  containerStatuses: [{ name: 'kelos-agent', state: { running: { startedAt: at } } }],
});

const terminated = (at: string, exitCode: number, message?: string) => ({
  phase: exitCode === 0 ? 'Succeeded' : 'Failed',
  startTime: at,
  containerStatuses: [
    {
      name: 'kelos-agent',
      state: { terminated: { exitCode, startedAt: at, finishedAt: at, ...(message ? { message } : {}) } },
    },
  ],
});

describe('Task reconciler over the fake API server', () => {
  let op: TaskOperator;
  beforeEach(async () => {
    op = await startTaskOperator();
  });
  afterEach(async () => {
    await op.stop();
    // Every path here ends in a status, not in a reconcile that threw.
    expect(op.logs.filter((l) => l.includes('"level":"error"'))).toEqual([]);
  });

  it('creates the Job of a valid Task and follows it through Pending, Running and Succeeded', async () => {
    const created = await op.create('Task', newTask('happy', {}, { team: 'a' }));
    const job = op.job('happy');
    expect(job?.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'Task',
        name: 'happy',
        uid: created.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(job?.metadata.labels).toMatchObject(ownedLabels('happy'));
    expect(job?.spec.template.metadata?.labels).toMatchObject(ownedLabels('happy'));

    // The finalizer is on; the first status waits for the Pod, so one write says Pending and names it.
    const admitted = op.task('happy');
    expect(admitted?.metadata.finalizers).toEqual([FINALIZER]);
    expect(admitted?.status).toBeUndefined();
    op.clock.advance(1_000);
    const statusWrites = op.kube.calls.filter((c) => c.verb === 'patch' && c.subresource === 'status');
    const pod = await op.startPod('happy');
    expect(op.task('happy')?.status).toEqual({
      phase: 'Pending',
      jobName: 'happy',
      podName: pod,
      message: 'Job created; waiting for its Pod to run',
    });
    expect(
      op.kube.calls.filter((c) => c.verb === 'patch' && c.subresource === 'status').length -
        statusWrites.length,
    ).toBe(1);

    op.clock.advance(9_000);
    await op.podStatus(pod, running('2026-03-02T09:00:10Z'));
    expect(op.task('happy')?.status).toEqual({
      phase: 'Running',
      jobName: 'happy',
      podName: pod,
      message: 'Agent is running',
      startTime: '2026-03-02T09:00:10Z',
    });

    op.clock.advance(60_000);
    const message = outputs({
      branch: 'kelos/happy',
      pr: 'https://github.com/o/r/pull/7',
      'cost-usd': '1.25',
      'input-tokens': '1000',
      'output-tokens': '200',
    });
    await op.podStatus(pod, terminated('2026-03-02T09:00:10Z', 0, message));
    // The Pod finished, but only the Job's Complete condition finishes the Task.
    expect(op.task('happy')?.status?.phase).toBe('Running');
    await op.jobStatus('happy', {
      succeeded: 1,
      completionTime: '2026-03-02T09:01:10Z',
      conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2026-03-02T09:01:10Z' }],
    });
    const done = op.task('happy');
    expect(done?.status).toEqual({
      phase: 'Succeeded',
      jobName: 'happy',
      podName: pod,
      message: 'Task completed successfully',
      startTime: '2026-03-02T09:00:10Z',
      completionTime: '2026-03-02T09:01:10Z',
      outputs: [
        'branch: kelos/happy',
        'pr: https://github.com/o/r/pull/7',
        'cost-usd: 1.25',
        'input-tokens: 1000',
        'output-tokens: 200',
      ],
      results: {
        branch: 'kelos/happy',
        pr: 'https://github.com/o/r/pull/7',
        'cost-usd': '1.25',
        'input-tokens': '1000',
        'output-tokens': '200',
      },
      usage: { costUSD: '1.25', inputTokens: 1000, outputTokens: 200 },
    });
    // No Event for the admission: the status says it (an Event per Task was one more write in a burst).
    expect(op.events('happy')).toEqual([
      'TaskRunning: The agent is running',
      'TaskSucceeded: Task completed successfully',
    ]);

    const record = op.kube.peek(Resources.TaskRecord, NS, created.metadata.uid ?? '');
    expect(record).toMatchObject({
      metadata: { name: created.metadata.uid, namespace: NS, labels: { team: 'a' } },
      spec: {
        taskRef: { name: 'happy', uid: created.metadata.uid },
        type: 'claude-code',
        phase: 'Succeeded',
        startTime: '2026-03-02T09:00:10Z',
        completionTime: '2026-03-02T09:01:10Z',
        usage: { costUSD: '1.25', inputTokens: 1000, outputTokens: 200 },
        ttlSecondsAfterCompletion: 3024000,
      },
    });
  });

  it('writes a new Task’s first status without its Pod once the Pod is POD_GRACE_MS late', async () => {
    await op.create('Task', newTask('slow'));
    expect(op.job('slow')).toBeDefined();
    op.clock.advance(POD_GRACE_MS - 1);
    await op.settle();
    expect(op.task('slow')?.status).toBeUndefined();
    op.clock.advance(1);
    await op.settle();
    expect(op.task('slow')?.status).toEqual({
      phase: 'Pending',
      jobName: 'slow',
      message: 'Job created; waiting for its Pod to run',
    });
  });

  it('writes a new Task’s first status at once when the Job controller synced its Job without a Pod', async () => {
    await op.create('Task', newTask('quota'));
    expect(op.task('quota')?.status).toBeUndefined();
    // What the Job controller writes when it cannot create the Pod (a quota, an admission webhook).
    await op.jobStatus('quota', { startTime: '2026-03-02T09:00:00Z', active: 0 });
    expect(op.task('quota')?.status).toEqual({
      phase: 'Pending',
      jobName: 'quota',
      message: 'Job created; waiting for its Pod to run',
    });
  });

  it('fails a Task whose Job failed with the Job’s reason, and charges it an estimate as it reported no usage', async () => {
    const created = await op.create('Task', newTask('sad'));
    const pod = await op.startPod('sad');
    await op.podStatus(pod, terminated('2026-03-02T09:00:00Z', 3));
    op.clock.advance(30_000);
    await op.jobStatus('sad', {
      failed: 1,
      conditions: [
        {
          type: 'Failed',
          status: 'True',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
          lastTransitionTime: '2026-03-02T09:00:30Z',
        },
      ],
    });
    expect(op.task('sad')?.status).toEqual({
      phase: 'Failed',
      jobName: 'sad',
      podName: pod,
      message:
        'Task failed: BackoffLimitExceeded: Job has reached the specified backoff limit; the agent container (kelos-agent) exited with code 3',
      startTime: '2026-03-02T09:00:00Z',
      completionTime: '2026-03-02T09:00:30Z',
    });
    expect(op.events('sad').at(-1)).toBe(
      'TaskFailed: Task failed: BackoffLimitExceeded: Job has reached the specified backoff limit; the agent container (kelos-agent) exited with code 3',
    );
    // Issue 9, #5: 30 s of claude-code at the default 6 USD/h, marked as an estimate.
    expect(op.kube.peek(Resources.TaskRecord, NS, created.metadata.uid ?? '')).toMatchObject({
      spec: { phase: 'Failed', usage: { costUSD: '0.05' }, estimated: true },
    });
  });

  it('fails a Task whose Pod the kubelet evicted for its storage use, and deletes the Job so it does not start over', async () => {
    await op.create('Task', newTask('full-disk'));
    const pod = await op.startPod('full-disk');
    await op.podStatus(pod, running('2026-03-02T09:00:00Z'));
    // The Job's pod failure policy ignores evictions; only the operator stops this one.
    await op.podStatus(pod, {
      phase: 'Failed',
      reason: 'Evicted',
      message: 'Usage of EmptyDir volume "workspace" exceeds the limit "20Gi". ',
      startTime: '2026-03-02T09:00:00Z',
    });
    expect(op.task('full-disk')?.status).toMatchObject({
      phase: 'Failed',
      message:
        'The agent\'s Pod was evicted: Usage of EmptyDir volume "workspace" exceeds the limit "20Gi". Raise the workspace\'s limit (kelos operator --workspace-size-limit) or set spec.worker.podOverrides.resources.limits.ephemeral-storage',
    });
    expect(op.events('full-disk').at(-1)).toMatch(/^StorageLimitExceeded: The agent's Pod was evicted/);
    expect(op.job('full-disk')).toBeUndefined();
  });

  it('leaves a Task whose Pod was evicted for node pressure to its Job, which starts another Pod', async () => {
    await op.create('Task', newTask('pressure'));
    const pod = await op.startPod('pressure');
    await op.podStatus(pod, {
      phase: 'Failed',
      reason: 'Evicted',
      message: 'The node was low on resource: ephemeral-storage. ',
      startTime: '2026-03-02T09:00:00Z',
    });
    expect(op.job('pressure')).toBeDefined();
    expect(op.task('pressure')?.status?.phase).not.toBe('Failed');
  });

  it.each([
    {
      what: 'credentials without their Secret',
      spec: { worker: { type: 'claude-code', credentials: { type: 'api-key' } } },
      detail: '/spec/worker: credentials.secretRef is required for api-key and oauth credential types',
    },
    {
      what: 'a reserved volume name',
      spec: {
        worker: {
          type: 'claude-code',
          credentials: { type: 'none' },
          podOverrides: { volumes: [{ name: 'kelos-scratch', emptyDir: {} }] },
        },
      },
      detail:
        "/spec/worker/podOverrides/volumes: volume names must not start with 'kelos-' or be 'workspace'",
    },
  ])(
    'fails a Task with $what with reason InvalidSpec and the diagnostic, without a Job',
    async ({ spec, detail }) => {
      await op.create('Task', newTask('bad', spec as Partial<Task['spec']>));
      const message = `Task spec is invalid: ${detail}`;
      const task = op.task('bad');
      expect(task?.status).toEqual({ phase: 'Failed', message, completionTime: '2026-03-02T09:00:00Z' });
      expect(task?.metadata.finalizers).toBeUndefined();
      expect(op.job('bad')).toBeUndefined();
      expect(op.events('bad')).toEqual([`InvalidSpec: ${message}`]);
    },
  );

  it.each([
    {
      what: 'an invalid branch name',
      spec: { branch: 'fix..it' },
      detail:
        '/spec/branch: branch "fix..it" is not a valid git branch name: it holds "..", which no git name may hold',
    },
    {
      what: 'a prompt too large for one argument',
      spec: { prompt: 'x'.repeat(140_000) },
      detail:
        '/spec/prompt: prompt is 140000 bytes; the agent receives it as one argument, which Linux limits to 131071 bytes',
    },
  ])('fails a Task whose render fails ($what) with reason JobRenderFailed', async ({ spec, detail }) => {
    await op.create('Task', newTask('unrenderable', spec));
    const message = `Cannot build the Job: ${detail}`;
    expect(op.task('unrenderable')?.status).toEqual({
      phase: 'Failed',
      message,
      completionTime: '2026-03-02T09:00:00Z',
    });
    expect(op.events('unrenderable')).toEqual([`JobRenderFailed: ${message}`]);
    expect(op.kube.objects(Resources.Job)).toEqual([]);
    expect(op.kube.objects(Resources.ConfigMap)).toEqual([]);
  });

  it.each([
    { what: 'in the Job cache (labelled as ours)', labels: ownedLabels('taken') },
    { what: 'outside the Job cache (found when the create collides)', labels: { app: 'other' } },
  ])(
    'fails with reason JobConflict when a Job of the Task’s name is not owned by it: $what',
    async ({ labels }) => {
      const foreign = await op.create('Job', {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'taken', labels },
        spec: { template: {} },
      });
      await op.create('Task', newTask('taken'));
      const message = 'Job team/taken already exists and is not owned by this Task';
      expect(op.task('taken')?.status).toEqual({
        phase: 'Failed',
        message,
        completionTime: '2026-03-02T09:00:00Z',
      });
      expect(op.events('taken')).toEqual([`JobConflict: ${message}`]);
      // Someone else's Job is left alone, and the Task never gets our finalizer.
      expect(op.job('taken')).toEqual(foreign);
      expect(op.task('taken')?.metadata.finalizers).toBeUndefined();
    },
  );

  it('flips ReferencesResolved to True when the Workspace appears while the Task still waits on a dependency', async () => {
    const spec = {
      worker: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: 'repo' } },
      dependsOn: ['first'],
    } as Partial<Task['spec']>;
    await op.create('Task', newTask('first'));
    await op.create('Task', newTask('second', spec));
    expect(op.task('second')?.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      'ReferencesResolved=False',
    ]);
    op.clock.advance(5_000);
    await op.create('Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'repo' },
      spec: { repo: 'https://github.com/o/r.git' },
    });
    expect(op.job('second')).toBeUndefined();
    expect(op.task('second')?.status?.conditions?.map((c) => `${c.type}=${c.status} ${c.reason}`)).toEqual([
      'ReferencesResolved=True Resolved',
      'DependenciesReady=False DependencyNotFinished',
    ]);
  });

  it('waits for a missing Workspace with ReferencesResolved=False, and starts once it exists', async () => {
    const spec = {
      worker: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: 'repo' } },
    } as Partial<Task['spec']>;
    await op.create('Task', newTask('refs', spec));
    const message = 'Waiting for Workspace "repo" to be created';
    expect(op.task('refs')?.status).toEqual({
      phase: 'Waiting',
      message,
      conditions: [
        {
          type: 'ReferencesResolved',
          status: 'False',
          reason: 'WorkspaceNotFound',
          message: 'Workspace team/repo does not exist',
          lastTransitionTime: '2026-03-02T09:00:00Z',
        },
      ],
    });
    expect(op.job('refs')).toBeUndefined();
    // A Warning, as a missing Secret is: alerting on Warning Events sees it.
    expect(op.events('refs')).toEqual(['WorkspaceNotFound: Workspace team/repo does not exist']);

    op.clock.advance(5_000);
    await op.create('Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'repo' },
      spec: { repo: 'https://github.com/o/r.git' },
    });
    expect(op.job('refs')).toBeDefined();
    // A Task that said Waiting says Pending at once (the first status of a new Task waits for its Pod).
    expect(op.task('refs')?.status).toEqual({
      phase: 'Pending',
      jobName: 'refs',
      message: 'Job created; waiting for its Pod to run',
      conditions: [
        {
          type: 'ReferencesResolved',
          status: 'True',
          reason: 'Resolved',
          message: 'Workspace and AgentConfigs exist',
          lastTransitionTime: '2026-03-02T09:00:05Z',
        },
      ],
    });
    expect(op.events('refs')).toEqual(['WorkspaceNotFound: Workspace team/repo does not exist']);
  });

  it('runs a model a letter off a known one as written, with a Warning Event naming the likely one; a new model says nothing', async () => {
    const withModel = (model: string) =>
      ({ worker: { type: 'claude-code', credentials: { type: 'none' }, model } }) as Partial<Task['spec']>;
    await op.create('Task', newTask('typo-model', withModel('claude-sonet-4-5')));
    expect(op.job('typo-model')).toBeDefined();
    expect(op.events('typo-model')).toEqual([
      'ModelUnknown: model "claude-sonet-4-5" is not a known claude-code model; did you mean "claude-sonnet-4-5"? The Job runs it as written',
    ]);
    await op.create('Task', newTask('new-model', withModel('claude-opus-4-6')));
    expect(op.job('new-model')).toBeDefined();
    expect(op.events('new-model')).toEqual([]);
  });

  it('names the Workspace or AgentConfig of the namespace a missing one is likely a typo of', async () => {
    for (const [kind, name, spec] of [
      ['Workspace', 'api', { repo: 'https://github.com/o/api.git' }],
      ['AgentConfig', 'team-standards', { agentsMD: 'Be brief.' }],
    ] as const) {
      await op.create(kind, { apiVersion: 'kelos.dev/v1alpha2', kind, metadata: { name }, spec });
    }
    await op.create(
      'Task',
      newTask('typo-ws', {
        worker: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: 'apii' } },
      } as Partial<Task['spec']>),
    );
    expect(op.task('typo-ws')?.status?.conditions?.[0]?.message).toBe(
      'Workspace team/apii does not exist; did you mean "api"?',
    );
    expect(op.events('typo-ws')).toEqual([
      'WorkspaceNotFound: Workspace team/apii does not exist; did you mean "api"?',
    ]);
    await op.create(
      'Task',
      newTask('typo-ac', {
        worker: {
          type: 'claude-code',
          credentials: { type: 'none' },
          agentConfigRefs: [{ name: 'team-standard' }],
        },
      } as Partial<Task['spec']>),
    );
    expect(op.task('typo-ac')?.status?.message).toBe('Waiting for AgentConfig "team-standard" to be created');
    expect(op.events('typo-ac')).toEqual([
      'AgentConfigNotFound: AgentConfig team/team-standard does not exist; did you mean "team-standards"?',
    ]);
  });

  it('waits for a missing credentials Secret with ReferencesResolved=False and one Warning Event, and starts once it exists', async () => {
    const spec = {
      worker: { type: 'claude-code', credentials: { type: 'api-key', secretRef: { name: 'anthropic' } } },
    } as Partial<Task['spec']>;
    await op.create('Task', newTask('keyless', spec));
    const message =
      'Secret team/anthropic (referenced by spec.worker.credentials.secretRef.name) does not exist; create it: kubectl create secret generic anthropic -n team --from-literal=ANTHROPIC_API_KEY=<value>';
    const waiting = {
      phase: 'Waiting',
      message,
      conditions: [
        {
          type: 'ReferencesResolved',
          status: 'False',
          reason: 'SecretNotFound',
          message,
          lastTransitionTime: '2026-03-02T09:00:00Z',
        },
      ],
    };
    expect(op.task('keyless')?.status).toEqual(waiting);
    expect(op.job('keyless')).toBeUndefined();
    expect(op.events('keyless')).toEqual([`SecretNotFound: ${message}`]);

    // It looks again on its own (after as long as it waited: 5 s, 5 s, 10 s … up to a minute),
    // writing nothing while nothing changed.
    const secretReads = () =>
      op.kube.calls.filter((c) => c.verb === 'get' && c.resource === 'secrets' && c.name === 'anthropic')
        .length;
    const writes = () =>
      op.kube.calls.filter((c) => c.verb !== 'get' && c.verb !== 'list' && c.verb !== 'watch');
    const readsBefore = secretReads();
    const writesBefore = writes().length;
    op.clock.advance(5_000);
    await op.settle();
    expect(secretReads()).toBeGreaterThan(readsBefore);
    expect(writes()).toHaveLength(writesBefore);
    expect(op.task('keyless')?.status).toEqual(waiting);
    expect(op.events('keyless')).toEqual([`SecretNotFound: ${message}`]);

    await op.create('Secret', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'anthropic' },
      data: { ANTHROPIC_API_KEY: Buffer.from('k').toString('base64') },
    } as ApiObject);
    expect(op.job('keyless')).toBeUndefined();
    op.clock.advance(5_000);
    await op.settle();
    expect(op.job('keyless')).toBeDefined();
    expect(op.task('keyless')?.status).toEqual({
      phase: 'Pending',
      jobName: 'keyless',
      message: 'Job created; waiting for its Pod to run',
      conditions: [
        {
          type: 'ReferencesResolved',
          status: 'True',
          reason: 'Resolved',
          message: 'Workspace and AgentConfigs exist',
          lastTransitionTime: '2026-03-02T09:00:10Z',
        },
      ],
    });
    expect(op.events('keyless')).toEqual([`SecretNotFound: ${message}`]);
    // What it read of the Secret never reaches the log.
    expect(op.logs.join('\n')).not.toContain(Buffer.from('k').toString('base64'));
  });

  it('reads each Secret of a Task once at admission, the Workspace Secret only by the GitHub App step', async () => {
    const secret = (name: string, key: string) =>
      ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name },
        data: { [key]: Buffer.from('v').toString('base64') },
      }) as ApiObject;
    await op.create('Secret', secret('anthropic', 'ANTHROPIC_API_KEY'));
    await op.create('Secret', secret('gh', 'GITHUB_TOKEN'));
    await op.create('Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'repo' },
      spec: { repo: 'https://github.com/o/r.git', secretRef: { name: 'gh' } },
    });
    const before = op.kube.calls.length;
    const spec = {
      worker: {
        type: 'claude-code',
        credentials: { type: 'api-key', secretRef: { name: 'anthropic' } },
        workspaceRef: { name: 'repo' },
      },
    } as Partial<Task['spec']>;
    await op.create('Task', newTask('keyed', spec));
    expect(op.job('keyed')).toBeDefined();
    const reads = op.kube.calls
      .slice(before)
      .filter((c) => c.resource === 'secrets')
      .map((c) => `${c.verb} ${c.name}`);
    expect(reads.sort()).toEqual(['get anthropic', 'get gh']);
  });

  it('names the Workspace field of a missing Workspace Secret', async () => {
    await op.create('Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'repo' },
      spec: { repo: 'https://github.com/o/r.git', secretRef: { name: 'gh' } },
    });
    const spec = {
      worker: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: 'repo' } },
    } as Partial<Task['spec']>;
    await op.create('Task', newTask('wsless', spec));
    expect(op.job('wsless')).toBeUndefined();
    expect(op.task('wsless')?.status?.conditions?.[0]).toMatchObject({
      type: 'ReferencesResolved',
      status: 'False',
      reason: 'SecretNotFound',
      message:
        'Secret team/gh (referenced by Workspace repo spec.secretRef.name) does not exist; create it: kubectl create secret generic gh -n team --from-literal=GITHUB_TOKEN=<value>',
    });
  });

  it('does not wait for an optional Secret reference in podOverrides', async () => {
    const spec = {
      worker: {
        type: 'claude-code',
        credentials: { type: 'none' },
        podOverrides: {
          env: [
            { name: 'EXTRA', valueFrom: { secretKeyRef: { name: 'maybe', key: 'EXTRA', optional: true } } },
          ],
        },
      },
    } as Partial<Task['spec']>;
    await op.create('Task', newTask('optional', spec));
    expect(op.job('optional')).toBeDefined();
    expect(op.kube.calls.filter((c) => c.resource === 'secrets')).toEqual([]);
  });

  it('names the AgentConfig field of a missing MCP Secret', async () => {
    await op.create('AgentConfig', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'AgentConfig',
      metadata: { name: 'tools' },
      spec: {
        mcpServers: [
          {
            name: 'docs',
            type: 'http',
            url: 'https://mcp.example',
            headersFrom: { secretRef: { name: 'docs-mcp' } },
          },
        ],
      },
    } as ApiObject);
    const spec = {
      worker: { type: 'claude-code', credentials: { type: 'none' }, agentConfigRefs: [{ name: 'tools' }] },
    } as Partial<Task['spec']>;
    await op.create('Task', newTask('mcp', spec));
    expect(op.job('mcp')).toBeUndefined();
    expect(op.task('mcp')?.status?.message).toBe(
      'Secret team/docs-mcp (referenced by AgentConfig tools spec.mcpServers[0].headersFrom.secretRef.name) does not exist; create it: kubectl create secret generic docs-mcp -n team --from-literal=<key>=<value>',
    );
  });

  it('deletes the Job of a deleted Task, then removes its finalizer so the Task goes', async () => {
    await op.create('Task', newTask('bye'));
    const job = op.job('bye');
    expect(op.task('bye')?.metadata.finalizers).toEqual([FINALIZER]);
    const from = op.kube.calls.length;
    await op.kube.delete(Resources.Task, NS, 'bye');
    await op.settle();
    expect(op.task('bye')).toBeUndefined();
    expect(op.job('bye')).toBeUndefined();
    // The reconciler deleted the Job itself (not the garbage collector after the Task went),
    // guarded by its uid, before it let the Task go. (A reconcile the Job's DELETED event brings
    // before the Task's may repeat the finalizer patch against a Task already gone: a 404.)
    const writes = op.kube.calls
      .slice(from + 1)
      .filter((c) => c.verb === 'delete' || c.verb === 'patch')
      .map((c) => ({ verb: c.verb, resource: c.resource, name: c.name, options: c.options }));
    expect(writes.slice(0, 2)).toEqual([
      {
        verb: 'delete',
        resource: 'jobs.batch',
        name: 'bye',
        options: { uid: job?.metadata.uid, propagationPolicy: 'Background' },
      },
      {
        verb: 'patch',
        resource: 'tasks.kelos.dev',
        name: 'bye',
        options: { resourceVersion: expect.any(String) },
      },
    ]);
    expect(writes.slice(2).every((w) => w.verb === 'patch' && w.resource === 'tasks.kelos.dev')).toBe(true);
  });

  it('retries a status write that lost a race (409 Conflict) after a short backoff', async () => {
    const fault = op.kube.inject({
      verb: 'patch',
      resource: 'Task',
      name: 'racy',
      error: apiError(409, 'Conflict', 'the object has been modified', Resources.Task),
    });
    await op.create('Task', newTask('racy'));
    expect(fault.remaining).toBe(0);
    // The Job exists; the first Task write (the finalizer) failed, so no status yet.
    expect(op.job('racy')).toBeDefined();
    expect(op.task('racy')?.status).toBeUndefined();
    expect(op.logs.some((l) => l.includes('Lost a write race'))).toBe(true);
    op.clock.advance(250);
    await op.settle();
    expect(op.task('racy')?.metadata.finalizers).toEqual([FINALIZER]);
    op.clock.advance(POD_GRACE_MS);
    await op.settle();
    expect(op.task('racy')?.status?.phase).toBe('Pending');
  });

  it('deletes a finished Task when ttlSecondsAfterFinished expires, with a TaskExpired Event', async () => {
    await op.create('Task', newTask('brief', { ttlSecondsAfterFinished: 60 }));
    await op.jobStatus('brief', {
      succeeded: 1,
      completionTime: '2026-03-02T09:00:00Z',
      conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2026-03-02T09:00:00Z' }],
    });
    expect(op.task('brief')?.status?.phase).toBe('Succeeded');
    op.clock.advance(59_000);
    await op.settle();
    expect(op.task('brief')).toBeDefined();
    op.clock.advance(1_000);
    await op.settle();
    expect(op.task('brief')).toBeUndefined();
    expect(op.events('brief').at(-1)).toBe(
      'TaskExpired: Deleted 60 s after it finished (ttlSecondsAfterFinished)',
    );
  });
});

describe('TaskSpawner maxConcurrency and a Task that waits after its gates', () => {
  let op: TaskOperator;
  afterEach(async () => {
    await op?.stop();
  });

  it('lets the spawner’s next Task run while one waits for its credentials Secret', async () => {
    op = await startTaskOperator();
    const spawner = await op.create('TaskSpawner', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      metadata: { name: 'fixer' },
      spec: {
        when: { cron: { schedule: '0 * * * *' } },
        taskTemplate: { worker: { type: 'claude-code', credentials: { type: 'none' } } },
        maxConcurrency: 1,
      },
    } as ApiObject);
    const owned = (name: string, spec: Partial<Task['spec']>): Task => {
      const t = newTask(name, spec);
      t.metadata.ownerReferences = [
        {
          apiVersion: 'kelos.dev/v1alpha2',
          kind: 'TaskSpawner',
          name: 'fixer',
          uid: spawner.metadata.uid ?? '',
          controller: true,
        },
      ];
      return t;
    };
    // One of the spawner's credentials names a Secret that does not exist.
    await op.create(
      'Task',
      owned('fixer-1', {
        worker: { type: 'claude-code', credentials: { type: 'api-key', secretRef: { name: 'missing' } } },
      }),
    );
    expect(
      op.task('fixer-1')?.status?.conditions?.find((c) => c.type === 'ReferencesResolved'),
    ).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    op.clock.advance(1_000);
    await op.create('Task', owned('fixer-2', {}));
    // fixer-1 has no Job and another gate holds it: it takes no place under maxConcurrency.
    expect(op.job('fixer-2')).toBeDefined();
    expect(op.task('fixer-2')?.status?.phase).toBe('Pending');
    // Once its Secret exists, fixer-1 waits its turn like any queued Task: fixer-2 runs.
    await op.create('Secret', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'missing' },
    } as ApiObject);
    op.clock.advance(60_000);
    await op.settle();
    expect(op.job('fixer-1')).toBeUndefined();
    expect(op.task('fixer-1')?.status?.conditions?.find((c) => c.type === 'SpawnerCapacity')).toMatchObject({
      status: 'True',
      reason: 'MaxConcurrencyReached',
    });
  });
});

describe('branch lock while a Job create is in flight', () => {
  let op: TaskOperator;
  afterEach(async () => {
    await op?.stop();
  });

  const until = async (what: string, pred: () => boolean) => {
    for (let i = 0; i < 200 && !pred(); i++) {
      await op.kube.flush();
      await new Promise((r) => setTimeout(r, 5));
    }
    if (!pred()) throw new Error(`timed out waiting for ${what}`);
  };

  it('holds the branch for a Task that passed the gate before its Job reaches the cache', async () => {
    op = await startTaskOperator();
    await op.create('Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'repo' },
      spec: { repo: 'https://github.com/acme/widgets.git' },
    } as ApiObject);
    const onBranch = (name: string) =>
      newTask(name, {
        branch: 'fix',
        worker: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: 'repo' } },
      });
    // zeta's Job create is slow (a busy API server); alpha comes in the same second.
    op.kube.inject({ verb: 'create', resource: 'Job', name: 'zeta', delayMs: 1_000 });
    await op.kube.create(Resources.Task, { ...onBranch('zeta'), metadata: { name: 'zeta', namespace: NS } });
    await until('zeta’s Job create', () =>
      op.kube.calls.some((c) => c.verb === 'create' && c.resource === 'jobs.batch' && c.name === 'zeta'),
    );
    await op.kube.create(Resources.Task, {
      ...onBranch('alpha'),
      metadata: { name: 'alpha', namespace: NS },
    });
    await until('alpha’s status', () => op.task('alpha')?.status !== undefined || !!op.job('alpha'));
    op.clock.advance(1_000);
    await op.settle();
    // One Job on the branch at a time.
    expect([op.job('zeta'), op.job('alpha')].filter(Boolean)).toHaveLength(1);
    expect(op.task('alpha')?.status?.conditions?.find((c) => c.type === 'BranchLocked')).toMatchObject({
      status: 'True',
    });
  });
});
