/**
 * Issue 9, #9: the pod-log fallback reads a bounded amount, and a Task re-created while its
 * predecessor's Job is still around gets its own Job instead of failing with JobConflict.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiObject } from '../../../src/kube/client.ts';
import { POD_LOG_LIMIT_BYTES } from '../../../src/operator/reconcilers/task/tracking.ts';
import {
  NS,
  newTask,
  ownedLabels,
  startTaskOperator,
  type TaskOperator,
} from '../../support/task-operator.ts';

let op: TaskOperator;
afterEach(async () => {
  await op?.stop();
});

describe('Task children under hostile or racing input', () => {
  it('reads at most POD_LOG_LIMIT_BYTES of a huge pod log', async () => {
    op = await startTaskOperator();
    await op.create('Task', newTask('chatty'));
    const pod = await op.startPod('chatty');
    op.kube.setPodLog(NS, pod, 'kelos-agent', `${'x'.repeat(4 * 1024 * 1024)}\n`);
    await op.podStatus(pod, {
      phase: 'Succeeded',
      containerStatuses: [
        {
          name: 'kelos-agent',
          state: {
            terminated: {
              exitCode: 0,
              startedAt: '2026-03-02T09:00:00Z',
              finishedAt: '2026-03-02T09:00:00Z',
            },
          },
        },
      ],
    });
    await op.jobStatus('chatty', { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] });
    expect(op.kube.logBytesServed.length).toBeGreaterThan(0);
    expect(Math.max(...op.kube.logBytesServed)).toBeLessThanOrEqual(POD_LOG_LIMIT_BYTES);
    expect(op.task('chatty')?.status?.phase).toBe('Succeeded');
  });

  it('admits a Task re-created while the Job of its predecessor still exists', async () => {
    op = await startTaskOperator();
    // The Job an earlier Task named "again" left behind, still owned by that Task's UID (the
    // garbage collector, or the informer, has not caught up yet).
    await op.create('Job', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'again',
        labels: ownedLabels('again'),
        ownerReferences: [
          {
            apiVersion: 'kelos.dev/v1alpha2',
            kind: 'Task',
            name: 'again',
            uid: 'uid-of-the-first-again',
            controller: true,
          },
        ],
      },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } },
    } as ApiObject);
    const second = await op.create('Task', newTask('again'));
    for (
      let i = 0;
      i < 5 && op.job('again')?.metadata.ownerReferences?.[0]?.uid !== second.metadata.uid;
      i++
    ) {
      op.clock.advance(1_000);
      await op.settle();
    }
    expect(op.task('again')?.status?.phase).not.toBe('Failed');
    expect(op.job('again')?.metadata.ownerReferences?.[0]?.uid).toBe(second.metadata.uid);
  });

  it('still refuses a Job of the same name that no Task of this name owns', async () => {
    op = await startTaskOperator();
    await op.create('Job', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'taken', labels: ownedLabels('taken') },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } },
    } as ApiObject);
    await op.create('Task', newTask('taken'));
    expect(op.task('taken')?.status).toMatchObject({
      phase: 'Failed',
      message: 'Job team/taken already exists and is not owned by this Task',
    });
  });
});
