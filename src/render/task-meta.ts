/**
 * Labels and owner references of everything created for a Task: the one place that decides
 * them. The render puts them on the Job, its Pod template and its ConfigMap; the operator on
 * the Secrets it writes for the Task (the GitHub App token).
 *
 * @packageDocumentation
 */
import { API_VERSION, Labels, MANAGED_BY, UPSTREAM_MANAGED_BY } from '../api/group.ts';
import type { ObjectMeta, OwnerReference, Task } from '../api/object.ts';

/** The controller owner reference to a Task, which garbage-collects its children with it. */
export const taskOwnerReference = (task: Task): OwnerReference => ({
  apiVersion: API_VERSION,
  kind: 'Task',
  name: task.metadata.name ?? '',
  uid: task.metadata.uid ?? '',
  controller: true,
  blockOwnerDeletion: true,
});

/**
 * Labels of a Task's children: `extra` (the user's podOverrides labels) under the built-in
 * ones, which the operator's watches and selectors depend on and so always win.
 */
export const taskChildLabels = (
  task: Task,
  opts: {
    readonly agentType?: string;
    readonly extra?: Readonly<Record<string, string>>;
    /** Labels that opt the Pod into in-cluster network allowances (`agent-network-policy.ts`). */
    readonly network?: Readonly<Record<string, string>>;
  } = {},
): Record<string, string> => ({
  ...opts.extra,
  ...opts.network,
  [Labels.Name]: 'kelos',
  [Labels.Component]: 'task',
  [Labels.ManagedBy]: MANAGED_BY,
  [Labels.UpstreamName]: 'kelos',
  [Labels.UpstreamComponent]: 'task',
  [Labels.UpstreamManagedBy]: UPSTREAM_MANAGED_BY,
  [Labels.Task]: task.metadata.name ?? '',
  ...(opts.agentType ? { [Labels.AgentType]: opts.agentType } : {}),
});

/**
 * Metadata of a child of `task` named `name`: in the Task's namespace, with `labels`, and
 * owned by the Task once it has a uid (a preview of a Task not yet in a cluster has none).
 */
export const taskChildMeta = (
  task: Task,
  name: string,
  labels: Readonly<Record<string, string>>,
): ObjectMeta & { name: string; labels: Record<string, string> } => ({
  name,
  ...(task.metadata.namespace ? { namespace: task.metadata.namespace } : {}),
  labels: { ...labels },
  ...(task.metadata.uid ? { ownerReferences: [taskOwnerReference(task)] } : {}),
});
