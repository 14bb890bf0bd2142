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
  const namespace = spawner.metadata.namespace ?? '';
  const generic = source === 'generic' ? spawner.spec.when.webhook : undefined;
  if (generic && !generic.secretRef) {
    return allowUnsigned(namespace)
      ? { ok: true, scheme: 'unsigned' }
      : {
          ok: false,
          reason: `a TaskSpawner without secretRef receives no deliveries unless the KelosConfig allows unsigned deliveries in namespace ${namespace}`,
          setup: true,
        };
  }
  const s = await secrets.secretsOf(spawner, source);
  if ('problem' in s)
    return { ok: false, reason: s.problem, ...(s.transient ? { transient: true } : { setup: true }) };
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
