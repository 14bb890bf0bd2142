import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FakeGitHub } from '../../../support/fake-github.ts';

let gh: FakeGitHub;
beforeEach(async () => {
  gh = await FakeGitHub.start();
});
afterEach(() => gh.close());

const call = async (method: string, path: string, body?: unknown, token?: string) => {
  const res = await fetch(`${gh.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `token ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

describe('fake GitHub write endpoints (for the reporting step)', () => {
  test('installation tokens are minted and then required', async () => {
    const minted = await call('POST', '/app/installations/42/access_tokens');
    expect(minted.status).toBe(201);
    const token = String(minted.json.token);
    expect(token).toMatch(/^ghs_fake_42_/);
    gh.addIssue({});
    expect((await call('GET', '/repos/acme/widgets/issues')).status).toBe(401);
    expect((await call('GET', '/repos/acme/widgets/issues', undefined, token)).status).toBe(200);
  });

  test('issue comments are created and updated in place; check runs likewise', async () => {
    const n = gh.addIssue({});
    const created = await call('POST', `/repos/acme/widgets/issues/${n}/comments`, { body: 'accepted' });
    expect(created.status).toBe(201);
    await call('PATCH', `/repos/acme/widgets/issues/comments/${created.json.id}`, { body: 'succeeded' });
    const list = await fetch(`${gh.baseUrl}/repos/acme/widgets/issues/${n}/comments`).then((r) => r.json());
    expect(list).toEqual([
      {
        id: created.json.id,
        body: 'succeeded',
        user: { login: 'kelos-bot' },
        created_at: expect.any(String),
      },
    ]);
    const run = await call('POST', '/repos/acme/widgets/check-runs', {
      name: 'Kelos: x',
      head_sha: 'abc',
      status: 'in_progress',
    });
    await call('PATCH', `/repos/acme/widgets/check-runs/${run.json.id}`, {
      status: 'completed',
      conclusion: 'success',
    });
    expect(gh.checkRuns.get(Number(run.json.id))).toMatchObject({
      name: 'Kelos: x',
      status: 'completed',
      conclusion: 'success',
    });
  });

  test('304s do not spend the rate limit; 200s do', async () => {
    gh.addIssue({});
    const first = await fetch(`${gh.baseUrl}/repos/acme/widgets/issues`);
    const remaining = Number(first.headers.get('x-ratelimit-remaining'));
    const again = await fetch(`${gh.baseUrl}/repos/acme/widgets/issues`, {
      headers: { 'if-none-match': first.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    expect(Number(again.headers.get('x-ratelimit-remaining'))).toBe(remaining);
  });
});
