/**
 * Operator benchmark against the local control plane (etcd, kube-apiserver and
 * kube-controller-manager from `test/cluster`, started for the run unless
 * `KELOS_BENCH_KUBECONFIG` points at a running one).
 *
 * 1. Burst: 1,000 Tasks created at once (64 requests in flight). Measured: time until every
 *    Task has its Job, Task→Job latency (from the Task's create request to the Job's ADDED
 *    event on the bench's own watch), the operator's peak RSS, and API requests per Task
 *    (from the operator's `kelos_api_requests_total`, until every Task shows its Pod).
 * 2. Steady state: 10,000 finished Tasks (with usage, so the operator writes their
 *    TaskRecords once) on top of the burst. Measured: RSS once converged, and the API writes
 *    during a full resync (every Task reconciled again; target 0).
 *
 * References measured in the same run: the API server creating the same 1,000 Jobs straight
 * from this process; an "ideal controller" done by hand (each Task created and its Job right
 * after, same concurrency), which is the API server's floor for Task→Job under the same burst;
 * the latency of a single Job create; and the RSS of the idle operator. The ideal and the
 * watch-driven controllers each run once before the operator's burst and once after it; the
 * ratios are against the mean of the two, so neither the store growing from burst to burst nor
 * one unlucky reference run decides them.
 *
 * The operator runs as its own process (`kelos operator`), so its RSS is its own.
 *
 * Usage: node bench/operator.ts [--tasks 1000] [--finished 10000] [--node-flags="<V8 flags>"]
 *   (default: the operator image's, from images/operator.Dockerfile)
 *
 * @packageDocumentation
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Task } from '../src/api/index.ts';
import { type ApiObject, HttpKubeClient } from '../src/kube/client.ts';
import { loadKubeconfigFile } from '../src/kube/kubeconfig.ts';
import { Resources } from '../src/operator/resources.ts';
import { renderTaskJob } from '../src/render/task-job.ts';
import {
  applyCrds,
  benchControlPlane,
  operatorNodeFlags,
  spawnOperator,
  stopProcess,
} from './lib/cluster.ts';
import { pool } from './lib/load.ts';
import { peakRss, currentRss as rss } from './lib/memory.ts';
import { processCpuMs } from './lib/process.ts';
import { printRatio, printRows, printTitle } from './lib/report.ts';
import { formatBytes, formatMillis, percentile } from './lib/stats.ts';

const IN_FLIGHT = 64;

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '1000' },
    finished: { type: 'string', default: '10000' },
    // V8 flags of the operator process; by default the image's (its Dockerfile's ENTRYPOINT).
    'node-flags': { type: 'string' },
  },
});
const NODE_FLAGS = operatorNodeFlags(args['node-flags']);
const BURST = Number(args.tasks);
const FINISHED = Number(args.finished);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const taskBody = (name: string, namespace: string): Task => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'Task',
  metadata: { name, namespace, labels: { bench: 'operator' } },
  spec: {
    prompt: `Fix issue ${name}: make the failing test pass and open a pull request.`,
    worker: {
      type: 'claude-code',
      credentials: { type: 'api-key', secretRef: { name: 'anthropic' } },
      model: 'claude-sonnet-4-5',
    },
  } as Task['spec'],
});

/**
 * Sums `kelos_api_requests_total` from the operator's /metrics, by verb and by `verb resource`,
 * and reads a few other series (the Task queue's wait histogram by lane, cumulative buckets).
 */
