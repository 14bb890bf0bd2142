/**
 * The durable record of a webhook spawner's deliveries, shared by every receiver replica: one
 * live ConfigMap per spawner (`kelos-webhook-<spawner>`, owned by it) holding
 *
 * - `sequence`: the serial number of the last Task recorded for the spawner. Every write is
 *   an optimistic-concurrency write (a merge patch carrying the resourceVersion read), so two
 *   replicas never take the same number.
 * - `entries`: one line per processed delivery, `<hash of the delivery key> <serial> <r|c>
 *   <unix s>`: `r` (reserved) when the number was taken before the create, `c` (confirmed)
 *   once its Task was created. A redelivery of a confirmed delivery creates nothing, even
 *   after the Task was deleted by `ttlSecondsAfterFinished`; a reserved one (its receiver died
 *   between the write and the create) is created under the number it already holds.
 * - `archives`: the names of sealed archive ConfigMaps (`kelos-webhook-<spawner>-<hash>`,
 *   immutable, owned by the spawner) that hold older confirmed entries.
 *
 * Entries are kept for {@link LedgerOptions.retentionMs} (GitHub lets a delivery be
 * redelivered for 3 days) and at most {@link LedgerOptions.maxEntries} of them (oldest archive
 * dropped first).
 *
 * Two paths, and why (issue 14's bench; figures in bench/README.md):
 *
 * - With `maxTotalTasks`, {@link Ledgers.reserve} writes before the create: a delivery gets a
 *   number only while `sequence < maxTotalTasks`, so the cap is exact across replicas. That
 *   costs a second API round trip in each delivery's answer.
 * - Without it, {@link Ledgers.check} answers without a write (from the ledger this process
 *   last read or wrote, re-read when older than {@link FRESH_MS}); the Task is created with
 *   no serial number, its deterministic name making a delivery one Task while the Task exists
 *   (AlreadyExists), and {@link Ledgers.confirm} records it with the next number in a grouped
 *   write within about 200 ms. At a fixed number of requests in flight, the rate is that
 *   number over the latency: with a write before every create, accepted deliveries ran at
 *   0.40x-0.46x the rate of creating the Tasks directly however cheap the write.
 *
 * A receiver killed after the create and before its record (or confirmation) leaves the Task
 * the only trace of the delivery. So a webhook Task carries its delivery's key
 * (`kelos.dev/webhook-delivery`), and before its finalizer lets it go (TTL or a delete) the
 * Task reconciler calls {@link Ledgers.record} (task-delivery.ts): a read, and only after such
 * a crash a write, the Task then kept {@link FRESH_MS} longer for receivers answering from an
 * older read. A redelivery after the deletion finds the record on every replica.
 *
 * The entries are one data key. The first ledger kept one key per delivery: the object and
 * its managedFields (which list every key a manager wrote) grew with every delivery, and on
 * loopback a patch adding 8 keys took 41 ms at 500 entries and 259 ms at 4,000 (one data
 * key: 11 ms and 29 ms; a Task create 4.5 ms); accepted deliveries ran at 0.18x-0.42x the
 * direct rate. Confirmed entries also move, every {@link SEAL_AT}, into an archive named
 * after the hash of its content: a create that two replicas may both make (same content,
 * same name, AlreadyExists is fine) and nobody rewrites, so a replica reads an archive once
 * and keeps it, and the live object stays under about 10 kB. A replica whose conditional
 * write lost leaves its archive unreferenced; it goes with the spawner (owner reference).
 *
 * Writes are grouped: deliveries for one spawner that arrive while a write is in flight go
 * out together in the next one (one API round trip per batch, not per delivery), and
 * confirmations ride along with the next write or a flush shortly after.
 *
 * @packageDocumentation
 */
import { API_VERSION, Labels, type TaskSpawner } from '../../api/index.ts';
import { isAlreadyExists, isConflict, isNotFound, type KubeClient } from '../../kube/client.ts';
import type { Clock } from '../../kube/clock.ts';
import type { Informer } from '../../kube/informer.ts';
import { Resources } from '../resources.ts';
import {
  ARCHIVES_KEY,
  type Archive,
  archiveOf,
  type ConfigMap,
  ENTRIES_KEY,
  type Entry,
  entryKey,
  formatEntries,
  ledgerName,
  parseEntries,
  parseState,
  SEQUENCE_KEY,
  type State,
  sha256,
  UID_KEY,
} from './ledger-format.ts';

