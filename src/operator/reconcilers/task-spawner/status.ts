/**
 * The status of a TaskSpawner, computed from what a pass saw and did, and written through the
 * status subresource only when it changed.
 *
 * @packageDocumentation
 */
import { ConditionTypes, type TaskSpawner, type TaskSpawnerStatus } from '../../../api/index.ts';
import { rfc3339 } from '../../../kube/clock.ts';
import { formatDuration } from '../../../kube/duration.ts';
import type { Checklist } from '../../../kube/log.ts';
import { Resources } from '../../resources.ts';
import { type ConditionInput, setCondition, statusPatch } from '../../status.ts';
import { pollIntervalMs, pollingKind, spawnerName, type TaskSpawnerReconcilerOptions } from './options.ts';

/**
 * Reason, in the `DiscoveryError` condition, of a Slack spawner while the operator's Socket
 * Mode connection is down: its source is out of reach, as a polling spawner's failed discovery.
 */
export const SLACK_DISCONNECTED = 'SlackDisconnected';

/** What a pass reports in status. */
export interface PassOutcome {
  readonly suspended: boolean;
  /** A configuration problem (missing Workspace or Secret, bad repo or schedule): phase Failed. */
  readonly setupError?: string;
  /** The newest problem of the pass (reason and message), if any. */
  readonly problem?: { readonly reason: string; readonly message: string };
  /** Tasks admitted and not finished: what `maxConcurrency` counts. */
  readonly active: number;
  /** Tasks created and not yet admitted, waiting for a place under `maxConcurrency`. */
  readonly queued: number;
  readonly totalCreated: number;
  readonly discovered?: number;
  readonly lastDiscoveryTime?: Date;
  readonly maxTotalReached: boolean;
  readonly message?: string;
}

const POLLED: Readonly<Record<string, string>> = {
  githubIssues: 'GitHub issues',
  githubPullRequests: 'GitHub pull requests',
  jira: 'Jira issues',
};

/**
 * What an active spawner does, for the message of its `Suspended=False` condition: a spawner
 * that receives deliveries or runs on a schedule polls nothing, and "Polling" sent whoever
 * read it to look for a poll that never happens. A Slack spawner whose connection is down
 * (`problem` {@link SLACK_DISCONNECTED}) receives nothing, and says so.
 */
export function activeMessage(spawner: TaskSpawner, problem?: PassOutcome['problem']): string {
  const w = spawner.spec.when;
  const kind = pollingKind(spawner);
  if (kind === 'cron') return `Creating Tasks on the cron schedule "${w.cron?.schedule ?? ''}"`;
  if (kind) return `Polling ${POLLED[kind]} every ${formatDuration(pollIntervalMs(spawner) / 1000)}`;
  if (w.githubWebhook) return 'Receiving GitHub webhook deliveries at /webhook/github';
  if (w.linearWebhook) return 'Receiving Linear webhook deliveries at /webhook/linear';
  if (w.webhook) return `Receiving webhook deliveries at /webhook/${w.webhook.source}`;
  if (w.slack)
    return problem?.reason === SLACK_DISCONNECTED
      ? `Not receiving Slack messages until the operator's Socket Mode connection is back (reason ${SLACK_DISCONNECTED} in the DiscoveryError condition); redialling`
      : 'Receiving Slack messages over Socket Mode';
  return 'Active';
}

/**
 * What a spawner whose setup fails (phase `Failed`) does not do, for the message of its
 * `Suspended=False` condition: {@link activeMessage} there said "Receiving webhook deliveries"
 * while every delivery was refused. Read from the spec alone, so the message, and the status,
 * stay as they are while the failure does (a resync writes nothing); the failure itself is
 * in the `DiscoveryError` condition and `status.message`.
 */
export function failedMessage(spawner: TaskSpawner): string {
  const w = spawner.spec.when;
  const kind = pollingKind(spawner);
  const what =
    kind === 'cron'
      ? `creating no Tasks on the cron schedule "${w.cron?.schedule ?? ''}"`
      : kind
        ? `not polling ${POLLED[kind]}`
        : w.githubWebhook
          ? 'taking no GitHub webhook deliveries at /webhook/github'
          : w.linearWebhook
            ? 'taking no Linear webhook deliveries at /webhook/linear'
            : w.webhook
              ? `taking no webhook deliveries at /webhook/${w.webhook.source}`
              : w.slack
                ? 'taking no Slack messages'
                : 'creating no Tasks';
  return `Not suspended, but ${what} until the setup problem in the DiscoveryError condition (reason SetupFailed) is fixed`;
}

