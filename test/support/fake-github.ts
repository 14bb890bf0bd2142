/**
 * A fake GitHub REST API on loopback, in-process, for the spawner's tests and the bench:
 * issues, pulls, comments, reviews, review comments, files, collaborator permission, team
 * membership, check runs, issue comment create/update, installation tokens. It paginates with
 * `Link` headers, answers conditional requests with 304 (ETag over the response body, as
 * GitHub's are), sends rate-limit headers (304s do not count), and can be told to refuse with
 * 403/429 and `Retry-After`. Every request lands in {@link FakeGitHub.requests}.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** One request the fake served. */
export interface FakeRequest {
  readonly method: string;
  /** Path and query, without the base prefix. */
  readonly path: string;
  readonly status: number;
  readonly conditional: boolean;
}

interface Item {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  user: string;
  assignees: string[];
  created_at: string;
  updated_at: string;
  pull?: { draft: boolean; headRef: string; headSha: string };
  comments: Array<{ id: number; user: string; body: string; created_at: string }>;
  reviews: Array<{
    id: number;
    user: string;
    state: string;
    commit_id: string;
    submitted_at: string;
    body: string;
  }>;
  reviewComments: Array<{
    id: number;
    user: string;
    body: string;
    created_at: string;
    commit_id: string;
    path: string;
    line: number | null;
  }>;
  files: string[];
}

/** A refusal to serve, for rate-limit tests. */
export interface Refusal {
  readonly status: 403 | 429;
  /** `Retry-After` in seconds (secondary limits). */
  readonly retryAfter?: number;
  /** Send `X-RateLimit-Remaining: 0` and this reset (epoch seconds) (primary limit). */
  readonly reset?: number;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The fake. `await FakeGitHub.start()`, then `close()`. */
export class FakeGitHub {
  /** Base URL of the API, e.g. `http://127.0.0.1:PORT` (or `.../api/v3` with a prefix). */
  baseUrl = '';
  readonly requests: FakeRequest[] = [];
  /** Permission by login (`admin`, `maintain`, `write`, `triage`, `read`). */
  readonly permissions = new Map<string, string>();
  /** Active members by `org/slug`. */
  readonly teams = new Map<string, Set<string>>();
  /** Check runs created, by id. */
  readonly checkRuns = new Map<number, Record<string, unknown>>();
  /** Tokens accepted; empty accepts any request. */
  readonly tokens = new Set<string>();
  /** Refusals to send, one per request, before serving normally again. */
  readonly refusals: Refusal[] = [];
  private readonly items = new Map<number, Item>();
  private server!: Server;
  private prefix = '';
  private clock = Date.parse('2026-01-01T00:00:00Z');
  private nextId = 1000;
  private remaining = 5000;
  /** Owner and repo served. */
  readonly owner: string;
  readonly repo: string;

  private constructor(owner: string, repo: string) {
    this.owner = owner;
    this.repo = repo;
  }

  /**
   * Starts a fake serving `owner/repo`; `prefix` (e.g. `/api/v3`) mimics GitHub Enterprise,
   * and `tls` (a PEM certificate and key) serves it over HTTPS.
   */
  static async start(
    opts: { owner?: string; repo?: string; prefix?: string; tls?: { cert: string; key: string } } = {},
  ): Promise<FakeGitHub> {
    const f = new FakeGitHub(opts.owner ?? 'acme', opts.repo ?? 'widgets');
    f.prefix = opts.prefix ?? '';
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      f.handle(req, res).catch((e: Error) => {
        res.statusCode = 500;
        res.end(JSON.stringify({ message: e.message }));
      });
    };
    f.server = opts.tls ? createHttpsServer(opts.tls, handler) : createServer(handler);
    await new Promise<void>((r) => f.server.listen(0, '127.0.0.1', r));
    const scheme = opts.tls ? 'https' : 'http';
    f.baseUrl = `${scheme}://127.0.0.1:${(f.server.address() as AddressInfo).port}${f.prefix}`;
    return f;
  }

  /** Stops the server. */
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private tick(): string {
    this.clock += 1000;
    return iso(this.clock);
  }

  /** Sets the fake's clock (timestamps of what is added next; each addition moves it 1 s). */
  setTime(ms: number): void {
    this.clock = ms;
  }

