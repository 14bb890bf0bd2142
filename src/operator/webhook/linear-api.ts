/**
 * The labels of a Linear issue, from Linear's GraphQL API: what a `linearWebhook` filter with
 * `labels` or `excludeLabels` needs to judge a Comment delivery, whose payload names its issue
 * but not the issue's labels. Upstream's webhook server fetches them the same way
 * (`internal/webhook/linear_api.go`: the same query, the key from `LINEAR_API_KEY` sent as
 * the `Authorization` header, as Linear's personal API keys are).
 *
 * The call goes through the outbound guard, to the one host of the API URL only, with a
 * timeout and a bounded response: the URL is the admin's (the default, or the operator's
 * setting), never a tenant's.
 *
 * @packageDocumentation
 */
import { createOutboundFetch, type OutboundFetch } from '../outbound.ts';

/** Linear's GraphQL endpoint (upstream's default). */
export const LINEAR_API_URL = 'https://api.linear.app/graphql';

/** The environment variable the operator reads the API key from (upstream's name). */
export const LINEAR_API_KEY_ENV = 'LINEAR_API_KEY';

/** Deadline of one call to Linear's API (upstream's client timeout). */
export const LINEAR_API_TIMEOUT_MS = 10_000;

/** Largest answer read: 250 label names are a few kB; anything far larger is not an answer to this query. */
export const LINEAR_API_MAX_RESPONSE_BYTES = 256 * 1024;

/** The query: an issue's labels, as many as Linear returns on one page (250). */
export const ISSUE_LABELS_QUERY =
  'query IssueLabels($id: String!) { issue(id: $id) { labels(first: 250) { nodes { name } } } }';

/** Fetches the label names of a Linear issue by id; throws an Error naming what failed. */
export type LinearLabelFetcher = (issueId: string) => Promise<readonly string[]>;

/** Options of {@link linearLabelFetcher}. */
export interface LinearApiOptions {
  /** The API key (`LINEAR_API_KEY`). */
  readonly apiKey: string;
  /**
   * The GraphQL endpoint. @default {@link LINEAR_API_URL}. Another one (a proxy, a test
   * server) is the admin's choice: it may be plain HTTP and resolve to a private address.
   */
  readonly url?: string;
  /** @default {@link LINEAR_API_TIMEOUT_MS} */
  readonly timeoutMs?: number;
  /** The fetch under the guard, for tests. @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
}

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** A short, single-line excerpt of an error body, for a message. */
const excerpt = (text: string): string => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
};

/**
 * The label names in Linear's answer to {@link ISSUE_LABELS_QUERY} for `issueId`, or an Error
 * saying what is wrong with it (an HTTP status, a GraphQL error, no such issue, a body that is
 * not the answer). Pure.
 */
export function parseIssueLabels(issueId: string, status: number, text: string): string[] {
  const what = `Linear's API (issue ${issueId})`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const errors = obj(body).errors;
  const firstError = Array.isArray(errors) ? obj(errors[0]).message : undefined;
  if (status !== 200) {
    const hint = status === 401 || status === 403 ? ' (is LINEAR_API_KEY a valid API key?)' : '';
    const detail = typeof firstError === 'string' ? firstError : excerpt(text);
    throw new Error(`${what} answered HTTP ${status}${hint}${detail ? `: ${detail}` : ''}`);
  }
  if (body === undefined) throw new Error(`${what} answered 200 with a body that is not JSON`);
  if (typeof firstError === 'string') throw new Error(`${what} answered an error: ${firstError}`);
  const issue = obj(obj(body).data).issue;
  if (issue === null || issue === undefined) throw new Error(`${what}: no such issue`);
  const nodes = obj(obj(issue).labels).nodes;
  if (!Array.isArray(nodes)) throw new Error(`${what} answered 200 without data.issue.labels.nodes`);
  return nodes.flatMap((n) => {
    const name = obj(n).name;
    return typeof name === 'string' ? [name] : [];
  });
}

/** A {@link LinearLabelFetcher} over Linear's GraphQL API. */
export function linearLabelFetcher(o: LinearApiOptions): LinearLabelFetcher {
  const url = new URL(o.url ?? LINEAR_API_URL);
  const timeoutMs = o.timeoutMs ?? LINEAR_API_TIMEOUT_MS;
  const explicit = o.url !== undefined;
  const guarded: OutboundFetch = createOutboundFetch({
    allowedHosts: [url.hostname.toLowerCase()],
    ...(explicit ? { trustedOrigins: [url.origin] } : {}),
    timeoutMs,
    maxRedirects: 0,
    maxResponseBytes: LINEAR_API_MAX_RESPONSE_BYTES,
    ...(o.fetch ? { fetch: o.fetch } : {}),
  });
  return async (issueId) => {
    let status: number;
    let text: string;
    try {
      const res = await guarded(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: o.apiKey },
        body: JSON.stringify({ query: ISSUE_LABELS_QUERY, variables: { id: issueId } }),
      });
      status = res.status;
      text = await res.text();
    } catch (e) {
      const err = e as Error;
      const why =
        err.name === 'TimeoutError' || err.name === 'AbortError'
          ? `no answer within ${timeoutMs / 1000} s`
          : err.message;
      throw new Error(`Linear's API (${url.origin}) could not be reached for issue ${issueId}: ${why}`);
    }
    return parseIssueLabels(issueId, status, text);
  };
}
