/**
 * Issue 14: the webhook receiver's throughput on loopback, each figure side by side with a
 * reference measured in the same run.
 *
 * - **Accepted**: `--deliveries` signed generic deliveries (Kelos scheme), `--concurrency` in
 *   flight, to a real `kelos operator --webhook-addr` process; each becomes a Task (ledger
 *   write, Task create). Reference: a client creating the same Tasks directly in the API
 *   server at the same concurrency (the API server's floor). Targets: at least 0.8x its rate,
 *   p99 at most 2x.
 * - **Rejected**: `--rejections` deliveries with a wrong signature, 64 in flight, to the
 *   receiver. Reference: a bare `node:http` server that only verifies the HMAC and answers
 *   401. Target: at least 1,000 rejected requests/s.
 *
 * The operator process holds no Lease (the bench creates one held by someone else), so it
 * only receives: no Task reconcile competes with the measurement.
 *
 * Also printed: the operator's API requests per accepted delivery, by verb (its
 * `kelos_api_requests_total`), the CPU time each process on the machine spent per Task on
 * either side (from `/proc`: where the hop's cost lands when the run is CPU-bound), the
 * operator's RSS, and the load average. `--profile DIR` runs the operator with `--cpu-prof`
 * and stops it with SIGTERM so the profile is written to DIR.
 *
 * Both sides are warmed up with `--warmup` requests each before the clock starts: the
 * connections, and enough calls for V8 to optimise the hot paths of a long-running receiver
 * (with 50, the first measured slice spent about twice the operator CPU per delivery of the
 * later ones). The accepted deliveries and the reference then take turns in `--rounds`
 * slices (ABBA order), so both see the same load on a shared machine; their rates are
 * deliveries over the summed time of their slices.
 *
 * Usage: node bench/webhook.ts [--deliveries 1000] [--concurrency 16] [--rejections 10000]
 *   [--rounds 4] [--warmup 500] [--node-flags="<V8 flags>"] [--profile DIR]
 *   (`--node-flags`: the operator's, by default the image's from images/operator.Dockerfile)
 *
 * @packageDocumentation
 */
import type { ChildProcess } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Task, TaskSpawner } from '../src/api/index.ts';
import { type ApiObject, HttpKubeClient } from '../src/kube/client.ts';
import { loadKubeconfigFile } from '../src/kube/kubeconfig.ts';
import { Resources } from '../src/operator/resources.ts';
import { buildTask, taskName } from '../src/operator/spawner/task-build.ts';
import { deliveryItem, deliveryKey } from '../src/operator/webhook/deliver.ts';
import { DELIVERY_ANNOTATION, entryKey } from '../src/operator/webhook/ledger-format.ts';
import { type Delivery, matchDelivery } from '../src/operator/webhook/match.ts';
import { sign } from '../src/operator/webhook/signature.ts';
import {
  applyCrds,
  benchControlPlane,
  operatorNodeFlags,
  spawnOperator,
  stopProcess,
} from './lib/cluster.ts';
import { type Load, timedLoad } from './lib/load.ts';
import { currentRss } from './lib/memory.ts';
import { cpuSnapshot, cpuSpentByName } from './lib/process.ts';
import { printRows, printTitle } from './lib/report.ts';
import { formatRatio, percentile, perSecond } from './lib/stats.ts';

const { values: args } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
    rejections: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '500' },
    'node-flags': { type: 'string' },
    profile: { type: 'string' },
  },
});
const DELIVERIES = Number(args.deliveries);
const CONCURRENCY = Number(args.concurrency);
const REJECTIONS = Number(args.rejections);
const ROUNDS = Math.max(1, Number(args.rounds));
const WARMUP = Math.max(1, Number(args.warmup));
const NODE_FLAGS = operatorNodeFlags(args['node-flags']);
const SECRET = 'bench-secret';
const NS = 'bench-webhook';

/** Rate and latency percentiles of one phase. */
interface Phase {
  readonly ms: number;
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly statuses: Record<string, number>;
}

/** A phase from its loads: wall time summed, latencies and outcomes pooled. */
function phaseOf(loads: ReadonlyArray<Load<string>>): Phase {
  const ms = loads.reduce((sum, l) => sum + l.ms, 0);
  const latencies = loads.flatMap((l) => l.latencies);
  const statuses: Record<string, number> = {};
  for (const l of loads) for (const [k, v] of l.outcomes) statuses[k] = (statuses[k] ?? 0) + v;
  return {
    ms,
    rate: perSecond(latencies.length, ms),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    statuses,
  };
}

