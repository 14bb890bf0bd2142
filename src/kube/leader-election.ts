/**
 * Leader election on a coordination.k8s.io/v1 Lease, the way client-go does it: one replica
 * holds the Lease and renews it every `retryPeriod`; the others watch it and take it over
 * once it has not been renewed for `leaseDuration`. Expiry is judged by when *this* replica
 * last saw the Lease change, not by the holder's timestamps, so clock skew between replicas
 * does not matter.
 *
 * A leader that cannot renew within `renewDeadline` (shorter than `leaseDuration`) stops
 * leading before anyone else may start, and goes back to trying to acquire. A timer, not the
 * renew loop, ends leadership at the deadline, so a renew request that hangs (a frozen
 * connection) cannot keep a replica leading; a renew that succeeds only after the deadline
 * does not count. Releasing the Lease on stop writes at the version read, and only while the
 * Lease still names this replica.
 *
 * @packageDocumentation
 */

import { CoreResources, isAlreadyExists, isConflict, type KubeClient } from './client.ts';
import { type Clock, systemClock, type TimerHandle } from './clock.ts';
import { microTime } from './events.ts';
import { type Logger, silentLogger } from './log.ts';
import type { KubeObject } from './meta.ts';

/** How long a leader keeps trying to renew before it stops leading, unless set (client-go's). */
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;

/** A Lease as far as election needs it. */
export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Options of {@link LeaderElector}. */
export interface LeaderElectionOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly name: string;
  /** Unique per replica, e.g. the pod name plus a random suffix. */
  readonly identity: string;
  /** How long a Lease is valid without renewal. Default 15 s. */
  readonly leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up leading. Default 10 s. */
  readonly renewDeadlineMs?: number;
  /** Time between attempts. Default 2 s. */
  readonly retryPeriodMs?: number;
  readonly clock?: Clock;
  readonly log?: Logger;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
}

