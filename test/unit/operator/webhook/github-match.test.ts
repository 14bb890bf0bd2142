import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { GitHubWebhookFilter } from '../../../../src/operator/webhook/github-event.ts';
import { enrichmentNeeded, matchDelivery } from '../../../../src/operator/webhook/match.ts';
import { delivery, type Json, spawnerWith } from '../../../support/webhook-fixtures.ts';

const spawner = (
  events: string[],
  filters: GitHubWebhookFilter[] = [],
  extra: Record<string, unknown> = {},
) => spawnerWith({ githubWebhook: { events, filters, ...extra } });

const reasonOf = (r: ReturnType<typeof matchDelivery>): string => (r.matched ? 'matched' : r.reason);
const varsOf = (r: ReturnType<typeof matchDelivery>): Record<string, Json> => {
  if (!r.matched) throw new Error(`not matched: ${r.reason}`);
  return r.vars as Record<string, Json>;
};

describe('GitHub: events, repository, authors', () => {
  test('an event not in events is not for the spawner; one in events with no filter is', () => {
    expect(reasonOf(matchDelivery(spawner(['issues']), delivery('github', 'push', 'push')))).toMatch(
      /not in events/,
    );
    const r = matchDelivery(spawner(['issues']), delivery('github', 'issues', 'issues'));
    // Upstream's default Task name suffix: <event>-<sha256(X-GitHub-Delivery)[:12]>.
    const sha = createHash('sha256').update('d-issues-issues').digest('hex');
    expect(r.matched && r.id).toBe(`issues-${sha.slice(0, 12)}`);
    const pr = matchDelivery(
      spawner(['pull_request_review']),
      delivery('github', 'pull_request_review', 'pull_request_review'),
    );
    expect(pr.matched && pr.id).toMatch(/^pull-request-review-[0-9a-f]{12}$/);
  });

  test('a delivery for another source kind is not for a GitHub spawner, and vice versa', () => {
    expect(reasonOf(matchDelivery(spawner(['issues']), delivery('linear', 'Issue', 'issue-create')))).toMatch(
      /no linearWebhook/,
    );
    const linear = spawnerWith({ linearWebhook: { types: ['Issue'] } });
    expect(reasonOf(matchDelivery(linear, delivery('github', 'issues', 'issues')))).toMatch(
      /no githubWebhook/,
    );
  });

  test('repository restricts to one repository, case-insensitively', () => {
    const d = delivery('github', 'issues', 'issues');
    expect(matchDelivery(spawner(['issues'], [], { repository: 'ACME/Widgets' }), d).matched).toBe(true);
    expect(reasonOf(matchDelivery(spawner(['issues'], [], { repository: 'acme/other' }), d))).toMatch(
      /repository/,
    );
  });

  test('spawner-level excludeAuthors drops the sender before any filter', () => {
    const s = spawner(['issues'], [{ event: 'issues', action: 'labeled' }], { excludeAuthors: ['OctoCat'] });
    expect(reasonOf(matchDelivery(s, delivery('github', 'issues', 'issues')))).toMatch(/octocat is excluded/);
  });
});

