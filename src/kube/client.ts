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
import { createSecureContext } from 'node:tls';
import {
  ApiError,
  type ApiObject,
  CoreResources,
  type DeleteOptions,
  isNotFound,
  type KubeClient,
  type ListOptions,
  type ListPage,
  namespaceOfPath,
  type PatchOptions,
  parseWarningHeaders,
  type RequestDetail,
  type RequestObserver,
  type ResourceType,
  resourcePath,
  type Verb,
  type WatchEvent,
  WatchIdleError,
  type WatchOptions,
  WRITE_VERBS,
} from './api.ts';
import type { Connection } from './kubeconfig.ts';

export * from './api.ts';

const query = (params: Record<string, string | number | boolean | undefined>): string => {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
};

/** Default deadline of one API request (the API server's own default is 60 s). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The media type that asks the API server for an object's metadata alone. */
const PARTIAL_METADATA = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/**
 * Asked before a request with the namespace its path addresses (undefined: a cluster-scoped
 * object, or a collection across all namespaces); returns why the request must not be sent,
 * or undefined.
 */
export type NamespaceFence = (
  verb: Verb,
  type: ResourceType,
  namespace: string | undefined,
) => string | undefined;

/** Reason of the {@link ApiError} a {@link NamespaceFence} refuses a request with. */
export const OUTSIDE_NAMESPACES = 'OutsideNamespaces';

/** A {@link KubeClient} over HTTP/1.1 keep-alive connections. */
export class HttpKubeClient implements KubeClient {
  readonly #conn: Connection;
  readonly #server: URL;
  readonly #agent: http.Agent;
  readonly #transport: typeof http | typeof https;
  readonly #fieldManager: string;
  readonly #timeoutMs: number;
  readonly #busyRetries: number;
  readonly #watchIdleMs: number;
  readonly #writeFence: ((verb: Verb, type: ResourceType) => string | undefined) | undefined;
  readonly #namespaceFence: NamespaceFence | undefined;
  readonly #observers: RequestObserver[] = [];
  readonly #faultObservers: Array<(fault: string, err: unknown) => void> = [];
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
   * Connects to `conn`.
   *
   * @param opts.maxSockets - bounds concurrent requests; watches hold one socket each for
   *   their lifetime, so it must exceed the number of watches.
   * @param opts.fieldManager - names this client in `managedFields`, so `kubectl` shows who
   *   owns which field; every write sends it.
   * @param opts.timeoutMs - deadline of every request, from sending to the last byte of the
   *   response (default {@link DEFAULT_REQUEST_TIMEOUT_MS}); a watch's response must start
   *   within it (else an {@link ApiError} `Timeout`, not a {@link WatchIdleError}), and it ends
   *   `timeoutMs` after its server-side `timeoutSeconds`. Without it a hung connection stalls a
   *   reconcile, or a leader's renew, for ever.
   * @param opts.watchIdleMs - how long a watch may see no byte before it is ended as idle (a
   *   {@link WatchIdleError}); default 90 s, and never below `timeoutMs`.
   * @param opts.writeFence - asked before every write; a returned reason refuses the write with
   *   an {@link ApiError} `NotLeader` before anything is sent (a replica that lost its Lease
   *   must not write, even from a reconcile that was already running).
   * @param opts.namespaceFence - asked before every request, watches and pod logs included;
   *   a returned reason refuses it with an {@link ApiError} {@link OUTSIDE_NAMESPACES} before
   *   anything is sent (an operator that watches some namespaces touches nothing elsewhere,
   *   whatever an object asks of it).
   * @param opts.busyRetries - how often a request the API server answers 429 Too Many Requests
   *   is sent again, after the `Retry-After` it names (1 s without one, at most 10 s), as
   *   client-go does: a list of a CRD just established is refused with `storage is
   *   (re)initializing` for a moment. Default 0: the operator's queue retries with its own
   *   backoff.
   */
  constructor(
    conn: Connection,
    opts: {
      maxSockets?: number;
      fieldManager?: string;
      timeoutMs?: number;
      watchIdleMs?: number;
      writeFence?: (verb: Verb, type: ResourceType) => string | undefined;
      namespaceFence?: NamespaceFence;
      busyRetries?: number;
    } = {},
  ) {
    this.#busyRetries = opts.busyRetries ?? 0;
    this.#writeFence = opts.writeFence;
    this.#namespaceFence = opts.namespaceFence;
    this.#conn = conn;
    this.#fieldManager = opts.fieldManager ?? 'kube-client';
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#watchIdleMs = Math.max(this.#timeoutMs, opts.watchIdleMs ?? 90_000);
    this.#server = new URL(conn.server);
    const secure = this.#server.protocol === 'https:';
    this.#transport = secure ? https : http;
    const maxSockets = opts.maxSockets ?? 64;
    const common = { keepAlive: true, keepAliveMsecs: 30_000, maxSockets, maxFreeSockets: maxSockets };
    // One TLS context for every connection: without it each new socket parses the CA, the
    // certificate and the key again (a burst opens dozens of sockets at once).
    const { ca, cert, key, ...verify } = conn.tls;
    this.#agent = secure
      ? new https.Agent({ ...verify, secureContext: createSecureContext({ ca, cert, key }), ...common })
      : new http.Agent(common);
  }