async function scrape(url: string): Promise<{
  requests: Record<string, number>;
  byResource: Record<string, number>;
  waits: Record<string, Record<string, number>>;
  taskReconciles: number;
  depth: number;
}> {
  const text = await (await fetch(url)).text();
  const requests: Record<string, number> = {};
  const byResource: Record<string, number> = {};
  const waits: Record<string, Record<string, number>> = {};
  let taskReconciles = 0;
  let depth = 0;
  for (const line of text.split('\n')) {
    let m = /^kelos_api_requests_total\{verb="(\w+)",resource="([^"]*)",code="([^"]*)"\} (\d+)/.exec(line);
    if (m) {
      requests[m[1] as string] = (requests[m[1] as string] ?? 0) + Number(m[4]);
      // Failed requests (a 409 Conflict) count apart: they are writes the API server refused.
      const k = `${m[1]} ${m[2]}${m[3]?.startsWith('2') ? '' : ` (${m[3]})`}`;
      byResource[k] = (byResource[k] ?? 0) + Number(m[4]);
    }
    m =
      /^kelos_workqueue_queue_duration_seconds_bucket\{le="([^"]+)",controller="task",lane="(\w+)"\} (\d+)/.exec(
        line,
      );
    if (m) waits[m[2] as string] = { ...waits[m[2] as string], [m[1] as string]: Number(m[3]) };
    m = /^kelos_reconcile_total\{controller="task",result="\w+"\} (\d+)/.exec(line);
    if (m) taskReconciles += Number(m[1]);
    m = /^kelos_workqueue_depth\{controller="\w+"\} (\d+)/.exec(line);
    if (m) depth += Number(m[1]);
  }
  return { requests, byResource, waits, taskReconciles, depth };
}

/** The bucket bound under which `p` percent of a cumulative histogram's observations fall. */
const bucketPercentile = (buckets: Record<string, number> | undefined, p: number): string => {
  const entries = Object.entries(buckets ?? {}).sort(
    ([a], [b]) => (a === '+Inf' ? Infinity : Number(a)) - (b === '+Inf' ? Infinity : Number(b)),
  );
  const total = entries.at(-1)?.[1] ?? 0;
  if (!total) return 'n/a';
  const hit = entries.find(([, n]) => n >= (p / 100) * total);
  return hit?.[0] === '+Inf' ? '> 10 s' : `≤ ${formatMillis(Number(hit?.[0]) * 1000)}`;
};
const diffNested = (a: Record<string, Record<string, number>>, b: Record<string, Record<string, number>>) =>
  Object.fromEntries(Object.keys(b).map((k) => [k, diff(a[k] ?? {}, b[k] ?? {})]));

const WRITES = ['create', 'apply', 'patch', 'delete'];
const sum = (r: Record<string, number>, verbs?: readonly string[]) =>
  Object.entries(r).reduce((n, [v, c]) => (verbs === undefined || verbs.includes(v) ? n + c : n), 0);
const diff = (a: Record<string, number>, b: Record<string, number>) => {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) out[k] = (b[k] ?? 0) - (a[k] ?? 0);
  return out;
};

async function startOperatorProcess(
  kubeconfig: string,
  namespace: string,
  resync: string,
): Promise<{ child: ChildProcess; metricsUrl: string; tail: () => string }> {
  const { child, match, tail } = await spawnOperator(
    [
      '--kubeconfig',
      kubeconfig,
      '--metrics-addr',
      '127.0.0.1:0',
      '--health-addr',
      '0',
      '--resync',
      resync,
      '--namespace',
      namespace,
    ],
    /"msg":"Operator running".*?"endpoints":\["([^"]+)"/,
    NODE_FLAGS,
  );
  return { child, metricsUrl: `http://${match[1]}/metrics`, tail };
}

/** `p50 / p99` of `values`, or why there are none. */
const p50p99 = (values: readonly number[]): string =>
  values.length
    ? `${formatMillis(percentile(values, 50))} / ${formatMillis(percentile(values, 99))}`
    : "n/a (the API server closed the bench's Task watch)";

/** What one burst measured, from the bench's own watches on the namespace. */
interface Burst {
  /** Until the bench's last Task create answered. */
  readonly createdAllMs: number;
  /** Until the last Job's ADDED event. */
  readonly allJobsMs: number;
  /** Per Task, from its create request to its Job's ADDED event. */
  readonly latencies: number[];
  /**
   * Per Task, from its create request to its own ADDED event; empty when the API server closed
   * the bench's Task watch during the burst (it drops a watcher that reads too slowly).
   */
  readonly toTaskEvent: number[];
  /** Per Task, from its ADDED event to its Job's: the controller's share (empty as above). */
  readonly taskEventToJob: number[];
}