describe('GitHub filters', () => {
  const issues = delivery('github', 'issues', 'issues');
  const cases: [string, GitHubWebhookFilter, boolean][] = [
    ['action matches', { event: 'issues', action: 'labeled' }, true],
    ['action differs', { event: 'issues', action: 'opened' }, false],
    ['all labels present (any case)', { event: 'issues', labels: ['BUG', 'kelos'] }, true],
    ['a label missing', { event: 'issues', labels: ['bug', 'wontfix'] }, false],
    ['excluded label present', { event: 'issues', excludeLabels: ['kelos'] }, false],
    ['excluded label present (any case)', { event: 'issues', excludeLabels: ['KELOS'] }, false],
    ['state open', { event: 'issues', state: 'open' }, true],
    ['state open (any case)', { event: 'issues', state: 'Open' }, true],
    ['author is the sender (any case)', { event: 'issues', author: 'OctoCat' }, true],
    ['state closed', { event: 'issues', state: 'closed' }, false],
    ['author is the sender', { event: 'issues', author: 'octocat' }, true],
    ['author is someone else', { event: 'issues', author: 'hubot' }, false],
    ['filter excludeAuthors', { event: 'issues', excludeAuthors: ['octocat'] }, false],
    ['bodyContains', { event: 'issues', bodyContains: 'one run in ten' }, true],
    ['bodyPattern (RE2, case flag)', { event: 'issues', bodyPattern: '(?i)FAILS about \\w+ run' }, true],
    ['bodyPattern misses', { event: 'issues', bodyPattern: '^Crash' }, false],
    ['excludeBodyPatterns hit', { event: 'issues', excludeBodyPatterns: ['CI run \\d+'] }, false],
    ['draft false matches a non-draft issue', { event: 'issues', draft: false }, true],
  ];
  test.each(cases)('%s', (_name, filter, want) => {
    expect(matchDelivery(spawner(['issues'], [filter]), issues).matched).toBe(want);
  });

  test('filters for the same event are alternatives; fields within one all apply', () => {
    const s = spawner(
      ['issues'],
      [
        { event: 'issues', action: 'opened' },
        { event: 'issues', action: 'labeled', labels: ['wontfix'] },
      ],
    );
    expect(reasonOf(matchDelivery(s, issues))).toMatch(/no filter matches: action .*; a required label/);
    // Two filters failing the same action test give that reason once.
    const twice = spawner(
      ['issues'],
      [
        { event: 'issues', action: 'opened' },
        { event: 'issues', action: 'opened', labels: ['bug'] },
      ],
    );
    expect(reasonOf(matchDelivery(twice, issues))).toBe('no filter matches: action is "labeled", not opened');
    const either = spawner(
      ['issues'],
      [
        { event: 'issues', action: 'opened' },
        { event: 'issues', labels: ['bug'] },
      ],
    );
    expect(matchDelivery(either, issues).matched).toBe(true);
  });

  test('an event with filters only for other events matches', () => {
    const s = spawner(['issues', 'push'], [{ event: 'push', branch: 'main' }]);
    expect(matchDelivery(s, issues).matched).toBe(true);
    expect(matchDelivery(s, delivery('github', 'push', 'push')).matched).toBe(false);
  });

  test('an invalid RE2 pattern (a backreference) fails closed with the pattern named', () => {
    const s = spawner(['issues'], [{ event: 'issues', bodyPattern: '(a)\\1' }]);
    expect(reasonOf(matchDelivery(s, issues))).toMatch(/invalid RE2 pattern "\(a\)\\\\1"/);
  });

  test('commentOn tells comments on issues from comments on pull requests', () => {
    const onIssue = delivery('github', 'issue_comment', 'issue_comment');
    const onPR = delivery('github', 'issue_comment', 'issue_comment-on-pr');
    const s = (on: 'Issue' | 'PullRequest') =>
      spawner(['issue_comment'], [{ event: 'issue_comment', commentOn: on }]);
    expect([matchDelivery(s('Issue'), onIssue).matched, matchDelivery(s('Issue'), onPR).matched]).toEqual([
      true,
      false,
    ]);
    expect([
      matchDelivery(s('PullRequest'), onIssue).matched,
      matchDelivery(s('PullRequest'), onPR).matched,
    ]).toEqual([false, true]);
  });

  test('issue_comment body filters read the comment, not the issue', () => {
    const s = spawner(['issue_comment'], [{ event: 'issue_comment', bodyPattern: '^/kelos\\b' }]);
    expect(matchDelivery(s, delivery('github', 'issue_comment', 'issue_comment')).matched).toBe(true);
    const other = delivery('github', 'issue_comment', 'issue_comment', (p) => {
      p.comment.body = 'thanks, /kelos later';
    });
    expect(matchDelivery(s, other).matched).toBe(false);
  });

  test('branch globs stop at a slash as Go filepath.Match does', () => {
    const push = delivery('github', 'push', 'push');
    const on = (branch: string) =>
      matchDelivery(spawner(['push'], [{ event: 'push', branch }]), push).matched;
    expect([on('feature/*'), on('*'), on('feature/re?ries'), on('main')]).toEqual([true, false, true, false]);
  });

  test('pull request: branch is the head ref, draft, labels', () => {
    const pr = delivery('github', 'pull_request', 'pull_request');
    const on = (f: Omit<GitHubWebhookFilter, 'event'>) =>
      matchDelivery(spawner(['pull_request'], [{ event: 'pull_request', ...f }]), pr).matched;
    expect(on({ branch: 'feature/*', draft: false, labels: ['kelos'] })).toBe(true);
    expect(on({ draft: true })).toBe(false);
    const draft = delivery('github', 'pull_request', 'pull_request', (p) => {
      p.pull_request.draft = true;
    });
    expect(
      matchDelivery(spawner(['pull_request'], [{ event: 'pull_request', draft: true }]), draft).matched,
    ).toBe(true);
  });

  test('tag globs match created tags and releases, not branches', () => {
    const create = delivery('github', 'create', 'create');
    expect(matchDelivery(spawner(['create'], [{ event: 'create', tag: 'v1.*' }]), create).matched).toBe(true);
    expect(matchDelivery(spawner(['create'], [{ event: 'create', branch: '*' }]), create).matched).toBe(
      false,
    );
    const release = delivery('github', 'release', 'release');
    expect(matchDelivery(spawner(['release'], [{ event: 'release', tag: 'v2.*' }]), release).matched).toBe(
      false,
    );
    expect(
      matchDelivery(spawner(['release'], [{ event: 'release', tag: 'v[0-9].*' }]), release).matched,
    ).toBe(true);
  });

  test('check_run: conclusion and checkName glob', () => {
    const run = delivery('github', 'check_run', 'check_run');
    const on = (f: Omit<GitHubWebhookFilter, 'event'>) =>
      matchDelivery(spawner(['check_run'], [{ event: 'check_run', ...f }]), run).matched;
    expect(on({ conclusion: 'failure', checkName: 'test (*)' })).toBe(true);
    expect(on({ conclusion: 'success' })).toBe(false);
    expect(on({ checkName: 'lint*' })).toBe(false);
  });

  test('filePatterns: push reads its commits; pull requests need the files fetched, else fail closed', () => {
    const push = delivery('github', 'push', 'push');
    const fp = (include: string[]) => spawner(['push'], [{ event: 'push', filePatterns: { include } }]);
    expect(matchDelivery(fp(['src/**/*.go']), push).matched).toBe(true);
    expect(matchDelivery(fp(['charts/**']), push).matched).toBe(false);

    const s = spawner(['pull_request'], [{ event: 'pull_request', filePatterns: { include: ['docs/**'] } }]);
    const pr = delivery('github', 'pull_request', 'pull_request');
    expect(enrichmentNeeded(s, pr)).toEqual({
      changedFiles: true,
      pullRequestHeadBranch: false,
      linearIssueLabels: false,
    });
    expect(reasonOf(matchDelivery(s, pr))).toMatch(/changed files, which were not fetched/);
    const enriched = { ...pr, enrichment: { changedFiles: ['docs/retries.md', 'src/fetch.go'] } };
    const r = matchDelivery(s, enriched);
    expect(r.matched && (r.vars as Record<string, unknown>).ChangedFiles).toEqual([
      'docs/retries.md',
      'src/fetch.go',
    ]);
    expect(matchDelivery(s, { ...pr, enrichment: { changedFiles: ['src/fetch.go'] } }).matched).toBe(false);
  });
});

