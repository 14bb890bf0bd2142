/**
 * Kubernetes Events (events.k8s.io/v1) about Kelos objects, so `kubectl describe` and
 * `kubectl events` show what the operator did and why.
 *
 * Recording an Event never fails a reconcile: an Event is information, not state.
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

/** Writes Events about objects. */
export class EventRecorder {
  readonly #client: KubeClient;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #instance: string;
  #seq = 0;

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
  async record(
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
