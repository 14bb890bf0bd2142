/**
 * The durable record of a webhook spawner's deliveries, shared by every receiver replica: one
 * ConfigMap per spawner (`kelos-webhook-<spawner>`, owned by it) holding
 *
 * - `sequence`: the serial number of the last Task created for the spawner. Taking a number
 *   is an optimistic-concurrency write (a merge patch carrying the resourceVersion read), so
 *   two replicas never take the same one and `maxTotalTasks` holds exactly: a delivery gets a
 *   number only while `sequence < maxTotalTasks`.
 * - one key per processed delivery, `d.<hash of the delivery key>` = `<serial>:<r|c>:<unix s>`:
 *   `r` (reserved) when the number was taken, `c` (confirmed) once its Task was created. A
 *   redelivery of a confirmed delivery creates nothing, even after the Task was deleted by
 *   `ttlSecondsAfterFinished`; a reserved one (its receiver died between the write and the
 *   create) is created under the number it already holds. Entries are kept for
 *   {@link LedgerOptions.retentionMs} (GitHub lets a delivery be redelivered for 3 days) and
 *   at most {@link LedgerOptions.maxEntries} of them (oldest dropped first, so a ConfigMap
 *   stays well under the 1 MiB object limit).
 *
 * Writes are grouped: deliveries for one spawner that arrive while a write is in flight go
 * out together in the next one (one API round trip per batch, not per delivery), and
 * confirmations ride along with the next write or a flush shortly after.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { API_VERSION, Labels, type TaskSpawner } from '../../api/index.ts';
import { type ApiObject, isAlreadyExists, isConflict, type KubeClient } from '../../kube/client.ts';
import type { Clock } from '../../kube/clock.ts';
import { Resources } from '../resources.ts';

/** What a delivery may do. */
export type Reservation =
  /** First time: create its Task with this serial number. */
  | { readonly kind: 'new'; readonly seq: number }
  /** Reserved before, never confirmed: create its Task (AlreadyExists means it was). */
  | { readonly kind: 'retry'; readonly seq: number }
  /** Processed before: nothing to do. */
  | { readonly kind: 'done'; readonly seq: number }
  /** `maxTotalTasks` Tasks were created: this delivery creates none. */
  | { readonly kind: 'limit'; readonly total: number; readonly max: number };

/** Options of {@link Ledgers}. */
export interface LedgerOptions {
  readonly client: KubeClient;
  readonly clock: Clock;
  /** How long a processed delivery is remembered. Default 72 h. */
  readonly retentionMs?: number;
  /** Most deliveries remembered per spawner. Default 4096. */
  readonly maxEntries?: number;
  /** Serial number to start from when a spawner has no ledger yet (its existing Tasks). */
  readonly seed?: (spawner: TaskSpawner) => number;
}

interface ConfigMap extends ApiObject {
  data?: Record<string, string>;
}

interface Entry {
  readonly seq: number;
  readonly state: 'r' | 'c';
  readonly at: number;
}

interface State {
  readonly rv: string;
  readonly seq: number;
  readonly entries: Map<string, Entry>;
}

const SEQUENCE_KEY = 'sequence';
const UID_KEY = 'spawner-uid';
const ENTRY_PREFIX = 'd.';

