/**
 * What the two GitHub polling sources share: which repository and API base URL a spawner
 * polls, the GitHub JSON shapes they read, the per-item memo that lets an unchanged item skip
 * its per-item calls, and the source annotations upstream puts on a spawned Task.
 *
 * @packageDocumentation
 */
import { sourceRepository } from '../../api/repo-url.ts';
import { SourceAnnotations } from './annotations.ts';
import type { CommandSource } from './comment-policy.ts';
import { apiBaseUrlFor, GitHubApiError, type GitHubClient } from './github-client.ts';

/** The repository a GitHub source polls. */
export interface GitHubRepo {
  /** Host name, without a port: what "the same server" compares (an ssh remote's port is SSH's). */
  readonly host: string;
  readonly owner: string;
  readonly repo: string;
  /** API base URL: api.github.com, GitHub Enterprise `/api/v3`, or the operator's override. */
  readonly apiBaseUrl: string;
}

/**
 * The repository to poll: the source's `repo` (`owner/repo` or a clone URL) or else the
 * Workspace's repository URL. `apiUrlOverride` (the operator's `--github-api-url`) replaces
 * the API base URL for every Workspace.
 */
export const resolveRepo = (
  sourceRepo: string | undefined,
  workspaceRepoUrl: string | undefined,
  apiUrlOverride?: string,
): GitHubRepo | { error: string } => {
  const found = sourceRepository(sourceRepo, workspaceRepoUrl);
  if (!found) {
    const raw = sourceRepo?.trim() || workspaceRepoUrl?.trim() || '';
    return {
      error: `cannot tell the GitHub repository from ${JSON.stringify(raw)}; expected owner/repo or a clone URL`,
    };
  }
  const { host, webHost, owner, repo } = found;
  return { host, owner, repo, apiBaseUrl: (apiUrlOverride ?? apiBaseUrlFor(webHost)).replace(/\/+$/, '') };
};

/** A GitHub user as the API returns it. */
export interface GitHubUser {
  readonly login: string;
}

/** A label as the API returns it. */
export interface GitHubLabel {
  readonly name: string;
}

/** An issue comment or review comment. */
export interface GitHubComment {
  readonly id: number;
  readonly body?: string | null;
  readonly user?: GitHubUser | null;
  readonly created_at: string;
  /** Review comments only. */
  readonly commit_id?: string;
  readonly path?: string;
  /** Review comments only: the line in the file (null for a comment on an outdated diff). */
  readonly line?: number | null;
}

/** The `/repos/{o}/{r}` path of a repository. */
export const repoPath = (r: GitHubRepo): string =>
  `/repos/${encodeURIComponent(r.owner)}/${encodeURIComponent(r.repo)}`;

/** Label names, as GitHub spells them. */
export const labelNames = (labels: readonly (GitHubLabel | string)[] | undefined): string[] =>
  (labels ?? []).map((l) => (typeof l === 'string' ? l : l.name));

/** Whether `has` carries every label of `want` (case-insensitive, as GitHub compares them). */
export const hasAllLabels = (has: readonly string[], want: readonly string[]): boolean => {
  const set = new Set(has.map((l) => l.toLowerCase()));
  return want.every((l) => set.has(l.toLowerCase()));
};

/** Whether `has` carries any label of `unwanted`. */
export const hasAnyLabel = (has: readonly string[], unwanted: readonly string[]): boolean => {
  const set = new Set(has.map((l) => l.toLowerCase()));
  return unwanted.some((l) => set.has(l.toLowerCase()));
};

/** Whether `login` is in `logins` (case-insensitive). */
export const loginIn = (login: string | undefined, logins: readonly string[] | undefined): boolean =>
  !!login && (logins ?? []).some((l) => l.toLowerCase() === login.toLowerCase());

/** The item body and its comments as command sources, oldest first. */
export const commandSources = (
  author: string,
  body: string,
  createdAt: string,
  comments: readonly GitHubComment[],
): CommandSource[] => [
  { author, body, createdAt: new Date(createdAt) },
  ...comments.map((c) => ({
    author: c.user?.login ?? '',
    body: c.body ?? '',
    createdAt: new Date(c.created_at),
  })),
];

