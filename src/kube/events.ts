/**
 * Kubernetes Events (events.k8s.io/v1) about the objects a controller manages, so
 * `kubectl describe` and `kubectl events` show what it did and why.
 *
 * Recording an Event never fails or slows a reconcile: an Event is information, not state.
 * Events are sent in the background (the worker moves on to the next key), at most
 * {@link MAX_EVENTS_IN_FLIGHT} at a time; beyond that they are dropped with a warning, as
 * client-go's broadcaster drops them when its queue is full.
 *
 * Repeats cost no create, as in client-go's events recorder (`tools/events`): an Event
 * isomorphic to one recorded within {@link SERIES_WINDOW_MS} (same object, type, reason,
 * action and note) is counted into that Event's `series` instead, written by one patch at most
 * every {@link SERIES_PATCH_MS}; and each object gets at most {@link SPAM_BURST} distinct
 * Events, refilled one per {@link SPAM_REFILL_MS} (client-go's spam filter), so a flapping
 * object cannot flood the API server. Both are held in memory for at most
 * {@link MAX_TRACKED} keys (oldest forgotten first): a restart starts the counts afresh.
 *
 * @packageDocumentation
 */

import { type ApiObject, CoreResources, type KubeClient } from './client.ts';
import type { Clock, TimerHandle } from './clock.ts';
import type { Logger } from './log.ts';

/** Normal or Warning, as Kubernetes defines them. */
export type EventType = 'Normal' | 'Warning';

/** Formats a time as a `metav1.MicroTime` (RFC 3339 with microseconds). */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** Events being sent at once before new ones are dropped. */
export const MAX_EVENTS_IN_FLIGHT = 256;

/** How long after an Event an isomorphic one joins its series (client-go: 6 minutes). */
export const SERIES_WINDOW_MS = 6 * 60_000;
/** Shortest time between two patches of one Event's series count. */
export const SERIES_PATCH_MS = 30_000;
/** Distinct Events an object may get at once (client-go's spam filter burst). */
export const SPAM_BURST = 25;
/** One more Event allowed per object after this long (client-go: one per 5 minutes). */
export const SPAM_REFILL_MS = 5 * 60_000;
/** Keys (isomorphic Events, objects) remembered at most, like client-go's LRU of 4096. */
export const MAX_TRACKED = 4096;

/** A recorded Event that later isomorphic ones join. */
interface Series {
  readonly name: string;
  readonly namespace: string | undefined;
  /** Occurrences so far (1: no series yet). */
  count: number;
  lastAt: number;
  /** Count the API server holds. */
  written: number;
  patchedAt: number;
  timer: TimerHandle | undefined;
}

/** Sets `key` last in a Map used as an LRU, forgetting the oldest beyond {@link MAX_TRACKED}. */
const touch = <V>(m: Map<string, V>, key: string, v: V, onEvict?: (v: V) => void): void => {
  m.delete(key);
  m.set(key, v);
  if (m.size > MAX_TRACKED) {
    const [oldest, value] = m.entries().next().value as [string, V];
    m.delete(oldest);
    onEvict?.(value);
  }
};

/** Writes Events about objects. */
export class EventRecorder {
  readonly #client: KubeClient;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #instance: string;
  readonly #controller: string;
  #seq = 0;
  readonly #inFlight = new Set<Promise<void>>();
  /** Events dropped because too many were in flight. */
  dropped = 0;
  /** Events not written because their object had too many (the spam filter). */
  filtered = 0;
  readonly #series = new Map<string, Series>();
  /** Spam-filter tokens per object: what was left, and when. */
  readonly #tokens = new Map<string, { tokens: number; at: number }>();

  /**
   * @param instance - `reportingInstance`: the controller's identity (pod name or host).
   * @param controller - `reportingController`, e.g. `example.com/operator`.
   */
  constructor(client: KubeClient, clock: Clock, log: Logger, instance: string, controller: string) {
    this.#controller = controller;
    this.#client = client;
    this.#clock = clock;
    this.#log = log;
    this.#instance = instance;
  }

