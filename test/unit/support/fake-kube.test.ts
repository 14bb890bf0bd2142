import { describe, expect, it } from 'vitest';
import {
  ApiError,
  type ApiObject,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  CoreResources as R,
  type ResourceType,
  type WatchEvent,
} from '../../../src/kube/client.ts';
import { FakeClock } from '../../../src/kube/clock.ts';
import { Informer } from '../../../src/kube/informer.ts';
import { apiError, FakeKube } from '../../support/fake-kube.ts';

/** A CRD-like type with a status subresource, and one without. */
const Widget: ResourceType = {
  group: 'example.com',
  version: 'v1',
  plural: 'widgets',
  kind: 'Widget',
  namespaced: true,
};
const Gadget: ResourceType = {
  group: 'example.com',
  version: 'v1',
  plural: 'gadgets',
  kind: 'Gadget',
  namespaced: true,
};

interface Obj extends ApiObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
}

const T0 = Date.parse('2026-03-01T10:00:00Z');
const setup = () => {
  const clock = new FakeClock(T0);
  const kube = new FakeKube({ clock, statusSubresources: [Widget] });
  return { clock, kube };
};

const widget = (name: string, extra: Partial<Obj> = {}, namespace = 'ns'): Obj => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name, namespace, ...extra.metadata },
  spec: { size: 1 },
  ...extra,
  ...(extra.metadata ? { metadata: { name, namespace, ...extra.metadata } } : {}),
});

const cm = (name: string, labels?: Record<string, string>, namespace = 'ns'): Obj => ({
  metadata: { name, namespace, ...(labels ? { labels } : {}) },
  data: { k: name },
});

/** Collects the events of a watch as `TYPE name@rv`. */
const collect = (kube: FakeKube, type: ResourceType, opts: Parameters<FakeKube['watch']>[1] = {}) => {
  const seen: string[] = [];
  const done = kube.watch<Obj>(type, opts, (e: WatchEvent<Obj>) =>
    seen.push(`${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`),
  );
  return { seen, done };
};

const rejection = async (p: Promise<unknown>): Promise<ApiError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
};

describe('FakeKube: create and get', () => {
  it('assigns uid, creationTimestamp, generation, resourceVersion, apiVersion and kind', async () => {
    const { kube } = setup();
    const a = await kube.create(R.ConfigMap, cm('a'));
    const b = await kube.create(R.ConfigMap, cm('b'));
    expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.metadata.uid).not.toBe(a.metadata.uid);
    expect(a).toMatchObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { creationTimestamp: '2026-03-01T10:00:00Z', generation: 1 },
    });
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
    expect(await kube.get(R.ConfigMap, 'ns', 'a')).toEqual(a);
  });

  it('returns copies: mutating a returned object does not change the stored one', async () => {
    const { kube } = setup();
    const a = await kube.create(R.ConfigMap, cm('a'));
    a.metadata.labels = { x: 'y' };
    expect((await kube.get(R.ConfigMap, 'ns', 'a'))?.metadata.labels).toBeUndefined();
  });

  it('names an object from generateName with five random characters', async () => {
    const { kube } = setup();
    const names = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const o = await kube.create<Obj>(R.ConfigMap, { metadata: { generateName: 'run-', namespace: 'ns' } });
      expect(o.metadata.name).toMatch(/^run-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      names.add(o.metadata.name ?? '');
    }
    expect(names.size).toBe(20);
  });

  it('rejects a taken name with 409 AlreadyExists, shaped like the HTTP client’s error', async () => {
    const { kube } = setup();
    await kube.create(R.ConfigMap, cm('a'));
    const err = await rejection(kube.create(R.ConfigMap, cm('a')));
    expect(isAlreadyExists(err)).toBe(true);
    expect(isConflict(err)).toBe(false);
    expect(err).toMatchObject({ status: 409, reason: 'AlreadyExists', kind: 'ConfigMap' });
    expect(err.message).toBe(
      'POST /api/v1/namespaces/ns/configmaps: 409 AlreadyExists: configmaps "a" already exists',
    );
  });

  it('rejects a create without a name, without a namespace, or with a resourceVersion', async () => {
    const { kube } = setup();
    expect((await rejection(kube.create(R.ConfigMap, { metadata: { namespace: 'ns' } }))).status).toBe(422);
    expect((await rejection(kube.create(R.ConfigMap, { metadata: { name: 'x' } }))).status).toBe(400);
    const withRv = { metadata: { name: 'x', namespace: 'ns', resourceVersion: '5' } };
    expect((await rejection(kube.create(R.ConfigMap, withRv))).status).toBe(500);
  });

  it('drops status on create for a type with a status subresource, keeps it for one without', async () => {
    const { kube } = setup();
    const w = await kube.create(Widget, widget('w', { status: { phase: 'Done' } }));
    expect(w.status).toBeUndefined();
    const g = await kube.create(Gadget, { ...widget('g'), kind: 'Gadget', status: { phase: 'Done' } });
    expect(g.status).toEqual({ phase: 'Done' });
  });

  it('answers a missing object: get undefined, patch 404 NotFound, delete false', async () => {
    const { kube } = setup();
    expect(await kube.get(R.ConfigMap, 'ns', 'nope')).toBeUndefined();
    const err = await rejection(kube.mergePatch(R.ConfigMap, 'ns', 'nope', { data: {} }));
    expect(isNotFound(err)).toBe(true);
    expect(err).toMatchObject({ reason: 'NotFound', kind: 'ConfigMap' });
    expect(await kube.delete(R.ConfigMap, 'ns', 'nope')).toBe(false);
  });
});

