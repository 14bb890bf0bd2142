/**
 * Helpers of the operator scenario tests: an operator started in-process and scoped to one
 * namespace (so test files do not see each other's objects), object builders, and the
 * kubelet's part (no kubelet runs: the tests write Pod status, including the termination
 * message the agent would leave).
 *
 * The operator runs as the install's ServiceAccount (`dist/install` applied, a TokenRequest
 * token), never as admin: a permission the install lacks fails the scenario when the
 * operator stops, naming the request.
 *
 * @module
 */

import { afterAll, beforeAll } from 'vitest';
import type { Task, TaskBudget, TaskRecord } from '../../src/api/index.ts';
import { type ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import type { Clock } from '../../src/kube/clock.ts';
import { loadKubeconfigFile } from '../../src/kube/kubeconfig.ts';
import { createLogger } from '../../src/kube/log.ts';
import { Operator } from '../../src/operator/main.ts';
import type { OperatorOptions } from '../../src/operator/options.ts';
import { Resources } from '../../src/operator/resources.ts';
import { freshNamespace, kubeconfigPath, waitFor } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { installIdentity, RbacRecorder } from './install-identity.ts';

export { waitFor };

/** A client for the test's own reads and writes (not counted against the operator). */
export async function testClient(): Promise<HttpKubeClient> {
  return new HttpKubeClient(await loadKubeconfigFile(kubeconfigPath()));
}

/** An in-process operator plus its log lines. */
export interface TestOperator {
  readonly operator: Operator;
  readonly logs: string[];
  /** Its requests in RBAC terms. */
  readonly rbac: RbacRecorder;
  /** Stops it; rejects when the API server refused any of its requests (403). */
  stop(): Promise<void>;
}

/**
 * Starts an operator that watches `namespace` only, without HTTP endpoints, as the install's
 * ServiceAccount unless `extra.connection` says otherwise.
 */
export async function startOperator(
  namespace: string,
  extra: Partial<OperatorOptions> & { clock?: Clock } = {},
): Promise<TestOperator> {
  const logs: string[] = [];
  const rbac = new RbacRecorder();
  const operator = await Operator.start({
    connection: extra.connection ?? (await installIdentity()),
    namespaces: [namespace],
    metricsAddr: '',
    healthAddr: '',
    processMetrics: false,
    resyncMs: 0,
    log: createLogger({ write: (l) => logs.push(l), level: 'debug' }),
    ...extra,
    requestObserver: rbac.observer,
  });
  return {
    operator,
    logs,
    rbac,
    stop: async () => {
      await operator.stop();
      await rbac.flush(namespace);
      const forbidden = rbac.forbiddenSummary();
      if (forbidden.length)
        throw new Error(`the install's RBAC refused requests of the operator: ${forbidden.join('; ')}`);
    },
  };
}

/** One line of the operator's log, parsed. */
export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly key?: string;
  readonly steps?: string[];
}

/** The log lines of `op` about the object under `key` (`namespace/name`) with message `msg`. */
export const logLinesOf = (op: TestOperator, key: string, msg: string): LogLine[] =>
  op.logs.map((l) => JSON.parse(l) as LogLine).filter((l) => l.key === key && l.msg === msg);

/** The client, operator and namespace of one scenario. */
export interface OperatorScenario {
  readonly c: HttpKubeClient;
  readonly op: TestOperator;
  readonly ns: string;
}

/**
 * Registers the setup every operator scenario shares: CRDs installed, a fresh namespace, a
 * client, and an operator watching that namespace; stopped again after the scenario.
 * `ready` receives them once they exist (before the first test runs).
 */
export function useOperator(
  prefix: string,
  ready: (scenario: OperatorScenario) => void,
  options: () => Partial<OperatorOptions> & { clock?: Clock } = () => ({}),
): void {
  let scenario: OperatorScenario | undefined;
  beforeAll(async () => {
    await installCrds();
    const ns = await freshNamespace(prefix);
    const c = await testClient();
    const op = await startOperator(ns, options());
    scenario = { c, op, ns };
    ready(scenario);
  });
  afterAll(async () => {
    await scenario?.op.stop();
    scenario?.c.close();
  });
}

/** A minimal inline Task. */
export function task(name: string, spec: Partial<Task['spec']> = {}, labels?: Record<string, string>): Task {
  return {
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'Task',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: {
      prompt: `work of ${name}`,
      worker: { type: 'claude-code', credentials: { type: 'none' } },
      ...spec,
    } as Task['spec'],
  };
}

/** Creates `obj` in `namespace`. */
export async function create<T extends ApiObject>(
  c: HttpKubeClient,
  namespace: string,
  kind: keyof typeof Resources,
  obj: T,
): Promise<T> {
  return c.create(Resources[kind], { ...obj, metadata: { ...obj.metadata, namespace } });
}

/** Creates Secret `name` in `namespace` holding `data` (plain text here, base64-encoded on the way). */
export async function createSecret(
  c: HttpKubeClient,
  namespace: string,
  name: string,
  data: Record<string, string>,
): Promise<void> {
  await create(c, namespace, 'Secret', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  } as ApiObject);
}

/** Reads a Task. */
export async function getTask(c: HttpKubeClient, namespace: string, name: string): Promise<Task | undefined> {
  return c.get<Task>(Resources.Task, namespace, name);
}

