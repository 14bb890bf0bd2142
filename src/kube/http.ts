/**
 * The operator's HTTP endpoints: `/healthz` (the process serves requests), `/readyz` (every
 * readiness check passes; `?verbose` lists them) and `/metrics` (Prometheus text format).
 * Metrics and probes may share one address or use two.
 *
 * These ports face whatever can reach the Pod, so the server assumes hostile clients: only
 * origin-form `GET`/`HEAD` requests are answered, URLs and headers are capped, slow clients
 * are cut off by header and request timeouts, the number of open connections is bounded, and
 * no request, however malformed, can throw out of the handler (a thrown error is answered
 * with 500 and reported through {@link EndpointOptions.onError}). `/metrics` can require a
 * bearer token, a fixed one or any the API server accepts for a user allowed to read it
 * (`delegated-auth.ts`): it shows cost by namespace, spawner and model.
 *
 * @packageDocumentation
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Registry } from 'prom-client';
import type { MetricsAuthorizer } from './delegated-auth.ts';
import type { ServingCertificate } from './self-signed.ts';

/** A named readiness check. */
export interface ReadinessCheck {
  readonly name: string;
  /** Undefined when ready, else why not. */
  readonly check: () => string | undefined;
}

/** Limits that keep one client from holding the server; defaults in {@link DEFAULT_LIMITS}. */
export interface EndpointLimits {
  /** Longest request target in bytes; longer ones get 414. */
  readonly maxUrlBytes: number;
  /** Largest header block in bytes (Node's parser answers 431 beyond it). */
  readonly maxHeaderBytes: number;
  /** Time a client has to send its headers. */
  readonly headersTimeoutMs: number;
  /** Time a client has to send a whole request. */
  readonly requestTimeoutMs: number;
  /** Idle time of a kept-alive connection. */
  readonly keepAliveTimeoutMs: number;
  /** Open connections at once; further ones are closed on accept. */
  readonly maxConnections: number;
}

/** Limits sized for probes and one or two scrapers. */
export const DEFAULT_LIMITS: EndpointLimits = {
  maxUrlBytes: 2048,
  maxHeaderBytes: 8192,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 128,
};

/** Which endpoints a server answers. */
export interface EndpointOptions {
  readonly health?: { readonly checks: readonly ReadinessCheck[] };
  readonly metrics?: Registry;
  /** When set, `/metrics` answers 401 unless the request carries `Authorization: Bearer <token>`. */
  readonly metricsToken?: string;
  /**
   * When set, `/metrics` asks it about the request's bearer token (see `delegated-auth.ts`):
   * 401 without a valid token, 403 for a user without access, 503 when it cannot tell.
   */
  readonly metricsAuth?: MetricsAuthorizer;
  readonly limits?: Partial<EndpointLimits>;
  /** Serve HTTPS with this certificate instead of HTTP. */
  readonly tls?: ServingCertificate;
  /**
   * Called for every request the server could not handle normally: `client` for requests
   * the HTTP parser rejected (malformed, too large, too slow), `handler` for errors thrown
   * while answering. Never called with a thrown error escaping.
   */
  readonly onError?: (source: 'client' | 'handler', err: unknown) => void;
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
  /** Present when it serves HTTPS: new connections use this certificate (a rotated one). */
  readonly setCertificate?: (c: ServingCertificate) => void;
  close(): Promise<void>;
}

/**
 * Splits an origin-form request target (`/path?query`) without `new URL()`, which throws on
 * targets such as `http://[`. Anything else (absolute-form, `*`, authority-form) is refused.
 */
export function originForm(target: string): { path: string; query: URLSearchParams } | undefined {
  if (!target.startsWith('/') || target.startsWith('//')) return undefined;
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const hash = path.indexOf('#');
  return {
    path: hash < 0 ? path : path.slice(0, hash),
    query: new URLSearchParams(q < 0 ? '' : target.slice(q + 1)),
  };
}

const tokenMatches = (header: string | undefined, token: string): boolean => {
  if (!header?.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice('Bearer '.length));
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
};

