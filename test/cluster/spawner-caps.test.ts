import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminalPhase } from '../../src/api/index.ts';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { FakeGitHub } from '../support/fake-github.ts';
import { maxAdmitted, record, type Seen } from './admission-record.ts';
import { freshNamespace } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { create, podFinished, testClient, waitFor } from './operator-helpers.ts';
import { kill9, spawnOperator } from './operator-process.ts';
import {
  githubWorkspace,
  LABEL,
  prng,
  spawner,
  tasksIn,
  testSeed,
  waitForSpawner,
} from './spawner-helpers.ts';

// The issue's caps scenario: 100 matching issues, maxConcurrency 3, maxTotalTasks 20, Tasks
// finished by the test (playing the kubelet) at random times, and the operator SIGKILLed at
// random moments five times.
describe('TaskSpawner caps hold on every path, across SIGKILLs', () => {
  let c: HttpKubeClient;
  let gh: FakeGitHub;
  let ns: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    await installCrds();
    ns = await freshNamespace('spawner-caps');
    c = await testClient();
    gh = await FakeGitHub.start();
    await githubWorkspace(c, ns);
  });
  afterAll(async () => {
    for (const child of children) await kill9(child);
    await gh?.close();
    c?.close();
  });

  it('never admits more than maxConcurrency, creates exactly maxTotalTasks, no duplicates', async () => {
    const seed = testSeed();
    console.log(`spawner caps: seed ${seed} (replay with KELOS_TEST_SEED=${seed})`);
    const random = prng(seed);
    for (let i = 0; i < 100; i++) gh.addIssue({ title: `Issue ${i + 1}`, labels: [LABEL] });

    const events: Seen[] = [];
    const abort = new AbortController();
    // A CRD installed a moment ago may still answer 429 while its storage initializes.
    let start: Awaited<ReturnType<typeof c.list>> | undefined;
    await waitFor('the Task API to serve lists', async () => {
      start = await c.list(Resources.Task, { namespace: ns }).catch(() => undefined);
      return start !== undefined;
    });
    const watching = record(c, ns, start?.metadata.resourceVersion ?? '0', abort.signal, events);

    const run = () => spawnOperator(ns, ['--github-api-url', gh.baseUrl]);
    let current = await run();
    children.push(current.child);
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner(
        'caps',
        { githubIssues: { labels: [LABEL], pollInterval: '1s' } },
        { maxConcurrency: 3, maxTotalTasks: 20 },
      ),
    );

    // Kill after a random number of finishes each time: 5 kills spread over the 20 Tasks.
    const killAfter = new Set<number>();
    while (killAfter.size < 5) killAfter.add(1 + Math.floor(random() * 18));
    let finished = 0;
    let kills = 0;
    const done = new Set<string>();
    await waitFor(
      '20 Tasks finished',
      async () => {
        const tasks = await tasksIn(c, ns);
        const running = [...tasks.values()].filter(
          (t) => !isTerminalPhase(t.status?.phase) && t.status?.jobName && !done.has(t.metadata.name ?? ''),
        );
        if (running.length > 0) {
          const pick = running[Math.floor(random() * running.length)]!;
          await new Promise((r) => setTimeout(r, Math.floor(random() * 800)));
          await podFinished(c, ns, pick.metadata.name ?? '');
          done.add(pick.metadata.name ?? '');
          finished++;
          if (killAfter.has(finished)) {
            killAfter.delete(finished);
            await new Promise((r) => setTimeout(r, Math.floor(random() * 500)));
            await kill9(current.child);
            kills++;
            current = await run();
            children.push(current.child);
          }
        }
        const all = [...tasks.values()];
        return all.length >= 20 && all.every((t) => isTerminalPhase(t.status?.phase));
      },
      { timeoutMs: 240_000, intervalMs: 50 },
    );
    expect(kills).toBe(5);

    const final = await waitForSpawner(
      c,
      ns,
      'caps',
      'to count 20 Tasks',
      (s) => s.status?.totalTasksCreated === 20,
    );
    expect(final.status?.conditions?.find((x) => x.type === 'MaxTotalTasksReached')?.status).toBe('True');
    // A few more polls: nothing more is created.
    await new Promise((r) => setTimeout(r, 3_000));
    abort.abort();
    await watching;

    const tasks = await tasksIn(c, ns);
    expect(tasks.size).toBe(20);
    const added = events.filter((e) => e.kind === 'Task' && e.type === 'ADDED');
    expect(added).toHaveLength(20);
    expect(new Set(added.map((e) => e.name)).size).toBe(20);
    const jobsAdded = events.filter((e) => e.kind === 'Job' && e.type === 'ADDED');
    expect(new Set(jobsAdded.map((e) => e.name)).size).toBe(jobsAdded.length);
    expect(jobsAdded).toHaveLength(20);
    const { max, at } = maxAdmitted(events);
    console.log(
      `spawner caps: ${events.length} events replayed; most admitted and unfinished at once: ${max} (rv ${at})`,
    );
    expect(max).toBeLessThanOrEqual(3);
    // The cap was reached, so the check is not empty.
    expect(max).toBe(3);
  }, 300_000);
});
