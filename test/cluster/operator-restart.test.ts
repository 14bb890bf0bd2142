import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../src/api/index.ts';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import type { Lease } from '../../src/kube/leader-election.ts';
import { Resources } from '../../src/operator/resources.ts';
import { freshNamespace } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { create, podFinished, task, testClient, waitFor, waitForPhase } from './operator-helpers.ts';
import { kill9, spawnOperator } from './operator-process.ts';

// The operator is killed (SIGKILL, no cleanup) in the middle of a burst and started again.
// Everything it knows lives in the API server, so nothing is lost or done twice.
describe('operator: killed and restarted mid-flight', () => {
  let c: HttpKubeClient;
  let ns: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    await installCrds();
    ns = await freshNamespace('op-restart');
    c = await testClient();
  });
  afterAll(async () => {
    for (const child of children) await kill9(child);
    c?.close();
  });

  it('creates every Job exactly once and keeps dependency and branch gates across the restart', async () => {
    // Watch Jobs from the start: every create and delete is seen, across both operator runs.
    const jobEvents: Array<[string, string, string]> = [];
    const list = await c.list(Resources.Job, { namespace: ns });
    const abort = new AbortController();
    const watching = c
      .watch(
        Resources.Job,
        { namespace: ns, resourceVersion: list.metadata.resourceVersion, signal: abort.signal },
        (e) => {
          if (e.type !== 'BOOKMARK')
            jobEvents.push([e.type, e.object.metadata.name ?? '', e.object.metadata.uid ?? '']);
        },
      )
      .catch(() => {});

    const first = await spawnOperator(ns);
    children.push(first.child);

    // A gated trio: a dependency pair and two Tasks on one branch.
    await create(c, ns, 'Task', task('dep-base'));
    await create(c, ns, 'Task', task('dep-next', { dependsOn: ['dep-base'] }));
    await create(c, ns, 'Task', task('branch-1', { branch: 'shared' }));
    await new Promise((r) => setTimeout(r, 1100));
    await create(c, ns, 'Task', task('branch-2', { branch: 'shared' }));

    const names: string[] = [];
    for (let i = 0; i < 60; i++) {
      const name = `burst-${String(i).padStart(2, '0')}`;
      names.push(name);
      await create(c, ns, 'Task', task(name));
      // Kill in the middle of the burst, while reconciles are in flight.
      if (i === 30) await kill9(first.child);
    }
    expect(first.child.signalCode).toBe('SIGKILL');

    const second = await spawnOperator(ns);
    children.push(second.child);
    for (const name of ['dep-base', 'branch-1', ...names]) await waitForPhase(c, ns, name, 'Pending');

    // Gates hold after the restart: the dependent and the younger branch Task still wait.
    const depNext = await waitForPhase(c, ns, 'dep-next', 'Waiting');
    expect(depNext.status?.message).toBe('Waiting for dependency Task "dep-base" to succeed (phase Pending)');
    const branch2 = await waitForPhase(c, ns, 'branch-2', 'Waiting');
    expect(branch2.status?.message).toBe('Waiting for branch "shared" (held by Task "branch-1")');

    // And open in order once their holders finish.
    await podFinished(c, ns, 'dep-base');
    await podFinished(c, ns, 'branch-1');
    await waitForPhase(c, ns, 'dep-next', 'Pending');
    await waitForPhase(c, ns, 'branch-2', 'Pending');

    abort.abort();
    await watching;
    const added = jobEvents.filter(([type]) => type === 'ADDED').map(([, name]) => name);
    const all = ['dep-base', 'dep-next', 'branch-1', 'branch-2', ...names].sort();
    // One Job per Task, created once, never deleted and re-created.
    expect([...added].sort()).toEqual(all);
    expect(jobEvents.filter(([type]) => type === 'DELETED')).toEqual([]);
    const tasks = await c.list<Task>(Resources.Task, { namespace: ns });
    for (const t of tasks.items) {
      const job = await c.get(Resources.Job, ns, t.metadata.name ?? '');
      expect(job?.metadata.ownerReferences?.[0]?.uid, t.metadata.name).toBe(t.metadata.uid);
    }
    expect(second.output()).toContain('"msg":"Caches synced"');
  });

  it('shuts down on SIGTERM: finishes, releases its Lease and exits 0', async () => {
    const ns2 = await freshNamespace('op-sigterm');
    const run = await spawnOperator(ns2, [
      '--leader-elect',
      '--lease-namespace',
      ns2,
      '--lease-name',
      'kelos-leader',
    ]);
    children.push(run.child);
    await waitFor('the operator to hold its Lease', async () => {
      const lease = await c.get<Lease>(Resources.Lease, ns2, 'kelos-leader');
      return Boolean(lease?.spec?.holderIdentity);
    });
    await create(c, ns2, 'Task', task('before-shutdown'));
    await waitForPhase(c, ns2, 'before-shutdown', 'Pending');
    const exited = new Promise<number | null>((resolve) => run.child.once('exit', (code) => resolve(code)));
    run.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(run.output()).toContain('"msg":"Shutting down","signal":"SIGTERM"');
    expect(run.output()).toContain('"msg":"Released leader Lease"');
    const lease = await c.get<Lease>(Resources.Lease, ns2, 'kelos-leader');
    expect(lease?.spec?.holderIdentity).toBeUndefined();
  });
});