/** Answers with a plain-text body (or cuts the connection when headers already went out). */
export const send = (
  res: ServerResponse,
  status: number,
  body: string,
  extra: Record<string, string> = {},
) => {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(body);
};

const answer = (
  endpoints: EndpointOptions,
  limits: EndpointLimits,
  req: IncomingMessage,
  res: ServerResponse,
) => {
  const target = req.url ?? '';
  if (Buffer.byteLength(target) > limits.maxUrlBytes) return send(res, 414, 'uri too long\n');
  const url = originForm(target);
  if (!url) return send(res, 400, 'bad request target\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
  }
  if (endpoints.health && url.path === '/healthz') return send(res, 200, 'ok\n');
  if (endpoints.health && url.path === '/readyz') {
    const results = endpoints.health.checks.map((c) => ({ name: c.name, problem: c.check() }));
    const ready = results.every((r) => r.problem === undefined);
    if (!url.query.has('verbose')) return send(res, ready ? 200 : 503, ready ? 'ok\n' : 'not ready\n');
    const lines = results.map((r) =>
      r.problem === undefined ? `[+]${r.name} ok` : `[-]${r.name} failed: ${r.problem}`,
    );
    return send(
      res,
      ready ? 200 : 503,
      `${lines.join('\n')}\n${ready ? 'readyz check passed' : 'readyz check failed'}\n`,
    );
  }
  if (endpoints.metrics && url.path === '/metrics') {
    if (
      endpoints.metricsToken !== undefined &&
      !tokenMatches(req.headers.authorization, endpoints.metricsToken)
    ) {
      return send(res, 401, 'unauthorized\n', { 'www-authenticate': 'Bearer' });
    }
    const registry = endpoints.metrics;
    const serve = () =>
      registry.metrics().then(
        (text) => send(res, 200, text, { 'content-type': registry.contentType }),
        (err: unknown) => {
          endpoints.onError?.('handler', err);
          send(res, 500, 'metrics unavailable\n');
        },
      );
    if (!endpoints.metricsAuth) {
      void serve();
      return;
    }
    const header = req.headers.authorization;
    endpoints.metricsAuth(header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined).then(
      (access) => {
        if (access.verdict === 'allowed') return serve();
        if (access.verdict === 'unauthenticated')
          return send(res, 401, 'unauthorized\n', { 'www-authenticate': 'Bearer' });
        if (access.verdict === 'forbidden')
          return send(res, 403, `forbidden: ${access.user} may not get ${url.path}\n`);
        return send(res, 503, 'authorization unavailable; retry\n', { 'retry-after': '5' });
      },
      (err: unknown) => {
        endpoints.onError?.('handler', err);
        send(res, 500, 'authorization failed\n');
      },
    );
    return;
  }
  send(res, 404, 'not found\n');
};

/** A request handler for {@link serveHardened}; a throw is answered with 500 and reported. */
export type HardenedHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Starts a server with the hardening of this module (timeouts, header and connection caps,
 * a `clientError` answer, no throw escaping `handler`) around any handler: the operator's
 * endpoints and the webhook receiver share it.
 */
