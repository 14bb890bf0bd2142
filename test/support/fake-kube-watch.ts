/**
 * The watch side of the fake API server (`fake-kube.ts`): the history of writes a watch can
 * resume from, and the open watches, each seeing the writes through its namespace and label
 * selector. Events reach a watch asynchronously, after the write that caused them returned,
 * as they arrive on a real watch stream.
 *
 * @module
 */
import type { ApiObject, WatchEvent } from '../../src/kube/client.ts';
import type { Selector } from '../../src/kube/label-selector.ts';
import { labelsMatch } from './fake-kube-query.ts';

/** One write, as the history keeps it. */
export interface HistoryEntry {
  readonly rv: number;
  /** `plural` or `plural.group` of the object's type. */
  readonly typeId: string;
  readonly kind: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object after the write (its last state for DELETED). */
  readonly obj: ApiObject;
  /** The object before the write (undefined for ADDED). */
  readonly old: ApiObject | undefined;
}

/** What a watch asked for. */
export interface WatchSpec {
  readonly typeId: string;
  readonly namespace: string | undefined;
  readonly selector: Selector;
  readonly onEvent: (event: WatchEvent<ApiObject>) => void;
}

interface Watch extends WatchSpec {
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  readonly pending: WatchEvent<ApiObject>[];
  scheduled: boolean;
}

/** What travels over the wire: JSON, so `undefined` members vanish and nothing is shared. */
export const wire = <T>(obj: T): T => JSON.parse(JSON.stringify(obj)) as T;

const aborted = () => new DOMException('This operation was aborted', 'AbortError');

/** History and open watches. */
export class WatchHub {
  readonly #limit: number;
  readonly #history: HistoryEntry[] = [];
  readonly #watches = new Set<Watch>();
  /** Versions up to this one are no longer in the history. */
  #compactedTo = 0;

  constructor(historyLimit: number) {
    this.#limit = historyLimit;
  }

  /** Watches open now. */
  get openCount(): number {
    return this.#watches.size;
  }

  /** The oldest version a watch can resume from. */
  get compactedTo(): number {
    return this.#compactedTo;
  }

  /**
   * Opens a watch. `initial` are the objects a watch without a version starts with (sent as
   * ADDED); with `from`, the history after that version is replayed instead.
   */
  open(spec: WatchSpec, start: { from: number } | { initial: readonly ApiObject[] }, signal?: AbortSignal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(aborted());
        return;
      }
      const w: Watch = { ...spec, resolve, reject, pending: [], scheduled: false };
      signal?.addEventListener('abort', () => this.#close(w, aborted()));
      this.#watches.add(w);
      if ('from' in start) {
        for (const h of this.#history) if (h.rv > start.from) this.#offer(w, h);
      } else {
        for (const obj of start.initial)
          if (this.#sees(w, obj)) this.#send(w, { type: 'ADDED', object: wire(obj) });
      }
    });
  }

  /** Records a write and sends it to every open watch that sees it. */
  record(entry: HistoryEntry): void {
    this.#history.push(entry);
    if (this.#history.length > this.#limit) {
      const dropped = this.#history.shift();
      if (dropped) this.#compactedTo = dropped.rv;
    }
    for (const w of this.#watches) this.#offer(w, entry);
  }

  /** Drops the whole history, as etcd compaction does, up to version `rv`. */
  compact(rv: number): void {
    this.#history.length = 0;
    this.#compactedTo = rv;
  }

  /** Resolves once every event sent so far has been delivered. */
  async flush(): Promise<void> {
    do await new Promise((r) => setImmediate(r));
    while ([...this.#watches].some((w) => w.pending.length > 0));
  }

  /** Ends every open watch: cleanly without `err`, else with it. */
  closeAll(err?: unknown): void {
    for (const w of this.#watches) this.#close(w, err);
  }

  #sees(w: Watch, obj: ApiObject | undefined): boolean {
    if (!obj) return false;
    if (w.namespace !== undefined && obj.metadata.namespace !== w.namespace) return false;
    return labelsMatch(w.selector, obj.metadata.labels);
  }

  /** Sends a write to a watch as that watch sees it (selector transitions included). */
  #offer(w: Watch, h: HistoryEntry): void {
    if (h.typeId !== w.typeId) return;
    const now = h.kind !== 'DELETED' && this.#sees(w, h.obj);
    const before = h.kind !== 'ADDED' && this.#sees(w, h.old);
    if (h.kind === 'DELETED' && before) this.#send(w, { type: 'DELETED', object: wire(h.obj) });
    else if (now && before) this.#send(w, { type: 'MODIFIED', object: wire(h.obj) });
    else if (now) this.#send(w, { type: 'ADDED', object: wire(h.obj) });
    else if (before) this.#send(w, { type: 'DELETED', object: wire(h.obj) });
  }

  #send(w: Watch, event: WatchEvent<ApiObject>): void {
    w.pending.push(event);
    if (w.scheduled) return;
    w.scheduled = true;
    setImmediate(() => {
      w.scheduled = false;
      while (w.pending.length && this.#watches.has(w)) {
        const e = w.pending.shift()!;
        try {
          w.onEvent(e);
        } catch (err) {
          // The real client ends the watch with the handler's error.
          this.#close(w, err);
        }
      }
    });
  }

  #close(w: Watch, err: unknown): void {
    if (!this.#watches.delete(w)) return;
    w.pending.length = 0;
    if (err === undefined) w.resolve();
    else w.reject(err);
  }
}
