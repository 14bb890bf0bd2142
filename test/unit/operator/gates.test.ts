import { describe, expect, it } from 'vitest';
import type { Task } from '../../../src/api/index.ts';
import {
  branchKey,
  checkBranchLock,
  checkDependencies,
  dependsTransitively,
  findCycle,
} from '../../../src/operator/gates.ts';

interface Opts {
  deps?: string[];
  phase?: string;
  branch?: string;
  workspace?: string;
  created?: string;
  jobName?: string;
  deleting?: boolean;
}

const task = (name: string, o: Opts = {}): Task => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'Task',
  metadata: {
    name,
    namespace: 'ns',
    creationTimestamp: o.created ?? '2026-01-01T00:00:00Z',
    ...(o.deleting ? { deletionTimestamp: '2026-01-01T01:00:00Z' } : {}),
  },
  spec: {
    prompt: 'p',
    worker: {
      type: 'claude-code',
      credentials: { type: 'none' },
      ...(o.workspace ? { workspaceRef: { name: o.workspace } } : {}),
    },
    ...(o.deps ? { dependsOn: o.deps } : {}),
    ...(o.branch ? { branch: o.branch } : {}),
  },
  status: { ...(o.phase ? { phase: o.phase } : {}), ...(o.jobName ? { jobName: o.jobName } : {}) },
});

const lookupOf = (tasks: Task[]) => {
  const byName = new Map(tasks.map((t) => [t.metadata.name, t]));
  return (name: string) => byName.get(name);
};

describe('checkDependencies', () => {
  it('has nothing to check without dependsOn', () => {
    expect(checkDependencies(task('a'), lookupOf([]))).toEqual({ state: 'none' });
  });

  it('waits for a dependency that does not exist yet, naming it', () => {
    expect(checkDependencies(task('b', { deps: ['a'] }), lookupOf([]))).toEqual({
      state: 'waiting',
      dependency: 'a',
      reason: 'DependencyNotFound',
      message: 'Waiting for dependency Task "a" to be created',
    });
  });

  it('waits for a dependency that has not succeeded, naming its phase', () => {
    const tasks = [task('a', { phase: 'Running' }), task('b', { deps: ['a'] })];
    expect(checkDependencies(tasks[1]!, lookupOf(tasks))).toEqual({
      state: 'waiting',
      dependency: 'a',
      reason: 'DependencyNotFinished',
      message: 'Waiting for dependency Task "a" to succeed (phase Running)',
    });
  });

  it('fails when a dependency failed', () => {
    const tasks = [
      task('a', { phase: 'Succeeded' }),
      task('x', { phase: 'Failed' }),
      task('b', { deps: ['a', 'x'] }),
    ];
    expect(checkDependencies(tasks[2]!, lookupOf(tasks))).toEqual({
      state: 'failed',
      reason: 'DependencyFailed',
      message: 'Dependency Task "x" failed',
    });
  });

  it('is ready with the dependencies in dependsOn order once all succeeded', () => {
    const tasks = [
      task('a', { phase: 'Succeeded' }),
      task('c', { phase: 'Succeeded' }),
      task('b', { deps: ['c', 'a'] }),
    ];
    const gate = checkDependencies(tasks[2]!, lookupOf(tasks));
    expect(gate.state).toBe('ready');
    expect(gate.state === 'ready' && gate.deps.map((d) => d.metadata.name)).toEqual(['c', 'a']);
  });

  it('fails a Task on a cycle, even when other dependencies are missing', () => {
    const tasks = [
      task('a', { deps: ['missing', 'b'] }),
      task('b', { deps: ['c'] }),
      task('c', { deps: ['a'] }),
    ];
    expect(checkDependencies(tasks[0]!, lookupOf(tasks))).toEqual({
      state: 'failed',
      reason: 'CircularDependency',
      message: 'Circular dependency detected: a -> b -> c -> a',
    });
  });

  it('detects a Task depending on itself', () => {
    expect(findCycle(task('a', { deps: ['a'] }), lookupOf([]))).toEqual(['a', 'a']);
  });

  it('walks a 10,000-long chain without exhausting the stack (issue 9, #4)', () => {
    const n = 10_000;
    const tasks = Array.from({ length: n }, (_, i) => task(`t${i}`, { deps: [`t${(i + 1) % n}`] }));
    const cycle = findCycle(tasks[0]!, lookupOf(tasks));
    expect(cycle?.length).toBe(n + 1);
    expect(cycle?.slice(0, 3)).toEqual(['t0', 't1', 't2']);
    expect(cycle?.at(-1)).toBe('t0');
    const chain = tasks.slice(0, n - 1).concat(task(`t${n - 1}`));
    expect(findCycle(chain[0]!, lookupOf(chain))).toBeUndefined();
  });

  it('backtracks out of a branch without a cycle and finds the one in the next', () => {
    const tasks = [
      task('a', { deps: ['b', 'c'] }),
      task('b', { deps: ['d'] }),
      task('d'),
      task('c', { deps: ['e'] }),
      task('e', { deps: ['a'] }),
    ];
    expect(findCycle(tasks[0]!, lookupOf(tasks))).toEqual(['a', 'c', 'e', 'a']);
  });

  it('does not call a diamond a cycle', () => {
    const tasks = [
      task('a', { deps: ['b', 'c'] }),
      task('b', { deps: ['d'] }),
      task('c', { deps: ['d'] }),
      task('d'),
    ];
    expect(findCycle(tasks[0]!, lookupOf(tasks))).toBeUndefined();
  });

  it('follows dependencies transitively', () => {
    const tasks = [task('a', { deps: ['b'] }), task('b', { deps: ['c'] }), task('c')];
    expect(dependsTransitively(tasks[0]!, 'c', lookupOf(tasks))).toBe(true);
    expect(dependsTransitively(tasks[2]!, 'a', lookupOf(tasks))).toBe(false);
  });
});

