/**
 * The storage of the fake API server (`fake-kube.ts`): objects by type and key, the one
 * resourceVersion counter, and the rules of a write (system fields, the status subresource,
 * generation, finalizers, the garbage collector's cascade). Every write is recorded in the
 * {@link WatchHub}. Request concerns (counting, faults, error shapes) stay in `fake-kube.ts`.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { type ApiError, type ApiObject, apiVersionOf, type ResourceType } from '../../src/kube/client.ts';
import type { Clock } from '../../src/kube/clock.ts';
import { type HistoryEntry, type WatchHub, wire } from './fake-kube-watch.ts';

/** Builds the error of the request being served. */
export type Fail = (status: number, reason: string, message: string) => ApiError;

/** One stored object. */
export interface Stored {
  readonly type: ResourceType;
  obj: ApiObject;
}

/** The alphabet of `generateName` suffixes (the API server's: no vowels, no look-alikes). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** `plural` or `plural.group`: how the API server names a resource. */
export const typeIdOf = (t: ResourceType): string => (t.group ? `${t.plural}.${t.group}` : t.plural);

/** A metav1.Time: RFC 3339 in seconds. */
export const timestamp = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Objects and the rules of writing them. */
export class ObjectStore {
  readonly #clock: Clock;
  readonly #statusTypes: ReadonlySet<string>;
  readonly #hub: WatchHub;
  readonly #objects = new Map<string, Map<string, Stored>>();
  /** Objects whose delete asked to orphan dependents but had to wait for finalizers, by uid. */
  readonly #orphanOnRemoval = new Set<string>();
  #rv = 0;
  #suffixSeed = 1;

  constructor(clock: Clock, statusTypes: ReadonlySet<string>, hub: WatchHub) {
    this.#clock = clock;
    this.#statusTypes = statusTypes;
    this.#hub = hub;
  }

  /** The version of the last write. */
  get rv(): number {
    return this.#rv;
  }

  /** Whether `type` has a status subresource. */
  hasStatus(type: ResourceType): boolean {
    return this.#statusTypes.has(typeIdOf(type));
  }

  /** The stored object, if any. */
  find(type: ResourceType, namespace: string | undefined, name: string): Stored | undefined {
    return this.#table(type).get(this.key(type, namespace, name));
  }

