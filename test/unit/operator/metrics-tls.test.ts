import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { type EndpointServer, PLAIN_HTTP_ANSWER, serveEndpoints } from '../../../src/kube/http.ts';
import { createLogger } from '../../../src/kube/log.ts';
import { selfSignedCertificate } from '../../../src/kube/self-signed.ts';
import { OperatorMetrics } from '../../../src/operator/metrics.ts';
import {
  CERT_WARNING_INTERVAL_MS,
  certificateWarning,
  type MetricsCertificate,
  readCertificateDir,
  selfSignedMetricsCertificate,
  warnAboutCertificate,
  watchCertificateDir,
} from '../../../src/operator/metrics-tls.ts';

const NOW = Date.parse('2026-12-07T00:00:00Z');

const registry = () =>
  new OperatorMetrics(
    { queueDepths: () => ({}), tasksByPhase: () => ({}), leading: () => true },
    { processMetrics: false },
  ).registry;

/** GET over TLS trusting only `ca`, by the name `servername`; resolves the status, body and the server's certificate. */
const httpsGet = (address: string, path: string, ca: string, headers: Record<string, string> = {}) =>
  new Promise<{ status: number; body: string; fingerprint: string }>((resolve, reject) => {
    const [host, port] = [
      address.slice(0, address.lastIndexOf(':')),
      address.slice(address.lastIndexOf(':') + 1),
    ];
    const req = request(
      { host, port: Number(port), path, ca, servername: 'localhost', headers, agent: false },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => {
          const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
          resolve({ status: res.statusCode ?? 0, body, fingerprint });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('selfSignedCertificate', () => {
  it('is a certificate Node parses, signed by its own key, for the names given, valid a year from an hour before', () => {
    const { cert, key } = selfSignedCertificate({
      commonName: 'kelos-operator',
      altNames: ['op-7d9f', 'localhost', '127.0.0.1', '::1'],
      now: NOW,
    });
    const x509 = new X509Certificate(cert);
    expect(x509.subject).toBe('CN=kelos-operator');
    expect(x509.issuer).toBe('CN=kelos-operator');
    expect(x509.subjectAltName).toBe(
      'DNS:op-7d9f, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.ca).toBe(false);
    expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(Date.parse(x509.validFrom)).toBe(NOW - 60 * 60_000);
    expect(Date.parse(x509.validTo)).toBe(NOW + 365 * 86_400_000);
    expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    // Two certificates never share a serial number or a key.
    const other = selfSignedCertificate({ commonName: 'kelos-operator', altNames: ['localhost'], now: NOW });
    expect(new X509Certificate(other.cert).serialNumber).not.toBe(x509.serialNumber);
    expect(other.key).not.toBe(key);
  });
});

describe('/metrics over HTTPS', () => {
  const servers: EndpointServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it('answers a TLS client that trusts the certificate, with the bearer token it requires, and no plain HTTP', async () => {
    const tls = selfSignedMetricsCertificate(Date.now());
    expect(tls.source).toBe('self-signed');
    const server = await serveEndpoints('127.0.0.1:0', {
      metrics: registry(),
      metricsToken: 'secret-token',
      tls: tls.certificate,
    });
    if (!server) throw new Error('no server');
    servers.push(server);
    const ok = await httpsGet(server.address, '/metrics', tls.certificate.cert, {
      authorization: 'Bearer secret-token',
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('kelos_leader 1');
    expect(ok.fingerprint).toBe(tls.fingerprint);
    expect((await httpsGet(server.address, '/metrics', tls.certificate.cert)).status).toBe(401);
    // A client speaking plain HTTP is told, in clear text, that the port serves HTTPS: never metrics.
    const plain = await fetch(`http://${server.address}/metrics`, {
      headers: { authorization: 'Bearer secret-token' },
    });
    expect(plain.status).toBe(400);
    expect(await plain.text()).toBe(PLAIN_HTTP_ANSWER);
  });

  it('reports a plain HTTP request as a client error, and serves TLS on the same port after it', async () => {
    const tls = selfSignedMetricsCertificate(Date.now());
    const errors: unknown[] = [];
    const server = await serveEndpoints('127.0.0.1:0', {
      metrics: registry(),
      tls: tls.certificate,
      onError: (source, err) => errors.push([source, (err as NodeJS.ErrnoException).code]),
    });
    if (!server) throw new Error('no server');
    servers.push(server);
    expect((await fetch(`http://${server.address}/healthz`)).status).toBe(400);
    expect(errors).toEqual([['client', 'ERR_HTTP_REQUEST_TO_HTTPS_PORT']]);
    expect((await httpsGet(server.address, '/metrics', tls.certificate.cert)).status).toBe(200);
  });

  it('cuts a client that sends nothing or stalls in its handshake; close() ends one that has sent nothing', async () => {
    const tls = selfSignedMetricsCertificate(Date.now());
    const server = await serveEndpoints('127.0.0.1:0', {
      metrics: registry(),
      tls: tls.certificate,
      limits: { headersTimeoutMs: 300 },
    });
    if (!server) throw new Error('no server');
    const port = Number(server.address.split(':').at(-1));
    /** Whether the server closes a connection that sends `bytes` and then nothing, within 10 s. */
    const cut = (bytes: number[]) =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.from(bytes)));
        socket.on('close', () => resolve(true));
        socket.on('error', () => undefined);
        setTimeout(() => resolve(false), 10_000).unref();
      });
    expect(await cut([])).toBe(true);
    // The first bytes of a TLS record header (handshake, TLS 1.0 record version).
    expect(await cut([0x16, 0x03, 0x01])).toBe(true);
    await server.close();
    // A minute to send a first byte: close() must end such a connection itself, not wait for it.
    const patient = await serveEndpoints('127.0.0.1:0', {
      metrics: registry(),
      tls: tls.certificate,
      limits: { headersTimeoutMs: 60_000, requestTimeoutMs: 60_000 },
    });
    if (!patient) throw new Error('no server');
    const silent = connect(Number(patient.address.split(':').at(-1)), '127.0.0.1');
    silent.on('error', () => undefined);
    await new Promise((resolve) => silent.on('connect', resolve));
    const closed = new Promise((resolve) => silent.on('close', resolve));
    await patient.close();
    await closed;
  });

  it('serves a mounted certificate, and a rotated one to new connections once it is read again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-metrics-tls-'));
    const write = (c: { cert: string; key: string }) => {
      writeFileSync(join(dir, 'tls.crt'), c.cert);
      writeFileSync(join(dir, 'tls.key'), c.key);
    };
    const first = selfSignedCertificate({ commonName: 'first', altNames: ['localhost'], now: Date.now() });
    write(first);
    const mounted = readCertificateDir(dir);
    expect(mounted.source).toBe(dir);
    expect(mounted.fingerprint).toBe(
      createHash('sha256')
        .update(new X509Certificate(first.cert).raw)
        .digest('hex')
        .toUpperCase()
        .replace(/(..)(?!$)/g, '$1:'),
    );
    const server = await serveEndpoints('127.0.0.1:0', { metrics: registry(), tls: mounted.certificate });
    if (!server?.setCertificate) throw new Error('no HTTPS server');
    servers.push(server);
    expect((await httpsGet(server.address, '/metrics', first.cert)).fingerprint).toBe(
      fingerprintOf(first.cert),
    );

    const lines: string[] = [];
    const stop = watchCertificateDir(
      dir,
      mounted,
      server.setCertificate,
      createLogger({ write: (l) => lines.push(l) }),
      { intervalMs: 50 },
    );
    try {
      const second = selfSignedCertificate({
        commonName: 'second',
        altNames: ['localhost'],
        now: Date.now(),
      });
      write(second);
      const deadline = Date.now() + 10_000;
      while (!lines.some((l) => l.includes('Metrics certificate reloaded')) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect((await httpsGet(server.address, '/metrics', second.cert)).fingerprint).toBe(
        fingerprintOf(second.cert),
      );
      // A half-written rotation (a key that is not the certificate's) keeps the one in force.
      writeFileSync(join(dir, 'tls.key'), first.key);
      const warnDeadline = Date.now() + 10_000;
      while (!lines.some((l) => l.includes('not reloaded')) && Date.now() < warnDeadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(lines.find((l) => l.includes('not reloaded'))).toContain(
        `--metrics-cert-path ${dir}: tls.key is not the key of tls.crt`,
      );
      expect((await httpsGet(server.address, '/metrics', second.cert)).fingerprint).toBe(
        fingerprintOf(second.cert),
      );
    } finally {
      stop();
    }
  });

  it('names the flag, the file and what is wrong with a certificate directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-metrics-tls-'));
    expect(() => readCertificateDir(dir)).toThrow(
      `--metrics-cert-path ${dir}: cannot read tls.crt (ENOENT); mount a kubernetes.io/tls Secret there`,
    );
    writeFileSync(join(dir, 'tls.crt'), 'not a certificate');
    writeFileSync(join(dir, 'tls.key'), 'not a key');
    expect(() => readCertificateDir(dir)).toThrow(
      `--metrics-cert-path ${dir}: tls.crt is not a PEM certificate`,
    );
    const { cert } = selfSignedCertificate({ commonName: 'x', altNames: ['localhost'], now: NOW });
    writeFileSync(join(dir, 'tls.crt'), cert);
    expect(() => readCertificateDir(dir)).toThrow(
      `--metrics-cert-path ${dir}: tls.key is not a PEM private key`,
    );
  });
});