/** Waits until the Task satisfies `pred` and returns it. */
export async function waitForTask(
  c: HttpKubeClient,
  namespace: string,
  name: string,
  what: string,
  pred: (t: Task) => boolean,
  timeoutMs = 30_000,
): Promise<Task> {
  let last: Task | undefined;
  await waitFor(
    `Task ${namespace}/${name} ${what}`,
    async () => {
      last = await getTask(c, namespace, name);
      return last !== undefined && pred(last);
    },
    { timeoutMs, intervalMs: 100 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last status: ${JSON.stringify(last?.status ?? null)}`);
  });
  return last as Task;
}

/** Waits for a phase. */
export const waitForPhase = (
  c: HttpKubeClient,
  namespace: string,
  name: string,
  phase: string,
  timeoutMs?: number,
) => waitForTask(c, namespace, name, `in phase ${phase}`, (t) => t.status?.phase === phase, timeoutMs);

/**
 * Plays the kubelet for Task `name` to its end: waits for its Job, lets the agent container
 * exit as `opts` says (see {@link podFinished}), and waits for the phase that exit gives the
 * Task (Succeeded for 0, else Failed).
 */
export async function finishTask(
  c: HttpKubeClient,
  namespace: string,
  name: string,
  opts: { exitCode?: number; message?: string } = {},
  timeoutMs = 60_000,
): Promise<Task> {
  const admitted = await waitForTask(
    c,
    namespace,
    name,
    'to get a Job',
    (t) => !!t.status?.jobName,
    timeoutMs,
  );
  await podFinished(c, namespace, admitted.status?.jobName ?? '', opts);
  return waitForPhase(c, namespace, name, (opts.exitCode ?? 0) === 0 ? 'Succeeded' : 'Failed', timeoutMs);
}

interface Pod extends ApiObject {
  status?: Record<string, unknown>;
}

/** The Pods the Job controller created for Job `job`. */
export async function podsOf(c: HttpKubeClient, namespace: string, job: string): Promise<Pod[]> {
  const list = await c.list<Pod>(Resources.Pod, {
    namespace,
    labelSelector: `batch.kubernetes.io/job-name=${job}`,
  });
  return list.items;
}

/** Waits for the first Pod of Job `job`. */
export async function waitForPod(c: HttpKubeClient, namespace: string, job: string): Promise<Pod> {
  let pod: Pod | undefined;
  await waitFor(`a Pod of Job ${namespace}/${job}`, async () => {
    pod = (await podsOf(c, namespace, job))[0];
    return pod !== undefined;
  });
  return pod as Pod;
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Plays the kubelet: the Pod of `job` starts running the agent. */
export async function podRunning(c: HttpKubeClient, namespace: string, job: string): Promise<void> {
  const pod = await waitForPod(c, namespace, job);
  const t = now();
  await c.mergePatch(
    Resources.Pod,
    namespace,
    pod.metadata.name ?? '',
    {
      status: {
        phase: 'Running',
        startTime: t,
        containerStatuses: [
          {
            name: 'kelos-agent',
            image: 'agent',
            imageID: '',
            ready: true,
            restartCount: 0,
            started: true,
            state: { running: { startedAt: t } },
          },
        ],
      },
    },
    { subresource: 'status' },
  );
}

/**
 * Plays the kubelet: the agent container of the Pod of `job` exits with `exitCode` and leaves
 * `message` as its termination message.
 */
export async function podFinished(
  c: HttpKubeClient,
  namespace: string,
  job: string,
  opts: { exitCode?: number; message?: string } = {},
): Promise<void> {
  const pod = await waitForPod(c, namespace, job);
  const t = now();
  const exitCode = opts.exitCode ?? 0;
  await c.mergePatch(
    Resources.Pod,
    namespace,
    pod.metadata.name ?? '',
    {
      status: {
        phase: exitCode === 0 ? 'Succeeded' : 'Failed',
        startTime: t,
        containerStatuses: [
          {
            name: 'kelos-agent',
            image: 'agent',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: {
              terminated: {
                exitCode,
                reason: exitCode === 0 ? 'Completed' : 'Error',
                startedAt: t,
                finishedAt: t,
                ...(opts.message ? { message: opts.message } : {}),
              },
            },
          },
        ],
      },
    },
    { subresource: 'status' },
  );
}

/** The termination message an agent writes: the marker block of `key: value` lines. */
export const outputsMessage = (results: Record<string, string>): string =>
  [
    '---KELOS_OUTPUTS_START---',
    ...Object.entries(results).map(([k, v]) => `${k}: ${v}`),
    '---KELOS_OUTPUTS_END---',
    '',
  ].join('\n');

/** Job names in `namespace`. */
export async function jobNames(c: HttpKubeClient, namespace: string): Promise<string[]> {
  const list = await c.list(Resources.Job, { namespace });
  return list.items.map((j) => j.metadata.name ?? '').sort();
}

/** A Daily (or other) TaskBudget. */
export function budget(name: string, spec: Partial<TaskBudget['spec']>): TaskBudget {
  return {
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'TaskBudget',
    metadata: { name },
    spec: { taskSelector: {}, period: { type: 'Daily', timezone: 'UTC' }, ...spec } as TaskBudget['spec'],
  };
}

/** A TaskRecord of past usage, as a finished Task would leave. */
export function record(
  name: string,
  completionTime: string,
  usage: TaskRecord['spec']['usage'],
  labels: Record<string, string> = {},
): TaskRecord {
  return {
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'TaskRecord',
    metadata: { name, labels },
    spec: { taskRef: { name }, phase: 'Succeeded', completionTime, usage } as TaskRecord['spec'],
  };
}

/** The agent container's args of Job `name`. */
export async function jobArgs(c: HttpKubeClient, namespace: string, name: string): Promise<string[]> {
  const job = await c.get<
    ApiObject & { spec?: { template?: { spec?: { containers?: Array<{ name: string; args?: string[] }> } } } }
  >(Resources.Job, namespace, name);
  return job?.spec?.template?.spec?.containers?.find((x) => x.name === 'kelos-agent')?.args ?? [];
}
