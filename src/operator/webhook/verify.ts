/**
 * Which of a delivery's candidate spawners it is for, by authentication: each spawner's own
 * secret (or the cluster-wide one) must verify the delivery under the spawner's scheme, and a
 * generic spawner without a secret receives only when the admin allows unsigned deliveries in
 * its namespace. A delivery goes only to the spawners it verified for, so knowing one
 * tenant's secret gives no way into another tenant's spawner.
 *
 * @packageDocumentation
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { TaskSpawner } from '../../api/index.ts';
import type { WebhookSource } from './match.ts';
import type { SecretCache } from './secrets.ts';
import {
  SignatureHeaders,
  type Verdict,
  verifyGitHub,
  verifyKelos,
  verifyLinear,
  verifyRawHeader,
} from './signature.ts';

/** A spawner's verdict on a delivery. */
export type SpawnerVerdict =
  | { readonly ok: true; readonly scheme: 'github' | 'linear' | 'kelos' | 'header' | 'unsigned' }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly transient?: boolean;
      /**
       * The spawner's setup is at fault (its Secret, the KelosConfig), not the delivery: the
       * reason names cluster objects, so it is for the spawner's Events, not the sender.
       */
      readonly setup?: boolean;
    };

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/** What verifies `spawner`'s deliveries from `source`: its secrets, none needed, or why none can. */
export type SpawnerKeys =
  | { readonly unsigned: true }
  | { readonly secrets: readonly string[] }
  | { readonly problem: string; readonly transient?: boolean };

/**
 * What verifies `spawner`'s deliveries from `source`, before any delivery: the receiver asks for
 * each delivery, the TaskSpawner reconciler to put a setup fault in the spawner's status.
 */
export async function spawnerKeys(
  spawner: TaskSpawner,
  source: WebhookSource,
  secrets: SecretCache,
  allowUnsigned: (namespace: string) => boolean,
): Promise<SpawnerKeys> {
  const namespace = spawner.metadata.namespace ?? '';
  const generic = source === 'generic' ? spawner.spec.when.webhook : undefined;
  if (generic && !generic.secretRef) {
    return allowUnsigned(namespace)
      ? { unsigned: true }
      : {
          problem: `a TaskSpawner without secretRef receives no deliveries unless the KelosConfig allows unsigned deliveries in namespace ${namespace}`,
        };
  }
  return secrets.secretsOf(spawner, source);
}

/** Verifies `body` for `spawner`. */
export async function verifyFor(
  spawner: TaskSpawner,
  source: WebhookSource,
  body: Buffer,
  headers: IncomingHttpHeaders,
  nowMs: number,
  secrets: SecretCache,
  allowUnsigned: (namespace: string) => boolean,
): Promise<SpawnerVerdict> {
  const s = await spawnerKeys(spawner, source, secrets, allowUnsigned);
  if ('unsigned' in s) return { ok: true, scheme: 'unsigned' };
  if ('problem' in s)
    return { ok: false, reason: s.problem, ...(s.transient ? { transient: true } : { setup: true }) };
  const generic = source === 'generic' ? spawner.spec.when.webhook : undefined;
  let v: Verdict;
  let scheme: 'github' | 'linear' | 'kelos' | 'header';
  if (source === 'github') {
    scheme = 'github';
    v = verifyGitHub(body, header(headers, SignatureHeaders.GitHub), s.secrets);
  } else if (source === 'linear') {
    scheme = 'linear';
    v = verifyLinear(body, header(headers, SignatureHeaders.Linear), s.secrets);
  } else if (generic?.signatureHeader) {
    scheme = 'header';
    v = verifyRawHeader(body, generic.signatureHeader, header(headers, generic.signatureHeader), s.secrets);
  } else {
    scheme = 'kelos';
    v = verifyKelos(
      body,
      header(headers, SignatureHeaders.Kelos),
      header(headers, SignatureHeaders.KelosTimestamp),
      nowMs,
      s.secrets,
    );
  }
  return v.ok ? { ok: true, scheme } : v;
}

/** Why a webhook or Slack spawner gets nothing from an operator started without its receiver. */
export const NO_RECEIVER =
  'no delivery reaches this spawner: this operator runs no webhook receiver (--webhook-addr is 0)';

/**
 * Why a Slack spawner gets nothing from an operator that has no Slack app: its tokens come from
 * the environment, read once at start-up.
 */
export const NO_SLACK_APP =
  "no Slack message reaches this spawner: the operator has no Slack app, since SLACK_APP_TOKEN (xapp-…) and SLACK_BOT_TOKEN (xoxb-…) are not set in its environment; installed, create the Secret kelos-slack with both keys in the operator's namespace and restart the operator (kubectl -n kelos-system rollout restart deployment/kelos-operator); run locally, export both before kelos operator";

/** The source whose deliveries a spawner verifies with a secret; undefined for the others (Slack, polling). */
const verifiedSource = (spawner: TaskSpawner): WebhookSource | undefined => {
  const w = spawner.spec.when;
  return w.githubWebhook ? 'github' : w.linearWebhook ? 'linear' : w.webhook ? 'generic' : undefined;
};

/**
 * The TaskSpawner reconciler's look at a webhook spawner's setup (see
 * `TaskSpawnerReconcilerOptions.webhookSetup`), through the receiver's own rules and a Secret
 * cache of its own; a Slack spawner needs the operator's Slack app (`slackConfigured`).
 */
export const webhookSetupCheck =
  (secrets: SecretCache, allowUnsigned: (namespace: string) => boolean, slackConfigured: boolean) =>
  async (spawner: TaskSpawner): Promise<{ problem: string; transient?: boolean } | undefined> => {
    if (spawner.spec.when.slack && !slackConfigured) return { problem: NO_SLACK_APP };
    const source = verifiedSource(spawner);
    if (!source) return undefined;
    const keys = await spawnerKeys(spawner, source, secrets, allowUnsigned);
    if (!('problem' in keys)) return undefined;
    return keys.transient
      ? { problem: keys.problem, transient: true }
      : { problem: `webhook deliveries are refused with 401: ${keys.problem}` };
  };
