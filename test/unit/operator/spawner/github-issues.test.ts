import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { resolveAdminConfig } from '../../../../src/operator/admin-config.ts';
import { createOutboundFetch, spawnerFetches } from '../../../../src/operator/outbound.ts';
import type { Discovery } from '../../../../src/operator/spawner/discovery.ts';
import { GitHubClient } from '../../../../src/operator/spawner/github-client.ts';
import { type GitHubRepo, resolveRepo } from '../../../../src/operator/spawner/github-repo.ts';
import {
  GitHubIssuesSource,
  type GitHubIssuesSpec,
} from '../../../../src/operator/spawner/sources/github-issues.ts';
import { FakeGitHub } from '../../../support/fake-github.ts';

let gh: FakeGitHub;
beforeEach(async () => {
  gh = await FakeGitHub.start();
});
afterEach(() => gh.close());

const source = (spec: GitHubIssuesSpec) => {
  const repo = resolveRepo('acme/widgets', undefined, gh.baseUrl) as GitHubRepo;
  const client = new GitHubClient({
    baseUrl: repo.apiBaseUrl,
    fetch: createOutboundFetch({ allowPrivate: true, allowInsecure: true }),
    token: () => 't0k',
  });
  return { src: new GitHubIssuesSource(spec, repo, client), client };
};

const ids = (d: Discovery) => {
  if (d.kind !== 'items') throw new Error(`discovery failed: ${JSON.stringify(d)}`);
  return d.items.map((i) => i.id);
};

describe('githubIssues filters', () => {
  test('labels and state go to GitHub; types, excludeAuthors and excludeLabels are applied here', async () => {
    const a = gh.addIssue({ labels: ['bug', 'ready'] });
    gh.addIssue({ labels: ['bug'] }); // lacks "ready"
    const c = gh.addIssue({ labels: ['bug', 'ready', 'wip'] });
    gh.addIssue({ labels: ['bug', 'ready'], user: 'kelos-bot' });
    gh.addIssue({ labels: ['bug', 'ready'], pull: {} });
    gh.addIssue({ labels: ['bug', 'ready'], state: 'closed' });
    const { src } = source({
      labels: ['bug', 'ready'],
      excludeLabels: ['WIP'],
      excludeAuthors: ['kelos-bot'],
    });
    expect(ids(await src.discover())).toEqual([String(a)]);
    const both = source({ labels: ['ready'], types: ['issues', 'pulls'], state: 'all' });
    const d = await both.src.discover();
    expect(ids(d)).toEqual(['6', '5', '4', String(c), String(a)]);
    expect(gh.requests[gh.requests.length - 1]!.path).toContain('state=all');
    expect(d.kind === 'items' && d.items.find((i) => i.id === '5')!.kind).toBe('PR');
  });

  test('assignee and author become server-side assignee= and creator=', async () => {
    const a = gh.addIssue({ assignees: ['ann'], user: 'bob' });
    gh.addIssue({ assignees: ['ann'], user: 'carl' });
    gh.addIssue({ user: 'bob' });
    const { src } = source({ assignee: 'ann', author: 'bob' });
    expect(ids(await src.discover())).toEqual([String(a)]);
    expect(gh.requests[0]!.path).toBe(
      '/repos/acme/widgets/issues?state=open&per_page=100&assignee=ann&creator=bob',
    );
  });

  test('items carry upstream variables and source annotations', async () => {
    const n = gh.addIssue({ title: 'Fix it', body: 'details', labels: ['a', 'b'] });
    gh.comment(n, 'ann', 'first');
    gh.comment(n, 'bob', 'second');
    const d = await source({}).src.discover();
    expect(d.kind).toBe('items');
    if (d.kind !== 'items') return;
    expect(d.items[0]).toMatchObject({
      id: '1',
      number: 1,
      title: 'Fix it',
      body: 'details',
      url: 'https://github.com/acme/widgets/issues/1',
      labels: ['a', 'b'],
      comments: 'first\n---\nsecond',
      kind: 'Issue',
      annotations: {
        'kelos.dev/source-kind': 'issue',
        'kelos.dev/source-number': '1',
        'kelos.dev/source-owner': 'acme',
        'kelos.dev/source-repo': 'widgets',
      },
    });
  });

  test('{{.Comments}} keeps every comment while the bodies total at most 64 KiB, separators not counted, as upstream', async () => {
    const n = gh.addIssue({});
    const oldest = 'a'.repeat(32_760);
    const middle = 'é'.repeat(4) + 'b'; // 9 bytes, 5 characters: the cap is in bytes
    const newest = 'c'.repeat(32_767);
    for (const body of [oldest, middle, newest]) gh.comment(n, 'ann', body);
    const m = gh.addIssue({});
    for (const body of [oldest, `${middle}!`, newest]) gh.comment(m, 'ann', body);
    const d = await source({}).src.discover();
    if (d.kind !== 'items') throw new Error(JSON.stringify(d));
    const comments = (id: number) => d.items.find((i) => i.id === String(id))!.comments;
    // 65,536 bytes of bodies: all three, with the two separators beyond the cap.
    expect(comments(n)).toBe([oldest, middle, newest].join('\n---\n'));
    // One byte over: the oldest goes, the newest two stay.
    expect(comments(m)).toBe([`${middle}!`, newest].join('\n---\n'));
  });

  test('Link pagination reads every page (250 issues, 3 pages)', async () => {
    for (let i = 0; i < 250; i++) gh.addIssue({});
    const d = await source({}).src.discover();
    expect(ids(d)).toHaveLength(250);
    expect(d.kind === 'items' && d.complete).toBe(true);
    expect(gh.count({ path: '/repos/acme/widgets/issues?' })).toBe(3);
  });
});