/** `one(from)` … `one(from + n - 1)`, `concurrency` in flight, outcomes as HTTP statuses or error messages. */
const load = (from: number, n: number, concurrency: number, one: (i: number) => Promise<number>) =>
  timedLoad(n, concurrency, (i) => one(from + i).then(String, (e: Error) => e.message));

async function measure(n: number, concurrency: number, one: (i: number) => Promise<number>): Promise<Phase> {
  return phaseOf([await load(0, n, concurrency, one)]);
}

function postTo(
  agent: Agent,
  address: string,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<number> {
  const i = address.lastIndexOf(':');
  return new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: address.slice(0, i),
        port: Number(address.slice(i + 1)),
        path,
        method: 'POST',
        agent,
        headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      // An idle keep-alive connection the server closed (its 5 s keep-alive timeout, reached
      // while the other side's slice ran) just as it was reused: nothing reached the server,
      // so send again on a fresh one, as Node's documentation advises.
      if (req.reusedSocket && err.code === 'ECONNRESET')
        postTo(agent, address, path, body, headers).then(resolve, reject);
      else reject(err);
    });
    req.end(body);
  });
}

/** The reference for rejections: a bare server that only checks the HMAC. */
async function bareHmacServer(): Promise<{ address: string; close: () => void }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const given = Buffer.from(String(req.headers['x-hub-signature-256'] ?? '').slice(7), 'hex');
      const want = createHmac('sha256', SECRET).update(body).digest();
      const ok = given.length === want.length && timingSafeEqual(given, want);
      res.writeHead(ok ? 200 : 401, { 'content-type': 'text/plain' });
      res.end(ok ? 'ok\n' : 'unauthorized\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/** Sums `kelos_api_requests_total` from the operator's /metrics by verb. */
async function apiRequests(metricsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^kelos_api_requests_total\{verb="(\w+)",resource="([^"]*)",code="[^"]*"\} (\d+)/.exec(line);
    if (m) out[`${m[1]} ${m[2]}`] = (out[`${m[1]} ${m[2]}`] ?? 0) + Number(m[3]);
  }
  return out;
}

