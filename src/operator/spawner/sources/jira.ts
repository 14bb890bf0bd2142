/**
 * The `jira` source: Jira Cloud's `GET /rest/api/2/search/jql` with token paging, falling
 * back (on 404, remembered for the spawner's life) to Data Center / Server's
 * `GET /rest/api/2/search` with `startAt` paging; 100 issues a page, at most 10 pages, as
 * upstream. Basic auth when the Secret has `JIRA_USER`, else a bearer token.
 *
 * Past upstream: `description` is requested too, so `{{.Body}}` is the issue's description
 * (upstream issue #990), and an Atlassian Document Format value (API v3 style) is flattened
 * to text like comments are.
 *
 * @packageDocumentation
 */
import type { Static } from '@sinclair/typebox';
import type { JiraSchema } from '../../../api/task-spawner/index.ts';
import type { OutboundFetch } from '../../outbound.ts';
import { type Discovery, discoveryFailure } from '../discovery.ts';
import {
  type CallCounts,
  fetchNamed,
  jsonKind,
  jsonOf,
  RequestFailedError,
  rateLimitOf,
  withoutQuery,
} from '../github-client.ts';
import { joinComments, MAX_COMMENTS_BYTES, type WorkItem } from '../work-item.ts';

/** The `jira` options. */
export type JiraSpec = Static<typeof JiraSchema>;

/** Credentials from the spawner's Secret. */
export interface JiraCredentials {
  /** `JIRA_USER`: with it, Basic auth; without, a bearer personal access token. */
  readonly user?: string;
  /** `JIRA_TOKEN`. */
  readonly token: string;
}

const FIELDS = 'summary,description,status,labels,comment,issuetype';
const PAGE = 100;
const MAX_PAGES = 10;

interface JiraIssue {
  readonly key: string;
  readonly fields?: {
    readonly summary?: string;
    readonly description?: unknown;
    readonly labels?: readonly string[];
    readonly issuetype?: { readonly name?: string };
    readonly comment?: { readonly comments?: ReadonlyArray<{ readonly body?: unknown }> };
  };
}

/** Text of a Jira rich-text value: a plain string (API v2) or an ADF document (API v3). */
export const jiraText = (v: unknown): string => {
  if (typeof v === 'string') return v;
  if (!v || typeof v !== 'object') return '';
  const node = v as { type?: string; text?: string; content?: unknown[] };
  if (node.type === 'text') return node.text ?? '';
  if (node.type === 'hardBreak') return '\n';
  const inner = (node.content ?? []).map(jiraText).join('');
  return ADF_BLOCKS.has(node.type ?? '') ? `${inner}\n` : inner;
};

const ADF_BLOCKS = new Set(['paragraph', 'heading', 'codeBlock', 'blockquote', 'listItem', 'rule']);

/**
 * Where the top-level `ORDER BY` clause of a JQL query starts, or -1: the last one outside a
 * quoted value (`summary ~ "sort order by date"` holds none).
 */
const orderByAt = (jql: string): number => {
  let quote = '';
  let at = -1;
  for (let i = 0; i < jql.length; i++) {
    const ch = jql[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (/^ORDER\s+BY\b/i.test(jql.slice(i, i + 40)) && (i === 0 || /[\s)]/.test(jql[i - 1]!))) {
      at = i;
    }
  }
  return at;
};

/**
 * The JQL upstream sends: `project = P AND (<jql>)`, with the user's ORDER BY kept last (and
 * outside the parentheses, where Jira refuses it). Past upstream, an `order by` inside a quoted
 * value is not taken for the clause.
 */
export const buildJql = (project: string, jql: string | undefined): string => {
  const text = (jql ?? '').trim();
  const at = orderByAt(text);
  const where = at >= 0 ? text.slice(0, at).trim() : text;
  const order = at >= 0 ? ` ${text.slice(at).trim()}` : '';
  return `project = ${project}${where ? ` AND (${where})` : ''}${order}`;
};

/** Cap of `{{.Body}}` from a Jira description in bytes, as `{{.Comments}}` is capped. */
export const MAX_DESCRIPTION_BYTES = MAX_COMMENTS_BYTES;

