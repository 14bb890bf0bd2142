/**
 * Kubernetes Events (events.k8s.io/v1) about the objects a controller manages, so
 * `kubectl describe` and `kubectl events` show what it did and why.
 *
 * Recording an Event never fails or slows a reconcile: an Event is information, not state.
 * Events are sent in the background (the worker moves on to the next key), at most
 * {@link MAX_EVENTS_IN_FLIGHT} at a time; beyond that they are dropped with a warning, as
 * client-go's broadcaster drops them when its queue is full.
 *
 * @packageDocumentation
 */

import { type ApiObject, CoreResources, type KubeClient } from './client.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './log.ts';

/** Normal or Warning, as Kubernetes defines them. */
export type EventType = 'Normal' | 'Warning';

/** Formats a time as a `metav1.MicroTime` (RFC 3339 with microseconds). */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** Events being sent at once before new ones are dropped. */
export const MAX_EVENTS_IN_FLIGHT = 256;

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
    if (this.#inFlight.size >= MAX_EVENTS_IN_FLIGHT) {
      this.dropped++;
      const object = `${regarding.kind} ${regarding.metadata.namespace}/${regarding.metadata.name}`;
      this.#log.warn('Dropped Event: too many in flight', { reason, object });
      return;
    }
    const sending = this.#send(regarding, type, reason, note, action);
    this.#inFlight.add(sending);
    void sending.finally(() => this.#inFlight.delete(sending));
  }

  /** Resolves when every Event recorded so far has been written (or has failed). */
  async flush(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }

  async #send(
    regarding: ApiObject,
    type: EventType,
    reason: string,
    note: string,
    action: string,
  ): Promise<void> {
    const now = this.#clock.now();
    const m = regarding.metadata;
    // Unique like client-go's `<name>.<hex nanos>`, plus a counter for Events in the same millisecond.
    const name = `${m.name}.${(now * 1000 + (this.#seq++ % 1000)).toString(16)}`;
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
