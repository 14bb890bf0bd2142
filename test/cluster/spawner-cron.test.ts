import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { tickId } from '../../src/operator/spawner/sources/cron.ts';
import { freshNamespace } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import {
  create,
  logLinesOf,
  startOperator,
  type TestOperator,
  testClient,
  waitFor,
} from './operator-helpers.ts';
import { getSpawner, spawner, tasksIn, waitForSpawner } from './spawner-helpers.ts';

/** Minute boundaries in (from, to]: the ticks of `* * * * *`. */
const minutesBetween = (from: number, to: number): string[] => {
  const out: string[] = [];
  for (let t = Math.floor(from / 60_000) * 60_000 + 60_000; t <= to; t += 60_000)
    out.push(`cron-${tickId(new Date(t))}`);
  return out;
};

// The operator was down for five and a half minutes (the watermark in status says when it last
// accounted for ticks): the ticks it missed are caught up, once each, and a restart repeats none.
describe('TaskSpawner: cron catch-up after downtime', () => {
  let c: HttpKubeClient;
  let ns: string;
  let op: TestOperator | undefined;
  beforeAll(async () => {
    await installCrds();
    ns = await freshNamespace('spawner-cron');
    c = await testClient();
  });
  afterAll(async () => {
    await op?.stop();
    c?.close();
  });

  it('creates one Task per missed tick, and none twice across a restart', async () => {
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner(
        'cron',
        { cron: { schedule: '* * * * *' } },
        {},
        { workspaceRef: undefined, worker: { type: 'claude-code', credentials: { type: 'none' } } },
      ),
    );
    const wm0 = Date.now() - 330_000;
    const mark = new Date(wm0).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await c.mergePatch(
      Resources.TaskSpawner,
      ns,
      'cron',
      { status: { lastDiscoveryTime: mark } },
      { subresource: 'status' },
    );
    const wm0s = Date.parse(mark);

    op = await startOperator(ns);
    const first = await waitForSpawner(
      c,
      ns,
      'cron',
      'to catch up',
      (s) => Date.parse(s.status?.lastDiscoveryTime ?? '') > wm0s + 300_000,
    );
    const w1 = Date.parse(first.status?.lastDiscoveryTime ?? '');
    const expected1 = minutesBetween(wm0s, w1);
    expect(expected1.length).toBeGreaterThanOrEqual(5);
    const tasks1 = await tasksIn(c, ns);
    expect([...tasks1.keys()].sort()).toEqual(expected1);
    // The default prompt is the tick in RFC 3339, as upstream.
    const firstTick = new Date(Math.floor(wm0s / 60_000) * 60_000 + 60_000)
      .toISOString()
      .replace('.000Z', 'Z');
    expect(tasks1.get(expected1[0]!)?.spec.prompt).toBe(firstTick);
    expect(first.status?.totalTasksCreated).toBe(expected1.length);
    // A cron source makes no requests: its discovery step says what it found and nothing more.
    const discovered = logLinesOf(op, `${ns}/cron`, 'Reconciled TaskSpawner')
      .flatMap((l) => l.steps ?? [])
      .filter((x) => x.startsWith('Discovered '));
    expect(discovered.length).toBeGreaterThan(0);
    for (const step of discovered) expect(step).toMatch(/^Discovered \d+ item\(s\)$/);

    // Restart: the new process starts from the watermark in status.
    await op.stop();
    op = await startOperator(ns);
    await waitFor('the restarted operator to reconcile the spawner', async () =>
      op!.logs.some((l) => l.includes('"controller":"taskspawner"') && l.includes('Reconciled TaskSpawner')),
    );
    const second = await getSpawner(c, ns, 'cron');
    const w2 = Date.parse(second?.status?.lastDiscoveryTime ?? '');
    const tasks2 = await tasksIn(c, ns);
    expect([...tasks2.keys()].sort()).toEqual(minutesBetween(wm0s, w2));
    for (const [name, t] of tasks1) expect(tasks2.get(name)?.metadata.uid).toBe(t.metadata.uid);
    expect(second?.status?.totalTasksCreated).toBe(tasks2.size);
  });
});