/** The ledger ConfigMap's name for a spawner. */
export const ledgerName = (spawner: string): string => {
  const name = `kelos-webhook-${spawner}`;
  if (name.length <= 253) return name;
  return `${name.slice(0, 244)}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
};

/** The data key of a delivery (hashed: sender ids are not valid ConfigMap keys). */
export const entryKey = (deliveryKey: string): string =>
  `${ENTRY_PREFIX}${createHash('sha256').update(deliveryKey).digest('hex').slice(0, 32)}`;

const format = (e: Entry): string => `${e.seq}:${e.state}:${Math.floor(e.at / 1000)}`;

const parseEntry = (v: string): Entry | undefined => {
  const m = /^(\d+):([rc]):(\d+)$/.exec(v);
  return m ? { seq: Number(m[1]), state: m[2] as 'r' | 'c', at: Number(m[3]) * 1000 } : undefined;
};

const parseState = (cm: ConfigMap): State => {
  const entries = new Map<string, Entry>();
  for (const [k, v] of Object.entries(cm.data ?? {})) {
    if (!k.startsWith(ENTRY_PREFIX)) continue;
    const e = parseEntry(v);
    if (e) entries.set(k, e);
  }
  return {
    rv: cm.metadata.resourceVersion ?? '',
    seq: Number(cm.data?.[SEQUENCE_KEY]) || 0,
    entries,
  };
};

interface Waiter {
  readonly key: string;
  readonly spawner: TaskSpawner;
  readonly resolve: (r: Reservation) => void;
  readonly reject: (e: unknown) => void;
}

/** The ledger of one spawner (by UID) in this process. */
class SpawnerLedger {
  state: State | undefined;
  readonly waiting: Waiter[] = [];
  readonly confirms = new Set<string>();
  running = false;
  flushTimer: ReturnType<typeof setTimeout> | undefined;
}

/** The ledgers of every webhook spawner. */
export class Ledgers {
  readonly #o: LedgerOptions;
  readonly #byUid = new Map<string, SpawnerLedger>();
  /** Ledger writes that lost a race to another replica (a metric for the curious). */
  conflicts = 0;

  constructor(o: LedgerOptions) {
    this.#o = o;
  }

  #ledger(spawner: TaskSpawner): SpawnerLedger {
    const uid = spawner.metadata.uid ?? '';
    let l = this.#byUid.get(uid);
    if (!l) {
      l = new SpawnerLedger();
      this.#byUid.set(uid, l);
    }
    return l;
  }

  /** Decides what the delivery under `deliveryKey` may do, taking a serial number if new. */
  reserve(spawner: TaskSpawner, deliveryKey: string): Promise<Reservation> {
    const l = this.#ledger(spawner);
    return new Promise<Reservation>((resolve, reject) => {
      l.waiting.push({ key: entryKey(deliveryKey), spawner, resolve, reject });
      void this.#run(l);
    });
  }

  /** Marks the delivery's Task as created; written with the next batch or within 200 ms. */
  confirm(spawner: TaskSpawner, deliveryKey: string): void {
    const l = this.#ledger(spawner);
    l.confirms.add(entryKey(deliveryKey));
    this.#scheduleFlush(l, spawner);
  }

  #scheduleFlush(l: SpawnerLedger, spawner: TaskSpawner): void {
    if (l.flushTimer) return;
    l.flushTimer = setTimeout(() => {
      l.flushTimer = undefined;
      void this.#run(l, spawner);
    }, 200);
    l.flushTimer.unref?.();
  }

  /** Forgets spawners not in `uids` (deleted ones). */
  retain(uids: ReadonlySet<string>): void {
    for (const uid of this.#byUid.keys()) if (!uids.has(uid)) this.#byUid.delete(uid);
  }

  async #run(l: SpawnerLedger, spawnerForFlush?: TaskSpawner): Promise<void> {
    if (l.running) {
      // The running loop takes the confirmations along with its next batch, or flushes later.
      if (spawnerForFlush && l.confirms.size > 0) this.#scheduleFlush(l, spawnerForFlush);
      return;
    }
    l.running = true;
    let first = true;
    try {
      // Reservations are written at once; confirmations alone wait for the flush timer, so a
      // burst does not spend a write on each.
      while (l.waiting.length > 0 || (first && l.confirms.size > 0)) {
        first = false;
        const batch = l.waiting.splice(0);
        const spawner = batch[batch.length - 1]?.spawner ?? spawnerForFlush;
        if (!spawner) break;
        const confirms = [...l.confirms];
        l.confirms.clear();
        try {
          const decided = await this.#commit(l, spawner, batch, confirms);
          for (const [i, w] of batch.entries()) w.resolve(decided[i]!);
        } catch (e) {
          for (const c of confirms) l.confirms.add(c);
          for (const w of batch) w.reject(e);
          if (l.confirms.size > 0) this.#scheduleFlush(l, spawner);
        }
      }
    } finally {
      l.running = false;
    }
  }

  async #commit(
    l: SpawnerLedger,
    spawner: TaskSpawner,
    batch: readonly Waiter[],
    confirms: readonly string[],
  ): Promise<Reservation[]> {
    const { client, clock } = this.#o;
    const namespace = spawner.metadata.namespace ?? '';
    const name = ledgerName(spawner.metadata.name ?? '');
    for (let attempt = 0; ; attempt++) {
      const state = l.state ?? (await this.#load(spawner));
      const now = clock.now();
      const max = spawner.spec.maxTotalTasks ?? 0;
      const entries = new Map(state.entries);
      const data: Record<string, string | null> = {};
      let seq = state.seq;
      const out: Reservation[] = [];
      for (const w of batch) {
        const e = entries.get(w.key);
        if (e) out.push(e.state === 'c' ? { kind: 'done', seq: e.seq } : { kind: 'retry', seq: e.seq });
        else if (max > 0 && seq >= max) out.push({ kind: 'limit', total: seq, max });
        else {
          seq++;
          const entry: Entry = { seq, state: 'r', at: now };
          entries.set(w.key, entry);
          data[w.key] = format(entry);
          out.push({ kind: 'new', seq });
        }
      }
      for (const k of confirms) {
        const e = entries.get(k);
        if (e?.state === 'r') {
          const c: Entry = { ...e, state: 'c' };
          entries.set(k, c);
          data[k] = format(c);
        }
      }
      for (const k of this.#evictions(entries, now)) data[k] = null;
      if (Object.keys(data).length === 0) return out;
      data[SEQUENCE_KEY] = String(seq);
      try {
        const written = await client.mergePatch<ConfigMap>(
          Resources.ConfigMap,
          namespace,
          name,
          { data },
          { resourceVersion: state.rv },
        );
        l.state = parseState(written);
        return out;
      } catch (e) {
        l.state = undefined;
        if (!isConflict(e) || attempt >= 20) throw e;
        this.conflicts++;
      }
    }
  }

  /** Keys past retention, then the oldest beyond the bound. */
  #evictions(entries: Map<string, Entry>, now: number): string[] {
    const retention = this.#o.retentionMs ?? 72 * 3600_000;
    const max = this.#o.maxEntries ?? 4096;
    const out: string[] = [];
    for (const [k, e] of entries) {
      if (now - e.at > retention) {
        out.push(k);
        entries.delete(k);
      }
    }
    if (entries.size > max) {
      const oldest = [...entries].sort((a, b) => a[1].at - b[1].at).slice(0, entries.size - max);
      for (const [k] of oldest) {
        out.push(k);
        entries.delete(k);
      }
    }
    return out;
  }

  async #load(spawner: TaskSpawner): Promise<State> {
    const { client } = this.#o;
    const namespace = spawner.metadata.namespace ?? '';
    const name = ledgerName(spawner.metadata.name ?? '');
    const uid = spawner.metadata.uid ?? '';
    for (let attempt = 0; attempt < 5; attempt++) {
      const cm = await client.get<ConfigMap>(Resources.ConfigMap, namespace, name);
      if (cm && cm.data?.[UID_KEY] === uid) return parseState(cm);
      if (cm) {
        // Left by an earlier spawner of the same name (garbage collection pending): start over.
        await client.delete(Resources.ConfigMap, namespace, name, { uid: cm.metadata.uid });
        continue;
      }
      try {
        const created = await client.create<ConfigMap>(Resources.ConfigMap, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name,
            namespace,
            labels: { [Labels.TaskSpawner]: spawner.metadata.name ?? '' },
            ownerReferences: [
              {
                apiVersion: API_VERSION,
                kind: 'TaskSpawner',
                name: spawner.metadata.name ?? '',
                uid,
                blockOwnerDeletion: false,
              },
            ],
          },
          data: { [UID_KEY]: uid, [SEQUENCE_KEY]: String(this.#o.seed?.(spawner) ?? 0) },
        });
        return parseState(created);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
    throw new Error(`ConfigMap ${namespace}/${name}: could not be read or created`);
  }
}
