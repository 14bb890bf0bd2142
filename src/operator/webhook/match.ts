/**
 * Whether a webhook delivery is for a spawner, and the template variables it yields: the
 * contract between the HTTP receiver (and the Slack Socket Mode client) and the per-source
 * matchers. Pure: no I/O, no clock. What a filter needs that the body does not say (a pull
 * request's files, its head branch, Slack's workspace URL) the caller fetches when
 * {@link enrichmentNeeded} says so, and passes as `delivery.enrichment`.
 *
 * @packageDocumentation
 */
import type { TaskSpawner } from '../../api/index.ts';
import type { Delivery, MatchResult } from './delivery.ts';
import { matchGeneric } from './generic-event.ts';
import { githubEnrichmentNeeded, githubPrefilter, matchGitHub } from './github-event.ts';
import { linearLabelsNeeded, matchLinear } from './linear-event.ts';
import { matchSlack } from './slack-event.ts';

export type { Delivery, DeliveryEnrichment, MatchResult, WebhookSource } from './delivery.ts';

/** Whether a delivery is for this spawner (its `when` source kind, filters) and its template variables; `id` names/dedupes the Task. */
export function matchDelivery(spawner: TaskSpawner, delivery: Delivery): MatchResult {
  const when = spawner.spec.when;
  switch (delivery.source) {
    case 'github':
      return when.githubWebhook
        ? matchGitHub(spawner, when.githubWebhook, delivery)
        : { matched: false, reason: 'the spawner has no githubWebhook source' };
    case 'linear':
      return when.linearWebhook
        ? matchLinear(when.linearWebhook, delivery)
        : { matched: false, reason: 'the spawner has no linearWebhook source' };
    case 'generic':
      return when.webhook
        ? matchGeneric(when.webhook, delivery)
        : { matched: false, reason: 'the spawner has no webhook source' };
    case 'slack':
      return when.slack
        ? matchSlack(when.slack, delivery)
        : { matched: false, reason: 'the spawner has no slack source' };
    default:
      return { matched: false, reason: `unknown source ${String((delivery as Delivery).source)}` };
  }
}

/** The API look-ups a spawner's filters need for a delivery ({@link enrichmentNeeded}). */
export interface EnrichmentNeed {
  /** GitHub: the pull request's changed files. */
  readonly changedFiles: boolean;
  /** GitHub: the commented pull request's head branch. */
  readonly pullRequestHeadBranch: boolean;
  /** Linear: the commented issue's labels. */
  readonly linearIssueLabels: boolean;
}

/**
 * Which API look-ups a spawner's filters need for this delivery (GitHub: a pull request's
 * files or branch; Linear: a commented issue's labels): none for a delivery the spawner
 * refuses anyway (another event or type, another repository, an excluded author), so an
 * organization hook's events for repositories no spawner watches cost no call and cannot fail
 * the delivery.
 */
export const enrichmentNeeded = (spawner: TaskSpawner, delivery: Delivery): EnrichmentNeed => {
  const none = { changedFiles: false, pullRequestHeadBranch: false, linearIssueLabels: false };
  const github = spawner.spec.when.githubWebhook;
  if (delivery.source === 'github' && github && githubPrefilter(github, delivery) === undefined)
    return { ...none, ...githubEnrichmentNeeded(github, delivery) };
  const linear = spawner.spec.when.linearWebhook;
  if (delivery.source === 'linear' && linear)
    return { ...none, linearIssueLabels: linearLabelsNeeded(linear, delivery) };
  return none;
};
