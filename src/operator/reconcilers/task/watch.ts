/**
 * Watch mapping of the Task reconciler: the informer indexes it needs, and which events
 * bring which Task keys onto the queue. Handlers only enqueue (level-triggered); the
 * reconcile reads the cache.
 *
 * @packageDocumentation
 */
import { ConditionTypes, isTerminalPhase, type Task, TaskPhase } from '../../../api/index.ts';
import type { ApiObject } from '../../../kube/client.ts';
import type { WorkQueue } from '../../../kube/queue.ts';
import { JOB_NAME_LABEL } from '../../children.ts';
import { agentConfigsOf, branchKey, workspaceOf } from '../../gates.ts';
import { spawnerOwnerOf } from '../../spawner/ownership.ts';
import { findCondition } from '../../status.ts';
import type { TaskCaches, TaskReconcilerOptions } from './options.ts';
import { heldElsewhere, pickUpOrder } from './spawner-gate.ts';

/** Index names the Task reconciler needs on its informers (see {@link addTaskIndexes}). */
export const TaskIndexes = {
  /** Tasks by `namespace/name` of each Task they depend on. */
  DependsOn: 'dependsOn',
  /** Tasks by branch lock key. */
  Branch: 'branch',
  /** Tasks by `namespace/name` of their Workspace. */
  Workspace: 'workspace',
  /** Tasks by `namespace/name` of each AgentConfig. */
  AgentConfig: 'agentConfig',
  /** Pods by `namespace/job-name`. */
  Job: 'job',
  /** Tasks by the UID of their controlling TaskSpawner. */
  Spawner: 'spawner',
  /**
   * Tasks waiting for room under their spawner's `maxConcurrency` (not admitted, not
   * finished), by the spawner's UID: the webhook queue bound counts them on every delivery.
   */
  SpawnerQueue: 'spawnerQueue',
  /** Tasks a TaskBudget holds (`BudgetBlocked=True`, not finished), by namespace. */
  BudgetBlocked: 'budgetBlocked',
} as const;

/** Whether a TaskBudget holds `t`: its `BudgetBlocked` condition is True and it has not finished. */
const budgetBlocked = (t: Task): boolean =>
  !isTerminalPhase(t.status?.phase) &&
  findCondition(t.status?.conditions, ConditionTypes.BudgetBlocked)?.status === 'True';

/**
 * Whether this event may have freed room under a TaskBudget: an admitted Task (it held a
 * reservation) finished or went away, its reservation replaced by what it really spent.
 */
const freesBudgetRoom = (type: string, task: Task, old: Task | undefined): boolean => {
  const admitted = (t: Task | undefined) => !!t?.status?.jobName && !isTerminalPhase(t.status?.phase);
  if (type === 'delete') return admitted(task);
  return type === 'update' && admitted(old) && isTerminalPhase(task.status?.phase);
};

/** Whether a Task waits for room: neither admitted (a Job, Pending, Running) nor finished. */
export const waitsForRoom = (t: Task): boolean => {
  const phase = t.status?.phase;
  if (isTerminalPhase(phase) || t.status?.jobName) return false;
  return phase !== TaskPhase.Pending && phase !== TaskPhase.Running;
};

/**
 * Registers the indexes by spawner ({@link TaskIndexes.Spawner}, {@link TaskIndexes.SpawnerQueue}),
 * all a webhook receiver needs of a Task informer. Call before the informer starts.
 */
export function addSpawnerIndexes(tasks: TaskCaches['tasks']): void {
  tasks.addIndex(TaskIndexes.Spawner, (t) => {
    const owner = spawnerOwnerOf(t);
    return owner ? [owner.uid] : [];
  });
  tasks.addIndex(TaskIndexes.SpawnerQueue, (t) => {
    const owner = spawnerOwnerOf(t);
    return owner && waitsForRoom(t) ? [owner.uid] : [];
  });
}

