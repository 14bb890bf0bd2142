/**
 * What the receiver tells about a spawner besides the HTTP answer: an Event per created Task,
 * a Warning Event when deliveries are refused (queue full), not turned into a Task
 * (`maxTotalTasks`) or unusable (template, collision) — at most one per spawner and reason
 * every {@link EVENT_INTERVAL_MS}, so a flood of refusals is not a flood of Events — and the
 * counts `status.webhookDeliveriesRefused` / `status.webhookDeliveriesOverLimit`, written at
 * most once a second per spawner.
 *
 * The counts are added to what the cache shows, so two replicas writing at the same moment
 * may under-count by what the other one added in that second; they inform, they gate nothing.
 *
 * @packageDocumentation
 */
import type { TaskSpawner } from '../../api/index.ts';
import type { KubeClient } from '../../kube/client.ts';
import type { Clock } from '../../kube/clock.ts';
import type { EventRecorder } from '../../kube/events.ts';
import type { Logger } from '../../kube/log.ts';
import { Resources } from '../resources.ts';
import type { Outcome } from './deliver.ts';

/** Shortest time between two Warning Events of one spawner and reason. */
export const EVENT_INTERVAL_MS = 10_000;

const WARNINGS: Partial<Record<Outcome['outcome'], string>> = {
  'queue-full': 'WebhookQueueFull',
  'over-limit': 'MaxTotalTasksReached',
  invalid: 'WebhookDeliveryInvalid',
  failed: 'WebhookDeliveryFailed',
};

interface Pending {
  spawner: TaskSpawner;
  refused: number;
  overLimit: number;
  timer?: ReturnType<typeof setTimeout>;
}

/** Events and status counts of the receiver. */
export class SpawnerNotices {
  readonly #client: KubeClient;
  readonly #events: EventRecorder;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #lastEvent = new Map<string, number>();
  readonly #pending = new Map<string, Pending>();
  /** Counts this process last wrote, in case the cache has not caught up with them. */
  readonly #written = new Map<string, { refused: number; overLimit: number }>();

  constructor(client: KubeClient, events: EventRecorder, clock: Clock, log: Logger) {
    this.#client = client;
    this.#events = events;
    this.#clock = clock;
    this.#log = log;
  }

  /** Takes note of what became of a delivery for `spawner`. */
  note(spawner: TaskSpawner, out: Outcome): void {
    if (out.outcome === 'created') {
      this.#events.record(
        spawner,
        'Normal',
        'TaskCreated',
        `Created Task ${out.task} for a webhook delivery`,
        'Spawn',
      );
      return;
    }
    const reason = WARNINGS[out.outcome];
    if (!reason) return;
    const key = `${spawner.metadata.uid}/${reason}`;
    const now = this.#clock.now();
    if (now - (this.#lastEvent.get(key) ?? -Infinity) >= EVENT_INTERVAL_MS) {
      this.#lastEvent.set(key, now);
      this.#events.record(spawner, 'Warning', reason, 'reason' in out ? out.reason : reason, 'Spawn');
    }
    if (out.outcome === 'queue-full' || out.outcome === 'over-limit') this.#count(spawner, out.outcome);
  }

  #count(spawner: TaskSpawner, what: 'queue-full' | 'over-limit'): void {
    const uid = spawner.metadata.uid ?? '';
    let p = this.#pending.get(uid);
    if (!p) {
      p = { spawner, refused: 0, overLimit: 0 };
      this.#pending.set(uid, p);
    }
    p.spawner = spawner;
    if (what === 'queue-full') p.refused++;
    else p.overLimit++;
    if (!p.timer) {
      p.timer = setTimeout(() => void this.#flush(uid), 1_000);
      p.timer.unref?.();
    }
  }

  async #flush(uid: string): Promise<void> {
    const p = this.#pending.get(uid);
    if (!p) return;
    this.#pending.delete(uid);
    const st = p.spawner.status ?? {};
    const last = this.#written.get(uid) ?? { refused: 0, overLimit: 0 };
    const next = {
      refused: Math.max(st.webhookDeliveriesRefused ?? 0, last.refused) + p.refused,
      overLimit: Math.max(st.webhookDeliveriesOverLimit ?? 0, last.overLimit) + p.overLimit,
    };
    this.#written.set(uid, next);
    const status: Record<string, number> = {};
    if (p.refused) status['webhookDeliveriesRefused'] = next.refused;
    if (p.overLimit) status['webhookDeliveriesOverLimit'] = next.overLimit;
    try {
      await this.#client.mergePatch(
        Resources.TaskSpawner,
        p.spawner.metadata.namespace,
        p.spawner.metadata.name ?? '',
        { metadata: { uid }, status },
        { subresource: 'status' },
      );
    } catch (e) {
      this.#log.debug('Webhook counts not written to the TaskSpawner status', { error: e });
    }
  }

  /** Drops pending writes (shutdown). */
  stop(): void {
    for (const p of this.#pending.values()) if (p.timer) clearTimeout(p.timer);
    this.#pending.clear();
  }
}
