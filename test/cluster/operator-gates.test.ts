import { describe, expect, it } from 'vitest';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import {
  create,
  jobArgs,
  jobNames,
  outputsMessage,
  podFinished,
  type TestOperator,
  task,
  useOperator,
  waitFor,
  waitForPhase,
  waitForTask,
} from './operator-helpers.ts';

// The gates a Task passes before its Job exists: dependencies and branch serialization.
describe('operator: admission gates', () => {
  let c: HttpKubeClient;
  let op: TestOperator;
  let ns: string;

  useOperator('op-gates', (s) => ({ c, op, ns } = s));

  it('runs a dependency chain in order and renders {{.Deps}} results into the prompt', async () => {
    await create(
      c,
      ns,
      'Task',
      task('review', {
        dependsOn: ['scaffold'],
        prompt:
          'Review branch {{index .Deps "scaffold" "Results" "branch"}} at {{(index .Deps "scaffold").Results.commit}}',
      }),
    );
    const waiting = await waitForPhase(c, ns, 'review', 'Waiting');
    expect(waiting.status?.message).toBe('Waiting for dependency Task "scaffold" to be created');
    expect(waiting.status?.conditions).toEqual([
      expect.objectContaining({
        type: 'DependenciesReady',
        status: 'False',
        reason: 'DependencyNotFound',
        message: 'Waiting for dependency Task "scaffold" to be created',
      }),
    ]);

    await create(c, ns, 'Task', task('scaffold'));
    await waitForPhase(c, ns, 'scaffold', 'Pending');
    const stillWaiting = await waitForTask(c, ns, 'review', 'waiting for scaffold to succeed', (t) =>
      (t.status?.message ?? '').startsWith('Waiting for dependency Task "scaffold" to succeed'),
    );
    expect(stillWaiting.status?.conditions?.[0]).toMatchObject({ reason: 'DependencyNotFinished' });
    expect(await jobNames(c, ns)).toEqual(['scaffold']);

    await podFinished(c, ns, 'scaffold', {
      message: outputsMessage({ branch: 'kelos/scaffold', commit: 'deadbeef' }),
    });
    await waitForPhase(c, ns, 'scaffold', 'Succeeded');
    const started = await waitForPhase(c, ns, 'review', 'Pending');
    expect(started.status?.conditions).toEqual([
      expect.objectContaining({ type: 'DependenciesReady', status: 'True', reason: 'DependenciesSucceeded' }),
    ]);
    expect(await jobArgs(c, ns, 'review')).toContain('Review branch kelos/scaffold at deadbeef');
  });

  it('fails a Task whose dependency failed', async () => {
    await create(c, ns, 'Task', task('flaky'));
    await create(c, ns, 'Task', task('after-flaky', { dependsOn: ['flaky'] }));
    await waitForPhase(c, ns, 'flaky', 'Pending');
    await waitForPhase(c, ns, 'after-flaky', 'Waiting');
    // Fail the dependency for good by deleting its Job: the operator fails it (JobDeleted).
    await op.operator.client.delete(
      { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true },
      ns,
      'flaky',
      {
        propagationPolicy: 'Background',
      },
    );
    const flaky = await waitForPhase(c, ns, 'flaky', 'Failed');
    expect(flaky.status?.message).toBe(`Job ${ns}/flaky was deleted before the Task finished`);
    const failed = await waitForPhase(c, ns, 'after-flaky', 'Failed');
    expect(failed.status?.message).toBe('Dependency Task "flaky" failed');
    expect(failed.status?.conditions).toEqual([
      expect.objectContaining({ type: 'DependenciesReady', status: 'False', reason: 'DependencyFailed' }),
    ]);
    expect(await jobNames(c, ns)).not.toContain('after-flaky');
  });

  it('fails every Task of a dependency cycle', async () => {
    await create(c, ns, 'Task', task('cyc-a', { dependsOn: ['cyc-b'] }));
    await create(c, ns, 'Task', task('cyc-b', { dependsOn: ['cyc-c'] }));
    await create(c, ns, 'Task', task('cyc-c', { dependsOn: ['cyc-a'] }));
    const a = await waitForPhase(c, ns, 'cyc-a', 'Failed');
    expect(a.status?.message).toBe('Circular dependency detected: cyc-a -> cyc-b -> cyc-c -> cyc-a');
    const b = await waitForPhase(c, ns, 'cyc-b', 'Failed');
    // The cycle is found from every member, whatever the others' phases are by then.
    expect(b.status?.message).toBe('Circular dependency detected: cyc-b -> cyc-c -> cyc-a -> cyc-b');
    const cc = await waitForPhase(c, ns, 'cyc-c', 'Failed');
    expect(cc.status?.message).toBe('Circular dependency detected: cyc-c -> cyc-a -> cyc-b -> cyc-c');
    expect((await jobNames(c, ns)).filter((n) => n.startsWith('cyc-'))).toEqual([]);
  });

  it('fails a Task whose prompt template does not render, instead of running the raw prompt', async () => {
    await create(c, ns, 'Task', task('base'));
    await create(
      c,
      ns,
      'Task',
      task('broken', { dependsOn: ['base'], prompt: 'Use {{.Deps.base.Results.missing}' }),
    );
    await waitForPhase(c, ns, 'base', 'Pending');
    await podFinished(c, ns, 'base', { message: outputsMessage({ branch: 'b' }) });
    const failed = await waitForPhase(c, ns, 'broken', 'Failed');
    expect(failed.status?.message).toMatch(/^Failed to render prompt template: template: prompt:1:/);
    // Its dependency succeeded: the condition no longer says it waits for it.
    expect(failed.status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'DependenciesReady', status: 'True', reason: 'DependenciesSucceeded' }),
    );
    expect(await jobNames(c, ns)).not.toContain('broken');
  });

  it('serializes Tasks on one workspace branch, oldest first, and runs other branches in parallel', async () => {
    const onBranch = (name: string, branch: string) =>
      task(name, {
        branch,
        worker: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: 'shared' } },
      });
    await create(c, ns, 'Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'shared' },
      spec: { repo: 'https://github.com/example/shared.git' },
    });
    // Creation timestamps have one-second resolution; space the Tasks so the order is by time.
    await create(c, ns, 'Task', onBranch('first', 'feature'));
    await new Promise((r) => setTimeout(r, 1100));
    await create(c, ns, 'Task', onBranch('second', 'feature'));
    await new Promise((r) => setTimeout(r, 1100));
    await create(c, ns, 'Task', onBranch('third', 'feature'));
    await create(c, ns, 'Task', onBranch('elsewhere', 'other'));

    await waitForPhase(c, ns, 'first', 'Pending');
    await waitForPhase(c, ns, 'elsewhere', 'Pending');
    const second = await waitForPhase(c, ns, 'second', 'Waiting');
    expect(second.status?.message).toBe(
      'Waiting for branch "feature" of Workspace "shared" (held by Task "first")',
    );
    expect(second.status?.conditions).toEqual([
      expect.objectContaining({ type: 'BranchLocked', status: 'True', reason: 'BranchInUse' }),
    ]);
    const third = await waitForPhase(c, ns, 'third', 'Waiting');
    expect(third.status?.message).toBe(
      'Waiting for branch "feature" of Workspace "shared" (held by Task "first")',
    );

    await podFinished(c, ns, 'first');
    await waitForPhase(c, ns, 'first', 'Succeeded');
    const secondUp = await waitForPhase(c, ns, 'second', 'Pending');
    expect(secondUp.status?.conditions).toEqual([
      expect.objectContaining({ type: 'BranchLocked', status: 'False', reason: 'BranchAvailable' }),
    ]);
    await waitForTask(c, ns, 'third', 'waiting behind second', (t) =>
      (t.status?.message ?? '').endsWith('(held by Task "second")'),
    );
    expect((await jobNames(c, ns)).filter((n) => ['first', 'second', 'third'].includes(n))).toEqual([
      'first',
      'second',
    ]);

    await podFinished(c, ns, 'second');
    await waitForPhase(c, ns, 'third', 'Pending');
    await waitFor('three Jobs on the branch', async () => (await jobNames(c, ns)).includes('third'));
  });
});
