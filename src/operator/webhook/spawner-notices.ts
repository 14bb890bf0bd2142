/**
 * What the receiver tells about a spawner besides the HTTP answer: a `TaskCreated` Event for
 * the Tasks it created — at once for the first, then at most one a second per spawner naming
 * those created since (an Event per Task doubled the API server's writes per delivery: 1.00
 * Event create per Task create in issue 14's bench) — a Warning Event when deliveries are refused (queue full), not turned into a Task
 * (`maxTotalTasks`), unusable (template, collision), rendered into a Task that cannot run (a
 * branch git refuses), cannot be verified for a fault of the
 * spawner's setup (its Secret), or cannot be judged because what its filters need beyond the
 * body (a pull request's files, a Linear issue's labels) could not be fetched, or were dropped
 * because its Secret could not be read — at most one per spawner and reason
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
import type { Clock, TimerHandle } from '../../kube/clock.ts';
import type { EventRecorder } from '../../kube/events.ts';
import type { Logger } from '../../kube/log.ts';
import { Resources } from '../resources.ts';
import type { Outcome } from './deliver.ts';

/** Shortest time between two Warning Events of one spawner and reason. */
export const EVENT_INTERVAL_MS = 10_000;

/** Shortest time between two `TaskCreated` Events of one spawner. */
export const CREATED_INTERVAL_MS = 1_000;

/** Task names a grouped `TaskCreated` Event lists (an Event's note holds 1 kB). */
const NAMES_LISTED = 5;

const WARNINGS: Partial<Record<Outcome['outcome'], string>> = {
  'queue-full': 'WebhookQueueFull',
  'over-limit': 'MaxTotalTasksReached',
  invalid: 'WebhookDeliveryInvalid',
  rejected: 'WebhookDeliveryRejected',
  failed: 'WebhookDeliveryFailed',
};

interface Created {
  spawner: TaskSpawner;
  names: Array<{ readonly task: string; readonly made: CreatedFor | undefined }>;
  count: number;
  last: number;
  timer?: TimerHandle;
}

interface Pending {
  spawner: TaskSpawner;
  refused: number;
  overLimit: number;
  /** Tasks the ledger recorded (spawners without `maxTotalTasks`, whose Tasks carry no serial). */
  total?: number;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * What a created Task was made for, for its `TaskCreated` Event: the source item
 * (`kelos.dev/source-item`: `acme/widgets#12`, `ENG-123`, a generic id), else the sender's
 * delivery id. A webhook Task's name is often a hash, so the Event is where its owner finds
 * which item it is for.
 */
export interface CreatedFor {
  readonly item?: string;
  readonly delivery?: string;
}

/** `item ENG-123`, as the polling sources' Events say it; else the delivery. */
const forWhat = (f: CreatedFor | undefined): string =>
  f?.item ? `item ${f.item}` : f?.delivery ? `webhook delivery ${f.delivery}` : 'a webhook delivery';

/** Events and status counts of the receiver. */
export class SpawnerNotices {
  readonly #client: KubeClient;
  readonly #events: EventRecorder;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #lastEvent = new Map<string, number>();
  readonly #pending = new Map<string, Pending>();
  readonly #created = new Map<string, Created>();
  /** Counts this process last wrote, in case the cache has not caught up with them. */
  readonly #written = new Map<string, { refused: number; overLimit: number }>();

  constructor(client: KubeClient, events: EventRecorder, clock: Clock, log: Logger) {
    this.#client = client;
    this.#events = events;
    this.#clock = clock;
    this.#log = log;
  }

  /** Takes note of what became of a delivery for `spawner`; `made` says what a created Task is for. */
  note(spawner: TaskSpawner, out: Outcome, made?: CreatedFor): void {
    if (out.outcome === 'created') {
      this.#noteCreated(spawner, out.task, made);
      return;
    }
    const reason = WARNINGS[out.outcome];
    if (!reason) return;
    this.#warn(spawner, reason, 'reason' in out ? out.reason : reason);
    if (out.outcome === 'queue-full' || out.outcome === 'over-limit') this.#count(spawner, out.outcome);
  }

  /**
   * Takes note that deliveries for `spawner` cannot be verified for a fault of its setup (its
   * Secret is missing or has no key; unsigned deliveries are not allowed): the sender only
   * hears 401, so this Event is where the spawner's owner learns why.
   */
  cannotVerify(spawner: TaskSpawner, why: string): void {
    this.#warn(spawner, 'WebhookCannotVerify', `deliveries are refused with 401: ${why}`);
  }

