import { describe, expect, it, vi } from 'vitest';
import type { TaskSpawner } from '../../../../src/api/index.ts';
import { systemClock } from '../../../../src/kube/clock.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import { Ledgers, ledgerName, type Reservation } from '../../../../src/operator/webhook/ledger.ts';
import { FakeKube } from '../../../support/fake-kube.ts';

const spawner = (maxTotalTasks?: number): TaskSpawner =>
  ({
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'TaskSpawner',
    metadata: { name: 'hooks', namespace: 'ns', uid: 'uid-1' },
    spec: {
      when: { webhook: { source: 's', fieldMapping: { id: '$.id' } } },
      taskTemplate: {},
      ...(maxTotalTasks ? { maxTotalTasks } : {}),
    },
  }) as unknown as TaskSpawner;

describe('the webhook ledger', () => {
  it('gives two replicas distinct serial numbers, exactly maxTotalTasks of them, under write races', async () => {
    const kube = new FakeKube();
    const a = new Ledgers({ client: kube, clock: systemClock });
    const b = new Ledgers({ client: kube, clock: systemClock });
    const s = spawner(150);
    const all: Promise<Reservation>[] = [];
    for (let i = 0; i < 200; i++) all.push((i % 2 ? a : b).reserve(s, `d-${i}`));
    const got = await Promise.all(all);
    const seqs = got.flatMap((r) => (r.kind === 'new' ? [r.seq] : []));
    expect(seqs).toHaveLength(150);
    expect(new Set(seqs)).toEqual(new Set(Array.from({ length: 150 }, (_, i) => i + 1)));
    expect(got.filter((r) => r.kind === 'limit')).toHaveLength(50);
    // The races were real: some writes lost to the other replica and were retried.
    expect(a.conflicts + b.conflicts).toBeGreaterThan(0);
  });

  it('answers a redelivery: retry while unconfirmed (same serial), done once confirmed, on any replica', async () => {
    const kube = new FakeKube();
    const a = new Ledgers({ client: kube, clock: systemClock });
    const b = new Ledgers({ client: kube, clock: systemClock });
    const s = spawner();
    expect(await a.reserve(s, 'x')).toEqual({ kind: 'new', seq: 1 });
    expect(await b.reserve(s, 'x')).toEqual({ kind: 'retry', seq: 1 });
    a.confirm(s, 'x');
    // The confirmation is flushed in the background; a reservation writes nothing for a known key.
    await vi.waitFor(async () => expect(await b.reserve(s, 'x')).toEqual({ kind: 'done', seq: 1 }), {
      timeout: 5_000,
    });
    expect(await b.reserve(s, 'y')).toEqual({ kind: 'new', seq: 2 });
  });

  it('starts from the seed, forgets deliveries past the bound, and starts over for a new spawner of the same name', async () => {
    const kube = new FakeKube();
    const l = new Ledgers({ client: kube, clock: systemClock, maxEntries: 3, seed: () => 10 });
    const s = spawner();
    for (const k of ['a', 'b', 'c', 'd']) await l.reserve(s, k);
    const cm = await kube.get<{ metadata: object; data?: Record<string, string> }>(
      Resources.ConfigMap,
      'ns',
      ledgerName('hooks'),
    );
    expect(cm?.data?.['sequence']).toBe('14');
    expect(Object.keys(cm?.data ?? {}).filter((k) => k.startsWith('d.'))).toHaveLength(3);
    expect(await l.reserve(s, 'a')).toEqual({ kind: 'new', seq: 15 });
    const fresh = new Ledgers({ client: kube, clock: systemClock });
    const s2 = { ...s, metadata: { ...s.metadata, uid: 'uid-2' } } as TaskSpawner;
    expect(await fresh.reserve(s2, 'a')).toEqual({ kind: 'new', seq: 1 });
  });
});
