import { describe, expect, it } from 'vitest';
import {
  ApiError,
  type ApiObject,
  type KubeClient,
  type ListOptions,
  type ListPage,
  CoreResources as Resources,
  type WatchEvent,
  WatchIdleError,
  type WatchOptions,
} from '../../../src/kube/client.ts';
import { FakeClock } from '../../../src/kube/clock.ts';
import { Informer, keyOf, splitKey } from '../../../src/kube/informer.ts';
import { createLogger } from '../../../src/kube/log.ts';

interface Obj extends ApiObject {
  data?: string;
}

const obj = (name: string, rv: string, data = '', namespace = 'ns'): Obj => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, resourceVersion: rv, managedFields: [{ manager: 'x' }] } as Obj['metadata'],
  data,
});

interface PendingWatch {
  opts: WatchOptions;
  emit: (e: WatchEvent<Obj>) => void;
  end: () => void;
  fail: (err: Error) => void;
}

/** A client whose lists answer from a script and whose watches the test drives. */
class ScriptedClient {
  readonly lists: Array<(opts: ListOptions) => ListPage<Obj>> = [];
  readonly listCalls: ListOptions[] = [];
  readonly watches: PendingWatch[] = [];

  asClient(): KubeClient {
    return this as unknown as KubeClient;
  }

  async list(_type: unknown, opts: ListOptions): Promise<ListPage<Obj>> {
    this.listCalls.push(opts);
    const next = this.lists.shift();
    if (!next) throw new Error('unexpected list');
    return next(opts);
  }

  watch(_type: unknown, opts: WatchOptions, onEvent: (e: WatchEvent<Obj>) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const w: PendingWatch = { opts, emit: onEvent, end: resolve, fail: reject };
      opts.signal?.addEventListener('abort', () => reject(new Error('aborted')));
      this.watches.push(w);
    });
  }
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

const setup = (opts: { resyncMs?: number; namespaces?: readonly string[] } = {}) => {
  const client = new ScriptedClient();
  const clock = new FakeClock();
  const events: string[] = [];
  const informer = new Informer<Obj>({
    client: client.asClient(),
    type: Resources.ConfigMap,
    clock,
    baseBackoffMs: 100,
    maxBackoffMs: 400,
    ...opts,
  });
  informer.onChange((type, key) => events.push(`${type} ${key}`));
  informer.addIndex('data', (o) => (o.data ? [o.data] : []));
  return { client, clock, events, informer };
};

