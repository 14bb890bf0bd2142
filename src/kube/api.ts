/**
 * The vocabulary of talking to the API server, apart from any transport: resource types,
 * verbs, list/watch/patch/delete options, the `KubeClient` interface that controllers
 * and test fakes implement, and `ApiError` with its predicates.
 *
 * @packageDocumentation
 */
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
  /** `Status.details.causes[].type` of the answer, e.g. `NamespaceTerminating`; empty when none. */
  readonly causes: readonly string[];

  constructor(
    status: number,
    reason: string,
    message: string,
    options?: { cause?: unknown; kind?: string; causes?: readonly string[] },
  ) {
    super(message, options);
    this.status = status;
    this.reason = reason;
    this.kind = options?.kind;
    this.causes = options?.causes ?? [];
  }
}

/**
 * A watch that received no byte (event or bookmark) for the client's idle limit. Often not a
 * fault: the API server sends bookmarks only for kinds its watch cache has seen an event of
 * since it started, so a watch of a kind nobody wrote to since (no TaskBudgets, no
 * KelosConfig) stays silent. A status-0 `Timeout`, like other timeouts, to callers that do
 * not tell them apart.
 */
export class WatchIdleError extends ApiError {
  constructor(message: string) {
    super(0, 'Timeout', message);
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
/**
 * 403 from the NamespaceLifecycle admission: nothing new may be created in a namespace being
 * deleted. Not a permission problem, and no retry helps: the namespace is going. Told by the
 * `NamespaceTerminating` cause, or by the message (a v1.36 API server sent no cause with it
 * for a ConfigMap or a TaskRecord).
 */
export const isNamespaceTerminating = (err: unknown): boolean =>
  err instanceof ApiError &&
  err.status === 403 &&
  (err.causes.includes('NamespaceTerminating') || err.message.includes('because it is being terminated'));

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
  /** The error an answer outside 2xx becomes (so observers can tell refusals apart). */
  readonly error?: ApiError;
  /**
   * The texts of the answer's `Warning: 299` headers (admission policies with `Warn`,
   * deprecated fields), in the order sent; absent when there were none.
   */
  readonly warnings?: readonly string[];
}

/**
 * The texts of `Warning` header values as the API server sends them (`299 - "text"`, several
 * per value when comma-joined), unescaped. As client-go, only code 299 (a miscellaneous
 * persistent warning, the one code the API server uses) is kept and a malformed value is
 * skipped: a warning is advice, and a garbled one is not worth failing a request over.
 */
export function parseWarningHeaders(values: readonly string[]): string[] {
  const texts: string[] = [];
  for (const value of values) {
    for (const m of value.matchAll(/(\d{3}) [^\s"]+ "((?:[^"\\]|\\.)*)"(?: "[^"]*")?/g)) {
      if (m[1] === '299') texts.push(m[2]!.replace(/\\(.)/g, '$1'));
    }
  }
  return texts;
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
  /**
   * Reads one object's metadata only, as a `meta.k8s.io/v1` PartialObjectMetadata; `undefined`
   * when it does not exist. For existence checks of objects whose data the caller must not
   * hold (Secrets): the server leaves the data out, so it never reaches this process.
   */
  getMetadata(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<ApiObject | undefined>;
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
  /**
   * {@link KubeClient.create}, answered with the created object's metadata only (a
   * PartialObjectMetadata): for a caller that needs no more than the name, uid and
   * resourceVersion. The server then serialises, and this process parses, the metadata instead
   * of the whole defaulted object (a Job's Pod template; a Secret's data).
   */
  createMetadataOnly(type: ResourceType, obj: ApiObject): Promise<ApiObject>;
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

/**
 * The namespace a request path addresses (`/api/v1/namespaces/<ns>/pods/…`,
 * `/apis/<group>/<version>/namespaces/<ns>/…`), or undefined for a cluster-scoped path or
 * a collection across all namespaces. `/api/v1/namespaces/<ns>` itself is the cluster-scoped
 * Namespace object, so it addresses none.
 */
export const namespaceOfPath = (path: string): string | undefined => {
  const m = /^\/(?:api\/[^/?]+|apis\/[^/?]+\/[^/?]+)\/namespaces\/([^/?]+)\/[^/?]/.exec(path);
  return m ? decodeURIComponent(m[1] as string) : undefined;
};
