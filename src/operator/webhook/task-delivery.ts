/**
 * What a webhook Task tells the ledger (ledger.ts) after its receiver is gone: the delivery
 * it was created for ({@link DELIVERY_ANNOTATION}, stamped at the create), so the Task
 * reconciler can make sure the delivery is recorded before its finalizer lets the Task go
 * (`ttlSecondsAfterFinished` or a delete). Without it, a receiver killed between the create
 * and its grouped record (about 200 ms) left a delivery that only the Task's name
 * deduplicated, and a redelivery after the deletion ran the work again. Also the serial
 * number a spawner's first ledger starts from.
 *
 * @packageDocumentation
 */
import type { Task, TaskSpawner } from '../../api/index.ts';
import type { Informer } from '../../kube/informer.ts';
import { SEQUENCE_ANNOTATION } from '../reconcilers/task-spawner/options.ts';
import { belongsTo, spawnerOwnerOf } from '../spawner/ownership.ts';
import type { Ledgers } from './ledger.ts';
import { DELIVERY_ANNOTATION, isEntryKey } from './ledger-format.ts';

/** The serial number a spawner's first ledger starts from: its status and its Tasks. */
export const ledgerSeed = (spawner: TaskSpawner, tasks: Informer<Task>): number => {
  let n = spawner.status?.totalTasksCreated ?? 0;
  for (const t of tasks.list(spawner.metadata.namespace)) {
    if (!belongsTo(t, spawner)) continue;
    n = Math.max(n, Number(t.metadata.annotations?.[SEQUENCE_ANNOTATION]) || 0);
  }
  return n;
};

/**
 * Makes sure the ledger of the Task's spawner holds the Task's delivery as processed;
 * resolves to how many ms the Task must still be kept ({@link Ledgers.record}; 0 for a Task
 * that is not a webhook Task, or whose spawner is gone, its ledger with it). Costs a read of
 * the ledger (at most one a second per spawner) and, only after a receiver died before its
 * record, one write.
 */
export async function recordDelivery(
  ledgers: Ledgers,
  spawners: Informer<TaskSpawner> | undefined,
  task: Task,
): Promise<number> {
  const key = task.metadata.annotations?.[DELIVERY_ANNOTATION];
  if (!key || !isEntryKey(key)) return 0;
  const owner = spawnerOwnerOf(task);
  const spawner = owner && spawners?.get(task.metadata.namespace ?? '', owner.name);
  if (!spawner || spawner.metadata.uid !== owner.uid || spawner.metadata.deletionTimestamp) return 0;
  const seq = Number(task.metadata.annotations?.[SEQUENCE_ANNOTATION]);
  return ledgers.record(spawner, key, Number.isSafeInteger(seq) && seq > 0 ? seq : 0);
}
