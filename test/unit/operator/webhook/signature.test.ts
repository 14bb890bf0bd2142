import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkLinearTimestamp,
  KELOS_WINDOW_MS,
  sign,
  verifyGitHub,
  verifyKelos,
  verifyLinear,
  verifyRawHeader,
} from '../../../../src/operator/webhook/signature.ts';

const body = Buffer.from('{"action":"opened","number":1}');
const hex = (secret: string, data: string | Buffer) =>
  createHmac('sha256', secret).update(data).digest('hex');

describe('GitHub X-Hub-Signature-256', () => {
  it('accepts the HMAC of the raw body under the current or the previous secret', () => {
    expect(verifyGitHub(body, `sha256=${hex('new', body)}`, ['new', 'old'])).toEqual({ ok: true });
    expect(verifyGitHub(body, `sha256=${hex('old', body)}`, ['new', 'old'])).toEqual({ ok: true });
    expect(sign.github(body, 'new')).toBe(`sha256=${hex('new', body)}`);
  });
  it('refuses another secret, another body, a missing or malformed header, and no secret at all', () => {
    expect(verifyGitHub(body, `sha256=${hex('other', body)}`, ['new'])).toMatchObject({
      ok: false,
      reason: 'X-Hub-Signature-256 does not match',
    });
    expect(verifyGitHub(Buffer.from('{}'), `sha256=${hex('new', body)}`, ['new']).ok).toBe(false);
    expect(verifyGitHub(body, undefined, ['new'])).toMatchObject({
      reason: 'missing X-Hub-Signature-256 header',
    });
    expect(verifyGitHub(body, hex('new', body), ['new'])).toMatchObject({
      reason: 'X-Hub-Signature-256 must be sha256=<hex>',
    });
    expect(verifyGitHub(body, 'sha256=zz', ['new']).ok).toBe(false);
    expect(verifyGitHub(body, `sha256=${hex('new', body)}00`, ['new']).ok).toBe(false);
    expect(verifyGitHub(body, `sha256=${hex('', body)}`, [])).toMatchObject({
      reason: 'no secret is configured',
    });
  });
});

describe('Linear-Signature', () => {
  it('accepts the hex HMAC of the body and checks webhookTimestamp within a minute', () => {
    expect(verifyLinear(body, hex('s', body), ['s'])).toEqual({ ok: true });
    expect(verifyLinear(body, hex('x', body), ['s']).ok).toBe(false);
    expect(verifyLinear(body, undefined, ['s']).ok).toBe(false);
    const now = 1_700_000_000_000;
    expect(checkLinearTimestamp({ webhookTimestamp: now - 30_000 }, now)).toEqual({ ok: true });
    expect(checkLinearTimestamp({ webhookTimestamp: now - 61_000 }, now).ok).toBe(false);
    expect(checkLinearTimestamp({}, now)).toMatchObject({
      reason: 'payload has no numeric webhookTimestamp',
    });
    expect(checkLinearTimestamp(null, now).ok).toBe(false);
  });
});

describe('the Kelos scheme', () => {
  const now = 1_700_000_000_000;
  const ts = String(now / 1000);
  it('accepts HMAC over "<timestamp>.<body>" with a fresh timestamp', () => {
    const h = sign.kelos(body, 's', now / 1000);
    expect(h['x-kelos-signature-256']).toBe(`sha256=${hex('s', `${ts}.${body}`)}`);
    expect(verifyKelos(body, h['x-kelos-signature-256'], h['x-kelos-timestamp'], now, ['s'])).toEqual({
      ok: true,
    });
    expect(verifyKelos(body, h['x-kelos-signature-256'], ts, now + KELOS_WINDOW_MS, ['s'])).toEqual({
      ok: true,
    });
  });
  it('refuses a stale or future timestamp, a signature over another timestamp, a malformed timestamp', () => {
    const sig = sign.kelos(body, 's', now / 1000)['x-kelos-signature-256'];
    expect(verifyKelos(body, sig, ts, now + KELOS_WINDOW_MS + 1000, ['s'])).toMatchObject({ ok: false });
    expect(verifyKelos(body, sig, ts, now - KELOS_WINDOW_MS - 1000, ['s']).ok).toBe(false);
    // The timestamp is signed: moving it forward to pass the window breaks the signature.
    expect(verifyKelos(body, sig, String(now / 1000 + 1), now, ['s'])).toMatchObject({
      reason: 'X-Kelos-Signature-256 does not match',
    });
    expect(verifyKelos(body, sig, '1e12', now, ['s'])).toMatchObject({
      reason: 'X-Kelos-Timestamp must be Unix seconds',
    });
    expect(verifyKelos(body, undefined, ts, now, ['s']).ok).toBe(false);
  });
});

describe('HMAC of the raw body in a named header', () => {
  it('accepts bare hex and sha256=<hex>, refuses anything else', () => {
    expect(verifyRawHeader(body, 'Sentry-Hook-Signature', hex('s', body), ['s'])).toEqual({ ok: true });
    expect(verifyRawHeader(body, 'Sentry-Hook-Signature', `sha256=${hex('s', body)}`, ['s'])).toEqual({
      ok: true,
    });
    expect(verifyRawHeader(body, 'Sentry-Hook-Signature', hex('t', body), ['s'])).toMatchObject({
      reason: 'Sentry-Hook-Signature does not match',
    });
    expect(verifyRawHeader(body, 'Sentry-Hook-Signature', undefined, ['s'])).toMatchObject({
      reason: 'missing Sentry-Hook-Signature header',
    });
  });
});