describe('checkBranchLock', () => {
  const t0 = '2026-01-01T00:00:00Z';
  const t1 = '2026-01-01T00:00:01Z';
  const t2 = '2026-01-01T00:00:02Z';

  it('keys branches by namespace, workspace and branch', () => {
    expect(branchKey(task('a', { branch: 'feat', workspace: 'ws' }))).toBe('ns/ws/feat');
    expect(branchKey(task('a', { branch: 'feat' }))).toBe('ns//feat');
    expect(branchKey(task('a', { workspace: 'ws' }))).toBeUndefined();
  });

  it('lets the oldest Task on a branch go first', () => {
    const a = task('a', { branch: 'f', workspace: 'ws', created: t0 });
    const b = task('b', { branch: 'f', workspace: 'ws', created: t1 });
    const all = [a, b];
    expect(checkBranchLock(a, all, lookupOf(all))).toEqual({ state: 'free' });
    expect(checkBranchLock(b, all, lookupOf(all))).toEqual({
      state: 'locked',
      holder: 'a',
      message: 'Waiting for branch "f" of Workspace "ws" (queued behind Task "a")',
    });
  });

  it('breaks creation-time ties by name', () => {
    const a = task('a', { branch: 'f', created: t0 });
    const b = task('b', { branch: 'f', created: t0 });
    expect(checkBranchLock(b, [a, b], lookupOf([a, b])).state).toBe('locked');
    expect(checkBranchLock(a, [a, b], lookupOf([a, b])).state).toBe('free');
  });

  it('reports the admitted holder rather than an older waiting Task', () => {
    const running = task('run', { branch: 'f', created: t1, phase: 'Running', jobName: 'run' });
    const olderWaiting = task('old', { branch: 'f', created: t0, phase: 'Waiting', deps: ['elsewhere'] });
    const me = task('me', { branch: 'f', created: t2 });
    const all = [running, olderWaiting, me];
    expect(checkBranchLock(me, all, lookupOf(all))).toEqual({
      state: 'locked',
      holder: 'run',
      message: 'Waiting for branch "f" (held by Task "run")',
    });
  });

  it('counts a Task whose Job exists as holding the branch before its status says so', () => {
    const newer = task('newer', { branch: 'f', created: t1 });
    const older = task('older', { branch: 'f', created: t0, deps: ['newer'] });
    const me = task('me', { branch: 'f', created: t2 });
    const all = [newer, older, me];
    // `older` depends on `newer`, so it does not hold the branch against it; `newer` has a Job.
    expect(checkBranchLock(me, all, lookupOf(all), (n) => n === 'newer')).toEqual({
      state: 'locked',
      holder: 'newer',
      message: 'Waiting for branch "f" (held by Task "newer")',
    });
    expect(
      checkBranchLock(me, all, lookupOf(all)).state === 'locked' && checkBranchLock(me, all, lookupOf(all)),
    ).toMatchObject({
      holder: 'older',
    });
  });

  it('frees the branch when older Tasks finished or are being deleted', () => {
    const done = task('done', { branch: 'f', created: t0, phase: 'Succeeded', jobName: 'done' });
    const failed = task('failed', { branch: 'f', created: t0, phase: 'Failed' });
    const gone = task('gone', {
      branch: 'f',
      created: t0,
      deleting: true,
      jobName: 'gone',
      phase: 'Running',
    });
    const me = task('me', { branch: 'f', created: t1 });
    const all = [done, failed, gone, me];
    expect(checkBranchLock(me, all, lookupOf(all))).toEqual({ state: 'free' });
  });

  it('does not let an older Task that depends on this one hold the branch (no deadlock)', () => {
    const second = task('second', { branch: 'f', created: t0, deps: ['first'], phase: 'Waiting' });
    const first = task('first', { branch: 'f', created: t1 });
    const all = [second, first];
    expect(checkBranchLock(first, all, lookupOf(all))).toEqual({ state: 'free' });
  });

  it('ignores Tasks on other branches or in other namespaces', () => {
    const other = {
      ...task('o', { branch: 'f', created: t0 }),
      metadata: { name: 'o', namespace: 'other', creationTimestamp: t0 },
    };
    const me = task('me', { branch: 'f', created: t1 });
    expect(checkBranchLock(me, [other, me], lookupOf([me]))).toEqual({ state: 'free' });
  });
});
