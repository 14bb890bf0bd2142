/**
 * A fake Jira REST API on loopback, in-process: Cloud's `/rest/api/2/search/jql` (token
 * paging) or, in `dataCenter` mode, only the legacy `/rest/api/2/search` (`startAt` paging;
 * the new endpoint answers 404). It checks the Authorization header, pages at
 * {@link FakeJira.pageSize}, applies `project = KEY` from the JQL, and logs every request.
 *
 * @packageDocumentation
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An issue the fake serves. */
export interface FakeJiraIssue {
  readonly key: string;
  readonly summary: string;
  readonly description?: unknown;
  readonly labels?: string[];
  readonly type?: string;
  readonly comments?: unknown[];
}

/** The fake. */
export class FakeJira {
  baseUrl = '';
  readonly issues: FakeJiraIssue[] = [];
  /** Path and query of every request, with the status answered. */
  readonly requests: Array<{ path: string; status: number; authorization: string }> = [];
  /** The Authorization header value accepted. */
  authorization = '';
  /** Most issues per page, whatever maxResults asks. */
  pageSize = 100;
  /** Serve only the legacy search (Data Center / Server). */
  dataCenter = false;
  /** Answer the next request with 429 and this Retry-After. */
  retryAfter: number | undefined;
  private server!: Server;

  static async start(): Promise<FakeJira> {
    const f = new FakeJira();
    f.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const auth = req.headers.authorization ?? '';
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        f.requests.push({ path: `${url.pathname}${url.search}`, status, authorization: auth });
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (f.retryAfter !== undefined) {
        const ra = f.retryAfter;
        f.retryAfter = undefined;
        return send(429, { errorMessages: ['rate limited'] }, { 'retry-after': String(ra) });
      }
      if (auth !== f.authorization) return send(401, { errorMessages: ['unauthorized'] });
      const cloud = url.pathname === '/rest/api/2/search/jql';
      const legacy = url.pathname === '/rest/api/2/search';
      if ((cloud && f.dataCenter) || (!cloud && !legacy)) return send(404, { errorMessages: ['not found'] });
      const jql = url.searchParams.get('jql') ?? '';
      const project = /project = (\S+)/.exec(jql)?.[1];
      const fields = (url.searchParams.get('fields') ?? '').split(',');
      const matching = f.issues.filter((i) => i.key.startsWith(`${project}-`));
      const size = Math.min(Number(url.searchParams.get('maxResults') ?? 50), f.pageSize);
      const start = cloud
        ? Number(url.searchParams.get('nextPageToken') ?? 0)
        : Number(url.searchParams.get('startAt') ?? 0);
      const page = matching.slice(start, start + size).map((i) => ({
        key: i.key,
        fields: {
          summary: i.summary,
          ...(fields.includes('description') ? { description: i.description ?? null } : {}),
          labels: i.labels ?? [],
          issuetype: { name: i.type ?? 'Task' },
          comment: { comments: (i.comments ?? []).map((body) => ({ body })) },
        },
      }));
      const end = start + page.length;
      if (cloud) {
        return send(200, {
          issues: page,
          isLast: end >= matching.length,
          ...(end < matching.length ? { nextPageToken: String(end) } : {}),
        });
      }
      return send(200, { issues: page, startAt: start, maxResults: size, total: matching.length });
    });
    await new Promise<void>((r) => f.server.listen(0, '127.0.0.1', r));
    f.baseUrl = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
    return f;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
