/**
 * The TaskBudget reconciler: keeps `status` showing the current period, the usage summed
 * from TaskRecords in it, and a `Degraded` condition when the budget cannot be evaluated
 * (invalid selector, unknown time zone), and how many Tasks wait because of it with a
 * `Holding` condition saying why (read back from the waiting Tasks' `BudgetBlocked` condition,
 * which names what the running Tasks reserve). It runs again when a TaskRecord or a Task of its
 * namespace changes and when the period rolls over. The status is made of cached objects only,
 * never of the time: a resync finds nothing to write, although a reservation grows while its
 * Task runs (the waiting Task's own re-check, at most 5 minutes apart, brings the new amount).
 *
 * Admission itself happens in the Task reconciler, which reads the same memoized state
 * ({@link BudgetStates}). So does the Kelos extension `spec.enforcement: StopRunning`: once a
 * budget with it is used up, the Task reconciler deletes the Jobs of the running Tasks it
 * covers and fails them with reason `BudgetExceeded` (upstream only blocks new Tasks, so a
 * runaway agent can overspend without bound).
 *
 * @packageDocumentation
 */
import {
  ConditionTypes,
  isTerminalPhase,
  type Task,
  type TaskBudget,
  type TaskBudgetStatus,
  type TaskRecord,
} from '../../api/index.ts';
import { isConflict, type KubeClient } from '../../kube/client.ts';
import { type Clock, rfc3339 } from '../../kube/clock.ts';
import type { Informer } from '../../kube/informer.ts';
import { Checklist, type Logger } from '../../kube/log.ts';
import type { ReconcileResult, WorkQueue } from '../../kube/queue.ts';
import { budgetBlockedPrefix, usageToStatus } from '../budget.ts';
import type { BudgetStates } from '../budget-state.ts';
import { Resources } from '../resources.ts';
import { resolveCondition, setCondition, statusPatch } from '../status.ts';

/** Name of this controller in logs and metrics. */
export const TASK_BUDGET_CONTROLLER = 'taskbudget';

/** Options of {@link TaskBudgetReconciler}. */
export interface TaskBudgetReconcilerOptions {
  readonly client: KubeClient;
  readonly budgets: Informer<TaskBudget>;
  readonly records: Informer<TaskRecord>;
  readonly states: BudgetStates;
  /** Tasks, to count those waiting because of a budget; unset: `waitingTasks` is not written. */
  readonly tasks?: Informer<Task>;
  readonly clock: Clock;
  readonly log: Logger;
}

/** How often a Degraded budget is looked at again without any event. */
const DEGRADED_REQUEUE_MS = 60_000;

/** Reconciles TaskBudget status. */
export class TaskBudgetReconciler {
  readonly #o: TaskBudgetReconcilerOptions;

  constructor(opts: TaskBudgetReconcilerOptions) {
    this.#o = opts;
  }

  /** Maps events to TaskBudget keys on `queue`. */
  register(queue: WorkQueue): void {
    const { budgets, records, states, tasks } = this.#o;
    budgets.onChange((type, key, budget) => {
      if (type === 'delete') states.forget(budget.metadata.namespace ?? '', budget.metadata.name ?? '');
      queue.add(key);
    });
    // Usage changed: every budget of the namespace may see a different sum.
    records.onChange((type, _key, record) => {
      if (type === 'resync') return;
      for (const b of budgets.list(record.metadata.namespace)) {
        queue.add(`${b.metadata.namespace}/${b.metadata.name}`);
      }
    });
    // A Task that starts waiting, or stops: the namespace's budgets count what waits. Only a
    // Task a budget ever held (one with a BudgetBlocked condition): a burst of others costs nothing.
    tasks?.onChange((type, _key, task) => {
      if (type === 'resync') return;
      if (!task.status?.conditions?.some((c) => c.type === ConditionTypes.BudgetBlocked)) return;
      for (const b of budgets.list(task.metadata.namespace)) {
        queue.add(`${b.metadata.namespace}/${b.metadata.name}`);
      }
    });
  }

