/**
 * The TaskRecord reconciler: deletes a record `spec.ttlSecondsAfterCompletion` seconds after
 * its `completionTime` (35 days for the records the operator writes). Records are otherwise
 * immutable and have no owner, so they outlive the Task they describe.
 *
 * @packageDocumentation
 */
import type { TaskRecord } from '../../api/index.ts';
import type { KubeClient } from '../../kube/client.ts';
import type { Clock } from '../../kube/clock.ts';
import type { EventRecorder } from '../../kube/events.ts';
import type { Informer } from '../../kube/informer.ts';
import type { Logger } from '../../kube/log.ts';
import type { ReconcileResult, WorkQueue } from '../../kube/queue.ts';
import { Resources } from '../resources.ts';

/** Name of this controller in logs and metrics. */
export const TASK_RECORD_CONTROLLER = 'taskrecord';

/** Options of {@link TaskRecordReconciler}. */
export interface TaskRecordReconcilerOptions {
  readonly client: KubeClient;
  readonly records: Informer<TaskRecord>;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Expires TaskRecords. */
export class TaskRecordReconciler {
  readonly #o: TaskRecordReconcilerOptions;

  constructor(opts: TaskRecordReconcilerOptions) {
    this.#o = opts;
  }

  /** Maps record events to keys on `queue`. */
  register(queue: WorkQueue): void {
    this.#o.records.onChange((type, key) => {
      if (type !== 'delete') queue.add(key);
    });
  }

  /** Reconciles the TaskRecord under `key`. */
  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const record = this.#o.records.getByKey(key);
    if (!record) return undefined;
    const ttl = record.spec?.ttlSecondsAfterCompletion;
    const done = Date.parse(record.spec?.completionTime ?? '');
    if (ttl === undefined || Number.isNaN(done)) return undefined;
    const remaining = done + ttl * 1000 - this.#o.clock.now();
    if (remaining > 0) return { requeueAfterMs: remaining };
    const log = this.#o.log.child({ controller: TASK_RECORD_CONTROLLER, key });
    const deleted = await this.#o.client.delete(
      Resources.TaskRecord,
      record.metadata.namespace,
      record.metadata.name ?? '',
      {
        uid: record.metadata.uid,
      },
    );
    if (deleted) {
      log.info('Reconciled TaskRecord', { steps: [`Deleted: ttlSecondsAfterCompletion (${ttl} s) expired`] });
      this.#o.events.record(
        record,
        'Normal',
        'TaskRecordExpired',
        `Deleted ${ttl} s after the Task completed (ttlSecondsAfterCompletion)`,
        'Delete',
      );
    }
    return undefined;
  }
}
