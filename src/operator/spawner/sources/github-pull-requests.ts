/**
 * The `githubPullRequests` source: `GET /repos/{o}/{r}/pulls` (most recently updated
 * first), the client-side filters (author, excludeAuthors, draft, labels, excludeLabels),
 * then per pull request: changed files (only with `filePatterns`), reviews (aggregated on
 * the head commit), conversation and review comments, and the comment policy.
 *
 * The per-item reads are made only when the pull request changed since the last poll
 * (`updated_at` or head SHA), and are conditional when they are made.
 *
 * @packageDocumentation
 */
import type { Static } from '@sinclair/typebox';
import picomatch from 'picomatch';
import type { GitHubPullRequestsSchema } from '../../../api/task-spawner/index.ts';
import { decideCommands, GitHubAuthorizer, usesCommands } from '../comment-policy.ts';
import { type Discovery, discoveryFailure } from '../discovery.ts';
import type { GitHubClient } from '../github-client.ts';
import {
  commandSources,
  explainGitHubError,
  type GitHubComment,
  type GitHubLabel,
  type GitHubRepo,
  type GitHubUser,
  githubAnnotations,
  hasAllLabels,
  hasAnyLabel,
  ItemMemo,
  labelNames,
  loginIn,
  readIssueComments,
  repoPath,
  type TokenOrigin,
} from '../github-repo.ts';
import { joinComments, type WorkItem } from '../work-item.ts';

/** The `githubPullRequests` options. */
export type GitHubPullRequestsSpec = Static<typeof GitHubPullRequestsSchema>;

/** A pull request as the pulls list returns it. */
export interface GitHubPull {
  readonly number: number;
  readonly title: string;
  readonly body?: string | null;
  readonly html_url: string;
  readonly state: string;
  readonly draft?: boolean;
  readonly labels?: readonly (GitHubLabel | string)[];
  readonly user?: GitHubUser | null;
  readonly head: { readonly ref: string; readonly sha: string };
  readonly created_at: string;
  readonly updated_at: string;
}

/** A pull request review. */
export interface GitHubReview {
  readonly user?: GitHubUser | null;
  readonly state: string;
  readonly commit_id?: string;
  readonly submitted_at?: string;
  readonly body?: string | null;
}

/** A changed file of a pull request. */
export interface GitHubFile {
  readonly filename: string;
}

/** What the per-item reads of one pull request returned. */
interface PullDetails {
  readonly files: readonly string[] | undefined;
  readonly reviews: readonly GitHubReview[];
  readonly comments: readonly GitHubComment[];
  readonly reviewComments: readonly GitHubComment[];
}

/** The list URL. */
export const pullsListPath = (repo: GitHubRepo, spec: GitHubPullRequestsSpec): string =>
  `${repoPath(repo)}/pulls?${new URLSearchParams({ state: spec.state ?? 'open', sort: 'updated', direction: 'desc', per_page: '100' })}`;

/** The client-side filters that need no per-item read. */
export const keepPull = (spec: GitHubPullRequestsSpec, pr: GitHubPull): boolean => {
  const login = pr.user?.login;
  if (spec.author && login?.toLowerCase() !== spec.author.toLowerCase()) return false;
  if (loginIn(login, spec.excludeAuthors)) return false;
  if (spec.draft !== undefined && (pr.draft ?? false) !== spec.draft) return false;
  const labels = labelNames(pr.labels);
  if (!hasAllLabels(labels, spec.labels ?? [])) return false;
  return !hasAnyLabel(labels, spec.excludeLabels ?? []);
};

/**
 * `filePatterns` (doublestar globs, dot files included as in Go's doublestar): excluded files
 * are dropped first; a pull request with no file left is skipped; with `include`, one of the
 * files left must match it.
 */
export const matchesFilePatterns = (
  patterns: { include?: readonly string[]; exclude?: readonly string[] },
  files: readonly string[],
): boolean => {
  const opts = { dot: true };
  const exclude = patterns.exclude?.length ? picomatch([...patterns.exclude], opts) : () => false;
  const left = files.filter((f) => !exclude(f));
  if (left.length === 0) return false;
  if (!patterns.include?.length) return true;
  const include = picomatch([...patterns.include], opts);
  return left.some((f) => include(f));
};

/**
 * The review state on the head commit: each reviewer's latest APPROVED or CHANGES_REQUESTED
 * review on `headSha` counts; any CHANGES_REQUESTED wins over approvals.
 */
export const aggregateReviewState = (
  reviews: readonly GitHubReview[],
  headSha: string,
): { state: '' | 'approved' | 'changes_requested'; latest?: Date } => {
  const latest = new Map<string, GitHubReview>();
  for (const r of reviews) {
    if (r.commit_id !== headSha || (r.state !== 'APPROVED' && r.state !== 'CHANGES_REQUESTED')) continue;
    const who = r.user?.login ?? '';
    const prev = latest.get(who);
    if (!prev || (r.submitted_at ?? '') >= (prev.submitted_at ?? '')) latest.set(who, r);
  }
  const states = [...latest.values()];
  const pick = states.some((r) => r.state === 'CHANGES_REQUESTED')
    ? 'CHANGES_REQUESTED'
    : states.length > 0
      ? 'APPROVED'
      : undefined;
  if (!pick) return { state: '' };
  const times = states
    .filter((r) => r.state === pick && r.submitted_at)
    .map((r) => Date.parse(r.submitted_at!));
  return {
    state: pick === 'APPROVED' ? 'approved' : 'changes_requested',
    latest: times.length ? new Date(Math.max(...times)) : undefined,
  };
};

