/**
 * What a receiver hands the matchers: one authenticated, parsed delivery, and the result.
 * `match.ts` re-exports these as the receiver's contract.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import type { GoValue } from '../../template/go-template.ts';

/** The kinds of event source a delivery can come from. */
export type WebhookSource = 'github' | 'linear' | 'generic' | 'slack';

/**
 * Facts about a delivery that are not in its body and cost an API call to learn. The
 * matchers are pure, so the receiver fetches these when {@link enrichmentNeeded} (in
 * `match.ts`) says a spawner needs them; without them the filters that need them fail closed.
 */
export interface DeliveryEnrichment {
  /** GitHub pull-request events: the files the pull request changes, for `filePatterns`. */
  readonly changedFiles?: readonly string[];
  /** GitHub `issue_comment` on a pull request: the pull request's head branch (`.Branch`). */
  readonly pullRequestHeadBranch?: string;
  /** Slack: the workspace URL (`auth.test`'s `url`, e.g. `https://acme.slack.com/`), for `.URL`. */
  readonly slackTeamUrl?: string;
  /**
   * Linear Comment: the labels of the commented issue, from Linear's API (the payload carries
   * none), for `labels`/`excludeLabels` and `.Labels`.
   */
  readonly linearIssueLabels?: readonly string[];
}

/** One received event, authenticated and parsed. */
export interface Delivery {
  readonly source: WebhookSource;
  /** GitHub: X-GitHub-Event; Linear: payload type; generic: the <source> path segment; slack: 'message'. */
  readonly event: string;
  /** GitHub X-GitHub-Delivery, Linear-Delivery header or Linear webhookId+createdAt, Slack event id; generic: '' (the id comes from fieldMapping). */
  readonly deliveryId: string;
  /**
   * What names and dedupes the Task instead of the delivery id, which neither GitHub
   * (`X-GitHub-Delivery`) nor Linear (`Linear-Delivery`) signs: a captured delivery posted
   * again under a fresh delivery id is the same Task, not another one. GitHub: the sha256 (hex)
   * of the body as sent, which the signature covers (its redelivery sends the same body).
   * Linear: the sha256 of the event the signed body names (`linearEventDigest`), which Linear's
   * retries keep while their `webhookTimestamp` changes.
   */
  readonly contentDigest?: string;
  /**
   * Parsed JSON: GitHub's and Linear's webhook bodies, the generic sender's body, and for
   * Slack the Events API `event_callback` body (its `authorizations[0].user_id` is the bot).
   */
  readonly payload: unknown;
  /** What the receiver fetched for filters and variables the body cannot answer. */
  readonly enrichment?: DeliveryEnrichment;
}

/** The answer of `matchDelivery`. */
export type MatchResult =
  | {
      readonly matched: true;
      /**
       * What names and deduplicates the Task (`<spawner>-<id>` unless `nameTemplate`), one per
       * event, upstream's suffixes: `<event>-<sha256(key)[:12]>` for GitHub (`_` as `-`) and
       * Linear (the type, lower case), the key being {@link Delivery.contentDigest}, not the
       * unsigned delivery id; `slack-<sha256(<channel>-<ts>)[:12]>` for Slack,
       * and for generic sources the mapped `id` itself when it is a name already, else a readable
       * form of it with a hash of it (`genericTaskId`).
       */
      readonly id: string;
      readonly vars: GoValue;
      readonly annotations: Readonly<Record<string, string>>;
    }
  | {
      readonly matched: false;
      readonly reason: string;
      /**
       * The spawner's settings cannot take the delivery (a `fieldMapping.id` that selects
       * nothing, a malformed JSONPath), rather than its filters refusing it: answered
       * `invalid`, with a Warning Event on the spawner, where its owner looks.
       */
      readonly invalid?: true;
    };

/** A JSON object's field as an object (empty when absent or not an object). */
export const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** A JSON field as a string ('' when absent or not a string). */
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Whether `s` equals one of `list`, ignoring case. */
export const inFold = (s: string, list: readonly string[] | undefined): boolean =>
  (list ?? []).some((l) => l.toLowerCase() === s.toLowerCase());

/** Upstream's Task name suffix of a delivery: `<kind>-<sha256(key)[:12]>`. */
export const hashedId = (kind: string, key: string): string =>
  `${kind.toLowerCase().replaceAll('_', '-')}-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