/** Registers the indexes of {@link TaskIndexes}. Call before the informers start. */
export function addTaskIndexes(c: Pick<TaskCaches, 'tasks' | 'pods'>): void {
  const ns = (t: ApiObject) => t.metadata.namespace ?? '';
  c.tasks.addIndex(TaskIndexes.DependsOn, (t) => (t.spec?.dependsOn ?? []).map((d) => `${ns(t)}/${d}`));
  c.tasks.addIndex(TaskIndexes.Branch, (t) => {
    const k = branchKey(t);
    return k ? [k] : [];
  });
  c.tasks.addIndex(TaskIndexes.Workspace, (t) => {
    const w = workspaceOf(t);
    return w ? [`${ns(t)}/${w}`] : [];
  });
  c.tasks.addIndex(TaskIndexes.AgentConfig, (t) => agentConfigsOf(t).map((a) => `${ns(t)}/${a}`));
  c.tasks.addIndex(TaskIndexes.BudgetBlocked, (t) => (budgetBlocked(t) ? [ns(t)] : []));
  addSpawnerIndexes(c.tasks);
  c.pods.addIndex(TaskIndexes.Job, (p) => {
    const job = p.metadata.labels?.[JOB_NAME_LABEL] ?? p.metadata.labels?.['job-name'];
    return job ? [`${ns(p)}/${job}`] : [];
  });
}

/**
 * Maps informer events to Task keys on `queue`. Each mapping says why it exists; handlers
 * only enqueue (level-triggered), the reconcile reads the cache.
 */
