/**
 * The Jobs and Pods the operator owns, as the informers cache them (trimmed to the fields
 * the Task reconciler reads, so 10,000 of them stay small), and the pure function that turns
 * their state into a Task phase.
 *
 * @packageDocumentation
 */
import { Annotations } from '../api/group.ts';
import { AGENT_CONTAINER_NAME, type KubeObject, type ObjectMeta, TaskPhase } from '../api/index.ts';
import type { ApiObject } from '../kube/client.ts';

/** A condition of a Job. */
export interface JobCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** A Job as cached: metadata and status only. */
export interface CachedJob extends KubeObject {
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    ready?: number;
    startTime?: string;
    completionTime?: string;
    conditions?: JobCondition[];
  };
}

/** State of one container, as the kubelet reports it. */
export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: {
    exitCode: number;
    reason?: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
  };
}

/** A Pod as cached: metadata, phase, and the agent container's state. */
export interface CachedPod extends KubeObject {
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    startTime?: string;
    containerStatuses?: Array<{ name: string; state?: ContainerState }>;
    /** What keeps the Pod from running the agent to success ({@link podProblem}), when anything does. */
    problem?: string;
  };
}

/** The parts of a Pod's status {@link podProblem} reads, as the API server sends them. */
export interface PodStatusInput {
  initContainerStatuses?: Array<{ name: string; state?: ContainerState }>;
  containerStatuses?: Array<{ name: string; state?: ContainerState }>;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
}

/**
 * Waiting reasons after which a container does not start until someone acts: a wrong image
 * or pull secret, a missing Secret or ConfigMap key, a command that cannot run. Transient
 * ones (ContainerCreating, PodInitializing) are not problems.
 */
const STUCK_REASONS: ReadonlySet<string> = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'CrashLoopBackOff',
]);

/** One container's problem, in the kubelet's words, with what to change when we know it. */
const containerProblem = (
  what: string,
  state: ContainerState | undefined,
  memoryHint: boolean,
): string | undefined => {
  const w = state?.waiting;
  if (w?.reason && STUCK_REASONS.has(w.reason))
    return `${what}: ${w.reason}${w.message ? `: ${w.message}` : ''}`;
  const t = state?.terminated;
  if (!t || t.exitCode === 0) return undefined;
  const oom = t.reason === 'OOMKilled';
  const why = t.reason && t.reason !== 'Error' ? ` (${t.reason})` : '';
  const hint = oom && memoryHint ? '; raise spec.worker.podOverrides.resources.limits.memory' : '';
  return `${what} exited with code ${t.exitCode}${why}${hint}`;
};

/**
 * What keeps a Pod from running the agent to success, for the Task's status message: an init
 * container (clone, plugins) that failed or cannot start, the agent (or another) container
 * that cannot start or exited non-zero (with a hint when it ran out of memory), or a Pod the
 * scheduler cannot place. Without it a Task says `PodInitializing` while its clone waits for a
 * Secret that does not exist, and `BackoffLimitExceeded` when the agent was OOM-killed.
 */
export function podProblem(status: PodStatusInput | undefined): string | undefined {
  for (const c of status?.initContainerStatuses ?? []) {
    const p = containerProblem(`init container ${c.name}`, c.state, false);
    if (p) return p;
  }
  const containers = [...(status?.containerStatuses ?? [])].sort(
    (a, b) => Number(b.name === AGENT_CONTAINER_NAME) - Number(a.name === AGENT_CONTAINER_NAME),
  );
  for (const c of containers) {
    const agent = c.name === AGENT_CONTAINER_NAME;
    const p = containerProblem(
      agent ? `the agent container (${c.name})` : `container ${c.name}`,
      c.state,
      agent,
    );
    if (p) return p;
  }
  const unschedulable = status?.conditions?.find(
    (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
  );
  if (unschedulable) return `Pod cannot be scheduled: ${unschedulable.message ?? 'Unschedulable'}`;
  return undefined;
}

const trimMeta = (m: ObjectMeta): ObjectMeta => {
  const out: ObjectMeta = {
    name: m.name,
    namespace: m.namespace,
    uid: m.uid,
    resourceVersion: m.resourceVersion,
  };
  if (m.labels) out.labels = m.labels;
  // The only annotation kept: the label snapshot a Job carries for budget accounting.
  const snapshot = m.annotations?.[Annotations.TaskBudgetLabels];
  if (snapshot !== undefined) out.annotations = { [Annotations.TaskBudgetLabels]: snapshot };
  if (m.creationTimestamp) out.creationTimestamp = m.creationTimestamp;
  if (m.deletionTimestamp) out.deletionTimestamp = m.deletionTimestamp;
  if (m.ownerReferences) {
    out.ownerReferences = m.ownerReferences.map((r) => ({
      apiVersion: r.apiVersion,
      kind: r.kind,
      name: r.name,
      uid: r.uid,
      ...(r.controller ? { controller: true } : {}),
    }));
  }
  return out;
};

/** Keeps what the reconciler reads of a Job (its Pod template is large and never read back). */
export const trimJob = (obj: ApiObject): CachedJob => {
  const job = obj as CachedJob;
  const s = job.status;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: trimMeta(job.metadata),
    ...(s
      ? {
          status: {
            active: s.active,
            succeeded: s.succeeded,
            failed: s.failed,
            ready: s.ready,
            startTime: s.startTime,
            completionTime: s.completionTime,
            conditions: s.conditions?.map((c) => ({
              type: c.type,
              status: c.status,
              reason: c.reason,
              message: c.message,
              lastTransitionTime: c.lastTransitionTime,
            })),
          },
        }
      : {}),
  };
};