describe('FakeKube: merge patch', () => {
  it('applies RFC 7386: maps merge, null removes, lists replace', async () => {
    const { kube } = setup();
    await kube.create(Gadget, { ...widget('g'), spec: { a: 1, b: { c: 2, d: 3 }, list: [1, 2] } });
    const p = await kube.mergePatch<Obj>(Gadget, 'ns', 'g', { spec: { a: null, b: { c: 5 }, list: [9] } });
    expect(p.spec).toEqual({ b: { c: 5, d: 3 }, list: [9] });
  });

  it('fails with 409 Conflict on a stale resourceVersion and succeeds on the current one', async () => {
    const { kube } = setup();
    const a = await kube.create(R.ConfigMap, cm('a'));
    const b = await kube.mergePatch(
      R.ConfigMap,
      'ns',
      'a',
      { data: { k: 'b' } },
      { resourceVersion: a.metadata.resourceVersion },
    );
    const err = await rejection(
      kube.mergePatch(
        R.ConfigMap,
        'ns',
        'a',
        { data: { k: 'c' } },
        { resourceVersion: a.metadata.resourceVersion },
      ),
    );
    expect(isConflict(err)).toBe(true);
    expect(err.message).toContain('the object has been modified');
    // The precondition may also travel inside the patch, as the HTTP client sends it.
    const inPatch = { data: { k: 'c' }, metadata: { resourceVersion: a.metadata.resourceVersion } };
    expect(isConflict(await rejection(kube.mergePatch(R.ConfigMap, 'ns', 'a', inPatch)))).toBe(true);
    expect((await kube.get<Obj>(R.ConfigMap, 'ns', 'a'))?.data).toEqual({ k: 'b' });
    expect(b.metadata.resourceVersion).not.toBe(a.metadata.resourceVersion);
  });

  it('keeps the resourceVersion and sends no event when a patch changes nothing', async () => {
    const { kube } = setup();
    const a = await kube.create(R.ConfigMap, cm('a'));
    const w = collect(kube, R.ConfigMap, { resourceVersion: a.metadata.resourceVersion });
    const same = await kube.mergePatch(R.ConfigMap, 'ns', 'a', { data: { k: 'a' } });
    await kube.flush();
    expect(same.metadata.resourceVersion).toBe(a.metadata.resourceVersion);
    expect(w.seen).toEqual([]);
  });

  it('separates the status subresource: a status patch changes only status, a main patch never does', async () => {
    const { kube } = setup();
    const w = await kube.create(Widget, widget('w'));
    const s = await kube.mergePatch<Obj>(
      Widget,
      'ns',
      'w',
      { status: { phase: 'Running' }, spec: { size: 9 }, metadata: { labels: { x: 'y' } } },
      { subresource: 'status' },
    );
    expect(s.status).toEqual({ phase: 'Running' });
    expect(s.spec).toEqual({ size: 1 });
    expect(s.metadata.labels).toBeUndefined();
    expect(s.metadata.generation).toBe(1);
    const m = await kube.mergePatch<Obj>(Widget, 'ns', 'w', {
      status: { phase: 'Hacked' },
      spec: { size: 2 },
    });
    expect(m.status).toEqual({ phase: 'Running' });
    expect(m.spec).toEqual({ size: 2 });
    expect(m.metadata.generation).toBe(2);
    expect(m.metadata.uid).toBe(w.metadata.uid);
  });

  it('moves generation only when something but metadata and status changes', async () => {
    const { kube } = setup();
    await kube.create(Widget, widget('w'));
    const labelled = await kube.mergePatch(Widget, 'ns', 'w', { metadata: { labels: { a: 'b' } } });
    expect(labelled.metadata.generation).toBe(1);
  });

  it('answers a status patch of a type without a status subresource with 404', async () => {
    const { kube } = setup();
    await kube.create(Gadget, { ...widget('g'), kind: 'Gadget' });
    const err = await rejection(
      kube.mergePatch(Gadget, 'ns', 'g', { status: {} }, { subresource: 'status' }),
    );
    expect(isNotFound(err)).toBe(true);
  });

  it('keeps system metadata a patch tries to change', async () => {
    const { kube } = setup();
    const a = await kube.create(R.ConfigMap, cm('a'));
    const p = await kube.mergePatch(R.ConfigMap, 'ns', 'a', {
      metadata: {
        uid: 'forged',
        creationTimestamp: '2000-01-01T00:00:00Z',
        deletionTimestamp: '2000-01-01T00:00:00Z',
      },
    });
    expect(p.metadata).toMatchObject({
      uid: a.metadata.uid,
      creationTimestamp: a.metadata.creationTimestamp,
    });
    expect(p.metadata.deletionTimestamp).toBeUndefined();
  });

  it('apply creates, then merges in, and never touches status', async () => {
    const { kube } = setup();
    const created = await kube.apply(Widget, widget('w', { status: { phase: 'X' } }));
    expect(created.status).toBeUndefined();
    const applied = await kube.apply<Obj>(Widget, widget('w', { spec: { size: 3 }, status: { phase: 'Y' } }));
    expect(applied.spec).toEqual({ size: 3 });
    expect(applied.status).toBeUndefined();
    const stale = widget('w', { metadata: { resourceVersion: created.metadata.resourceVersion } });
    expect(isConflict(await rejection(kube.apply(Widget, stale)))).toBe(true);
  });
});

