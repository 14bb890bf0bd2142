/**
 * The admission gates a Task passes before its Job is created, as pure functions over the
 * Tasks the informer holds: dependencies (with cycle detection) and branch serialization.
 * Budget admission lives in `budget.ts`.
 *
 * Everything is derived from API state (spec, status, creation time), so the decisions are
 * the same after an operator restart.
 *
 * @packageDocumentation
 */
import { isTerminalPhase, type Task, TaskPhase } from '../api/index.ts';
import { resolveAgentConfigRefs, resolveWorkspaceRef } from '../render/resolve.ts';

/** Looks a Task up by name in the namespace of the Task being reconciled. */
export type TaskLookup = (name: string) => Task | undefined;

/** Outcome of the dependency gate. */
export type DependencyGate =
  | { readonly state: 'none' }
  | { readonly state: 'ready'; readonly deps: readonly Task[] }
  | {
      readonly state: 'waiting';
      readonly dependency: string;
      readonly reason: 'DependencyNotFound' | 'DependencyNotFinished';
      readonly message: string;
    }
  | {
      readonly state: 'failed';
      readonly reason: 'DependencyFailed' | 'CircularDependency';
      readonly message: string;
    };

/**
 * Follows `dependsOn` from `start` and returns the first cycle through `start` as a list of
 * names (`[a, b, a]`), or undefined. Missing Tasks end a path; they cannot close a cycle.
 */
export function findCycle(start: Task, lookup: TaskLookup): string[] | undefined {
  // Depth-first with an explicit stack, not recursion: a chain of 10,000 Tasks must not
  // exhaust the call stack (issue 9, #4). Same visiting order as the recursive walk.
  const startName = start.metadata.name ?? '';
  const visited = new Set<string>();
  const path: string[] = [startName];
  const frames: Array<{ deps: readonly string[]; next: number }> = [
    { deps: start.spec?.dependsOn ?? [], next: 0 },
  ];
  while (frames.length) {
    const frame = frames[frames.length - 1] as { deps: readonly string[]; next: number };
    if (frame.next >= frame.deps.length) {
      frames.pop();
      if (frames.length) path.pop();
      continue;
    }
    const dep = frame.deps[frame.next++] as string;
    if (dep === startName) return [...path, dep];
    if (visited.has(dep)) continue;
    visited.add(dep);
    const next = lookup(dep);
    if (!next) continue;
    path.push(dep);
    frames.push({ deps: next.spec?.dependsOn ?? [], next: 0 });
  }
  return undefined;
}

/** Whether `from` depends on a Task named `target`, directly or through other Tasks. */
export function dependsTransitively(from: Task, target: string, lookup: TaskLookup): boolean {
  const seen = new Set<string>();
  const stack = [...(from.spec?.dependsOn ?? [])];
  while (stack.length) {
    const name = stack.pop() as string;
    if (name === target) return true;
    if (seen.has(name)) continue;
    seen.add(name);
    stack.push(...(lookup(name)?.spec?.dependsOn ?? []));
  }
  return false;
}

/**
 * The dependency gate: every Task in `dependsOn` must exist and have Succeeded. A failed
 * dependency fails this Task; a cycle fails it too, since it can never resolve.
 */
export function checkDependencies(task: Task, lookup: TaskLookup): DependencyGate {
  const deps = task.spec?.dependsOn ?? [];
  if (deps.length === 0) return { state: 'none' };
  const cycle = findCycle(task, lookup);
  if (cycle) {
    return {
      state: 'failed',
      reason: 'CircularDependency',
      message: `Circular dependency detected: ${cycle.join(' -> ')}`,
    };
  }
  const ready: Task[] = [];
  for (const name of deps) {
    const dep = lookup(name);
    if (!dep) {
      return {
        state: 'waiting',
        dependency: name,
        reason: 'DependencyNotFound',
        message: `Waiting for dependency Task "${name}" to be created`,
      };
    }
    const phase = dep.status?.phase;
    if (phase === TaskPhase.Failed) {
      return { state: 'failed', reason: 'DependencyFailed', message: `Dependency Task "${name}" failed` };
    }
    if (phase !== TaskPhase.Succeeded) {
      return {
        state: 'waiting',
        dependency: name,
        reason: 'DependencyNotFinished',
        message: `Waiting for dependency Task "${name}" to succeed (phase ${phase || 'not started'})`,
      };
    }
    ready.push(dep);
  }
  return { state: 'ready', deps: ready };
}