/** Keeps what the reconciler reads of a Pod: phase, start time and the agent container's state. */
export const trimPod = (obj: ApiObject): CachedPod => {
  const pod = obj as CachedPod;
  const s = pod.status;
  const agent = s?.containerStatuses?.find((c) => c.name === AGENT_CONTAINER_NAME);
  // Derived here, from the full status, so the cache keeps one string, not every container.
  const problem = podProblem(s as PodStatusInput | undefined);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: trimMeta(pod.metadata),
    ...(s
      ? {
          status: {
            phase: s.phase,
            reason: s.reason,
            message: s.message,
            startTime: s.startTime,
            ...(agent ? { containerStatuses: [{ name: agent.name, state: agent.state }] } : {}),
            ...(problem ? { problem } : {}),
          },
        }
      : {}),
  };
};

/**
 * The kubelet's eviction messages for a Pod's own use of ephemeral storage: an emptyDir past
 * its `sizeLimit`, the Pod past its containers' `ephemeral-storage` limits, one container
 * past its own (pkg/kubelet/eviction/helpers.go). Node-pressure evictions say otherwise.
 */
const STORAGE_LIMIT_EVICTION =
  /Usage of EmptyDir volume .* exceeds the limit|ephemeral local storage usage exceeds the total limit|exceeded its local ephemeral storage limit/;

/**
 * The kubelet's message when it evicted one of `pods` for exceeding its own storage limits.
 * The Job's pod failure policy ignores evictions (a drain or node pressure says nothing about
 * the agent), so such a Job would start the agent again, from scratch, into the same limit:
 * the Task must fail instead.
 */
export const storageLimitEviction = (pods: readonly CachedPod[]): string | undefined => {
  for (const p of pods) {
    const s = p.status;
    if (s?.phase === 'Failed' && s.reason === 'Evicted' && STORAGE_LIMIT_EVICTION.test(s.message ?? ''))
      return (s.message ?? '').trim();
  }
  return undefined;
};

/** Label the Job controller puts on every Pod of a Job. */
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

/** The newest Pod (by creation time, then name) among `pods`. */
export const newestPod = (pods: readonly CachedPod[]): CachedPod | undefined => {
  let best: CachedPod | undefined;
  for (const p of pods) {
    if (!best) {
      best = p;
      continue;
    }
    const a = p.metadata.creationTimestamp ?? '';
    const b = best.metadata.creationTimestamp ?? '';
    if (a > b || (a === b && (p.metadata.name ?? '') > (best.metadata.name ?? ''))) best = p;
  }
  return best;
};

/** The agent container's state in a Pod. */
export const agentState = (pod: CachedPod | undefined): ContainerState | undefined =>
  pod?.status?.containerStatuses?.find((c) => c.name === AGENT_CONTAINER_NAME)?.state;

const condition = (job: CachedJob, type: string): JobCondition | undefined =>
  job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/** What a Job and its newest Pod say about a Task. */
export interface Observed {
  readonly phase:
    | typeof TaskPhase.Pending
    | typeof TaskPhase.Running
    | typeof TaskPhase.Succeeded
    | typeof TaskPhase.Failed;
  readonly message: string;
  /** When the agent started (Running and later). */
  readonly startTime?: string;
  /** When the Job finished (Succeeded or Failed). */
  readonly completionTime?: string;
  readonly podName?: string;
}

/**
 * Derives the Task phase from its Job and newest Pod. Terminal states come from the Job's
 * conditions only (a failed Pod that the Job retries is not a failed Task); Running comes
 * from the Pod, because with `status.active` a Pod still pulling its image would count.
 */
