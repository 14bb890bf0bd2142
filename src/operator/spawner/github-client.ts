/**
 * The GitHub REST reads a polling spawner makes, as a thin typed layer over the outbound
 * guard's `fetch`: conditional requests with a per-spawner ETag cache, `Link` pagination,
 * and rate limits turned into a typed error with the time to retry.
 *
 * Why not `@octokit/core` (7.0.8: about 20 ms and 4.4 MiB RSS to import, 8 packages):
 * the cost is small, the fit is not. Octokit throws on 304 (a `RequestError`), so the
 * normal answer of an unchanged repository would be an exception; pagination and throttling
 * are further plugins (the throttling one brings `bottleneck`) whose retry loops would sit
 * between us and the requeue-after the reconciler should own; and every call must go through
 * the guarded fetch anyway. What remains of Octokit's value, URL templates and headers, is
 * the few lines below.
 *
 * The cache is memory only and per spawner: it saves requests, never decides anything the
 * API server does not also know. Entries not used during a poll are dropped at its end, and
 * the least recently used are dropped whenever it passes its {@link CacheLimits}, so a client
 * that never polls (a webhook spawner's, which only reports and enriches) stays bounded too.
 *
 * @packageDocumentation
 */
import {
  type OutboundFetch,
  type OutboundInit,
  OutboundLookupError,
  OutboundRefusedError,
} from '../outbound.ts';

/** Pages read per list, as upstream (10 × 100 items). */
export const MAX_PAGES = 10;

/** Counts of GitHub API calls by status code, for metrics and the bench. */
export type CallCounts = Record<string, number>;

/** GitHub refused for rate limiting; retry at `retryAt`. */
export class GitHubRateLimitError extends Error {
  /** `primary` (X-RateLimit-Remaining: 0) or `secondary` (abuse limit, Retry-After). */
  readonly scope: 'primary' | 'secondary';
  readonly retryAt: Date;
  readonly status: number;
  constructor(scope: 'primary' | 'secondary', retryAt: Date, status: number, path: string) {
    super(`GitHub ${scope} rate limit on ${path} (HTTP ${status}); retry at ${retryAt.toISOString()}`);
    this.name = 'GitHubRateLimitError';
    this.scope = scope;
    this.retryAt = retryAt;
    this.status = status;
  }
}

/** GitHub answered with an error status. */
export class GitHubApiError extends Error {
  readonly status: number;
  constructor(status: number, path: string, detail: string) {
    super(`GitHub API ${path}: HTTP ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'GitHubApiError';
    this.status = status;
  }
}

/**
 * A request that got no usable answer: no connection, a timeout, or a 2xx that is not JSON (a
 * proxy's login page, a URL that is not a GitHub API). The message names the method, the URL
 * and, for a timeout, how long was waited, so a spawner's status says which call failed.
 */
/** What a parsed JSON answer is, in words, for a message about an answer of the wrong shape. */
export const jsonKind = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'a JSON list' : `a JSON ${typeof value}`;

export class RequestFailedError extends Error {
  constructor(service: string, method: string, url: string, reason: string) {
    super(`${service} ${method} ${url}: ${reason}`);
    this.name = 'RequestFailedError';
  }
}

/** `url` without its query and fragment, for messages about a URL whose query holds a search. */
export const withoutQuery = (url: string): string => url.replace(/[?#].*$/, '');

/**
 * `fetch` of `url` through the guard, with a network error or timeout turned into a
 * {@link RequestFailedError} naming the call; the guard's own refusals already name the URL.
 * With `hideQuery`, every message names the URL without its query (Jira's holds the whole JQL,
 * which a status line or an Event has no room for). Without `timeoutMs`, the guard's deadline
 * applies: the live KelosConfig's `spec.outbound.timeoutSeconds`.
 */
export const fetchNamed = async (
  fetch: OutboundFetch,
  service: string,
  url: string,
  init: OutboundInit & { hideQuery?: boolean },
): Promise<Response> => {
  const { hideQuery, ...request } = init;
  const started = performance.now();
  try {
    return await fetch(url, request);
  } catch (e) {
    if (e instanceof OutboundRefusedError) {
      // The guard's wording is its own; only the URL in it loses its query.
      if (hideQuery) e.message = e.message.replaceAll(e.url, withoutQuery(e.url));
      throw e;
    }
    if (e instanceof OutboundLookupError)
      throw new RequestFailedError(
        service,
        init.method ?? 'GET',
        hideQuery ? withoutQuery(url) : url,
        e.reason,
      );
    const err = e as Error;
    const cause = err?.cause as { message?: string; code?: string } | undefined;
    const waited = ((performance.now() - started) / 1000).toFixed(1);
    const reason =
      err?.name === 'TimeoutError' || err?.name === 'AbortError'
        ? init.timeoutMs !== undefined
          ? `no answer within ${init.timeoutMs / 1000} s (request timed out)`
          : `no answer within the outbound deadline (KelosConfig spec.outbound.timeoutSeconds; gave up after ${waited} s)`
        : `${err?.message ?? String(e)}${cause?.message ? `: ${cause.message}` : cause?.code ? `: ${cause.code}` : ''}`;
    throw new RequestFailedError(service, init.method ?? 'GET', hideQuery ? withoutQuery(url) : url, reason);
  }
};

/** The JSON of a 2xx answer, or a {@link RequestFailedError} naming the call when it is not JSON. */
export const jsonOf = async <T>(res: Response, service: string, method: string, url: string): Promise<T> =>
  jsonOfText<T>(await res.text(), res, service, method, url);

/** {@link jsonOf} of a body already read as `text`. */
export const jsonOfText = <T>(
  text: string,
  res: Response,
  service: string,
  method: string,
  url: string,
): T => {
  try {
    return JSON.parse(text) as T;
  } catch {
    const type = res.headers.get('content-type') ?? 'no content-type';
    throw new RequestFailedError(
      service,
      method,
      url,
      `HTTP ${res.status} answer is not JSON (${type}: ${JSON.stringify(text.slice(0, 60))}); is this the API's URL?`,
    );
  }
};