export async function serveHardened(
  addr: string,
  handler: HardenedHandler,
  opts: {
    readonly limits?: Partial<EndpointLimits>;
    readonly onError?: (source: 'client' | 'handler', err: unknown) => void;
    /** Serve HTTPS with this certificate; {@link EndpointServer.setCertificate} replaces it. */
    readonly tls?: ServingCertificate;
  } = {},
): Promise<EndpointServer | undefined> {
  const at = parseAddress(addr);
  if (!at) return undefined;
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const report = (source: 'client' | 'handler', err: unknown) => {
    try {
      opts.onError?.(source, err);
    } catch {
      // A failing reporter must not turn a handled error into an unhandled one.
    }
  };
  const options = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // How often the header and request timeouts are checked (Node's default is 30 s).
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    requireHostHeader: false,
  };
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    try {
      handler(req, res);
    } catch (err) {
      report('handler', err);
      send(res, 500, 'internal error\n');
    }
  };
  const server: Server = opts.tls
    ? createHttpsServer(
        // A handshake gets the time headers get: Node's default, 120 s, would let a client that
        // never finishes one hold a connection slot for two minutes.
        { ...options, ...opts.tls, handshakeTimeout: limits.headersTimeoutMs, minVersion: 'TLSv1.2' },
        listener,
      )
    : createServer(options, listener);
  server.maxConnections = limits.maxConnections;
  const undecided = new Set<Socket>();
  if (opts.tls) answerPlainHttp(server as HttpsServer, limits.headersTimeoutMs, undecided, report);
  // An HTTPS server passes its TLS failures (a handshake that times out or fails) here too; no
  // HTTP answer can be written on a connection without a session, so it is closed.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    report('client', err);
    if (!socket.writable || /^ERR_(?:TLS|SSL)_/.test(err.code ?? '')) {
      socket.destroy();
      return;
    }
    const status =
      err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
    );
    socket.destroySoon?.();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A listening server's later errors (e.g. EMFILE on accept) are reported, not thrown.
  server.on('error', (err) => report('client', err));
  const info = server.address() as AddressInfo;
  return {
    address: `${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`,
    ...(opts.tls
      ? { setCertificate: (c: ServingCertificate) => (server as HttpsServer).setSecureContext(c) }
      : {}),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of undecided) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What a plain HTTP request to an HTTPS port is told. */
export const PLAIN_HTTP_ANSWER =
  'this port serves HTTPS: use https:// (for Prometheus, scheme: https in the ServiceMonitor or PodMonitor endpoint)\n';

/**
 * Answers a plain HTTP request to an HTTPS server with 400 in clear text, as Go's servers do,
 * instead of a connection closed without a word: a scraper left at `scheme: http` then says
 * why. The first byte decides: a TLS record starts with 0x16 (handshake), an HTTP request with
 * a method's capital letter. A connection that sends nothing is cut after `timeoutMs`, as a
 * stalled handshake is; `undecided` holds the connections still waiting, for `close`.
 */
function answerPlainHttp(
  server: HttpsServer,
  timeoutMs: number,
  undecided: Set<Socket>,
  report: (source: 'client', err: unknown) => void,
): void {
  const tlsListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    undecided.add(socket);
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    const settle = () => {
      clearTimeout(timer);
      undecided.delete(socket);
      socket.off('readable', decide);
      socket.off('error', drop);
      socket.off('close', settle);
    };
    // Before TLS owns the socket nothing else listens: an unhandled 'error' would end the process.
    const drop = (err: Error) => {
      settle();
      report('client', err);
    };
    const decide = () => {
      const first: Buffer | null = socket.read();
      if (first === null) return;
      settle();
      const byte = first[0] ?? 0x16;
      if (byte < 0x41 || byte > 0x5a) {
        // TLS reads what the socket has buffered before it takes the connection over.
        socket.unshift(first);
        for (const listener of tlsListeners) listener.call(server, socket);
        return;
      }
      const err = Object.assign(new Error('client sent plain HTTP to the HTTPS port'), {
        code: 'ERR_HTTP_REQUEST_TO_HTTPS_PORT',
      });
      report('client', err);
      socket.on('error', () => {});
      socket.end(
        `HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(PLAIN_HTTP_ANSWER)}\r\n\r\n${PLAIN_HTTP_ANSWER}`,
      );
    };
    socket.on('readable', decide);
    socket.on('error', drop);
    socket.on('close', settle);
  });
}

/** Starts a server for the given endpoints. */
export async function serveEndpoints(
  addr: string,
  endpoints: EndpointOptions,
): Promise<EndpointServer | undefined> {
  const limits = { ...DEFAULT_LIMITS, ...endpoints.limits };
  const report = (source: 'client' | 'handler', err: unknown) => {
    try {
      endpoints.onError?.(source, err);
    } catch {
      // A failing reporter must not turn a handled error into an unhandled one.
    }
  };
  return serveHardened(addr, (req, res) => answer({ ...endpoints, onError: report }, limits, req, res), {
    limits,
    onError: report,
    ...(endpoints.tls ? { tls: endpoints.tls } : {}),
  });
}
