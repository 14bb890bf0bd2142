/**
 * security/webhook-signing-secret: generic webhook sources verify deliveries with a signing
 * secret.
 *
 * @packageDocumentation
 */
import type { ObjectRule } from '../src/policy/rule.ts';
import { get, isRecord, str } from './lib/access.ts';

/** Message for an unsigned generic webhook; the admission policy builds the same text. */
export const webhookUnsigned = (source: string): string =>
  `generic webhook source "${source}" has no secretRef, so anyone who can reach /webhook/${source} can create Tasks`;

export const webhookSigningSecret: ObjectRule = {
  id: 'security/webhook-signing-secret',
  scope: 'object',
  severity: 'error',
  kinds: ['TaskSpawner'],
  description: 'Every generic webhook source (when.webhook) sets secretRef, so deliveries are HMAC-signed.',
  rationale:
    'An unsigned webhook endpoint lets anyone who can reach it start an agent with a prompt of their choosing and the spawner’s credentials.',
  hint: 'Set when.webhook.secretRef to a Secret with WEBHOOK_SECRET, and sign deliveries with X-Kelos-Signature-256.',
  check({ object }) {
    const webhook = get(object, 'spec', 'when', 'webhook');
    if (!isRecord(webhook) || webhook['secretRef'] !== undefined) return [];
    return [{ path: '/spec/when/webhook', message: webhookUnsigned(str(webhook['source']) ?? '') }];
  },
  admission: () => [
    {
      kind: 'TaskSpawner',
      validations: [
        {
          expression: '!has(object.spec.when.webhook) || has(object.spec.when.webhook.secretRef)',
          message: webhookUnsigned('…'),
          messageExpression:
            "'generic webhook source \"' + object.spec.when.webhook.source + '\" has no secretRef, so anyone who can reach /webhook/' + object.spec.when.webhook.source + ' can create Tasks'",
        },
      ],
    },
  ],
};