export { entryKey, ledgerName } from './ledger-format.ts';

/** What a delivery may do. */
export type Reservation =
  /** First time: create its Task with this serial number. */
  | { readonly kind: 'new'; readonly seq: number }
  /** Reserved before, never confirmed: create its Task (AlreadyExists means it was). */
  | { readonly kind: 'retry'; readonly seq: number }
  /** Processed before: nothing to do (`seq` 0: created here, its record still being written). */
  | { readonly kind: 'done'; readonly seq: number }
  /** `maxTotalTasks` Tasks were created: this delivery creates none. */
  | { readonly kind: 'limit'; readonly total: number; readonly max: number }
  /**
   * Not seen (a spawner without `maxTotalTasks`): create its Task, then {@link Ledgers.confirm}
   * records it and takes its serial number.
   */
  | { readonly kind: 'unnumbered' };

/** Options of {@link Ledgers}. */
export interface LedgerOptions {
  readonly client: KubeClient;
  readonly clock: Clock;
  /** How long a processed delivery is remembered. Default 72 h. */
  readonly retentionMs?: number;
  /** Most deliveries remembered per spawner. Default 4096. */
  readonly maxEntries?: number;
  /** Confirmed entries the live object holds before they are sealed into an archive. Default {@link SEAL_AT}. */
  readonly sealAt?: number;
  /** Serial number to start from when a spawner has no ledger yet (its existing Tasks). */
  readonly seed?: (spawner: TaskSpawner) => number;
  /** Called after a write of a spawner without `maxTotalTasks` with its Tasks recorded so far. */
  readonly onRecorded?: (spawner: TaskSpawner, total: number) => void;
  /**
   * The spawner cache: a deleted spawner's ledger is forgotten (its ConfigMap goes with it, by
   * owner reference), so a long-running receiver holds only the ledgers of spawners that exist.
   */
  readonly spawners?: Pick<Informer<TaskSpawner>, 'onChange'>;
}

/** How old the ledger this process read or wrote may be when {@link Ledgers.check} answers from it. */
export const FRESH_MS = 1_000;

/** Confirmed entries kept in the live object before they are sealed into an archive. */
export const SEAL_AT = 256;

interface Waiter {
  readonly key: string;
  readonly spawner: TaskSpawner;
  /** From {@link Ledgers.record}: the Task exists (this serial number, 0 if none); confirm, never reserve. */
  readonly created?: number;
  readonly resolve: (r: Reservation) => void;
  readonly reject: (e: unknown) => void;
}

/** The ledger of one spawner (by UID) in this process. */
class SpawnerLedger {
  state: State | undefined;
  /** When `state` was read or written (clock ms). */
  stateAt = 0;
  /** A read of the live object in flight ({@link Ledgers.check}). */
  reading: Promise<State> | undefined;
  /** Archives read or written, by name: sealed, so never re-read. */
  readonly archived = new Map<string, Archive>();
  readonly waiting: Waiter[] = [];
  readonly confirms = new Set<string>();
  /** Confirmations in the write in flight. */
  writing: ReadonlySet<string> = new Set();
  running = false;
  flushTimer: ReturnType<typeof setTimeout> | undefined;

  lookup(state: State, live: ReadonlyMap<string, Entry>, key: string): Entry | undefined {
    const e = live.get(key);
    if (e) return e;
    for (const name of state.archives) {
      const a = this.archived.get(name)?.entries.get(key);
      if (a) return a;
    }
    return undefined;
  }
}

/** The ledgers of every webhook spawner. */
export class Ledgers {
  readonly #o: LedgerOptions;
  readonly #byUid = new Map<string, SpawnerLedger>();
  /** When {@link Ledgers.record} wrote an entry (`<spawner uid> <key>`, clock ms), for {@link FRESH_MS}. */
  readonly #recorded = new Map<string, number>();
  /** Ledger writes that lost a race to another replica (a metric for the curious). */
  conflicts = 0;

  constructor(o: LedgerOptions) {
    this.#o = o;
    o.spawners?.onChange((type, _key, spawner) => {
      if (type === 'delete') this.#byUid.delete(spawner.metadata.uid ?? '');
    });
  }

