import { describe, expect, test } from 'vitest';
import type { Task } from '../../../src/api/index.ts';
import { ApiError, type ApiObject } from '../../../src/kube/client.ts';
import { deleteTaskJob } from '../../../src/operator/reconcilers/task/delete-job.ts';

const task = { metadata: { name: 'fix', namespace: 'team', uid: 'task-2' } } as unknown as Task;

const job = (ownerUid: string, over: Partial<ApiObject['metadata']> = {}): ApiObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: {
    name: 'fix',
    namespace: 'team',
    uid: 'job-1',
    ownerReferences: [
      { apiVersion: 'kelos.dev/v1alpha2', kind: 'Task', name: 'fix', uid: ownerUid, controller: true },
    ],
    ...over,
  },
});

/** A client whose deletes answer `answer`, recording what they asked. */
const clientOf = (answer: () => Promise<boolean>) => {
  const calls: unknown[][] = [];
  const client = {
    delete: (...args: unknown[]) => {
      calls.push(args);
      return answer();
    },
  };
  return { o: { client } as never, calls };
};

describe('deleteTaskJob', () => {
  test("deletes the Task's own Job by its uid with Background propagation", async () => {
    const { o, calls } = clientOf(async () => true);
    expect(await deleteTaskJob(o, task, job('task-2'))).toBe('deleted');
    expect(calls).toEqual([
      [expect.anything(), 'team', 'fix', { uid: 'job-1', propagationPolicy: 'Background' }],
    ]);
  });

  test('never deletes a Job another owner controls, nor one already being deleted', async () => {
    const { o, calls } = clientOf(async () => true);
    expect(await deleteTaskJob(o, task, job('task-1'))).toBe('not-ours');
    expect(await deleteTaskJob(o, task, job('task-2', { deletionTimestamp: '2026-01-01T00:00:00Z' }))).toBe(
      'deleting',
    );
    expect(calls).toEqual([]);
  });

  test("a previous Task's Job is deleted only when asked for it", async () => {
    const { o, calls } = clientOf(async () => true);
    expect(await deleteTaskJob(o, task, job('task-1'), 'previous-task')).toBe('deleted');
    expect(await deleteTaskJob(o, task, job('task-2'), 'previous-task')).toBe('not-ours');
    expect(calls).toHaveLength(1);
  });

  test('a Job gone (404) or replaced since it was read (409 on the uid precondition) is gone', async () => {
    expect(await deleteTaskJob(clientOf(async () => false).o, task, job('task-2'))).toBe('gone');
    const conflict = clientOf(() => Promise.reject(new ApiError(409, 'Conflict', 'uid precondition failed')));
    expect(await deleteTaskJob(conflict.o, task, job('task-2'))).toBe('gone');
    const forbidden = clientOf(() => Promise.reject(new ApiError(403, 'Forbidden', 'jobs is forbidden')));
    await expect(deleteTaskJob(forbidden.o, task, job('task-2'))).rejects.toThrow('forbidden');
  });
});
