import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createOutboundFetch } from '../../../../src/operator/outbound.ts';
import type { Discovery } from '../../../../src/operator/spawner/discovery.ts';
import { GitHubClient } from '../../../../src/operator/spawner/github-client.ts';
import { type GitHubRepo, resolveRepo } from '../../../../src/operator/spawner/github-repo.ts';
import {
  aggregateReviewState,
  GitHubPullRequestsSource,
  type GitHubPullRequestsSpec,
  matchesFilePatterns,
} from '../../../../src/operator/spawner/sources/github-pull-requests.ts';
import { FakeGitHub } from '../../../support/fake-github.ts';

let gh: FakeGitHub;
beforeEach(async () => {
  gh = await FakeGitHub.start();
});
afterEach(() => gh.close());

const source = (spec: GitHubPullRequestsSpec) => {
  const repo = resolveRepo('acme/widgets', undefined, gh.baseUrl) as GitHubRepo;
  const client = new GitHubClient({
    baseUrl: repo.apiBaseUrl,
    fetch: createOutboundFetch({ allowPrivate: true, allowInsecure: true }),
  });
  return new GitHubPullRequestsSource(spec, repo, client);
};

const ids = (d: Discovery) => {
  if (d.kind !== 'items') throw new Error(`discovery failed: ${JSON.stringify(d)}`);
  return d.items.map((i) => i.id).sort();
};

