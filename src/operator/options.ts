/**
 * What `Operator.start` takes: the connection, scope, endpoints, leader election, images and
 * the webhook receiver's settings. Apart from main.ts so the entry point stays the start-up
 * sequence, and so callers (the CLI, tests) name the options without the machinery.
 *
 * @packageDocumentation
 */
import type { AgentType } from '../api/index.ts';
import type { RequestObserver } from '../kube/client.ts';
import type { Clock } from '../kube/clock.ts';
import type { EndpointLimits } from '../kube/http.ts';
import type { Connection } from '../kube/kubeconfig.ts';
import type { Logger } from '../kube/log.ts';
import type { OutboundOptions } from './outbound.ts';
import type { TaskRuntime } from './reconcilers/task.ts';
import type { ClusterSecrets } from './webhook/secrets.ts';
import type { SlackTokens } from './webhook/slack-socket.ts';

/**
 * Default number of Tasks reconciled at the same time. As many as a burst of Task creates
 * brings at once (a client with 64 requests in flight): fewer, and new Tasks queue behind the
 * Job creates in flight (issue 18).
 */
export const DEFAULT_WORKERS = 64;

/** How long the caches may take to list by default (controller-runtime's `CacheSyncTimeout`). */
export const DEFAULT_CACHE_SYNC_TIMEOUT_MS = 120_000;

/** Leader election settings. */
export interface LeaderElectionSettings {
  /** Namespace of the Lease. */
  readonly namespace: string;
  /** Name of the Lease. */
  readonly name: string;
  /** This replica's identity; default `<hostname>_<random>`. */
  readonly identity?: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
}

