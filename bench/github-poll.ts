/**
 * Benchmark of the GitHub issues poll: requests per poll for a repository with `--issues`
 * open issues (default 500, each with one comment, all matching), against the fake GitHub
 * on loopback (test/support/fake-github.ts), for
 *
 * - the spawner's `githubIssues` source (conditional requests, per-item reads only for
 *   changed items): a cold poll, a poll of the unchanged repository, a poll after one new
 *   comment on one issue;
 * - upstream's algorithm, measured in the same run on the same server: every list page and
 *   every issue's comments, unconditionally, each poll (kelos-dev/kelos
 *   `internal/source/github.go`; no ETag).
 *
 * It prints requests by status, the requests that count against the rate limit (everything
 * but 304s), the per-item requests, wall time per poll and the ratio to upstream's figure.
 *
 * Usage: `node bench/github-poll.ts [--issues N] [--json]`
 *
 * @packageDocumentation
 */
import { parseArgs } from 'node:util';
import { createOutboundFetch } from '../src/operator/outbound.ts';
import { GitHubClient, nextLink } from '../src/operator/spawner/github-client.ts';
import { type GitHubRepo, resolveRepo } from '../src/operator/spawner/github-repo.ts';
import { GitHubIssuesSource } from '../src/operator/spawner/sources/github-issues.ts';
import { FakeGitHub } from '../test/support/fake-github.ts';
import { printRows, printTitle } from './lib/report.ts';
import { formatMillis } from './lib/stats.ts';

const { values: flags } = parseArgs({
  options: { issues: { type: 'string', default: '500' }, json: { type: 'boolean', default: false } },
});
const ISSUES = Number(flags.issues);

/** Requests of one poll. */
interface PollFigures {
  readonly total: number;
  readonly notModified: number;
  /** Requests that cost rate limit: every answer but 304. */
  readonly charged: number;
  /** Requests for one item's comments, reviews, files. */
  readonly perItem: number;
  readonly millis: number;
}

const gh = await FakeGitHub.start();
for (let i = 0; i < ISSUES; i++) {
  const n = gh.addIssue({ title: `Issue ${i}`, labels: ['needs-implementation'] });
  gh.comment(n, 'ann', `comment on ${n}`);
}
const fetch = createOutboundFetch({ allowPrivate: true, allowInsecure: true });

const measure = async (poll: () => Promise<unknown>): Promise<PollFigures> => {
  gh.requests.length = 0;
  const started = performance.now();
  await poll();
  const millis = performance.now() - started;
  const r = gh.requests;
  return {
    total: r.length,
    notModified: r.filter((x) => x.status === 304).length,
    charged: r.filter((x) => x.status !== 304).length,
    perItem: r.filter((x) => /\/issues\/\d+\//.test(x.path)).length,
    millis,
  };
};

/** Upstream's poll: list pages (≤10) then each issue's comments (≤10 pages), no ETag. */
const upstreamPoll = async (): Promise<void> => {
  const get = async (url: string) => {
    const res = await fetch(url, { headers: { accept: 'application/vnd.github.v3+json' } });
    return { data: (await res.json()) as Array<{ number: number }>, next: nextLink(res.headers.get('link')) };
  };
  const issues: Array<{ number: number }> = [];
  let next: string | undefined =
    `${gh.baseUrl}/repos/acme/widgets/issues?state=open&labels=needs-implementation&per_page=100`;
  for (let p = 0; p < 10 && next; p++) {
    const page = await get(next);
    issues.push(...page.data);
    next = page.next;
  }
  for (const issue of issues) {
    let c: string | undefined =
      `${gh.baseUrl}/repos/acme/widgets/issues/${issue.number}/comments?per_page=100`;
    for (let p = 0; p < 10 && c; p++) c = (await get(c)).next;
  }
};

const repo = resolveRepo('acme/widgets', undefined, gh.baseUrl) as GitHubRepo;
const source = new GitHubIssuesSource(
  { labels: ['needs-implementation'] },
  repo,
  new GitHubClient({ baseUrl: repo.apiBaseUrl, fetch }),
);

const ours = {
  cold: await measure(() => source.discover()),
  unchanged: await measure(() => source.discover()),
  oneChanged: await measure(async () => {
    gh.comment(Math.ceil(ISSUES / 2), 'bob', 'one more');
    await source.discover();
  }),
};
const upstream = {
  unchanged: await measure(upstreamPoll),
  oneChanged: await measure(async () => {
    gh.comment(Math.ceil(ISSUES / 3), 'bob', 'one more');
    await upstreamPoll();
  }),
};
await gh.close();

const row = (label: string, f: PollFigures): [string, string] => [
  label,
  `${f.total} requests (${f.notModified} × 304), ${f.charged} charged to the rate limit, ${f.perItem} per-item, ${formatMillis(f.millis)}`,
];
const ratio = (a: number, b: number) =>
  a === 0 ? `0 vs ${b}` : `${(b / a).toFixed(1)}x fewer (${a} vs ${b})`;

printTitle(`GitHub issues poll, ${ISSUES} open issues with one comment each`);
printRows([
  row('kelos, first poll', ours.cold),
  row('kelos, nothing changed', ours.unchanged),
  row('kelos, one issue changed', ours.oneChanged),
  row('upstream, nothing changed', upstream.unchanged),
  row('upstream, one issue changed', upstream.oneChanged),
]);
printTitle('ratio (upstream / kelos, same run)');
printRows([
  ['requests, nothing changed', ratio(ours.unchanged.total, upstream.unchanged.total)],
  ['charged, nothing changed', ratio(ours.unchanged.charged, upstream.unchanged.charged)],
  ['requests, one changed', ratio(ours.oneChanged.total, upstream.oneChanged.total)],
  ['charged, one changed', ratio(ours.oneChanged.charged, upstream.oneChanged.charged)],
]);
if (ours.unchanged.charged !== 0 || ours.unchanged.perItem !== 0) {
  process.stderr.write('target missed: an unchanged repository must cost only 304s and no per-item call\n');
  process.exitCode = 1;
}
if (flags.json) process.stdout.write(`${JSON.stringify({ issues: ISSUES, ours, upstream })}\n`);