async function startReceiver(
  kubeconfig: string,
): Promise<{ child: ChildProcess; address: string; metricsUrl: string }> {
  const { child, match } = await spawnOperator(
    [
      '--kubeconfig',
      kubeconfig,
      '--namespace',
      NS,
      '--metrics-addr',
      '127.0.0.1:0',
      '--health-addr',
      '0',
      '--webhook-addr',
      '127.0.0.1:0',
      '--leader-elect',
      '--lease-namespace',
      NS,
      '--lease-name',
      'held-elsewhere',
    ],
    /"msg":"Operator running".*?"endpoints":\["([^"]+)".*?"webhook":"([^"]+)"/,
    [...NODE_FLAGS, ...(args.profile ? ['--cpu-prof', '--cpu-prof-dir', args.profile] : [])],
  );
  return { child, address: match[2] as string, metricsUrl: `http://${match[1]}/metrics` };
}

/** The Task the receiver creates for the bench's delivery `{ data: { id, title: "alert <i>" } }`. */
function sameTaskAs(spawner: TaskSpawner, id: string, i: number): Task {
  const payload = { data: { id, title: `alert ${i}` } };
  const delivery: Delivery = { source: 'generic', event: 'bench', deliveryId: '', payload };
  const m = matchDelivery(spawner, delivery);
  if (!m.matched) throw new Error(`the bench delivery does not match: ${m.reason}`);
  const item = deliveryItem(m.id, m.annotations);
  const name = taskName(spawner, item, m.vars);
  if (!name.ok) throw new Error(name.error);
  const built = buildTask(spawner, item, { name: name.value, vars: m.vars });
  if (!built.ok) throw new Error(built.error);
  // The receiver's Task also carries its delivery's ledger key (deliver.ts).
  const task = built.value;
  task.metadata.annotations = {
    ...task.metadata.annotations,
    [DELIVERY_ANNOTATION]: entryKey(deliveryKey(delivery, name.value)),
  };
  return task;
}

/** CPU ms per Task by process, largest first, the small ones summed as `other`, and the total. */
function cpuPerTask(spent: ReadonlyMap<string, number>): string {
  if (spent.size === 0) return 'unknown (no /proc)';
  const per = [...spent].map(([name, ms]) => [name, ms / DELIVERIES] as const).sort((a, b) => b[1] - a[1]);
  const shown = per.filter(([, ms]) => ms >= 0.05);
  const other = per.filter(([, ms]) => ms < 0.05).reduce((sum, [, ms]) => sum + ms, 0);
  const total = per.reduce((sum, [, ms]) => sum + ms, 0);
  return `${[...shown, ['other', other] as const].map(([n, ms]) => `${n} ${ms.toFixed(2)}`).join(', ')} (total ${total.toFixed(2)} ms)`;
}

const fmt = (p: Phase) =>
  `${p.rate.toFixed(0)}/s, p50 ${p.p50.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms (${JSON.stringify(p.statuses)})`;

async function main(): Promise<void> {
  const { kubeconfig, stop: stopControlPlane } = await benchControlPlane();
  let child: ChildProcess | undefined;
  const bare = await bareHmacServer();
  try {
    const c = new HttpKubeClient(await loadKubeconfigFile(kubeconfig), { maxSockets: CONCURRENCY + 8 });
    await applyCrds(c);
    await c.apply(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await c.apply(Resources.Lease, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'held-elsewhere', namespace: NS },
      spec: {
        holderIdentity: 'someone-else',
        leaseDurationSeconds: 3600,
        renewTime: new Date().toISOString().replace('Z', '000Z'),
      },
    } as ApiObject);
    await c.apply(Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'hook', namespace: NS },
      data: { WEBHOOK_SECRET: Buffer.from(SECRET).toString('base64') },
    } as ApiObject);
    const template = {
      worker: { type: 'claude-code', credentials: { type: 'none' } },
      promptTemplate: 'Fix {{.Title}}',
    };
    // The CRD may answer 404/429 for a moment after it is installed.
    for (let i = 0; ; i++) {
      try {
        await c.apply(Resources.TaskSpawner, {
          apiVersion: 'kelos.dev/v1alpha2',
          kind: 'TaskSpawner',
          metadata: { name: 'bench', namespace: NS },
          spec: {
            when: {
              webhook: {
                source: 'bench',
                fieldMapping: { id: '$.data.id', title: '$.data.title' },
                secretRef: { name: 'hook' },
              },
            },
            taskTemplate: template,
            maxQueuedTasks: 1_000_000,
          },
        } as ApiObject);
        break;
      } catch (e) {
        if (i > 50) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const rx = await startReceiver(kubeconfig);
    child = rx.child;
    await new Promise((r) => setTimeout(r, 1000));
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

    // Warm-up (connections, JIT, the ledger's first write), not measured.
    await measure(WARMUP, CONCURRENCY, (i) => {
      const body = JSON.stringify({ data: { id: `warm-${i}`, title: `warm ${i}` } });
      return postTo(agent, rx.address, '/webhook/bench', body, {
        'content-type': 'application/json',
        ...sign.kelos(body, SECRET, Math.floor(Date.now() / 1000)),
      });
    });
    // The reference creates the very Tasks the receiver creates (the spawner's template
    // rendered by the same pure code, its owner reference with blockOwnerDeletion included,
    // which the API server's OwnerReferencesPermissionEnforcement admission and the garbage
    // collector both act on), only under other ids, built before the clock starts: the floor
    // of what the receiver must ask of the API server for each delivery.
    const spawner = await c.get<TaskSpawner>(Resources.TaskSpawner, NS, 'bench');
    if (!spawner) throw new Error('TaskSpawner bench is gone');
    const directTasks = Array.from({ length: DELIVERIES }, (_, i) => sameTaskAs(spawner, `direct-${i}`, i));
    const deliver = (i: number) => {
      const body = JSON.stringify({ data: { id: `d-${i}`, title: `alert ${i}` } });
      return postTo(agent, rx.address, '/webhook/bench', body, {
        'content-type': 'application/json',
        ...sign.kelos(body, SECRET, Math.floor(Date.now() / 1000)),
      });
    };
    // The same request as the receiver's: a create answered with the Task's metadata only.
    const createDirectly = async (i: number) => {
      await c.createMetadataOnly(Resources.Task, directTasks[i]!);
      return 201;
    };

    // The reference's warm-up: its connections (TLS handshakes) and JIT, as the receiver's.
    const warmTasks = Array.from({ length: WARMUP }, (_, i) => sameTaskAs(spawner, `direct-warm-${i}`, i));
    await measure(warmTasks.length, CONCURRENCY, async (i) => {
      await c.createMetadataOnly(Resources.Task, warmTasks[i]!);
      return 201;
    });

    const load0 = loadavg()[0] ?? 0;
    const requestsBefore = await apiRequests(rx.metricsUrl);
    // The two sides take turns in ROUNDS slices, in the order ABBA ABBA…, so that both see the
    // same load: other work on a shared machine starts and stops within one run.
    const slices = { receiver: [] as Load<string>[], direct: [] as Load<string>[] };
    const cpu = { receiver: new Map<string, number>(), direct: new Map<string, number>() };
    const names = new Map([
      [process.pid, 'bench'],
      [child.pid ?? 0, 'operator'],
    ]);
    /** Runs one slice and adds what each process spent during it to `into`. */
    const sliced = async (into: Map<string, number>, run: () => Promise<Load<string>>) => {
      const before = cpuSnapshot(names);
      const loaded = await run();
      for (const [name, ms] of cpuSpentByName(before, cpuSnapshot(names)))
        into.set(name, (into.get(name) ?? 0) + ms);
      return loaded;
    };
    for (let r = 0; r < ROUNDS; r++) {
      const from = Math.floor((r * DELIVERIES) / ROUNDS);
      const n = Math.floor(((r + 1) * DELIVERIES) / ROUNDS) - from;
      const receiverSlice = async () => {
        slices.receiver.push(await sliced(cpu.receiver, () => load(from, n, CONCURRENCY, deliver)));
      };
      const directSlice = async () => {
        slices.direct.push(await sliced(cpu.direct, () => load(from, n, CONCURRENCY, createDirectly)));
      };
      for (const side of r % 2 === 0 ? [receiverSlice, directSlice] : [directSlice, receiverSlice])
        await side();
    }
    const accepted = phaseOf(slices.receiver);
    const direct = phaseOf(slices.direct);
    // Confirmations are flushed shortly after the last answer: let them land before counting.
    await new Promise((r) => setTimeout(r, 1000));
    const requestsAfter = await apiRequests(rx.metricsUrl);
    const rss = Math.round((currentRss(child.pid ?? 0) ?? 0) / 1024 / 1024);
    const perDelivery = Object.entries(requestsAfter)
      .map(([k, v]) => [k, (v - (requestsBefore[k] ?? 0)) / DELIVERIES] as const)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ');
    const badBody = JSON.stringify({ action: 'created', issue: { number: 1 } });
    const badHeaders = {
      'content-type': 'application/json',
      'x-github-event': 'issue_comment',
      'x-hub-signature-256': sign.github(badBody, 'wrong'),
    };
    // A spawner for GitHub so the rejection runs the whole verification, not "no spawner".
    await c.apply(Resources.TaskSpawner, {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      metadata: { name: 'bench-gh', namespace: NS },
      spec: {
        when: { githubWebhook: { events: ['issue_comment'], secretRef: { name: 'hook' } } },
        taskTemplate: { ...template, worker: { ...template.worker, workspaceRef: { name: 'none' } } },
      },
    } as ApiObject);
    await new Promise((r) => setTimeout(r, 1000));
    const rejAgent = new Agent({ keepAlive: true, maxSockets: 64 });
    const rejected = await measure(REJECTIONS, 64, () =>
      postTo(rejAgent, rx.address, '/webhook/github', badBody, badHeaders),
    );
    const bareRejected = await measure(REJECTIONS, 64, () =>
      postTo(rejAgent, bare.address, '/webhook/github', badBody, badHeaders),
    );
    c.close();

    printTitle(
      `webhook receiver on loopback (${DELIVERIES} deliveries, ${CONCURRENCY} in flight, ${ROUNDS} rounds; load average ${load0.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)})`,
    );
    printRows([
      ['receiver, signed deliveries → Tasks', fmt(accepted)],
      ['client creating the Tasks directly', fmt(direct)],
      [`receiver, ${REJECTIONS} bad signatures (64 in flight)`, fmt(rejected)],
      ['bare node:http HMAC-only server', fmt(bareRejected)],
      ['operator API requests per accepted delivery', perDelivery],
      ['CPU per accepted delivery, by process', cpuPerTask(cpu.receiver)],
      ['CPU per direct create, by process', cpuPerTask(cpu.direct)],
      ['operator RSS after the accepted deliveries', `${rss} MiB`],
      ['operator node flags', NODE_FLAGS.join(' ') || '(none)'],
    ]);
    console.log(
      `  ratio  accepted rate receiver / direct = ${(accepted.rate / direct.rate).toFixed(2)}x (target >= 0.8x)`,
    );
    console.log(
      `  ratio  accepted p99 receiver / direct = ${formatRatio(accepted.p99, direct.p99)} (target <= 2x)`,
    );
    console.log(
      `  ratio  rejection rate receiver / bare = ${(rejected.rate / bareRejected.rate).toFixed(2)}x (target >= 1,000/s absolute: ${rejected.rate.toFixed(0)}/s)`,
    );
  } finally {
    // SIGTERM when profiling: the operator exits cleanly and Node writes the CPU profile.
    if (child && args.profile) await stopProcess(child);
    else child?.kill('SIGKILL');
    bare.close();
    await stopControlPlane();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
