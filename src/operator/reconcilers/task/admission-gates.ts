/**
 * The admission gates of a Task, in order, each leaving it `Waiting` (or `Failed`) with a
 * condition that says why: its references (Workspace, AgentConfigs) exist, its dependencies
 * succeeded, its branch is free (upstream's branch_locker.go), and every TaskBudget covering
 * it admits it (task_budget_admission.go). The Workspace and AgentConfigs are resolved here,
 * once, and handed to the render.
 *
 * @packageDocumentation
 */
import {
  type AgentConfig,
  type Condition,
  ConditionTypes,
  type Task,
  type Workspace,
} from '../../../api/index.ts';
import { rfc3339 } from '../../../kube/clock.ts';
import type { Checklist } from '../../../kube/log.ts';
import type { ReconcileResult } from '../../../kube/queue.ts';
import { closest } from '../../../validate/echo.ts';
import { admit, budgetBlockedPrefix, budgetRequeueMs } from '../../budget.ts';
import {
  agentConfigsOf,
  branchKey,
  checkBranchLock,
  checkDependencies,
  type DependencyGate,
  workspaceOf,
} from '../../gates.ts';
import { spawnerOwnerOf } from '../../spawner/ownership.ts';
import { type ConditionInput, resolveCondition, setCondition } from '../../status.ts';
import { nameOf, type TaskReconcilerOptions } from './options.ts';
import { type BudgetHolds, budgetExtrasOf, holdAdmitted } from './reservations.ts';
import { passSpawnerGate, SPAWNER_CAPACITY_CONDITION, type SpawnerSlots } from './spawner-gate.ts';
import { fail, wait } from './status.ts';
import { TaskIndexes } from './watch.ts';

/** Gate conditions as they read once the Task is admitted (each flips only if it was set). */
export const PASSED_GATES: readonly ConditionInput[] = [
  {
    type: ConditionTypes.ReferencesResolved,
    status: 'True',
    reason: 'Resolved',
    message: 'Workspace and AgentConfigs exist',
  },
  {
    type: ConditionTypes.DependenciesReady,
    status: 'True',
    reason: 'DependenciesSucceeded',
    message: 'All dependencies succeeded',
  },
  {
    type: ConditionTypes.BranchLocked,
    status: 'False',
    reason: 'BranchAvailable',
    message: 'Branch is free',
  },
  {
    type: ConditionTypes.BudgetBlocked,
    status: 'False',
    reason: 'BudgetAvailable',
    message: 'Admitted by every TaskBudget that covers it',
  },
  {
    type: SPAWNER_CAPACITY_CONDITION,
    status: 'False',
    reason: 'CapacityAvailable',
    message: 'Admitted under its TaskSpawner’s maxConcurrency',
  },
];

/** How long a Task waiting for a missing Workspace or AgentConfig waits before a re-check. */
const MISSING_REFERENCE_REQUEUE_MS = 30_000;

/** A Task through every gate: what the render needs, and the conditions to write. */
export interface Admitted {
  readonly passed: true;
  readonly workspace: Workspace | undefined;
  /** In the order the Task names them. */
  readonly agentConfigs: readonly AgentConfig[];
  /** Its dependencies, all Succeeded (empty without `dependsOn`). */
  readonly deps: readonly Task[];
  readonly conditions: readonly Condition[];
}

/** A Task held at a gate; the status says why. */
export interface Stopped {
  readonly passed: false;
  readonly result: ReconcileResult | undefined;
}

const stop = async (result: Promise<ReconcileResult | undefined>): Promise<Stopped> => ({
  passed: false,
  result: await result,
});