/**
 * `{{.ReviewComments}}`: each inline comment as `path:line`, a newline and its body (trimmed;
 * empty ones left out), joined and capped like `{{.Comments}}`, as upstream's
 * `concatPullRequestReviewComments`. The line tells the agent where the reviewer pointed.
 */
export const reviewCommentsText = (comments: readonly GitHubComment[]): string =>
  joinComments(
    comments.flatMap((c) => {
      const body = (c.body ?? '').trim();
      if (!body) return [];
      const path = (c.path ?? '').trim();
      const at = c.line && c.line > 0 ? `${path}:${c.line}` : path;
      return [at ? `${at}\n${body}` : body];
    }),
  );

/**
 * What the comment policy reads on a pull request besides its body: the conversation, the
 * inline review comments and the reviews' bodies, as upstream (a reviewer who writes the
 * trigger in a review, "Request changes" with `/kelos pick-up`, commands as in a comment).
 */
export const commandComments = (d: PullDetails): GitHubComment[] => [
  ...d.comments,
  ...d.reviewComments,
  ...d.reviews.flatMap((r, i) =>
    r.body?.trim() && r.submitted_at
      ? [{ id: -1 - i, body: r.body, user: r.user ?? null, created_at: r.submitted_at }]
      : [],
  ),
];

const laterOf = (a: Date | undefined, b: Date | undefined): Date | undefined =>
  !a ? b : !b ? a : a > b ? a : b;

/** Polls one repository's pull requests for one spawner; keep one instance per spawner. */
export class GitHubPullRequestsSource {
  private readonly memo = new ItemMemo<PullDetails>();
  private readonly spec: GitHubPullRequestsSpec;
  private readonly repo: GitHubRepo;
  private readonly client: GitHubClient;
  private readonly authorizer: GitHubAuthorizer;
  private readonly origin: TokenOrigin | undefined;

  /** `origin` names the token's Secret and key in a 401's message. */
  constructor(spec: GitHubPullRequestsSpec, repo: GitHubRepo, client: GitHubClient, origin?: TokenOrigin) {
    this.spec = spec;
    this.repo = repo;
    this.client = client;
    this.origin = origin;
    this.authorizer = new GitHubAuthorizer(client, spec.commentPolicy ?? {}, repoPath(repo));
  }

  /** One discovery pass. */
  async discover(): Promise<Discovery> {
    const { client, spec, repo } = this;
    client.beginPoll();
    try {
      const list = await client.list<GitHubPull>(pullsListPath(repo, spec)).catch((e: unknown) => {
        throw explainGitHubError(e, 'githubPullRequests', repo, true, this.origin);
      });
      const wantState = spec.reviewState ?? 'any';
      const items: WorkItem[] = [];
      for (const pr of list.data) {
        if (!keepPull(spec, pr)) continue;
        const d = await this.details(pr);
        if (spec.filePatterns && !matchesFilePatterns(spec.filePatterns, d.files ?? [])) continue;
        const review = aggregateReviewState(d.reviews, pr.head.sha);
        if (wantState !== 'any' && review.state !== wantState) continue;
        const decision = usesCommands(spec.commentPolicy)
          ? await decideCommands(
              spec.commentPolicy,
              commandSources(pr.user?.login ?? '', pr.body ?? '', pr.created_at, commandComments(d)),
              this.authorizer.isAuthorized,
            )
          : { accepted: true, triggerTime: undefined };
        if (!decision.accepted) continue;
        const onHead = d.reviewComments.filter((c) => c.commit_id === pr.head.sha);
        items.push({
          id: String(pr.number),
          number: pr.number,
          title: pr.title,
          body: pr.body ?? '',
          url: pr.html_url,
          labels: labelNames(pr.labels),
          comments: joinComments(d.comments.map((c) => c.body ?? '')),
          kind: 'PR',
          branch: pr.head.ref,
          reviewState: review.state,
          reviewComments: reviewCommentsText(onHead),
          // A qualifying review is a trigger too, when the spawner filters on review state.
          triggerTime: laterOf(decision.triggerTime, wantState !== 'any' ? review.latest : undefined),
          annotations: githubAnnotations(repo, 'pull-request', pr.number, pr.head.sha),
        });
      }
      this.memo.endPoll();
      client.endPoll();
      return {
        kind: 'items',
        items,
        complete: list.complete,
        pages: list.pages,
        calls: client.calls,
        rateLimit: client.rateLimit,
      };
    } catch (e) {
      return discoveryFailure(
        explainGitHubError(e, 'githubPullRequests', repo, false, this.origin),
        client.calls,
      );
    }
  }

  private async details(pr: GitHubPull): Promise<PullDetails> {
    const version = `${pr.updated_at}|${pr.head.sha}`;
    const known = this.memo.get(pr.number, version);
    if (known) return known;
    const base = `${repoPath(this.repo)}/pulls/${pr.number}`;
    const files = this.spec.filePatterns
      ? (await this.client.list<GitHubFile>(`${base}/files?per_page=100`)).data.map((f) => f.filename)
      : undefined;
    const reviews = (await this.client.list<GitHubReview>(`${base}/reviews?per_page=100`)).data;
    const comments = await readIssueComments(this.client, this.repo, pr.number);
    const reviewComments = (await this.client.list<GitHubComment>(`${base}/comments?per_page=100`)).data;
    const fresh = { files, reviews, comments, reviewComments };
    this.memo.set(pr.number, version, fresh);
    return fresh;
  }
}
