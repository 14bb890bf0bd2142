/**
 * What the steps of a Task reconcile share: the options, and what this process remembers
 * about Tasks between reconciles (pending admissions, GitHub App tokens). The memory is a
 * cache of decisions, never the truth: the API server is, and a restart loses nothing.
 *
 * @packageDocumentation
 */
import type { Condition, Task } from '../../../api/index.ts';
import type { Diagnostic } from '../../../validate/diagnostic.ts';
import type { GitHubTokens } from './github-token.ts';
import { keyOf, type TaskReconcilerOptions } from './options.ts';
import type { BudgetHolds } from './reservations.ts';
import type { SecretPresence } from './secrets.ts';
import type { SpawnerSlots } from './spawner-gate.ts';

/** What this process remembers about one Task not yet admitted. */
export interface PendingEntry {
  readonly uid: string;
  /** Validation errors (the spec is immutable, so a Task is validated once). */
  validation?: readonly Diagnostic[];
  /** The gate conditions, set between creating the Job and writing the status. */
  conditions?: readonly Condition[];
  /** Since when (clock ms) admission finds a Secret the Pod needs missing: the re-check backs off. */
  secretMissingSince?: number;
  /**
   * When this process created the Task's Job (clock ms), set only then: the first status waits
   * a little for its Pod, and a Job the cache does not show yet is read, not created again.
   */
  jobCreatedAt?: number;
}

/**
 * Tasks not yet admitted, by key. An entry is dropped once the status is written, when the
 * Task is gone, or when it finished, so it stays as small as the set of pending Tasks.
 */
export class PendingTasks {
  readonly #entries = new Map<string, PendingEntry>();

  /** Forgets the Task under `key`. */
  forget(key: string): void {
    this.#entries.delete(key);
  }

  /** The entry of this Task (a new one if the uid changed). */
  remember(task: Task): PendingEntry {
    const key = keyOf(task);
    const uid = task.metadata.uid ?? '';
    let entry = this.#entries.get(key);
    if (!entry || entry.uid !== uid) {
      entry = { uid };
      this.#entries.set(key, entry);
    }
    return entry;
  }

  /** The entry of this Task, when it belongs to this very Task (uid). */
  of(task: Task): PendingEntry | undefined {
    const entry = this.#entries.get(keyOf(task));
    return entry?.uid === task.metadata.uid ? entry : undefined;
  }

  /** Removes and returns the entry of this Task, when it belongs to this very Task (uid). */
  take(task: Task): PendingEntry | undefined {
    const key = keyOf(task);
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    return entry?.uid === task.metadata.uid ? entry : undefined;
  }
}

/** What every step of a Task reconcile receives. */
export interface TaskContext {
  readonly o: TaskReconcilerOptions;
  readonly pending: PendingTasks;
  readonly tokens: GitHubTokens;
  /** Tasks admitted under their spawner's cap that the cache may not show yet. */
  readonly slots: SpawnerSlots;
  /** Tasks admitted under TaskBudgets that the caches may not show yet. */
  readonly holds: BudgetHolds;
  /** Secrets seen to exist lately, shared by the admissions of a burst. */
  readonly secrets: SecretPresence;
}
