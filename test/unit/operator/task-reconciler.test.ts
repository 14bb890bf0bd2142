import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FINALIZER, type Task } from '../../../src/api/index.ts';
import { isConflict } from '../../../src/kube/client.ts';
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

    const pending = op.task('happy');
    expect(pending?.metadata.finalizers).toEqual([FINALIZER]);
    expect(pending?.status).toEqual({
      phase: 'Pending',
      jobName: 'happy',
      message: 'Job created; waiting for its Pod to run',
    });

    op.clock.advance(10_000);
    const pod = await op.startPod('happy');
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
    expect(op.events('happy')).toEqual([
      'JobCreated: Created Job team/happy',
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
        ttlSecondsAfterCompletion: 2592000,
      },
    });
  });
});
