/**
 * What a TaskSpawner's `spec.when` must mean for the operator to run it, beyond what its schema
 * and CEL rules say, so a spawner that cannot work fails in CI rather than in its status:
 *
 * - **Exactly one source.** The API's documentation says so but no CEL rule enforces it, and
 *   upstream picks among several by two different precedences (its controller and its spawner).
 * - **A cron schedule that parses** as upstream's spawner parses it (robfig/cron's standard
 *   parser, `src/api/cron-schedule.ts`); the operator refuses any other.
 * - **A `pollInterval` that is a Go duration or bare seconds**, a warning otherwise: upstream
 *   then polls every 5 minutes without a word, and so does the operator.
 * - **A Jira `baseUrl` over HTTPS**: the schema takes `http://`, the operator refuses it.
 *
 * @packageDocumentation
 */
import { cronScheduleError, nextActivation, parseCronSchedule } from '../api/cron-schedule.ts';
import { API_VERSION } from '../api/group.ts';
import { WhenSchema } from '../api/task-spawner/index.ts';
import { parseDuration } from '../kube/duration.ts';
import type { Diagnostic, Finding } from './diagnostic.ts';
import { type LoadedDocument, toDiagnostic } from './load.ts';

/** The sources of `spec.when`, in the order the API lists them. */
const WHEN_SOURCES = Object.keys(WhenSchema.properties);

/** The polling sources that take a `pollInterval`. */
const POLLED = ['githubIssues', 'githubPullRequests', 'jira'] as const;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The findings for one TaskSpawner's `spec.when`; none when it is not even a mapping (the schema says so). */
export function spawnerSourceFindings(object: Readonly<Record<string, unknown>>): Finding[] {
  const spec = object['spec'];
  const when = isRecord(spec) ? spec['when'] : undefined;
  if (!isRecord(when)) return [];
  const out: Finding[] = [];
  const set = WHEN_SOURCES.filter((s) => when[s] !== undefined && when[s] !== null);
  if (set.length !== 1) {
    out.push({
      severity: 'error',
      code: 'spawner/when-source',
      path: '/spec/when',
      message:
        set.length === 0
          ? 'spec.when sets no source, so the TaskSpawner never creates a Task'
          : `spec.when sets ${set.length} sources (${set.join(', ')}); a TaskSpawner takes exactly one, and upstream picks among several by different precedences in its controller and its spawner`,
      hint: `set exactly one of ${WHEN_SOURCES.join(', ')}; use one TaskSpawner per source`,
    });
  }
  const cron = when['cron'];
  const schedule = isRecord(cron) ? cron['schedule'] : undefined;
  if (typeof schedule === 'string' && schedule !== '') {
    const problem = cronScheduleError(schedule);
    if (problem)
      out.push({
        severity: 'error',
        code: 'spawner/cron-schedule',
        path: '/spec/when/cron/schedule',
        message: problem,
        hint: 'five fields (minute hour day-of-month month day-of-week) evaluated in UTC, or @hourly, @daily, @weekly, @monthly, @yearly, @every <duration>',
      });
    // Upstream accepts a schedule no date matches (30 February) and never fires it.
    else if (neverFires(schedule))
      out.push({
        severity: 'warning',
        code: 'spawner/cron-never-fires',
        path: '/spec/when/cron/schedule',
        message: `cron schedule ${JSON.stringify(schedule)} matches no date, so the TaskSpawner never creates a Task (upstream accepts it and waits forever)`,
        hint: 'check the day-of-month against the month: 30 and 31 do not occur in every month, and February has at most 29 days',
      });
  }
  const jira = when['jira'];
  const baseUrl = isRecord(jira) ? jira['baseUrl'] : undefined;
  // The schema takes http (as upstream's), but the operator sends Jira's credentials over HTTPS
  // only: it fails such a spawner at its first poll, which CI can say first.
  if (typeof baseUrl === 'string' && /^http:\/\//i.test(baseUrl))
    out.push({
      severity: 'error',
      code: 'spawner/jira-base-url',
      path: '/spec/when/jira/baseUrl',
      message: `baseUrl ${JSON.stringify(baseUrl)} is plain HTTP; the operator calls Jira over HTTPS only (the token would cross the network in clear text), so the spawner would fail at its first poll`,
      hint: `use ${JSON.stringify(baseUrl.replace(/^http:/i, 'https:'))}`,
    });
  for (const source of POLLED) {
    const polled = when[source];
    const interval = isRecord(polled) ? polled['pollInterval'] : undefined;
    if (typeof interval !== 'string' || interval === '') continue;
    const seconds = parseDuration(interval);
    if (seconds === undefined || seconds <= 0)
      out.push({
        severity: 'warning',
        code: 'spawner/poll-interval',
        path: `/spec/when/${source}/pollInterval`,
        message: `pollInterval "${interval}" is not a positive Go duration or number of seconds, so the source is polled every 5m instead`,
        hint: 'write it as 30s, 5m, 1h30m or 300',
      });
  }
  return out;
}

/**
 * Whether a schedule that parses never fires: no activation within the five years robfig
 * searches, from a fixed start (so the answer does not depend on the day it is asked), which
 * a leap day still meets.
 */
const neverFires = (schedule: string): boolean =>
  nextActivation(parseCronSchedule(schedule), NEVER_FIRES_FROM) === undefined;

const NEVER_FIRES_FROM = new Date(Date.UTC(2024, 0, 1));

/** {@link spawnerSourceFindings} for every TaskSpawner of a bundle, located in its file. */
export const checkSpawnerSources = (docs: readonly LoadedDocument[]): Diagnostic[] =>
  docs
    .filter((d) => d.object['apiVersion'] === API_VERSION && d.object['kind'] === 'TaskSpawner')
    .flatMap((d) => spawnerSourceFindings(d.object).map((f) => toDiagnostic(d, f)));
