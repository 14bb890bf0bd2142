/**
 * Whether a webhook delivery is for a spawner, and the template variables it yields: the
 * contract between the HTTP receiver (and the Slack Socket Mode client) and the per-source
 * matchers. Pure: no I/O, no clock.
 *
 * @packageDocumentation
 */
import type { TaskSpawner } from '../../api/index.ts';
import type { GoValue } from '../../template/go-template.ts';

/** The kinds of event source a delivery can come from. */
export type WebhookSource = 'github' | 'linear' | 'generic' | 'slack';

/** One received event, authenticated and parsed. */
export interface Delivery {
  readonly source: WebhookSource;
  /** GitHub: X-GitHub-Event; Linear: payload type; generic: the <source> path segment; slack: 'message'. */
  readonly event: string;
  /** GitHub X-GitHub-Delivery, Linear webhookId+createdAt or Linear-Delivery header, Slack event id; generic: '' (the id comes from fieldMapping). */
  readonly deliveryId: string;
  readonly payload: unknown; // parsed JSON
}

/** The answer of {@link matchDelivery}. */
export type MatchResult =
  | {
      readonly matched: true;
      readonly id: string;
      readonly vars: GoValue;
      readonly annotations: Readonly<Record<string, string>>;
    }
  | { readonly matched: false; readonly reason: string };

/** Whether a delivery is for this spawner (its `when` source kind, filters) and its template variables; `id` names/dedupes the Task. */
export function matchDelivery(spawner: TaskSpawner, delivery: Delivery): MatchResult {
  const when = spawner.spec.when;
  const wanted: Record<WebhookSource, unknown> = {
    github: when.githubWebhook,
    linear: when.linearWebhook,
    generic: when.webhook,
    slack: when.slack,
  };
  if (wanted[delivery.source] === undefined) {
    return { matched: false, reason: `spawner has no ${delivery.source} source` };
  }
  return { matched: false, reason: 'not implemented yet' };
}