  /** Spawners whose ledger this process holds. */
  get size(): number {
    return this.#byUid.size;
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

  /**
   * What the delivery under `deliveryKey` may do, for a spawner without `maxTotalTasks`,
   * without a write: `done`/`retry` when the ledger knows it, else `unnumbered`. Under load
   * it answers without a read too: every write returns the object.
   */
  async check(spawner: TaskSpawner, deliveryKey: string): Promise<Reservation> {
    const l = this.#ledger(spawner);
    const key = entryKey(deliveryKey);
    // Its Task was created here and its record is on the way (its Task deleted by hand
    // within that moment): processed.
    if (l.confirms.has(key) || l.writing.has(key)) return { kind: 'done', seq: 0 };
    const state = await this.#fresh(l, spawner);
    const e = l.lookup(state, state.live, key);
    if (!e) return { kind: 'unnumbered' };
    return e.state === 'c' ? { kind: 'done', seq: e.seq } : { kind: 'retry', seq: e.seq };
  }

  /**
   * Whether `maxTotalTasks` leaves no number for the delivery under `deliveryKey`: the ledger
   * (as {@link Ledgers.check} reads it, without a write) does not know the delivery and its
   * sequence reached the cap. A delivery it knows (reserved, or done) is never exhausted.
   */
  async exhausted(
    spawner: TaskSpawner,
    deliveryKey: string,
  ): Promise<{ readonly total: number; readonly max: number } | undefined> {
    const max = spawner.spec.maxTotalTasks ?? 0;
    if (max <= 0) return undefined;
    const l = this.#ledger(spawner);
    const key = entryKey(deliveryKey);
    if (l.confirms.has(key) || l.writing.has(key)) return undefined;
    const state = await this.#fresh(l, spawner);
    if (l.lookup(state, state.live, key)) return undefined;
    return state.seq >= max ? { total: state.seq, max } : undefined;
  }

  /**
   * Makes sure the ledger holds the delivery under `key` (an {@link entryKey}; `seq` its Task's
   * serial number if any) as processed, before its Task is deleted: a write only when it is
   * missing or reserved. Resolves to the ms the Task must still be kept (0 if it was there).
   */
  async record(spawner: TaskSpawner, key: string, seq = 0): Promise<number> {
    const l = this.#ledger(spawner);
    const id = `${spawner.metadata.uid ?? ''} ${key}`;
    const now = this.#o.clock.now();
    for (const [k, at] of this.#recorded) if (now - at > FRESH_MS) this.#recorded.delete(k);
    const wrote = this.#recorded.get(id);
    if (wrote !== undefined) return Math.max(1, wrote + FRESH_MS - now);
    const known = (s: State | undefined) => !!s && l.lookup(s, s.live, key)?.state === 'c';
    if (known(l.state) || known(await this.#fresh(l, spawner))) return 0;
    await new Promise<Reservation>((resolve, reject) => {
      l.waiting.push({ key, spawner, created: seq, resolve, reject });
      void this.#run(l);
    });
    this.#recorded.set(id, this.#o.clock.now());
    return FRESH_MS;
  }

  /** The ledger as last read or written if at most {@link FRESH_MS} old, else read once for all waiting. */
  async #fresh(l: SpawnerLedger, spawner: TaskSpawner): Promise<State> {
    if (l.state && this.#o.clock.now() - l.stateAt <= FRESH_MS) return l.state;
    if (!l.reading) {
      const began = this.#o.clock.now();
      l.reading = this.#load(l, spawner).finally(() => {
        l.reading = undefined;
      });
      const read = await l.reading;
      // A write that landed meanwhile is at least as new: keep it.
      if (l.stateAt <= began) {
        l.state = read;
        l.stateAt = began;
      }
    } else await l.reading;
    return l.state ?? (await this.#load(l, spawner));
  }

  /**
   * Marks the delivery's Task as created; written with the next batch or within 200 ms. For a
   * spawner without `maxTotalTasks`, a delivery the ledger does not know yet is recorded and
   * takes the next serial number (once, whichever replica writes it first).
   */
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
        l.writing = new Set(confirms);
        try {
          const decided = await this.#commit(l, spawner, batch, confirms);
          for (const [i, w] of batch.entries()) w.resolve(decided[i]!);
        } catch (e) {
          for (const c of confirms) l.confirms.add(c);
          for (const w of batch) w.reject(e);
          if (l.confirms.size > 0) this.#scheduleFlush(l, spawner);
        }
        l.writing = new Set();
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
      const state = l.state ?? (await this.#load(l, spawner));
      const now = clock.now();
      const max = spawner.spec.maxTotalTasks ?? 0;
      const live = new Map(state.live);
      let dirty = state.legacy.length > 0;
      let seq = state.seq;
      const out: Reservation[] = [];
      for (const w of batch) {
        const e = l.lookup(state, live, w.key);
        if (w.created !== undefined) {
          const c: Entry = e ?? { seq: w.created || ++seq, state: 'c', at: now };
          seq = Math.max(seq, c.seq);
          if (c.state !== 'c' || !e) {
            live.set(w.key, { ...c, state: 'c' });
            dirty = true;
          }
          out.push({ kind: 'done', seq: c.seq });
        } else if (e)
          out.push(e.state === 'c' ? { kind: 'done', seq: e.seq } : { kind: 'retry', seq: e.seq });
        else if (max > 0 && seq >= max) out.push({ kind: 'limit', total: seq, max });
        else {
          seq++;
          live.set(w.key, { seq, state: 'r', at: now });
          dirty = true;
          out.push({ kind: 'new', seq });
        }
      }
      for (const k of confirms) {
        const e = l.lookup(state, live, k);
        if (e?.state === 'r') live.set(k, { ...e, state: 'c' });
        else if (!e && max === 0) live.set(k, { seq: ++seq, state: 'c', at: now });
        else continue;
        dirty = true;
      }
      const archives = this.#evict(l, state.archives, live, now);
      if (archives.length !== state.archives.length) dirty = true;
      const sealed = await this.#seal(l, spawner, live);
      if (sealed) {
        archives.push(sealed);
        dirty = true;
      }
      if (!dirty) return out;
      const data: Record<string, string | null> = {
        [SEQUENCE_KEY]: String(seq),
        [ENTRIES_KEY]: formatEntries(live),
        [ARCHIVES_KEY]: archives.join(' '),
      };
      for (const k of state.legacy) data[k] = null;
      try {
        const written = await client.mergePatch<ConfigMap>(
          Resources.ConfigMap,
          namespace,
          name,
          { data },
          { resourceVersion: state.rv },
        );
        l.state = parseState(written);
        l.stateAt = clock.now();
        if (max === 0) this.#o.onRecorded?.(spawner, seq);
      } catch (e) {
        l.state = undefined;
        if (!isConflict(e) || attempt >= 20) throw e;
        this.conflicts++;
        continue;
      }
      for (const gone of state.archives.filter((a) => !archives.includes(a))) {
        l.archived.delete(gone);
        // Best effort: an archive left behind goes with the spawner. Only one it sealed: the
        // archives key is the ledger's data, which anyone who may edit ConfigMaps there can
        // point at another ConfigMap.
        const archive = await client
          .get<ConfigMap>(Resources.ConfigMap, namespace, gone)
          .catch(() => undefined);
        if (archive && ledgerOwner(archive, spawner.metadata.name ?? '') === spawner.metadata.uid)
          await client
            .delete(Resources.ConfigMap, namespace, gone, { uid: archive.metadata.uid })
            .catch(() => undefined);
      }
      return out;
    }
  }

  /**
   * Drops live entries past retention and archives whose newest entry is; then, beyond
   * `maxEntries`, the oldest archives and after them the oldest live entries. Returns the
   * archives kept; changes `live` in place.
   */
  #evict(l: SpawnerLedger, archives: readonly string[], live: Map<string, Entry>, now: number): string[] {
    const retention = this.#o.retentionMs ?? 72 * 3600_000;
    const max = this.#o.maxEntries ?? 4096;
    for (const [k, e] of live) if (now - e.at > retention) live.delete(k);
    const kept = archives.filter((a) => now - (l.archived.get(a)?.newest ?? 0) <= retention);
    let total = live.size + kept.reduce((n, a) => n + (l.archived.get(a)?.entries.size ?? 0), 0);
    while (total > max && kept.length > 0) total -= l.archived.get(kept.shift()!)?.entries.size ?? 0;
    if (live.size > max) {
      const oldest = [...live].sort((a, b) => a[1].at - b[1].at).slice(0, live.size - max);
      for (const [k] of oldest) live.delete(k);
    }
    return kept;
  }

  /**
   * Moves the confirmed live entries into a new archive once there are `sealAt` of them;
   * returns its name. The archive is created before the live write that references it.
   */
  async #seal(l: SpawnerLedger, spawner: TaskSpawner, live: Map<string, Entry>): Promise<string | undefined> {
    const confirmed = [...live].filter(([, e]) => e.state === 'c');
    if (confirmed.length < (this.#o.sealAt ?? SEAL_AT)) return undefined;
    const text = formatEntries(confirmed);
    const uid = spawner.metadata.uid ?? '';
    const name = ledgerName(`${spawner.metadata.name ?? ''}-${sha256(`${uid}\n${text}`).slice(0, 12)}`);
    if (!l.archived.has(name)) {
      try {
        await this.#o.client.create<ConfigMap>(Resources.ConfigMap, {
          ...this.#skeleton(spawner, name),
          immutable: true,
          data: { [UID_KEY]: uid, [ENTRIES_KEY]: text },
        });
      } catch (e) {
        // Same name, same content: another replica sealed the same entries.
        if (!isAlreadyExists(e)) throw e;
      }
      l.archived.set(name, archiveOf(new Map(confirmed)));
    }
    for (const [k] of confirmed) live.delete(k);
    return name;
  }

