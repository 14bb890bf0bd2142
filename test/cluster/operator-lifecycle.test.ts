import { describe, expect, it } from 'vitest';
import type { Task } from '../../src/api/index.ts';
import type { ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import {
  create,
  createSecret,
  getTask,
  jobNames,
  logLinesOf,
  outputsMessage,
  podFinished,
  podRunning,
  type TestOperator,
  task,
  useOperator,
  waitFor,
  waitForPhase,
  waitForTask,
} from './operator-helpers.ts';

// Task lifecycle against the real API server and Job controller: the test plays the kubelet.
describe('operator: Task lifecycle', () => {
  let ns: string;
  let c: HttpKubeClient;
  let op: TestOperator;

  useOperator('op-life', (s) => ({ c, op, ns } = s));

  const events = async (name: string): Promise<string[]> => {
    const list = await c.list<{
      metadata: object;
      regarding?: { kind?: string; name?: string };
      reason?: string;
      eventTime?: string;
    }>(Resources.Event, { namespace: ns });
    return list.items
      .filter((e) => e.regarding?.kind === 'Task' && e.regarding?.name === name)
      .sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)))
      .map((e) => e.reason ?? '');
  };

  it('runs a Task through Pending, Running and Succeeded, with outputs, usage and a TaskRecord', async () => {
    await create(c, ns, 'Task', task('happy', {}, { team: 'a' }));
    const pending = await waitForPhase(c, ns, 'happy', 'Pending');
    expect(pending.status?.jobName).toBe('happy');
    expect(pending.metadata.finalizers).toContain('kelos.dev/finalizer');
    const job = await c.get(Resources.Job, ns, 'happy');
    expect(job?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Task', name: 'happy', uid: pending.metadata.uid, controller: true }),
    ]);
    expect(job?.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'kelos-operator',
      'kelos.dev/task': 'happy',
    });

    await podRunning(c, ns, 'happy');
    const running = await waitForPhase(c, ns, 'happy', 'Running');
    expect(running.status?.startTime).toBeTruthy();
    expect(running.status?.podName).toMatch(/^happy-/);

    await podFinished(c, ns, 'happy', {
      message: outputsMessage({
        branch: 'kelos/happy',
        commit: '0123abc',
        pr: 'https://github.com/o/r/pull/7',
        'cost-usd': '1.25',
        'input-tokens': '1000',
        'output-tokens': '200',
      }),
    });
    const done = await waitForPhase(c, ns, 'happy', 'Succeeded');
    expect(done.status).toMatchObject({
      message: 'Task completed successfully',
      outputs: [
        'branch: kelos/happy',
        'commit: 0123abc',
        'pr: https://github.com/o/r/pull/7',
        'cost-usd: 1.25',
        'input-tokens: 1000',
        'output-tokens: 200',
      ],
      results: { branch: 'kelos/happy', commit: '0123abc', pr: 'https://github.com/o/r/pull/7' },
      usage: { costUSD: '1.25', inputTokens: 1000, outputTokens: 200 },
    });
    expect(done.status?.completionTime).toBeTruthy();

    let rec: { metadata: { labels?: Record<string, string> }; spec?: Record<string, unknown> } | undefined;
    await waitFor('TaskRecord of happy', async () => {
      rec = await c.get(Resources.TaskRecord, ns, done.metadata.uid ?? '');
      return rec !== undefined;
    });
    expect(rec?.metadata.labels).toEqual({ team: 'a' });
    expect(rec?.spec).toMatchObject({
      taskRef: { name: 'happy', uid: done.metadata.uid },
      type: 'claude-code',
      phase: 'Succeeded',
      usage: { costUSD: '1.25', inputTokens: 1000, outputTokens: 200 },
      ttlSecondsAfterCompletion: 3024000,
    });
    await waitFor('events of happy', async () => (await events('happy')).includes('TaskSucceeded'));
    // No Event for the admission itself (the status says it; issue 18 cut that write per Task).
    expect(await events('happy')).toEqual(['TaskRunning', 'TaskSucceeded']);
    // Nothing failed: no line about it is a warning.
    const levels = new Set(logLinesOf(op, `${ns}/happy`, 'Reconciled Task').map((l) => l.level));
    expect(levels.has('info')).toBe(true);
    expect(levels.has('warn')).toBe(false);
  });

  it('fails a Task when its Job fails, with the Job’s reason and the agent’s exit code', async () => {
    await create(c, ns, 'Task', task('sad'));
    await waitForPhase(c, ns, 'sad', 'Pending');
    // Jobs never retry an agent run (backoffLimit 0): one failed Pod fails the Task.
    await podFinished(c, ns, 'sad', { exitCode: 3 });
    const failed = await waitForPhase(c, ns, 'sad', 'Failed');
    expect(failed.status?.message).toBe(
      'Task failed: BackoffLimitExceeded: Job has reached the specified backoff limit; the agent container (kelos-agent) exited with code 3',
    );
    expect(failed.status?.completionTime).toBeTruthy();
    // No usage reported → an estimated TaskRecord (issue 9, #5), once the operator wrote it.
    await waitFor('the estimated TaskRecord', async () =>
      Boolean(await c.get(Resources.TaskRecord, ns, failed.metadata.uid ?? '')),
    );
    expect(await c.get(Resources.TaskRecord, ns, failed.metadata.uid ?? '')).toMatchObject({
      spec: { phase: 'Failed', estimated: true },
    });
  });

  it('waits for a missing Workspace and AgentConfig, naming them, and starts once they exist', async () => {
    await create(
      c,
      ns,
      'Task',
      task('refs', {
        worker: {
          type: 'claude-code',
          credentials: { type: 'none' },
          workspaceRef: { name: 'repo' },
          agentConfigRefs: [{ name: 'style' }],
        },
      }),
    );
    const waiting = await waitForTask(
      c,
      ns,
      'refs',
      'waiting for its Workspace',
      (t) => t.status?.phase === 'Waiting',
    );
    expect(waiting.status?.message).toBe('Waiting for Workspace "repo" to be created');
    expect(waiting.status?.conditions).toEqual([
      expect.objectContaining({
        type: 'ReferencesResolved',
        status: 'False',
        reason: 'WorkspaceNotFound',
        message: `Workspace ${ns}/repo does not exist`,
      }),
    ]);
    // A Warning Event, as for a missing Secret: alerts on Warning Events see the wait.
    await waitFor('the WorkspaceNotFound Event', async () =>
      (await events('refs')).includes('WorkspaceNotFound'),
    );
    await create(c, ns, 'Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'repo' },
      spec: { repo: 'https://github.com/example/repo.git' },
    });
    const waitingAc = await waitForTask(
      c,
      ns,
      'refs',
      'waiting for its AgentConfig',
      (t) => t.status?.message === 'Waiting for AgentConfig "style" to be created',
    );
    expect(waitingAc.status?.conditions?.[0]).toMatchObject({
      reason: 'AgentConfigNotFound',
      status: 'False',
    });
    await create(c, ns, 'AgentConfig', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'AgentConfig',
      metadata: { name: 'style' },
      spec: { agentsMD: 'Be brief.' },
    });
    const pending = await waitForPhase(c, ns, 'refs', 'Pending');
    expect(pending.status?.conditions).toEqual([
      expect.objectContaining({ type: 'ReferencesResolved', status: 'True', reason: 'Resolved' }),
    ]);
    expect(await jobNames(c, ns)).toContain('refs');
    // The AgentConfig reaches the Pod through a ConfigMap the Task owns (created before the Job).
    const cm = await c.get(Resources.ConfigMap, ns, 'refs-agent-config');
    expect(cm?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Task', name: 'refs', uid: pending.metadata.uid, controller: true }),
    ]);
  });

  it('fails a Task with workerPoolRef, which this operator does not serve', async () => {
    await create(c, ns, 'Task', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Task',
      metadata: { name: 'pooled' },
      spec: { prompt: 'x', workerPoolRef: { name: 'pool' } },
    } as Task);
    const failed = await waitForPhase(c, ns, 'pooled', 'Failed');
    const message =
      'spec.workerPoolRef is not supported: this operator does not serve WorkerPools; run the Task with spec.worker';
    expect(failed.status?.message).toBe(message);
    // The reconcile that failed it is one warn line (alerting on the level sees it), not an info
    // line plus a second one.
    await op.operator.idle();
    const failing = logLinesOf(op, `${ns}/pooled`, 'Reconciled Task').filter((l) =>
      l.steps?.includes(`Failed: ${message}`),
    );
    expect(failing.map((l) => l.level)).toEqual(['warn']);
  });

  it('waits for a missing credentials Secret with one Warning Event, and starts once it exists', async () => {
    await create(
      c,
      ns,
      'Task',
      task('keyless', {
        worker: { type: 'claude-code', credentials: { type: 'api-key', secretRef: { name: 'anthropic' } } },
      }),
    );
    const message = `Secret ${ns}/anthropic (referenced by spec.worker.credentials.secretRef.name) does not exist; create it: kubectl create secret generic anthropic -n ${ns} --from-literal=ANTHROPIC_API_KEY=<value>`;
    const waiting = await waitForTask(
      c,
      ns,
      'keyless',
      'waiting for its Secret',
      (t) => t.status?.phase === 'Waiting',
    );
    expect(waiting.status?.message).toBe(message);
    expect(waiting.status?.conditions).toEqual([
      expect.objectContaining({
        type: 'ReferencesResolved',
        status: 'False',
        reason: 'SecretNotFound',
        message,
      }),
    ]);
    await waitFor('the SecretNotFound Event', async () =>
      (await events('keyless')).includes('SecretNotFound'),
    );
    expect(await c.get(Resources.Job, ns, 'keyless')).toBeUndefined();

    await createSecret(c, ns, 'anthropic', { ANTHROPIC_API_KEY: 'k' });
    // The read admission makes: the API server answers with metadata only, never the data.
    const seen = await c.getMetadata(Resources.Secret, ns, 'anthropic');
    expect(seen).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'anthropic' } });
    expect(seen).not.toHaveProperty('data');
    const pending = await waitForPhase(c, ns, 'keyless', 'Pending');
    expect(pending.status?.conditions).toEqual([
      expect.objectContaining({ type: 'ReferencesResolved', status: 'True', reason: 'Resolved' }),
    ]);
    expect(await jobNames(c, ns)).toContain('keyless');
    // One Warning for the wait, however many re-checks it took.
    expect(await events('keyless')).toEqual(['SecretNotFound']);
    // Every reconcile that waited for the Secret is a warn line; the one that admitted it is not.
    const lines = logLinesOf(op, `${ns}/keyless`, 'Reconciled Task');
    const waited = lines.filter((l) => l.steps?.includes(message));
    expect(waited.length).toBeGreaterThan(0);
    expect(new Set(waited.map((l) => l.level))).toEqual(new Set(['warn']));
    expect(lines.filter((l) => !l.steps?.includes(message)).map((l) => l.level)).not.toContain('warn');
  });

  it('fails a Task whose Job the API server refuses as invalid, once, naming the field', async () => {
    await create(
      c,
      ns,
      'Task',
      task('refused', {
        worker: {
          type: 'claude-code',
          credentials: { type: 'none' },
          // The schema takes each quantity; only the Pod validation compares them.
          podOverrides: { resources: { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } } },
        },
      }),
    );
    const failed = await waitForPhase(c, ns, 'refused', 'Failed');
    expect(failed.status?.message).toMatch(
      new RegExp(
        `^The API server refused the Job of Task ${ns}/refused: Job\\.batch "refused" is invalid: .*resources\\.requests.*must be less than or equal to memory limit`,
      ),
    );
    expect(failed.status?.message).not.toContain('POST ');
    await waitFor('the JobRejected Event', async () => (await events('refused')).includes('JobRejected'));
    expect(await c.get(Resources.Job, ns, 'refused')).toBeUndefined();
  });

  it('deletes the Job with the Task, then lets the Task go', async () => {
    await create(c, ns, 'Task', task('doomed'));
    await waitForPhase(c, ns, 'doomed', 'Pending');
    await podRunning(c, ns, 'doomed');
    await waitForPhase(c, ns, 'doomed', 'Running');
    await c.delete(Resources.Task, ns, 'doomed');
    await waitFor('Task doomed gone', async () => (await getTask(c, ns, 'doomed')) === undefined);
    await waitFor('Job doomed gone', async () => (await c.get(Resources.Job, ns, 'doomed')) === undefined);
  });

  it('deletes a finished Task after ttlSecondsAfterFinished', async () => {
    await create(c, ns, 'Task', task('brief', { ttlSecondsAfterFinished: 2 }));
    await waitForPhase(c, ns, 'brief', 'Pending');
    await podFinished(c, ns, 'brief');
    const done = await waitForPhase(c, ns, 'brief', 'Succeeded');
    expect(done).toBeTruthy();
    await waitFor(
      'Task brief deleted by its TTL',
      async () => (await getTask(c, ns, 'brief')) === undefined,
      {
        timeoutMs: 15_000,
      },
    );
    await waitFor('Job brief gone', async () => (await c.get(Resources.Job, ns, 'brief')) === undefined);
  });

  it('deletes a TaskRecord once ttlSecondsAfterCompletion has passed, and keeps younger ones', async () => {
    const done = new Date(Date.now() - 2000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const spec = {
      taskRef: { name: 'gone-task' },
      phase: 'Succeeded',
      completionTime: done,
      usage: { costUSD: '1' },
    };
    await c.create(Resources.TaskRecord, {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskRecord',
      metadata: { name: 'expired', namespace: ns },
      spec: { ...spec, ttlSecondsAfterCompletion: 1 },
    } as ApiObject);
    await c.create(Resources.TaskRecord, {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskRecord',
      metadata: { name: 'young', namespace: ns },
      spec: { ...spec, ttlSecondsAfterCompletion: 3600 },
    } as ApiObject);
    await waitFor(
      'TaskRecord expired deleted',
      async () => (await c.get(Resources.TaskRecord, ns, 'expired')) === undefined,
    );
    expect(await c.get(Resources.TaskRecord, ns, 'young')).toBeDefined();
  });

  it('writes nothing when a resync finds every Task as it should be', async () => {
    await op.operator.idle();
    // The Jobs of the cases above may still get their Pods from kube-controller-manager (late
    // under load), and the operator writes each Pod's name into its Task: wait until a second
    // passes without a write, so only the resync is counted.
    let before = op.operator.writes;
    for (let quiet = false; !quiet; ) {
      await new Promise((r) => setTimeout(r, 1000));
      await op.operator.idle();
      quiet = op.operator.writes === before;
      before = op.operator.writes;
    }
    const reconciled = () => op.logs.filter((l) => l.includes('"msg":"Reconciled Task"')).length;
    const reconcilesBefore = reconciled();
    op.operator.resync();
    await op.operator.idle();
    // Every cached Task was reconciled again …
    expect(reconciled() - reconcilesBefore).toBe(op.operator.caches.tasks.size);
    // … and none of them needed a write.
    expect(op.operator.writes - before).toBe(0);
  });
});