  get requests(): Readonly<Record<Verb, number>> {
    return this.#requests;
  }

  /** Calls `observer` after every request. */
  observe(observer: RequestObserver): void {
    this.#observers.push(observer);
  }

  /** Calls `observer` for every malformed response the client refused (a corrupt watch line). */
  observeFaults(observer: (fault: string, err: unknown) => void): void {
    this.#faultObservers.push(observer);
  }

  /** Most connections open at once; more requests wait for one. */
  get maxSockets(): number {
    return this.#agent.maxSockets;
  }

  /**
   * Resizes the pool, for a client whose informers are built on it before the number of
   * watches they hold (each keeps a connection) is known. Set it before the first request.
   */
  set maxSockets(n: number) {
    this.#agent.maxSockets = n;
    this.#agent.maxFreeSockets = n;
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

  async getMetadata(type: ResourceType, namespace: string | undefined, name: string) {
    try {
      const path = resourcePath(type, namespace, name);
      return (await this.#json(
        'get',
        type,
        'GET',
        path,
        undefined,
        undefined,
        PARTIAL_METADATA,
      )) as ApiObject;
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

  async createMetadataOnly(type: ResourceType, obj: ApiObject) {
    const path = resourcePath(type, obj.metadata.namespace) + query({ fieldManager: this.#fieldManager });
    return (await this.#json('create', type, 'POST', path, obj, undefined, PARTIAL_METADATA)) as ApiObject;
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

  /**
   * GET of a sub-path whose text arrives over time (`pods/<name>/log?follow=true`): each chunk
   * goes to `onText` as it arrives; resolves when the server ends the response, rejects with an
   * {@link ApiError} for a non-2xx answer. The response must start within the client's
   * timeout; after that the stream may be silent for as long as `idleTimeoutMs` (default: no
   * limit — a followed container may print nothing for an hour), and `signal` ends it early
   * (resolving, not rejecting).
   */
  streamText(
    path: string,
    onText: (text: string) => void,
    opts: { signal?: AbortSignal; idleTimeoutMs?: number } = {},
  ): Promise<void> {
    this.#count('get');
    const started = performance.now();
    return this.#authHeaders().then(
      (auth) =>
        new Promise<void>((resolve, reject) => {
          if (opts.signal?.aborted) {
            resolve();
            return;
          }
          const req = this.#transport.request(new URL(path, this.#server), {
            method: 'GET',
            agent: this.#agent,
            headers: { ...auth, accept: '*/*' },
          });
          const onAbort = (): void => {
            req.destroy();
            resolve();
          };
          opts.signal?.addEventListener('abort', onAbort, { once: true });
          const deadline = setTimeout(
            () => req.destroy(new Error(`no response within ${this.#timeoutMs} ms`)),
            this.#timeoutMs,
          );
          req.on('close', () => {
            clearTimeout(deadline);
            opts.signal?.removeEventListener('abort', onAbort);
          });
          req.on('error', (err) =>
            reject(new ApiError(0, 'NetworkError', `GET ${path}: ${err.message}`, { cause: err })),
          );
          req.on('response', (res) => {
            clearTimeout(deadline);
            const status = res.statusCode ?? 0;
            this.#notify('get', CoreResources.Pod, status, performance.now() - started, {
              method: 'GET',
              path,
            });
            if (status < 200 || status >= 300) {
              readBody(res).then((body) => reject(toApiError(status, body, 'GET', path)), reject);
              return;
            }
            if (opts.idleTimeoutMs !== undefined) {
              req.setTimeout(opts.idleTimeoutMs, () =>
                req.destroy(new ApiError(0, 'Timeout', `GET ${path}: no data for ${opts.idleTimeoutMs} ms`)),
              );
            }
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              try {
                onText(chunk);
              } catch (err) {
                // Never throw out of a data callback: the consumer's failure ends the stream.
                res.destroy();
                reject(err);
              }
            });
            res.on('end', () => resolve());
            res.on('close', () => {
              if (!res.complete) reject(new ApiError(0, 'NetworkError', `GET ${path}: stream cut off`));
            });
          });
          req.end();
        }),
    );
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
    const outside = this.#outside('watch', type, 'GET', path);
    if (outside) return Promise.reject(outside);
    this.#count('watch');
    const started = performance.now();
    return new Promise<void>((resolve, settle) => {
      // Destroying the request on the idle limit also fails the response ('aborted',
      // 'socket hang up'), whichever Node reports first: the idle error is the one that says
      // what happened, so it wins once set.
      let idle: WatchIdleError | undefined;
      const reject = (err: unknown) => settle(idle ?? err);
      void this.#authHeaders().then((auth) => {
        const req = this.#transport.request(
          new URL(path, this.#server),
          {
            method: 'GET',
            agent: this.#agent,
            headers: { ...auth, accept: 'application/json' },
            signal: opts.signal,
            // Idle limit: a watch that sees no byte (event or bookmark) for this long is dead.
            timeout: this.#watchIdleMs,
          },
          (res) => {
            clearTimeout(answer);
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
                let event: { type: string; object: Record<string, unknown> };
                try {
                  event = JSON.parse(line) as typeof event;
                  if (typeof event !== 'object' || event === null || typeof event.object !== 'object') {
                    throw new Error('not a watch event');
                  }
                } catch (err) {
                  // A corrupt stream (a proxy, a truncated line): end this watch; the informer
                  // resumes from the last version it saw. Never throw out of a data callback.
                  failed = true;
                  res.destroy();
                  for (const o of this.#faultObservers) o('MalformedWatchEvent', err);
                  reject(
                    new ApiError(
                      0,
                      'MalformedWatchEvent',
                      `watch ${path}: malformed event: ${line.slice(0, 200)}`,
                      {
                        cause: err,
                        kind: type.kind,
                      },
                    ),
                  );
                  return;
                }
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
        // The response must start within the request deadline, as any request's: a server that
        // accepts the connection and never answers is not an idle watch (which is resumed at
        // once and quietly) but an unreachable one, which the informer backs off from and warns.
        const answer = setTimeout(
          () =>
            req.destroy(
              new ApiError(0, 'Timeout', `watch ${path}: no response within ${this.#timeoutMs} ms`),
            ),
          this.#timeoutMs,
        );
        req.on('close', () => clearTimeout(answer));
        req.on('timeout', () => {
          idle = new WatchIdleError(`watch ${path}: no data for ${this.#watchIdleMs} ms`);
          req.destroy(idle);
        });
        if (opts.timeoutSeconds !== undefined) {
          const deadline = setTimeout(
            () => req.destroy(new ApiError(0, 'Timeout', `watch ${path}: server did not end it in time`)),
            opts.timeoutSeconds * 1000 + this.#timeoutMs,
          );
          deadline.unref();
          req.on('close', () => clearTimeout(deadline));
        }
        req.on('error', reject);
        req.end();
      }, reject);
    });
  }

