// The load scenario: 500 signed deliveries in about 10 s to a spawner with
// maxConcurrency 3, through two receiver processes (real `kelos operator --webhook-addr`
// children, one leader), the test playing the kubelet; 50 deliveries are redelivered and one
// receiver is SIGKILLed mid-run (the sender retries on the other, as behind a Service). Never
// more than 3 admitted at once, exactly one Task per delivery, none lost, none duplicated.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminalPhase } from '../../src/api/index.ts';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { genericAlert, kelosHeaders, post } from '../support/webhook-payloads.ts';
import { maxAdmitted, record, type Seen } from './admission-record.ts';
import { freshNamespace } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { create, createSecret, podFinished, testClient, waitFor } from './operator-helpers.ts';
import { kill9, spawnOperator } from './operator-process.ts';
import { githubWorkspace, spawner, tasksIn } from './spawner-helpers.ts';

const SECRET = 'load-secret';
const N = 500;
const SPREAD_MS = 10_000;
/**
 * Tasks played through to the end before the cap is checked. Draining all 500 at 3 at a time
 * takes minutes more on a loaded machine and adds admission turns, not new situations;
 * `KELOS_WEBHOOK_LOAD_DRAIN=500` drains them all.
 */
const DRAIN = Number(process.env['KELOS_WEBHOOK_LOAD_DRAIN'] ?? 30);

const rssMiB = (pid: number | undefined): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 1024);
};

const pct = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