describe('FakeKube: delete, finalizers and garbage collection', () => {
  it('checks uid and resourceVersion preconditions', async () => {
    const { kube } = setup();
    const a = await kube.create(R.ConfigMap, cm('a'));
    expect(isConflict(await rejection(kube.delete(R.ConfigMap, 'ns', 'a', { uid: 'other' })))).toBe(true);
    const stale = kube.delete(R.ConfigMap, 'ns', 'a', { resourceVersion: '0' });
    expect((await rejection(stale)).message).toContain('Precondition failed: ResourceVersion');
    expect(await kube.delete(R.ConfigMap, 'ns', 'a', { uid: a.metadata.uid })).toBe(true);
    expect(await kube.get(R.ConfigMap, 'ns', 'a')).toBeUndefined();
  });

  it('only marks an object with finalizers deleted; removing the last finalizer deletes it', async () => {
    const { clock, kube } = setup();
    await kube.create(R.ConfigMap, {
      ...cm('a'),
      metadata: { name: 'a', namespace: 'ns', finalizers: ['x/a', 'x/b'] },
    });
    clock.advance(5_000);
    expect(await kube.delete(R.ConfigMap, 'ns', 'a')).toBe(true);
    const marked = await kube.get(R.ConfigMap, 'ns', 'a');
    expect(marked?.metadata.deletionTimestamp).toBe('2026-03-01T10:00:05Z');
    // A second delete changes nothing.
    expect(await kube.delete(R.ConfigMap, 'ns', 'a')).toBe(true);
    expect((await kube.get(R.ConfigMap, 'ns', 'a'))?.metadata.resourceVersion).toBe(
      marked?.metadata.resourceVersion,
    );
    const added = kube.mergePatch(R.ConfigMap, 'ns', 'a', {
      metadata: { finalizers: ['x/a', 'x/b', 'x/c'] },
    });
    expect((await rejection(added)).status).toBe(422);
    await kube.mergePatch(R.ConfigMap, 'ns', 'a', { metadata: { finalizers: ['x/b'] } });
    expect(await kube.get(R.ConfigMap, 'ns', 'a')).toBeDefined();
    const w = collect(kube, R.ConfigMap, { resourceVersion: kube.resourceVersion });
    await kube.mergePatch(R.ConfigMap, 'ns', 'a', { metadata: { finalizers: null } });
    await kube.flush();
    expect(await kube.get(R.ConfigMap, 'ns', 'a')).toBeUndefined();
    expect(w.seen).toEqual([`DELETED a@${kube.resourceVersion}`]);
  });

  it('deletes dependents with their owner, and orphans them when asked (the default for Jobs)', async () => {
    const { kube } = setup();
    const owner = await kube.create(Widget, widget('owner'));
    const ref = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      name: 'owner',
      uid: owner.metadata.uid ?? '',
    };
    await kube.create(R.ConfigMap, {
      ...cm('dep'),
      metadata: { name: 'dep', namespace: 'ns', ownerReferences: [ref] },
    });
    await kube.delete(Widget, 'ns', 'owner');
    expect(await kube.get(R.ConfigMap, 'ns', 'dep')).toBeUndefined();

    const job = await kube.create<Obj>(R.Job, { metadata: { name: 'j', namespace: 'ns' } });
    const jobRef = { apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: job.metadata.uid ?? '' };
    await kube.create(R.Pod, { metadata: { name: 'p', namespace: 'ns', ownerReferences: [jobRef] } });
    await kube.delete(R.Job, 'ns', 'j');
    expect((await kube.get(R.Pod, 'ns', 'p'))?.metadata.ownerReferences).toBeUndefined();

    const job2 = await kube.create<Obj>(R.Job, { metadata: { name: 'j2', namespace: 'ns' } });
    const ref2 = { ...jobRef, name: 'j2', uid: job2.metadata.uid ?? '' };
    await kube.create(R.Pod, { metadata: { name: 'p2', namespace: 'ns', ownerReferences: [ref2] } });
    await kube.delete(R.Job, 'ns', 'j2', { propagationPolicy: 'Background' });
    expect(await kube.get(R.Pod, 'ns', 'p2')).toBeUndefined();
  });
});

