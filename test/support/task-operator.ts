/**
 * The Task reconciler wired as `src/operator/main.ts` wires it (one informer per kind, the
 * Task indexes, a work queue, an Event recorder, the real Task runtime), but over
 * {@link FakeKube} and a {@link FakeClock} instead of an API server and wall time. The test
 * plays the Job controller and the kubelet by writing Pods and Job status.
 *
 * Only the public surface is used (`new TaskReconciler(options)`, `register`, `reconcile`),
 * so scenarios survive refactors of the reconciler's insides.
 *
 * @module
 */
import {
  type AgentConfig,
  Labels,
  type Task,
  type TaskBudget,
  type TaskRecord,
  type TaskSpawner,
  type Workspace,
} from '../../src/api/index.ts';
import type { ApiObject } from '../../src/kube/client.ts';
import { FakeClock } from '../../src/kube/clock.ts';
import { EventRecorder } from '../../src/kube/events.ts';
import { Informer } from '../../src/kube/informer.ts';
import { createLogger } from '../../src/kube/log.ts';
import { WorkQueue } from '../../src/kube/queue.ts';
import { BudgetStates } from '../../src/operator/budget-state.ts';
import {
  type CachedJob,
  type CachedPod,
  JOB_NAME_LABEL,
  trimJob,
  trimPod,
} from '../../src/operator/children.ts';
import { OWNED_SELECTOR } from '../../src/operator/main.ts';
import type { OutboundFetch } from '../../src/operator/outbound.ts';
import {
  addTaskIndexes,
  type TaskCaches,
  TaskReconciler,
  type TaskReconcilerOptions,
} from '../../src/operator/reconcilers/task.ts';
import type { TaskSpawnerReconcilerOptions } from '../../src/operator/reconcilers/task-spawner/options.ts';
import { TaskSpawnerReconciler } from '../../src/operator/reconcilers/task-spawner.ts';
import { REPORTING_CONTROLLER, Resources } from '../../src/operator/resources.ts';
import { taskRuntime } from '../../src/operator/runtime.ts';
import { FakeKube } from './fake-kube.ts';

/** Where every scenario's objects live. */
export const NS = 'team';
/** The fake clock's start: 2026-03-02T09:00:00Z. */
export const T0 = Date.parse('2026-03-02T09:00:00Z');

/** An Event as the reconciler records it. */
export interface RecordedEvent extends ApiObject {
  type: string;
  reason: string;
  note: string;
  action: string;
  regarding: { kind?: string; name?: string; uid?: string };
}

/** A Job as the renderer and reconciler wrote it (the parts scenarios read). */
export interface FullJob extends ApiObject {
  spec: { template: { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> } };
  status?: CachedJob['status'];
}

/** A running reconciler over a fake API server. */
export interface TaskOperator {
  readonly kube: FakeKube;
  readonly clock: FakeClock;
  readonly caches: TaskCaches;
  readonly queue: WorkQueue;
  /** The TaskSpawner reconciler's queue, when started with `spawners`. */
  readonly spawnerQueue: WorkQueue | undefined;
  /** Structured log lines of the reconciler. */
  readonly logs: string[];
  /** Waits until watch events are delivered, the queue is idle and Events are written, repeatedly. */
  settle(): Promise<void>;
  /** Creates an object in {@link NS} and settles. */
  create<T extends ApiObject>(kind: keyof typeof Resources, obj: T): Promise<T>;
  task(name: string): Task | undefined;
  job(name: string): FullJob | undefined;
  /** Events about the named object, oldest first, as `reason: note`. */
  events(name: string): string[];
  /** Plays the Job controller: creates the Job's Pod from its template and returns its name. */
  startPod(job: string): Promise<string>;
  /** Plays the kubelet: writes Pod status. */
  podStatus(pod: string, status: CachedPod['status']): Promise<void>;
  /** Plays the Job controller: writes Job status. */
  jobStatus(job: string, status: CachedJob['status']): Promise<void>;
  stop(): Promise<void>;
}