/** Everything the operator needs to run. */
export interface OperatorOptions {
  /** The API server and credentials (see `kubeconfig.ts`). */
  readonly connection: Connection;
  /**
   * Watch and reconcile these namespaces only (and touch nothing elsewhere but the Lease);
   * all namespaces when unset. An empty list is refused.
   */
  readonly namespaces?: readonly string[];
  /** Run only while holding this Lease. */
  readonly leaderElection?: LeaderElectionSettings;
  /** Listen address of `/metrics` (`:8080`); empty or `0` turns it off. */
  readonly metricsAddr?: string;
  /** Listen address of `/healthz` and `/readyz` (`:8081`); empty or `0` turns it off. */
  readonly healthAddr?: string;
  /** When set, `/metrics` requires `Authorization: Bearer <metricsToken>`. */
  readonly metricsToken?: string;
  /**
   * `kubernetes`: `/metrics` requires a bearer token the API server accepts, for a user
   * allowed to `get` the non-resource URL `/metrics` (`src/kube/delegated-auth.ts`).
   */
  readonly metricsAuth?: 'kubernetes';
  /**
   * Serve `/metrics` over HTTPS: with the `tls.crt` and `tls.key` in `certPath` (read again every
   * minute), else with a self-signed certificate made at start-up (`src/operator/metrics-tls.ts`).
   */
  readonly metricsTls?: { readonly certPath?: string };
  /**
   * Tasks reconciled at the same time. Default {@link DEFAULT_WORKERS}: a reconcile mostly
   * waits for the API server, so concurrency, not CPU, bounds how fast a burst is admitted.
   */
  readonly workers?: number;
  /** Period of the full resync. Default 10 minutes; 0 disables. */
  readonly resyncMs?: number;
  /** Image per agent type. */
  readonly agentImages?: Partial<Record<AgentType, string>>;
  /** Tag of the bundled agent images (normally the operator's version). Default `v<package version>`. */
  readonly imageTag?: string;
  /** Registry and repository of the bundled agent images. Default `ghcr.io/kelos-ts`. */
  readonly imageRepository?: string;
  /**
   * The agent base image (the `skills-install` init container), e.g. pinned by digest as a
   * release install does. Default `<imageRepository>/agent-base:<imageTag>`.
   */
  readonly agentBaseImage?: string;
  /** Image of the git init containers. Default: the agent base image. */
  readonly gitImage?: string;
  /**
   * sizeLimit of the workspace emptyDir of agent Pods; `''` or `0` renders none. Default
   * `20Gi` (`DEFAULT_WORKSPACE_SIZE_LIMIT`, where the figure is explained).
   */
  readonly workspaceSizeLimit?: string;
  /**
   * `activeDeadlineSeconds` of the Job of a Task that sets no
   * `podOverrides.activeDeadlineSeconds` (`--default-active-deadline`), so a hung agent stops
   * running and billing; budgets reserve for the same deadline. Default none, as upstream.
   */
  readonly defaultActiveDeadlineSeconds?: number;
  /** Replaces the Task runtime (render and validate), for tests. */
  readonly runtime?: TaskRuntime;
  readonly clock?: Clock;
  readonly log?: Logger;
  /**
   * Aborted when the process is asked to stop (SIGTERM) while the caches are still listing:
   * start then stops what it started, the Lease released if it was won, and returns the
   * stopped operator. Without it, a start whose lists never complete (a list RBAC refuses, an
   * API server out of reach) could only be killed, and a Lease it held kept the standby out for
   * a whole lease duration.
   */
  readonly signal?: AbortSignal;
  /**
   * How long the caches may take to list before start gives up: it logs which kinds are still
   * listing, stops what it started (the Lease released) and rejects, so the process exits and
   * the Pod restarts, visibly, while a standby leads. Default 2 minutes (controller-runtime's
   * `CacheSyncTimeout`); 0 waits for ever.
   */
  readonly cacheSyncTimeoutMs?: number;
  /** Export Node process metrics. Default true. */
  readonly processMetrics?: boolean;
  /** Read pod logs when the termination message is empty. Default true. */
  readonly logFallback?: boolean;
  /**
   * GitHub REST API base URL for minting App installation tokens. Default derived from each
   * Workspace's repo host (`https://api.github.com`, or `https://<host>/api/v3`).
   */
  readonly githubApiUrl?: string;
  /**
   * Laid over the outbound policy of every URL a TaskSpawner fetches (GitHub, Jira, context
   * sources), which is read from the live KelosConfig at each call (tests: `resolve`,
   * `allowInsecure`). The admin's `githubApiUrl` is reached whatever these say (the admin chose it).
   */
  readonly outbound?: Partial<OutboundOptions>;
  /** Name of the KelosConfig in force. Default `kelos` (tests on a shared API server use their own). */
  readonly configName?: string;
  /** Sees every API request from the first one on (tests compare them with the install's RBAC). */
  readonly requestObserver?: RequestObserver;
  /**
   * Serve the webhook receiver (src/operator/webhook) on this replica, leader or not. It
   * listens once the caches are synced.
   */
  readonly webhook?: WebhookSettings;
}

/** Settings of the webhook receiver. */
export interface WebhookSettings {
  /** Listen address, e.g. `:8443`; empty or `0` turns the receiver off. */
  readonly addr: string;
  /** Cluster-wide secrets for GitHub and Linear spawners that name none. */
  readonly clusterSecrets?: ClusterSecrets;
  readonly maxBodyBytes?: number;
  readonly limits?: Partial<EndpointLimits>;
  /**
   * The cluster's Slack app (`slackTokensFromEnv`): each replica opens a Socket Mode
   * connection and hands messages to the receiver's delivery path. Unset: no Slack.
   */
  readonly slack?: SlackTokens;
  /** Slack Web API base (`--slack-api-url`: GovSlack, a stand-in). @default 'https://slack.com/api/' */
  readonly slackApiUrl?: string;
  /**
   * Linear API key (`LINEAR_API_KEY`): the receiver fetches a commented issue's labels with it
   * when a `linearWebhook` filter judges a Comment delivery by labels. Unset: such deliveries
   * are `invalid` for those spawners.
   */
  readonly linearApiKey?: string;
  /** Linear's GraphQL endpoint, for tests and proxies. @default 'https://api.linear.app/graphql' */
  readonly linearApiUrl?: string;
}