  /** Reconciles the TaskBudget under `key`. */
  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const budget = this.#o.budgets.getByKey(key);
    const log = this.#o.log.child({ controller: TASK_BUDGET_CONTROLLER, key });
    if (!budget) return undefined;
    const list = new Checklist();
    try {
      const result = await this.#reconcile(budget, list);
      const fields = { steps: list.steps, requeueAfterMs: result?.requeueAfterMs };
      log[list.level()]('Reconciled TaskBudget', fields);
      return result;
    } catch (err) {
      if (isConflict(err)) return { requeueAfterMs: 250 };
      log.error('Reconcile of TaskBudget failed', { steps: list.steps, error: err });
      throw err;
    }
  }

  async #reconcile(budget: TaskBudget, list: Checklist): Promise<ReconcileResult | undefined> {
    const now = this.#o.clock.now();
    const state = this.#o.states.stateOf(budget);
    const stamp = rfc3339(now);
    const current = budget.status ?? {};
    let next: TaskBudgetStatus;
    let requeueAfterMs: number;
    if (!state.ok) {
      list.fail(`Cannot evaluate: ${state.problem.message}`);
      next = {
        ...current,
        observedGeneration: budget.metadata.generation,
        conditions: setCondition(
          current.conditions,
          {
            type: ConditionTypes.Degraded,
            status: 'True',
            reason: state.problem.reason,
            message: `${state.problem.message}; every Task in the namespace is blocked until it is fixed`,
          },
          stamp,
          budget.metadata.generation,
        ),
      };
      requeueAfterMs = DEGRADED_REQUEUE_MS;
    } else {
      const used = usageToStatus(state.used);
      list.step(
        `Period ${rfc3339(state.period.start)} – ${rfc3339(state.period.end)}: used ${used.costUSD} USD, ${used.inputTokens} input and ${used.outputTokens} output tokens${
          state.exhausted ? ` (used up: ${state.exhausted})` : ''
        }`,
      );
      next = {
        ...current,
        observedGeneration: budget.metadata.generation,
        currentPeriodStart: rfc3339(state.period.start),
        currentPeriodEnd: rfc3339(state.period.end),
        used,
        conditions: resolveCondition(
          current.conditions,
          {
            type: ConditionTypes.Degraded,
            status: 'False',
            reason: 'Evaluated',
            message: 'Budget evaluated',
          },
          stamp,
        ),
      };
      if (this.#o.tasks) {
        const holding = holdingOf(budget.metadata.name ?? '', this.#o.tasks.list(budget.metadata.namespace));
        if (holding) {
          list.step(holding.message);
          next.waitingTasks = holding.waiting;
          next.conditions = setCondition(
            next.conditions,
            {
              type: ConditionTypes.Holding,
              status: 'True',
              reason: 'TasksWaiting',
              message: holding.message,
            },
            stamp,
          );
        } else {
          delete next.waitingTasks;
          next.conditions = resolveCondition(
            next.conditions,
            {
              type: ConditionTypes.Holding,
              status: 'False',
              reason: 'NoneWaiting',
              message: 'No Task waits because of this budget',
            },
            stamp,
          );
        }
      }
      if (!next.conditions?.length) delete next.conditions;
      requeueAfterMs = Math.max(1, state.period.end - now);
    }
    const patch = statusPatch(current as Record<string, unknown>, next as Record<string, unknown>);
    if (patch) {
      await this.#o.client.mergePatch(
        Resources.TaskBudget,
        budget.metadata.namespace,
        budget.metadata.name ?? '',
        { status: patch },
        { subresource: 'status', resourceVersion: budget.metadata.resourceVersion },
      );
      list.write('Status written');
    } else {
      list.step('Status unchanged');
    }
    return { requeueAfterMs };
  }
}

/**
 * The Tasks waiting because of budget `name` (their `BudgetBlocked` condition names it), and a
 * message saying why, from the first of them by name: what the period used, what the running
 * Tasks reserve, and when they may start. Undefined when none waits.
 */
export function holdingOf(
  name: string,
  tasks: readonly Task[],
): { readonly waiting: number; readonly message: string } | undefined {
  const prefix = budgetBlockedPrefix(name);
  const waiting: { name: string; why: string }[] = [];
  for (const t of tasks) {
    if (isTerminalPhase(t.status?.phase)) continue;
    const c = t.status?.conditions?.find((x) => x.type === ConditionTypes.BudgetBlocked);
    if (c?.status === 'True' && c.message?.startsWith(prefix))
      waiting.push({ name: t.metadata.name ?? '', why: c.message.slice(prefix.length) });
  }
  if (waiting.length === 0) return undefined;
  waiting.sort((a, b) => a.name.localeCompare(b.name));
  const names = waiting.slice(0, 3).map((w) => w.name);
  const shown = `${names.join(', ')}${waiting.length > 3 ? ', …' : ''}`;
  const count = waiting.length === 1 ? '1 Task waits' : `${waiting.length} Tasks wait`;
  return { waiting: waiting.length, message: `${count} (${shown}): ${waiting[0]!.why}` };
}