/**
 * Workspace name of a Task: the field the render reads (`spec.worker` over the deprecated
 * top-level field, see `effectiveWorkerField`), so the gate and the Job agree.
 */
export const workspaceOf = (task: Task): string | undefined => resolveWorkspaceRef(task)?.value.name;

/** AgentConfig names of a Task, in merge order, from the field the render reads. */
export const agentConfigsOf = (task: Task): string[] =>
  (resolveAgentConfigRefs(task)?.value ?? []).map((r) => r.name);

/**
 * The lock key of a Task's branch, `namespace/workspace/branch`, or undefined when the Task
 * names no branch. Tasks without a workspace share the key with an empty workspace.
 */
export const branchKey = (task: Task): string | undefined => {
  const branch = task.spec?.branch;
  if (!branch) return undefined;
  return `${task.metadata.namespace ?? ''}/${workspaceOf(task) ?? ''}/${branch}`;
};

/** FIFO order: older first, ties (same second) by name. */
export const olderThan = (a: Task, b: Task): boolean => {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta < tb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '');
};

/** Whether a Task's status says it was admitted: its Job was created (or it is past Waiting). */
export const hasStarted = (task: Task): boolean =>
  Boolean(task.status?.jobName) ||
  task.status?.phase === TaskPhase.Pending ||
  task.status?.phase === TaskPhase.Running;

/** Outcome of the branch gate. */
export type BranchGate =
  | { readonly state: 'free' }
  | { readonly state: 'locked'; readonly holder: string; readonly message: string };

/**
 * Branch serialization: Tasks on the same (workspace, branch) run one at a time, oldest first.
 * Another live Task holds the branch when it was admitted already, or when it is older — unless
 * it (transitively) depends on this Task, which would deadlock.
 *
 * @param sameBranch - every Task with the same {@link branchKey}, this one included or not.
 * @param hasJob - whether the Job of the named Task exists (the status may lag behind it).
 */
export function checkBranchLock(
  task: Task,
  sameBranch: readonly Task[],
  lookup: TaskLookup,
  hasJob: (name: string) => boolean = () => false,
): BranchGate {
  const name = task.metadata.name ?? '';
  // A Task whose Job exists holds the branch even before its status says so.
  const isAdmitted = (t: Task) => hasStarted(t) || hasJob(t.metadata.name ?? '');
  let holder: Task | undefined;
  for (const other of sameBranch) {
    if (other.metadata.name === name || other.metadata.namespace !== task.metadata.namespace) continue;
    if (other.metadata.deletionTimestamp || isTerminalPhase(other.status?.phase)) continue;
    const holds = isAdmitted(other) || (olderThan(other, task) && !dependsTransitively(other, name, lookup));
    // Report the admitted Task (the one actually running) before older waiting ones.
    if (
      holds &&
      (!holder ||
        (isAdmitted(other) && !isAdmitted(holder)) ||
        (isAdmitted(other) === isAdmitted(holder) && olderThan(other, holder)))
    ) {
      holder = other;
    }
  }
  if (!holder) return { state: 'free' };
  const ws = workspaceOf(task);
  const where = ws ? ` of Workspace "${ws}"` : '';
  const how = isAdmitted(holder) ? 'held by' : 'queued behind';
  return {
    state: 'locked',
    holder: holder.metadata.name ?? '',
    message: `Waiting for branch "${task.spec.branch}"${where} (${how} Task "${holder.metadata.name}")`,
  };
}