/**
 * A description cut to {@link MAX_DESCRIPTION_BYTES}, keeping its start (where a description
 * states the task), with a last line saying so and where the rest is: a description of
 * megabytes (a pasted log) would otherwise make a Task the API server cannot store.
 */
export const capDescription = (text: string, url: string): string => {
  const size = Buffer.byteLength(text);
  if (size <= MAX_DESCRIPTION_BYTES) return text;
  const note = `\n\n[The description is cut here: its first ${MAX_DESCRIPTION_BYTES / 1024} KiB of ${Math.ceil(size / 1024)} KiB are above; the rest is at ${url}]`;
  const room = MAX_DESCRIPTION_BYTES - Buffer.byteLength(note);
  // Cut on a character, not inside one: decoding a partial UTF-8 sequence gives U+FFFD.
  const kept = Buffer.from(text)
    .subarray(0, room)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
  return `${kept}${note}`;
};

/** A work item from a Jira issue. */
export const jiraItem = (baseUrl: string, issue: JiraIssue): WorkItem => {
  const f = issue.fields ?? {};
  const url = `${baseUrl.replace(/\/+$/, '')}/browse/${issue.key}`;
  return {
    id: issue.key,
    number: Number(/-(\d+)$/.exec(issue.key)?.[1] ?? 0),
    title: f.summary ?? '',
    body: capDescription(jiraText(f.description).trim(), url),
    url,
    labels: [...(f.labels ?? [])],
    // A comment with no text (an attachment, an image) is left out, as upstream does.
    comments: joinComments(
      (f.comment?.comments ?? []).map((c) => jiraText(c.body).trim()).filter((b) => b !== ''),
    ),
    kind: f.issuetype?.name ?? '',
    annotations: {},
  };
};

class JiraHttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Jira's own words from an error body (`errorMessages`, `errors`), else the body's start. */
export const jiraErrorText = (text: string): string => {
  try {
    const b = JSON.parse(text) as { errorMessages?: unknown; errors?: unknown; message?: unknown };
    const parts = [
      ...(Array.isArray(b.errorMessages) ? b.errorMessages.map(String) : []),
      ...(b.errors && typeof b.errors === 'object'
        ? Object.entries(b.errors).map(([k, v]) => `${k}: ${String(v)}`)
        : []),
      ...(typeof b.message === 'string' ? [b.message] : []),
    ];
    if (parts.length) return parts.join('; ').slice(0, 300);
  } catch {
    // Not JSON: the body's start below.
  }
  return text.trim().slice(0, 200);
};

/** Polls one Jira project for one spawner. */
export class JiraSource {
  private legacy = false;
  private readonly spec: JiraSpec;
  private readonly creds: JiraCredentials;
  private readonly fetch: OutboundFetch;
  private readonly now: () => number;

  constructor(spec: JiraSpec, creds: JiraCredentials, fetch: OutboundFetch, now: () => number = Date.now) {
    this.spec = spec;
    this.creds = creds;
    this.fetch = fetch;
    this.now = now;
  }

  /** One discovery pass. */
  async discover(): Promise<Discovery> {
    const calls: CallCounts = {};
    try {
      const issues = await this.search(calls);
      return {
        kind: 'items',
        items: issues.items.map((i) => jiraItem(this.spec.baseUrl, i)),
        complete: issues.complete,
        pages: issues.pages,
        calls,
      };
    } catch (e) {
      if (e instanceof JiraHttpError) return { kind: 'error', message: e.message, status: e.status, calls };
      if (e instanceof RateLimited)
        return { kind: 'rate-limited', scope: 'secondary', retryAt: e.retryAt, message: e.message, calls };
      return discoveryFailure(e, calls);
    }
  }

  private async get(path: string, calls: CallCounts): Promise<Response> {
    const auth = this.creds.user
      ? `Basic ${Buffer.from(`${this.creds.user}:${this.creds.token}`).toString('base64')}`
      : `Bearer ${this.creds.token}`;
    // No timeoutMs: the guard's deadline (KelosConfig spec.outbound.timeoutSeconds) applies.
    const res = await fetchNamed(this.fetch, 'Jira', this.url(path), {
      headers: { accept: 'application/json', authorization: auth },
      hideQuery: true,
    });
    calls[res.status] = (calls[res.status] ?? 0) + 1;
    return res;
  }