describe('webhook receivers under load, across a SIGKILL', () => {
  let c: HttpKubeClient;
  let ns: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    await installCrds();
    ns = await freshNamespace('webhook-load');
    c = await testClient();
    await githubWorkspace(c, ns);
    await createSecret(c, ns, 'hook', { WEBHOOK_SECRET: SECRET });
  });
  afterAll(async () => {
    for (const child of children) await kill9(child);
    c?.close();
  });

  it('admits at most 3 at once and makes exactly one Task per delivery', async () => {
    let start: Awaited<ReturnType<typeof c.list>> | undefined;
    await waitFor('the Task API to serve lists', async () => {
      start = await c.list(Resources.Task, { namespace: ns }).catch(() => undefined);
      return start !== undefined;
    });
    const events: Seen[] = [];
    const abort = new AbortController();
    const watching = record(c, ns, start?.metadata.resourceVersion ?? '0', abort.signal, events);
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner(
        'load',
        { webhook: { source: 'load', fieldMapping: { id: '$.data.id' }, secretRef: { name: 'hook' } } },
        { maxConcurrency: 3, maxQueuedTasks: 1000 },
      ),
    );
    const receiverArgs = ['--webhook-addr', '127.0.0.1:0', '--leader-elect', '--lease-namespace', ns];
    const procs = [await spawnOperator(ns, receiverArgs), await spawnOperator(ns, receiverArgs)];
    for (const p of procs) children.push(p.child);
    const addrs = procs.map((p) => {
      const line = p
        .output()
        .split('\n')
        .find((l) => l.includes('"msg":"Operator running"'));
      return (JSON.parse(line ?? '{}') as { webhook?: string }).webhook ?? '';
    });
    expect(addrs.every((a) => a !== '')).toBe(true);
    const alive = [true, true];

    // The kubelet: every admitted Task's Pod finishes soon after it appears.
    let kubelet = true;
    const finishing = new Set<string>();
    const playKubelet = (async () => {
      while (kubelet) {
        const tasks = await tasksIn(c, ns).catch(() => new Map());
        for (const t of tasks.values()) {
          const name = t.metadata.name ?? '';
          if (isTerminalPhase(t.status?.phase) || !t.status?.jobName || finishing.has(name)) continue;
          finishing.add(name);
          void podFinished(c, ns, t.status.jobName).catch(() => finishing.delete(name));
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const latencies: number[] = [];
    const outcomes = new Map<string, string>();
    const redelivered: string[] = [];
    let retries = 0;
    const deliver = async (id: string, i: number, redelivery: boolean): Promise<string> => {
      const body = JSON.stringify(genericAlert(id));
      for (let attempt = 0; attempt < 100; attempt++) {
        const which = (i + attempt) % 2;
        const target = alive[which] ? which : 1 - which;
        // A redelivery is signed anew, as a sender does (another timestamp).
        const ts = Math.floor(Date.now() / 1000) - (redelivery ? 1 : 0);
        const began = performance.now();
        try {
          const r = await post(addrs[target]!, '/webhook/load', body, kelosHeaders(body, SECRET, ts));
          if (r.status === 200) {
            latencies.push(performance.now() - began);
            return ((r.json()['results'] as Array<Record<string, string>>)[0]?.['outcome'] ?? '') as string;
          }
        } catch {
          // The receiver died mid-request: retry on the other, as a Service would route it.
        }
        retries++;
        await new Promise((r) => setTimeout(r, 200));
      }
      return 'lost';
    };

    const began = performance.now();
    let rssBeforeKill: number[] = [];
    const sends: Promise<void>[] = [];
    for (let i = 0; i < N; i++) {
      const id = `d-${String(i).padStart(3, '0')}`;
      const due = began + (i * SPREAD_MS) / N;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      if (i === N / 2) {
        rssBeforeKill = procs.map((p) => rssMiB(p.child.pid));
        alive[1] = false;
        void kill9(procs[1]!.child);
      }
      sends.push(
        deliver(id, i, false).then(async (o) => {
          outcomes.set(id, o);
          if (i % 10 === 0) redelivered.push(await deliver(id, i + 1, true));
        }),
      );
    }
    const launchMs = performance.now() - began;
    await Promise.all(sends);
    const sendMs = performance.now() - began;
    const rssAfter = rssMiB(procs[0]!.child.pid);

    const sorted = [...latencies].sort((a, b) => a - b);
    const leader = procs.findIndex((p) => p.output().includes('Became leader'));
    console.log(
      `webhook load: ${N} deliveries sent over ${Math.round(launchMs)} ms, all answered (+ ${redelivered.length} redeliveries) after ${Math.round(sendMs)} ms (${(
        (N * 1000) / sendMs
      ).toFixed(1)} accepted/s), ${retries} sender retries, p50 ${pct(sorted, 50).toFixed(1)} ms, p99 ${pct(
        sorted,
        99,
      ).toFixed(
        1,
      )} ms; RSS MiB before the kill ${rssBeforeKill.join('/')}, survivor after ${rssAfter}; leader was receiver ${leader}, receiver 1 SIGKILLed`,
    );

    expect([...outcomes.values()].filter((o) => o !== 'created' && o !== 'duplicate')).toEqual([]);
    expect(redelivered).toEqual(new Array(N / 10).fill('duplicate'));
    const tasks = await tasksIn(c, ns);
    const expected = new Set(Array.from({ length: N }, (_, i) => `load-d-${String(i).padStart(3, '0')}`));
    expect(new Set(tasks.keys())).toEqual(expected);
    let lastLog = 0;
    await waitFor(
      `${DRAIN} Tasks finished`,
      async () => {
        const tasks = [...(await tasksIn(c, ns)).values()];
        const done = tasks.filter((t) => isTerminalPhase(t.status?.phase)).length;
        if (performance.now() - lastLog > 30_000) {
          lastLog = performance.now();
          console.log(`webhook load: ${tasks.length} Tasks, ${done} finished`);
        }
        return done >= DRAIN;
      },
      { timeoutMs: 900_000, intervalMs: 500 },
    );
    kubelet = false;
    await playKubelet;
    abort.abort();
    await watching;

    const added = events.filter((e) => e.kind === 'Task' && e.type === 'ADDED');
    expect(added).toHaveLength(N);
    const { max } = maxAdmitted(events);
    console.log(
      `webhook load: ${events.length} events replayed; most admitted and unfinished at once: ${max}`,
    );
    expect(max).toBeLessThanOrEqual(3);
    expect(max).toBe(3);
  }, 1_200_000);
});
