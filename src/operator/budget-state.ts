/**
 * Budget evaluation with a memo: a burst of 1,000 Tasks under one TaskBudget must not sum
 * the namespace's TaskRecords 1,000 times. An entry stays valid while the budget object, the
 * TaskRecord cache and the period are unchanged.
 *
 * @packageDocumentation
 */
import type { TaskBudget, TaskRecord } from '../api/index.ts';
import type { Clock } from '../kube/clock.ts';
import type { Informer } from '../kube/informer.ts';
import { type BudgetState, evaluateBudget } from './budget.ts';

interface Entry {
  readonly budgetVersion: string | undefined;
  readonly recordsVersion: number;
  /** The state is stale from this instant (the period ends). */
  readonly validUntil: number;
  readonly state: BudgetState;
}

/** Memoized {@link evaluateBudget} over the TaskRecord informer. */
export class BudgetStates {
  readonly #records: Informer<TaskRecord>;
  readonly #clock: Clock;
  readonly #memo = new Map<string, Entry>();
  #recordsVersion = 0;

  constructor(records: Informer<TaskRecord>, clock: Clock) {
    this.#records = records;
    this.#clock = clock;
    records.onChange(() => {
      this.#recordsVersion++;
    });
  }

  /** The state of `budget` now. */
  stateOf(budget: TaskBudget): BudgetState {
    const key = `${budget.metadata.namespace}/${budget.metadata.name}`;
    const now = this.#clock.now();
    const hit = this.#memo.get(key);
    if (
      hit &&
      hit.budgetVersion === budget.metadata.resourceVersion &&
      hit.recordsVersion === this.#recordsVersion &&
      now < hit.validUntil
    ) {
      return hit.state;
    }
    const state = evaluateBudget(budget, this.#records.list(budget.metadata.namespace), now);
    // A broken budget is re-checked at most every minute of clock time, or on any change.
    const validUntil = state.ok ? state.period.end : now + 60_000;
    this.#memo.set(key, {
      budgetVersion: budget.metadata.resourceVersion,
      recordsVersion: this.#recordsVersion,
      validUntil,
      state,
    });
    return state;
  }

  /** Forgets a deleted budget. */
  forget(namespace: string, name: string): void {
    this.#memo.delete(`${namespace}/${name}`);
  }
}
