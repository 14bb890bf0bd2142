/**
 * Effective execution fields of a Task. Every field exists twice — in `spec.worker` and,
 * deprecated, at the top of `spec` — and `spec.worker.X` wins, as upstream's
 * `resolveTask*` helpers do. Each helper also says where the value came from (a JSON
 * pointer), so diagnostics point at the field the user wrote.
 *
 * @packageDocumentation
 */
import {
  type AgentConfigReference,
  type Credentials,
  effectiveWorkerField,
  type PodOverrides,
  type WorkerField,
  type WorkspaceReference,
} from '../api/common.ts';
import type { Task } from '../api/object.ts';

/** A resolved value and the JSON pointer of the field it came from. */
export interface Resolved<T> {
  readonly value: T;
  readonly path: string;
}

const resolve = <T>(task: Task, field: WorkerField): Resolved<T> | undefined => {
  // A Task read from a cluster is untrusted and may lack a spec; it then has no fields.
  const found = effectiveWorkerField((task.spec ?? {}) as Record<string, unknown>, field);
  if (!found) return undefined;
  return { value: found.value as T, path: found.fromWorker ? `/spec/worker/${field}` : `/spec/${field}` };
};

/** The agent type (`claude-code`, `codex`, …). */
export const resolveAgentType = (task: Task): Resolved<string> | undefined => resolve<string>(task, 'type');

/** How the agent authenticates. */
export const resolveCredentials = (task: Task): Resolved<Credentials> | undefined =>
  resolve<Credentials>(task, 'credentials');

/** The model name, passed as KELOS_MODEL. */
export const resolveModel = (task: Task): Resolved<string> | undefined => resolve<string>(task, 'model');

/** The reasoning effort, passed as KELOS_EFFORT. */
export const resolveEffort = (task: Task): Resolved<string> | undefined => resolve<string>(task, 'effort');

/** A custom agent image. */
export const resolveImage = (task: Task): Resolved<string> | undefined => resolve<string>(task, 'image');

/** The Workspace the agent works in. */
export const resolveWorkspaceRef = (task: Task): Resolved<WorkspaceReference> | undefined =>
  resolve<WorkspaceReference>(task, 'workspaceRef');

/** The AgentConfigs to merge, in order. */
export const resolveAgentConfigRefs = (task: Task): Resolved<AgentConfigReference[]> | undefined =>
  resolve<AgentConfigReference[]>(task, 'agentConfigRefs');

/** Pod customisations. */
export const resolvePodOverrides = (task: Task): Resolved<PodOverrides> | undefined =>
  resolve<PodOverrides>(task, 'podOverrides');

/**
 * The `activeDeadlineSeconds` a Task's Job gets: its own `podOverrides.activeDeadlineSeconds`,
 * else the operator's default (`--default-active-deadline`), else none. The render and the
 * budget reservation both ask it, so a budget reserves for exactly as long as the Job may run.
 */
export const effectiveActiveDeadline = (task: Task, defaultSeconds: number | undefined): number | undefined =>
  resolvePodOverrides(task)?.value.activeDeadlineSeconds ?? defaultSeconds;
