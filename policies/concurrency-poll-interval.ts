/**
 * concurrency/poll-interval: polling sources do not poll more often than the configured floor.
 *
 * @packageDocumentation
 */

import { formatDuration, parseDuration } from '../src/kube/duration.ts';
import type { Finding, ObjectRule } from '../src/policy/rule.ts';
import { get, ptr, str } from './lib/access.ts';

/** Sources that poll, each with its own `pollInterval`. */
export const POLLING_SOURCES = ['githubIssues', 'githubPullRequests', 'jira'] as const;

/** Message for an interval under the floor. */
export const pollTooOften = (source: string, interval: string, floor: number): string =>
  `${source}.pollInterval ${interval} is under the floor of ${formatDuration(floor)}`;

export const pollInterval: ObjectRule = {
  id: 'concurrency/poll-interval',
  scope: 'object',
  severity: 'warning',
  kinds: ['TaskSpawner'],
  description:
    'A polling source’s pollInterval is at or above the configured floor (thresholds.minPollInterval).',
  rationale:
    'Every poll lists items and their comments; polling faster than needed burns the shared API rate limit that every spawner on the token depends on.',
  hint: 'Raise pollInterval, or use a webhook source when latency matters.',
  check({ object, config }) {
    const floor = config.thresholds.minPollIntervalSeconds;
    const findings: Finding[] = [];
    for (const source of POLLING_SOURCES) {
      const interval = str(get(object, 'spec', 'when', source, 'pollInterval'));
      if (interval === undefined) continue;
      const seconds = parseDuration(interval);
      if (seconds !== undefined && seconds < floor) {
        findings.push({
          path: ptr('spec', 'when', source, 'pollInterval'),
          message: pollTooOften(source, interval, floor),
        });
      }
    }
    return findings;
  },
};
