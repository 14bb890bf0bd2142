/**
 * Watch mapping of the TaskSpawner reconciler: which events bring which spawner keys. A
 * spawner's own poll timer is the requeue-after its reconcile returns.
 *
 * @packageDocumentation
 */
import type { WorkQueue } from '../../../kube/queue.ts';
import { spawnerKeyOf } from '../../spawner/ownership.ts';
import type { TaskSpawnerReconcilerOptions } from './options.ts';

/** Registers the handlers on the informers. */
export function registerSpawnerWatches(o: TaskSpawnerReconcilerOptions, queue: WorkQueue): void {
  const { spawners, tasks } = o.caches;
  // A new or changed spec polls at once; status-only updates (our own writes) do not.
  spawners.onChange((type, key, s, old) => {
    if (type === 'update' && old?.metadata.generation === s.metadata.generation) return;
    queue.add(key);
  });
  // A Task that appears, goes away or changes phase frees room under the caps, changes
  // activeTasks, or has a phase to report.
  tasks.onChange((type, _key, task, old) => {
    if (type === 'resync') return;
    const changed =
      type !== 'update' ||
      old?.status?.phase !== task.status?.phase ||
      old?.status?.results?.pr !== task.status?.results?.pr;
    if (!changed) return;
    const key = spawnerKeyOf(task);
    if (key) queue.add(key);
  });
}