/** Options of {@link startTaskOperator}. */
export interface TaskOperatorOptions {
  /** Also run the TaskSpawner reconciler, reaching GitHub and Jira with this fetch. */
  readonly spawners?: {
    readonly fetch: OutboundFetch;
    readonly githubApiUrl?: string;
    readonly slackPost?: TaskSpawnerReconcilerOptions['slackPost'];
    readonly leading?: TaskSpawnerReconcilerOptions['leading'];
  };
  /** Replaces Task reconciler options (e.g. the admin configuration). */
  readonly reconciler?: Partial<TaskReconcilerOptions>;
}

/** Starts informers, reconciler and queue over a new {@link FakeKube}; resolves once caches synced. */
export async function startTaskOperator(opts: TaskOperatorOptions = {}): Promise<TaskOperator> {
  const clock = new FakeClock(T0);
  const kube = new FakeKube({
    clock,
    statusSubresources: [Resources.Task, Resources.TaskBudget, Resources.TaskSpawner],
  });
  const logs: string[] = [];
  const log = createLogger({ write: (l) => logs.push(l), level: 'debug' });
  const base = { client: kube, namespace: NS, clock, log };
  const owned = { ...base, labelSelector: OWNED_SELECTOR };
  const caches: TaskCaches = {
    tasks: new Informer<Task>({ ...base, type: Resources.Task }),
    workspaces: new Informer<Workspace>({ ...base, type: Resources.Workspace }),
    agentConfigs: new Informer<AgentConfig>({ ...base, type: Resources.AgentConfig }),
    budgets: new Informer<TaskBudget>({ ...base, type: Resources.TaskBudget }),
    records: new Informer<TaskRecord>({ ...base, type: Resources.TaskRecord }),
    jobs: new Informer<CachedJob>({ ...owned, type: Resources.Job, transform: trimJob }),
    pods: new Informer<CachedPod>({ ...owned, type: Resources.Pod, transform: trimPod }),
    spawners: new Informer<TaskSpawner>({ ...base, type: Resources.TaskSpawner }),
  };
  addTaskIndexes(caches);
  const events = new EventRecorder(kube, clock, log, 'test-operator', REPORTING_CONTROLLER);
  const reconciler = new TaskReconciler({
    client: kube,
    caches,
    budgets: new BudgetStates(caches.records, clock),
    runtime: taskRuntime({}),
    events,
    clock,
    log,
    // As the operator wires it: one GitHub API URL for Task tokens and spawners.
    ...(opts.spawners?.githubApiUrl ? { githubApiUrl: opts.spawners.githubApiUrl } : {}),
    ...opts.reconciler,
  });
  const queue = new WorkQueue({ workers: 4, clock });
  reconciler.register(queue);
  queue.start((key) => reconciler.reconcile(key));
  let spawnerQueue: WorkQueue | undefined;
  if (opts.spawners) {
    const spawners = new TaskSpawnerReconciler({
      client: kube,
      caches: {
        spawners: caches.spawners!,
        tasks: caches.tasks,
        workspaces: caches.workspaces,
        jobs: caches.jobs,
      },
      events,
      clock,
      log,
      fetch: opts.spawners.fetch,
      ...(opts.spawners.githubApiUrl ? { githubApiUrl: opts.spawners.githubApiUrl } : {}),
      ...(opts.spawners.slackPost ? { slackPost: opts.spawners.slackPost } : {}),
      ...(opts.spawners.leading ? { leading: opts.spawners.leading } : {}),
    });
    const q = new WorkQueue({ workers: 2, clock });
    spawners.register(q);
    q.start((key) => spawners.reconcile(key));
    spawnerQueue = q;
  }
  for (const i of Object.values(caches)) i.start();
  await Promise.all(Object.values(caches).map((i) => i.waitForSync()));

  const settle = async () => {
    for (let round = 0; round < 100; round++) {
      const before = kube.calls.length;
      await kube.flush();
      await queue.idle();
      await spawnerQueue?.idle();
      await events.flush();
      await kube.flush();
      const quiet = (q: WorkQueue | undefined) => !q || (q.depth === 0 && q.processing === 0);
      if (kube.calls.length === before && quiet(queue) && quiet(spawnerQueue)) return;
    }
    throw new Error('the reconciler did not settle in 100 rounds');
  };

  const op: TaskOperator = {
    kube,
    clock,
    caches,
    queue,
    spawnerQueue,
    logs,
    settle,
    async create(kind, obj) {
      const created = await kube.create(Resources[kind], {
        ...obj,
        metadata: { ...obj.metadata, namespace: NS },
      });
      await settle();
      return created;
    },
    task: (name) => kube.peek<Task>(Resources.Task, NS, name),
    job: (name) => kube.peek<FullJob>(Resources.Job, NS, name),
    events: (name) =>
      kube
        .objects<RecordedEvent>(Resources.Event, NS)
        .filter((e) => e.regarding.name === name)
        .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
        .map((e) => `${e.reason}: ${e.note}`),
    async startPod(job) {
      const j = kube.peek<FullJob>(Resources.Job, NS, job);
      if (!j) throw new Error(`no Job ${job}`);
      const pod = await kube.create<ApiObject & { spec?: unknown }>(Resources.Pod, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          generateName: `${job}-`,
          namespace: NS,
          labels: { ...j.spec.template.metadata?.labels, [JOB_NAME_LABEL]: job, 'job-name': job },
          ownerReferences: [
            { apiVersion: 'batch/v1', kind: 'Job', name: job, uid: j.metadata.uid ?? '', controller: true },
          ],
        },
        spec: j.spec.template.spec,
      });
      await settle();
      return pod.metadata.name ?? '';
    },
    async podStatus(pod, status) {
      await kube.mergePatch(Resources.Pod, NS, pod, { status }, { subresource: 'status' });
      await settle();
    },
    async jobStatus(job, status) {
      await kube.mergePatch(Resources.Job, NS, job, { status }, { subresource: 'status' });
      await settle();
    },
    async stop() {
      await queue.shutdown();
      await spawnerQueue?.shutdown();
      await events.flush();
      await Promise.all(Object.values(caches).map((i) => i.stop()));
    },
  };
  await settle();
  return op;
}