/** Runs the election loop until stopped. */
export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, 'log' | 'clock'>> & { clock: Clock; log: Logger };
  #leading = false;
  #attempted = false;
  #stopped = true;
  #timer: TimerHandle | undefined;
  /** The Lease as last read or written, and when (local clock) its holder or renewTime last changed. */
  #observed: { holder: string; renewTime: string; at: number } | undefined;
  #lastRenew = 0;
  #running: Promise<void> = Promise.resolve();
  /** Fires at lastRenew + renewDeadline: steps down even while a renew request hangs. */
  #deadline: TimerHandle | undefined;

  constructor(opts: LeaderElectionOptions) {
    this.#o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: DEFAULT_RENEW_DEADLINE_MS,
      retryPeriodMs: 2_000,
      ...opts,
      clock: opts.clock ?? systemClock,
      log: (opts.log ?? silentLogger).child({
        lease: `${opts.namespace}/${opts.name}`,
        identity: opts.identity,
      }),
    };
  }

  /** Whether this replica holds the Lease now. */
  get isLeader(): boolean {
    return this.#leading;
  }

  /** Whether at least one attempt to acquire has completed (for readiness). */
  get attempted(): boolean {
    return this.#attempted;
  }

  /** Starts trying to acquire the Lease. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops, and gives the Lease up if held so a standby takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    await this.#running;
    if (this.#deadline) this.#o.clock.clearTimeout(this.#deadline);
    if (this.#leading) {
      this.#leading = false;
      try {
        const now = this.#o.clock.now();
        // Only release the Lease we hold: read it, check the holder, and write at that
        // version, so a standby that took over meanwhile is never cleared.
        const lease = await this.#o.client.get<Lease>(CoreResources.Lease, this.#o.namespace, this.#o.name);
        if (!lease || lease.spec?.holderIdentity !== this.#o.identity) {
          this.#o.log.info('Leader Lease no longer ours; nothing to release');
          this.#o.onStoppedLeading();
          return;
        }
        await this.#o.client.mergePatch(
          CoreResources.Lease,
          this.#o.namespace,
          this.#o.name,
          { spec: { holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime(now) } },
          { resourceVersion: lease.metadata.resourceVersion },
        );
        this.#o.log.info('Released leader Lease');
      } catch (err) {
        this.#o.log.warn('Could not release leader Lease', { error: err });
      }
      this.#o.onStoppedLeading();
    }
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#running = this.#tick().finally(() => this.#schedule(this.#o.retryPeriodMs));
    }, ms);
  }

  async #tick(): Promise<void> {
    const now = () => this.#o.clock.now();
    const startedAt = now();
    let ok = false;
    try {
      ok = await this.#tryAcquireOrRenew();
    } catch (err) {
      this.#o.log.warn('Leader election attempt failed', { error: err });
    }
    this.#attempted = true;
    if (this.#stopped) return;
    if (ok) {
      // Counted from when the attempt began: the Lease says renewTime = then.
      this.#lastRenew = startedAt;
      if (now() - startedAt >= this.#o.renewDeadlineMs) return;
      this.#armDeadline();
      if (!this.#leading) {
        this.#leading = true;
        this.#o.log.info('Became leader');
        this.#o.onStartedLeading();
      }
    } else if (this.#leading && now() - this.#lastRenew >= this.#o.renewDeadlineMs) {
      this.#stepDown();
    }
  }

  /** (Re)arms the timer that ends leadership at lastRenew + renewDeadline. */
  #armDeadline(): void {
    const clock = this.#o.clock;
    if (this.#deadline) clock.clearTimeout(this.#deadline);
    const at = this.#lastRenew + this.#o.renewDeadlineMs;
    this.#deadline = clock.setTimeout(
      () => {
        if (this.#leading && clock.now() >= this.#lastRenew + this.#o.renewDeadlineMs) this.#stepDown();
      },
      Math.max(0, at - clock.now()),
    );
  }

  #stepDown(): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#o.log.warn('Lost leader Lease: could not renew it in time', {
      renewDeadlineMs: this.#o.renewDeadlineMs,
    });
    this.#o.onStoppedLeading();
  }

  /** One attempt; true when this replica holds the Lease afterwards. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity, clock } = this.#o;
    // The attempt's start: what the Lease is stamped with, and what expiry is judged at (both
    // err early, as client-go's). When a Lease was seen is read after each answer instead: a
    // read queued for seconds may return a renewal made long after it was sent.
    const now = clock.now();
    const durationSeconds = Math.ceil(this.#o.leaseDurationMs / 1000);
    const lease = await client.get<Lease>(CoreResources.Lease, namespace, name);
    if (!lease) {
      try {
        const created = await client.create<Lease>(CoreResources.Lease, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        });
        this.#observe(created, clock.now());
        return true;
      } catch (err) {
        if (isAlreadyExists(err)) return false;
        throw err;
      }
    }
    this.#observe(lease, clock.now());
    const holder = lease.spec?.holderIdentity ?? '';
    const held = holder !== '' && holder !== identity;
    const leaseMs = (lease.spec?.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (held && now < (this.#observed?.at ?? now) + leaseMs) return false;
    const spec: NonNullable<Lease['spec']> = {
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      renewTime: microTime(now),
    };
    if (holder !== identity) {
      spec.acquireTime = microTime(now);
      spec.leaseTransitions = (lease.spec?.leaseTransitions ?? 0) + 1;
    }
    try {
      const updated = await client.mergePatch<Lease>(
        CoreResources.Lease,
        namespace,
        name,
        { spec },
        { resourceVersion: lease.metadata.resourceVersion },
      );
      this.#observe(updated, clock.now());
      return true;
    } catch (err) {
      // Someone else wrote the Lease between our read and write: they won this round.
      if (isConflict(err)) return false;
      throw err;
    }
  }

  /** Records `lease` as seen at `at`, the local time its answer arrived. */
  #observe(lease: Lease, at: number): void {
    const holder = lease.spec?.holderIdentity ?? '';
    const renewTime = lease.spec?.renewTime ?? '';
    if (!this.#observed || this.#observed.holder !== holder || this.#observed.renewTime !== renewTime) {
      this.#observed = { holder, renewTime, at };
    }
  }
}
