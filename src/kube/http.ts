/**
 * The operator's HTTP endpoints: `/healthz` (the process serves requests), `/readyz` (every
 * readiness check passes; `?verbose` lists them) and `/metrics` (Prometheus text format).
 * Metrics and probes may share one address or use two.
 *
 * @packageDocumentation
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A named readiness check. */
export interface ReadinessCheck {
  readonly name: string;
  /** Undefined when ready, else why not. */
  readonly check: () => string | undefined;
}

/** Which endpoints a server answers. */
export interface EndpointOptions {
  readonly health?: { readonly checks: readonly ReadinessCheck[] };
  readonly metrics?: Registry;
}

/**
 * Parses a listen address: `:8080`, `127.0.0.1:8080`, `[::1]:8080` or `8080`. Port 0 picks a
 * free port. Returns undefined for `0` or an empty string, which turn the server off.
 */
export function parseAddress(addr: string): { host?: string; port: number } | undefined {
  if (addr === '' || addr === '0') return undefined;
  if (/^\d+$/.test(addr)) return { port: Number(addr) };
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(addr);
  if (!m) throw new Error(`invalid listen address "${addr}" (expected [host]:port, e.g. :8080)`);
  const host = m[1] ?? (m[2] || undefined);
  return host ? { host, port: Number(m[3]) } : { port: Number(m[3]) };
}

/** A running endpoint server. */
export interface EndpointServer {
  /** The bound address, e.g. `127.0.0.1:43121`. */
  readonly address: string;
  close(): Promise<void>;
}

/** Starts a server for the given endpoints. */
export async function serveEndpoints(
  addr: string,
  endpoints: EndpointOptions,
): Promise<EndpointServer | undefined> {
  const at = parseAddress(addr);
  if (!at) return undefined;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    if (endpoints.health && url.pathname === '/healthz') return send(200, 'ok\n');
    if (endpoints.health && url.pathname === '/readyz') {
      const results = endpoints.health.checks.map((c) => ({ name: c.name, problem: c.check() }));
      const ready = results.every((r) => r.problem === undefined);
      if (!url.searchParams.has('verbose')) return send(ready ? 200 : 503, ready ? 'ok\n' : 'not ready\n');
      const lines = results.map((r) =>
        r.problem === undefined ? `[+]${r.name} ok` : `[-]${r.name} failed: ${r.problem}`,
      );
      return send(
        ready ? 200 : 503,
        `${lines.join('\n')}\n${ready ? 'readyz check passed' : 'readyz check failed'}\n`,
      );
    }
    if (endpoints.metrics && url.pathname === '/metrics') {
      const registry = endpoints.metrics;
      registry.metrics().then(
        (text) => send(200, text, registry.contentType),
        (err: unknown) => send(500, `${String(err)}\n`),
      );
      return;
    }
    send(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const info = server.address() as AddressInfo;
  return {
    address: `${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
