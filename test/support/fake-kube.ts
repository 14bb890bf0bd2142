/**
 * An in-memory API server behind the {@link KubeClient} interface, shared by unit tests that
 * drive controllers without a cluster. It keeps the semantics controllers depend on:
 *
 * - one resourceVersion counter for every object (like etcd's revision); a write that
 *   changes nothing keeps the version and sends no event;
 * - 404 NotFound, 409 AlreadyExists on create, 409 Conflict on a stale resourceVersion or a
 *   failed delete precondition, as {@link ApiError}s shaped like `HttpKubeClient`'s (status,
 *   reason, `kind`, message `METHOD path: status reason: message`);
 * - `generateName`, uid, creationTimestamp and generation assignment on create;
 * - the status subresource: create drops status, a status patch changes only status, a main
 *   patch never changes status; `generation` moves when anything but metadata and status does;
 * - finalizers: deleting an object with finalizers only sets `deletionTimestamp`; the write
 *   that removes the last one deletes it; no finalizer can be added while it is deleted;
 * - watches from a resourceVersion replay what happened after it (410 Expired once that is
 *   no longer kept, see {@link FakeKube.compact}), send ADDED/MODIFIED/DELETED to every open
 *   watch whose namespace and label selector match (an object leaving a selector is DELETED
 *   for that watch), asynchronously like a network stream;
 * - the garbage collector's cascade: when an object is removed, its dependents (by
 *   ownerReference uid) are deleted too, unless the delete asked for `Orphan` (the default
 *   of `batch/v1` Jobs, as in the real API).
 *
 * Not modelled: server-side apply's field ownership (apply merges the object in, like a merge
 * patch), the GC's asynchrony and the Foreground finalizer (dependents go at once), admission
 * and schema validation, list snapshots (a continue token resumes after a key, not at a
 * revision), and watch timeouts (a watch ends only with {@link FakeKube.endWatches}).
 *
 * Faults can be injected per verb and resource ({@link FakeKube.inject}): fail the next N
 * matching requests with a given error, or delay them on the fake's clock.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  ApiError,
  type ApiObject,
  apiVersionOf,
  CoreResources,
  type DeleteOptions,
  type KubeClient,
  type ListOptions,
  type ListPage,
  type PatchOptions,
  type ResourceType,
  resourcePath,
  type Verb,
  type WatchEvent,
  type WatchOptions,
} from '../../src/kube/client.ts';
import { type Clock, systemClock } from '../../src/kube/clock.ts';
import type { Selector } from '../../src/kube/label-selector.ts';
import {
  applyMergePatch,
  fieldsMatch,
  labelsMatch,
  parseFieldSelector,
  parseLabelSelector,
} from './fake-kube-query.ts';

/** Options of {@link FakeKube}. */
export interface FakeKubeOptions {
  /** Time of creationTimestamp and deletionTimestamp, and of injected delays. Default the system clock. */
  readonly clock?: Clock;
  /** Types with a status subresource besides the built-in Job, Pod and Namespace (e.g. CRDs). */
  readonly statusSubresources?: Iterable<ResourceType>;
  /** Watch events kept for watches that resume from a version. Default 10,000. */
  readonly historyLimit?: number;
}

/** A request fault: which requests it hits and what happens to them. */
export interface Fault {
  /** Verb to hit; every verb when unset. */
  readonly verb?: Verb;
  /** Resource to hit, by kind (`Task`) or plural (`tasks`); every resource when unset. */
  readonly resource?: string;
  /** Object name to hit; every name when unset. */
  readonly name?: string;
  /** How many matching requests it hits. Default 1. */
  readonly times?: number;
  /** The error the request fails with (thrown as is). Without it the request goes through after the delay. */
  readonly error?: Error;
  /** Delay before the request is served (or fails), on the fake's clock. */
  readonly delayMs?: number;
}