describe('githubPullRequests', () => {
  test('author, excludeAuthors, draft, labels (AND) and excludeLabels', async () => {
    gh.addIssue({ pull: {}, user: 'ann', labels: ['ok', 'ready'] }); // 1 kept
    gh.addIssue({ pull: { draft: true }, user: 'ann', labels: ['ok', 'ready'] }); // draft
    gh.addIssue({ pull: {}, user: 'bob', labels: ['ok', 'ready'] }); // author
    gh.addIssue({ pull: {}, user: 'ann', labels: ['ok'] }); // label missing
    gh.addIssue({ pull: {}, user: 'ann', labels: ['ok', 'ready', 'hold'] }); // excluded label
    gh.addIssue({ user: 'ann', labels: ['ok', 'ready'] }); // an issue, not a PR
    expect(
      ids(
        await source({
          author: 'ann',
          draft: false,
          labels: ['ok', 'ready'],
          excludeLabels: ['hold'],
        }).discover(),
      ),
    ).toEqual(['1']);
    expect(ids(await source({ excludeAuthors: ['ann'] }).discover())).toEqual(['3']);
  });

  test('variables: head branch, review state on the head commit, review comments; a qualifying review triggers', async () => {
    const n = gh.addIssue({ pull: { headRef: 'feat/x', headSha: 'abc' }, title: 'Add x' });
    gh.review(n, 'rev1', 'APPROVED', 'old-sha'); // not on the head: ignored
    gh.review(n, 'rev2', 'CHANGES_REQUESTED');
    gh.reviewComment(n, 'rev2', 'src/a.ts', 'rename this', 12);
    gh.reviewComment(n, 'rev2', 'src/b.ts', '  ');
    gh.reviewComment(n, 'rev2', 'src/c.ts', 'on the file\n');
    gh.comment(n, 'ann', 'looks close');
    const d = await source({ reviewState: 'changes_requested' }).discover();
    expect(d).toMatchObject({
      kind: 'items',
      items: [
        {
          id: String(n),
          kind: 'PR',
          branch: 'feat/x',
          reviewState: 'changes_requested',
          // upstream's concatPullRequestReviewComments: `path:line`, newline, body; empty ones out
          reviewComments: 'src/a.ts:12\nrename this\n---\nsrc/c.ts\non the file',
          comments: 'looks close',
          triggerTime: new Date('2026-01-01T00:00:03Z'),
          annotations: { 'kelos.dev/source-kind': 'pull-request', 'kelos.dev/source-sha': 'abc' },
        },
      ],
    });
    expect(ids(await source({ reviewState: 'approved' }).discover())).toEqual([]);
  });

  test('comment policy: a trigger in a review body or an inline review comment counts, as in a comment', async () => {
    gh.permissions.set('lead', 'write');
    const inReview = gh.addIssue({ pull: {} });
    gh.review(inReview, 'lead', 'CHANGES_REQUESTED', undefined, 'Please rework.\n/kelos pick-up');
    const inline = gh.addIssue({ pull: {} });
    gh.reviewComment(inline, 'lead', 'src/a.ts', '/kelos pick-up', 3);
    const stranger = gh.addIssue({ pull: {} });
    gh.review(stranger, 'drive-by', 'COMMENTED', undefined, '/kelos pick-up');
    const withdrawn = gh.addIssue({ pull: {} });
    gh.comment(withdrawn, 'lead', '/kelos pick-up');
    gh.review(withdrawn, 'lead', 'COMMENTED', undefined, '/kelos stop');
    gh.addIssue({ pull: {} }); // no command at all
    const d = await source({
      commentPolicy: {
        triggerComment: '/kelos pick-up',
        excludeComments: ['/kelos stop'],
        minimumPermission: 'write',
      },
    }).discover();
    expect(ids(d)).toEqual([String(inReview), String(inline)].sort());
    if (d.kind !== 'items') throw new Error('unreachable');
    // The review's submission is the trigger's time (it drives a retrigger).
    expect(d.items.find((i) => i.id === String(inReview))?.triggerTime).toEqual(
      new Date('2026-01-01T00:00:02Z'),
    );
  });

  test('filePatterns: exclude first, then include; files read only with filePatterns', async () => {
    gh.addIssue({ pull: {}, files: ['docs/a.md'] });
    gh.addIssue({ pull: {}, files: ['src/a.go', 'docs/b.md'] });
    gh.addIssue({ pull: {}, files: ['.github/workflows/ci.yml'] });
    const d = await source({
      filePatterns: { include: ['**/*.go', '**/*.yml'], exclude: ['docs/**'] },
    }).discover();
    expect(ids(d)).toEqual(['2', '3']);
    gh.requests.length = 0;
    await source({}).discover();
    expect(gh.count({ path: /\/files/ })).toBe(0);
  });

  test('an unchanged repository costs only 304s; a new push to one PR re-reads only that PR', async () => {
    for (let i = 0; i < 5; i++) gh.addIssue({ pull: {} });
    const src = source({});
    await src.discover();
    expect(gh.requests).toHaveLength(1 + 5 * 3); // list + reviews, comments, review comments per PR
    gh.requests.length = 0;
    await src.discover();
    expect(gh.requests.map((r) => r.status)).toEqual([304]);
    gh.requests.length = 0;
    gh.update(2, { headSha: 'new' });
    await src.discover();
    expect(
      gh.requests
        .filter((r) => r.path.startsWith('/repos/acme/widgets/pulls/'))
        .map((r) => r.path.split('?')[0]),
    ).toEqual(['/repos/acme/widgets/pulls/2/reviews', '/repos/acme/widgets/pulls/2/comments']);
    expect(gh.requests.filter((r) => r.path.includes('/issues/')).map((r) => r.path.split('?')[0])).toEqual([
      '/repos/acme/widgets/issues/2/comments',
    ]);
  });
});

describe('pull request helpers', () => {
  test('review state: latest per reviewer on the head; any changes requested wins', () => {
    const r = (user: string, state: string, at: string, sha = 'h') => ({
      user: { login: user },
      state,
      commit_id: sha,
      submitted_at: at,
    });
    expect(aggregateReviewState([r('a', 'CHANGES_REQUESTED', '1'), r('a', 'APPROVED', '2')], 'h').state).toBe(
      'approved',
    );
    expect(aggregateReviewState([r('a', 'APPROVED', '1'), r('b', 'CHANGES_REQUESTED', '2')], 'h').state).toBe(
      'changes_requested',
    );
    expect(aggregateReviewState([r('a', 'APPROVED', '1', 'old'), r('b', 'COMMENTED', '2')], 'h').state).toBe(
      '',
    );
  });

  test('file patterns are doublestar globs that match dot files', () => {
    expect(matchesFilePatterns({ include: ['**/*.yml'] }, ['.github/ci.yml'])).toBe(true);
    expect(matchesFilePatterns({ exclude: ['**/*.md'] }, ['README.md'])).toBe(false);
    expect(matchesFilePatterns({}, [])).toBe(false);
  });
});
