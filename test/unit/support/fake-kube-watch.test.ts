import { describe, expect, it } from 'vitest';
import { type ApiObject, isGone, isNotFound, CoreResources as R } from '../../../src/kube/client.ts';
import { Informer } from '../../../src/kube/informer.ts';
import { apiError, FakeKube } from '../../support/fake-kube.ts';
import { cm, collect, type Obj, rejection, setup, Widget, widget } from './fake-kube-helpers.ts';

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
