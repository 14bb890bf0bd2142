// The certificate's serial is random: one whose first byte was zero came out as a non-minimal
// DER INTEGER, which OpenSSL refuses (`illegal padding`), about one start-up in 512.
import { X509Certificate } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  // Every random byte zero: the serial the old code encoded with a leading zero byte.
  return { ...actual, randomBytes: (n: number) => Buffer.alloc(n, 0) };
});

describe('selfSignedCertificate', () => {
  it('encodes a serial drawn with leading zero bytes as a valid DER INTEGER', async () => {
    const { selfSignedCertificate } = await import('../../../src/kube/self-signed.ts');
    const { cert } = selfSignedCertificate({ commonName: 'kelos', altNames: ['localhost'], now: Date.now() });
    const parsed = new X509Certificate(cert);
    expect(parsed.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
    expect(parsed.subject).toBe('CN=kelos');
  });
});
