/**
 * The `githubIssues` source: `GET /repos/{o}/{r}/issues` with the server-side filters
 * (state, labels, assignee, creator), then the client-side ones (types, excludeAuthors,
 * excludeLabels), then the comment policy over the body and the comments.
 *
 * Every read is conditional (see {@link GitHubClient}); an issue's comments are read only when
 * the issue changed since the last poll (`updated_at` or its comment count moved — a new
 * comment moves both) and only when it has any.
 *
 * @packageDocumentation
 */
import type { Static } from '@sinclair/typebox';
import type { GitHubIssuesSchema } from '../../../api/task-spawner/index.ts';
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
  hasAnyLabel,
  ItemMemo,
  labelNames,
  loginIn,
  readIssueComments,
  repoPath,
  type TokenOrigin,
} from '../github-repo.ts';
import { joinComments, type WorkItem } from '../work-item.ts';

/** The `githubIssues` options. */
export type GitHubIssuesSpec = Static<typeof GitHubIssuesSchema>;

/** An issue (or pull request) as the issues list returns it. */
export interface GitHubIssue {
  readonly number: number;
  readonly title: string;
  readonly body?: string | null;
  readonly html_url: string;
  readonly state: string;
  readonly labels?: readonly (GitHubLabel | string)[];
  readonly user?: GitHubUser | null;
  readonly comments?: number;
  readonly created_at: string;
  readonly updated_at: string;
  /** Present when the issue is a pull request. */
  readonly pull_request?: unknown;
}

/** The list URL for the spec's server-side filters. */
export const issuesListPath = (repo: GitHubRepo, spec: GitHubIssuesSpec): string => {
  const q = new URLSearchParams({ state: spec.state ?? 'open', per_page: '100' });
  if (spec.labels?.length) q.set('labels', spec.labels.join(','));
  if (spec.assignee) q.set('assignee', spec.assignee);
  if (spec.author) q.set('creator', spec.author);
  return `${repoPath(repo)}/issues?${q}`;
};

/** The client-side filters: types, excludeAuthors, excludeLabels. */
export const keepIssue = (spec: GitHubIssuesSpec, issue: GitHubIssue): boolean => {
  const types = spec.types?.length ? spec.types : ['issues'];
  if (!types.includes(issue.pull_request ? 'pulls' : 'issues')) return false;
  if (loginIn(issue.user?.login, spec.excludeAuthors)) return false;
  return !hasAnyLabel(labelNames(issue.labels), spec.excludeLabels ?? []);
};

/** Polls one repository's issues for one spawner; keep one instance per spawner. */
export class GitHubIssuesSource {
  private readonly memo = new ItemMemo<GitHubComment[]>();
  private readonly spec: GitHubIssuesSpec;
  private readonly repo: GitHubRepo;
  private readonly client: GitHubClient;
  private readonly authorizer: GitHubAuthorizer;
  private readonly origin: TokenOrigin | undefined;

  /** `origin` names the token's Secret and key in a 401's message. */
  constructor(spec: GitHubIssuesSpec, repo: GitHubRepo, client: GitHubClient, origin?: TokenOrigin) {
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
      const list = await client.list<GitHubIssue>(issuesListPath(repo, spec)).catch((e: unknown) => {
        throw explainGitHubError(e, 'githubIssues', repo, true, this.origin);
      });
      const items: WorkItem[] = [];
      for (const issue of list.data) {
        if (!keepIssue(spec, issue)) continue;
        const comments = await this.comments(issue);
        const author = issue.user?.login ?? '';
        const decision = usesCommands(spec.commentPolicy)
          ? await decideCommands(
              spec.commentPolicy,
              commandSources(author, issue.body ?? '', issue.created_at, comments),
              this.authorizer.isAuthorized,
            )
          : { accepted: true, triggerTime: undefined };
        if (!decision.accepted) continue;
        const pr = !!issue.pull_request;
        items.push({
          id: String(issue.number),
          number: issue.number,
          title: issue.title,
          body: issue.body ?? '',
          url: issue.html_url,
          labels: labelNames(issue.labels),
          comments: joinComments(comments.map((c) => c.body ?? '')),
          kind: pr ? 'PR' : 'Issue',
          triggerTime: decision.triggerTime,
          annotations: githubAnnotations(repo, pr ? 'pull-request' : 'issue', issue.number),
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
      return discoveryFailure(explainGitHubError(e, 'githubIssues', repo, false, this.origin), client.calls);
    }
  }

  private async comments(issue: GitHubIssue): Promise<GitHubComment[]> {
    if (issue.comments === 0) return [];
    const version = `${issue.updated_at}|${issue.comments ?? '?'}`;
    const known = this.memo.get(issue.number, version);
    if (known) return known;
    const fresh = await readIssueComments(this.client, this.repo, issue.number);
    this.memo.set(issue.number, version, fresh);
    return fresh;
  }
}