  /**
   * Takes note that what a spawner's filters need beyond the body (a pull request's files, a
   * Linear issue's labels) could not be fetched: the sender was asked to retry.
   */
  enrichmentFailed(spawner: TaskSpawner, why: string): void {
    this.#warn(spawner, 'WebhookEnrichmentFailed', why);
  }

  /**
   * Takes note that a delivery other spawners took was not delivered to `spawner`, because its
   * Secret could not be read while it was held (`note` says which and why): the sender heard a
   * 2xx, so the spawner's owner is the one to have it sent again.
   */
  dropped(spawner: TaskSpawner, note: string): void {
    this.#warn(spawner, 'WebhookDeliveryDropped', note);
  }

  #warn(spawner: TaskSpawner, reason: string, note: string): void {
    const key = `${spawner.metadata.uid}/${reason}`;
    const now = this.#clock.now();
    if (now - (this.#lastEvent.get(key) ?? -Infinity) < EVENT_INTERVAL_MS) return;
    this.#lastEvent.set(key, now);
    this.#events.record(spawner, 'Warning', reason, note, 'Spawn');
  }

  #noteCreated(spawner: TaskSpawner, task: string, made: CreatedFor | undefined): void {
    const uid = spawner.metadata.uid ?? '';
    const now = this.#clock.now();
    let c = this.#created.get(uid);
    if (!c) {
      c = { spawner, names: [], count: 0, last: -Infinity };
      this.#created.set(uid, c);
    }
    c.spawner = spawner;
    if (c.count === 0 && now - c.last >= CREATED_INTERVAL_MS) {
      c.last = now;
      this.#events.record(
        spawner,
        'Normal',
        'TaskCreated',
        `Created Task ${task} for ${forWhat(made)}`,
        'Spawn',
      );
      return;
    }
    c.count++;
    if (c.names.length < NAMES_LISTED) c.names.push({ task, made });
    if (!c.timer) {
      const created = c;
      c.timer = this.#clock.setTimeout(() => this.#flushCreated(created), c.last + CREATED_INTERVAL_MS - now);
    }
  }

  #flushCreated(c: Created): void {
    if (c.timer) this.#clock.clearTimeout(c.timer);
    c.timer = undefined;
    if (c.count === 0) return;
    const more = c.count > c.names.length ? ` and ${c.count - c.names.length} more` : '';
    const listed = c.names.map(({ task, made }) => {
      const of = made?.item ?? made?.delivery;
      return of ? `${task} (${of})` : task;
    });
    const only = c.names[0];
    const note =
      c.count === 1 && only
        ? `Created Task ${only.task} for ${forWhat(only.made)}`
        : `Created ${c.count} Tasks for webhook deliveries: ${listed.join(', ')}${more}`;
    this.#events.record(c.spawner, 'Normal', 'TaskCreated', note, 'Spawn');
    c.last = this.#clock.now();
    c.count = 0;
    c.names = [];
  }

  /**
   * Takes note of the Tasks the ledger recorded for a spawner without `maxTotalTasks`: written
   * as `status.totalTasksCreated` (its Tasks carry no serial number to count them by).
   */
  recorded(spawner: TaskSpawner, total: number): void {
    const p = this.#pendingOf(spawner);
    p.total = Math.max(p.total ?? 0, total);
    this.#schedule(p);
  }

  #pendingOf(spawner: TaskSpawner): Pending {
    const uid = spawner.metadata.uid ?? '';
    let p = this.#pending.get(uid);
    if (!p) {
      p = { spawner, refused: 0, overLimit: 0 };
      this.#pending.set(uid, p);
    }
    p.spawner = spawner;
    return p;
  }

  #count(spawner: TaskSpawner, what: 'queue-full' | 'over-limit'): void {
    const p = this.#pendingOf(spawner);
    if (what === 'queue-full') p.refused++;
    else p.overLimit++;
    this.#schedule(p);
  }

  #schedule(p: Pending): void {
    const uid = p.spawner.metadata.uid ?? '';
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
    if ((p.total ?? 0) > (st.totalTasksCreated ?? 0)) status['totalTasksCreated'] = p.total ?? 0;
    if (Object.keys(status).length === 0) return;
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

  /** Records the grouped `TaskCreated` Events now and drops pending status writes (shutdown). */
  stop(): void {
    for (const c of this.#created.values()) this.#flushCreated(c);
    for (const p of this.#pending.values()) if (p.timer) clearTimeout(p.timer);
    this.#pending.clear();
  }
}
