/**
 * A Task's Pod as `kelos logs` sees it: found through the Task's Job (newest Pod first), the
 * state of each of its containers, the agent type whose output format to read, and the
 * words for why there is nothing to read yet.
 *
 * @packageDocumentation
 */
import { AGENT_CONTAINER_NAME, isTerminalPhase, Labels, type Task } from '../../api/index.ts';
import { type CachedPod, type ContainerState, JOB_NAME_LABEL, newestPod } from '../../operator/children.ts';
import { Resources } from '../../operator/resources.ts';
import type { Cluster } from './connection.ts';

/** A Pod with what the log command reads: container names and states. */
export interface LogPod extends CachedPod {
  spec?: {
    initContainers?: Array<{ name: string }>;
    containers?: Array<{ name: string }>;
  };
  status?: NonNullable<CachedPod['status']> & {
    initContainerStatuses?: LogContainerStatus[];
  };
}

/**
 * The newest Pod of the Task's Job, or undefined when there is none (yet, or any more). Before
 * the operator records the Job's name, Pods are found by the Task label the Job's template sets.
 */
export async function findTaskPod(cluster: Cluster, task: Task): Promise<LogPod | undefined> {
  const job = task.status?.jobName;
  const page = await cluster.client.list<LogPod>(Resources.Pod, {
    namespace: task.metadata.namespace,
    labelSelector: job ? `${JOB_NAME_LABEL}=${job}` : `${Labels.Task}=${task.metadata.name}`,
  });
  return newestPod(page.items) as LogPod | undefined;
}

/** One container's status as the log command reads it. */
interface LogContainerStatus {
  name: string;
  state?: ContainerState;
  restartCount?: number;
}

/** The status of container `name` (an init container when `init`). */
const containerStatus = (pod: LogPod, name: string, init: boolean): LogContainerStatus | undefined =>
  (
    (init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses) as
      | LogContainerStatus[]
      | undefined
  )?.find((c) => c.name === name);

/** The state of container `name` (an init container when `init`). */
export const containerState = (pod: LogPod, name: string, init = false): ContainerState | undefined =>
  containerStatus(pod, name, init)?.state;

/** How often container `name` has restarted in the Pod (0 when its status says nothing). */
export const restartCount = (pod: LogPod, name: string, init = false): number =>
  containerStatus(pod, name, init)?.restartCount ?? 0;

/** Whether a container has logs to read: it runs or has run. */
export const hasStarted = (state: ContainerState | undefined): boolean =>
  state?.running !== undefined || state?.terminated !== undefined;

/** The agent container of a Pod: `kelos-agent`, else the only container there is. */
export const agentContainerOf = (pod: LogPod): string => {
  const names = pod.spec?.containers?.map((c) => c.name) ?? [];
  return names.includes(AGENT_CONTAINER_NAME) || names.length === 0 ? AGENT_CONTAINER_NAME : names[0]!;
};

/** Names of the Pod's init containers, in the order they run. */
export const initContainersOf = (pod: LogPod): string[] => pod.spec?.initContainers?.map((c) => c.name) ?? [];

/** The agent type whose output format the log is in: the Pod's label, else the Task's spec. */
export const agentTypeOf = (task: Task, pod: LogPod | undefined): string => {
  const spec = task.spec as { type?: string; worker?: { type?: string } };
  return pod?.metadata.labels?.[Labels.AgentType] ?? spec.worker?.type ?? spec.type ?? '';
};

/** The init container that failed and kept the agent from starting, with its exit code. */
export const failedInit = (pod: LogPod): { name: string; exitCode: number; reason?: string } | undefined => {
  for (const s of pod.status?.initContainerStatuses ?? []) {
    const t = s.state?.terminated;
    if (t && t.exitCode !== 0)
      return { name: s.name, exitCode: t.exitCode, ...(t.reason ? { reason: t.reason } : {}) };
  }
  return undefined;
};

/** Why a Task has no Pod, in words: its phase and message. */
export const phaseWords = (task: Task): string => {
  // No phase at all: no operator has reconciled the Task, and no Pod will come until one does.
  if (!task.status?.phase) return 'no phase yet: is the operator running? check with: kelos version';
  const phase = task.status.phase;
  const message = task.status?.message;
  return message ? `${phase}: ${message}` : phase;
};

/** Whether the Task is over, so waiting for a Pod is pointless. */
export const taskFinished = (task: Task): boolean => isTerminalPhase(task.status?.phase);

/** How a container's log is read: followed, with timestamps, from a second, the previous instance's. */
export interface LogReadOptions {
  readonly follow?: boolean;
  readonly timestamps?: boolean;
  readonly sinceTime?: string | undefined;
  readonly previous?: boolean;
}

/** The path of a container's log read as `opts` says. */
export const logPath = (
  namespace: string,
  pod: string,
  container: string,
  opts: LogReadOptions = {},
): string => {
  const query = new URLSearchParams({ container });
  if (opts.follow) query.set('follow', 'true');
  if (opts.previous) query.set('previous', 'true');
  if (opts.timestamps) query.set('timestamps', 'true');
  if (opts.sinceTime !== undefined) query.set('sinceTime', opts.sinceTime);
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log?${query}`;
};
