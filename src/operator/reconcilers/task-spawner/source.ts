/**
 * A spawner's poller: the source of `spec.when` built with its credentials, kept across polls
 * (the GitHub client's ETag cache and the per-item memo live in it) and rebuilt when the spec
 * or the credentials change.
 *
 * Credentials come from the Workspace Secret (GitHub: `GITHUB_TOKEN`, or the App keys, from
 * which an installation token is minted with the operator's {@link mintInstallationToken}
 * and reused until ten minutes before it expires) or from the Jira `secretRef` (`JIRA_TOKEN`,
 * optional `JIRA_USER`). Secrets are read once per discovery, never cached beyond that.
 *
 * @packageDocumentation
 */

import { nextActivation, parseCronSchedule } from '../../../api/cron-schedule.ts';
import type { TaskSpawner } from '../../../api/index.ts';
import { lacksGitHubToken } from '../../../contract/workspace-secret.ts';
import type { ApiObject } from '../../../kube/client.ts';
import type { Informer } from '../../../kube/informer.ts';
import { appCredentialsOf, mintInstallationToken } from '../../github-app.ts';
import { Resources } from '../../resources.ts';
import type { Discovery } from '../../spawner/discovery.ts';
import { GitHubClient, POLL_CACHE_LIMITS, REPORT_CACHE_LIMITS } from '../../spawner/github-client.ts';
import { type GitHubRepo, resolveRepo, type TokenOrigin } from '../../spawner/github-repo.ts';
import { dueTicks } from '../../spawner/sources/cron.ts';
import { GitHubIssuesSource } from '../../spawner/sources/github-issues.ts';
import { GitHubPullRequestsSource } from '../../spawner/sources/github-pull-requests.ts';
import { JiraSource } from '../../spawner/sources/jira.ts';
import type { WorkItem } from '../../spawner/work-item.ts';
import { pollingKind, spawnerName, type TaskSpawnerReconcilerOptions, workspaceNameOf } from './options.ts';

/** A token is minted again when less than this remains. */
const TOKEN_MARGIN_MS = 10 * 60_000;

/** Most cron ticks handled in one pass after downtime (the newest; the older are reported dropped). */
export const CRON_MAX_CATCH_UP = 100;

interface SecretObject extends ApiObject {
  data?: Record<string, string>;
}

/** One discovery, with what the caller needs to plan and to advance a cron watermark. */
export interface Polled {
  readonly discovery: Discovery;
  /** Whether `items` is everything that matches (withdrawals are safe). */
  readonly exhaustive: boolean;
  /** Cron: the watermark once every item's Task exists. */
  readonly watermark?: Date;
  /** Cron: ticks older than the catch-up bound, skipped. */
  readonly droppedTicks?: number;
  /** Cron: when the next tick is due (the next poll). */
  readonly nextTick?: Date;
}

/** Why a poller could not be built (missing Workspace, Secret, bad repo). */
export class SourceSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceSetupError';
  }
}

/** GitHub access of a spawner, shared by discovery and reporting. */
export interface GitHubAccess {
  readonly client: GitHubClient;
  readonly repo: GitHubRepo;
}

/** A built source; `fingerprint` says what it was built from. */
export interface Poller {
  readonly fingerprint: string;
  readonly github?: GitHubAccess;
  poll(spawner: TaskSpawner, now: Date): Promise<Polled>;
}

const b64 = (v: string | undefined): string => (v ? Buffer.from(v, 'base64').toString('utf8').trim() : '');

/** Builds and keeps the pollers of every spawner, by spawner UID. */
export class Pollers {
  readonly #o: TaskSpawnerReconcilerOptions;
  readonly #pollers = new Map<string, Poller>();
  /** Current GitHub token per spawner UID, read by the client per request. */
  readonly #tokens = new Map<string, { token: string; expiresAt: number; source: string }>();
  /** Where each spawner's token comes from, for a 401's message (see {@link TokenOrigin}). */
  readonly #origins = new Map<string, ReturnType<TokenOrigin>>();

  constructor(o: TaskSpawnerReconcilerOptions) {
    this.#o = o;
  }

  /** Forgets a spawner that is gone. */
  forget(uid: string): void {
    this.#pollers.delete(uid);
    this.#tokens.delete(uid);
    this.#origins.delete(uid);
  }

  /**
   * Forgets each spawner `spawners` reports deleted. For an instance no reconciler drives (the
   * webhook receiver's), whose clients and tokens would otherwise outlive their spawners. Call
   * before the informer starts.
   */
  forgetDeleted(spawners: Pick<Informer<TaskSpawner>, 'onChange'>): void {
    spawners.onChange((type, _key, spawner) => {
      if (type === 'delete') this.forget(spawner.metadata.uid ?? '');
    });
  }

