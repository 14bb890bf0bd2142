import { describe, expect, it } from 'vitest';
import { ApiError, type KubeClient, type PatchOptions } from '../../../src/kube/client.ts';
import { FakeClock } from '../../../src/kube/clock.ts';
import { LeaderElector, type Lease } from '../../../src/kube/leader-election.ts';

/** One Lease in memory, with resourceVersion checks like the API server's. */
class LeaseStore {
  lease: Lease | undefined;
  rv = 0;
  failing = false;
  /** When set, every request hangs until released (a frozen connection). */
  hang: Promise<void> | undefined;
  /** Versions sent with each patch, in order. */
  readonly patchVersions: Array<string | undefined> = [];

  asClient(): KubeClient {
    return this as unknown as KubeClient;
  }

  async get(): Promise<Lease | undefined> {
    if (this.hang) await this.hang;
    if (this.failing) throw new ApiError(0, 'NetworkError', 'connection refused');
    return this.lease && structuredClone(this.lease);
  }

  async create(_t: unknown, obj: Lease): Promise<Lease> {
    if (this.failing) throw new ApiError(0, 'NetworkError', 'connection refused');
    if (this.lease) throw new ApiError(409, 'AlreadyExists', 'exists');
    this.lease = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
    return structuredClone(this.lease);
  }

  async mergePatch(
    _t: unknown,
    _ns: string,
    _name: string,
    patch: { spec: Lease['spec'] },
    opts: PatchOptions = {},
  ) {
    this.patchVersions.push(opts.resourceVersion);
    if (this.failing) throw new ApiError(0, 'NetworkError', 'connection refused');
    if (!this.lease) throw new ApiError(404, 'NotFound', 'not found');
    if (opts.resourceVersion && opts.resourceVersion !== this.lease.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', 'modified');
    }
    const spec: Record<string, unknown> = { ...this.lease.spec };
    for (const [k, v] of Object.entries(patch.spec ?? {})) {
      if (v === null) delete spec[k];
      else spec[k] = v;
    }
    this.lease = {
      ...this.lease,
      spec,
      metadata: { ...this.lease.metadata, resourceVersion: String(++this.rv) },
    };
    return structuredClone(this.lease);
  }

  /** Someone else renews the Lease. */
  renewAs(holder: string): void {
    this.lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'l', namespace: 'ns', resourceVersion: String(++this.rv) },
      spec: { holderIdentity: holder, leaseDurationSeconds: 15, renewTime: `t${this.rv}` },
    };
  }
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

const elector = (store: LeaseStore, clock: FakeClock, identity: string, log: string[]) =>
  new LeaderElector({
    client: store.asClient(),
    namespace: 'ns',
    name: 'l',
    identity,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    clock,
    onStartedLeading: () => log.push(`${identity} started`),
    onStoppedLeading: () => log.push(`${identity} stopped`),
  });

/** Advances the clock in retry-period steps, letting each attempt finish. */
const run = async (clock: FakeClock, ms: number) => {
  for (let t = 0; t < ms; t += 1000) {
    clock.advance(1000);
    await flush();
  }
};