export function registerTaskWatches(o: TaskReconcilerOptions, queue: WorkQueue): void {
  const { tasks, workspaces, agentConfigs, budgets, records, jobs, pods, spawners } = o.caches;
  // A slot under a spawner's cap frees up, or the line moves: the head of its line looks
  // again. Only the first maxConcurrency in pick-up order can be admitted (Tasks another gate
  // holds keep no place and are woken too); waking the whole line would reconcile every
  // queued Task on every change, which with hundreds queued (webhook bursts) is quadratic.
  const wakeQueued = (
    uid: string,
    namespace: string | undefined,
    spawnerName: string,
    except?: string,
    everyone = false,
  ) => {
    const queued = tasks
      .byIndex(TaskIndexes.Spawner, uid)
      .filter((t) => !isTerminalPhase(t.status?.phase) && !t.status?.jobName);
    const max = (!everyone && spawners?.get(namespace, spawnerName)?.spec.maxConcurrency) || queued.length;
    if (queued.length > max) queued.sort(pickUpOrder);
    let inLine = 0;
    for (const t of queued) {
      if (inLine >= max) break;
      if (!heldElsewhere(t)) inLine++;
      const k = `${t.metadata.namespace}/${t.metadata.name}`;
      if (k !== except) queue.add(k);
    }
  };
  // Room under a TaskBudget may have freed up: the Tasks budgets hold look again.
  const wakeBudgetBlocked = (namespace: string) => {
    for (const k of tasks.keysByIndex(TaskIndexes.BudgetBlocked, namespace)) queue.add(k);
  };
  tasks.onChange((type, key, task, old) => {
    // A new Task, or one that may now be admitted, goes ahead of status bookkeeping.
    if (type === 'add' && !task.status?.jobName) queue.addUrgent(key);
    else queue.add(key);
    if (type === 'resync') return;
    // Tasks that depend on this one wait for it to appear and to finish.
    const phaseChanged = type !== 'update' || old?.status?.phase !== task.status?.phase;
    if (phaseChanged) for (const k of tasks.keysByIndex(TaskIndexes.DependsOn, key)) queue.add(k);
    // The next Task on the branch starts when this one finishes or goes away; the ones
    // queued behind it say who holds the branch now.
    const owner = spawnerOwnerOf(task);
    // A new Task that has not finished frees no slot and moves no one ahead of it: waking the
    // line for each one made a burst of N webhook Tasks under no cap wake N²/2 Tasks.
    const frees = type !== 'add' || isTerminalPhase(task.status?.phase);
    if (owner && frees && (phaseChanged || conditionsChanged(task, old)))
      wakeQueued(owner.uid, task.metadata.namespace, owner.name, key);
    const bk = branchKey(task);
    if (bk && phaseChanged) {
      for (const k of tasks.keysByIndex(TaskIndexes.Branch, bk)) if (k !== key) queue.add(k);
    }
    // Tasks held by what running Tasks reserve look again when one finishes, as their message
    // promises, rather than at their next re-check (up to five minutes later).
    if (freesBudgetRoom(type, task, old)) wakeBudgetBlocked(task.metadata.namespace ?? '');
  });
  // A spawner resumed, raised its cap, or was re-created. Suspended or resumed, its whole line
  // looks again, once: each queued Task's condition says why it waits (suspended, or its place).
  spawners?.onChange((type, _key, spawner, old) => {
    if (type === 'resync' || (type === 'update' && old?.metadata.generation === spawner.metadata.generation))
      return;
    const suspendChanged = type === 'update' && !!old?.spec.suspend !== !!spawner.spec.suspend;
    if (spawner.metadata.uid)
      wakeQueued(
        spawner.metadata.uid,
        spawner.metadata.namespace,
        spawner.metadata.name ?? '',
        undefined,
        suspendChanged,
      );
  });
  // Tasks waiting for a Workspace or AgentConfig start as soon as it is created.
  workspaces.onChange((type, key) => {
    if (type !== 'resync') for (const k of tasks.keysByIndex(TaskIndexes.Workspace, key)) queue.add(k);
  });
  agentConfigs.onChange((type, key) => {
    if (type !== 'resync') for (const k of tasks.keysByIndex(TaskIndexes.AgentConfig, key)) queue.add(k);
  });
  // The Task's phase follows its Job and Pods.
  jobs.onChange((type, _key, job) => {
    if (type === 'resync') return;
    const owner = job.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Task');
    if (owner) queue.add(`${job.metadata.namespace}/${owner.name}`);
  });
  pods.onChange((type, _key, pod) => {
    if (type === 'resync') return;
    const jobKey = pod.metadata.labels?.[JOB_NAME_LABEL] ?? pod.metadata.labels?.['job-name'];
    if (jobKey) queue.add(`${pod.metadata.namespace}/${jobKey}`);
  });
  // A budget that changed may admit waiting Tasks, or stop running ones (StopRunning).
  budgets.onChange((type, _key, budget) => {
    if (type === 'resync') return;
    enqueueBudgetSensitive(o, queue, budget.metadata.namespace ?? '', type === 'delete' ? 'waiting' : 'all');
  });
  // New usage may exhaust a StopRunning budget; running Tasks it covers must stop. A record
  // gone (its TTL, an admin's delete) leaves room for the Tasks a budget holds.
  records.onChange((type, _key, record) => {
    const ns = record.metadata.namespace ?? '';
    if (type === 'delete') wakeBudgetBlocked(ns);
    if (type !== 'add') return;
    if (budgets.list(ns).some((b) => b.spec?.enforcement === 'StopRunning'))
      enqueueBudgetSensitive(o, queue, ns, 'running');
  });
}

/**
 * Whether a gate opened or closed (a Task held by another gate leaves the spawner's line);
 * messages alone do not count, or a queue position in a message would wake the whole line.
 */
const conditionsChanged = (task: Task, old: Task | undefined): boolean => {
  const states = (t: Task | undefined) =>
    (t?.status?.conditions ?? []).map((c) => `${c.type}=${c.status}`).join(',');
  return states(task) !== states(old);
};

function enqueueBudgetSensitive(
  o: TaskReconcilerOptions,
  queue: WorkQueue,
  namespace: string,
  which: 'waiting' | 'running' | 'all',
): void {
  for (const t of o.caches.tasks.list(namespace)) {
    if (isTerminalPhase(t.status?.phase)) continue;
    const blocked = findCondition(t.status?.conditions, ConditionTypes.BudgetBlocked)?.status === 'True';
    const running = Boolean(t.status?.jobName);
    if ((which !== 'running' && blocked) || (which !== 'waiting' && running)) {
      queue.add(`${namespace}/${t.metadata.name}`);
    }
  }
}
