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
 * This file is the request layer (counting, faults, error shapes, list and watch options);
 * `fake-kube-store.ts` holds the objects and the rules of a write, `fake-kube-watch.ts` the
 * history and open watches, `fake-kube-query.ts` selectors and merge patch.
 *
 * @module
 */
import {
  ApiError,
  type ApiObject,
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
import {
  applyMergePatch,
  fieldsMatch,
  labelsMatch,
  parseFieldSelector,
  parseLabelSelector,
} from './fake-kube-query.ts';
import { type Fail, ObjectStore, typeIdOf } from './fake-kube-store.ts';
import { WatchHub, wire } from './fake-kube-watch.ts';

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

const BUILT_IN_STATUS = [CoreResources.Job, CoreResources.Pod, CoreResources.Namespace];
/** Built-in groups (`''`, `batch`, `*.k8s.io`) leave apiVersion and kind out of list items; CRDs keep them. */
const isBuiltIn = (t: ResourceType): boolean => !t.group.includes('.') || t.group.endsWith('.k8s.io');

/** The fake API server. See the module comment for what it models. */
export class FakeKube implements KubeClient {
  readonly #clock: Clock;
  readonly #hub: WatchHub;
  readonly #store: ObjectStore;
  readonly #faults: Array<{ fault: Fault; left: number }> = [];
  readonly #logs = new Map<string, string>();
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
    this.#hub = new WatchHub(opts.historyLimit ?? 10_000);
    const statusTypes = new Set([...BUILT_IN_STATUS, ...(opts.statusSubresources ?? [])].map(typeIdOf));
    this.#store = new ObjectStore(this.#clock, statusTypes, this.#hub);
  }

  /** The current resourceVersion (of the last write). */
  get resourceVersion(): string {
    return String(this.#store.rv);
  }

  /** Watches open now. */
  get openWatches(): number {
    return this.#hub.openCount;
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
    const s = this.#store.find(type, namespace, name);
    return s ? wire(s.obj as T) : undefined;
  }

  /** Every object of a type (of one namespace), without a request. */
  objects<T extends ApiObject>(type: ResourceType, namespace?: string): T[] {
    return this.#store
      .sorted(type)
      .filter((s) => namespace === undefined || s.obj.metadata.namespace === namespace)
      .map((s) => wire(s.obj as T));
  }

  /** Size of every pod log served, in bytes. */
  readonly logBytesServed: number[] = [];

  /** Sets the log `getText` returns for a container of a Pod. */
  setPodLog(namespace: string, pod: string, container: string, text: string): void {
    this.#logs.set(`${namespace}/${pod}/${container}`, text);
  }

  /** Resolves once every watch event sent so far has been delivered. */
  flush(): Promise<void> {
    return this.#hub.flush();
  }

  /** Ends every open watch cleanly, as the server does when `timeoutSeconds` passes. */
  endWatches(): void {
    this.#hub.closeAll();
  }

  /** Fails every open watch with `err` (a dropped connection, or a 410 from a compaction). */
  failWatches(err: Error): void {
    this.#hub.closeAll(err);
  }

  /** Forgets the watch history, as etcd compaction does: older versions now get 410 Expired. */
  compact(): void {
    this.#hub.compact(this.#store.rv);
  }

  // ---- KubeClient -----------------------------------------------------------------------------

  async get<T extends ApiObject>(type: ResourceType, namespace: string | undefined, name: string) {
    await this.#begin({ verb: 'get', resource: typeIdOf(type), namespace, name }, type);
    return this.peek<T>(type, namespace, name);
  }

  /** Like the API server's metadata-only GET: a PartialObjectMetadata, no data. */
  async getMetadata(type: ResourceType, namespace: string | undefined, name: string) {
    await this.#begin({ verb: 'get', resource: typeIdOf(type), namespace, name }, type);
    const obj = this.peek(type, namespace, name);
    return obj
      ? {
          apiVersion: 'meta.k8s.io/v1',
          kind: 'PartialObjectMetadata',
          metadata: structuredClone(obj.metadata),
        }
      : undefined;
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
    let items = this.#store
      .sorted(type)
      .filter(
        (s) =>
          this.#store.inNamespace(type, s.obj, opts.namespace) &&
          labelsMatch(labels.value, s.obj.metadata.labels) &&
          fieldsMatch(fields.value, s.obj.metadata),
      );
    if (opts.continue) {
      const after = Buffer.from(opts.continue, 'base64url').toString('utf8');
      items = items.filter(
        (s) => this.#store.key(type, s.obj.metadata.namespace, s.obj.metadata.name ?? '') > after,
      );
    }
    const page = opts.limit && opts.limit > 0 ? items.slice(0, opts.limit) : items;
    const rest = items.length - page.length;
    const last = page.at(-1)?.obj.metadata;
    const metadata: ListPage<T>['metadata'] = { resourceVersion: this.resourceVersion };
    if (rest > 0 && last) {
      metadata.continue = Buffer.from(this.#store.key(type, last.namespace, last.name ?? '')).toString(
        'base64url',
      );
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
    if (from !== undefined && (Number.isNaN(from) || from < this.#hub.compactedTo)) {
      // The real server sends this as an ERROR event; the client rejects with it (no kind).
      throw new ApiError(
        410,
        'Expired',
        `watch ${path}: too old resource version: ${opts.resourceVersion} (${this.#hub.compactedTo})`,
      );
    }
    const spec = {
      typeId: typeIdOf(type),
      namespace: type.namespaced ? opts.namespace || undefined : undefined,
      selector: labels.value,
      onEvent: onEvent as (e: WatchEvent<ApiObject>) => void,
    };
    const start = from === undefined ? { initial: this.#store.sorted(type).map((s) => s.obj) } : { from };
    return this.#hub.open(spec, start, opts.signal);
  }

  /** Like the API server's create answered as PartialObjectMetadata. */
  async createMetadataOnly(type: ResourceType, obj: ApiObject): Promise<ApiObject> {
    const created = await this.create(type, obj);
    return { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: created.metadata };
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
    if (!name && obj.metadata.generateName) name = obj.metadata.generateName + this.#store.suffix();
    if (!name)
      throw this.#error(
        422,
        'Invalid',
        'metadata.name: Required value: name or generateName is required',
        method,
        path,
        type,
      );
    const fail = this.#failer(method, path, type);
    return wire(this.#store.insert(type, { ...obj, metadata: { ...obj.metadata, name } }, fail) as T);
  }

  async apply<T extends ApiObject>(type: ResourceType, obj: T, _opts: { force?: boolean } = {}): Promise<T> {
    const { namespace, name } = obj.metadata;
    if (!name) throw new Error(`apply needs metadata.name (${type.kind})`);
    await this.#begin({ verb: 'apply', resource: typeIdOf(type), namespace, name }, type);
    const method = 'PATCH';
    const path = resourcePath(type, namespace, name);
    const fail = this.#failer(method, path, type);
    const existing = this.#store.find(type, namespace, name);
    if (!existing) {
      const { resourceVersion: _rv, ...metadata } = obj.metadata;
      return wire(this.#store.insert(type, { ...obj, metadata }, fail) as T);
    }
    this.#store.precondition(existing, obj.metadata.resourceVersion, fail);
    const { status: _status, ...body } = obj as ApiObject & { status?: unknown };
    const merged = applyMergePatch(existing.obj, this.#store.hasStatus(type) ? body : obj);
    return wire(this.#store.update(existing, merged as ApiObject, false, fail) as T);
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
    if (status && !this.#store.hasStatus(type)) {
      throw this.#error(
        404,
        'NotFound',
        'the server could not find the requested resource',
        method,
        path,
        type,
      );
    }
    const existing = this.#store.find(type, namespace, name);
    if (!existing) throw this.#notFound(type, name, method, path);
    const meta = patch['metadata'] as { resourceVersion?: string } | undefined;
    const fail = this.#failer(method, path, type);
    this.#store.precondition(existing, opts.resourceVersion ?? meta?.resourceVersion, fail);
    const patched = applyMergePatch(existing.obj, patch) as ApiObject;
    return wire(this.#store.update(existing, patched, status, fail) as T);
  }

  async delete(type: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions = {}) {
    await this.#begin({ verb: 'delete', resource: typeIdOf(type), namespace, name, options: opts }, type);
    const method = 'DELETE';
    const path = resourcePath(type, namespace, name);
    const existing = this.#store.find(type, namespace, name);
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
    this.#store.delete(existing, orphan);
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
    const query = new URLSearchParams(m[3] ?? '');
    const container = query.get('container') ?? '';
    const text = this.#logs.get(`${namespace}/${name}/${container}`) ?? '';
    // As the API server does: at most limitBytes bytes of the log.
    const limit = Number(query.get('limitBytes') ?? Number.POSITIVE_INFINITY);
    const served = Buffer.byteLength(text) > limit ? Buffer.from(text).subarray(0, limit).toString() : text;
    this.logBytesServed.push(Buffer.byteLength(served));
    return served;
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

  /** The error factory of one request: an {@link ApiError} as `HttpKubeClient` builds it from a response. */
  #failer(method: string, path: string, type: ResourceType): Fail {
    return (status, reason, message) => this.#error(status, reason, message, method, path, type);
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
