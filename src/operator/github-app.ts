/**
 * GitHub App installation tokens for Workspaces whose Secret holds App keys (`appID`,
 * `installationID`, `privateKey`) instead of a `GITHUB_TOKEN`. The operator signs a short JWT
 * with the App's private key and exchanges it for an installation token
 * (`POST /app/installations/{id}/access_tokens`); only that token, never the key, reaches a
 * Job. Everything here is pure except {@link mintInstallationToken}, which takes its `fetch`.
 *
 * @packageDocumentation
 */
import { createPrivateKey, sign } from 'node:crypto';
import type { TaskSpawner } from '../api/object.ts';
import { ownerRepo, repoHost, repoWebHost } from '../api/repo-url.ts';
import { GitHubAppKeys } from '../contract/workspace-secret.ts';
import { OutboundLookupError } from './outbound.ts';
import { apiBaseUrlFor } from './spawner/github-client.ts';
import { resolveRepo } from './spawner/github-repo.ts';

/** The App credentials read from a Workspace Secret. */
export interface GitHubAppCredentials {
  readonly appId: string;
  readonly installationId: string;
  /** PEM, PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`). */
  readonly privateKey: string;
}

/** A minted installation token. */
export interface InstallationToken {
  readonly token: string;
  /** Expiry in ms since the epoch. */
  readonly expiresAt: number;
}

/** Why minting failed; `status` is the HTTP status when GitHub answered. */
export class GitHubAppError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'GitHubAppError';
    this.status = status;
  }
}

/**
 * The App credentials in a Secret's `data` (base64, as the API server returns it), or
 * undefined unless all three keys are present and non-empty — the same detection as upstream.
 */
export function appCredentialsOf(
  data: Readonly<Record<string, string>> | undefined,
): GitHubAppCredentials | undefined {
  const get = (k: string) => {
    const v = data?.[k];
    return v ? Buffer.from(v, 'base64').toString('utf8').trim() : '';
  };
  const appId = get(GitHubAppKeys.AppId);
  const installationId = get(GitHubAppKeys.InstallationId);
  const privateKey = get(GitHubAppKeys.PrivateKey);
  return appId && installationId && privateKey ? { appId, installationId, privateKey } : undefined;
}

/**
 * The REST API base URL for a clone URL: `https://api.github.com` for github.com, else the
 * GitHub Enterprise Server convention `https://<host>[:<port>]/api/v3`, on the port of an
 * `https://` clone URL (an ssh URL's port is SSH's).
 */
export function githubApiBaseUrl(repo: string): string {
  return apiBaseUrlFor(repoWebHost(repo) ?? 'github.com');
}

/**
 * The repositories a Task's installation token is narrowed to, by name: the Workspace's own,
 * those of its remotes and the `sources` (the repositories its TaskSpawner's source polls or
 * takes deliveries from, `owner/repo` or clone URLs, see {@link spawnerSourceRepositories}) on
 * the same host under the same owner (an installation belongs to one account, so a repository
 * elsewhere cannot be in it, and naming it would make GitHub refuse the whole request). Hosts
 * compare by name, without a port: an ssh remote (`git@ghe:o/r`, `ssh://git@ghe:2222/o/r`)
 * of an `https://ghe:8443/…` Workspace is the same server.
 * Undefined when `repo` names no `owner/repository`.
 */
export function tokenRepositories(
  repo: string,
  remotes: readonly string[] = [],
  sources: readonly string[] = [],
): string[] | undefined {
  const own = ownerRepo(repo)?.split('/');
  if (!own?.[0] || !own[1]) return undefined;
  const [owner, name] = own;
  const host = repoHost(repo);
  const names = [name];
  const add = (h: string | undefined, o: string | undefined, n: string | undefined) => {
    if (!o || !n || h !== host || o.toLowerCase() !== owner.toLowerCase()) return;
    if (!names.some((x) => x.toLowerCase() === n.toLowerCase())) names.push(n);
  };
  for (const url of remotes) {
    const [o, n] = ownerRepo(url)?.split('/') ?? [];
    add(repoHost(url), o, n);
  }
  for (const source of sources) {
    // The spawner reads a bare owner/repo on the Workspace's host, as its poller does.
    const r = resolveRepo(source, repo);
    if (!('error' in r)) add(r.host, r.owner, r.repo);
  }
  return names;
}

