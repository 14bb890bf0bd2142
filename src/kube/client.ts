/**
 * A narrow Kubernetes client for the operator: get, list, watch, create, server-side apply,
 * merge patch (optionally on the status subresource, optionally with a resourceVersion
 * precondition) and delete with preconditions, over one keep-alive connection pool.
 *
 * Why not the generated clients of `@kubernetes/client-node` 2.x: they build a new undici
 * `Agent` for every request (`KubeConfig.applySecurityAuthentication` → `createDispatcher`),
 * so every call pays a fresh TCP and TLS handshake and no connection is reused; and the
 * package costs about 90 MB of RSS to import (see `kubeconfig.ts`). We send the requests
 * over a single `https.Agent` with keep-alive instead. Every request is counted by verb,
 * which the bench reads (requests per Task, writes during a resync).
 *
 * @packageDocumentation
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Connection } from './kubeconfig.ts';
import type { ObjectMeta } from './meta.ts';

/**
 * Any object the API serves, as far as the client needs to know. Looser than `KubeObject`
 * (no index signature), so typed objects of any kind fit it.
 */
export interface ApiObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** Where a kind lives in the API: enough to build its URLs. */
export interface ResourceType {
  /** API group; empty for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** `apiVersion` of objects of a resource type. */
export const apiVersionOf = (type: ResourceType): string =>
  type.group ? `${type.group}/${type.version}` : type.version;

/** The built-in resource types a controller commonly reads and writes. */
export const CoreResources = {
  Job: { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true },
  Pod: { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  ConfigMap: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  Secret: { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  Event: { group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  Lease: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true },
  Namespace: { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
} as const satisfies Record<string, ResourceType>;

/** Request verbs, as counted. `apply` is a server-side-apply PATCH. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'apply' | 'patch' | 'delete';

/** Verbs that change state in the API server. */
export const WRITE_VERBS: ReadonlySet<Verb> = new Set(['create', 'apply', 'patch', 'delete']);

/** A failed API request, with the HTTP status and the `Status` reason the server sent. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** HTTP status code; 0 when no response arrived. */
  readonly status: number;
  /** `Status.reason`, e.g. `NotFound`, `AlreadyExists`, `Conflict`, `Expired`. */
  readonly reason: string;
  /** Kind of the resource the request was about, when known. */
  readonly kind: string | undefined;

  constructor(status: number, reason: string, message: string, options?: { cause?: unknown; kind?: string }) {
    super(message, options);
    this.status = status;
    this.reason = reason;
    this.kind = options?.kind;
  }
}

/** Whether `err` is an {@link ApiError} with HTTP status `status`. */
export const isStatus = (err: unknown, status: number): boolean =>
  err instanceof ApiError && err.status === status;
/** 404. */
export const isNotFound = (err: unknown): boolean => isStatus(err, 404);
/** 409 with reason AlreadyExists. */
export const isAlreadyExists = (err: unknown): boolean =>
  err instanceof ApiError && err.status === 409 && err.reason === 'AlreadyExists';
/** 409 caused by a stale resourceVersion or a failed precondition. */
export const isConflict = (err: unknown): boolean =>
  err instanceof ApiError && err.status === 409 && err.reason !== 'AlreadyExists';
/** 410: the resourceVersion a watch asked for is too old. */
export const isGone = (err: unknown): boolean => isStatus(err, 410);

/** Options of {@link KubeClient.list}. */
export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

/** One page of a list. */
export interface ListPage<T> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
}

/** One event of a watch stream. */
export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: T;
}

/** Options of {@link KubeClient.watch}. */
export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  resourceVersion?: string;
  /** Server-side end of the watch; the informer then resumes from the last version. */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

/** Options of {@link KubeClient.delete}. */
export interface DeleteOptions {
  /** Only delete the object with this uid (guards against deleting a re-created namesake). */
  uid?: string;
  /** Only delete the object at this version. */
  resourceVersion?: string;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
}

/** Options of {@link KubeClient.mergePatch}. */
export interface PatchOptions {
  /** Patch a subresource, e.g. `status`. */
  subresource?: 'status';
  /**
   * Fail with 409 Conflict unless the object is still at this version (optimistic
   * concurrency). Sent as `metadata.resourceVersion` inside the patch.
   */
  resourceVersion?: string;
}

/** The HTTP side of an observed request. */
export interface RequestDetail {
  readonly method: string;
  /** Path and query, e.g. `/api/v1/namespaces/a/pods/b/log`. */
  readonly path: string;
}

/**
 * Observes every request; the metrics module and the bench hang off it, and the RBAC check
 * reads `detail` to tell subresources and namespaces apart.
 */
export type RequestObserver = (
  verb: Verb,
  type: ResourceType,
  status: number,
  durationMs: number,
  detail: RequestDetail,
) => void;

/**
 * The operations the operator needs. One implementation talks HTTP ({@link HttpKubeClient});
 * tests may provide another.
 */
export interface KubeClient {
  /** Reads one object; `undefined` when it does not exist. */
  get<T extends ApiObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined>;
  /** Reads one page of a list. */
  list<T extends ApiObject>(type: ResourceType, opts?: ListOptions): Promise<ListPage<T>>;
  /**
   * Watches from `opts.resourceVersion` and calls `onEvent` for each event, in order. Resolves
   * when the server ends the stream, rejects with an {@link ApiError} (410 when the version is
   * too old) or a network error.
   */
  watch<T extends ApiObject>(
    type: ResourceType,
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<void>;
  /** Creates an object; rejects with 409 AlreadyExists when the name is taken. */
  create<T extends ApiObject>(type: ResourceType, obj: T): Promise<T>;
  /** Server-side apply under the client's field manager. */
  apply<T extends ApiObject>(type: ResourceType, obj: T, opts?: { force?: boolean }): Promise<T>;
  /** JSON merge patch (RFC 7386), optionally on `status` and guarded by a resourceVersion. */
  mergePatch<T extends ApiObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: Record<string, unknown>,
    opts?: PatchOptions,
  ): Promise<T>;
  /** Deletes an object; resolves `false` when it was already gone. */
  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    opts?: DeleteOptions,
  ): Promise<boolean>;
  /** Plain GET of a sub-path that returns text (pod logs). */
  getText(path: string): Promise<string>;
  /** Requests sent so far, by verb. */
  readonly requests: Readonly<Record<Verb, number>>;
}

