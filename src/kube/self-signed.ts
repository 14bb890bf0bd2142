/**
 * A self-signed serving certificate for an endpoint that must speak TLS when no certificate is
 * mounted: `/metrics` behind `--metrics-secure`, whose scrapers send a bearer token that must
 * not cross the Pod network in clear text. The certificate proves nothing about the server
 * (scrapers skip verification, as with controller-runtime's generated one); what it buys is an
 * encrypted channel for the token. Mount a certificate (`--metrics-cert-path`) for verification.
 *
 * Why hand-written DER: Node's `crypto` makes the key pair, exports the public key as DER and
 * signs, but has no API to build an X.509 certificate. The libraries that do bring far more
 * than the six ASN.1 types one certificate needs: `selfsigned` pulls in node-forge (1.6 MB
 * unpacked), `@peculiar/x509` its ASN.1 schema packages, tsyringe and reflect-metadata. What is
 * here is checked by Node's own `X509Certificate` parser and by real TLS handshakes in the tests.
 *
 * @packageDocumentation
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';

/** A PEM certificate and its PEM (PKCS#8) private key. */
export interface ServingCertificate {
  readonly cert: string;
  readonly key: string;
}

/** What the certificate names and how long it lasts. */
export interface SelfSignedOptions {
  /** Subject and issuer common name. */
  readonly commonName: string;
  /** Subject alternative names: DNS names, or IP addresses (v4 or v6). */
  readonly altNames: readonly string[];
  /** Start of validity, ms since the epoch; it is back-dated an hour for clock skew. */
  readonly now: number;
  /** @default 365 */
  readonly validDays?: number;
}

const length = (n: number): Buffer => {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
};
const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const seq = (...parts: Buffer[]): Buffer => tlv(0x30, ...parts);
const oid = (dotted: string): Buffer => {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const n of rest) {
    const encoded = [n & 0x7f];
    for (let x = Math.floor(n / 128); x > 0; x = Math.floor(x / 128)) encoded.unshift((x & 0x7f) | 0x80);
    bytes.push(...encoded);
  }
  return tlv(0x06, Buffer.from(bytes));
};
/**
 * A positive INTEGER, in DER's minimal form: leading zero bytes dropped (a parser refuses them:
 * `asn1 encoding routines::illegal padding`), one put back when the top bit is set.
 */
const integer = (b: Buffer): Buffer => {
  let start = 0;
  while (start < b.length - 1 && b[start] === 0) start++;
  const v = b.subarray(start);
  return tlv(0x02, (v[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
};
/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050. */
const time = (ms: number): Buffer => {
  const digits = `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
  return new Date(ms).getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(digits.slice(2)))
    : tlv(0x18, Buffer.from(digits));
};
const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
  seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));

const ipBytes = (ip: string): Buffer => {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = ip.split('::');
  const groups = (s: string) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return Buffer.concat(all.map((g) => Buffer.from(g.padStart(4, '0'), 'hex')));
};

const ECDSA_WITH_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

/**
 * A self-signed ECDSA P-256 serving certificate: not a CA, key usage digital signature,
 * extended key usage server authentication, the given alternative names.
 */
export function selfSignedCertificate(o: SelfSignedOptions): ServingCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(o.commonName, 'utf8')))));
  // Positive and 16 bytes long whatever the random bytes are (RFC 5280: at most 20).
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40;
  const altNames = o.altNames.map((n) =>
    isIP(n) ? tlv(0x87, ipBytes(n)) : tlv(0x82, Buffer.from(n, 'ascii')),
  );
  const notBefore = o.now - 60 * 60_000;
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_WITH_SHA256,
    name,
    seq(time(notBefore), time(o.now + (o.validDays ?? 365) * 86_400_000)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(
      0xa3,
      seq(
        extension('2.5.29.19', true, seq()),
        // keyUsage: digitalSignature (bit 0), seven unused bits.
        extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x07, 0x80]))),
        extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))),
        extension('2.5.29.17', false, seq(...altNames)),
      ),
    ),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, ECDSA_WITH_SHA256, tlv(0x03, Buffer.from([0]), signature));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