  #table(type: ResourceType): Map<string, Stored> {
    const id = typeIdOf(type);
    let t = this.#objects.get(id);
    if (!t) {
      t = new Map();
      this.#objects.set(id, t);
    }
    return t;
  }

  key(type: ResourceType, namespace: string | undefined, name: string): string {
    return type.namespaced ? `${namespace ?? ''}/${name}` : name;
  }

  sorted(type: ResourceType): Stored[] {
    return [...this.#table(type).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, s]) => s);
  }

  inNamespace(type: ResourceType, obj: ApiObject, namespace: string | undefined): boolean {
    return !type.namespaced || !namespace || obj.metadata.namespace === namespace;
  }

  suffix(): string {
    let out = '';
    for (let i = 0; i < 5; i++) {
      this.#suffixSeed = (this.#suffixSeed * 1103515245 + 12345) % 2 ** 31;
      out += SUFFIX_ALPHABET[this.#suffixSeed % SUFFIX_ALPHABET.length];
    }
    return out;
  }

  insert(type: ResourceType, obj: ApiObject, fail: Fail): ApiObject {
    const name = obj.metadata.name ?? '';
    const table = this.#table(type);
    const key = this.key(type, obj.metadata.namespace, name);
    if (table.has(key)) {
      throw fail(409, 'AlreadyExists', `${typeIdOf(type)} "${name}" already exists`);
    }
    const next = wire(obj) as ApiObject & { status?: unknown };
    // The status subresource owns status: whatever a create sends there is dropped.
    if (this.hasStatus(type)) delete next.status;
    const { deletionTimestamp: _d, ...metadata } = next.metadata;
    next.apiVersion = apiVersionOf(type);
    next.kind = type.kind;
    next.metadata = {
      ...metadata,
      ...(type.namespaced ? {} : { namespace: undefined }),
      uid: randomUUID(),
      creationTimestamp: timestamp(this.#clock.now()),
      generation: 1,
    };
    const stored: Stored = { type, obj: next };
    table.set(key, stored);
    this.#write(stored, wire(next), 'ADDED');
    return stored.obj;
  }

  /** Fails with 409 Conflict unless `obj` is at version `rv` (when given). */
  precondition(stored: Stored, rv: string | undefined, fail: Fail): void {
    const { metadata } = stored.obj;
    if (rv === undefined || rv === metadata.resourceVersion) return;
    throw fail(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${typeIdOf(stored.type)} "${metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
    );
  }

  /** A patch or apply result, made into the stored object: status and system fields kept where they belong. */
  update(existing: Stored, patched: ApiObject, statusOnly: boolean, fail: Fail): ApiObject {
    const { type } = existing;
    const old = existing.obj as ApiObject & { status?: unknown };
    let next = wire(patched) as ApiObject & { status?: unknown };
    if (statusOnly) {
      next = { ...wire(old), status: next.status };
      if (next.status === undefined) delete next.status;
    } else if (this.hasStatus(type)) {
      if (old.status === undefined) delete next.status;
      else next.status = wire(old.status);
    }
    const m = old.metadata;
    next.apiVersion = old.apiVersion;
    next.kind = old.kind;
    next.metadata = {
      ...next.metadata,
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
      generation: m.generation,
      deletionTimestamp: m.deletionTimestamp,
    };
    next = wire(next);
    if (m.deletionTimestamp) {
      const added = (next.metadata.finalizers ?? []).filter((f) => !(m.finalizers ?? []).includes(f));
      if (added.length) {
        throw fail(
          422,
          'Invalid',
          `metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
        );
      }
    }
    if (isDeepStrictEqual(next, wire(old))) return old;
    const { metadata: _a, status: _b, ...body } = next;
    const { metadata: _c, status: _d, ...oldBody } = old;
    if (!isDeepStrictEqual(body, wire(oldBody))) next.metadata.generation = (m.generation ?? 0) + 1;
    if (m.deletionTimestamp && !next.metadata.finalizers?.length) {
      this.remove(existing, m.uid !== undefined && this.#orphanOnRemoval.has(m.uid), next);
      return existing.obj;
    }
    this.#write(existing, next, 'MODIFIED');
    return existing.obj;
  }

  /**
   * Deletes an object: at once without finalizers, else only marks it (deletionTimestamp)
   * and remembers whether its dependents are to be orphaned when it finally goes.
   */
  delete(stored: Stored, orphan: boolean): void {
    const meta = stored.obj.metadata;
    if (!meta.finalizers?.length) {
      this.remove(stored, orphan);
      return;
    }
    if (orphan && meta.uid) this.#orphanOnRemoval.add(meta.uid);
    if (!meta.deletionTimestamp) {
      const next = wire(stored.obj);
      next.metadata.deletionTimestamp = timestamp(this.#clock.now());
      this.#write(stored, next, 'MODIFIED');
    }
  }

  /**
   * Removes an object for good (as `last`, when the write that removed its last finalizer
   * changed it), then lets the garbage collector act on its dependents.
   */
  remove(stored: Stored, orphan: boolean, last: ApiObject = stored.obj): void {
    const { type, obj } = stored;
    const uid = obj.metadata.uid;
    this.#table(type).delete(this.key(type, obj.metadata.namespace, obj.metadata.name ?? ''));
    if (uid) this.#orphanOnRemoval.delete(uid);
    this.#write(stored, wire(last), 'DELETED');
    if (!uid) return;
    for (const table of this.#objects.values()) {
      for (const dep of [...table.values()]) {
        const refs = dep.obj.metadata.ownerReferences ?? [];
        if (!refs.some((r) => r.uid === uid)) continue;
        if (orphan) {
          const next = wire(dep.obj);
          next.metadata.ownerReferences = refs.filter((r) => r.uid !== uid);
          if (!next.metadata.ownerReferences.length) delete next.metadata.ownerReferences;
          this.#write(dep, next, 'MODIFIED');
        } else if (dep.obj.metadata.finalizers?.length) {
          if (!dep.obj.metadata.deletionTimestamp) {
            const next = wire(dep.obj);
            next.metadata.deletionTimestamp = timestamp(this.#clock.now());
            this.#write(dep, next, 'MODIFIED');
          }
        } else if (table.get(this.key(dep.type, dep.obj.metadata.namespace, dep.obj.metadata.name ?? ''))) {
          this.remove(dep, false);
        }
      }
    }
  }

  /** Stores `next` (unless DELETED) at a new version and tells the watches. */
  #write(stored: Stored, next: ApiObject, kind: HistoryEntry['kind']): void {
    const old = kind === 'ADDED' ? undefined : stored.obj;
    this.#rv++;
    next.metadata.resourceVersion = String(this.#rv);
    stored.obj = next;
    const entry: HistoryEntry = { rv: this.#rv, typeId: typeIdOf(stored.type), kind, obj: next, old };
    this.#hub.record(entry);
  }
}