/** One request the fake served, in order. */
export interface FakeCall {
  readonly verb: Verb;
  /** `plural` or `plural.group`. */
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource?: string;
  /** Preconditions and propagation of a delete; resourceVersion precondition of a patch. */
  readonly options?: DeleteOptions | PatchOptions;
}

interface Stored {
  readonly type: ResourceType;
  obj: ApiObject;
}

interface HistoryEntry {
  readonly rv: number;
  readonly typeId: string;
  readonly kind: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly obj: ApiObject;
  readonly old: ApiObject | undefined;
}

interface Watch {
  readonly typeId: string;
  readonly namespace: string | undefined;
  readonly selector: Selector;
  readonly onEvent: (event: WatchEvent<ApiObject>) => void;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  readonly pending: WatchEvent<ApiObject>[];
  scheduled: boolean;
}

/** The alphabet of `generateName` suffixes (the API server's: no vowels, no look-alikes). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const BUILT_IN_STATUS = [CoreResources.Job, CoreResources.Pod, CoreResources.Namespace];
/** What travels over the wire: JSON, so `undefined` members vanish and nothing is shared. */
const wire = <T>(obj: T): T => JSON.parse(JSON.stringify(obj)) as T;
const typeIdOf = (t: ResourceType): string => (t.group ? `${t.plural}.${t.group}` : t.plural);
/** Built-in groups (`''`, `batch`, `*.k8s.io`) leave apiVersion and kind out of list items; CRDs keep them. */
const isBuiltIn = (t: ResourceType): boolean => !t.group.includes('.') || t.group.endsWith('.k8s.io');
const timestamp = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The fake API server. See the module comment for what it models. */
export class FakeKube implements KubeClient {
  readonly #clock: Clock;
  readonly #statusTypes: Set<string>;
  readonly #historyLimit: number;
  readonly #objects = new Map<string, Map<string, Stored>>();
  readonly #history: HistoryEntry[] = [];
  readonly #watches = new Set<Watch>();
  readonly #faults: Array<{ fault: Fault; left: number }> = [];
  readonly #logs = new Map<string, string>();
  /** Propagation asked for by a delete that had to wait for finalizers, by uid. */
  readonly #orphanOnRemoval = new Set<string>();
  #rv = 0;
  /** Versions up to this one are no longer in the history. */
  #compactedTo = 0;
  #suffixSeed = 1;
  readonly requests: Record<Verb, number> = {
    get: 0,
    list: 0,
    watch: 0,
    create: 0,
    apply: 0,
    patch: 0,
    delete: 0,
  };
  /** Every request served, in order. */
  readonly calls: FakeCall[] = [];

  constructor(opts: FakeKubeOptions = {}) {
    this.#clock = opts.clock ?? systemClock;
    this.#historyLimit = opts.historyLimit ?? 10_000;
    this.#statusTypes = new Set([...BUILT_IN_STATUS, ...(opts.statusSubresources ?? [])].map(typeIdOf));
  }