/** Builds the collection or object path of a resource. */
export const resourcePath = (type: ResourceType, namespace?: string, name?: string): string => {
  const base = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  const ns = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${type.plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
};

const query = (params: Record<string, string | number | boolean | undefined>): string => {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
};

/** A {@link KubeClient} over HTTP/1.1 keep-alive connections. */
export class HttpKubeClient implements KubeClient {
  readonly #conn: Connection;
  readonly #server: URL;
  readonly #agent: http.Agent;
  readonly #transport: typeof http | typeof https;
  readonly #fieldManager: string;
  readonly #observers: RequestObserver[] = [];
  readonly #requests: Record<Verb, number> = {
    get: 0,
    list: 0,
    watch: 0,
    create: 0,
    apply: 0,
    patch: 0,
    delete: 0,
  };

  /**
   * Connects to `conn`. `maxSockets` bounds concurrent requests; watches hold one socket
   * each for their lifetime, so it must exceed the number of watches.
   */
  /**
   * @param opts.fieldManager - names this client in `managedFields`, so `kubectl` shows who
   *   owns which field; every write sends it.
   */
  constructor(conn: Connection, opts: { maxSockets?: number; fieldManager?: string } = {}) {
    this.#conn = conn;
    this.#fieldManager = opts.fieldManager ?? 'kube-client';
    this.#server = new URL(conn.server);
    const secure = this.#server.protocol === 'https:';
    this.#transport = secure ? https : http;
    const maxSockets = opts.maxSockets ?? 64;
    const common = { keepAlive: true, keepAliveMsecs: 30_000, maxSockets, maxFreeSockets: maxSockets };
    this.#agent = secure ? new https.Agent({ ...conn.tls, ...common }) : new http.Agent(common);
  }

  get requests(): Readonly<Record<Verb, number>> {
    return this.#requests;
  }

  /** Calls `observer` after every request. */
  observe(observer: RequestObserver): void {
    this.#observers.push(observer);
  }

  /** Closes idle connections. */
  close(): void {
    this.#agent.destroy();
  }

  async get<T extends ApiObject>(type: ResourceType, namespace: string | undefined, name: string) {
    try {
      return (await this.#json('get', type, 'GET', resourcePath(type, namespace, name))) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list<T extends ApiObject>(type: ResourceType, opts: ListOptions = {}) {
    const path =
      resourcePath(type, opts.namespace) +
      query({
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
      });
    return (await this.#json('list', type, 'GET', path)) as ListPage<T>;
  }

  async create<T extends ApiObject>(type: ResourceType, obj: T) {
    const path = resourcePath(type, obj.metadata.namespace) + query({ fieldManager: this.#fieldManager });
    return (await this.#json('create', type, 'POST', path, obj)) as T;
  }

  async apply<T extends ApiObject>(type: ResourceType, obj: T, opts: { force?: boolean } = {}) {
    const name = obj.metadata.name;
    if (!name) throw new Error(`apply needs metadata.name (${type.kind})`);
    const path =
      resourcePath(type, obj.metadata.namespace, name) +
      query({ fieldManager: this.#fieldManager, force: opts.force });
    return (await this.#json('apply', type, 'PATCH', path, obj, 'application/apply-patch+yaml')) as T;
  }

  async mergePatch<T extends ApiObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: Record<string, unknown>,
    opts: PatchOptions = {},
  ) {
    let body = patch;
    if (opts.resourceVersion !== undefined) {
      const metadata = (patch['metadata'] ?? {}) as Record<string, unknown>;
      body = { ...patch, metadata: { ...metadata, resourceVersion: opts.resourceVersion } };
    }
    const sub = opts.subresource ? `/${opts.subresource}` : '';
    const path = `${resourcePath(type, namespace, name)}${sub}${query({ fieldManager: this.#fieldManager })}`;
    return (await this.#json('patch', type, 'PATCH', path, body, 'application/merge-patch+json')) as T;
  }

  async delete(type: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions = {}) {
    const preconditions: Record<string, string> = {};
    if (opts.uid) preconditions['uid'] = opts.uid;
    if (opts.resourceVersion) preconditions['resourceVersion'] = opts.resourceVersion;
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      ...(Object.keys(preconditions).length ? { preconditions } : {}),
      ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}),
    };
    try {
      await this.#json('delete', type, 'DELETE', resourcePath(type, namespace, name), body);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async getText(path: string): Promise<string> {
    const res = await this.#send('get', CoreResources.Pod, 'GET', path);
    return res.body;
  }

  watch<T extends ApiObject>(
    type: ResourceType,
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<void> {
    const path =
      resourcePath(type, opts.namespace) +
      query({
        watch: true,
        allowWatchBookmarks: true,
        resourceVersion: opts.resourceVersion,
        labelSelector: opts.labelSelector,
        timeoutSeconds: opts.timeoutSeconds,
      });
    this.#count('watch');
    const started = performance.now();
    return new Promise<void>((resolve, reject) => {
      void this.#authHeaders().then((auth) => {
        const req = this.#transport.request(
          new URL(path, this.#server),
          {
            method: 'GET',
            agent: this.#agent,
            headers: { ...auth, accept: 'application/json' },
            signal: opts.signal,
          },
          (res) => {
            const status = res.statusCode ?? 0;
            this.#notify('watch', type, status, performance.now() - started, { method: 'GET', path });
            if (status !== 200) {
              readBody(res).then((body) => reject(toApiError(status, body, 'GET', path)), reject);
              return;
            }
            res.setEncoding('utf8');
            let pending = '';
            let failed = false;
            res.on('data', (chunk: string) => {
              if (failed) return;
              pending += chunk;
              let nl = pending.indexOf('\n');
              while (nl >= 0) {
                const line = pending.slice(0, nl);
                pending = pending.slice(nl + 1);
                nl = pending.indexOf('\n');
                if (!line.trim()) continue;
                const event = JSON.parse(line) as { type: string; object: Record<string, unknown> };
                if (event.type === 'ERROR') {
                  failed = true;
                  const st = event.object as { code?: number; reason?: string; message?: string };
                  res.destroy();
                  reject(
                    new ApiError(
                      st.code ?? 500,
                      st.reason ?? 'Unknown',
                      `watch ${path}: ${st.message ?? 'error'}`,
                    ),
                  );
                  return;
                }
                try {
                  onEvent(event as unknown as WatchEvent<T>);
                } catch (err) {
                  failed = true;
                  res.destroy();
                  reject(err);
                  return;
                }
              }
            });
            res.on('end', () => {
              if (!failed) resolve();
            });
            res.on('error', (err) => {
              if (!failed) reject(err);
            });
            res.on('aborted', () => {
              if (!failed) reject(new Error(`watch ${path} aborted`));
            });
          },
        );
        req.on('error', reject);
        req.end();
      }, reject);
    });
  }

  #count(verb: Verb): void {
    this.#requests[verb]++;
  }

  #notify(verb: Verb, type: ResourceType, status: number, ms: number, detail: RequestDetail): void {
    for (const o of this.#observers) o(verb, type, status, ms, detail);
  }

  #authHeaders(): Promise<Record<string, string>> {
    return this.#conn.headers();
  }

  async #json(
    verb: Verb,
    type: ResourceType,
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<unknown> {
    const res = await this.#send(verb, type, method, path, body, contentType);
    return res.body ? JSON.parse(res.body) : undefined;
  }

  async #send(
    verb: Verb,
    type: ResourceType,
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<{ status: number; body: string }> {
    this.#count(verb);
    const auth = await this.#authHeaders();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const started = performance.now();
    const headers: Record<string, string> = { ...auth, accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = this.#transport.request(
        new URL(path, this.#server),
        { method, agent: this.#agent, headers },
        (res) => {
          readBody(res).then((t) => resolve({ status: res.statusCode ?? 0, text: t }), reject);
        },
      );
      req.on('error', (err) =>
        reject(
          new ApiError(0, 'NetworkError', `${method} ${path}: ${err.message}`, {
            cause: err,
            kind: type.kind,
          }),
        ),
      );
      req.end(payload);
    });
    this.#notify(verb, type, status, performance.now() - started, { method, path });
    if (status < 200 || status >= 300) throw toApiError(status, text, method, path, type.kind);
    return { status, body: text };
  }
}

const readBody = (res: http.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });

const toApiError = (status: number, text: string, method: string, path: string, kind?: string): ApiError => {
  let reason = 'Unknown';
  let message = text.slice(0, 500);
  try {
    const st = JSON.parse(text) as { reason?: string; message?: string };
    reason = st.reason ?? reason;
    message = st.message ?? message;
  } catch {
    // Not a Status object (a proxy, or plain-text pod logs errors); keep the raw text.
  }
  return new ApiError(status, reason, `${method} ${path}: ${status} ${reason}: ${message}`, { kind });
};