/** Runs the gates in order; stops at the first that holds the Task. */
export async function checkGates(
  o: TaskReconcilerOptions,
  task: Task,
  list: Checklist,
  memory: { readonly slots: SpawnerSlots; readonly holds: BudgetHolds },
): Promise<Admitted | Stopped> {
  const { slots, holds } = memory;
  const { namespace } = nameOf(task);
  const { caches, clock } = o;
  const now = rfc3339(clock.now());

  let conditions = task.status?.conditions ?? [];
  // A missing reference is a Warning, as a missing Secret is: often a typo only a person fixes
  // (the namespace's names say which), or an object not synced yet, which then clears it.
  const missing = (
    kind: 'Workspace' | 'AgentConfig',
    name: string,
    known: readonly { metadata: { name?: string } }[],
  ) => {
    const near = closest(
      name,
      known.map((k) => k.metadata.name ?? ''),
    );
    return stop(
      wait(o, task, list, `Waiting for ${kind} "${name}" to be created`, {
        set: {
          type: ConditionTypes.ReferencesResolved,
          status: 'False',
          reason: `${kind}NotFound`,
          message: `${kind} ${namespace}/${name} does not exist${near ? `; did you mean "${near}"?` : ''}`,
        },
        requeueAfterMs: MISSING_REFERENCE_REQUEUE_MS,
        warning: `${kind}NotFound`,
      }),
    );
  };
  const wsName = workspaceOf(task);
  const workspace = wsName ? caches.workspaces.get(namespace, wsName) : undefined;
  if (wsName && !workspace) return missing('Workspace', wsName, caches.workspaces.list(namespace));
  const agentConfigs: AgentConfig[] = [];
  for (const acName of agentConfigsOf(task)) {
    const ac = caches.agentConfigs.get(namespace, acName);
    if (!ac) return missing('AgentConfig', acName, caches.agentConfigs.list(namespace));
    agentConfigs.push(ac);
  }
  conditions = resolveCondition(
    conditions,
    {
      type: ConditionTypes.ReferencesResolved,
      status: 'True',
      reason: 'Resolved',
      message: 'Workspace and AgentConfigs exist',
    },
    now,
  );
  list.step(wsName || agentConfigs.length ? 'References resolved' : 'No references to resolve');

  const lookup = (n: string) => caches.tasks.get(namespace, n);
  const deps: DependencyGate = checkDependencies(task, lookup);
  if (deps.state === 'failed') {
    return stop(
      fail(o, task, list, {
        reason: deps.reason,
        message: deps.message,
        condition: {
          type: ConditionTypes.DependenciesReady,
          status: 'False',
          reason: deps.reason,
          message: deps.message,
        },
      }),
    );
  }
  if (deps.state === 'waiting') {
    return stop(
      wait(o, task, list, deps.message, {
        set: {
          type: ConditionTypes.DependenciesReady,
          status: 'False',
          reason: deps.reason,
          message: deps.message,
        },
        keep: conditions,
      }),
    );
  }
  if (deps.state === 'ready') {
    conditions = setCondition(
      conditions,
      {
        type: ConditionTypes.DependenciesReady,
        status: 'True',
        reason: 'DependenciesSucceeded',
        message: 'All dependencies succeeded',
      },
      now,
    );
    list.step(`Dependencies succeeded (${deps.deps.length})`);
  }

  const bk = branchKey(task);
  if (bk) {
    // Admitted is what the caches show, or what this process decided and the caches do not
    // show yet (its Job create in flight): else a Task of the same second with a smaller name,
    // reconciled meanwhile, took the branch too.
    const gate = checkBranchLock(task, caches.tasks.byIndex(TaskIndexes.Branch, bk), lookup, (n) => {
      if (caches.jobs.get(namespace, n) !== undefined) return true;
      const other = lookup(n);
      return other !== undefined && holds.holds(other);
    });
    if (gate.state === 'locked') {
      return stop(
        wait(o, task, list, gate.message, {
          set: {
            type: ConditionTypes.BranchLocked,
            status: 'True',
            reason: 'BranchInUse',
            message: gate.message,
          },
          keep: conditions,
        }),
      );
    }
    conditions = resolveCondition(
      conditions,
      {
        type: ConditionTypes.BranchLocked,
        status: 'False',
        reason: 'BranchAvailable',
        message: `Branch "${task.spec.branch}" is free`,
      },
      now,
    );
    list.step(`Branch "${task.spec.branch}" is free`);
  }

  const admission = admit(
    task.metadata.labels,
    caches.budgets.list(namespace),
    (b) => o.budgets.stateOf(b),
    budgetExtrasOf(o, holds),
  );
  if (!admission.admitted) {
    // When a used-up budget lets the Task start (a broken budget has no period: it waits for a
    // fix); one that only running Tasks fill may let it start as soon as one of them finishes.
    const period = admission.retryAt === undefined ? '' : `its period ends at ${rfc3339(admission.retryAt)}`;
    const until = admission.heldByRunning
      ? `; it starts when a running Task finishes and leaves room, or when ${period}`
      : period && `; ${period}`;
    const state = admission.heldByRunning ? 'is held by running Tasks' : 'exceeded';
    return stop(
      wait(o, task, list, `Budget "${admission.budget}" ${state}: ${admission.reason}${until}`, {
        set: {
          type: ConditionTypes.BudgetBlocked,
          status: 'True',
          reason: 'BudgetExceeded',
          message: `${budgetBlockedPrefix(admission.budget)}${admission.reason}${until}`,
        },
        keep: conditions,
        requeueAfterMs: budgetRequeueMs(admission.retryAt, clock.now()),
      }),
    );
  }
  conditions = resolveCondition(
    conditions,
    {
      type: ConditionTypes.BudgetBlocked,
      status: 'False',
      reason: 'BudgetAvailable',
      message: 'Admitted by every TaskBudget that covers it',
    },
    now,
  );
  list.step(
    admission.coveredBy.length
      ? `Admitted by TaskBudgets ${admission.coveredBy.join(', ')}`
      : 'No TaskBudget covers it',
  );

  // Last, so a slot is taken only by a Task no other gate holds (see spawner-gate.ts).
  const owner = spawnerOwnerOf(task);
  if (owner && caches.spawners) {
    const gate = passSpawnerGate({
      task,
      spawner: caches.spawners.get(namespace, owner.name),
      siblings: caches.tasks.byIndex(TaskIndexes.Spawner, owner.uid),
      jobCached: (n) => caches.jobs.get(namespace, n) !== undefined,
      slots,
    });
    if (gate.state === 'held') {
      return stop(
        wait(o, task, list, gate.message, {
          set: {
            type: SPAWNER_CAPACITY_CONDITION,
            status: 'True',
            reason: gate.reason,
            message: gate.message,
          },
          keep: conditions,
        }),
      );
    }
    conditions = resolveCondition(
      conditions,
      {
        type: SPAWNER_CAPACITY_CONDITION,
        status: 'False',
        reason: 'CapacityAvailable',
        message: `Admitted under TaskSpawner "${owner.name}" maxConcurrency (${gate.admitted}/${gate.max || 'unlimited'})`,
      },
      now,
    );
    list.step(`TaskSpawner "${owner.name}" has room (${gate.admitted}/${gate.max || 'unlimited'})`);
  }

  // In the same synchronous step as the budget's decision: the next reconcile counts this Task.
  holdAdmitted(o, holds, task);
  return {
    passed: true,
    workspace,
    agentConfigs,
    deps: deps.state === 'ready' ? deps.deps : [],
    conditions,
  };
}
