/**
 * Kubernetes Events (events.k8s.io/v1) about Kelos objects, so `kubectl describe` and
 * `kubectl events` show what the operator did and why.
 *
 * Recording an Event never fails or slows a reconcile: an Event is information, not state.
 * Events are sent in the background (the worker moves on to the next key), at most
 * {@link MAX_EVENTS_IN_FLIGHT} at a time; beyond that they are dropped with a warning, as
 * client-go's broadcaster drops them when its queue is full.
 *
 * @packageDocumentation
 */
import type { Clock } from './clock.ts';
import { type ApiObject, type KubeClient, Resources } from './kube.ts';
import type { Logger } from './log.ts';

/** `reportingController` of every Event we write. */
export const REPORTING_CONTROLLER = 'kelos.dev/operator';

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
  #seq = 0;
  readonly #inFlight = new Set<Promise<void>>();
  /** Events dropped because too many were in flight. */
  dropped = 0;

  /** @param instance - `reportingInstance`: the operator's identity (pod name or host). */
  constructor(client: KubeClient, clock: Clock, log: Logger, instance: string) {
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
      await this.#client.create(Resources.Event, {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name, namespace: m.namespace },
        eventTime: microTime(now),
        type,
        reason,
        action,
        note: note.slice(0, 1024),
        reportingController: REPORTING_CONTROLLER,
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
