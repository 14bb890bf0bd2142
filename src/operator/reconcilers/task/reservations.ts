/**
 * What TaskBudgets must count beyond the TaskRecords the budget state sums, read from the
 * caches and this process's memory at admission time: no extra writes, no extra requests.
 *
 * - The reservation of every admitted, unfinished Task (see src/operator/usage-estimate.ts).
 *   "Admitted" is what the caches show (a Job, `status.jobName`) or, until they do, what this
 *   process decided ({@link BudgetHolds}): a burst of reconciles runs its gates one after the
 *   other before any of their Jobs reaches the cache, and without the hold each saw no
 *   reservation and all started under the same limit.
 * - The usage of a finished Task whose TaskRecord is not in the cache yet: a dependent Task is
 *   reconciled the moment its dependency finishes, before that record exists, and must see
 *   what the dependency spent.
 *
 * @packageDocumentation
 */
import { isTerminalPhase, type Task, type TaskBudget } from '../../../api/index.ts';
import type { Selector } from '../../../kube/label-selector.ts';
import type { Period } from '../../budget.ts';
import { type BudgetExtra, pendingRecordUsage, reservedCost } from '../../usage-estimate.ts';
import { admittedLabels } from './finish.ts';
import { adminOf, type TaskReconcilerOptions } from './options.ts';

/**
 * Tasks this process admitted past the budget gate whose admission the caches do not show yet,
 * by namespace, name and uid. The branch gate reads them too: such a Task holds its branch. A hold is dropped when the cache shows the Job or `jobName`, or
 * the Task finished, changed uid or is gone; until then it counts, even if the Job create
 * failed (the budget may be under-used for a moment, never exceeded).
 */
export class BudgetHolds {
  readonly #held = new Map<string, Map<string, string>>();

  /** Holds `task` in its namespace. */
  hold(task: Task): void {
    const namespace = task.metadata.namespace ?? '';
    let m = this.#held.get(namespace);
    if (!m) {
      m = new Map();
      this.#held.set(namespace, m);
    }
    m.set(task.metadata.name ?? '', task.metadata.uid ?? '');
  }

  /** Whether `task` (this very object, by uid) is held. */
  holds(task: Task): boolean {
    return this.#held.get(task.metadata.namespace ?? '')?.get(task.metadata.name ?? '') === task.metadata.uid;
  }

  /** Drops the hold of `task`, if it is held. */
  release(task: Task): void {
    const namespace = task.metadata.namespace ?? '';
    const m = this.#held.get(namespace);
    if (!this.holds(task) || !m) return;
    m.delete(task.metadata.name ?? '');
    if (m.size === 0) this.#held.delete(namespace);
  }

  /** Drops the holds of `namespace` that `stillHeld` says the caches made redundant. */
  prune(namespace: string, stillHeld: (name: string, uid: string) => boolean): void {
    const m = this.#held.get(namespace);
    if (!m) return;
    for (const [name, uid] of m) if (!stillHeld(name, uid)) m.delete(name);
    if (m.size === 0) this.#held.delete(namespace);
  }
}

/** Drops the holds of `namespace` the caches made redundant (see {@link BudgetHolds}). */
const pruneHolds = (o: TaskReconcilerOptions, holds: BudgetHolds, namespace: string): void =>
  holds.prune(namespace, (name, uid) => {
    const task = o.caches.tasks.get(namespace, name);
    return (
      task?.metadata.uid === uid &&
      !isTerminalPhase(task.status?.phase) &&
      !task.status?.jobName &&
      o.caches.jobs.get(namespace, name) === undefined
    );
  });

/**
 * Holds an admitted Task until the caches show it. The namespace's redundant holds are dropped
 * first, so they stay as few as the admissions the caches lag behind, budgets or not.
 */
export const holdAdmitted = (o: TaskReconcilerOptions, holds: BudgetHolds, task: Task): void => {
  pruneHolds(o, holds, task.metadata.namespace ?? '');
  holds.hold(task);
};

/** `extraFor` of {@link admit}: what running and just-finished Tasks of the budget's namespace add. */
export const budgetExtrasOf =
  (o: TaskReconcilerOptions, holds: BudgetHolds) =>
  (budget: TaskBudget, selector: Selector, period: Period): BudgetExtra => {
    const namespace = budget.metadata.namespace ?? '';
    const { rates } = adminOf(o);
    const now = o.clock.now();
    pruneHolds(o, holds, namespace);
    const running = [];
    const finished = [];
    for (const task of o.caches.tasks.list(namespace)) {
      const job = o.caches.jobs.get(namespace, task.metadata.name ?? '');
      const labels = admittedLabels(task, job);
      running.push({ task, labels, hasJob: job !== undefined || holds.holds(task) });
      const usage = pendingRecordUsage(task, rates, now, period, (uid) =>
        o.caches.records.get(namespace, uid),
      );
      if (usage) finished.push({ usage, labels });
    }
    return reservedCost(running, finished, selector, rates, now, (task) =>
      o.runtime.activeDeadlineSeconds(task),
    );
  };
