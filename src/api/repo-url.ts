/**
 * Clone URLs as Workspaces write them (`spec.repo`, `spec.remotes[].url`) and as git remotes and
 * Argo CD Applications name repositories: their host, their `owner/repo`, and one spelling of the
 * repository however the URL is written. Pure string functions, shared by the render (the
 * agent's environment), the operator (GitHub API calls) and the compiler (Argo CD checks).
 *
 * @packageDocumentation
 */

/** Host of a clone URL (`https://host/…`, `git://host/…`, `git@host:…`), lowercased. */
export const repoHost = (url: string): string | undefined => {
  const scp = /^[^@/]+@([^:/]+):/.exec(url);
  if (scp) return scp[1]!.toLowerCase();
  const m = /^[a-z+]+:\/\/(?:[^@/]*@)?([^/:]+)/i.exec(url);
  return m ? m[1]!.toLowerCase() : undefined;
};

/**
 * Host of a clone URL as its web server is reached, lowercased: an `https://` or `http://`
 * URL's host with its port when the port is not the scheme's default
 * (`ghe.example.com:8443`), else the host alone, as {@link repoHost}: the port of an ssh or
 * git URL is that protocol's, not the web server's, so it says nothing about where the API is.
 */
export const repoWebHost = (url: string): string | undefined => {
  if (/^https?:\/\//i.test(url)) {
    try {
      // URL drops a port that is the scheme's default and brackets an IPv6 address.
      return new URL(url).host.toLowerCase() || undefined;
    } catch {
      return repoHost(url);
    }
  }
  return repoHost(url);
};

/** The repository's path on its host (`org/repo`, `group/sub/repo`), without a `.git` suffix. */
const repoPath = (url: string): string | undefined => {
  const path = /^[^@/]+@[^:/]+:(.+)$/.exec(url)?.[1] ?? /^[a-z+]+:\/\/[^/]+\/(.+)$/i.exec(url)?.[1];
  return path
    ?.replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .replace(/^\/+/, '');
};

/** `owner/repo` of a clone URL, without a `.git` suffix. */
export const ownerRepo = (url: string): string | undefined => {
  const parts = repoPath(url)?.split('/');
  if (!parts || parts.length < 2) return undefined;
  return parts.slice(-2).join('/');
};

/**
 * What a clone URL names, however it is written: over https, ssh (`git@host:org/repo`,
 * `ssh://git@host:22/org/repo`) or git, with or without `.git`, a user or a trailing slash, in
 * any case: `git@github.com:o/r.git` and `https://github.com/O/r` are both `github.com/o/r`.
 * A URL with no host (a local path) names none here.
 */
export const repositoryId = (url: string): string | undefined => {
  const host = repoHost(url.trim());
  const path = repoPath(url.trim());
  return host && path ? `${host}/${path}`.toLowerCase() : undefined;
};

/** A GitHub repository a spawner's source reads: see {@link sourceRepository}. */
export interface SourceRepository {
  /** Host name, without a port. */
  readonly host: string;
  /** Host as its web server is reached ({@link repoWebHost}): where `html_url`s and the API are. */
  readonly webHost: string;
  readonly owner: string;
  readonly repo: string;
}

/**
 * The repository a GitHub source reads: its own `repo` (`owner/repo`, on the Workspace's host
 * or github.com when there is none, or a clone URL), else the Workspace's repository URL.
 * `undefined` when neither tells one. Shared by the operator (what it polls) and the preview
 * (whose sample item is of it).
 */
export const sourceRepository = (
  sourceRepo: string | undefined,
  workspaceRepoUrl: string | undefined,
): SourceRepository | undefined => {
  const raw = sourceRepo?.trim() || workspaceRepoUrl?.trim() || '';
  const isSlug = /^[^/:@\s]+\/[^/:@\s]+$/.test(raw);
  // A bare owner/repo is on the Workspace's host (github.com when it names none).
  const hostUrl = isSlug ? workspaceRepoUrl?.trim() : raw;
  const host = (hostUrl && repoHost(hostUrl)) || (isSlug ? 'github.com' : undefined);
  const slug = isSlug ? raw.replace(/\.git$/, '') : ownerRepo(raw);
  if (!host || !slug) return undefined;
  // The API is on the web server's port (GitHub Enterprise on 8443), so its URL keeps it.
  const webHost = (hostUrl && repoWebHost(hostUrl)) || host;
  const [owner, repo] = slug.split('/') as [string, string];
  return { host, webHost, owner, repo };
};