describe('Informer', () => {
  it('lists page by page, caches by namespace/name without managedFields, then watches from the list version', async () => {
    const { client, events, informer } = setup();
    client.lists.push(
      () => ({ items: [obj('a', '1', 'x')], metadata: { continue: 'page2', resourceVersion: '10' } }),
      () => ({ items: [obj('b', '2', 'x')], metadata: { resourceVersion: '10' } }),
    );
    informer.start();
    await informer.waitForSync();
    await flush();
    expect(client.listCalls.map((c) => c.continue)).toEqual([undefined, 'page2']);
    expect(events).toEqual(['add ns/a', 'add ns/b']);
    expect(informer.get('ns', 'a')?.metadata).toEqual({ name: 'a', namespace: 'ns', resourceVersion: '1' });
    expect(informer.byIndex('data', 'x').map(keyOf).sort()).toEqual(['ns/a', 'ns/b']);
    expect(client.watches[0]?.opts.resourceVersion).toBe('10');
    await informer.stop();
  });

  it('applies watch events, ignores repeats of the same version, and resumes from bookmarks', async () => {
    const { client, events, informer } = setup();
    client.lists.push(() => ({ items: [obj('a', '1', 'x')], metadata: { resourceVersion: '10' } }));
    informer.start();
    await informer.waitForSync();
    await flush();
    const w = client.watches[0] as PendingWatch;
    w.emit({ type: 'MODIFIED', object: obj('a', '1', 'x') });
    w.emit({ type: 'MODIFIED', object: obj('a', '11', 'y') });
    w.emit({ type: 'ADDED', object: obj('c', '12') });
    w.emit({ type: 'DELETED', object: obj('c', '13') });
    w.emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '20' } } as Obj });
    expect(events).toEqual(['add ns/a', 'update ns/a', 'add ns/c', 'delete ns/c']);
    expect(informer.byIndex('data', 'x')).toEqual([]);
    expect(informer.byIndex('data', 'y').map(keyOf)).toEqual(['ns/a']);
    // The server ends the watch (timeout): the next one starts at the bookmark, without a relist.
    w.end();
    await flush();
    expect(client.watches[1]?.opts.resourceVersion).toBe('20');
    expect(client.listCalls).toHaveLength(1);
    await informer.stop();
  });

  it('restarts a failed watch with exponential backoff, from the last version', async () => {
    const { client, clock, informer } = setup();
    client.lists.push(() => ({ items: [], metadata: { resourceVersion: '5' } }));
    informer.start();
    await informer.waitForSync();
    await flush();
    client.watches[0]?.fail(new ApiError(500, 'InternalError', 'boom'));
    await flush();
    expect(client.watches).toHaveLength(1);
    clock.advance(99);
    await flush();
    expect(client.watches).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(client.watches).toHaveLength(2);
    client.watches[1]?.fail(new Error('socket hang up'));
    await flush();
    clock.advance(199);
    await flush();
    expect(client.watches).toHaveLength(2);
    clock.advance(1);
    await flush();
    expect(client.watches).toHaveLength(3);
    expect(client.watches[2]?.opts.resourceVersion).toBe('5');
    expect(informer.restarts).toBe(2);
    await informer.stop();
  });

  it('resumes an idle watch at once, from the last version, without a warning or a backoff', async () => {
    const lines: string[] = [];
    const log = createLogger({ write: (line) => lines.push(line), level: 'info' });
    const client = new ScriptedClient();
    const informer = new Informer<Obj>({
      client: client.asClient(),
      type: Resources.ConfigMap,
      clock: new FakeClock(),
      baseBackoffMs: 100,
      log,
    });
    client.lists.push(() => ({ items: [], metadata: { resourceVersion: '5' } }));
    informer.start();
    await informer.waitForSync();
    await flush();
    client.watches[0]?.fail(new WatchIdleError('watch /api/v1/configmaps: no data for 90000 ms'));
    await flush();
    // No clock advance: the next watch is already open.
    expect(client.watches).toHaveLength(2);
    expect(client.watches[1]?.opts.resourceVersion).toBe('5');
    expect(informer.restarts).toBe(0);
    expect(lines).toEqual([]);
    await informer.stop();
  });

  it('relists on 410 Gone and reports what changed meanwhile, and only that', async () => {
    const { client, events, informer } = setup();
    client.lists.push(() => ({
      items: [obj('keep', '1'), obj('change', '2'), obj('gone', '3')],
      metadata: { resourceVersion: '10' },
    }));
    informer.start();
    await informer.waitForSync();
    await flush();
    client.lists.push(() => ({
      items: [obj('keep', '1'), obj('change', '7'), obj('new', '8')],
      metadata: { resourceVersion: '30' },
    }));
    client.watches[0]?.fail(new ApiError(410, 'Expired', 'too old resource version'));
    await flush();
    expect(events.slice(3)).toEqual(['delete ns/gone', 'update ns/change', 'add ns/new']);
    expect(client.watches[1]?.opts.resourceVersion).toBe('30');
    expect(informer.relists).toBe(2);
    await informer.stop();
  });

  it('offers every cached key again on each resync, without requests', async () => {
    const { client, clock, events, informer } = setup({ resyncMs: 1000 });
    client.lists.push(() => ({ items: [obj('a', '1'), obj('b', '2')], metadata: { resourceVersion: '10' } }));
    informer.start();
    await informer.waitForSync();
    await flush();
    clock.advance(1000);
    clock.advance(1000);
    expect(events).toEqual([
      'add ns/a',
      'add ns/b',
      'resync ns/a',
      'resync ns/b',
      'resync ns/a',
      'resync ns/b',
    ]);
    expect(client.listCalls).toHaveLength(1);
    await informer.stop();
  });

  it('watches each of several namespaces on its own: synced once all have listed, a relist touches only its namespace', async () => {
    const { client, clock, events, informer } = setup({ namespaces: ['a', 'b'] });
    const lists: Record<string, Array<() => ListPage<Obj>>> = {
      a: [() => ({ items: [obj('x', '1', '', 'a')], metadata: { resourceVersion: '10' } })],
      b: [
        () => {
          throw new ApiError(500, 'InternalError', 'etcd busy');
        },
        () => ({
          items: [obj('y', '2', '', 'b'), obj('old', '3', '', 'b')],
          metadata: { resourceVersion: '20' },
        }),
        () => ({
          items: [obj('y', '2', '', 'b'), obj('new', '9', '', 'b')],
          metadata: { resourceVersion: '40' },
        }),
      ],
    };
    const byNamespace = (opts: ListOptions) => {
      const next = lists[opts.namespace ?? '']?.shift();
      if (!next) throw new Error(`unexpected list of ${opts.namespace}`);
      return next();
    };
    for (let i = 0; i < 4; i++) client.lists.push(byNamespace);
    let synced = false;
    void informer.waitForSync().then(() => {
      synced = true;
    });
    informer.start();
    await flush();
    // a listed and watches; b's list failed and waits out its backoff: not synced yet.
    expect(client.listCalls.map((c) => c.namespace)).toEqual(['a', 'b']);
    expect(client.watches.map((w) => [w.opts.namespace, w.opts.resourceVersion])).toEqual([['a', '10']]);
    expect(informer.hasSynced).toBe(false);
    expect(synced).toBe(false);
    clock.advance(100);
    await flush();
    expect(informer.hasSynced).toBe(true);
    expect(synced).toBe(true);
    expect(client.watches.map((w) => [w.opts.namespace, w.opts.resourceVersion])).toEqual([
      ['a', '10'],
      ['b', '20'],
    ]);
    expect(informer.keys().sort()).toEqual(['a/x', 'b/old', 'b/y']);
    // b's watch expires: b is relisted and diffed against b's objects only; a's stay.
    client.watches[1]?.fail(new ApiError(410, 'Expired', 'too old resource version'));
    await flush();
    expect(events).toEqual(['add a/x', 'add b/y', 'add b/old', 'delete b/old', 'add b/new']);
    expect(informer.keys().sort()).toEqual(['a/x', 'b/new', 'b/y']);
    expect(client.watches.map((w) => [w.opts.namespace, w.opts.resourceVersion])).toEqual([
      ['a', '10'],
      ['b', '20'],
      ['b', '40'],
    ]);
    // Each stream resumes from its own version: an event in a moves a's, not b's.
    client.watches[0]?.emit({ type: 'MODIFIED', object: obj('x', '50', 'v', 'a') });
    client.watches[0]?.end();
    await flush();
    expect(client.watches.at(-1)?.opts).toMatchObject({ namespace: 'a', resourceVersion: '50' });
    expect(informer.list('a').map((o) => o.data)).toEqual(['v']);
    await informer.stop();
  });

  it('refuses an empty namespace list, and namespaces for a cluster-scoped kind', () => {
    const client = new ScriptedClient().asClient();
    expect(() => new Informer({ client, type: Resources.ConfigMap, namespaces: [] })).toThrow(
      'informer ConfigMap: namespaces is empty (leave it unset to watch all)',
    );
    expect(() => new Informer({ client, type: Resources.Namespace, namespaces: ['a'] })).toThrow(
      'informer Namespace: a cluster-scoped kind has no namespaces to watch',
    );
  });

  it('splits keys back into namespace and name', () => {
    expect(splitKey('ns/a')).toEqual({ namespace: 'ns', name: 'a' });
    expect(splitKey('cluster-scoped')).toEqual({ namespace: '', name: 'cluster-scoped' });
  });
});