describe('LeaderElector', () => {
  it('creates the Lease and leads when there is none', async () => {
    const store = new LeaseStore();
    const clock = new FakeClock(1_000_000);
    const log: string[] = [];
    const e = elector(store, clock, 'a', log);
    e.start();
    await run(clock, 1000);
    expect(e.isLeader).toBe(true);
    expect(e.attempted).toBe(true);
    expect(log).toEqual(['a started']);
    expect(store.lease?.spec).toMatchObject({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
    await e.stop();
  });

  it('waits while another holder renews, and takes over a Lease not renewed for its duration', async () => {
    const store = new LeaseStore();
    store.renewAs('other');
    const clock = new FakeClock(1_000_000);
    const log: string[] = [];
    const e = elector(store, clock, 'b', log);
    e.start();
    for (let i = 0; i < 10; i++) {
      await run(clock, 5000);
      store.renewAs('other');
    }
    expect(e.isLeader).toBe(false);
    expect(log).toEqual([]);
    // The holder stops renewing: 15 s after b last saw a change, b takes over.
    await run(clock, 14_000);
    expect(e.isLeader).toBe(false);
    await run(clock, 4000);
    expect(e.isLeader).toBe(true);
    expect(store.lease?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(log).toEqual(['b started']);
    await e.stop();
  });

  it('stops leading when it cannot renew within the renew deadline, and leads again later', async () => {
    const store = new LeaseStore();
    const clock = new FakeClock(1_000_000);
    const log: string[] = [];
    const e = elector(store, clock, 'a', log);
    e.start();
    await run(clock, 1000);
    expect(e.isLeader).toBe(true);
    store.failing = true;
    await run(clock, 8000);
    // Still inside the renew deadline: keep leading.
    expect(e.isLeader).toBe(true);
    await run(clock, 4000);
    expect(e.isLeader).toBe(false);
    expect(log).toEqual(['a started', 'a stopped']);
    store.failing = false;
    await run(clock, 3000);
    expect(e.isLeader).toBe(true);
    expect(log).toEqual(['a started', 'a stopped', 'a started']);
    await e.stop();
  });

  it('releases the Lease on stop so a standby need not wait for it to expire', async () => {
    const store = new LeaseStore();
    const clock = new FakeClock(1_000_000);
    const log: string[] = [];
    const a = elector(store, clock, 'a', log);
    const b = elector(store, clock, 'b', log);
    a.start();
    await run(clock, 1000);
    b.start();
    await run(clock, 4000);
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    await a.stop();
    expect(store.lease?.spec?.holderIdentity).toBeUndefined();
    await run(clock, 3000);
    expect(b.isLeader).toBe(true);
    expect(log).toEqual(['a started', 'a stopped', 'b started']);
    await b.stop();
  });

  it('counts a renewal seen by a slow read from when the read returned, not from when it was sent', async () => {
    const store = new LeaseStore();
    store.renewAs('other');
    const clock = new FakeClock(1_000_000);
    const log: string[] = [];
    const b = elector(store, clock, 'b', log);
    b.start();
    await run(clock, 1000);
    let release = () => {};
    store.hang = new Promise<void>((r) => {
      release = r;
    });
    // b's next read is queued for 6 s; the holder renews meanwhile, and the read returns that
    // renewal. The holder may lead until 10 s (its renew deadline) after it, so b must wait the
    // whole Lease duration (15 s) from when it saw the renewal, not from when it asked.
    await run(clock, 8000);
    store.renewAs('other');
    store.hang = undefined;
    release();
    await flush();
    await run(clock, 14_000);
    expect(b.isLeader).toBe(false);
    await run(clock, 3000);
    expect(b.isLeader).toBe(true);
    expect(log).toEqual(['b started']);
    await b.stop();
  });

  it('stops leading at the renew deadline even while a renew request hangs', async () => {
    const store = new LeaseStore();
    const clock = new FakeClock(1_000_000);
    const log: string[] = [];
    const e = elector(store, clock, 'a', log);
    e.start();
    await run(clock, 1000);
    expect(e.isLeader).toBe(true);
    let release = () => {};
    store.hang = new Promise<void>((r) => {
      release = r;
    });
    // The renew never returns; the deadline (10 s after the last renew) ends leadership anyway,
    // before the Lease (15 s) could expire for a standby.
    await run(clock, 11_000);
    expect(e.isLeader).toBe(false);
    expect(log).toEqual(['a started', 'a stopped']);
    store.hang = undefined;
    release();
    await e.stop();
  });

  it('releases the Lease on stop at the version it read, and never one a standby took', async () => {
    const store = new LeaseStore();
    const clock = new FakeClock(1_000_000);
    const e = elector(store, clock, 'a', []);
    e.start();
    await run(clock, 1000);
    const version = store.lease?.metadata.resourceVersion;
    await e.stop();
    expect(store.patchVersions.at(-1)).toBe(version);
    expect(store.lease?.spec?.holderIdentity).toBeUndefined();

    // A replica that believes it leads while the Lease already names another does not clear it.
    const store2 = new LeaseStore();
    const e2 = elector(store2, clock, 'a', []);
    e2.start();
    await run(clock, 1000);
    store2.renewAs('b');
    await e2.stop();
    expect(store2.lease?.spec?.holderIdentity).toBe('b');
  });
});
