/**
 * The secrets that verify a spawner's deliveries: its own (`secretRef` on the webhook source,
 * keys {@link SECRET_KEY} and, during a rotation, {@link PREVIOUS_SECRET_KEY}) or, for GitHub
 * and Linear spawners without one, the operator's cluster-wide secret.
 *
 * Secrets are cached for a few seconds (a rotation is seen within {@link SECRET_TTL_MS}), and
 * a missing Secret is cached too, so a flood of bad deliveries costs no API reads beyond one
 * per spawner and period.
 *
 * @packageDocumentation
 */
import type { TaskSpawner } from '../../api/index.ts';
import type { ApiObject, KubeClient } from '../../kube/client.ts';
import type { Clock } from '../../kube/clock.ts';
import { Resources } from '../resources.ts';
import type { WebhookSource } from './match.ts';

/** Key of the current secret in a webhook Secret. */
export const SECRET_KEY = 'WEBHOOK_SECRET';
/** Key of the previous secret, accepted as well while senders move to the new one. */
export const PREVIOUS_SECRET_KEY = 'WEBHOOK_SECRET_PREVIOUS';
/** How long a read Secret is reused. */
export const SECRET_TTL_MS = 10_000;

/** The operator's cluster-wide secrets (current first), for spawners that name none. */
export interface ClusterSecrets {
  readonly github?: readonly string[];
  readonly linear?: readonly string[];
}

/** The secrets of one spawner, or why there are none. */
export type SpawnerSecrets =
  | { readonly secrets: readonly string[]; readonly own: boolean }
  | {
      readonly secrets: readonly [];
      readonly own: boolean;
      readonly problem: string;
      /** The API could not be read: the sender should retry (503), not be told it is unsigned. */
      readonly transient?: boolean;
    };

interface SecretObject extends ApiObject {
  data?: Record<string, string>;
}

/** The `secretRef` of a spawner's webhook source, if any. */
export const secretRefOf = (spawner: TaskSpawner, source: WebhookSource): string | undefined => {
  const w = spawner.spec.when;
  const ref =
    source === 'github'
      ? w.githubWebhook?.secretRef
      : source === 'linear'
        ? w.linearWebhook?.secretRef
        : source === 'generic'
          ? w.webhook?.secretRef
          : undefined;
  return ref?.name;
};

/** Reads and caches spawner Secrets. */
export class SecretCache {
  readonly #client: KubeClient;
  readonly #clock: Clock;
  readonly #cluster: ClusterSecrets;
  readonly #clusterAllowed: (namespace: string) => boolean;
  readonly #cache = new Map<string, { at: number; value: Promise<SpawnerSecrets> }>();

  /**
   * @param clusterAllowed whether spawners in a namespace may use `cluster` (the KelosConfig's
   *   `spec.webhooks.clusterSecretNamespaces`); default every namespace.
   */
  constructor(
    client: KubeClient,
    clock: Clock,
    cluster: ClusterSecrets = {},
    clusterAllowed: (namespace: string) => boolean = () => true,
  ) {
    this.#client = client;
    this.#clock = clock;
    this.#cluster = cluster;
    this.#clusterAllowed = clusterAllowed;
  }

  /** The secrets that verify `spawner`'s deliveries from `source`. */
  secretsOf(spawner: TaskSpawner, source: WebhookSource): Promise<SpawnerSecrets> {
    const name = secretRefOf(spawner, source);
    if (!name) {
      const cluster = source === 'github' || source === 'linear' ? (this.#cluster[source] ?? []) : [];
      const namespace = spawner.metadata.namespace ?? '';
      if (cluster.length > 0 && !this.#clusterAllowed(namespace))
        return Promise.resolve({
          secrets: [],
          own: false,
          problem: `no secretRef, and KelosConfig spec.webhooks.clusterSecretNamespaces does not list namespace ${namespace}, so the cluster-wide ${source} secret is not for its spawners: give the spawner a secretRef`,
        });
      return Promise.resolve(
        cluster.length > 0
          ? { secrets: cluster, own: false }
          : { secrets: [], own: false, problem: `no secretRef and no cluster-wide ${source} secret` },
      );
    }
    const namespace = spawner.metadata.namespace ?? '';
    const key = `${namespace}/${name}`;
    const now = this.#clock.now();
    const hit = this.#cache.get(key);
    if (hit && now - hit.at < SECRET_TTL_MS) return hit.value;
    const value = this.#read(namespace, name);
    this.#cache.set(key, { at: now, value });
    if (this.#cache.size > 10_000) this.#cache.delete(this.#cache.keys().next().value as string);
    return value;
  }

  async #read(namespace: string, name: string): Promise<SpawnerSecrets> {
    try {
      const s = await this.#client.get<SecretObject>(Resources.Secret, namespace, name);
      const read = (k: string) =>
        s?.data?.[k] ? Buffer.from(s.data[k], 'base64').toString('utf8').trim() : '';
      const secrets = [read(SECRET_KEY), read(PREVIOUS_SECRET_KEY)].filter((v) => v !== '');
      if (!s) return { secrets: [], own: true, problem: `Secret ${namespace}/${name} not found` };
      return secrets.length > 0
        ? { secrets, own: true }
        : { secrets: [], own: true, problem: `Secret ${namespace}/${name} has no ${SECRET_KEY} key` };
    } catch (e) {
      // Not cached as an answer: the next delivery asks again.
      this.#cache.delete(`${namespace}/${name}`);
      return {
        secrets: [],
        own: true,
        problem: `Secret ${namespace}/${name}: ${(e as Error).message}`,
        transient: true,
      };
    }
  }
}
