/**
 * The reservation running Tasks hold against TaskBudgets (see src/operator/usage-estimate.ts),
 * read from the caches at admission time: no extra writes, no extra requests.
 *
 * @packageDocumentation
 */
import type { TaskBudget } from '../../../api/index.ts';
import type { Selector } from '../../../kube/label-selector.ts';
import { reservedCost } from '../../usage-estimate.ts';
import { admittedLabels } from './finish.ts';
import { adminOf, type TaskReconcilerOptions } from './options.ts';

/** `reservedFor` of {@link admit}: the cost the running Tasks of the budget's namespace hold. */
export const reservationsOf =
  (o: TaskReconcilerOptions) =>
  (budget: TaskBudget, selector: Selector): { costUSD: string; tasks: number } => {
    const namespace = budget.metadata.namespace ?? '';
    const tasks = o.caches.tasks.list(namespace).map((task) => {
      const job = o.caches.jobs.get(namespace, task.metadata.name ?? '');
      return { task, labels: admittedLabels(task, job), hasJob: job !== undefined };
    });
    return reservedCost(tasks, selector, adminOf(o).rates, o.clock.now());
  };
