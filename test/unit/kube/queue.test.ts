import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/kube/clock.ts';
import { type ReconcileResult, WorkQueue } from '../../../src/kube/queue.ts';

/** Lets pending promise callbacks run. */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

interface Call {
  key: string;
  finish: (result?: ReconcileResult) => void;
  fail: (err: Error) => void;
}

/** A handler whose calls stay open until the test finishes them. */
const controlledHandler = () => {
  const calls: Call[] = [];
  const handler = (key: string) =>
    new Promise<ReconcileResult | undefined>((resolve, reject) => {
      calls.push({ key, finish: resolve, fail: reject });
    });
  return { calls, handler };
};

describe('WorkQueue', () => {
  it('holds a waiting key once however often it is added', async () => {
    const q = new WorkQueue({ workers: 1, clock: new FakeClock() });
    const seen: string[] = [];
    q.add('a');
    q.add('b');
    q.add('a');
    q.add('a');
    expect(q.depth).toBe(2);
    q.start(async (key) => {
      seen.push(key);
      return undefined;
    });
    await q.idle();
    expect(seen).toEqual(['a', 'b']);
  });

  it('never runs one key on two workers; a key added while running runs once more afterwards', async () => {
    const q = new WorkQueue({ workers: 4, clock: new FakeClock() });
    const { calls, handler } = controlledHandler();
    q.start(handler);
    q.add('a');
    await flush();
    expect(calls.map((c) => c.key)).toEqual(['a']);
    q.add('a');
    q.add('a');
    await flush();
    // Still one call: the second run waits for the first.
    expect(calls).toHaveLength(1);
    expect(q.processing).toBe(1);
    calls[0]!.finish();
    await flush();
    expect(calls.map((c) => c.key)).toEqual(['a', 'a']);
    calls[1]!.finish();
    await flush();
    expect(calls).toHaveLength(2);
    await q.idle();
  });

  it('runs at most `workers` keys at once, in arrival order', async () => {
    const q = new WorkQueue({ workers: 2, clock: new FakeClock() });
    const { calls, handler } = controlledHandler();
    for (const k of ['a', 'b', 'c', 'd']) q.add(k);
    q.start(handler);
    await flush();
    expect(calls.map((c) => c.key)).toEqual(['a', 'b']);
    expect(q.depth).toBe(2);
    calls[1]!.finish();
    await flush();
    expect(calls.map((c) => c.key)).toEqual(['a', 'b', 'c']);
    calls[0]!.finish();
    await flush();
    expect(calls.map((c) => c.key)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('backs off a failing key exponentially and resets the backoff after a success', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ workers: 1, clock, baseBackoffMs: 100, maxBackoffMs: 350 });
    let fail = true;
    const runs: number[] = [];
    q.start(async () => {
      runs.push(clock.now());
      if (fail) throw new Error('boom');
      return undefined;
    });
    q.add('a');
    await flush();
    expect(runs).toEqual([0]);
    expect(q.failures('a')).toBe(1);
    clock.advance(99);
    await flush();
    expect(runs).toEqual([0]);
    clock.advance(1);
    await flush();
    expect(runs).toEqual([0, 100]);
    expect(q.failures('a')).toBe(2);
    clock.advance(200);
    await flush();
    expect(runs).toEqual([0, 100, 300]);
    // 400 would exceed the cap of 350.
    clock.advance(350);
    await flush();
    expect(runs).toEqual([0, 100, 300, 650]);
    fail = false;
    clock.advance(350);
    await flush();
    expect(runs).toEqual([0, 100, 300, 650, 1000]);
    expect(q.failures('a')).toBe(0);
    expect(q.delayed).toBe(0);
  });

  it('computes the backoff as base × 2^(n−1) up to the cap', () => {
    const q = new WorkQueue({ baseBackoffMs: 50, maxBackoffMs: 1000 });
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => q.backoffFor(n))).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
  });

  it('honours requeueAfter, and an event for the key runs it at once instead', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ workers: 1, clock });
    const runs: Array<[string, number]> = [];
    q.start(async (key) => {
      runs.push([key, clock.now()]);
      return { requeueAfterMs: 1000 };
    });
    q.add('a');
    await flush();
    expect(runs).toEqual([['a', 0]]);
    expect(q.delayed).toBe(1);
    clock.advance(1000);
    await flush();
    expect(runs).toEqual([
      ['a', 0],
      ['a', 1000],
    ]);
    clock.advance(500);
    q.add('a');
    await flush();
    expect(runs.at(-1)).toEqual(['a', 1500]);
    // The requeue restarted from the last run; the old timer is gone.
    expect(clock.pendingTimers).toBe(1);
    clock.advance(999);
    await flush();
    expect(runs).toHaveLength(3);
    clock.advance(1);
    await flush();
    expect(runs.at(-1)).toEqual(['a', 2500]);
  });

  it('keeps the earliest of two delayed adds of one key', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ workers: 1, clock });
    const runs: number[] = [];
    q.start(async () => {
      runs.push(clock.now());
      return undefined;
    });
    q.addAfter('a', 500);
    q.addAfter('a', 200);
    q.addAfter('a', 900);
    expect(q.delayed).toBe(1);
    clock.advance(1000);
    await flush();
    expect(runs).toEqual([200]);
  });

  it('runs urgent keys before the others, each kind in arrival order', async () => {
    const q = new WorkQueue({ workers: 1, clock: new FakeClock() });
    const seen: string[] = [];
    q.add('status-a');
    q.add('status-b');
    q.addUrgent('new-1');
    q.add('new-2');
    q.addUrgent('new-2');
    q.addUrgent('new-3');
    // Already urgent: a plain add does not demote it.
    q.add('new-1');
    expect(q.depth).toBe(5);
    q.start(async (key) => {
      seen.push(key);
      return undefined;
    });
    await q.idle();
    expect(seen).toEqual(['new-1', 'new-2', 'new-3', 'status-a', 'status-b']);
  });

  it('does not hold other keys back while an urgent key runs (a slow urgent reconcile stalled everything)', async () => {
    const q = new WorkQueue({ workers: 4, clock: new FakeClock() });
    const { calls, handler } = controlledHandler();
    q.start(handler);
    q.addUrgent('new-1');
    q.add('status-a');
    q.add('delete-b');
    await flush();
    // new-1 never finishes here; the free workers still take the plain keys.
    expect(calls.map((c) => c.key)).toEqual(['new-1', 'status-a', 'delete-b']);
  });

  it('takes urgent keys first but leaves a reserve of workers to waiting plain keys', async () => {
    const q = new WorkQueue({ workers: 4, clock: new FakeClock() });
    const { calls, handler } = controlledHandler();
    q.start(handler);
    q.pause();
    for (let i = 1; i <= 6; i++) q.addUrgent(`new-${i}`);
    q.add('status-a');
    q.add('status-b');
    q.resume();
    await flush();
    // 4 workers, a reserve of 1: three urgent keys and one plain key.
    expect(calls.map((c) => c.key)).toEqual(['new-1', 'new-2', 'new-3', 'status-a']);
    calls[3]?.finish();
    await flush();
    // The reserved worker is free and a plain key waits: it goes to the plain lane again.
    expect(calls.map((c) => c.key)).toEqual(['new-1', 'new-2', 'new-3', 'status-a', 'status-b']);
    calls[0]?.finish();
    await flush();
    expect(calls[5]?.key).toBe('new-4');
  });

  it('bounds plain keys to an eighth of the workers while a burst of urgent keys runs', async () => {
    const q = new WorkQueue({ workers: 16, clock: new FakeClock() });
    const { calls, handler } = controlledHandler();
    q.start(handler);
    // A burst: three urgent keys run (more than 16 / 8), and the urgent lane is empty for now.
    for (let i = 1; i <= 3; i++) q.addUrgent(`new-${i}`);
    for (let i = 1; i <= 5; i++) q.add(`status-${i}`);
    await flush();
    // Two plain keys run, although 11 workers are free: the next new Task needs a worker.
    expect(calls.map((c) => c.key)).toEqual(['new-1', 'new-2', 'new-3', 'status-1', 'status-2']);
    q.addUrgent('new-4');
    await flush();
    expect(calls.at(-1)?.key).toBe('new-4');
    // The burst drains: the plain keys take the free workers again.
    for (const c of calls.filter((c) => c.key.startsWith('new-'))) c.finish();
    await flush();
    expect(calls.map((c) => c.key).filter((k) => k.startsWith('status-'))).toEqual([
      'status-1',
      'status-2',
      'status-3',
      'status-4',
      'status-5',
    ]);
  });

  it('does not start keys while paused, and runs what accumulated after resume', async () => {
    const q = new WorkQueue({ workers: 2, clock: new FakeClock() });
    const seen: string[] = [];
    q.start(async (key) => {
      seen.push(key);
      return undefined;
    });
    q.pause();
    q.add('a');
    q.add('b');
    await flush();
    expect(seen).toEqual([]);
    expect(q.depth).toBe(2);
    q.resume();
    await q.idle();
    expect(seen).toEqual(['a', 'b']);
  });

  it('resolves idle() only when nothing is ready or running', async () => {
    const q = new WorkQueue({ workers: 1, clock: new FakeClock() });
    const { calls, handler } = controlledHandler();
    q.start(handler);
    q.add('a');
    let idle = false;
    void q.idle().then(() => {
      idle = true;
    });
    await flush();
    expect(idle).toBe(false);
    calls[0]!.finish({ requeueAfterMs: 10_000 });
    await flush();
    expect(idle).toBe(true);
  });

  it('reports each finished key with its outcome', async () => {
    const done: Array<[string, string]> = [];
    const q = new WorkQueue({
      workers: 1,
      clock: new FakeClock(),
      onDone: (key, outcome) => done.push([key, outcome]),
    });
    q.start(async (key) => {
      if (key === 'bad') throw new Error('x');
      return undefined;
    });
    q.add('good');
    q.add('bad');
    await q.idle();
    expect(done).toEqual([
      ['good', 'ok'],
      ['bad', 'error'],
    ]);
  });

  it('drops pending keys and timers on shutdown and waits for in-flight work', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ workers: 1, clock });
    const { calls, handler } = controlledHandler();
    q.start(handler);
    q.add('a');
    q.add('b');
    q.addAfter('c', 100);
    await flush();
    let stopped = false;
    void q.shutdown().then(() => {
      stopped = true;
    });
    await flush();
    expect(stopped).toBe(false);
    calls[0]!.finish();
    await flush();
    expect(stopped).toBe(true);
    expect(calls.map((c) => c.key)).toEqual(['a']);
    expect(clock.pendingTimers).toBe(0);
    q.add('d');
    expect(q.depth).toBe(0);
  });
});
