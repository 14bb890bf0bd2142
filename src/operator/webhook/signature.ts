/**
 * The signature schemes of webhook deliveries, pure: GitHub (`X-Hub-Signature-256:
 * sha256=<hex>` over the raw body), Linear (`Linear-Signature: <hex>` over the raw body, plus
 * the payload's `webhookTimestamp` within a minute), the Kelos scheme for generic senders
 * (`X-Kelos-Signature-256: sha256=<hex>` over `<timestamp>.<body>`, `X-Kelos-Timestamp` in
 * Unix seconds within {@link KELOS_WINDOW_MS}) and "hex HMAC of the raw body in a named
 * header" (Sentry's `Sentry-Hook-Signature` and the like).
 *
 * Every scheme is HMAC-SHA256 compared in constant time (`timingSafeEqual` on the decoded
 * digest; a malformed header never reaches the compare). Each takes a list of secrets, so a
 * rotation accepts the current and the previous secret. Written here rather than taken from
 * `@octokit/webhooks-methods` because that covers GitHub only and is async per call; the four
 * schemes share one 20-line check.
 *
 * @packageDocumentation
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far the Kelos scheme's timestamp may be from now, either way. */
export const KELOS_WINDOW_MS = 5 * 60_000;

/** How far Linear's `webhookTimestamp` may be from now (Linear's own recommendation). */
export const LINEAR_WINDOW_MS = 60_000;

/** The headers (lower-case) the schemes read. */
export const SignatureHeaders = {
  GitHub: 'x-hub-signature-256',
  Linear: 'linear-signature',
  Kelos: 'x-kelos-signature-256',
  KelosTimestamp: 'x-kelos-timestamp',
} as const;

/** Verified, or why not (a client-facing message that reveals no secret). */
export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const HEX64 = /^[0-9a-fA-F]{64}$/;

const hmac = (secret: string, ...parts: Array<string | Buffer>): Buffer => {
  const h = createHmac('sha256', secret);
  for (const p of parts) h.update(p);
  return h.digest();
};

/** Whether `hex` is the HMAC of `parts` under any of `secrets`, in constant time per secret. */
const matchesAny = (hex: string, secrets: readonly string[], parts: Array<string | Buffer>): boolean => {
  if (!HEX64.test(hex)) return false;
  const given = Buffer.from(hex, 'hex');
  let ok = false;
  // Every secret is tried (no early exit), so timing does not tell which one matched.
  for (const s of secrets) if (s && timingSafeEqual(given, hmac(s, ...parts))) ok = true;
  return ok;
};

const NONE: Verdict = { ok: false, reason: 'no secret is configured' };

/** GitHub's `X-Hub-Signature-256`. */
export function verifyGitHub(body: Buffer, header: string | undefined, secrets: readonly string[]): Verdict {
  if (secrets.length === 0) return NONE;
  if (!header) return { ok: false, reason: 'missing X-Hub-Signature-256 header' };
  if (!header.startsWith('sha256=')) return { ok: false, reason: 'X-Hub-Signature-256 must be sha256=<hex>' };
  return matchesAny(header.slice(7), secrets, [body])
    ? { ok: true }
    : { ok: false, reason: 'X-Hub-Signature-256 does not match' };
}

/** Linear's `Linear-Signature` (the timestamp is checked after parsing: {@link checkLinearTimestamp}). */
export function verifyLinear(body: Buffer, header: string | undefined, secrets: readonly string[]): Verdict {
  if (secrets.length === 0) return NONE;
  if (!header) return { ok: false, reason: 'missing Linear-Signature header' };
  return matchesAny(header, secrets, [body])
    ? { ok: true }
    : { ok: false, reason: 'Linear-Signature does not match' };
}

/** Linear's replay guard: the signed payload's `webhookTimestamp` (ms) is within a minute of now. */
export function checkLinearTimestamp(payload: unknown, nowMs: number): Verdict {
  const ts = (payload as { webhookTimestamp?: unknown } | null)?.webhookTimestamp;
  if (typeof ts !== 'number' || !Number.isFinite(ts))
    return { ok: false, reason: 'payload has no numeric webhookTimestamp' };
  return Math.abs(nowMs - ts) <= LINEAR_WINDOW_MS
    ? { ok: true }
    : { ok: false, reason: `webhookTimestamp is more than ${LINEAR_WINDOW_MS / 1000}s from now` };
}

/** The Kelos scheme: `X-Kelos-Signature-256` over `<timestamp>.<body>`, `X-Kelos-Timestamp` fresh. */
export function verifyKelos(
  body: Buffer,
  signature: string | undefined,
  timestamp: string | undefined,
  nowMs: number,
  secrets: readonly string[],
): Verdict {
  if (secrets.length === 0) return NONE;
  if (!signature) return { ok: false, reason: 'missing X-Kelos-Signature-256 header' };
  if (!timestamp || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'X-Kelos-Timestamp must be Unix seconds' };
  if (Math.abs(nowMs - Number(timestamp) * 1000) > KELOS_WINDOW_MS)
    return {
      ok: false,
      reason: `X-Kelos-Timestamp is more than ${KELOS_WINDOW_MS / 1000}s from now (stale or replayed)`,
    };
  if (!signature.startsWith('sha256='))
    return { ok: false, reason: 'X-Kelos-Signature-256 must be sha256=<hex>' };
  return matchesAny(signature.slice(7), secrets, [timestamp, '.', body])
    ? { ok: true }
    : { ok: false, reason: 'X-Kelos-Signature-256 does not match' };
}

/** "Hex HMAC of the raw body in a named header", an optional `sha256=` prefix ignored. */
export function verifyRawHeader(
  body: Buffer,
  name: string,
  value: string | undefined,
  secrets: readonly string[],
): Verdict {
  if (secrets.length === 0) return NONE;
  if (!value) return { ok: false, reason: `missing ${name} header` };
  const hex = value.startsWith('sha256=') ? value.slice(7) : value;
  return matchesAny(hex, secrets, [body]) ? { ok: true } : { ok: false, reason: `${name} does not match` };
}

/** Signing, as each sender does it (tests, the bench, and documentation by example). */
export const sign = {
  github: (body: string | Buffer, secret: string): string => `sha256=${hmac(secret, body).toString('hex')}`,
  linear: (body: string | Buffer, secret: string): string => hmac(secret, body).toString('hex'),
  kelos: (body: string | Buffer, secret: string, unixSeconds: number): Record<string, string> => ({
    [SignatureHeaders.Kelos]: `sha256=${hmac(secret, String(unixSeconds), '.', body).toString('hex')}`,
    [SignatureHeaders.KelosTimestamp]: String(unixSeconds),
  }),
  raw: (body: string | Buffer, secret: string): string => hmac(secret, body).toString('hex'),
};