/** The status a pass leads to. */
export function nextStatus(spawner: TaskSpawner, p: PassOutcome, nowMs: number): TaskSpawnerStatus {
  const now = rfc3339(nowMs);
  const gen = spawner.metadata.generation;
  const set = (list: TaskSpawnerStatus['conditions'], c: ConditionInput) => setCondition(list, c, now, gen);
  let conditions = spawner.status?.conditions ?? [];
  conditions = set(
    conditions,
    p.suspended
      ? {
          type: ConditionTypes.Suspended,
          status: 'True',
          reason: 'UserSuspended',
          message: 'spec.suspend is true',
        }
      : p.setupError
        ? {
            type: ConditionTypes.Suspended,
            status: 'False',
            reason: 'SetupFailed',
            message: failedMessage(spawner),
          }
        : {
            type: ConditionTypes.Suspended,
            status: 'False',
            reason: 'Active',
            message: activeMessage(spawner, p.problem),
          },
  );
  const max = spawner.spec.maxTotalTasks ?? 0;
  const limit: Omit<ConditionInput, 'type'> = p.maxTotalReached
    ? {
        status: 'True',
        reason: 'LimitReached',
        message: `${p.totalCreated} of maxTotalTasks ${max} Tasks created`,
      }
    : {
        status: 'False',
        reason: 'LimitAvailable',
        message: max > 0 ? `${p.totalCreated} of maxTotalTasks ${max} Tasks created` : 'No maxTotalTasks',
      };
  // Upstream writes the maxTotalTasks state under both names, and tooling written for it
  // (`kubectl wait --for=condition=TaskBudgetExhausted`, health scripts, alerts) reads either.
  // Both go out in this one status write, so no reader sees them disagree.
  for (const type of [ConditionTypes.MaxTotalTasksReached, ConditionTypes.TaskBudgetExhausted])
    conditions = set(conditions, { type, ...limit });
  const problem = p.setupError ? { reason: 'SetupFailed', message: p.setupError } : p.problem;
  conditions = set(
    conditions,
    problem
      ? {
          type: ConditionTypes.DiscoveryError,
          status: 'True',
          reason: problem.reason,
          message: problem.message,
        }
      : {
          type: ConditionTypes.DiscoveryError,
          status: 'False',
          reason: 'NoErrors',
          message: 'The last pass had no errors',
        },
  );
  const status: TaskSpawnerStatus = {
    ...spawner.status,
    ...(gen !== undefined ? { observedGeneration: gen } : {}),
    phase: p.suspended ? 'Suspended' : p.setupError ? 'Failed' : 'Running',
    activeTasks: p.active,
    queuedItems: p.queued,
    totalTasksCreated: p.totalCreated,
    conditions,
  };
  if (p.discovered !== undefined) status.totalDiscovered = p.discovered;
  if (p.lastDiscoveryTime) status.lastDiscoveryTime = rfc3339(p.lastDiscoveryTime.getTime());
  // A pass whose discovery keeps failing still runs (phase Running): without the problem's
  // message, `kubectl get ts` would show Running and nothing about why no Task comes.
  const message = p.setupError ?? p.message ?? p.problem?.message;
  if (message) status.message = message;
  else delete status.message;
  return status;
}

/** Writes `next` when it differs from the cached status. */
export async function writeSpawnerStatus(
  o: TaskSpawnerReconcilerOptions,
  spawner: TaskSpawner,
  next: TaskSpawnerStatus,
  list: Checklist,
): Promise<void> {
  const patch = statusPatch(
    spawner.status as Record<string, unknown> | undefined,
    next as Record<string, unknown>,
  );
  if (!patch) return;
  const { namespace, name } = spawnerName(spawner);
  // No resourceVersion guard: every field is recomputed from the API state and this
  // process's memory, and the counters only grow, so a stale cache cannot roll them back.
  await o.client.mergePatch(
    Resources.TaskSpawner,
    namespace,
    name,
    { status: patch },
    { subresource: 'status' },
  );
  const line = `Status written: ${next.phase}, ${next.activeTasks} active, ${next.queuedItems ?? 0} queued, ${next.totalTasksCreated} created`;
  // A spawner that starts failing (a source it cannot reach, a missing Secret), whose problem
  // changes, or that recovers is worth an info line naming why; counts alone stay at debug.
  const before = spawner.status;
  if (before?.phase !== next.phase || before?.message !== next.message)
    list.write(next.message ? `${line}: ${next.message}` : line);
  else list.writeRoutine(line);
}
