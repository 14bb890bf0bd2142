/**
 * What the TaskSpawner reconciler is built from, and the small definitions its steps share.
 *
 * @packageDocumentation
 */
import { GROUP, type KubeObject, type Task, type TaskSpawner, type Workspace } from '../../../api/index.ts';
import type { KubeClient } from '../../../kube/client.ts';
import type { Clock } from '../../../kube/clock.ts';
import { parseDuration } from '../../../kube/duration.ts';
import type { EventRecorder } from '../../../kube/events.ts';
import type { Informer } from '../../../kube/informer.ts';
import type { Logger } from '../../../kube/log.ts';
import type { OperatorMetrics } from '../../metrics.ts';
import type { OutboundFetch } from '../../outbound.ts';
import type { SlackConnectionState } from '../../webhook/slack-socket.ts';

/** Name of this controller in logs and metrics. */
export const SPAWNER_CONTROLLER = 'taskspawner';

/**
 * Serial number of a spawned Task among every Task its spawner created (1, 2, …). After a
 * crash between a create and the status write, the highest number among the spawner's Tasks
 * restores `status.totalTasksCreated`.
 */
export const SEQUENCE_ANNOTATION = `${GROUP}/spawner-sequence`;

/** Upstream's poll interval when `pollInterval` is unset or invalid. */
export const DEFAULT_POLL_MS = 5 * 60_000;

/** Shortest poll interval honoured, so a typo cannot turn the operator into a load generator. */
export const MIN_POLL_MS = 1_000;

/** Caches the reconciler reads (shared with the Task reconciler). */
export interface SpawnerCaches {
  readonly spawners: Informer<TaskSpawner>;
  readonly tasks: Informer<Task>;
  readonly workspaces: Informer<Workspace>;
  /** The Tasks' Jobs: a Task with one is admitted, whatever its status says yet. */
  readonly jobs: Informer<KubeObject>;
}

/** Options of the TaskSpawner reconciler. */
export interface TaskSpawnerReconcilerOptions {
  readonly client: KubeClient;
  readonly caches: SpawnerCaches;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics?: OperatorMetrics;
  /** The outbound guard's fetch, for every URL a spawner reads or writes. */
  readonly fetch: OutboundFetch;
  /**
   * The admin's GitHub API base URL (`--github-api-url`): replaces the API base URL of every
   * Workspace, and is reached through `trustedFetch` (the admin chose it, so it may be on a
   * private network or plain HTTP).
   */
  readonly githubApiUrl?: string;
  /** The fetch for {@link TaskSpawnerReconcilerOptions.githubApiUrl}; default `fetch`. */
  readonly trustedFetch?: OutboundFetch;
  /**
   * Per-request timeout of GitHub calls in ms. Unset: the outbound deadline, KelosConfig
   * `spec.outbound.timeoutSeconds` (default 10 s).
   */
  readonly githubTimeoutMs?: number;
  /**
   * Posts in a Slack thread (the operator's Slack client, when Slack is configured): reports
   * a Slack-created Task's result there. Unset: Slack Tasks are not reported.
   */
  readonly slackPost?: (channel: string, text: string, threadTs: string) => Promise<void>;
  /**
   * The operator's Slack connection on this replica (`SlackSocketClient.connection`), unset
   * when it runs none: a Slack spawner's status says when it is down, and why.
   */
  readonly slackConnection?: () => SlackConnectionState | undefined;
  /**
   * Why no delivery for a webhook spawner can be verified for a fault of its setup (its Secret
   * is missing or has no key, unsigned deliveries are not allowed), or undefined when one can;
   * `transient` when the API could not be read. Unset: webhook spawners are not checked.
   */
  readonly webhookSetup?: (
    spawner: TaskSpawner,
  ) => Promise<{ readonly problem: string; readonly transient?: boolean } | undefined>;
  /**
   * Whether this replica still holds the leader Lease. Reports (GitHub comments and check
   * runs, Slack posts) stop once it is lost: the write fence keeps API writes from a deposed
   * leader, but not calls to GitHub or Slack, which the new leader makes again. Unset: always.
   */
  readonly leading?: () => boolean;
}

/** Why a report pass stopped before its end. */
export const NOT_LEADING = 'this replica no longer holds the leader Lease; the new leader reports the rest';

/** Whether reports may go out: false once the leader Lease is lost. */
export const mayReport = (o: Pick<TaskSpawnerReconcilerOptions, 'leading'>): boolean => o.leading?.() ?? true;

/** The source options under `spec.when` that a spawner polls, or undefined for webhook kinds. */
export const pollingKind = (
  spawner: TaskSpawner,
): 'githubIssues' | 'githubPullRequests' | 'jira' | 'cron' | undefined => {
  const w = spawner.spec.when;
  // Upstream's buildSource precedence.
  if (w.githubIssues) return 'githubIssues';
  if (w.githubPullRequests) return 'githubPullRequests';
  if (w.jira) return 'jira';
  if (w.cron) return 'cron';
  return undefined;
};

/** The poll interval in ms: the source's `pollInterval` (Go duration or bare seconds), default 5m. */
export const pollIntervalMs = (spawner: TaskSpawner): number => {
  const w = spawner.spec.when;
  const raw = (w.githubIssues ?? w.githubPullRequests ?? w.jira) as { pollInterval?: string } | undefined;
  const seconds = raw?.pollInterval ? parseDuration(raw.pollInterval) : undefined;
  if (seconds === undefined || seconds <= 0) return DEFAULT_POLL_MS;
  return Math.max(MIN_POLL_MS, seconds * 1000);
};

/** Longest wait between polls that a credentials refusal stretches them to: one hour. */
export const MAX_CREDENTIALS_BACKOFF_MS = 60 * 60_000;

/**
 * How soon a backing-off spawner's Secret is read again, so a fixed Secret is tried within
 * this long rather than at the end of the backoff (the operator watches no Secrets).
 */
export const CREDENTIALS_RECHECK_MS = 15_000;

/**
 * The wait before the next poll after `failures` refusals of the credentials in a row: the
 * poll interval doubled per refusal, up to an hour (never less than the interval). Each
 * refused login counts towards a Jira Data Center account lock, so they must thin out.
 */
export const credentialsBackoffMs = (intervalMs: number, failures: number): number =>
  Math.max(intervalMs, Math.min(intervalMs * 2 ** Math.min(failures, 30), MAX_CREDENTIALS_BACKOFF_MS));

/** The Workspace name a spawner's Tasks use. */
export const workspaceNameOf = (spawner: TaskSpawner): string | undefined => {
  const t = spawner.spec.taskTemplate;
  return t.workspaceRef?.name ?? t.worker?.workspaceRef?.name;
};

/** Namespace and name of a spawner read from the cache. */
export const spawnerName = (s: TaskSpawner): { namespace: string; name: string } =>
  s.metadata as { namespace: string; name: string };