/** Reads every page of an item's conversation comments (conditionally). */
export const readIssueComments = async (
  client: GitHubClient,
  repo: GitHubRepo,
  n: number,
): Promise<GitHubComment[]> =>
  (await client.list<GitHubComment>(`${repoPath(repo)}/issues/${n}/comments?per_page=100`)).data;

/**
 * Per-item memo of a source: what the per-item calls returned for an item at a given
 * version (`updated_at`, plus the head SHA for pull requests). An item whose version did not
 * change reuses it and makes no per-item call. Items not seen in a poll are forgotten.
 */
export class ItemMemo<T> {
  private entries = new Map<number, { version: string; value: T }>();
  private seen = new Map<number, { version: string; value: T }>();

  /** The memoized value of item `n` at `version`, if any. */
  get(n: number, version: string): T | undefined {
    const e = this.entries.get(n);
    if (e?.version !== version) return undefined;
    this.seen.set(n, e);
    return e.value;
  }

  /** Remembers item `n`'s value at `version`. */
  set(n: number, version: string, value: T): void {
    this.seen.set(n, { version, value });
  }

  /** Ends a poll: keeps only the items seen in it. */
  endPoll(): void {
    this.entries = this.seen;
    this.seen = new Map();
  }
}

/** The source annotations of a GitHub item. */
export const githubAnnotations = (
  repo: GitHubRepo,
  kind: 'issue' | 'pull-request',
  n: number,
  sha?: string,
): Record<string, string> => ({
  [SourceAnnotations.Kind]: kind,
  [SourceAnnotations.Number]: String(n),
  [SourceAnnotations.Owner]: repo.owner,
  [SourceAnnotations.Repo]: repo.repo,
  ...(sha ? { [SourceAnnotations.Sha]: sha } : {}),
});

/** The host (and port) of a repository's API, for messages; the base URL as written if it does not parse. */
const apiHost = (r: GitHubRepo): string => {
  try {
    return new URL(r.apiBaseUrl).host;
  } catch {
    return r.apiBaseUrl;
  }
};

/** Errors {@link explainGitHubError} already explained (the list's and the pass's catch both see it). */
const explained = new WeakSet<Error>();

/**
 * Where a spawner's GitHub token comes from, as a 401 names it so that the fix is one
 * `kubectl` command away: `sent` names the Secret and key (`key GITHUB_TOKEN of Secret
 * team-a/gh (Workspace team-a/repo spec.secretRef)`), `unsent` why there was none. Read at the
 * refusal, since the Secret may have changed since the source was built.
 */
export type TokenOrigin = () => { readonly sent: string } | { readonly unsent: string } | undefined;

/**
 * A GitHub refusal of a polling source, with what to check: a 401 is the Workspace's token
 * (`origin` says which Secret and key, the message the host that refused it), a 404 of the
 * list (`onList`) is the repository (GitHub answers 404, not 403, for a private repository
 * the token cannot read). Other errors are returned as they are.
 */
export const explainGitHubError = (
  e: unknown,
  kind: 'githubIssues' | 'githubPullRequests',
  repo: GitHubRepo,
  onList: boolean,
  origin?: TokenOrigin,
): unknown => {
  if (!(e instanceof GitHubApiError) || explained.has(e)) return e;
  explained.add(e);
  if (e.status === 401) {
    const o = origin?.();
    e.message =
      o && 'unsent' in o
        ? `${e.message}; GitHub at ${apiHost(repo)} asks for a token and none was sent: ${o.unsent}`
        : `${e.message}; GitHub at ${apiHost(repo)} refused the token: check ${o?.sent ?? "GITHUB_TOKEN (or the GitHub App keys appID, installationID, privateKey) in the Secret the Workspace's spec.secretRef names"}`;
  } else if (e.status === 404 && onList) {
    e.message = `spec.when.${kind}: repository ${repo.owner}/${repo.repo} not found at ${repo.apiBaseUrl}, or the token cannot read it (${e.message}); check spec.when.${kind}.repo (or the Workspace's spec.repo) and the token's access to it`;
  }
  return e;
};
