import { describe, expect, it, vi } from 'vitest';
import type { TaskSpawner } from '../../../../src/api/index.ts';
import { systemClock } from '../../../../src/kube/clock.ts';
import type { ChangeHandler } from '../../../../src/kube/informer.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import { entryKey, Ledgers, ledgerName, type Reservation } from '../../../../src/operator/webhook/ledger.ts';
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
  it("forgets a deleted spawner's ledger, and only on delete", async () => {
    const kube = new FakeKube();
    const handlers: ChangeHandler<TaskSpawner>[] = [];
    const l = new Ledgers({
      client: kube,
      clock: systemClock,
      spawners: { onChange: (h) => handlers.push(h) },
    });
    const s = spawner(5);
    expect(await l.reserve(s, 'x')).toEqual({ kind: 'new', seq: 1 });
    expect(l.size).toBe(1);
    for (const h of handlers) h('update', 'ns/hooks', s, s);
    expect(l.size).toBe(1);
    for (const h of handlers) h('delete', 'ns/hooks', s, undefined);
    expect(l.size).toBe(0);
    // Forgotten in memory only: the next reservation reads the ledger from the API server again.
    expect(await l.reserve(s, 'x')).toEqual({ kind: 'retry', seq: 1 });
  });

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
    expect(cm?.data?.['entries']?.split('\n')).toHaveLength(3);
    expect(await l.reserve(s, 'a')).toEqual({ kind: 'new', seq: 15 });
    const fresh = new Ledgers({ client: kube, clock: systemClock });
    const s2 = { ...s, metadata: { ...s.metadata, uid: 'uid-2' } } as TaskSpawner;
    expect(await fresh.reserve(s2, 'a')).toEqual({ kind: 'new', seq: 1 });
  });

  it('seals confirmed entries into archives another replica reads, keeping the live object small', async () => {
    const kube = new FakeKube();
    const a = new Ledgers({ client: kube, clock: systemClock, sealAt: 4 });
    const s = spawner();
    for (let i = 0; i < 10; i++) {
      expect(await a.reserve(s, `k-${i}`)).toEqual({ kind: 'new', seq: i + 1 });
      a.confirm(s, `k-${i}`);
    }
    // The last confirmations are flushed in the background.
    const configMaps = async () =>
      (
        await kube.list<{ metadata: { name?: string }; data?: Record<string, string> }>(Resources.ConfigMap, {
          namespace: 'ns',
        })
      ).items;
    await vi.waitFor(async () => expect((await configMaps()).length).toBeGreaterThanOrEqual(3), {
      timeout: 5_000,
    });
    const live = (await configMaps()).find((c) => c.metadata.name === ledgerName('hooks'));
    const archives = live?.data?.['archives']?.split(' ') ?? [];
    expect(archives.length).toBeGreaterThanOrEqual(2);
    expect(live?.data?.['entries']?.split('\n').length).toBeLessThan(4);
    // Every delivery is known to a replica that starts now, from the archives.
    const b = new Ledgers({ client: kube, clock: systemClock, sealAt: 4 });
    for (let i = 0; i < 8; i++) expect(await b.reserve(s, `k-${i}`)).toEqual({ kind: 'done', seq: i + 1 });
    expect(await b.reserve(s, 'k-new')).toEqual({ kind: 'new', seq: 11 });
  });

  it('drops the oldest archive (and deletes it) beyond maxEntries', async () => {
    const kube = new FakeKube();
    const l = new Ledgers({ client: kube, clock: systemClock, sealAt: 3, maxEntries: 4 });
    const s = spawner();
    for (let i = 0; i < 3; i++) {
      await l.reserve(s, `old-${i}`);
      l.confirm(s, `old-${i}`);
    }
    await l.reserve(s, 'seal-1'); // seals old-0..2
    const first = (
      await kube.get<{ metadata: object; data?: Record<string, string> }>(
        Resources.ConfigMap,
        'ns',
        ledgerName('hooks'),
      )
    )?.data?.['archives'];
    expect(first).toMatch(/^kelos-webhook-hooks-[0-9a-f]{12}$/);
    for (let i = 0; i < 3; i++) {
      await l.reserve(s, `new-${i}`);
      l.confirm(s, `new-${i}`);
    }
    // Seals new-0..2; with 8 deliveries over maxEntries 4, the first archive goes.
    await l.reserve(s, 'seal-2');
    const names = async () =>
      (await kube.list(Resources.ConfigMap, { namespace: 'ns' })).items.map((c) => c.metadata.name);
    const fresh = new Ledgers({ client: kube, clock: systemClock });
    expect(await fresh.reserve(s, 'old-0')).toEqual({ kind: 'new', seq: 9 });
    expect(await names()).not.toContain(first);
    expect(await names()).toHaveLength(2);
  });

  it("never deletes a ConfigMap it did not make: one in the ledger's place, or one the archives key names", async () => {
    const kube = new FakeKube();
    const configMap = (name: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'ns' },
      data: { important: 'data' },
    });
    await kube.create(Resources.ConfigMap, configMap(ledgerName('hooks')));
    const l = new Ledgers({ client: kube, clock: systemClock, sealAt: 3, maxEntries: 4 });
    const s = spawner();
    await expect(l.reserve(s, 'a')).rejects.toThrow(
      'ConfigMap ns/kelos-webhook-hooks, where this spawner keeps its delivery ledger, exists and is not a ledger (no TaskSpawner hooks owns it): rename or delete it, then send the delivery again',
    );
    const data = async (name: string) =>
      (await kube.get<{ metadata: object; data?: Record<string, string> }>(Resources.ConfigMap, 'ns', name))
        ?.data;
    expect(await data(ledgerName('hooks'))).toEqual({ important: 'data' });

    // Once it is out of the way, someone who may edit ConfigMaps points the archives at another.
    await kube.delete(Resources.ConfigMap, 'ns', ledgerName('hooks'));
    await kube.create(Resources.ConfigMap, configMap('precious'));
    for (let i = 0; i < 3; i++) {
      await l.reserve(s, `old-${i}`);
      l.confirm(s, `old-${i}`);
    }
    await l.reserve(s, 'seal-1');
    const live = await kube.get<{ metadata: { resourceVersion?: string }; data?: Record<string, string> }>(
      Resources.ConfigMap,
      'ns',
      ledgerName('hooks'),
    );
    await kube.mergePatch(Resources.ConfigMap, 'ns', ledgerName('hooks'), {
      data: { archives: `precious ${live?.data?.['archives']}` },
    });
    const fresh = new Ledgers({ client: kube, clock: systemClock, sealAt: 3, maxEntries: 4 });
    for (let i = 0; i < 3; i++) {
      await fresh.reserve(s, `new-${i}`);
      fresh.confirm(s, `new-${i}`);
    }
    await fresh.reserve(s, 'seal-2');
    const archives = (await data(ledgerName('hooks')))?.['archives'] ?? '';
    expect(archives).not.toContain('precious');
    expect(await data('precious')).toEqual({ important: 'data' });
  });

  it('reads the first format (one data key per delivery) and folds it into the entries', async () => {
    const kube = new FakeKube();
    const s = spawner();
    await kube.create(Resources.ConfigMap, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: ledgerName('hooks'), namespace: 'ns' },
      data: {
        'spawner-uid': 'uid-1',
        sequence: '2',
        [`d.${entryKey('one')}${'0'.repeat(12)}`]: '1:c:1764800000',
        [`d.${entryKey('two')}${'0'.repeat(12)}`]: '2:r:1764800000',
      },
    });
    const l = new Ledgers({ client: kube, clock: systemClock, retentionMs: 1e13 });
    expect(await l.reserve(s, 'one')).toEqual({ kind: 'done', seq: 1 });
    expect(await l.reserve(s, 'two')).toEqual({ kind: 'retry', seq: 2 });
    expect(await l.reserve(s, 'three')).toEqual({ kind: 'new', seq: 3 });
    const cm = await kube.get<{ metadata: object; data?: Record<string, string> }>(
      Resources.ConfigMap,
      'ns',
      ledgerName('hooks'),
    );
    expect(Object.keys(cm?.data ?? {}).filter((k) => k.startsWith('d.'))).toEqual([]);
    expect(cm?.data?.['entries']?.split('\n')).toHaveLength(3);
  });

  it('without maxTotalTasks: writes nothing before the create, records and numbers each delivery once across replicas', async () => {
    const kube = new FakeKube();
    const totals: number[] = [];
    const a = new Ledgers({ client: kube, clock: systemClock, onRecorded: (_s, n) => totals.push(n) });
    const b = new Ledgers({ client: kube, clock: systemClock });
    const s = spawner();
    expect(await a.check(s, 'x')).toEqual({ kind: 'unnumbered' });
    expect(kube.requests.patch).toBe(0);
    // Both replicas confirm x (the creator, and one that found the Task in its cache), y once.
    a.confirm(s, 'x');
    // Created here, its record not written yet (its Task deleted by hand at once): processed.
    expect(await a.check(s, 'x')).toEqual({ kind: 'done', seq: 0 });
    b.confirm(s, 'x');
    b.confirm(s, 'y');
    await vi.waitFor(
      async () => {
        expect(await new Ledgers({ client: kube, clock: systemClock }).check(s, 'y')).toEqual({
          kind: 'done',
          seq: expect.any(Number),
        });
        expect(await new Ledgers({ client: kube, clock: systemClock }).check(s, 'x')).toEqual({
          kind: 'done',
          seq: expect.any(Number),
        });
      },
      { timeout: 5_000 },
    );
    const cm = await kube.get<{ metadata: object; data?: Record<string, string> }>(
      Resources.ConfigMap,
      'ns',
      ledgerName('hooks'),
    );
    expect(cm?.data?.['sequence']).toBe('2');
    expect(
      cm?.data?.['entries']
        ?.split('\n')
        .map((l) => l.split(' ')[1])
        .sort(),
    ).toEqual(['1', '2']);
    expect(totals.length).toBeGreaterThan(0);
    // A replica whose view is fresh answers from memory; b learned x and y from its own writes.
    expect(await b.check(s, 'x')).toMatchObject({ kind: 'done' });
  });
});