export function observeJob(job: CachedJob, pod: CachedPod | undefined): Observed {
  const podName = pod?.metadata.name;
  const state = agentState(pod);
  const startTime =
    state?.running?.startedAt ??
    state?.terminated?.startedAt ??
    pod?.status?.startTime ??
    job.status?.startTime;
  const base = { ...(podName ? { podName } : {}) };
  // SuccessCriteriaMet and FailureTarget come first, while Pods may still be terminating;
  // the Task is final only with Complete or Failed.
  const complete = condition(job, 'Complete');
  if (complete) {
    return {
      ...base,
      phase: TaskPhase.Succeeded,
      message: 'Task completed successfully',
      ...(startTime ? { startTime } : {}),
      completionTime: job.status?.completionTime ?? complete.lastTransitionTime ?? '',
    };
  }
  const failed = condition(job, 'Failed');
  if (failed) {
    const why = [failed.reason, failed.message].filter(Boolean).join(': ');
    // The Job's reason says only that it gave up; the Pod says why (exit code, OOM, clone).
    // Past a deadline the Job killed the Pod itself, so the Pod's exit is no news.
    const problem = failed.reason === 'DeadlineExceeded' ? undefined : pod?.status?.problem;
    const text = [why, problem].filter(Boolean).join('; ');
    return {
      ...base,
      phase: TaskPhase.Failed,
      message: text ? `Task failed: ${text}` : 'Task failed',
      ...(startTime ? { startTime } : {}),
      completionTime: failed.lastTransitionTime ?? job.status?.completionTime ?? '',
    };
  }
  const phase = pod?.status?.phase;
  if (phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') {
    return {
      ...base,
      phase: TaskPhase.Running,
      message: 'Agent is running',
      ...(startTime ? { startTime } : {}),
    };
  }
  const waiting = waitingOf(pod);
  return {
    ...base,
    phase: TaskPhase.Pending,
    message: waiting ? `${AGENT_WAITING}${waiting}` : 'Job created; waiting for its Pod to run',
  };
}

/** How a Pending Task's message begins when its Pod says what the agent container waits for. */
const AGENT_WAITING = 'Waiting for the agent container to start: ';

/** What keeps a Pod's agent container from starting, when the Pod says. */
const waitingOf = (pod: CachedPod | undefined): string | undefined =>
  pod?.status?.problem ?? agentState(pod)?.waiting?.reason;

/**
 * Whether a Pod ran the agent: its container started (a terminated state of a container that
 * never ran carries no start, or the zero time), or the Pod ran at all without saying which.
 */
const ranAgent = (pod: CachedPod): boolean => {
  const s = agentState(pod);
  const terminatedAt = Date.parse(s?.terminated?.startedAt ?? '');
  return (
    Boolean(s?.running) ||
    terminatedAt > 0 ||
    pod.status?.phase === 'Running' ||
    pod.status?.phase === 'Succeeded'
  );
};

/** What a Task's status said before an observation: the operator's record of what it saw. */
export interface LastSeen {
  readonly phase?: string;
  readonly startTime?: string;
  readonly podName?: string;
  readonly message?: string;
}

/**
 * Why the agent of a finished Job never started (`Pod cannot be scheduled: …`, `its Pod never
 * ran`); undefined when it ran, or when that cannot be told.
 * A Job's `startTime` is when the Job started, not its Pod: without this, a Pod never
 * scheduled and then killed by `activeDeadlineSeconds` would be charged its runtime as an
 * estimate. `pods` are the Job's Pods the cache still holds; `last` the Task's status before
 * this observation, where the operator records `startTime` the first time it sees the agent run.
 */
export function agentNeverStarted(
  job: CachedJob,
  pods: readonly CachedPod[],
  last: LastSeen,
): string | undefined {
  if (last.startTime || job.status?.succeeded || pods.some(ranAgent)) return undefined;
  const never = 'its Pod never ran';
  const pod = newestPod(pods);
  if (pod) return waitingOf(pod) ?? never;
  // The Pod is gone: the Job deletes its Pods at the deadline, and one never scheduled goes at once.
  // A Job that counts no ended Pod and none active never had one.
  if (!job.status?.failed && !job.status?.active) return 'no Pod was created';
  // The operator saw the Pod waiting, and a Pod that ran would have requeued the Task and put its
  // start on the status first. Only an operator down for the agent's whole run misses that.
  if (last.phase === TaskPhase.Pending && last.podName) {
    const waiting = last.message?.startsWith(AGENT_WAITING) ? last.message.slice(AGENT_WAITING.length) : '';
    return waiting || never;
  }
  // The Pod came and went unseen (this operator was down, or it is the first look at the Task):
  // it may have run, so the Task keeps the Job's start and is charged an estimate.
  return undefined;
}

/**
 * A finished observation of a Task whose agent never started ({@link agentNeverStarted} says
 * `why`): no start time, and the message says so, with the reason unless it already does.
 */
export const neverStartedObservation = (observed: Observed, why: string): Observed => {
  const { startTime: _jobStart, ...rest } = observed;
  const reason = observed.message.includes(why) ? '' : ` (${why})`;
  return { ...rest, message: `${observed.message}; the agent never started${reason}` };
};

/** The termination message of the agent container, where the agent reports its outputs. */
export const terminationMessage = (pod: CachedPod | undefined): string | undefined =>
  agentState(pod)?.terminated?.message || undefined;