describe('FakeKube: list', () => {
  const fill = async (kube: FakeKube) => {
    await kube.create(R.ConfigMap, cm('a', { app: 'x', tier: 'web' }));
    await kube.create(R.ConfigMap, cm('b', { app: 'y' }));
    await kube.create(R.ConfigMap, cm('c'));
    await kube.create(R.ConfigMap, cm('d', { app: 'x' }, 'other'));
  };
  const names = (items: ApiObject[]) => items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`);

  it('filters by namespace, label selector and field selector', async () => {
    const { kube } = setup();
    await fill(kube);
    const sel = async (labelSelector?: string, fieldSelector?: string, namespace?: string) =>
      names((await kube.list(R.ConfigMap, { labelSelector, fieldSelector, namespace })).items);
    expect(await sel()).toEqual(['ns/a', 'ns/b', 'ns/c', 'other/d']);
    expect(await sel(undefined, undefined, 'ns')).toEqual(['ns/a', 'ns/b', 'ns/c']);
    expect(await sel('app=x')).toEqual(['ns/a', 'other/d']);
    expect(await sel('app==x,tier')).toEqual(['ns/a']);
    expect(await sel('app!=x')).toEqual(['ns/b', 'ns/c']);
    expect(await sel('app in (x, y)')).toEqual(['ns/a', 'ns/b', 'other/d']);
    expect(await sel('app notin (x),app')).toEqual(['ns/b']);
    expect(await sel('!app')).toEqual(['ns/c']);
    expect(await sel(undefined, 'metadata.name=b')).toEqual(['ns/b']);
    expect(await sel(undefined, 'metadata.namespace!=ns')).toEqual(['other/d']);
    expect((await rejection(kube.list(R.ConfigMap, { labelSelector: 'a=b=c' }))).status).toBe(400);
    expect((await rejection(kube.list(R.ConfigMap, { fieldSelector: 'status.phase=x' }))).status).toBe(400);
  });

  it('pages with limit and continue, and reports the current resourceVersion', async () => {
    const { kube } = setup();
    await fill(kube);
    const first = await kube.list(R.ConfigMap, { limit: 3 });
    expect(names(first.items)).toEqual(['ns/a', 'ns/b', 'ns/c']);
    expect(first.metadata).toMatchObject({ resourceVersion: kube.resourceVersion, remainingItemCount: 1 });
    const second = await kube.list(R.ConfigMap, { limit: 3, continue: first.metadata.continue });
    expect(names(second.items)).toEqual(['other/d']);
    expect(second.metadata.continue).toBeUndefined();
  });

  it('leaves apiVersion and kind out of built-in items and keeps them on custom resources', async () => {
    const { kube } = setup();
    await kube.create(R.ConfigMap, cm('a'));
    await kube.create(Widget, widget('w'));
    const [c] = (await kube.list(R.ConfigMap)).items;
    const [w] = (await kube.list(Widget)).items;
    expect(c?.kind).toBeUndefined();
    expect(w).toMatchObject({ apiVersion: 'example.com/v1', kind: 'Widget' });
  });
});

describe('FakeKube: watch', () => {
  it('sends ADDED, MODIFIED and DELETED in order, after the write returns', async () => {
    const { kube } = setup();
    const w = collect(kube, R.ConfigMap, { resourceVersion: kube.resourceVersion });
    const a = await kube.create(R.ConfigMap, cm('a'));
    expect(w.seen).toEqual([]);
    const b = await kube.mergePatch(R.ConfigMap, 'ns', 'a', { data: { k: 'b' } });
    await kube.delete(R.ConfigMap, 'ns', 'a');
    await kube.flush();
    expect(w.seen).toEqual([
      `ADDED a@${a.metadata.resourceVersion}`,
      `MODIFIED a@${b.metadata.resourceVersion}`,
      `DELETED a@${kube.resourceVersion}`,
    ]);
  });

  it('starts with the current objects when no version is given, and replays from a version', async () => {
    const { kube } = setup();
    const a = await kube.create(R.ConfigMap, cm('a'));
    const b = await kube.create(R.ConfigMap, cm('b'));
    const fresh = collect(kube, R.ConfigMap);
    const resumed = collect(kube, R.ConfigMap, { resourceVersion: a.metadata.resourceVersion });
    await kube.flush();
    expect(fresh.seen).toEqual([
      `ADDED a@${a.metadata.resourceVersion}`,
      `ADDED b@${b.metadata.resourceVersion}`,
    ]);
    expect(resumed.seen).toEqual([`ADDED b@${b.metadata.resourceVersion}`]);
  });

  it('filters by namespace and label selector; an object leaving the selector is DELETED for it', async () => {
    const { kube } = setup();
    const w = collect(kube, R.ConfigMap, { namespace: 'ns', labelSelector: 'app=x', resourceVersion: '1' });
    await kube.create(R.ConfigMap, cm('a', { app: 'x' }));
    await kube.create(R.ConfigMap, cm('b', { app: 'y' }));
    await kube.create(R.ConfigMap, cm('c', { app: 'x' }, 'other'));
    await kube.mergePatch(R.ConfigMap, 'ns', 'a', { metadata: { labels: { app: 'y' } } });
    await kube.mergePatch(R.ConfigMap, 'ns', 'b', { metadata: { labels: { app: 'x' } } });
    await kube.flush();
    expect(w.seen.map((s) => s.replace(/@\d+$/, ''))).toEqual(['ADDED a', 'DELETED a', 'ADDED b']);
  });

  it('rejects a version older than the kept history with 410 Expired', async () => {
    const { kube } = setup();
    const a = await kube.create(R.ConfigMap, cm('a'));
    await kube.create(R.ConfigMap, cm('b'));
    kube.compact();
    const err = await rejection(
      kube.watch(R.ConfigMap, { resourceVersion: a.metadata.resourceVersion }, () => {}),
    );
    expect(isGone(err)).toBe(true);
    expect(err.reason).toBe('Expired');
    const limited = new FakeKube({ historyLimit: 2 });
    const first = await limited.create(R.ConfigMap, cm('a'));
    for (const n of ['b', 'c', 'd']) await limited.create(R.ConfigMap, cm(n));
    expect(
      isGone(
        await rejection(
          limited.watch(R.ConfigMap, { resourceVersion: first.metadata.resourceVersion }, () => {}),
        ),
      ),
    ).toBe(true);
  });

  it('ends on endWatches, fails on failWatches or abort, and fails when the handler throws', async () => {
    const { kube } = setup();
    const ended = collect(kube, R.ConfigMap);
    const failed = collect(kube, R.ConfigMap);
    const abort = new AbortController();
    const aborted = collect(kube, R.ConfigMap, { signal: abort.signal });
    const throwing = kube.watch(R.ConfigMap, {}, () => {
      throw new Error('handler broke');
    });
    await kube.create(R.ConfigMap, cm('a'));
    await expect(throwing).rejects.toThrow('handler broke');
    abort.abort();
    await expect(aborted.done).rejects.toThrow('aborted');
    kube.failWatches(apiError(410, 'Expired', 'compacted'));
    kube.endWatches();
    await expect(ended.done).rejects.toMatchObject({ status: 410 });
    await expect(failed.done).rejects.toMatchObject({ status: 410 });
    expect(kube.openWatches).toBe(0);
    const later = collect(kube, R.ConfigMap);
    kube.endWatches();
    await expect(later.done).resolves.toBeUndefined();
  });

  it('feeds a real Informer: list, then watch from the list’s version without a gap', async () => {
    const { kube } = setup();
    await kube.create(R.ConfigMap, cm('a', { app: 'x' }));
    await kube.create(R.ConfigMap, cm('skip'));
    const informer = new Informer<Obj>({ client: kube, type: R.ConfigMap, labelSelector: 'app=x' });
    const changes: string[] = [];
    informer.onChange((t, key) => changes.push(`${t} ${key}`));
    informer.start();
    await informer.waitForSync();
    await kube.create(R.ConfigMap, cm('b', { app: 'x' }));
    await kube.mergePatch(R.ConfigMap, 'ns', 'a', { data: { k: 'new' } });
    await kube.delete(R.ConfigMap, 'ns', 'b');
    await kube.flush();
    expect(changes).toEqual(['add ns/a', 'add ns/b', 'update ns/a', 'delete ns/b']);
    expect(informer.get('ns', 'a')?.data).toEqual({ k: 'new' });
    await informer.stop();
    expect(kube.openWatches).toBe(0);
  });
});

describe('FakeKube: requests and faults', () => {
  it('counts requests by verb and logs each call with its options', async () => {
    const { kube } = setup();
    await kube.create(R.ConfigMap, cm('a'));
    await kube.get(R.ConfigMap, 'ns', 'a');
    await kube.delete(R.ConfigMap, 'ns', 'a', { propagationPolicy: 'Background' });
    expect(kube.requests).toMatchObject({ create: 1, get: 1, delete: 1, patch: 0 });
    expect(kube.calls.at(-1)).toEqual({
      verb: 'delete',
      resource: 'configmaps',
      namespace: 'ns',
      name: 'a',
      options: { propagationPolicy: 'Background' },
    });
    expect(kube.objects(R.ConfigMap)).toEqual([]);
    expect(kube.requests.get).toBe(1);
  });

  it('fails the next N matching requests with the injected error, then serves again', async () => {
    const { kube } = setup();
    const fault = kube.inject({
      verb: 'create',
      resource: 'ConfigMap',
      times: 2,
      error: apiError(503, 'ServiceUnavailable', 'etcd is down', R.ConfigMap),
    });
    await kube.create(R.Secret, cm('s'));
    for (let i = 0; i < 2; i++) {
      expect(await rejection(kube.create(R.ConfigMap, cm('a')))).toMatchObject({
        status: 503,
        kind: 'ConfigMap',
      });
    }
    expect(fault.remaining).toBe(0);
    expect(await kube.create(R.ConfigMap, cm('a'))).toBeDefined();
  });

  it('delays a matching request on the fake clock', async () => {
    const { clock, kube } = setup();
    kube.inject({ verb: 'get', name: 'a', delayMs: 1_000 });
    let done = false;
    const p = kube.get(R.ConfigMap, 'ns', 'a').then(() => {
      done = true;
    });
    await kube.flush();
    expect(done).toBe(false);
    clock.advance(1_000);
    await p;
    expect(done).toBe(true);
  });

  it('serves pod logs to getText, and 404 for a missing Pod', async () => {
    const { kube } = setup();
    await kube.create(R.Pod, { metadata: { name: 'p', namespace: 'ns' } });
    kube.setPodLog('ns', 'p', 'agent', 'hello\n');
    expect(await kube.getText('/api/v1/namespaces/ns/pods/p/log?container=agent&tailLines=100')).toBe(
      'hello\n',
    );
    expect(await kube.getText('/api/v1/namespaces/ns/pods/p/log?container=other')).toBe('');
    expect(isNotFound(await rejection(kube.getText('/api/v1/namespaces/ns/pods/q/log')))).toBe(true);
  });
});