  /** Adds an issue (or, with `pull`, a pull request); returns its number. */
  addIssue(init: {
    title?: string;
    body?: string;
    labels?: string[];
    user?: string;
    assignees?: string[];
    state?: 'open' | 'closed';
    pull?: { draft?: boolean; headRef?: string; headSha?: string };
    files?: string[];
  }): number {
    const number = this.items.size + 1;
    const t = this.tick();
    this.items.set(number, {
      number,
      title: init.title ?? `Issue ${number}`,
      body: init.body ?? '',
      state: init.state ?? 'open',
      labels: init.labels ?? [],
      user: init.user ?? 'octocat',
      assignees: init.assignees ?? [],
      created_at: t,
      updated_at: t,
      pull: init.pull
        ? {
            draft: init.pull.draft ?? false,
            headRef: init.pull.headRef ?? `feature-${number}`,
            headSha: init.pull.headSha ?? `sha${number}`,
          }
        : undefined,
      comments: [],
      reviews: [],
      reviewComments: [],
      files: init.files ?? [],
    });
    return number;
  }

  /** Changes an issue; its `updated_at` moves. */
  update(
    n: number,
    change: Partial<Pick<Item, 'title' | 'body' | 'labels' | 'state'>> & { headSha?: string },
  ): void {
    const it = this.item(n);
    const { headSha, ...fields } = change;
    Object.assign(it, fields);
    if (headSha && it.pull) it.pull.headSha = headSha;
    it.updated_at = this.tick();
  }

  /** Adds a conversation comment; the issue's `updated_at` moves, as on GitHub. */
  comment(n: number, user: string, body: string): void {
    const it = this.item(n);
    const t = this.tick();
    it.comments.push({ id: this.nextId++, user, body, created_at: t });
    it.updated_at = t;
  }

  /** Adds a review on the pull request's head (or `commit`). */
  review(
    n: number,
    user: string,
    state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED',
    commit?: string,
    body = '',
  ): void {
    const it = this.item(n);
    const t = this.tick();
    it.reviews.push({
      id: this.nextId++,
      user,
      state,
      commit_id: commit ?? it.pull!.headSha,
      submitted_at: t,
      body,
    });
    it.updated_at = t;
  }

  /** Adds an inline review comment on the head, at `line` of `path` when given. */
  reviewComment(n: number, user: string, path: string, body: string, line?: number): void {
    const it = this.item(n);
    const t = this.tick();
    it.reviewComments.push({
      id: this.nextId++,
      user,
      body,
      created_at: t,
      commit_id: it.pull!.headSha,
      path,
      line: line ?? null,
    });
    it.updated_at = t;
  }

  /** Requests made whose path starts with `prefix`, optionally with a given status. */
  count(filter: { path?: string | RegExp; status?: number } = {}): number {
    return this.requests.filter(
      (r) =>
        (filter.status === undefined || r.status === filter.status) &&
        (filter.path === undefined ||
          (typeof filter.path === 'string' ? r.path.startsWith(filter.path) : filter.path.test(r.path))),
    ).length;
  }

  private item(n: number): Item {
    const it = this.items.get(n);
    if (!it) throw new Error(`fake GitHub: no item #${n}`);
    return it;
  }

  private issueJson(it: Item) {
    const base = `https://github.com/${this.owner}/${this.repo}`;
    return {
      number: it.number,
      title: it.title,
      body: it.body,
      state: it.state,
      html_url: `${base}/${it.pull ? 'pull' : 'issues'}/${it.number}`,
      labels: it.labels.map((name) => ({ name })),
      user: { login: it.user },
      assignees: it.assignees.map((login) => ({ login })),
      comments: it.comments.length,
      created_at: it.created_at,
      updated_at: it.updated_at,
      ...(it.pull ? { pull_request: { url: `${base}/pull/${it.number}` } } : {}),
    };
  }