/** A minimal valid Task. */
export const newTask = (
  name: string,
  spec: Partial<Task['spec']> = {},
  labels?: Record<string, string>,
): Task => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'Task',
  metadata: { name, ...(labels ? { labels } : {}) },
  spec: {
    prompt: `work of ${name}`,
    worker: { type: 'claude-code', credentials: { type: 'none' } },
    ...spec,
  } as Task['spec'],
});

/** Labels the operator puts on a Task's Job and Pod template. */
export const ownedLabels = (task: string): Record<string, string> => ({
  [Labels.ManagedBy]: 'kelos-operator',
  [Labels.Task]: task,
});

/** Status of a Pod whose agent container exited with `exitCode`, as the kubelet writes it. */
export const terminatedPod = (exitCode: number, message?: string): CachedPod['status'] => ({
  phase: exitCode === 0 ? 'Succeeded' : 'Failed',
  startTime: '2026-03-02T09:00:00Z',
  containerStatuses: [
    {
      name: 'kelos-agent',
      state: {
        terminated: {
          exitCode,
          startedAt: '2026-03-02T09:00:00Z',
          finishedAt: '2026-03-02T09:00:00Z',
          ...(message ? { message } : {}),
        },
      },
    },
  ],
});

/**
 * Plays a Task's run to its end: the Job's Pod starts and its agent exits with `exitCode`
 * (`message` is the termination message, e.g. outputs), then the Job controller marks the
 * Job Complete or Failed.
 */
export async function finishTask(
  op: TaskOperator,
  name: string,
  exitCode = 0,
  message?: string,
): Promise<void> {
  const pod = await op.startPod(name);
  await op.podStatus(pod, terminatedPod(exitCode, message));
  const at = '2026-03-02T09:00:00Z';
  await op.jobStatus(
    name,
    exitCode === 0
      ? {
          succeeded: 1,
          completionTime: at,
          conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: at }],
        }
      : { failed: 1, conditions: [{ type: 'Failed', status: 'True', lastTransitionTime: at }] },
  );
}