/**
 * Creates {@link BURST} Tasks in `namespace`, {@link IN_FLIGHT} at a time, and waits until every
 * one has its Job, whoever makes them; `alive` throws when that controller has died.
 */
async function burst(
  c: HttpKubeClient,
  namespace: string,
  alive: () => void,
  tail: () => string,
): Promise<Burst> {
  const sentAt = new Map<string, number>();
  const seen = { Job: new Map<string, number>(), Task: new Map<string, number>() };
  const abort = new AbortController();
  const watches = await Promise.all(
    ([Resources.Job, Resources.Task] as const).map(async (type) => {
      const at = seen[type.kind as 'Job' | 'Task'];
      const list = await c.list(type, { namespace });
      // Wrapped: an async function returning the watch's promise would wait for it to end.
      const ended = c
        .watch(
          type,
          { namespace, resourceVersion: list.metadata.resourceVersion, signal: abort.signal },
          (e) => {
            const name = e.object.metadata.name ?? '';
            if (e.type === 'ADDED' && !at.has(name)) at.set(name, performance.now());
          },
        )
        .catch(() => {});
      return { ended };
    }),
  );
  const names = Array.from({ length: BURST }, (_, i) => `task-${String(i).padStart(5, '0')}`);
  const start = performance.now();
  await pool(names, IN_FLIGHT, async (name) => {
    sentAt.set(name, performance.now());
    await c.create(Resources.Task, taskBody(name, namespace));
  });
  const createdAllMs = performance.now() - start;
  while (seen.Job.size < BURST) {
    alive();
    if (performance.now() - start > 300_000)
      throw new Error(`only ${seen.Job.size} of ${BURST} Jobs after 5 min: ${tail()}`);
    await sleep(20);
  }
  abort.abort();
  await Promise.all(watches.map((w) => w.ended));
  const at = (m: Map<string, number>, n: string) => m.get(n) as number;
  const split = seen.Task.size === BURST;
  return {
    createdAllMs,
    allJobsMs: Math.max(...seen.Job.values()) - start,
    latencies: names.map((n) => at(seen.Job, n) - at(sentAt, n)),
    toTaskEvent: split ? names.map((n) => at(seen.Task, n) - at(sentAt, n)) : [],
    taskEventToJob: split ? names.map((n) => at(seen.Job, n) - at(seen.Task, n)) : [],
  };
}