  /** The current resourceVersion (of the last write). */
  get resourceVersion(): string {
    return String(this.#rv);
  }

  /** Watches open now. */
  get openWatches(): number {
    return this.#watches.size;
  }

  // ---- test controls (not requests: not counted, no faults) ---------------------------------

  /** Fails or delays the next matching requests; returns the fault's remaining count. */
  inject(fault: Fault): { readonly remaining: number } {
    const entry = { fault, left: fault.times ?? 1 };
    this.#faults.push(entry);
    return {
      get remaining() {
        return entry.left;
      },
    };
  }

  /** An object as stored, without a request. */
  peek<T extends ApiObject>(type: ResourceType, namespace: string | undefined, name: string): T | undefined {
    const s = this.#table(type).get(this.#key(type, namespace, name));
    return s ? wire(s.obj as T) : undefined;
  }

  /** Every object of a type (of one namespace), without a request. */
  objects<T extends ApiObject>(type: ResourceType, namespace?: string): T[] {
    return this.#sorted(type)
      .filter((s) => namespace === undefined || s.obj.metadata.namespace === namespace)
      .map((s) => wire(s.obj as T));
  }

  /** Sets the log `getText` returns for a container of a Pod. */
  setPodLog(namespace: string, pod: string, container: string, text: string): void {
    this.#logs.set(`${namespace}/${pod}/${container}`, text);
  }

  /** Resolves once every watch event sent so far has been delivered. */
  async flush(): Promise<void> {
    do await new Promise((r) => setImmediate(r));
    while ([...this.#watches].some((w) => w.pending.length > 0));
  }

  /** Ends every open watch cleanly, as the server does when `timeoutSeconds` passes. */
  endWatches(): void {
    for (const w of this.#watches) this.#closeWatch(w, undefined);
  }

  /** Fails every open watch with `err` (a dropped connection, or a 410 from a compaction). */
  failWatches(err: Error): void {
    for (const w of this.#watches) this.#closeWatch(w, err);
  }

  /** Forgets the watch history, as etcd compaction does: older versions now get 410 Expired. */
  compact(): void {
    this.#history.length = 0;
    this.#compactedTo = this.#rv;
  }

  // ---- KubeClient -----------------------------------------------------------------------------

  async get<T extends ApiObject>(type: ResourceType, namespace: string | undefined, name: string) {
    await this.#begin({ verb: 'get', resource: typeIdOf(type), namespace, name }, type);
    return this.peek<T>(type, namespace, name);
  }

  async list<T extends ApiObject>(type: ResourceType, opts: ListOptions = {}): Promise<ListPage<T>> {
    await this.#begin(
      { verb: 'list', resource: typeIdOf(type), namespace: opts.namespace, name: undefined },
      type,
    );
    const method = 'GET';
    const path = resourcePath(type, opts.namespace);
    const labels = parseLabelSelector(opts.labelSelector);
    if (!labels.ok) throw this.#error(400, 'BadRequest', labels.error, method, path, type);
    const fields = parseFieldSelector(opts.fieldSelector);
    if (!fields.ok) throw this.#error(400, 'BadRequest', fields.error, method, path, type);
    let items = this.#sorted(type).filter(
      (s) =>
        this.#inNamespace(type, s.obj, opts.namespace) &&
        labelsMatch(labels.value, s.obj.metadata.labels) &&
        fieldsMatch(fields.value, s.obj.metadata),
    );
    if (opts.continue) {
      const after = Buffer.from(opts.continue, 'base64url').toString('utf8');
      items = items.filter(
        (s) => this.#key(type, s.obj.metadata.namespace, s.obj.metadata.name ?? '') > after,
      );
    }
    const page = opts.limit && opts.limit > 0 ? items.slice(0, opts.limit) : items;
    const rest = items.length - page.length;
    const last = page.at(-1)?.obj.metadata;
    const metadata: ListPage<T>['metadata'] = { resourceVersion: this.resourceVersion };
    if (rest > 0 && last) {
      metadata.continue = Buffer.from(this.#key(type, last.namespace, last.name ?? '')).toString('base64url');
      metadata.remainingItemCount = rest;
    }
    const strip = isBuiltIn(type);
    return {
      metadata,
      items: page.map((s) => {
        const obj = wire(s.obj) as T;
        if (strip) {
          delete obj.apiVersion;
          delete obj.kind;
        }
        return obj;
      }),
    };
  }

  async watch<T extends ApiObject>(
    type: ResourceType,
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<void> {
    // Registered synchronously unless a fault delays it, so a watch is open once `watch()` returns.
    const delayed = this.#begin(
      { verb: 'watch', resource: typeIdOf(type), namespace: opts.namespace, name: undefined },
      type,
    );
    if (delayed) await delayed;
    const path = resourcePath(type, opts.namespace);
    const labels = parseLabelSelector(opts.labelSelector);
    if (!labels.ok) throw this.#error(400, 'BadRequest', labels.error, 'GET', path, type);
    const from =
      opts.resourceVersion && opts.resourceVersion !== '0' ? Number(opts.resourceVersion) : undefined;
    if (from !== undefined && (Number.isNaN(from) || from < this.#compactedTo)) {
      // The real server sends this as an ERROR event; the client rejects with it (no kind).
      throw new ApiError(
        410,
        'Expired',
        `watch ${path}: too old resource version: ${opts.resourceVersion} (${this.#compactedTo})`,
      );
    }
    return new Promise<void>((resolve, reject) => {
      const w: Watch = {
        typeId: typeIdOf(type),
        namespace: type.namespaced ? opts.namespace || undefined : undefined,
        selector: labels.value,
        onEvent: onEvent as (e: WatchEvent<ApiObject>) => void,
        resolve,
        reject,
        pending: [],
        scheduled: false,
      };
      if (opts.signal?.aborted) {
        reject(new DOMException('This operation was aborted', 'AbortError'));
        return;
      }
      opts.signal?.addEventListener('abort', () =>
        this.#closeWatch(w, new DOMException('This operation was aborted', 'AbortError')),
      );
      this.#watches.add(w);
      if (from === undefined) {
        for (const s of this.#sorted(type)) {
          if (this.#watchSees(w, s.obj)) this.#send(w, { type: 'ADDED', object: wire(s.obj) });
        }
      } else {
        for (const h of this.#history) if (h.rv > from) this.#offer(w, h);
      }
    });
  }

  async create<T extends ApiObject>(type: ResourceType, obj: T): Promise<T> {
    const namespace = obj.metadata.namespace;
    await this.#begin({ verb: 'create', resource: typeIdOf(type), namespace, name: obj.metadata.name }, type);
    const method = 'POST';
    const path = resourcePath(type, namespace);
    if (type.namespaced && !namespace) {
      throw this.#error(400, 'BadRequest', 'the object has no namespace', method, path, type);
    }
    if (obj.metadata.resourceVersion) {
      throw this.#error(
        500,
        'InternalError',
        'resourceVersion should not be set on objects to be created',
        method,
        path,
        type,
      );
    }
    let name = obj.metadata.name;
    if (!name && obj.metadata.generateName) name = obj.metadata.generateName + this.#suffix();
    if (!name)
      throw this.#error(
        422,
        'Invalid',
        'metadata.name: Required value: name or generateName is required',
        method,
        path,
        type,
      );
    return wire(this.#insert(type, { ...obj, metadata: { ...obj.metadata, name } }, method, path) as T);
  }

  async apply<T extends ApiObject>(type: ResourceType, obj: T, _opts: { force?: boolean } = {}): Promise<T> {
    const { namespace, name } = obj.metadata;
    if (!name) throw new Error(`apply needs metadata.name (${type.kind})`);
    await this.#begin({ verb: 'apply', resource: typeIdOf(type), namespace, name }, type);
    const method = 'PATCH';
    const path = resourcePath(type, namespace, name);
    const existing = this.#table(type).get(this.#key(type, namespace, name));
    if (!existing) {
      const { resourceVersion: _rv, ...metadata } = obj.metadata;
      return wire(this.#insert(type, { ...obj, metadata }, method, path) as T);
    }
    this.#precondition(existing.obj, obj.metadata.resourceVersion, method, path, type);
    const { status: _status, ...body } = obj as ApiObject & { status?: unknown };
    const merged = applyMergePatch(existing.obj, this.#statusTypes.has(typeIdOf(type)) ? body : obj);
    return wire(this.#update(existing, merged as ApiObject, false, method, path) as T);
  }

  async mergePatch<T extends ApiObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: Record<string, unknown>,
    opts: PatchOptions = {},
  ): Promise<T> {
    const call = { verb: 'patch' as const, resource: typeIdOf(type), namespace, name };
    await this.#begin(
      { ...call, ...(opts.subresource ? { subresource: opts.subresource } : {}), options: opts },
      type,
    );
    const method = 'PATCH';
    const path = `${resourcePath(type, namespace, name)}${opts.subresource ? `/${opts.subresource}` : ''}`;
    const status = opts.subresource === 'status';
    if (status && !this.#statusTypes.has(typeIdOf(type))) {
      throw this.#error(
        404,
        'NotFound',
        'the server could not find the requested resource',
        method,
        path,
        type,
      );
    }
    const existing = this.#table(type).get(this.#key(type, namespace, name));
    if (!existing) throw this.#notFound(type, name, method, path);
    const meta = patch['metadata'] as { resourceVersion?: string } | undefined;
    this.#precondition(existing.obj, opts.resourceVersion ?? meta?.resourceVersion, method, path, type);
    const patched = applyMergePatch(existing.obj, patch) as ApiObject;
    return wire(this.#update(existing, patched, status, method, path) as T);
  }

  async delete(type: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions = {}) {
    await this.#begin({ verb: 'delete', resource: typeIdOf(type), namespace, name, options: opts }, type);
    const method = 'DELETE';
    const path = resourcePath(type, namespace, name);
    const existing = this.#table(type).get(this.#key(type, namespace, name));
    if (!existing) return false;
    const meta = existing.obj.metadata;
    const failed = (what: string, wanted: string, actual: string | undefined) =>
      this.#error(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${typeIdOf(type)} "${name}": Precondition failed: ${what} in precondition: ${wanted}, ${what} in object meta: ${actual ?? ''}`,
        method,
        path,
        type,
      );
    if (opts.uid && opts.uid !== meta.uid) throw failed('UID', opts.uid, meta.uid);
    if (opts.resourceVersion && opts.resourceVersion !== meta.resourceVersion) {
      throw failed('ResourceVersion', opts.resourceVersion, meta.resourceVersion);
    }
    // batch/v1 Jobs orphan their Pods unless told otherwise, for compatibility; the rest cascade.
    const orphan =
      (opts.propagationPolicy ?? (typeIdOf(type) === 'jobs.batch' ? 'Orphan' : 'Background')) === 'Orphan';
    if (meta.finalizers?.length) {
      if (orphan && meta.uid) this.#orphanOnRemoval.add(meta.uid);
      if (!meta.deletionTimestamp) {
        const next = wire(existing.obj);
        next.metadata.deletionTimestamp = timestamp(this.#clock.now());
        this.#write(existing, next, 'MODIFIED');
      }
      return true;
    }
    this.#remove(existing, orphan);
    return true;
  }

  async getText(path: string): Promise<string> {
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/?]+)\/log(?:\?(.*))?$/.exec(path);
    const namespace = m ? decodeURIComponent(m[1]!) : undefined;
    const name = m ? decodeURIComponent(m[2]!) : undefined;
    await this.#begin(
      { verb: 'get', resource: 'pods', namespace, name, subresource: 'log' },
      CoreResources.Pod,
    );
    if (!m || !namespace || !name) {
      throw this.#error(
        404,
        'NotFound',
        'the server could not find the requested resource',
        'GET',
        path,
        CoreResources.Pod,
      );
    }
    if (!this.peek(CoreResources.Pod, namespace, name))
      throw this.#notFound(CoreResources.Pod, name, 'GET', path);
    const container = new URLSearchParams(m[3] ?? '').get('container') ?? '';
    return this.#logs.get(`${namespace}/${name}/${container}`) ?? '';
  }

  // ---- storage ----------------------------------------------------------------------------------

  #table(type: ResourceType): Map<string, Stored> {
    const id = typeIdOf(type);
    let t = this.#objects.get(id);
    if (!t) {
      t = new Map();
      this.#objects.set(id, t);
    }
    return t;
  }

  #key(type: ResourceType, namespace: string | undefined, name: string): string {
    return type.namespaced ? `${namespace ?? ''}/${name}` : name;
  }

  #sorted(type: ResourceType): Stored[] {
    return [...this.#table(type).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, s]) => s);
  }

  #inNamespace(type: ResourceType, obj: ApiObject, namespace: string | undefined): boolean {
    return !type.namespaced || !namespace || obj.metadata.namespace === namespace;
  }