  private pullJson(it: Item) {
    const { comments: _c, pull_request: _p, ...rest } = this.issueJson(it);
    return { ...rest, draft: it.pull!.draft, head: { ref: it.pull!.headRef, sha: it.pull!.headSha } };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const path = url.pathname.startsWith(this.prefix) ? url.pathname.slice(this.prefix.length) : url.pathname;
    const conditional = req.headers['if-none-match'] !== undefined;
    const log = (status: number) =>
      this.requests.push({ method, path: `${path}${url.search}`, status, conditional });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      log(status);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const resetAt = String(Math.floor(Date.now() / 1000) + 3600);
    const refusal = this.refusals.shift();
    if (refusal) {
      return send(
        refusal.status,
        {
          message:
            refusal.retryAfter !== undefined
              ? 'You have exceeded a secondary rate limit.'
              : refusal.reset !== undefined
                ? 'API rate limit exceeded'
                : 'Resource not accessible by integration',
        },
        {
          ...(refusal.retryAfter !== undefined ? { 'retry-after': String(refusal.retryAfter) } : {}),
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': refusal.reset !== undefined ? '0' : String(this.remaining),
          'x-ratelimit-reset': String(refusal.reset ?? resetAt),
        },
      );
    }
    const auth = req.headers.authorization ?? '';
    if (
      this.tokens.size > 0 &&
      !path.startsWith('/app/') &&
      !this.tokens.has(auth.replace(/^(token|Bearer) /, ''))
    ) {
      return send(401, { message: 'Bad credentials' });
    }
    const body = method === 'GET' ? undefined : await readBody(req);
    const result = this.route(method, path, url.searchParams, body);
    if (!result) return send(404, { message: 'Not Found' });
    if (method !== 'GET') return send(result.status ?? 200, result.data);
    // Pagination over arrays.
    let data = result.data;
    const headers: Record<string, string> = {};
    if (Array.isArray(data)) {
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
      const page = Number(url.searchParams.get('page') ?? 1);
      const pages = Math.max(1, Math.ceil(data.length / perPage));
      data = data.slice((page - 1) * perPage, page * perPage);
      if (page < pages) {
        const next = new URL(url.toString());
        next.searchParams.set('page', String(page + 1));
        headers.link = `<${this.baseUrl}${path}?${next.searchParams}>; rel="next", <${this.baseUrl}${path}?${new URLSearchParams({ ...Object.fromEntries(next.searchParams), page: String(pages) })}>; rel="last"`;
      }
    }
    const text = JSON.stringify(data);
    const etag = `W/"${createHash('sha1')
      .update(text)
      .update(headers.link ?? '')
      .digest('hex')}"`;
    const rate = { 'x-ratelimit-limit': '5000', 'x-ratelimit-reset': resetAt };
    if (req.headers['if-none-match'] === etag) {
      return send(304, undefined, { etag, ...rate, 'x-ratelimit-remaining': String(this.remaining) });
    }
    this.remaining = Math.max(0, this.remaining - 1);
    log(200);
    res.writeHead(200, {
      'content-type': 'application/json',
      etag,
      ...headers,
      ...rate,
      'x-ratelimit-remaining': String(this.remaining),
    });
    res.end(text);
  }