  /** The URL of an API path; in messages, without its query (the JQL is named on its own). */
  private url(path: string, query = true): string {
    const url = `${this.spec.baseUrl.replace(/\/+$/, '')}${path}`;
    return query ? url : withoutQuery(url);
  }

  /** Why Jira refused, with the field to check: the query, the credentials or the base URL. */
  private refusal(status: number, path: string, text: string, jql: string): JiraHttpError {
    const detail = jiraErrorText(text);
    const at = `GET ${this.url(path, false)}: HTTP ${status}${detail ? `: ${detail}` : ''}`;
    if (status === 400) {
      return new JiraHttpError(
        status,
        `spec.when.jira (project, jql): Jira refused the query ${JSON.stringify(jql)} (${at})`,
      );
    }
    if (status === 401 || status === 403) {
      return new JiraHttpError(
        status,
        `spec.when.jira.secretRef: Jira refused the credentials (${at}); check JIRA_TOKEN, and JIRA_USER for Basic auth (without it the token is sent as a Bearer token)`,
      );
    }
    if (status === 404) {
      return new JiraHttpError(
        status,
        `spec.when.jira.baseUrl: no Jira search API at ${this.spec.baseUrl} (${at}${this.legacy ? ', after /rest/api/2/search/jql answered 404 too' : ''})`,
      );
    }
    return new JiraHttpError(status, `Jira ${at}`);
  }

  private async search(calls: CallCounts): Promise<{ items: JiraIssue[]; complete: boolean; pages: number }> {
    const jql = buildJql(this.spec.project, this.spec.jql);
    const items: JiraIssue[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const q = new URLSearchParams({ jql, maxResults: String(PAGE), fields: FIELDS });
      let path: string;
      if (this.legacy) {
        q.set('startAt', String(items.length));
        path = `/rest/api/2/search?${q}`;
      } else {
        if (token) q.set('nextPageToken', token);
        path = `/rest/api/2/search/jql?${q}`;
      }
      const res = await this.get(path, calls);
      if (res.status === 404 && !this.legacy && page === 0) {
        await res.body?.cancel();
        this.legacy = true;
        return this.search(calls);
      }
      if (!res.ok) {
        const text = await res.text();
        const limit = res.status === 429 ? rateLimitOf(429, res.headers, this.now(), text) : undefined;
        if (limit) throw new RateLimited(limit.retryAt, this.url(path, false));
        throw this.refusal(res.status, path, text, jql);
      }
      const body = await jsonOf<{
        issues?: JiraIssue[];
        nextPageToken?: string;
        isLast?: boolean;
        total?: number;
      }>(res, 'Jira', 'GET', this.url(path, false));
      // JSON, but no search result: a server that is not Jira, or not at this base URL.
      const shape = answerShape(body);
      if (shape) {
        throw new RequestFailedError(
          'Jira',
          'GET',
          this.url(path, false),
          `HTTP 200 answer is ${shape}, not a search result with a list of issues; is this the Jira base URL?`,
        );
      }
      items.push(...(body.issues ?? []));
      const done = this.legacy
        ? (body.issues ?? []).length === 0 || items.length >= (body.total ?? 0)
        : body.isLast === true || !body.nextPageToken;
      if (done) return { items, complete: true, pages: page + 1 };
      token = body.nextPageToken;
    }
    return { items, complete: false, pages: MAX_PAGES };
  }
}

/** What is wrong with a search answer's shape, in words; `undefined` when it is one. */
const answerShape = (body: unknown): string | undefined => {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return jsonKind(body);
  const issues = (body as { issues?: unknown }).issues;
  if (issues !== undefined && !Array.isArray(issues))
    return `an ${issues === null ? 'issues: null' : `${typeof issues} of issues`}`;
  return undefined;
};

class RateLimited extends Error {
  readonly retryAt: Date;
  constructor(retryAt: Date, path: string) {
    super(`Jira rate limit on ${path}; retry at ${retryAt.toISOString()}`);
    this.retryAt = retryAt;
  }
}