  /**
   * Records an Event about `regarding`.
   *
   * @param reason - CamelCase, e.g. `JobCreated`.
   * @param note - a sentence for humans.
   * @param action - what was done, CamelCase, e.g. `Create`.
   */
  record(regarding: ApiObject, type: EventType, reason: string, note: string, action: string): void {
    const m = regarding.metadata;
    const object = `${regarding.kind}/${m.namespace}/${m.name}/${m.uid}`;
    const key = JSON.stringify([object, type, reason, action, note.slice(0, 1024)]);
    const now = this.#clock.now();
    const series = this.#series.get(key);
    if (series && now - series.lastAt < SERIES_WINDOW_MS) {
      series.count++;
      series.lastAt = now;
      touch(this.#series, key, series, (v) => this.#clock.clearTimeout(v.timer as TimerHandle));
      this.#schedulePatch(series);
      return;
    }
    if (!this.#allow(object, now)) {
      this.filtered++;
      this.#log.debug('Event filtered: too many about one object', { reason, object });
      return;
    }
    if (this.#inFlight.size >= MAX_EVENTS_IN_FLIGHT) {
      this.dropped++;
      this.#log.warn('Dropped Event: too many in flight', { reason, object });
      return;
    }
    const name = `${m.name}.${(now * 1000 + (this.#seq++ % 1000)).toString(16)}`;
    if (series?.timer) this.#clock.clearTimeout(series.timer);
    touch(
      this.#series,
      key,
      { name, namespace: m.namespace, count: 1, lastAt: now, written: 1, patchedAt: now, timer: undefined },
      (v) => this.#clock.clearTimeout(v.timer as TimerHandle),
    );
    this.#track(this.#send(name, regarding, type, reason, note, action));
  }

  #track(sending: Promise<void>): void {
    this.#inFlight.add(sending);
    void sending.finally(() => this.#inFlight.delete(sending));
  }

  /** Takes a spam-filter token of `object`, refilled one per {@link SPAM_REFILL_MS}. */
  #allow(object: string, now: number): boolean {
    const b = this.#tokens.get(object);
    let tokens = SPAM_BURST;
    let at = now;
    if (b) {
      const refilled = Math.floor((now - b.at) / SPAM_REFILL_MS);
      tokens = Math.min(SPAM_BURST, b.tokens + refilled);
      // A full bucket starts its refill clock at the next Event taken from it.
      if (tokens < SPAM_BURST) at = b.at + refilled * SPAM_REFILL_MS;
    }
    if (tokens < 1) return false;
    touch(this.#tokens, object, { tokens: tokens - 1, at });
    return true;
  }

  /** Writes the series count of `s` now, or once {@link SERIES_PATCH_MS} passed since the last patch. */
  #schedulePatch(s: Series): void {
    if (s.timer) return;
    const wait = Math.max(0, s.patchedAt + SERIES_PATCH_MS - this.#clock.now());
    s.timer = this.#clock.setTimeout(() => {
      s.timer = undefined;
      this.#patchSeries(s);
    }, wait);
  }

  #patchSeries(s: Series): void {
    if (s.count === s.written) return;
    s.written = s.count;
    s.patchedAt = this.#clock.now();
    const patch = { series: { count: s.count, lastObservedTime: microTime(s.lastAt) } };
    this.#track(
      this.#client
        .mergePatch(CoreResources.Event, s.namespace, s.name, patch)
        .then(() => undefined)
        .catch((err: unknown) =>
          this.#log.warn('Could not update an Event series', { event: s.name, error: err }),
        ),
    );
  }

  /**
   * Resolves when every Event recorded so far has been written (or has failed), series counts
   * waiting for their next patch included.
   */
  async flush(): Promise<void> {
    for (const s of this.#series.values()) {
      if (s.timer) this.#clock.clearTimeout(s.timer);
      s.timer = undefined;
      this.#patchSeries(s);
    }
    await Promise.all([...this.#inFlight]);
  }

  async #send(
    // Unique like client-go's `<name>.<hex nanos>`, plus a counter for Events in the same millisecond.
    name: string,
    regarding: ApiObject,
    type: EventType,
    reason: string,
    note: string,
    action: string,
  ): Promise<void> {
    const now = this.#clock.now();
    const m = regarding.metadata;
    try {
      await this.#client.create(CoreResources.Event, {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name, namespace: m.namespace },
        eventTime: microTime(now),
        type,
        reason,
        action,
        note: note.slice(0, 1024),
        reportingController: this.#controller,
        reportingInstance: this.#instance,
        regarding: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          namespace: m.namespace,
          name: m.name,
          uid: m.uid,
          resourceVersion: m.resourceVersion,
        },
      });
    } catch (err) {
      this.#log.warn('Could not record Event', {
        reason,
        object: `${regarding.kind} ${m.namespace}/${m.name}`,
        error: err,
      });
    }
  }
}