  private route(
    method: string,
    path: string,
    q: URLSearchParams,
    body: Record<string, unknown> | undefined,
  ): { data: unknown; status?: number } | undefined {
    const repo = `/repos/${this.owner}/${this.repo}`;
    let m: RegExpExecArray = [] as unknown as RegExpExecArray;
    const at = (re: RegExp, text: string): boolean => {
      const found = re.exec(text);
      if (found) m = found;
      return found !== null;
    };
    if (method === 'POST' && at(/^\/app\/installations\/(\d+)\/access_tokens$/, path)) {
      const token = `ghs_fake_${m[1]}_${this.nextId++}`;
      this.tokens.add(token);
      return { status: 201, data: { token, expires_at: iso(Date.now() + 3600_000) } };
    }
    if (at(/^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/, path)) {
      const members = this.teams.get(`${m[1]}/${m[2]}`);
      return members?.has(m[3]!) ? { data: { state: 'active', role: 'member' } } : undefined;
    }
    if (!path.startsWith(`${repo}/`)) return undefined;
    const rest = path.slice(repo.length);
    if (method === 'GET' && rest === '/issues') {
      const state = q.get('state') ?? 'open';
      const labels = (q.get('labels') ?? '')
        .split(',')
        .filter(Boolean)
        .map((l) => l.toLowerCase());
      const assignee = q.get('assignee');
      const creator = q.get('creator');
      const list = [...this.items.values()]
        .filter((it) => state === 'all' || it.state === state)
        .filter((it) => labels.every((l) => it.labels.some((x) => x.toLowerCase() === l)))
        .filter(
          (it) =>
            !assignee ||
            (assignee === '*'
              ? it.assignees.length > 0
              : assignee === 'none'
                ? it.assignees.length === 0
                : it.assignees.includes(assignee)),
        )
        .filter((it) => !creator || it.user === creator)
        .sort((a, b) => b.number - a.number);
      return { data: list.map((it) => this.issueJson(it)) };
    }
    if (method === 'GET' && rest === '/pulls') {
      const state = q.get('state') ?? 'open';
      const list = [...this.items.values()]
        .filter((it) => it.pull && (state === 'all' || it.state === state))
        .sort((a, b) => b.updated_at.localeCompare(a.updated_at) || b.number - a.number);
      return { data: list.map((it) => this.pullJson(it)) };
    }
    if (at(/^\/issues\/(\d+)\/comments$/, rest)) {
      const it = this.items.get(Number(m[1]));
      if (!it) return undefined;
      if (method === 'POST') {
        const c = {
          id: this.nextId++,
          user: 'kelos-bot',
          body: String(body?.body ?? ''),
          created_at: this.tick(),
        };
        it.comments.push(c);
        it.updated_at = c.created_at;
        return { status: 201, data: commentJson(c) };
      }
      return { data: it.comments.map(commentJson) };
    }
    if (method === 'PATCH' && at(/^\/issues\/comments\/(\d+)$/, rest)) {
      for (const it of this.items.values()) {
        const c = it.comments.find((x) => x.id === Number(m[1]));
        if (c) {
          c.body = String(body?.body ?? c.body);
          it.updated_at = this.tick();
          return { data: commentJson(c) };
        }
      }
      return undefined;
    }
    if (method === 'GET' && at(/^\/pulls\/(\d+)$/, rest)) {
      const it = this.items.get(Number(m[1]));
      return it?.pull ? { data: this.pullJson(it) } : undefined;
    }
    if (at(/^\/pulls\/(\d+)\/(reviews|comments|files)$/, rest)) {
      const it = this.items.get(Number(m[1]));
      if (!it?.pull) return undefined;
      if (m[2] === 'files') return { data: it.files.map((filename) => ({ filename })) };
      if (m[2] === 'reviews') {
        return { data: it.reviews.map(({ user, ...r }) => ({ ...r, user: { login: user } })) };
      }
      return { data: it.reviewComments.map(({ user, ...c }) => ({ ...c, user: { login: user } })) };
    }
    if (at(/^\/collaborators\/([^/]+)\/permission$/, rest)) {
      const p = this.permissions.get(m[1]!);
      if (!p) return undefined;
      const legacy = p === 'maintain' ? 'write' : p === 'triage' ? 'read' : p;
      return { data: { permission: legacy, role_name: p, user: { login: m[1] } } };
    }
    if (method === 'GET' && at(/^\/commits\/([^/]+)\/check-runs$/, rest)) {
      const name = q.get('check_name');
      const runs = [...this.checkRuns.values()].filter(
        (r) => r.head_sha === m[1] && (!name || r.name === name),
      );
      return { data: { total_count: runs.length, check_runs: runs } };
    }
    if (method === 'POST' && rest === '/check-runs') {
      const id = this.nextId++;
      this.checkRuns.set(id, { id, ...body });
      return { status: 201, data: { id, ...body } };
    }
    if (method === 'PATCH' && at(/^\/check-runs\/(\d+)$/, rest)) {
      const run = this.checkRuns.get(Number(m[1]));
      if (!run) return undefined;
      Object.assign(run, body);
      return { data: run };
    }
    return undefined;
  }
}

/** A comment as GitHub serves it; an empty user is a deleted account's (`user: null`). */
const commentJson = (c: { id: number; user: string; body: string; created_at: string }) => ({
  id: c.id,
  body: c.body,
  user: c.user === '' ? null : { login: c.user },
  created_at: c.created_at,
});

const readBody = async (req: IncomingMessage): Promise<Record<string, unknown> | undefined> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
};
