/**
 * The one way the Task reconciler deletes a Job: the Job it read, by that Job's UID, with
 * Background propagation so its Pods go with it, and only when the Job is the one the caller
 * means to delete.
 *
 * @packageDocumentation
 */
import type { Task } from '../../../api/index.ts';
import { type ApiObject, isConflict } from '../../../kube/client.ts';
import { Resources } from '../../resources.ts';
import { isOwnedBy, nameOf, ownedByPreviousTask, type TaskReconcilerOptions } from './options.ts';

/** Whose Job is to go: the Task's own, or one a previous Task of its name left behind. */
export type JobOwner = 'task' | 'previous-task';

/**
 * What {@link deleteTaskJob} found: `deleted`; `gone` (deleted or replaced since it was read:
 * the Job it read no longer exists either way); `deleting` (already being deleted, so nothing
 * to write); `not-ours` (another owner's Job holds the name: never deleted).
 */
export type JobDeletion = 'deleted' | 'gone' | 'deleting' | 'not-ours';

/**
 * Deletes `job`, the Job named after `task`, when `owner` controls it and it is not already
 * being deleted. The UID precondition makes the delete miss a Job of the same name created
 * since the read (409 Conflict), which is then `gone` like a 404: the Job read is not there.
 */
export async function deleteTaskJob(
  o: TaskReconcilerOptions,
  task: Task,
  job: ApiObject,
  owner: JobOwner = 'task',
): Promise<JobDeletion> {
  const ours = owner === 'task' ? isOwnedBy(job, task) : ownedByPreviousTask(job, task);
  if (!ours) return 'not-ours';
  if (job.metadata.deletionTimestamp) return 'deleting';
  const { namespace, name } = nameOf(task);
  const deleted = await o.client
    .delete(Resources.Job, namespace, name, { uid: job.metadata.uid, propagationPolicy: 'Background' })
    .catch((err: unknown) => {
      if (isConflict(err)) return false;
      throw err;
    });
  return deleted ? 'deleted' : 'gone';
}
