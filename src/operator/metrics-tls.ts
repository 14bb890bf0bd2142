/**
 * The certificate `/metrics` serves under `--metrics-secure`: the `tls.crt` and `tls.key` of a
 * mounted `kubernetes.io/tls` Secret (`--metrics-cert-path`, e.g. one cert-manager keeps), read
 * again every minute so a rotation reaches new connections without a restart; or, without
 * one, a self-signed certificate made at start-up. Scrapers send a bearer token to
 * `/metrics`; TLS keeps it off the Pod network in clear text either way.
 *
 * @packageDocumentation
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../kube/log.ts';
import { type ServingCertificate, selfSignedCertificate } from '../kube/self-signed.ts';

/** File names of a `kubernetes.io/tls` Secret's keys, as a volume mounts them. */
const CERT_FILE = 'tls.crt';
const KEY_FILE = 'tls.key';
/** How often a mounted certificate is read again (the kubelet updates Secret volumes in about a minute). */
export const CERT_RELOAD_MS = 60_000;

/** The certificate in force and where it came from, for the start-up log line. */
export interface MetricsCertificate {
  readonly certificate: ServingCertificate;
  /** `self-signed`, or the directory read. */
  readonly source: string;
  /** SHA-256 fingerprint of the certificate, as `openssl x509 -fingerprint -sha256` prints it. */
  readonly fingerprint: string;
  readonly notAfter: string;
}

const describe = (certificate: ServingCertificate, source: string): MetricsCertificate => {
  const x509 = new X509Certificate(certificate.cert);
  return {
    certificate,
    source,
    fingerprint: createHash('sha256')
      .update(x509.raw)
      .digest('hex')
      .toUpperCase()
      .replace(/(..)(?!$)/g, '$1:'),
    notAfter: new Date(x509.validTo).toISOString(),
  };
};

/**
 * Reads `tls.crt` and `tls.key` from `dir`; throws an error naming the flag, the file and what
 * is wrong (missing, not PEM, a key that does not match the certificate).
 */
export function readCertificateDir(dir: string): MetricsCertificate {
  const read = (file: string): string => {
    try {
      return readFileSync(join(dir, file), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(
        `--metrics-cert-path ${dir}: cannot read ${file} (${code ?? String(err)}); mount a kubernetes.io/tls Secret there`,
      );
    }
  };
  const certificate = { cert: read(CERT_FILE), key: read(KEY_FILE) };
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certificate.cert);
  } catch (err) {
    throw new Error(
      `--metrics-cert-path ${dir}: ${CERT_FILE} is not a PEM certificate (${(err as Error).message})`,
    );
  }
  let matches: boolean;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(certificate.key));
  } catch (err) {
    throw new Error(
      `--metrics-cert-path ${dir}: ${KEY_FILE} is not a PEM private key (${(err as Error).message})`,
    );
  }
  if (!matches) throw new Error(`--metrics-cert-path ${dir}: ${KEY_FILE} is not the key of ${CERT_FILE}`);
  return describe(certificate, dir);
}

/** A self-signed certificate for this Pod (its host name, loopback), valid a year. */
export function selfSignedMetricsCertificate(now: number): MetricsCertificate {
  const certificate = selfSignedCertificate({
    commonName: 'kelos-operator',
    altNames: [hostname(), 'localhost', '127.0.0.1', '::1'],
    now,
  });
  return describe(certificate, 'self-signed');
}

/**
 * Reads `dir` every {@link CERT_RELOAD_MS} and hands a changed certificate to `apply`; a read
 * that fails is logged and the certificate in force kept (a Secret mid-update, a removed
 * mount). Returns the function that stops it.
 */
export function watchCertificateDir(
  dir: string,
  current: MetricsCertificate,
  apply: (c: ServingCertificate) => void,
  log: Logger,
  intervalMs = CERT_RELOAD_MS,
): () => void {
  let last = current;
  const timer = setInterval(() => {
    let next: MetricsCertificate;
    try {
      next = readCertificateDir(dir);
    } catch (err) {
      log.warn('Metrics certificate not reloaded; serving the previous one', { error: err });
      return;
    }
    if (next.fingerprint === last.fingerprint && next.certificate.key === last.certificate.key) return;
    try {
      apply(next.certificate);
    } catch (err) {
      log.warn('Metrics certificate not reloaded; serving the previous one', { error: err });
      return;
    }
    last = next;
    log.info('Metrics certificate reloaded', {
      path: dir,
      fingerprint: next.fingerprint,
      notAfter: next.notAfter,
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