  #skeleton(spawner: TaskSpawner, name: string): ConfigMap {
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: spawner.metadata.namespace ?? '',
        labels: { [Labels.TaskSpawner]: spawner.metadata.name ?? '' },
        ownerReferences: [
          {
            apiVersion: API_VERSION,
            kind: 'TaskSpawner',
            name: spawner.metadata.name ?? '',
            uid: spawner.metadata.uid ?? '',
            blockOwnerDeletion: false,
          },
        ],
      },
    };
  }

  /** Reads (or creates) the live ledger and every archive it names that this process has not read. */
  async #load(l: SpawnerLedger, spawner: TaskSpawner): Promise<State> {
    const { client } = this.#o;
    const namespace = spawner.metadata.namespace ?? '';
    const name = ledgerName(spawner.metadata.name ?? '');
    const uid = spawner.metadata.uid ?? '';
    let missingAt: string | undefined;
    attempts: for (let attempt = 0; attempt < 5; attempt++) {
      const cm = await client.get<ConfigMap>(Resources.ConfigMap, namespace, name);
      if (cm && cm.data?.[UID_KEY] === uid) {
        const state = parseState(cm);
        for (const a of state.archives) {
          if (l.archived.has(a)) continue;
          const got = await client.get<ConfigMap>(Resources.ConfigMap, namespace, a).catch((e: unknown) => {
            if (isNotFound(e)) return undefined;
            throw e;
          });
          if (!got && missingAt !== state.rv) {
            // Dropped by a newer write than the one read: read the live object again.
            missingAt = state.rv;
            continue attempts;
          }
          // Still named but gone (deleted by hand): its deliveries are forgotten, and the next
          // write drops the name.
          l.archived.set(a, archiveOf(parseEntries(got?.data?.[ENTRIES_KEY])));
        }
        return state;
      }
      if (cm) {
        // Left by an earlier spawner of the same name (garbage collection pending): start over.
        // A ConfigMap no TaskSpawner of this name owns is someone's data, never deleted.
        if (ledgerOwner(cm, spawner.metadata.name ?? '') === undefined)
          throw new Error(
            `ConfigMap ${namespace}/${name}, where this spawner keeps its delivery ledger, exists and is not a ledger (no TaskSpawner ${spawner.metadata.name} owns it): rename or delete it, then send the delivery again`,
          );
        await client.delete(Resources.ConfigMap, namespace, name, { uid: cm.metadata.uid });
        continue;
      }
      try {
        const created = await client.create<ConfigMap>(Resources.ConfigMap, {
          ...this.#skeleton(spawner, name),
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

/**
 * The uid of the TaskSpawner named `spawner` that owns `cm`, as a ledger or archive is owned
 * (see `#skeleton`); undefined when none does.
 */
const ledgerOwner = (cm: ConfigMap, spawner: string): string | undefined =>
  cm.metadata.ownerReferences?.find(
    (r) => r.kind === 'TaskSpawner' && r.apiVersion.startsWith('kelos.dev/') && r.name === spawner,
  )?.uid;