  /** The error refusing a request outside the namespaces the fence allows, if it is. */
  #outside(verb: Verb, type: ResourceType, method: string, path: string): ApiError | undefined {
    const reason = this.#namespaceFence?.(verb, type, namespaceOfPath(path));
    return reason === undefined
      ? undefined
      : new ApiError(0, OUTSIDE_NAMESPACES, `${method} ${path}: refused: ${reason}`, { kind: type.kind });
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
    accept = 'application/json',
  ): Promise<unknown> {
    const res = await this.#send(verb, type, method, path, body, contentType, accept);
    return res.body ? JSON.parse(res.body) : undefined;
  }

  async #send(
    verb: Verb,
    type: ResourceType,
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    accept = 'application/json',
  ): Promise<{ status: number; body: string }> {
    const outside = this.#outside(verb, type, method, path);
    if (outside) throw outside;
    const fenced = WRITE_VERBS.has(verb) ? this.#writeFence?.(verb, type) : undefined;
    if (fenced !== undefined) {
      throw new ApiError(0, 'NotLeader', `${method} ${path}: refused: ${fenced}`, { kind: type.kind });
    }
    this.#count(verb);
    const auth = await this.#authHeaders();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { ...auth, accept };
    if (payload !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    for (let retry = 0; ; retry++) {
      const started = performance.now();
      const { status, text, retryAfter, warnings } = await this.#sendOnce(
        method,
        path,
        headers,
        payload,
        type,
      );
      const failed =
        status < 200 || status >= 300 ? toApiError(status, text, method, path, type.kind) : undefined;
      this.#notify(verb, type, status, performance.now() - started, {
        method,
        path,
        ...(failed ? { error: failed } : {}),
        ...(warnings.length > 0 ? { warnings } : {}),
      });
      if (status === 429 && retry < this.#busyRetries) {
        const seconds = Number(retryAfter);
        const ms = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 10) * 1000 : 1000;
        await new Promise((r) => setTimeout(r, ms));
        continue;
      }
      if (failed) throw failed;
      return { status, body: text };
    }
  }

  /** One round trip: the status, the body, the `Retry-After` header and the warnings. */
  #sendOnce(
    method: string,
    path: string,
    headers: Record<string, string>,
    payload: string | undefined,
    type: ResourceType,
  ): Promise<{ status: number; text: string; retryAfter: string | undefined; warnings: string[] }> {
    return new Promise((resolve, reject) => {
      const req = this.#transport.request(
        new URL(path, this.#server),
        { method, agent: this.#agent, headers },
        (res) => {
          const retryAfter = res.headers['retry-after'];
          const warnings = parseWarningHeaders(res.headersDistinct['warning'] ?? []);
          readBody(res).then(
            (t) => resolve({ status: res.statusCode ?? 0, text: t, retryAfter: retryAfter, warnings }),
            reject,
          );
        },
      );
      const deadline = setTimeout(
        () => req.destroy(new Error(`no response within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
      req.on('close', () => clearTimeout(deadline));
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
  }
}

const readBody = (res: http.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('close', () => {
      if (!res.complete) reject(new Error('response aborted before its end'));
    });
  });

const toApiError = (status: number, text: string, method: string, path: string, kind?: string): ApiError => {
  let reason = 'Unknown';
  let message = text.slice(0, 500);
  let causes: string[] = [];
  try {
    const st = JSON.parse(text) as {
      reason?: string;
      message?: string;
      details?: { causes?: Array<{ type?: unknown }> };
    };
    reason = st.reason ?? reason;
    message = st.message ?? message;
    const listed = Array.isArray(st.details?.causes) ? st.details.causes : [];
    causes = listed.map((c) => c?.type).filter((t): t is string => typeof t === 'string');
  } catch {
    // Not a Status object (a proxy, or plain-text pod logs errors); keep the raw text.
  }
  return new ApiError(status, reason, `${method} ${path}: ${status} ${reason}: ${message}`, {
    kind,
    causes,
  });
};