  /**
   * GitHub clients held (one per GitHub spawner seen, each with its ETag cache), for the
   * `kelos_github_clients` gauge: one that only grows says deleted spawners are not forgotten.
   */
  get githubClients(): number {
    let n = 0;
    for (const p of this.#pollers.values()) if (p.github) n++;
    return n;
  }

  /** `owner/repo` of a GitHub spawner's poller, the default `upstreamRepo` of its Tasks. */
  githubRepoOf(uid: string): string | undefined {
    const r = this.#pollers.get(uid)?.github?.repo;
    return r ? `${r.owner}/${r.repo}` : undefined;
  }

  /** The poller of a spawner, refreshed with the current credentials. */
  async get(spawner: TaskSpawner): Promise<Poller> {
    const uid = spawner.metadata.uid ?? '';
    const kind = pollingKind(spawner);
    // A GitHub webhook spawner polls nothing, but reports on its Tasks like a polling one.
    if (!kind && spawner.spec.when.githubWebhook) return this.#github(spawner, uid, 'githubWebhook');
    if (!kind)
      throw new SourceSetupError(
        'spec.when: no polling source (githubIssues, githubPullRequests, jira, cron) is set',
      );
    if (kind === 'cron') {
      // A schedule that does not parse is the spec's fault, like a missing Secret: phase Failed
      // until it is fixed, not a Running spawner whose every pass fails.
      const schedule = spawner.spec.when.cron!.schedule;
      try {
        parseCronSchedule(schedule);
      } catch (e) {
        throw new SourceSetupError(`spec.when.cron.schedule: ${(e as Error).message}`);
      }
      return this.#keep(uid, `cron|${spawner.metadata.generation}`, () => cronPoller(spawner));
    }
    if (kind === 'jira') return this.#jira(spawner, uid);
    return this.#github(spawner, uid, kind);
  }

  #keep(uid: string, fingerprint: string, build: () => Poller): Poller {
    const known = this.#pollers.get(uid);
    if (known?.fingerprint === fingerprint) return known;
    const fresh = build();
    this.#pollers.set(uid, fresh);
    return fresh;
  }

