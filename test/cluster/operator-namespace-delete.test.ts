/**
 * Deleting a namespace that holds a running Task. The namespace controller deletes the Task;
 * our finalizer charges it with a TaskRecord before letting it go, but the API server refuses
 * every create in a namespace being deleted (403, cause NamespaceTerminating). Retrying that
 * create would keep the finalizer, and the namespace Terminating, for ever, with a "Forbidden by
 * RBAC" error every backoff: the finalizer lets go instead, and nothing is logged as RBAC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { freshNamespace, kubectl } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import {
  create,
  podRunning,
  startOperator,
  type TestOperator,
  task,
  testClient,
  waitFor,
  waitForPhase,
} from './operator-helpers.ts';

describe('operator: a namespace deleted while a Task runs', () => {
  let c: HttpKubeClient;
  let ns: string;
  let op: TestOperator;
  beforeAll(async () => {
    await installCrds();
    ns = await freshNamespace('op-ns-delete');
    c = await testClient();
    op = await startOperator(ns);
  });
  afterAll(async () => {
    // Not op.stop(): its RBAC report would name the refused create, which is the point here.
    await op?.operator.stop();
    c?.close();
  });

  it('lets the Task, and so the namespace, go without its TaskRecord', async () => {
    await create(c, ns, 'Task', task('running'));
    await podRunning(c, ns, 'running');
    await waitForPhase(c, ns, 'running', 'Running');
    await kubectl(['delete', 'namespace', ns, '--wait=false']);
    // The namespace controller deletes the Task in its own time (with backoff); deleting it
    // here too makes the finalizer run at once, in the Terminating namespace.
    await waitFor('the namespace to be Terminating', async () => {
      const n = await c.get<{ status?: { phase?: string } } & Parameters<HttpKubeClient['create']>[1]>(
        Resources.Namespace,
        undefined,
        ns,
      );
      return n?.status?.phase === 'Terminating';
    });
    await kubectl(['delete', 'task', 'running', '-n', ns, '--wait=false']);
    await waitFor(
      'the Task to be gone',
      async () => (await c.get(Resources.Task, ns, 'running')) === undefined,
      {
        timeoutMs: 20_000,
      },
    );
    const steps = op.logs.filter((l) => l.includes('is being deleted'));
    expect(steps.join('\n')).toContain(`TaskRecord not written: namespace ${ns} is being deleted`);
    expect(op.logs.filter((l) => l.includes('"msg":"Reconcile of Task failed"'))).toEqual([]);
    // The refused create is no RBAC problem: an SRE must not be sent to the roles.
    expect(op.logs.filter((l) => l.includes('"msg":"Forbidden by RBAC"'))).toEqual([]);
  });
});
