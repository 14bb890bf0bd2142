/**
 * Which TaskSpawner a Task is, the one definition the Task reconciler, the TaskSpawner
 * reconciler, the GitHub App token and the webhook receiver share.
 *
 * - The *controlling spawner* ({@link spawnerOwnerOf}) is the Task's controller owner
 *   reference when it names kind TaskSpawner in group `kelos.dev`: a kind is known by its
 *   group, and the garbage collector resolves the reference the same way.
 * - A *legacy* Task ({@link legacySpawnerOf}) has no controller owner reference and names its
 *   spawner by the `kelos.dev/taskspawner` label. Non-controlling owner references do not
 *   count: upstream's `TaskBelongsToSpawner` only asks for a controller.
 * - A Task *belongs* to a spawner ({@link belongsTo}) when the controlling spawner has its
 *   UID, or, for a legacy Task, when the label names it. The UID, not the name: a Task of a
 *   spawner deleted and created again under the same name is not the new spawner's, and its
 *   name is a collision for the new one until the garbage collector removes it.
 *
 * @packageDocumentation
 */
import { GROUP, Labels } from '../../api/group.ts';
import type { Task, TaskSpawner } from '../../api/object.ts';

/** The name and UID of the TaskSpawner that controls `task`, if any. */
export const spawnerOwnerOf = (task: Task): { name: string; uid: string } | undefined => {
  const ref = task.metadata.ownerReferences?.find((r) => r.controller);
  return ref?.kind === 'TaskSpawner' && ref.apiVersion.startsWith(`${GROUP}/`)
    ? { name: ref.name, uid: ref.uid }
    : undefined;
};

/** The spawner a legacy Task names by its label: only when no owner reference controls it. */
export const legacySpawnerOf = (task: Task): string | undefined =>
  task.metadata.ownerReferences?.some((r) => r.controller)
    ? undefined
    : task.metadata.labels?.[Labels.TaskSpawner];

/** Whether `task` belongs to `spawner` (upstream's `TaskBelongsToSpawner`). */
export const belongsTo = (task: Task, spawner: TaskSpawner): boolean => {
  const owner = spawnerOwnerOf(task);
  if (owner) return owner.uid === spawner.metadata.uid;
  const legacy = legacySpawnerOf(task);
  return legacy !== undefined && legacy === spawner.metadata.name;
};

/**
 * The name of the spawner `task` points at: its controlling spawner, whatever that spawner's
 * UID, else its legacy label. Callers that need the spawner itself check {@link belongsTo}
 * against the one they find under this name.
 */
export const spawnerNameOf = (task: Task): string | undefined =>
  spawnerOwnerOf(task)?.name ?? legacySpawnerOf(task);

/**
 * The work-queue key of the spawner whose reconcile a change of `task` concerns. By name, not
 * UID: a Task left by a spawner deleted and created again under that name is a name collision
 * in the new spawner's plan, so its deletion must bring the new spawner to create the Task.
 */
export const spawnerKeyOf = (task: Task): string | undefined => {
  const name = spawnerNameOf(task);
  return name ? `${task.metadata.namespace ?? ''}/${name}` : undefined;
};
