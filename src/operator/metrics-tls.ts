/**
 * The certificate `/metrics` serves under `--metrics-secure`: the `tls.crt` and `tls.key` of a
 * mounted `kubernetes.io/tls` Secret (`--metrics-cert-path`, e.g. one cert-manager keeps), read
 * again every minute so a rotation reaches new connections without a restart; or, without
 * one, a self-signed certificate made at start-up. Scrapers send a bearer token to
 * `/metrics`; TLS keeps it off the Pod network in clear text either way.
 *
 * @packageDocumentation
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { LogFields, Logger } from '../kube/log.ts';
import { type ServingCertificate, selfSignedCertificate } from '../kube/self-signed.ts';

/** File names of a `kubernetes.io/tls` Secret's keys, as a volume mounts them. */
const CERT_FILE = 'tls.crt';
const KEY_FILE = 'tls.key';
/** How often a mounted certificate is read again (the kubelet updates Secret volumes in about a minute). */
export const CERT_RELOAD_MS = 60_000;
/** How long before its notAfter a certificate in force is warned about: time to mend a stalled renewal. */
export const CERT_EXPIRY_WARNING_MS = 7 * 86_400_000;
/** The same trouble with the same certificate is warned about once a day, not at every reload. */
export const CERT_WARNING_INTERVAL_MS = 86_400_000;

/** The certificate in force and where it came from, for the start-up log line. */
export interface MetricsCertificate {
  readonly certificate: ServingCertificate;
  /** `self-signed`, or the directory read. */
  readonly source: string;
  /** SHA-256 fingerprint of the certificate, as `openssl x509 -fingerprint -sha256` prints it. */
  readonly fingerprint: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

const describe = (certificate: ServingCertificate, source: string): MetricsCertificate => {
  const x509 = new X509Certificate(certificate.cert);
  return {
    certificate,
    source,
    fingerprint: x509.fingerprint256,
    notBefore: new Date(x509.validFrom).toISOString(),
    notAfter: new Date(x509.validTo).toISOString(),
  };
};

/** What was last warned about, so that {@link certificateWarning} says it once a day. */
export interface CertificateWarned {
  readonly at: number;
  readonly fingerprint: string;
  readonly state: 'expired' | 'not-yet-valid' | 'expiring';
}

/** A warning about the certificate in force, and what to remember of it. */
export interface CertificateWarning {
  readonly msg: string;
  readonly fields: LogFields;
  readonly warned: CertificateWarned;
}

/**
 * Whether the certificate in force at `now` deserves a warning: expired, not valid yet, or
 * expiring within {@link CERT_EXPIRY_WARNING_MS}. `undefined` when it is fine, or when the same
 * state of the same certificate was warned about less than {@link CERT_WARNING_INTERVAL_MS} ago.
 * It is still served: refusing it would take the operator down over its metrics.
 */
export function certificateWarning(
  c: MetricsCertificate,
  now: number,
  last?: CertificateWarned,
): CertificateWarning | undefined {
  const notBefore = Date.parse(c.notBefore);
  const notAfter = Date.parse(c.notAfter);
  const state: CertificateWarned['state'] | undefined =
    now >= notAfter
      ? 'expired'
      : now < notBefore
        ? 'not-yet-valid'
        : notAfter - now <= CERT_EXPIRY_WARNING_MS
          ? 'expiring'
          : undefined;
  if (!state) return undefined;
  if (
    last &&
    last.fingerprint === c.fingerprint &&
    last.state === state &&
    now - last.at < CERT_WARNING_INTERVAL_MS
  )
    return undefined;
  const renew =
    c.source === 'self-signed'
      ? 'restart the operator for a new self-signed certificate'
      : `renew the kubernetes.io/tls Secret mounted at ${c.source} (with cert-manager, \`kubectl describe certificate\` says why it was not renewed); it is read again within a minute`;
  const base = { certificate: c.source, fingerprint: c.fingerprint };
  const warned = { at: now, fingerprint: c.fingerprint, state };
  if (state === 'not-yet-valid')
    return {
      msg: 'Metrics certificate is not valid yet; still serving it, but scrapers that verify it fail',
      fields: {
        ...base,
        notBefore: c.notBefore,
        action: 'check the clocks of its issuer and of this node',
      },
      warned,
    };
  if (state === 'expired')
    return {
      msg: 'Metrics certificate has expired; still serving it, but scrapers that verify it fail',
      fields: { ...base, notAfter: c.notAfter, action: renew },
      warned,
    };
  return {
    msg: `Metrics certificate expires within ${CERT_EXPIRY_WARNING_MS / 86_400_000} days; still serving it`,
    fields: { ...base, notAfter: c.notAfter, action: renew },
    warned,
  };
}

/** Logs {@link certificateWarning}'s warning, if any; returns what to pass it next time. */
export function warnAboutCertificate(
  log: Logger,
  c: MetricsCertificate,
  now: number,
  last?: CertificateWarned,
): CertificateWarned | undefined {
  const w = certificateWarning(c, now, last);
  if (!w) return last;
  log.warn(w.msg, w.fields);
  return w.warned;
}

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
  const problem = certificatePairProblem(certificate);
  if (problem) throw new Error(`--metrics-cert-path ${dir}: ${problem}`);
  return describe(certificate, dir);
}

/**
 * Why a `kubernetes.io/tls` pair cannot serve `/metrics`, in its keys' names (`tls.key is not
 * the key of tls.crt`), or undefined when it can: the operator's check at start and at every
 * reload, and `kelos install`'s before it mounts a Secret (a refused pair crash-loops the Pod).
 */
export function certificatePairProblem(pair: ServingCertificate): string | undefined {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pair.cert);
  } catch (err) {
    return `${CERT_FILE} is not a PEM certificate (${(err as Error).message})`;
  }
  try {
    return x509.checkPrivateKey(createPrivateKey(pair.key))
      ? undefined
      : `${KEY_FILE} is not the key of ${CERT_FILE}`;
  } catch (err) {
    return `${KEY_FILE} is not a PEM private key (${(err as Error).message})`;
  }
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

/** Options of {@link watchCertificateDir}. */
export interface WatchCertificateOptions {
  /** Default {@link CERT_RELOAD_MS}. */
  readonly intervalMs?: number;
  /** Default `Date.now`. */
  readonly now?: () => number;
  /** What the start-up check warned about, so the first reload does not say it again. */
  readonly warned?: CertificateWarned;
}

/**
 * Reads `dir` every {@link CERT_RELOAD_MS} and hands a changed certificate to `apply`; a read
 * that fails is logged and the certificate in force kept (a Secret mid-update, a removed
 * mount). Each time, the certificate in force is checked with {@link certificateWarning}: a
 * renewal that stopped shows before the certificate expires. Returns the function that stops it.
 */
export function watchCertificateDir(
  dir: string,
  current: MetricsCertificate,
  apply: (c: ServingCertificate) => void,
  log: Logger,
  opts: WatchCertificateOptions = {},
): () => void {
  const now = opts.now ?? Date.now;
  let last = current;
  let warned = opts.warned;
  const reload = () => {
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
  };
  const timer = setInterval(() => {
    reload();
    warned = warnAboutCertificate(log, last, now(), warned);
  }, opts.intervalMs ?? CERT_RELOAD_MS);
  timer.unref();
  return () => clearInterval(timer);
}
