/**
 * How often a spawner that keeps failing is logged. Its source or webhook setup is tried
 * again every 15 to 30 s (a Secret is not watched, so a fix is only seen on the next look),
 * and a `warn` line per try made a failed spawner the loudest thing in the log, for days,
 * while saying nothing new. The tries go on as they were; the log says when a failure starts,
 * when its message changes, then at most once per {@link FAILURE_LOG_INTERVAL_MS} while it
 * persists (with the tries that failed since), and when the spawner recovers.
 *
 * @packageDocumentation
 */
import type { LogFields, LogLevel } from '../../../kube/log.ts';

/** At most one `warn` line per this long while a spawner fails with the same message. */
export const FAILURE_LOG_INTERVAL_MS = 5 * 60_000;

/** What the process remembers of a spawner's ongoing failure. */
export interface FailureLog {
  /** The failed steps of the last failing reconcile, joined. */
  readonly message: string;
  /** When the failure started (the first failing reconcile after a success). */
  readonly since: number;
  /** When it was last logged at `warn`. */
  readonly loggedAt: number;
  /** Failing reconciles since the failure started. */
  readonly attempts: number;
  /** Failing reconciles since the last `warn` line. */
  readonly unlogged: number;
}

/** What {@link decideFailureLog} decided for one reconcile's log line. */
export interface FailureLogDecision {
  /** The line's level; `undefined`: the checklist's own. */
  readonly level: LogLevel | undefined;
  /** Fields added to the line. */
  readonly fields?: LogFields;
  /** What to remember for the next reconcile. */
  readonly next: FailureLog | undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The level and extra fields of a spawner's reconcile line, given the failure remembered from
 * the reconciles before (`prev`), this one's failed steps, whether it wrote something worth an
 * info line (`notable`), and the time.
 */
export function decideFailureLog(
  prev: FailureLog | undefined,
  failures: readonly string[],
  notable: boolean,
  now: number,
  everyMs: number = FAILURE_LOG_INTERVAL_MS,
): FailureLogDecision {
  if (failures.length === 0) {
    if (!prev) return { level: undefined, next: undefined };
    return {
      level: 'info',
      fields: { recovered: `after ${prev.attempts} failed attempt(s) since ${iso(prev.since)}` },
      next: undefined,
    };
  }
  const message = failures.join('; ');
  if (!prev || prev.message !== message)
    return {
      level: 'warn',
      next: {
        message,
        since: prev?.since ?? now,
        loggedAt: now,
        attempts: (prev?.attempts ?? 0) + 1,
        unlogged: 0,
      },
    };
  const attempts = prev.attempts + 1;
  if (now - prev.loggedAt >= everyMs)
    return {
      level: 'warn',
      fields: { failingSince: iso(prev.since), failedAttemptsSinceLastLine: prev.unlogged + 1 },
      next: { ...prev, loggedAt: now, attempts, unlogged: 0 },
    };
  return {
    level: notable ? 'info' : 'debug',
    next: { ...prev, attempts, unlogged: prev.unlogged + 1 },
  };
}

/**
 * A spawner's polls that failed since its last good one (a source that could not be set up, a
 * failed discovery, a rate limit), for the Normal Event its next good poll records: the
 * Warnings each failure left stay in `kubectl get events`, and without it nothing there says
 * they are over.
 */
export interface PollFailures {
  /** When the first of them failed. */
  readonly since: number;
  /** How many failed. */
  readonly attempts: number;
  /** The Warning reason of the last (`SetupFailed`, `DiscoveryFailed`, `RateLimited`). */
  readonly reason: string;
}

/** The failures remembered after one more failed poll. */
export const pollFailed = (prev: PollFailures | undefined, reason: string, now: number): PollFailures => ({
  since: prev?.since ?? now,
  attempts: (prev?.attempts ?? 0) + 1,
  reason,
});

/** The reason of the Event a good poll after failed ones records. */
export const POLL_RECOVERED_REASON = 'PollRecovered';

/** The note of that Event: how many polls failed since when, the last one's reason, and what this one found. */
export const pollRecoveredNote = (f: PollFailures, items: number): string =>
  `Polled again after ${f.attempts} failed attempt(s) since ${iso(f.since)} (last: ${f.reason}); ${items} item(s) discovered`;