/** The rate-limit headers of GitHub's last answer, for status and metrics. */
export interface RateLimitState {
  readonly limit: number;
  readonly remaining: number;
  readonly resetAt: Date;
}

/** The result of a conditional read. */
export interface Read<T> {
  readonly data: T;
  /** False when GitHub answered 304 and `data` came from the cache. */
  readonly changed: boolean;
}

/** How to reach GitHub. */
export interface GitHubClientOptions {
  /** API base URL: `https://api.github.com`, or `https://<host>/api/v3` for GitHub Enterprise. */
  readonly baseUrl: string;
  /** The guarded fetch. */
  readonly fetch: OutboundFetch;
  /** The token to send, if any (read per request so a refreshed App token is used). */
  readonly token?: () => Promise<string | undefined> | string | undefined;
  /**
   * Per-request timeout in ms. Unset: the outbound guard's deadline, the live KelosConfig's
   * `spec.outbound.timeoutSeconds`.
   */
  readonly timeoutMs?: number;
  /** Clock, for rate-limit arithmetic. @default Date.now */
  readonly now?: () => number;
  /** Bounds of the ETag cache. @default POLL_CACHE_LIMITS */
  readonly cacheLimits?: CacheLimits;
}

/** Bounds of a client's ETag cache; past either, the least recently used entries are dropped. */
export interface CacheLimits {
  /** Most cached responses. */
  readonly entries: number;
  /** Most characters of response text cached, summed over the entries. */
  readonly chars: number;
}

/**
 * A polling spawner's bounds: room for a whole poll (10 list pages and a comments page for
 * each of up to 1,000 items), so an unchanged repository still costs only 304s.
 */
export const POLL_CACHE_LIMITS: CacheLimits = { entries: 2048, chars: 32 * 1024 * 1024 };

/**
 * A client that reports and enriches but never polls: its reads (an issue's comments, a pull
 * request's files with their patches) are worth keeping only while the Task is active.
 */
export const REPORT_CACHE_LIMITS: CacheLimits = { entries: 256, chars: 4 * 1024 * 1024 };

interface CacheEntry {
  readonly etag: string;
  readonly data: unknown;
  readonly next: string | undefined;
  readonly chars: number;
  used: number;
}

/**
 * The API base URL for a repository host (`host` or `host:port`): api.github.com for
 * github.com, else GitHub Enterprise's `/api/v3` on that host and port.
 */
export const apiBaseUrlFor = (host: string): string =>
  host.toLowerCase() === 'github.com' ? 'https://api.github.com' : `https://${host}/api/v3`;

/** The `rel="next"` URL of a `Link` header. */
export const nextLink = (link: string | null): string | undefined => {
  for (const part of (link ?? '').split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1];
  }
  return undefined;
};

