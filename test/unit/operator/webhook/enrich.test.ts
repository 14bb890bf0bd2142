import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Task } from '../../../../src/api/index.ts';
import { createOutboundFetch } from '../../../../src/operator/outbound.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import { GitHubClient } from '../../../../src/operator/spawner/github-client.ts';
import { githubEnricher } from '../../../../src/operator/webhook/enrich.ts';
import { FakeGitHub } from '../../../support/fake-github.ts';
import { fixture } from '../../../support/webhook-fixtures.ts';
import { githubHeaders, post } from '../../../support/webhook-payloads.ts';
import { addSpawner, receiverOver } from '../../../support/webhook-receiver.ts';

const SECRET = 'hook-secret';
let gh: FakeGitHub;
const stops: Array<() => Promise<void> | void> = [];

beforeEach(async () => {
  gh = await FakeGitHub.start();
  gh.tokens.add('t0k');
});
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  await gh.close();
});

/** A receiver whose spawner takes pull requests touching docs/, enriched from the fake GitHub. */
const setup = async (repository?: string) => {
  const client = new GitHubClient({
    baseUrl: gh.baseUrl,
    fetch: createOutboundFetch({ allowPrivate: true, allowInsecure: true }),
    token: () => 't0k',
  });
  const repo = { host: 'github.com', owner: 'acme', repo: 'widgets', apiBaseUrl: gh.baseUrl };
  const when = {
    githubWebhook: {
      events: ['pull_request'],
      ...(repository ? { repository } : {}),
      filters: [{ event: 'pull_request', filePatterns: { include: ['docs/**'] } }],
    },
  };
  const r = await receiverOver(when, stops, {
    clusterSecrets: { github: [SECRET] },
    enrich: githubEnricher({
      get: async () => ({
        fingerprint: '',
        github: { client, repo },
        poll: () => {
          throw new Error('not polled');
        },
      }),
    }),
  });
  const { kube, receiver } = r;
  const addr = (await receiver.listen('127.0.0.1:0')) ?? '';
  const send = (pr: number, delivery: string, repo = 'acme/widgets') => {
    const p = fixture('github', 'pull_request') as {
      number: number;
      pull_request: { number: number };
      repository: { name: string; full_name: string; owner: { login: string } };
    };
    p.number = pr;
    p.pull_request.number = pr;
    const [owner = '', name = ''] = repo.split('/');
    p.repository = { ...p.repository, name, full_name: repo, owner: { ...p.repository.owner, login: owner } };
    const body = JSON.stringify(p);
    return post(addr, '/webhook/github', body, githubHeaders(body, SECRET, 'pull_request', delivery));
  };
  const taskCount = async (namespace = 'team-a') =>
    (await kube.list<Task>(Resources.Task, { namespace })).items.length;
  return { r, kube, send, taskCount };
};

describe('receiver enrichment from GitHub', () => {
  test('the changed files are fetched with the spawner access and decide the filePatterns filter', async () => {
    const { send, taskCount } = await setup();
    const docs = gh.addIssue({ pull: { headRef: 'docs-fix' }, files: ['docs/guide.md'] });
    const code = gh.addIssue({ pull: { headRef: 'code-fix' }, files: ['src/main.ts'] });

    const a = await send(docs, 'd-docs');
    expect(a.status).toBe(200);
    expect(JSON.stringify(a.json().results)).toContain('"outcome":"created"');
    const b = await send(code, 'd-code');
    expect(b.status).toBe(200);
    expect(JSON.stringify(b.json().results)).toContain('"outcome":"filtered"');
    expect(await taskCount()).toBe(1);
    expect(gh.requests.some((r) => r.path.includes(`/pulls/${docs}/files`))).toBe(true);
  });

  test("the files are those of the pull request in the delivery's repository, not of the same number in the Workspace's", async () => {
    const { send, taskCount } = await setup();
    // acme/widgets (the Workspace) has this number with docs changes; other/gadgets is not on the fake.
    const n = gh.addIssue({ pull: { headRef: 'docs-fix' }, files: ['docs/guide.md'] });
    const r = await send(n, 'd-other', 'other/gadgets');
    expect(r.status, r.body).toBe(503);
    expect(await taskCount()).toBe(0);
    expect(gh.requests.some((q) => q.path.startsWith(`/repos/other/gadgets/pulls/${n}/files`))).toBe(true);
    expect(gh.requests.some((q) => q.path.startsWith(`/repos/acme/widgets/pulls/${n}`))).toBe(false);
  });

  test('a delivery for a repository the spawner does not watch is filtered without a GitHub call', async () => {
    const { send, taskCount } = await setup('acme/widgets');
    const r = await send(404, 'd-unwatched', 'other/gadgets');
    expect(r.status, r.body).toBe(200);
    expect(r.json().results).toEqual([
      expect.objectContaining({
        outcome: 'filtered',
        reason: 'repository other/gadgets is not acme/widgets',
      }),
    ]);
    expect(gh.requests.filter((q) => q.path.includes('/pulls/'))).toEqual([]);
    expect(await taskCount()).toBe(0);
  });

  test("one spawner's failed fetch fails it alone: another tenant's spawner on the path gets its Task", async () => {
    const { r, send, taskCount } = await setup();
    // team-b takes every pull request of the repository; team-a's filter needs the files.
    await addSpawner(r, { githubWebhook: { events: ['pull_request'] } }, 'team-b', 'prs');
    const docs = gh.addIssue({ pull: { headRef: 'docs-fix' }, files: ['docs/guide.md'] });
    gh.refusals.push({ status: 403 });
    const a = await send(docs, 'd-1');
    expect(a.status).toBe(503);
    expect(a.headers['retry-after']).toBeTruthy();
    expect(a.json().results).toEqual([
      {
        taskSpawner: 'team-a/s',
        outcome: 'failed',
        reason:
          "pull request details could not be fetched; send the delivery again (the TaskSpawner's Events say why)",
      },
      expect.objectContaining({ taskSpawner: 'team-b/prs', outcome: 'created' }),
    ]);
    // The sender hears no other tenant's fetch error (a URL, a host the KelosConfig refuses).
    expect(a.body).not.toContain('403');
    expect([await taskCount('team-a'), await taskCount('team-b')]).toEqual([0, 1]);
    // Sent again: team-a's Task is made, team-b's is the duplicate its ledger knows.
    const again = await send(docs, 'd-1');
    expect(again.status).toBe(200);
    expect((again.json().results as Array<{ outcome: string }>).map((r) => r.outcome)).toEqual([
      'created',
      'duplicate',
    ]);
    expect([await taskCount('team-a'), await taskCount('team-b')]).toEqual([1, 1]);
  });

  test('a failed fetch answers 503 with Retry-After, creates nothing, and the retry succeeds', async () => {
    const { send, taskCount } = await setup();
    const docs = gh.addIssue({ pull: { headRef: 'docs-fix' }, files: ['docs/guide.md'] });
    // A refusal with no rate-limit state, so the client does not hold back the retry.
    gh.refusals.push({ status: 403 });
    const a = await send(docs, 'd-1');
    expect(a.status).toBe(503);
    expect(a.headers['retry-after']).toBeTruthy();
    expect(await taskCount()).toBe(0);
    const again = await send(docs, 'd-1');
    expect(again.status).toBe(200);
    expect(await taskCount()).toBe(1);
  });
});