  #suffix(): string {
    let out = '';
    for (let i = 0; i < 5; i++) {
      this.#suffixSeed = (this.#suffixSeed * 1103515245 + 12345) % 2 ** 31;
      out += SUFFIX_ALPHABET[this.#suffixSeed % SUFFIX_ALPHABET.length];
    }
    return out;
  }

  #insert(type: ResourceType, obj: ApiObject, method: string, path: string): ApiObject {
    const name = obj.metadata.name ?? '';
    const table = this.#table(type);
    const key = this.#key(type, obj.metadata.namespace, name);
    if (table.has(key)) {
      throw this.#error(
        409,
        'AlreadyExists',
        `${typeIdOf(type)} "${name}" already exists`,
        method,
        path,
        type,
      );
    }
    const next = wire(obj) as ApiObject & { status?: unknown };
    // The status subresource owns status: whatever a create sends there is dropped.
    if (this.#statusTypes.has(typeIdOf(type))) delete next.status;
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

  #precondition(
    obj: ApiObject,
    rv: string | undefined,
    method: string,
    path: string,
    type: ResourceType,
  ): void {
    if (rv === undefined || rv === obj.metadata.resourceVersion) return;
    throw this.#error(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${typeIdOf(type)} "${obj.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      method,
      path,
      type,
    );
  }

  /** A patch or apply result, made into the stored object: status and system fields kept where they belong. */
  #update(
    existing: Stored,
    patched: ApiObject,
    statusOnly: boolean,
    method: string,
    path: string,
  ): ApiObject {
    const { type } = existing;
    const old = existing.obj as ApiObject & { status?: unknown };
    let next = wire(patched) as ApiObject & { status?: unknown };
    if (statusOnly) {
      next = { ...wire(old), status: next.status };
      if (next.status === undefined) delete next.status;
    } else if (this.#statusTypes.has(typeIdOf(type))) {
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
        throw this.#error(
          422,
          'Invalid',
          `metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
          method,
          path,
          type,
        );
      }
    }
    if (isDeepStrictEqual(next, wire(old))) return old;
    const { metadata: _a, status: _b, ...body } = next;
    const { metadata: _c, status: _d, ...oldBody } = old;
    if (!isDeepStrictEqual(body, wire(oldBody))) next.metadata.generation = (m.generation ?? 0) + 1;
    if (m.deletionTimestamp && !next.metadata.finalizers?.length) {
      this.#remove(existing, m.uid !== undefined && this.#orphanOnRemoval.has(m.uid), next);
      return existing.obj;
    }
    this.#write(existing, next, 'MODIFIED');
    return existing.obj;
  }

  /**
   * Removes an object for good (as `last`, when the write that removed its last finalizer
   * changed it), then lets the garbage collector act on its dependents.
   */
  #remove(stored: Stored, orphan: boolean, last: ApiObject = stored.obj): void {
    const { type, obj } = stored;
    const uid = obj.metadata.uid;
    this.#table(type).delete(this.#key(type, obj.metadata.namespace, obj.metadata.name ?? ''));
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
        } else if (table.get(this.#key(dep.type, dep.obj.metadata.namespace, dep.obj.metadata.name ?? ''))) {
          this.#remove(dep, false);
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
    this.#history.push(entry);
    if (this.#history.length > this.#historyLimit) {
      const dropped = this.#history.shift();
      if (dropped) this.#compactedTo = dropped.rv;
    }
    for (const w of this.#watches) this.#offer(w, entry);
  }

  // ---- watches ----------------------------------------------------------------------------------

  #watchSees(w: Watch, obj: ApiObject | undefined): boolean {
    if (!obj) return false;
    if (w.namespace !== undefined && obj.metadata.namespace !== w.namespace) return false;
    return labelsMatch(w.selector, obj.metadata.labels);
  }

  /** Sends a history entry to a watch as that watch sees it (selector transitions included). */
  #offer(w: Watch, h: HistoryEntry): void {
    if (h.typeId !== w.typeId) return;
    const now = h.kind !== 'DELETED' && this.#watchSees(w, h.obj);
    const before = h.kind !== 'ADDED' && this.#watchSees(w, h.old);
    if (h.kind === 'DELETED' && before) this.#send(w, { type: 'DELETED', object: wire(h.obj) });
    else if (now && before) this.#send(w, { type: 'MODIFIED', object: wire(h.obj) });
    else if (now) this.#send(w, { type: 'ADDED', object: wire(h.obj) });
    else if (before) this.#send(w, { type: 'DELETED', object: wire(h.obj) });
  }

  #send(w: Watch, event: WatchEvent<ApiObject>): void {
    w.pending.push(event);
    if (w.scheduled) return;
    w.scheduled = true;
    // Delivered after the write's response, like bytes arriving later on a stream.
    setImmediate(() => {
      w.scheduled = false;
      while (w.pending.length && this.#watches.has(w)) {
        const e = w.pending.shift()!;
        try {
          w.onEvent(e);
        } catch (err) {
          this.#closeWatch(w, err);
        }
      }
    });
  }

  #closeWatch(w: Watch, err: unknown): void {
    if (!this.#watches.delete(w)) return;
    w.pending.length = 0;
    if (err === undefined) w.resolve();
    else w.reject(err);
  }

  // ---- requests ---------------------------------------------------------------------------------

  /**
   * Counts and logs a request, then applies the first fault that matches it: throws its
   * error, or returns the delay to await (undefined when there is none).
   */
  #begin(call: FakeCall, type: ResourceType): Promise<void> | undefined {
    this.requests[call.verb]++;
    this.calls.push(call);
    const i = this.#faults.findIndex(
      ({ fault: f, left }) =>
        left > 0 &&
        (f.verb === undefined || f.verb === call.verb) &&
        (f.resource === undefined || f.resource === type.kind || f.resource === type.plural) &&
        (f.name === undefined || f.name === call.name),
    );
    if (i < 0) return undefined;
    const { fault } = this.#faults[i]!;
    if (--this.#faults[i]!.left === 0) this.#faults.splice(i, 1);
    const ms = fault.delayMs;
    if (!ms) {
      if (fault.error) throw fault.error;
      return undefined;
    }
    return new Promise<void>((resolve, reject) =>
      this.#clock.setTimeout(() => (fault.error ? reject(fault.error) : resolve()), ms),
    );
  }

  #error(status: number, reason: string, message: string, method: string, path: string, type: ResourceType) {
    return new ApiError(status, reason, `${method} ${path}: ${status} ${reason}: ${message}`, {
      kind: type.kind,
    });
  }

  #notFound(type: ResourceType, name: string, method: string, path: string): ApiError {
    return this.#error(404, 'NotFound', `${typeIdOf(type)} "${name}" not found`, method, path, type);
  }
}

/**
 * An {@link ApiError} as `HttpKubeClient` raises it for a response, for fault injection:
 * `apiError(503, 'ServiceUnavailable', 'etcd is down', Resources.Task)`.
 */
export const apiError = (status: number, reason: string, message: string, type?: ResourceType): ApiError =>
  new ApiError(status, reason, `${status} ${reason}: ${message}`, type ? { kind: type.kind } : undefined);