/**
 * The rate-limit verdict of a 403 or 429 answer, or undefined when it is another refusal.
 * Secondary limits carry `Retry-After` (seconds); primary ones `X-RateLimit-Remaining: 0`
 * and `X-RateLimit-Reset` (epoch seconds). GitHub's docs say to wait at least a minute when
 * a secondary limit gives neither.
 */
export const rateLimitOf = (
  status: number,
  headers: Headers,
  nowMs: number,
  body: string,
): { scope: 'primary' | 'secondary'; retryAt: Date } | undefined => {
  if (status !== 403 && status !== 429) return undefined;
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null && /^\d+$/.test(retryAfter.trim())) {
    return { scope: 'secondary', retryAt: new Date(nowMs + Number(retryAfter) * 1000) };
  }
  const reset = Number(headers.get('x-ratelimit-reset'));
  if (headers.get('x-ratelimit-remaining') === '0' && Number.isFinite(reset) && reset > 0) {
    return { scope: 'primary', retryAt: new Date(Math.max(reset * 1000, nowMs)) };
  }
  if (status === 429 || /secondary rate limit/i.test(body)) {
    return { scope: 'secondary', retryAt: new Date(nowMs + 60_000) };
  }
  return undefined;
};

/** GitHub reads with ETags, pagination and rate limits; one per spawner. */
export class GitHubClient {
  readonly baseUrl: string;
  /** Calls made, by status code (`200`, `304`, `403`, …); the caller resets it per poll. */
  calls: CallCounts = {};
  /** Rate-limit headers of the last answer that had them. */
  rateLimit: RateLimitState | undefined;
  private readonly options: GitHubClientOptions;
  /** Insertion order is recency order: a hit moves its entry to the end. */
  private readonly cache = new Map<string, CacheEntry>();
  private charsCached = 0;
  private poll = 0;
  private blocked: { until: number; scope: 'primary' | 'secondary' } = { until: 0, scope: 'primary' };