/**
 * The repositories a TaskSpawner's source names, as written: `githubIssues.repo`,
 * `githubPullRequests.repo` and `githubWebhook.repository`. A spawned Task's agent comments
 * on the item it was made for, so its token must reach that repository too.
 */
export function spawnerSourceRepositories(when: TaskSpawner['spec']['when'] | undefined): string[] {
  return [when?.githubIssues?.repo, when?.githubPullRequests?.repo, when?.githubWebhook?.repository].filter(
    (r): r is string => !!r?.trim(),
  );
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/**
 * An RS256 App JWT: `iat` one minute in the past (GitHub rejects tokens from a clock that
 * runs ahead), `exp` nine minutes ahead (GitHub's limit is ten), `iss` the App ID.
 */
export function createAppJwt(appId: string, privateKeyPem: string, nowMs: number): string {
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch {
    // The parser's message may quote the input; say only what is wrong.
    throw new GitHubAppError('privateKey is not a PEM-encoded RSA private key (PKCS#1 or PKCS#8)');
  }
  if (key.asymmetricKeyType !== 'rsa')
    throw new GitHubAppError(`privateKey is a ${key.asymmetricKeyType} key; GitHub Apps use RSA keys`);
  const now = Math.floor(nowMs / 1000);
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = b64url(JSON.stringify({ iat: now - 60, exp: now + 9 * 60, iss: appId }));
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), key);
  return `${header}.${claims}.${b64url(signature)}`;
}

/** Options of {@link mintInstallationToken}. */
export interface MintOptions extends GitHubAppCredentials {
  /** e.g. `https://api.github.com` (no trailing slash needed). */
  readonly apiBaseUrl: string;
  readonly fetch: typeof globalThis.fetch;
  /** Current time in ms since the epoch. */
  readonly now: number;
  /**
   * Deadline of the exchange, from sending to the last byte of the answer; set here whatever
   * `fetch` is given, so a caller passing a plain one cannot hang a reconcile. @default 15000
   */
  readonly timeoutMs?: number;
  /**
   * Names (without the owner) of the repositories the token may reach; GitHub refuses the
   * request (422) when the installation covers none of them. Unset: every repository of the
   * installation.
   */
  readonly repositories?: readonly string[];
}

/** Exchanges an App JWT for an installation token. Rejects with a {@link GitHubAppError}. */
export async function mintInstallationToken(o: MintOptions): Promise<InstallationToken> {
  const jwt = createAppJwt(o.appId, o.privateKey, o.now);
  const url = `${o.apiBaseUrl.replace(/\/+$/, '')}/app/installations/${encodeURIComponent(o.installationId)}/access_tokens`;
  let res: Response;
  let text: string;
  try {
    res = await o.fetch(url, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${jwt}`,
        Accept: 'application/vnd.github+json',
        'X-GitHub-Api-Version': '2022-11-28',
        'User-Agent': 'kelos-operator',
        ...(o.repositories ? { 'Content-Type': 'application/json' } : {}),
      },
      ...(o.repositories ? { body: JSON.stringify({ repositories: o.repositories }) } : {}),
      signal: AbortSignal.timeout(o.timeoutMs ?? 15_000),
    });
    text = await res.text();
  } catch (err) {
    // fetch's own failure is "fetch failed" with the reason in its cause; the guard's DNS
    // failure says what DNS answered, and its cause would only repeat it less clearly.
    const cause =
      err instanceof OutboundLookupError
        ? err.reason
        : err instanceof Error
          ? ((err.cause as Error | undefined)?.message ?? err.message)
          : String(err);
    throw new GitHubAppError(`POST ${url} failed: ${cause}`);
  }
  let body: { token?: unknown; expires_at?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  if (!res.ok) {
    const detail = typeof body.message === 'string' ? `: ${body.message}` : '';
    throw new GitHubAppError(`POST ${url} returned HTTP ${res.status}${detail}`, res.status);
  }
  const expiresAt = typeof body.expires_at === 'string' ? Date.parse(body.expires_at) : Number.NaN;
  if (typeof body.token !== 'string' || !body.token || Number.isNaN(expiresAt)) {
    throw new GitHubAppError(
      `POST ${url} returned HTTP ${res.status} without a token and expires_at`,
      res.status,
    );
  }
  return { token: body.token, expiresAt };
}