describe('githubIssues conditional requests', () => {
  test('an unchanged repository costs only 304s and no per-item call; one changed issue costs only its own', async () => {
    for (let i = 0; i < 150; i++) gh.addIssue({ title: `t${i}` });
    for (const n of [3, 50, 120]) gh.comment(n, 'ann', 'hello');
    const { src } = source({});
    await src.discover();
    // First poll: 2 list pages + comments of the 3 issues that have any.
    expect(gh.requests.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(gh.count({ path: /\/comments/ })).toBe(3);

    gh.requests.length = 0;
    expect(ids(await src.discover())).toHaveLength(150);
    expect(gh.requests).toHaveLength(2);
    expect(gh.requests.every((r) => r.status === 304 && r.conditional)).toBe(true);

    gh.requests.length = 0;
    gh.comment(50, 'bob', 'more');
    const d = await src.discover();
    const per = gh.requests.filter((r) => r.path.includes('/comments'));
    expect(per.map((r) => r.path)).toEqual(['/repos/acme/widgets/issues/50/comments?per_page=100']);
    expect(d.kind === 'items' && d.items.find((i) => i.id === '50')!.comments).toBe('hello\n---\nmore');
  });
});

describe('githubIssues conditional requests with a comment policy', () => {
  test('authorization answers (404 for a stranger included) are reused, so an unchanged repository still costs only 304s', async () => {
    gh.permissions.set('lead', 'admin');
    const a = gh.addIssue({});
    gh.comment(a, 'stranger', '/go');
    const b = gh.addIssue({});
    gh.comment(b, 'lead', '/go');
    const { src } = source({ commentPolicy: { triggerComment: '/go', minimumPermission: 'write' } });
    expect(ids(await src.discover())).toEqual([String(b)]);
    expect(gh.count({ path: /\/permission$/ })).toBe(2);
    gh.requests.length = 0;
    expect(ids(await src.discover())).toEqual([String(b)]);
    expect(gh.requests.map((r) => r.status)).toEqual([304]);
  });
});

describe('githubIssues comment policy', () => {
  const policy = (p: GitHubIssuesSpec['commentPolicy']) => source({ commentPolicy: p }).src;

  test('an unauthorized /kelos is ignored; an authorized one triggers, with its time', async () => {
    gh.permissions.set('maintainer', 'write');
    gh.permissions.set('visitor', 'read');
    const a = gh.addIssue({});
    const b = gh.addIssue({});
    gh.comment(a, 'visitor', '/kelos pick-up');
    gh.comment(b, 'maintainer', 'please\n  /kelos pick-up  \nthanks');
    const d = await policy({ triggerComment: '/kelos pick-up', minimumPermission: 'write' }).discover();
    expect(ids(d)).toEqual([String(b)]);
    expect(d.kind === 'items' && d.items[0]!.triggerTime?.toISOString()).toBe('2026-01-01T00:00:04.000Z');
  });

  test("a deleted account's command counts for no one, and is not looked up on GitHub", async () => {
    const a = gh.addIssue({});
    gh.comment(a, '', '/kelos pick-up');
    const d = await policy({
      triggerComment: '/kelos pick-up',
      minimumPermission: 'write',
      allowedTeams: ['acme/core'],
    }).discover();
    expect(ids(d)).toEqual([]);
    expect(gh.count({ path: /\/permission$|\/memberships\// })).toBe(0);
  });

  test('whole-line rule: a command inside a sentence does not count', async () => {
    const a = gh.addIssue({});
    gh.comment(a, 'ann', 'I would say /kelos pick-up here');
    const b = gh.addIssue({ body: 'Body\n/kelos pick-up' });
    expect(ids(await policy({ triggerComment: '/kelos pick-up' }).discover())).toEqual([String(b)]);
  });

  test('newest authorized command wins: an exclude after a trigger withdraws, a trigger after it restores', async () => {
    gh.permissions.set('lead', 'admin');
    const a = gh.addIssue({});
    gh.comment(a, 'lead', '/kelos pick-up');
    gh.comment(a, 'lead', '/kelos stop');
    const b = gh.addIssue({});
    gh.comment(b, 'lead', '/kelos stop');
    gh.comment(b, 'lead', '/kelos pick-up');
    const c = gh.addIssue({});
    gh.comment(c, 'lead', '/kelos pick-up');
    gh.comment(c, 'stranger', '/kelos stop'); // unauthorized exclude does not win
    const p = {
      triggerComment: '/kelos pick-up',
      excludeComments: ['/kelos stop'],
      minimumPermission: 'maintain' as const,
    };
    expect(ids(await policy(p).discover())).toEqual([String(c), String(b)]);
  });

  test('allowedUsers and allowedTeams authorize; no restriction means anyone', async () => {
    gh.teams.set('acme/core', new Set(['tina']));
    const a = gh.addIssue({});
    gh.comment(a, 'Ulla', '/go');
    const b = gh.addIssue({});
    gh.comment(b, 'tina', '/go');
    const c = gh.addIssue({});
    gh.comment(c, 'nobody', '/go');
    expect(
      ids(
        await policy({
          triggerComment: '/go',
          allowedUsers: ['ulla'],
          allowedTeams: ['acme/core'],
        }).discover(),
      ),
    ).toEqual([String(b), String(a)]);
    expect(ids(await policy({ triggerComment: '/go' }).discover())).toEqual([
      String(c),
      String(b),
      String(a),
    ]);
  });

  test('excludeComments alone withdraw an item only on an authorized exclude', async () => {
    const a = gh.addIssue({});
    gh.addIssue({ body: '/skip' });
    expect(ids(await policy({ excludeComments: ['/skip'] }).discover())).toEqual([String(a)]);
  });
});

describe('githubIssues rate limits', () => {
  test('a secondary limit (403 + Retry-After) is a typed result with the retry time, and the next poll waits', async () => {
    gh.addIssue({});
    gh.refusals.push({ status: 403, retryAfter: 120 });
    const { src } = source({});
    const before = Date.now();
    const d = await src.discover();
    expect(d.kind).toBe('rate-limited');
    if (d.kind !== 'rate-limited') return;
    expect(d.scope).toBe('secondary');
    expect(d.retryAt.getTime()).toBeGreaterThanOrEqual(before + 120_000);
    expect(d.calls).toEqual({ '403': 1 });
    const again = await src.discover();
    expect(again.kind).toBe('rate-limited');
    expect(gh.requests).toHaveLength(1);
  });

  test('a primary limit (X-RateLimit-Remaining: 0) gives X-RateLimit-Reset as the retry time', async () => {
    gh.refusals.push({ status: 429, reset: 4102444800 });
    const d = await source({}).src.discover();
    expect(d).toMatchObject({ kind: 'rate-limited', scope: 'primary', retryAt: new Date(4102444800_000) });
  });

  test('the remaining budget is reported; a 403 without rate-limit signs is an error, not a limit', async () => {
    gh.addIssue({});
    const d = await source({}).src.discover();
    expect(d.kind === 'items' && d.rateLimit?.remaining).toBe(4999);
    gh.refusals.push({ status: 403 });
    expect(await source({}).src.discover()).toMatchObject({ kind: 'error', status: 403 });
  });

  test('another refusal is an error with its status', async () => {
    gh.tokens.add('other');
    const d = await source({}).src.discover();
    expect(d).toMatchObject({ kind: 'error', status: 401 });
  });
});

describe('what a failed poll says', () => {
  const at = (baseUrl: string, slug = 'acme/widgets', timeoutMs = 15_000) => {
    const repo = resolveRepo(slug, undefined, baseUrl) as GitHubRepo;
    const client = new GitHubClient({
      baseUrl: repo.apiBaseUrl,
      fetch: createOutboundFetch({ allowPrivate: true, allowInsecure: true }),
      token: () => 't0k',
      timeoutMs,
    });
    return new GitHubIssuesSource({}, repo, client);
  };
  const messageOf = (d: Discovery) => (d.kind === 'error' ? d.message : `not an error: ${d.kind}`);
  const server = async (handle: Parameters<typeof createServer>[1]) => {
    const srv = createServer(handle).listen(0, '127.0.0.1');
    await once(srv, 'listening');
    return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, close: () => srv.close() };
  };

  test('without a timeout of its own, a poll waits KelosConfig spec.outbound.timeoutSeconds, and says so', async () => {
    const slow = await server((_req, res) => {
      const late = setTimeout(() => res.end('[]'), 4000);
      res.on('close', () => clearTimeout(late));
    });
    const { fetch: live } = spawnerFetches(
      () =>
        resolveAdminConfig({
          apiVersion: 'kelos.dev/v1alpha2',
          kind: 'KelosConfig',
          metadata: { name: 'kelos' },
          spec: { outbound: { allowedHosts: ['127.0.0.1'], allowPrivateNetworks: true, timeoutSeconds: 1 } },
        }).outbound,
      undefined,
      { allowInsecure: true },
    );
    try {
      const repo = resolveRepo('acme/widgets', undefined, slow.url) as GitHubRepo;
      // As the reconciler builds it: no timeoutMs.
      const client = new GitHubClient({ baseUrl: repo.apiBaseUrl, fetch: live, token: () => 't0k' });
      const started = Date.now();
      const m = messageOf(await new GitHubIssuesSource({}, repo, client).discover());
      expect(Date.now() - started).toBeLessThan(3000);
      expect(m).toMatch(
        /no answer within the outbound deadline \(KelosConfig spec\.outbound\.timeoutSeconds; gave up after 1\.\d s\)/,
      );
    } finally {
      slow.close();
    }
  }, 10_000);

  test('a repository GitHub does not show (404) names the repo field and what to check', async () => {
    const m = messageOf(await at(gh.baseUrl, 'acme/nope').discover());
    expect(m).toMatch(
      /^spec\.when\.githubIssues: repository acme\/nope not found at http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(m).toContain('HTTP 404');
    expect(m).toContain('check spec.when.githubIssues.repo');
  });

  test('a refused token (401) says to check the Workspace Secret', async () => {
    gh.tokens.add('other');
    const m = messageOf(await at(gh.baseUrl).discover());
    expect(m).toContain('HTTP 401: Bad credentials');
    expect(m).toContain(
      "GITHUB_TOKEN (or the GitHub App keys appID, installationID, privateKey) in the Secret the Workspace's spec.secretRef names",
    );
    expect(m.match(/GitHub at 127\.0\.0\.1:\d+ refused the token/g)).toHaveLength(1);
  });

  test('a timeout names the call and the time waited', async () => {
    const hung = await server(() => {});
    try {
      const m = messageOf(await at(hung.url, 'acme/widgets', 300).discover());
      expect(m).toBe(
        `GitHub API GET ${hung.url}/repos/acme/widgets/issues?state=open&per_page=100: no answer within 0.3 s (request timed out)`,
      );
    } finally {
      hung.close();
    }
  });

  test('an answer that is not JSON (a proxy login page) names the call, not a JSON parser error', async () => {
    const html = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>Sign in</html>');
    });
    try {
      const m = messageOf(await at(html.url).discover());
      expect(m).toMatch(
        new RegExp(
          `^GitHub API GET ${html.url}/repos/acme/widgets/issues\\?\\S+: HTTP 200 answer is not JSON \\(text/html`,
        ),
      );
    } finally {
      html.close();
    }
  });

  test('a JSON answer that is not a list (a server that is not the GitHub API) names the call, not a TypeError', async () => {
    const other = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
    });
    try {
      const m = messageOf(await at(other.url).discover());
      expect(m).toMatch(
        new RegExp(
          `^GitHub API GET ${other.url}/repos/acme/widgets/issues\\?\\S+: HTTP 200 answer is a JSON object, not the list expected; is this the API's URL\\?$`,
        ),
      );
    } finally {
      other.close();
    }
  });

  test('a refused connection names the call', async () => {
    const gone = await server(() => {});
    gone.close();
    const m = messageOf(await at(gone.url).discover());
    expect(m).toMatch(
      new RegExp(
        `^GitHub API GET ${gone.url}/repos/acme/widgets/issues\\?\\S+: fetch failed: .*ECONNREFUSED`,
      ),
    );
  });
});

describe('GitHub Enterprise', () => {
  test('the API base is https://<host>/api/v3 for a GHE repository; the override wins', () => {
    expect(resolveRepo(undefined, 'https://git.corp.example/team/app.git')).toEqual({
      host: 'git.corp.example',
      owner: 'team',
      repo: 'app',
      apiBaseUrl: 'https://git.corp.example/api/v3',
    });
    expect(resolveRepo('team/other', 'git@git.corp.example:team/app.git')).toMatchObject({
      owner: 'team',
      repo: 'other',
      apiBaseUrl: 'https://git.corp.example/api/v3',
    });
    expect(resolveRepo('a/b', undefined)).toMatchObject({ apiBaseUrl: 'https://api.github.com' });
    expect(resolveRepo('a/b', undefined, 'http://127.0.0.1:9/')).toMatchObject({
      apiBaseUrl: 'http://127.0.0.1:9',
    });
    expect(resolveRepo('nonsense', undefined)).toHaveProperty('error');
  });

  test('a prefixed server is polled under its prefix', async () => {
    await gh.close();
    gh = await FakeGitHub.start({ prefix: '/api/v3' });
    gh.addIssue({});
    expect(ids(await source({}).src.discover())).toEqual(['1']);
  });
});