describe('certificateWarning', () => {
  const DAY = 86_400_000;
  const mounted = (validDays: number): MetricsCertificate => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-metrics-tls-'));
    const c = selfSignedCertificate({ commonName: 'm', altNames: ['localhost'], now: NOW, validDays });
    writeFileSync(join(dir, 'tls.crt'), c.cert);
    writeFileSync(join(dir, 'tls.key'), c.key);
    return readCertificateDir(dir);
  };

  it('says nothing of a certificate valid more than 7 days on', () => {
    expect(certificateWarning(mounted(90), NOW)).toBeUndefined();
    expect(certificateWarning(mounted(90), NOW + 82 * DAY)).toBeUndefined();
  });

  it('warns of an expired certificate, naming notAfter, the path and what to do, and keeps serving it', () => {
    const c = mounted(1);
    const w = certificateWarning(c, NOW + 400 * DAY);
    expect(w?.msg).toBe(
      'Metrics certificate has expired; still serving it, but scrapers that verify it fail',
    );
    expect(w?.fields).toMatchObject({
      certificate: c.source,
      notAfter: '2026-12-08T00:00:00.000Z',
      fingerprint: c.fingerprint,
    });
    expect(w?.fields.action).toContain(`renew the kubernetes.io/tls Secret mounted at ${c.source}`);
  });

  it('warns of a certificate within 7 days of notAfter, and of one not valid yet', () => {
    const c = mounted(10);
    expect(certificateWarning(c, NOW + 2 * DAY)).toBeUndefined();
    expect(certificateWarning(c, NOW + 4 * DAY)?.msg).toBe(
      'Metrics certificate expires within 7 days; still serving it',
    );
    const early = certificateWarning(c, NOW - 2 * 60 * 60_000);
    expect(early?.msg).toMatch(/^Metrics certificate is not valid yet/);
    expect(early?.fields.notBefore).toBe('2026-12-06T23:00:00.000Z');
  });

  it('says the same once a day, and at once when the state or the certificate changes', () => {
    const c = mounted(3);
    const first = certificateWarning(c, NOW);
    expect(first).toBeDefined();
    const last = first?.warned;
    expect(certificateWarning(c, NOW + 60_000, last)).toBeUndefined();
    expect(certificateWarning(c, NOW + CERT_WARNING_INTERVAL_MS - 1, last)).toBeUndefined();
    expect(certificateWarning(c, NOW + CERT_WARNING_INTERVAL_MS, last)).toBeDefined();
    // Expiring, then expired: said the moment it expires.
    expect(certificateWarning(c, NOW + 3 * DAY, last)?.msg).toMatch(/has expired/);
    // A renewal that brings another expiring certificate is said too.
    expect(certificateWarning(mounted(3), NOW + 60_000, last)).toBeDefined();
  });

  it('is logged at each reload of the certificate in force, once a day, not every minute', async () => {
    const c = mounted(3);
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l) });
    let now = NOW;
    const warned = warnAboutCertificate(log, c, now);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"level":"warn"');
    expect(lines[0]).toContain('"notAfter":"2026-12-10T00:00:00.000Z"');
    const stop = watchCertificateDir(c.source, c, () => {}, log, {
      intervalMs: 5,
      now: () => {
        now += 60_000;
        return now;
      },
      warned,
    });
    try {
      const deadline = Date.now() + 10_000;
      while (now < NOW + 30 * 60_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(lines).toHaveLength(1);
      now = NOW + CERT_WARNING_INTERVAL_MS;
      const again = Date.now() + 10_000;
      while (lines.length < 2 && Date.now() < again) await new Promise((r) => setTimeout(r, 20));
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain('expires within 7 days');
    } finally {
      stop();
    }
  });
});