  async #secret(namespace: string, name: string, what: string): Promise<SecretObject> {
    const s = await this.#o.client.get<SecretObject>(Resources.Secret, namespace, name);
    if (!s) throw new SourceSetupError(`${what}: Secret ${namespace}/${name} does not exist`);
    return s;
  }

  async #jira(spawner: TaskSpawner, uid: string): Promise<Poller> {
    const { namespace } = spawnerName(spawner);
    const spec = spawner.spec.when.jira!;
    const secret = await this.#secret(namespace, spec.secretRef.name, 'spec.when.jira.secretRef');
    const token = b64(secret.data?.JIRA_TOKEN);
    if (!token) {
      throw new SourceSetupError(
        `spec.when.jira.secretRef: Secret ${namespace}/${spec.secretRef.name} has no JIRA_TOKEN`,
      );
    }
    const user = b64(secret.data?.JIRA_USER);
    return this.#keep(uid, `jira|${spawner.metadata.generation}|${secret.metadata.resourceVersion}`, () => {
      const source = new JiraSource(spec, { token, ...(user ? { user } : {}) }, this.#o.fetch, () =>
        this.#o.clock.now(),
      );
      return {
        fingerprint: `jira|${spawner.metadata.generation}|${secret.metadata.resourceVersion}`,
        poll: async () => {
          const discovery = await source.discover();
          return { discovery, exhaustive: discovery.kind === 'items' && discovery.complete };
        },
      };
    });
  }

  async #github(
    spawner: TaskSpawner,
    uid: string,
    kind: 'githubIssues' | 'githubPullRequests' | 'githubWebhook',
  ): Promise<Poller> {
    const { namespace } = spawnerName(spawner);
    const o = this.#o;
    const wsName = workspaceNameOf(spawner);
    const workspace = wsName ? o.caches.workspaces.get(namespace, wsName) : undefined;
    if (wsName && !workspace) throw new SourceSetupError(`Workspace ${namespace}/${wsName} does not exist`);
    const spec = kind === 'githubWebhook' ? {} : spawner.spec.when[kind]!;
    const repo = resolveRepo(spec.repo, workspace?.spec.repo, o.githubApiUrl);
    if ('error' in repo) throw new SourceSetupError(`spec.when.${kind}.repo: ${repo.error}`);
    await this.#refreshToken(uid, namespace, wsName, workspace?.spec.secretRef?.name, repo.apiBaseUrl);
    const fingerprint = `${kind}|${spawner.metadata.generation}|${repo.apiBaseUrl}|${repo.owner}/${repo.repo}`;
    return this.#keep(uid, fingerprint, () => {
      const client = new GitHubClient({
        baseUrl: repo.apiBaseUrl,
        fetch: o.githubApiUrl ? (o.trustedFetch ?? o.fetch) : o.fetch,
        token: () => this.#tokens.get(uid)?.token,
        ...(o.githubTimeoutMs !== undefined ? { timeoutMs: o.githubTimeoutMs } : {}),
        now: () => o.clock.now(),
        cacheLimits: kind === 'githubWebhook' ? REPORT_CACHE_LIMITS : POLL_CACHE_LIMITS,
      });
      const origin: TokenOrigin = () => this.#origins.get(uid);
      const source =
        kind === 'githubIssues'
          ? new GitHubIssuesSource(spawner.spec.when.githubIssues!, repo, client, origin)
          : kind === 'githubPullRequests'
            ? new GitHubPullRequestsSource(spawner.spec.when.githubPullRequests!, repo, client, origin)
            : undefined;
      return {
        fingerprint,
        github: { client, repo },
        poll: async () => {
          if (!source)
            return { discovery: { kind: 'items', items: [], complete: true, calls: {} }, exhaustive: false };
          const discovery = await source.discover();
          return { discovery, exhaustive: discovery.kind === 'items' && discovery.complete };
        },
      };
    });
  }

  /** Reads the Workspace Secret; mints an App token when due. No Secret: anonymous calls. */
  async #refreshToken(
    uid: string,
    namespace: string,
    workspaceName: string | undefined,
    secretName: string | undefined,
    apiBaseUrl: string,
  ) {
    const ref = `Workspace ${namespace}/${workspaceName} spec.secretRef`;
    if (!secretName) {
      this.#tokens.delete(uid);
      this.#origins.set(uid, {
        unsent: workspaceName
          ? `Workspace ${namespace}/${workspaceName} names no spec.secretRef (a Secret with GITHUB_TOKEN or the GitHub App keys)`
          : 'the spawner names no Workspace, whose spec.secretRef would give one',
      });
      return;
    }
    const secret = await this.#secret(namespace, secretName, `Workspace ${workspaceName} spec.secretRef`);
    const pat = b64(secret.data?.GITHUB_TOKEN);
    if (pat) {
      this.#tokens.set(uid, { token: pat, expiresAt: Number.POSITIVE_INFINITY, source: 'pat' });
      this.#origins.set(uid, { sent: `key GITHUB_TOKEN of Secret ${namespace}/${secretName} (${ref})` });
      return;
    }
    const app = appCredentialsOf(secret.data);
    this.#origins.set(uid, {
      sent: `the GitHub App keys appID, installationID, privateKey of Secret ${namespace}/${secretName} (${ref}), from which its token was minted`,
    });
    if (!app) {
      throw new SourceSetupError(lacksGitHubToken(`${namespace}/${secretName}`));
    }
    const now = this.#o.clock.now();
    const source = `app|${secret.metadata.resourceVersion}`;
    const known = this.#tokens.get(uid);
    if (known?.source === source && known.expiresAt - TOKEN_MARGIN_MS > now) return;
    const o = this.#o;
    const fetch = (o.githubApiUrl ? (o.trustedFetch ?? o.fetch) : o.fetch) as typeof globalThis.fetch;
    const minted = await mintInstallationToken({ ...app, apiBaseUrl, fetch, now });
    this.#tokens.set(uid, { token: minted.token, expiresAt: minted.expiresAt, source });
  }
}

/** The cron poller: ticks since the watermark in status (the creation time before the first pass). */
const cronPoller = (spawner: TaskSpawner): Poller => ({
  fingerprint: `cron|${spawner.metadata.generation}`,
  poll: async (current: TaskSpawner, now: Date) => {
    const schedule = current.spec.when.cron!.schedule;
    const mark = Date.parse(
      current.status?.lastDiscoveryTime ?? current.metadata.creationTimestamp ?? now.toISOString(),
    );
    try {
      const ticks = dueTicks(schedule, new Date(mark), now, CRON_MAX_CATCH_UP);
      const items: WorkItem[] = [...ticks.items];
      const nextTick = nextActivation(parseCronSchedule(schedule), now);
      return {
        ...(nextTick ? { nextTick } : {}),
        discovery: { kind: 'items', items, complete: true, calls: {} },
        exhaustive: false,
        watermark: ticks.watermark,
        droppedTicks: ticks.dropped,
      };
    } catch (e) {
      return {
        discovery: { kind: 'error', message: `spec.when.cron.schedule: ${(e as Error).message}`, calls: {} },
        exhaustive: false,
      };
    }
  },
});
