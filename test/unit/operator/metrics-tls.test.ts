import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { type EndpointServer, serveEndpoints } from '../../../src/kube/http.ts';
import { createLogger } from '../../../src/kube/log.ts';
import { selfSignedCertificate } from '../../../src/kube/self-signed.ts';
import { OperatorMetrics } from '../../../src/operator/metrics.ts';
import {
  readCertificateDir,
  selfSignedMetricsCertificate,
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
    // A client speaking plain HTTP gets no HTTP answer, so no token is ever sent in clear text and read.
    await expect(fetch(`http://${server.address}/metrics`)).rejects.toThrow();
  });

  it('cuts a client that opens a connection and never finishes the handshake', async () => {
    const tls = selfSignedMetricsCertificate(Date.now());
    const server = await serveEndpoints('127.0.0.1:0', {
      metrics: registry(),
      tls: tls.certificate,
      limits: { headersTimeoutMs: 300 },
    });
    if (!server) throw new Error('no server');
    servers.push(server);
    const port = Number(server.address.split(':').at(-1));
    const closed = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('close', () => resolve(true));
      socket.on('error', () => undefined);
      setTimeout(() => resolve(false), 10_000).unref();
    });
    expect(closed).toBe(true);
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
      50,
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