async function main(): Promise<void> {
  const { kubeconfig, stop: stopControlPlane } = await benchControlPlane();
  let operator: ChildProcess | undefined;
  let watcher: ChildProcess | undefined;
  // A Ctrl-C or timeout must not leave the control plane and the operator running.
  const onSignal = () => {
    void (async () => {
      if (operator) await stopProcess(operator);
      if (watcher) await stopProcess(watcher);
      await stopControlPlane();
      process.exit(130);
    })();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const c = new HttpKubeClient(await loadKubeconfigFile(kubeconfig), { maxSockets: IN_FLIGHT + 4 });
  try {
    await applyCrds(c);
    await sleep(2000);
    const run = Date.now().toString(36);
    const nsRef = `bench-ref-${run}`;
    // Each reference runs before and after the operator's burst (see the report).
    const nsIdeal = [`bench-ideal-${run}`, `bench-ideal2-${run}`] as const;
    const nsWatch = [`bench-watch-${run}`, `bench-watch2-${run}`] as const;
    // The burst and the finished Tasks share the namespace the operator watches.
    const nsBurst = `bench-work-${run}`;
    const nsDone = nsBurst;
    for (const name of [nsRef, ...nsIdeal, ...nsWatch, nsBurst]) {
      await c.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
    // Admission waits (SecretNotFound) for a Secret the Pod needs: the burst's Tasks name this one.
    await c.create(Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'anthropic', namespace: nsBurst },
      stringData: { ANTHROPIC_API_KEY: 'bench' },
    } as ApiObject);
    // The ServiceAccount admission plugin needs `default` before Pods can be created.
    await sleep(1500);

    // ---- reference: the same Jobs created straight from here ------------------------------
    const refTasks = Array.from({ length: BURST }, (_, i) => taskBody(`ref-${i}`, nsRef));
    const refJobs = refTasks.map((t) => {
      const r = renderTaskJob({
        task: { ...t, metadata: { ...t.metadata, uid: '00000000-0000-0000-0000-000000000000' } },
        agentConfigs: [],
        prompt: t.spec.prompt,
      });
      const job = r.job as unknown as ApiObject;
      return { ...job, metadata: { ...job.metadata, ownerReferences: [] } };
    });
    // Every Job create here asks for the created Job's metadata only, as the operator's do.
    const single: number[] = [];
    for (const j of refJobs.slice(0, 50)) {
      const t0 = performance.now();
      await c.createMetadataOnly(Resources.Job, j);
      single.push(performance.now() - t0);
    }
    const refStart = performance.now();
    const refLatencies: number[] = [];
    await pool(refJobs.slice(50), IN_FLIGHT, async (j) => {
      const t0 = performance.now();
      await c.createMetadataOnly(Resources.Job, j);
      refLatencies.push(performance.now() - t0);
    });
    const refBurstMs = ((performance.now() - refStart) * BURST) / (BURST - 50);

    // ---- reference: an ideal controller, done by hand ------------------------------------------
    // Each Task is created and its Job right after, by this process, with the same concurrency:
    // the API server's floor for Task→Job under the same burst (Tasks, Jobs, and the Pods the
    // Job controller makes). The operator watches only its own namespace, so it never sees these.
    const idealBurst = async (namespace: string): Promise<{ ms: number; latencies: number[] }> => {
      const latencies: number[] = [];
      const start = performance.now();
      await pool(
        refTasks.map((t, i) => [t, refJobs[i] as ApiObject] as const),
        IN_FLIGHT,
        async ([t, j]) => {
          const t0 = performance.now();
          await c.create(Resources.Task, { ...t, metadata: { ...t.metadata, namespace } });
          await c.createMetadataOnly(Resources.Job, { ...j, metadata: { ...j.metadata, namespace } });
          latencies.push(performance.now() - t0);
        },
      );
      const ms = performance.now() - start;
      // Let the Job controller finish the Pods of these Jobs, so they do not load the API
      // server during the next burst.
      await podsFor(namespace);
      return { ms, latencies };
    };
    const podsFor = async (namespace: string) => {
      for (;;) {
        const pods = await c.list(Resources.Pod, { namespace, limit: 1 });
        if (pods.items.length + (pods.metadata.remainingItemCount ?? 0) >= BURST) break;
        await sleep(1000);
      }
      await sleep(3000);
    };
    await podsFor(nsRef);

    // ---- reference: the smallest watch-driven controller ---------------------------------------
    // A process that watches Tasks and creates each one's Job (bench/lib/watch-controller.ts):
    // what waiting for an event and sharing the API server costs any controller.
    const watchBurst = async (namespace: string): Promise<Burst & { cpuMs: number }> => {
      const wc = spawn(
        process.execPath,
        [
          ...NODE_FLAGS,
          fileURLToPath(new URL('./lib/watch-controller.ts', import.meta.url)),
          kubeconfig,
          namespace,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      watcher = wc;
      let watcherErr = '';
      wc.stderr?.on('data', (d: Buffer) => {
        watcherErr = (watcherErr + d.toString()).slice(-2000);
        process.stderr.write(d);
      });
      await new Promise<void>((resolve, reject) => {
        wc.stdout?.once('data', () => resolve());
        wc.once('exit', (code) => reject(new Error(`watch controller exited (${code}): ${watcherErr}`)));
      });
      const cpuBefore = processCpuMs(wc.pid as number);
      const watched = await burst(
        c,
        namespace,
        () => {
          if (wc.exitCode !== null) throw new Error(`watch controller exited: ${watcherErr}`);
        },
        () => watcherErr,
      );
      const cpuMs = processCpuMs(wc.pid as number) - cpuBefore;
      await stopProcess(wc);
      watcher = undefined;
      await podsFor(namespace);
      return { ...watched, cpuMs };
    };

    // The references run before the operator's burst and again after it, and the report
    // compares the operator with their mean: each burst leaves 3,000 objects (Tasks, Jobs,
    // Pods) in the API server and etcd, so whatever runs last would otherwise run on the
    // largest store, and a single run of a reference moves by ±15% with the machine's load.
    const ideal = [await idealBurst(nsIdeal[0])];
    const watched = [await watchBurst(nsWatch[0])];

    // ---- operator, idle --------------------------------------------------------------------
    const started = await startOperatorProcess(kubeconfig, nsBurst, '30s');
    operator = started.child;
    const pid = operator.pid as number;
    await sleep(2000);
    const idleRss = rss(pid) ?? 0;

    // ---- burst -------------------------------------------------------------------------------
    const before = await scrape(started.metricsUrl);
    const loadBefore = loadavg();
    const cpuBefore = processCpuMs(pid);
    const { createdAllMs, allJobsMs, latencies, toTaskEvent, taskEventToJob } = await burst(
      c,
      nsBurst,
      () => {
        const { exitCode, signalCode } = started.child;
        if (exitCode !== null || signalCode !== null)
          throw new Error(`the operator exited (${exitCode ?? signalCode}): ${started.tail()}`);
      },
      started.tail,
    );
    const loadAfter = loadavg();
    const atAllJobs = await scrape(started.metricsUrl);
    const burstPeak = peakRss(pid) ?? 0;
    const burstCpu = processCpuMs(pid) - cpuBefore;

    // Requests until the burst has settled: every Task shows its Pod, and the queue is empty.
    for (;;) {
      const tasks = await c.list<Task>(Resources.Task, { namespace: nsBurst });
      const settled = tasks.items.every((t) => t.status?.podName);
      const s = await scrape(started.metricsUrl);
      if (settled && s.depth === 0) break;
      await sleep(500);
    }
    await sleep(1000);
    const afterBurst = await scrape(started.metricsUrl);
    const burstRequests = diff(before.requests, afterBurst.requests);
    const burstByResource = Object.fromEntries(
      Object.entries(diff(before.byResource, afterBurst.byResource)).filter(
        ([k, n]) => n > 0 && WRITES.includes(k.split(' ')[0] as string),
      ),
    );
    const burstWaits = diffNested(before.waits, atAllJobs.waits);

    // ---- the references again, in the reverse order, with the operator stopped -------------
    await stopProcess(operator);
    watched.push(await watchBurst(nsWatch[1]));
    ideal.push(await idealBurst(nsIdeal[1]));

    // ---- steady state: 10,000 finished Tasks --------------------------------------------------
    // Written while no operator runs (a fresh Task without status would be admitted before
    // the bench could mark it finished); a new operator process then starts on all of them.
    const doneNames = Array.from({ length: FINISHED }, (_, i) => `done-${String(i).padStart(5, '0')}`);
    const fillStart = performance.now();
    const completion = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    await pool(doneNames, IN_FLIGHT, async (name) => {
      const created = await c.create(Resources.Task, taskBody(name, nsDone));
      await c.mergePatch(
        Resources.Task,
        nsDone,
        name,
        {
          status: {
            phase: 'Succeeded',
            jobName: name,
            message: 'Task completed successfully',
            startTime: completion,
            completionTime: completion,
            outputs: ['branch: kelos/fix', 'cost-usd: 0.42', 'input-tokens: 12000', 'output-tokens: 800'],
            results: {
              branch: 'kelos/fix',
              'cost-usd': '0.42',
              'input-tokens': '12000',
              'output-tokens': '800',
            },
            usage: { costUSD: '0.42', inputTokens: 12000, outputTokens: 800 },
          },
        },
        { subresource: 'status', resourceVersion: created.metadata.resourceVersion },
      );
    });
    const fillMs = performance.now() - fillStart;
    const restarted = await startOperatorProcess(kubeconfig, nsBurst, '30s');
    operator = restarted.child;
    const pid2 = operator.pid as number;
    const metrics2 = restarted.metricsUrl;
    // Converged: the TaskRecords are written and no write happened for 5 s.
    let lastWrites = -1;
    let stableSince = performance.now();
    for (;;) {
      const s = await scrape(metrics2);
      const w = sum(s.requests, WRITES);
      if (w !== lastWrites) {
        lastWrites = w;
        stableSince = performance.now();
      } else if (s.depth === 0 && performance.now() - stableSince > 5000) break;
      await sleep(500);
    }
    const steadyRss = rss(pid2) ?? 0;
    // A full resync: wait for the next periodic one to reconcile every Task again.
    const preResync = await scrape(metrics2);
    const total = (await c.list(Resources.Task, { namespace: nsBurst })).items.length;
    for (;;) {
      const s = await scrape(metrics2);
      if (s.taskReconciles - preResync.taskReconciles >= total && s.depth === 0) break;
      await sleep(500);
    }
    await sleep(1000);
    const postResync = await scrape(metrics2);
    const resyncDelta = diff(preResync.requests, postResync.requests);
    const resyncWrites = sum(resyncDelta, WRITES);
    const resyncRss = rss(pid2) ?? 0;
    const peakAll = peakRss(pid2) ?? 0;

    // ---- report --------------------------------------------------------------------------------
    printTitle(`kelos operator: ${BURST} Tasks at once, then ${FINISHED} finished Tasks`);
    printRows([
      ['burst: Tasks created by the bench in', formatMillis(createdAllMs)],
      ['burst: every Task has its Job after', formatMillis(allJobsMs)],
      ['burst: Task→Job latency p50', formatMillis(percentile(latencies, 50))],
      ['burst: Task→Job latency p99', formatMillis(percentile(latencies, 99))],
      ['burst: Task→Job latency max', formatMillis(Math.max(...latencies))],
      ["burst: Task create until its event (bench's watch), p50 / p99", p50p99(toTaskEvent)],
      ['burst: Task event until its Job event (the operator), p50 / p99', p50p99(taskEventToJob)],
      ['burst: operator peak RSS', formatBytes(burstPeak)],
      [
        'burst: operator CPU time until every Job exists',
        `${formatMillis(burstCpu)} (${((burstCpu / allJobsMs) * 100).toFixed(0)}% of one core)`,
      ],
      ['burst: API requests per Task (all verbs)', (sum(burstRequests) / BURST).toFixed(2)],
      ['burst: API writes per Task', (sum(burstRequests, WRITES) / BURST).toFixed(2)],
      ['burst: requests by verb', JSON.stringify(burstRequests)],
      [
        'burst: writes per Task by verb and resource',
        Object.entries(burstByResource)
          .map(([k, n]) => `${k} ${(n / BURST).toFixed(2)}`)
          .join(', '),
      ],
      [
        'burst: Task queue wait until every Job exists, p50 / p99 (urgent lane)',
        `${bucketPercentile(burstWaits['urgent'], 50)} / ${bucketPercentile(burstWaits['urgent'], 99)}`,
      ],
      [
        'burst: Task queue wait until every Job exists, p50 / p99 (plain lane)',
        `${bucketPercentile(burstWaits['plain'], 50)} / ${bucketPercentile(burstWaits['plain'], 99)}`,
      ],
      [
        'load average (1 min) before / after the burst',
        `${loadBefore[0]?.toFixed(2)} / ${loadAfter[0]?.toFixed(2)} (${cpus().length} cores)`,
      ],
      ['steady: finished Tasks written by the bench in', formatMillis(fillMs)],
      ['steady: operator RSS, converged', formatBytes(steadyRss)],
      ['steady: API writes during a full resync', String(resyncWrites)],
      ['steady: all requests during the resync', JSON.stringify(resyncDelta)],
      ['steady: operator RSS after the resync', formatBytes(resyncRss)],
      ['steady: operator peak RSS (start-up list included)', formatBytes(peakAll)],
      ['reference: idle operator RSS', formatBytes(idleRss)],
      [
        'reference: single Job create p50 / p99',
        `${formatMillis(percentile(single, 50))} / ${formatMillis(percentile(single, 99))}`,
      ],
      [`reference: ${BURST} Jobs created directly`, formatMillis(refBurstMs)],
      [
        'reference: Job create p50 / p99 within that burst',
        `${formatMillis(percentile(refLatencies, 50))} / ${formatMillis(percentile(refLatencies, 99))}`,
      ],
      ...ideal.map((r, i): [string, string] => [
        `reference: ideal controller (Task then Job, by hand), ${BURST} Tasks, ${i === 0 ? 'before' : 'after'} the operator`,
        `${formatMillis(r.ms)}; Task→Job p50 / p99 ${p50p99(r.latencies)}`,
      ]),
      ...watched.flatMap((w, i): Array<[string, string]> => {
        const when = i === 0 ? 'before' : 'after';
        return [
          [
            `reference: watch-driven controller (bench/lib/watch-controller.ts), ${BURST} Tasks, ${when} the operator`,
            `every Job after ${formatMillis(w.allJobsMs)}; Task→Job p50 / p99 ${p50p99(w.latencies)}`,
          ],
          [
            `reference: watch-driven controller ${when}, Task event until its Job event p50 / p99`,
            `${p50p99(w.taskEventToJob)}; CPU ${formatMillis(w.cpuMs)}`,
          ],
        ];
      }),
      ['operator node flags', NODE_FLAGS.join(' ') || '(none)'],
    ]);
    printRatio(`every Task has its Job (operator)`, allJobsMs, `${BURST} Jobs created directly`, refBurstMs);
    // Against the mean of each reference's runs before and after the operator's burst.
    const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const p99 = (xs: readonly number[]) => percentile(xs, 99);
    const idealMs = mean(ideal.map((r) => r.ms));
    const idealP99 = mean(ideal.map((r) => p99(r.latencies)));
    const watchedMs = mean(watched.map((w) => w.allJobsMs));
    const watchedP99 = mean(watched.map((w) => p99(w.latencies)));
    printRatio(
      'every Task has its Job (operator)',
      allJobsMs,
      'ideal controller, mean of before and after',
      idealMs,
    );
    printRatio(
      'Task→Job p99',
      p99(latencies),
      'ideal controller Task→Job p99, mean of before and after',
      idealP99,
    );
    printRatio(
      'every Task has its Job (operator)',
      allJobsMs,
      'watch-driven controller, mean of before and after',
      watchedMs,
    );
    printRatio(
      'Task→Job p99',
      p99(latencies),
      'watch-driven controller Task→Job p99, mean of before and after',
      watchedP99,
    );
    printRatio('watch-driven controller, every Job (mean)', watchedMs, 'ideal controller (mean)', idealMs);
    printRatio(
      'watch-driven controller, Task→Job p99 (mean)',
      watchedP99,
      'ideal controller p99 (mean)',
      idealP99,
    );
    printRatio(
      'Task→Job p99',
      percentile(latencies, 99),
      'Job create p99 in a direct burst',
      percentile(refLatencies, 99),
    );
    process.stdout.write(
      `  ratio  steady RSS / idle RSS = ${(steadyRss / idleRss).toFixed(2)}x (${formatBytes(steadyRss)} vs ${formatBytes(idleRss)})\n`,
    );
    process.stdout.write(
      `  targets: p99 Task→Job < 250 ms: ${percentile(latencies, 99) < 250 ? 'met' : 'MISSED'}; RSS at ${FINISHED} Tasks < 250 MB: ${
        steadyRss < 250e6 ? 'met' : 'MISSED'
      }; writes during resync = 0: ${resyncWrites === 0 ? 'met' : 'MISSED'}\n`,
    );
  } finally {
    if (operator) await stopProcess(operator);
    if (watcher) await stopProcess(watcher);
    c.close();
    await stopControlPlane();
  }
}

await main();
