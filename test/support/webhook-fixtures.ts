/**
 * Webhook deliveries in the senders' real formats (`test/fixtures/webhooks/`), and spawners
 * around a `when` source, for the matcher and receiver tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskSpawner, When } from '../../src/api/index.ts';
import type { Delivery, WebhookSource } from '../../src/operator/webhook/match.ts';

/** Fixture JSON, read by path in tests (`p.issue.body`): the shape is the sender's, not ours to type. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Json = any;

const DIR = join(import.meta.dirname, '..', 'fixtures', 'webhooks');

/** A fixture payload, parsed: `fixture('github', 'issues')`. */
export const fixture = (source: string, name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(DIR, source, `${name}.json`), 'utf8')) as Record<string, unknown>;

/** A delivery of a fixture; `change` edits a copy of the payload first. */
export const delivery = (
  source: WebhookSource,
  event: string,
  name: string,
  change: (p: Json) => void = () => {},
  extra: Partial<Delivery> = {},
): Delivery => {
  const payload = fixture(source === 'generic' ? 'generic' : source, name);
  change(payload);
  return { source, event, deliveryId: `d-${event}-${name}`, payload, ...extra };
};

/** A spawner named `s` in namespace `team-a` with this `when`. */
export const spawnerWith = (when: When): TaskSpawner =>
  ({
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'TaskSpawner',
    metadata: { name: 's', namespace: 'team-a' },
    spec: {
      when,
      taskTemplate: {
        worker: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: 'repo' } },
      },
    },
  }) as TaskSpawner;