  constructor(options: GitHubClientOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** Starts a poll: resets the call counts and marks cache entries as unused. */
  beginPoll(): void {
    this.poll++;
    this.calls = {};
  }

  /** Ends a poll: drops cache entries the poll did not use, so the cache stays bounded. */
  endPoll(): void {
    for (const [k, e] of this.cache) if (e.used < this.poll) this.uncache(k);
  }

  /** Number of cached responses. */
  get cacheSize(): number {
    return this.cache.size;
  }

  /** Characters of response text cached. */
  get cacheChars(): number {
    return this.charsCached;
  }

  private uncache(url: string): void {
    const e = this.cache.get(url);
    if (!e) return;
    this.cache.delete(url);
    this.charsCached -= e.chars;
  }

  /** Caches `entry` as the most recent, then drops the least recent past the limits. */
  private remember(url: string, entry: CacheEntry): void {
    const limits = this.options.cacheLimits ?? POLL_CACHE_LIMITS;
    this.uncache(url);
    // One answer larger than the whole budget would only push everything else out.
    if (entry.chars > limits.chars) return;
    this.cache.set(url, entry);
    this.charsCached += entry.chars;
    for (const k of this.cache.keys()) {
      if (this.cache.size <= limits.entries && this.charsCached <= limits.chars) break;
      this.uncache(k);
    }
  }

  /**
   * A conditional GET of `path` (relative to the base URL, or absolute for `Link` URLs).
   * `undefined` data means 404 when `allowNotFound` is set.
   * @throws {GitHubRateLimitError} when rate limited, or still inside a known limit window
   * @throws {GitHubApiError} for any other non-2xx answer
   */
  async get<T>(path: string, allowNotFound = false): Promise<Read<T> & { next: string | undefined }> {
    const now = this.options.now ?? Date.now;
    // Inside a known limit window: do not spend a request to be refused again.
    if (now() < this.blocked.until) {
      throw new GitHubRateLimitError(this.blocked.scope, new Date(this.blocked.until), 0, path);
    }
    const url = path.startsWith('http') ? path : `${this.baseUrl}${path}`;
    const cached = this.cache.get(url);
    const headers: Record<string, string> = {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
    };
    const token = await this.options.token?.();
    if (token) headers.authorization = `token ${token}`;
    if (cached) headers['if-none-match'] = cached.etag;
    const res = await fetchNamed(this.options.fetch, 'GitHub API', url, {
      headers,
      timeoutMs: this.options.timeoutMs,
    });
    const status = String(res.status);
    this.calls[status] = (this.calls[status] ?? 0) + 1;
    const remaining = res.headers.get('x-ratelimit-remaining');
    if (remaining !== null) {
      this.rateLimit = {
        limit: Number(res.headers.get('x-ratelimit-limit') ?? 0),
        remaining: Number(remaining),
        resetAt: new Date(Number(res.headers.get('x-ratelimit-reset') ?? 0) * 1000),
      };
    }
    if (res.status === 304 && cached) {
      await res.body?.cancel();
      cached.used = this.poll;
      this.remember(url, cached);
      return { data: cached.data as T, changed: false, next: cached.next };
    }
    if (res.status === 404 && allowNotFound) {
      await res.body?.cancel();
      this.uncache(url);
      return { data: undefined as T, changed: true, next: undefined };
    }
    if (res.status < 200 || res.status >= 300) {
      const body = await res.text().catch(() => '');
      const limit = rateLimitOf(res.status, res.headers, now(), body);
      if (limit) {
        this.blocked = { until: limit.retryAt.getTime(), scope: limit.scope };
        throw new GitHubRateLimitError(limit.scope, limit.retryAt, res.status, path);
      }
      const message = (() => {
        try {
          return String((JSON.parse(body) as { message?: unknown }).message ?? '');
        } catch {
          return body.slice(0, 200);
        }
      })();
      throw new GitHubApiError(res.status, path, message);
    }
    const text = await res.text();
    const data = jsonOfText<T>(text, res, 'GitHub API', 'GET', url);
    const next = nextLink(res.headers.get('link'));
    const etag = res.headers.get('etag');
    if (etag) this.remember(url, { etag, data, next, chars: text.length, used: this.poll });
    else this.uncache(url);
    return { data, changed: true, next };
  }

  /**
   * A write (`POST`/`PATCH`) of JSON `body` to `path`, for reporting. Rate limits and errors
   * throw as for {@link GitHubClient.get}.
   */
  async send<T>(method: 'POST' | 'PATCH', path: string, body: unknown): Promise<T> {
    const now = this.options.now ?? Date.now;
    if (now() < this.blocked.until) {
      throw new GitHubRateLimitError(this.blocked.scope, new Date(this.blocked.until), 0, path);
    }
    const headers: Record<string, string> = {
      accept: 'application/vnd.github+json',
      'content-type': 'application/json',
      'x-github-api-version': '2022-11-28',
    };
    const token = await this.options.token?.();
    if (token) headers.authorization = `token ${token}`;
    const res = await fetchNamed(this.options.fetch, 'GitHub API', `${this.baseUrl}${path}`, {
      method,
      headers,
      body: JSON.stringify(body),
      timeoutMs: this.options.timeoutMs,
    });
    const status = String(res.status);
    this.calls[status] = (this.calls[status] ?? 0) + 1;
    const text = await res.text().catch(() => '');
    if (res.status < 200 || res.status >= 300) {
      const limit = rateLimitOf(res.status, res.headers, now(), text);
      if (limit) {
        this.blocked = { until: limit.retryAt.getTime(), scope: limit.scope };
        throw new GitHubRateLimitError(limit.scope, limit.retryAt, res.status, path);
      }
      throw new GitHubApiError(res.status, `${method} ${path}`, text.slice(0, 200));
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * Every page of a list (at most {@link MAX_PAGES}), each read conditionally.
   * `changed` is false only when every page was a 304; `complete` is false when the page
   * cap cut the list short; `pages` is how many pages were read.
   */
  async list<T>(path: string): Promise<Read<T[]> & { complete: boolean; pages: number }> {
    const items: T[] = [];
    let changed = false;
    let next: string | undefined = path;
    let page = 0;
    for (; page < MAX_PAGES && next; page++) {
      const r: Read<T[]> & { next: string | undefined } = await this.get<T[]>(next);
      if (!Array.isArray(r.data)) {
        // JSON, but not a list: a server that is not the GitHub API, or not at this path.
        const url = next.startsWith('http') ? next : `${this.baseUrl}${next}`;
        throw new RequestFailedError(
          'GitHub API',
          'GET',
          url,
          `HTTP 200 answer is ${jsonKind(r.data)}, not the list expected; is this the API's URL?`,
        );
      }
      items.push(...r.data);
      changed ||= r.changed;
      next = r.next;
    }
    return { data: items, changed, complete: next === undefined, pages: page };
  }
}
