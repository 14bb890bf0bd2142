import { describe, expect, it } from 'vitest';
import { isAlreadyExists, isConflict, isNotFound, CoreResources as R } from '../../../src/kube/client.ts';
import { cm, collect, Gadget, type Obj, rejection, setup, Widget, widget } from './fake-kube-helpers.ts';

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
