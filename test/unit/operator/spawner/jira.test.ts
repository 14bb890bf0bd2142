import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { KelosConfig } from '../../../../src/api/index.ts';
import { resolveAdminConfig } from '../../../../src/operator/admin-config.ts';
import { createOutboundFetch, spawnerFetches } from '../../../../src/operator/outbound.ts';
import { buildJql, JiraSource, jiraText } from '../../../../src/operator/spawner/sources/jira.ts';
import { FakeJira } from '../../../support/fake-jira.ts';

let jira: FakeJira;
beforeEach(async () => {
  jira = await FakeJira.start();
});
afterEach(() => jira.close());

const fetch = createOutboundFetch({ allowPrivate: true, allowInsecure: true });
const source = (creds: { user?: string; token: string }, jql?: string) =>
  new JiraSource({ baseUrl: jira.baseUrl, project: 'ENG', jql, secretRef: { name: 's' } }, creds, fetch);

const seed = (n: number) => {
  for (let i = 1; i <= n; i++) jira.issues.push({ key: `ENG-${i}`, summary: `S${i}` });
  jira.issues.push({ key: 'OPS-1', summary: 'other project' });
};

describe('jira source', () => {
  test('items carry the description as Body (upstream #990), comments, labels, type and the browse URL', async () => {
    jira.authorization = 'Bearer pat';
    jira.issues.push({
      key: 'ENG-42',
      summary: 'Crash on save',
      description: 'Steps:\n1. save',
      labels: ['backend'],
      type: 'Bug',
      comments: [
        'first',
        // An image only: no text, left out of {{.Comments}}.
        { type: 'doc', content: [{ type: 'mediaSingle', content: [{ type: 'media', attrs: { id: 'x' } }] }] },
        { type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'adf' }] }] },
      ],
    });
    const d = await source({ token: 'pat' }).discover();
    expect(d).toMatchObject({
      kind: 'items',
      items: [
        {
          id: 'ENG-42',
          number: 42,
          title: 'Crash on save',
          body: 'Steps:\n1. save',
          url: `${jira.baseUrl}/browse/ENG-42`,
          labels: ['backend'],
          comments: 'first\n---\nadf',
          kind: 'Bug',
        },
      ],
    });
    expect(jira.requests[0]!.path).toContain('fields=summary%2Cdescription');
  });

  test('Cloud: token paging over every page', async () => {
    jira.authorization = 'Bearer pat';
    jira.pageSize = 40;
    seed(100);
    const d = await source({ token: 'pat' }).discover();
    expect(d.kind === 'items' && d.items.map((i) => i.id)).toHaveLength(100);
    expect(jira.requests.map((r) => r.path.split('?')[0])).toEqual(Array(3).fill('/rest/api/2/search/jql'));
    expect(jira.requests[1]!.path).toContain('nextPageToken=40');
  });

  test('Data Center: a 404 on /search/jql falls back to /search with startAt, and stays there', async () => {
    jira.authorization = `Basic ${Buffer.from('ann:secret').toString('base64')}`;
    jira.dataCenter = true;
    jira.pageSize = 50;
    seed(120);
    const src = source({ user: 'ann', token: 'secret' });
    const d = await src.discover();
    expect(d.kind === 'items' && d.items).toHaveLength(120);
    expect(jira.requests.map((r) => `${r.status} ${r.path.split('?')[0]}`)).toEqual([
      '404 /rest/api/2/search/jql',
      '200 /rest/api/2/search',
      '200 /rest/api/2/search',
      '200 /rest/api/2/search',
    ]);
    expect(jira.requests[3]!.path).toContain('startAt=100');
    jira.requests.length = 0;
    await src.discover();
    expect(jira.requests.every((r) => r.path.startsWith('/rest/api/2/search?'))).toBe(true);
  });

  test('wrong credentials are an error with the status; 429 is rate-limited with Retry-After', async () => {
    jira.authorization = 'Bearer right';
    expect(await source({ token: 'wrong' }).discover()).toMatchObject({ kind: 'error', status: 401 });
    jira.retryAfter = 30;
    const d = await source({ token: 'right' }).discover();
    expect(d.kind).toBe('rate-limited');
    expect(d.kind === 'rate-limited' && d.retryAt.getTime()).toBeGreaterThan(Date.now() + 25_000);
  });

  test("a refused query (400) names the fields and the JQL sent, with Jira's words, not the encoded URL", async () => {
    const srv = createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          errorMessages: ["Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'foo'."],
          errors: {},
        }),
      );
    }).listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      const d = await new JiraSource(
        { baseUrl: base, project: 'ENG', jql: 'status = Open foo', secretRef: { name: 's' } },
        { token: 't' },
        fetch,
      ).discover();
      expect(d).toMatchObject({
        kind: 'error',
        status: 400,
        message: `spec.when.jira (project, jql): Jira refused the query "project = ENG AND (status = Open foo)" (GET ${base}/rest/api/2/search/jql: HTTP 400: Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'foo'.)`,
      });
    } finally {
      srv.close();
    }
  });

  test('a JSON answer without a list of issues names the call and asks whether it is the URL, not a TypeError', async () => {
    const answers = ['{"issues": {"key": "ENG-1"}}', 'null', '[1, 2]'];
    const srv = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(answers.shift());
    }).listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      const src = new JiraSource(
        { baseUrl: base, project: 'ENG', secretRef: { name: 's' } },
        { token: 't' },
        fetch,
      );
      for (const what of ['an object of issues', 'null', 'a JSON list']) {
        const d = await src.discover();
        expect(d.kind).toBe('error');
        expect(d.kind === 'error' && d.message).toMatch(
          new RegExp(
            `^Jira GET ${base}/rest/api/2/search/jql: HTTP 200 answer is ${what}, not a search result with a list of issues; is this the Jira base URL\\?$`,
          ),
        );
      }
    } finally {
      srv.close();
    }
  });

  test('refused credentials name the secretRef and its keys', async () => {
    jira.authorization = 'Bearer right';
    const d = await source({ token: 'wrong' }).discover();
    expect(d.kind === 'error' && d.message).toMatch(
      /^spec\.when\.jira\.secretRef: Jira refused the credentials \(GET http:\S+\/rest\/api\/2\/search\/jql: HTTP 401.*check JIRA_TOKEN, and JIRA_USER/,
    );
  });

  test("KelosConfig spec.outbound.timeoutSeconds is Jira's deadline, and the message says so without the query", async () => {
    const srv = createServer((_req, res) => {
      const late = setTimeout(() => res.end('{"issues": [], "isLast": true}'), 4000);
      res.on('close', () => clearTimeout(late));
    }).listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const config: KelosConfig = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'KelosConfig',
      metadata: { name: 'kelos' },
      spec: { outbound: { allowedHosts: ['127.0.0.1'], allowPrivateNetworks: true, timeoutSeconds: 1 } },
    };
    const { fetch: live } = spawnerFetches(() => resolveAdminConfig(config).outbound, undefined, {
      allowInsecure: true,
    });
    try {
      const started = Date.now();
      const d = await new JiraSource(
        { baseUrl: base, project: 'ENG', secretRef: { name: 's' } },
        { token: 't' },
        live,
      ).discover();
      expect(Date.now() - started).toBeLessThan(3000);
      expect(d.kind === 'error' && d.message).toMatch(
        new RegExp(
          `^Jira GET ${base}/rest/api/2/search/jql: no answer within the outbound deadline \\(KelosConfig spec\\.outbound\\.timeoutSeconds; gave up after 1\\.\\d s\\)$`,
        ),
      );
    } finally {
      srv.closeAllConnections();
      srv.close();
    }
  }, 10_000);

  test('a refused connection and an outbound refusal name the URL without its query (the JQL)', async () => {
    const srv = createServer().listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    srv.close();
    await once(srv, 'close');
    const spec = { baseUrl: base, project: 'ENG', jql: 'labels = agent', secretRef: { name: 's' } };
    const refusedConnection = await new JiraSource(spec, { token: 't' }, fetch).discover();
    expect(refusedConnection.kind === 'error' && refusedConnection.message).toMatch(
      new RegExp(`^Jira GET ${base}/rest/api/2/search/jql: fetch failed: .*ECONNREFUSED`),
    );
    const guarded = createOutboundFetch({ allowedHosts: ['jira.example.com'], allowInsecure: true });
    const refusedByGuard = await new JiraSource(spec, { token: 't' }, guarded).discover();
    // The guard's own wording aside, the URL it names is the search's, without the query.
    expect(refusedByGuard.kind === 'error' && refusedByGuard.message).toContain(
      `${base}/rest/api/2/search/jql refused`,
    );
    for (const d of [refusedConnection, refusedByGuard])
      expect(d.kind === 'error' && d.message).not.toMatch(/jql\?|jql=|labels/);
  });

  test('JQL is project = P AND (jql) with ORDER BY kept last', () => {
    expect(buildJql('ENG', undefined)).toBe('project = ENG');
    expect(buildJql('ENG', 'labels = agent OR status = Open ORDER BY created DESC')).toBe(
      'project = ENG AND (labels = agent OR status = Open) ORDER BY created DESC',
    );
    // An "order by" inside a quoted value is not the clause: the last one is, as upstream.
    expect(buildJql('ENG', 'summary ~ "sort order by date" ORDER BY created')).toBe(
      'project = ENG AND (summary ~ "sort order by date") ORDER BY created',
    );
    expect(buildJql('ENG', 'summary ~ "order by"')).toBe('project = ENG AND (summary ~ "order by")');
    expect(buildJql('ENG', "status = 'In Progress' order by rank")).toBe(
      "project = ENG AND (status = 'In Progress') order by rank",
    );
  });

  test('the JQL sent names the project and keeps the ORDER BY clause outside the parentheses', async () => {
    seed(1);
    jira.authorization = 'Bearer pat';
    await source({ token: 'pat' }, 'summary ~ "sort order by date" ORDER BY created').discover();
    expect(new URL(`http://x${jira.requests[0]!.path}`).searchParams.get('jql')).toBe(
      'project = ENG AND (summary ~ "sort order by date") ORDER BY created',
    );
  });

  test('ADF documents flatten to text', () => {
    expect(
      jiraText({
        type: 'doc',
        content: [
          {
            type: 'paragraph',
            content: [{ type: 'text', text: 'a' }, { type: 'hardBreak' }, { type: 'text', text: 'b' }],
          },
          { type: 'paragraph', content: [{ type: 'text', text: 'c' }] },
        ],
      }),
    ).toBe('a\nb\nc\n');
  });
});