describe('GitHub variables and annotations', () => {
  test('issue_comment on a pull request: upstream keys, the comment, the fetched head branch, go-github payload names', () => {
    const d = delivery('github', 'issue_comment', 'issue_comment-on-pr', undefined, {
      enrichment: { pullRequestHeadBranch: 'feature/retries' },
    });
    const s = spawner(['issue_comment']);
    expect(enrichmentNeeded(s, d).pullRequestHeadBranch).toBe(true);
    const v = varsOf(matchDelivery(s, d));
    expect(v).toMatchObject({
      Event: 'issue_comment',
      Action: 'created',
      Sender: 'hubot',
      Repository: 'acme/widgets',
      RepositoryOwner: 'acme',
      RepositoryName: 'widgets',
      Kind: 'webhook',
      ID: '7',
      Number: 7,
      Title: 'Add retries to the fetcher',
      URL: 'https://github.com/acme/widgets/pull/7',
      Branch: 'feature/retries',
      // Upstream: .Body is the issue's (here the pull request's) own text, the comment is .CommentBody.
      Body: 'Retries transient errors.',
      CommentBody: '/kelos review',
      CommentURL: 'https://github.com/acme/widgets/pull/7#issuecomment-492700401',
      ChangedFiles: [],
    });
    expect(v.Payload.Issue.PullRequestLinks.HTMLURL).toBe('https://github.com/acme/widgets/pull/7');
    expect(v.Payload.Comment.User.Login).toBe('hubot');
    expect(v.Payload.Issue.Body).toBe('Retries transient errors.');
    expect(v.Payload.Repo.FullName).toBe('acme/widgets');
    expect(v.Payload.Issue.CreatedAt).toBe('2019-05-15 15:20:18 +0000 UTC');
  });

  test('pull_request: .Payload.PullRequest.Head.Ref and reporting annotations with the head SHA', () => {
    const s = spawner(['pull_request'], [], { reporting: { comments: { mode: 'Sticky' }, checks: {} } });
    const r = matchDelivery(s, delivery('github', 'pull_request', 'pull_request'));
    const v = varsOf(r);
    expect(v.Payload.PullRequest.Head.Ref).toBe('feature/retries');
    expect(v.Payload.PullRequest.Head.Repo.CloneURL).toBe('https://github.com/acme/widgets.git');
    expect(v.Payload.PullRequest.MergeCommitSHA).toBeNull();
    expect([v.Branch, v.Body, v.Number]).toEqual([
      'feature/retries',
      'Retries transient errors.\n\nFixes #42',
      7,
    ]);
    expect(r.matched && r.annotations).toEqual({
      'kelos.dev/source-owner': 'acme',
      'kelos.dev/source-repo': 'widgets',
      'kelos.dev/source-sha': 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
      'kelos.dev/source-kind': 'pull-request',
      'kelos.dev/source-number': '7',
      'kelos.dev/source-item': 'acme/widgets#7',
      'kelos.dev/github-reporting': 'enabled',
      'kelos.dev/github-comment-mode': 'Sticky',
      'kelos.dev/github-checks': 'enabled',
      'kelos.dev/github-check-name': 'Kelos: s',
    });
  });

  test('push: head commit as ID, "Push to <branch>", files of its commits, pusher username, Unix times', () => {
    const v = varsOf(matchDelivery(spawner(['push']), delivery('github', 'push', 'push')));
    expect([v.ID, v.Title, v.Branch, v.Ref]).toEqual([
      '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
      'Push to feature/retries',
      'feature/retries',
      'refs/heads/feature/retries',
    ]);
    expect(v.ChangedFiles).toEqual(['docs/retries.md', 'src/fetch.go']);
    expect(v.Payload.HeadCommit.Author.Login).toBe('octocat');
    expect(v.Payload.HeadCommit.Timestamp).toBe('2019-05-15 15:20:30 -0700 -0700');
    expect(v.Body).toBeUndefined();
  });

  test('create, release and check_run set their own keys', () => {
    const c = varsOf(matchDelivery(spawner(['create']), delivery('github', 'create', 'create')));
    expect([c.ID, c.Title, c.Tag, c.RefType, 'Branch' in c]).toEqual([
      'v1.2.0',
      'Tag created: v1.2.0',
      'v1.2.0',
      'tag',
      false,
    ]);
    const r = varsOf(matchDelivery(spawner(['release']), delivery('github', 'release', 'release')));
    expect([r.ID, r.Title, r.Tag, r.Body, r.Payload.Release.TagName]).toEqual([
      '11248810',
      'v1.2.0',
      'v1.2.0',
      'Retries, and a faster login.',
      'v1.2.0',
    ]);
    const k = varsOf(matchDelivery(spawner(['check_run']), delivery('github', 'check_run', 'check_run')));
    expect([k.ID, k.Number, k.Branch, k.CheckName, k.Conclusion, k.HeadSHA, k.CheckApp]).toEqual([
      '128620228',
      7,
      'feature/retries',
      'test (ubuntu-latest)',
      'failure',
      'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
      'github-actions',
    ]);
    expect(k.Payload.CheckRun.CheckSuite.HeadBranch).toBe('feature/retries');
  });

  test('an event go-github is not typed for here keeps its JSON as .Payload and the delivery id as ID', () => {
    const v = varsOf(matchDelivery(spawner(['star']), delivery('github', 'star', 'star')));
    expect([v.ID, v.Title, v.Payload.starred_at]).toEqual(['d-star-star', 'star', '2019-05-15T15:20:40Z']);
  });

  test('an empty body is left out, as upstream', () => {
    const d = delivery('github', 'issues', 'issues', (p) => {
      p.issue.body = null;
    });
    expect('Body' in varsOf(matchDelivery(spawner(['issues']), d))).toBe(false);
  });
});

