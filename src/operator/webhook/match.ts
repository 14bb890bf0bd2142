/**
 * TEMPORARY stand-in of branch webhook-match's matcher (replaced at merge; only what the
 * receiver's tests need): source kind, GitHub `events` and generic `source`, the delivery id
 * (generic: `$.a.b` paths of fieldMapping), a few variables.
 *
 * Whether a webhook delivery is for a spawner, and the template variables it yields: the
 * contract between the HTTP receiver (and the Slack Socket Mode client) and the per-source
 * matchers. Pure: no I/O, no clock.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
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

const at = (payload: unknown, path: string): unknown =>
  path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>(
      (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      payload,
    );

/** Whether a delivery is for this spawner (its `when` source kind, filters) and its template variables; `id` names/dedupes the Task. */
export function matchDelivery(spawner: TaskSpawner, delivery: Delivery): MatchResult {
  const when = spawner.spec.when;
  // biome-ignore lint/suspicious/noExplicitAny: temporary stand-in, replaced by branch webhook-match
  const p = (delivery.payload ?? {}) as Record<string, any>;
  if (delivery.source === 'github' && when.githubWebhook) {
    if (!when.githubWebhook.events.includes(delivery.event))
      return { matched: false, reason: 'event not listed' };
    const item = p['issue'] ?? p['pull_request'] ?? {};
    const [owner, repo] = String(p['repository']?.full_name ?? '/').split('/');
    const hash = createHash('sha256').update(delivery.deliveryId).digest('hex').slice(0, 12);
    return {
      matched: true,
      id: `${delivery.event.replaceAll('_', '-')}-${hash}`,
      vars: {
        ID: String(item.number ?? ''),
        Number: Number(item.number ?? 0),
        Title: String(item.title ?? ''),
        Body: String(p['comment']?.body ?? item.body ?? ''),
        Event: delivery.event,
        Action: String(p['action'] ?? ''),
        Kind: 'webhook',
      },
      annotations: item.number
        ? {
            'kelos.dev/source-kind': p['pull_request'] || item.pull_request ? 'pull-request' : 'issue',
            'kelos.dev/source-number': String(item.number),
            'kelos.dev/source-owner': owner ?? '',
            'kelos.dev/source-repo': repo ?? '',
          }
        : {},
    };
  }
  if (delivery.source === 'generic' && when.webhook && when.webhook.source === delivery.event) {
    const vars: Record<string, string> = {};
    for (const [k, path] of Object.entries(when.webhook.fieldMapping)) {
      const v = at(p, path);
      vars[k] = v === undefined || v === null ? '' : String(v);
    }
    if (!vars['id']) return { matched: false, reason: 'fieldMapping id is empty' };
    return {
      matched: true,
      id: vars['id'],
      vars: {
        ...vars,
        ID: vars['id'],
        Title: vars['title'] ?? '',
        Body: vars['body'] ?? '',
        Kind: 'GenericWebhook',
      },
      annotations: {},
    };
  }
  if (delivery.source === 'linear' && when.linearWebhook) {
    const id = String(p['data']?.id ?? '');
    return id
      ? { matched: true, id, vars: { ID: id, Title: String(p['data']?.title ?? '') }, annotations: {} }
      : { matched: false, reason: 'no data.id' };
  }
  return { matched: false, reason: `spawner has no ${delivery.source} source` };
}