test('review events: .Body is the pull request, as upstream; .CommentBody is the review', () => {
  const v = varsOf(
    matchDelivery(
      spawnerWith({ githubWebhook: { events: ['pull_request_review'] } }),
      delivery('github', 'pull_request_review', 'pull_request_review'),
    ),
  );
  expect([v.Body, v.CommentBody, v.CommentURL, v.Payload.PullRequest.Body, v.Payload.Review.State]).toEqual([
    'Retries transient errors.\n\nFixes #42',
    'Please handle the timeout case too.',
    'https://github.com/acme/widgets/pull/7#pullrequestreview-237895671',
    'Retries transient errors.\n\nFixes #42',
    'changes_requested',
  ]);
});

test('issue_comment: the body filters test the comment, while .Body stays the issue body (upstream)', () => {
  const d = delivery('github', 'issue_comment', 'issue_comment-on-pr', undefined, {
    enrichment: { pullRequestHeadBranch: 'feature/retries' },
  });
  const on = (f: GitHubWebhookFilter) => matchDelivery(spawner(['issue_comment'], [f]), d);
  expect(on({ event: 'issue_comment', bodyPattern: '^/kelos review$' }).matched).toBe(true);
  expect(on({ event: 'issue_comment', bodyContains: 'Retries transient' }).matched).toBe(false);
  const v = varsOf(on({ event: 'issue_comment', bodyContains: '/kelos review' }));
  expect([v.Body, v.CommentBody]).toEqual(['Retries transient errors.', '/kelos review']);
});
