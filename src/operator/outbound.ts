/**
 * The one gate for every URL the operator fetches on a tenant's behalf (the GitHub and GitHub
 * App API derived from a Workspace's repo host, Jira `baseUrl`, context sources templated from
 * issue text, Linear enrichment). A tenant controls these URLs, so without a gate a Task could
 * make the operator send its credentials (the signed App JWT) to any host, or probe the
 * cluster network from inside it (SSRF).
 *
 * {@link guardedFetch} allows a URL only when
 * - its scheme is `https:` (plain `http:` only for an origin the cluster admin trusted),
 * - its host is one the cluster admin allowed (`KelosConfig.spec.outbound.allowedHosts`:
 *   exact names or `*.suffix`), or its origin is trusted (`--github-api-url`),
 * - every address the host resolves to is public: private, loopback, link-local, CGNAT,
 *   multicast and reserved ranges are refused unless `allowPrivateNetworks` (trusted origins
 *   are exempt). The check runs inside the connection's own DNS lookup, so the address
 *   checked is the address connected to (no DNS-rebinding window),
 * - and, for each redirect, the same again (at most {@link OutboundPolicy.maxRedirects}; the
 *   `Authorization` header is dropped when a redirect leaves the origin).
 * The whole exchange, redirects included, has one deadline, and the response body is capped.
 *
 * Written on `node:http(s)` rather than the global `fetch`: `fetch` offers no hook into its DNS
 * lookup, and pinning the checked address needs one (undici's `Agent` would, at the cost of a
 * dependency for a hundred lines).
 *
 * @packageDocumentation
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** What the operator may fetch on a tenant's behalf; built from the KelosConfig and flags. */
export interface OutboundPolicy {
  /** Host names allowed: exact (`api.github.com`) or a subdomain wildcard (`*.example.com`). */
  readonly allowedHosts: readonly string[];
  /** Let allowed hosts resolve to private, loopback or link-local addresses. */
  readonly allowPrivateNetworks: boolean;
  /**
   * Origins the cluster admin named explicitly (e.g. `--github-api-url`): allowed whatever
   * they resolve to, over `http:` too.
   */
  readonly trustedOrigins: readonly string[];
  /** Deadline of the whole exchange, redirects included. */
  readonly timeoutMs: number;
  /** Redirects followed. Default 5. */
  readonly maxRedirects?: number;
  /** Largest response body read. Default 1 MiB. */
  readonly maxResponseBytes?: number;
}

/** Hosts allowed when the KelosConfig names none. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = ['api.github.com', 'github.com'];

/** The policy when no KelosConfig exists and no flag is set. */
export const DEFAULT_OUTBOUND_POLICY: OutboundPolicy = {
  allowedHosts: DEFAULT_ALLOWED_HOSTS,
  allowPrivateNetworks: false,
  trustedOrigins: [],
  timeoutMs: 10_000,
};

/** A URL the policy refused; the message says which rule. */
export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefusedError';
}

/** Ranges refused by default (RFC 6890 special-purpose, plus loopback, link-local, ULA). */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

/** Whether `address` (an IP literal) lies in a private, loopback, link-local or reserved range. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1] as string, 'ipv4');
  return PRIVATE.check(address, 'ipv6');
}

/** Whether `host` matches an allowed-host entry (exact, or `*.suffix` for subdomains). */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return allowed.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith('*.') ? h.endsWith(e.slice(1)) && h.length > e.length - 1 : h === e;
  });
}

/** Test seams: DNS and the clock of the deadline. */
export interface OutboundDeps {
  readonly lookup?: (host: string, cb: (err: Error | null, addresses: LookupAddress[]) => void) => void;
}

const defaultLookup: NonNullable<OutboundDeps['lookup']> = (host, cb) =>
  dnsLookup(host, { all: true }, (err, addresses) => cb(err, addresses ?? []));

/** Checks a URL against the policy before connecting; returns whether its origin is trusted. */
function admit(url: URL, policy: OutboundPolicy): { trusted: boolean } {
  const trusted = policy.trustedOrigins.some((o) => {
    try {
      return new URL(o).origin === url.origin;
    } catch {
      return false;
    }
  });
  if (url.protocol !== 'https:' && !(trusted && url.protocol === 'http:')) {
    throw new OutboundRefusedError(`${url.origin}: only https URLs may be fetched (got ${url.protocol})`);
  }
  if (url.username || url.password)
    throw new OutboundRefusedError(`${url.origin}: URLs with credentials are refused`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!trusted && !hostAllowed(host, policy.allowedHosts)) {
    throw new OutboundRefusedError(
      `host ${host} is not in the allowed outbound hosts (KelosConfig spec.outbound.allowedHosts)`,
    );
  }
  // Node skips the lookup for IP literals, so they are checked here.
  if (!trusted && !policy.allowPrivateNetworks && isIP(host) && isPrivateAddress(host)) {
    throw new OutboundRefusedError(
      `host ${host} resolves to ${host}, a private, loopback or link-local address (allowed only with KelosConfig spec.outbound.allowPrivateNetworks)`,
    );
  }
  return { trusted };
}

/** A DNS lookup that refuses private addresses, so the address checked is the one used. */
const guardedLookup =
  (policy: OutboundPolicy, trusted: boolean, lookup: NonNullable<OutboundDeps['lookup']>): LookupFunction =>
  (hostname, options, callback) => {
    const done = callback as (err: Error | null, address: string | LookupAddress[], family?: number) => void;
    const check = (addresses: LookupAddress[]) => {
      if (!trusted && !policy.allowPrivateNetworks) {
        const bad = addresses.find((a) => isPrivateAddress(a.address));
        if (bad) {
          return done(
            new OutboundRefusedError(
              `host ${hostname} resolves to ${bad.address}, a private, loopback or link-local address (allowed only with KelosConfig spec.outbound.allowPrivateNetworks)`,
            ),
            '',
          );
        }
      }
      if (addresses.length === 0) return done(new Error(`host ${hostname} has no address`), '');
      if ((options as { all?: boolean }).all) return done(null, addresses);
      const first = addresses[0] as LookupAddress;
      done(null, first.address, first.family);
    };
    if (isIP(hostname)) return check([{ address: hostname, family: isIP(hostname) }]);
    lookup(hostname, (err, addresses) => (err ? done(err, '') : check(addresses)));
  };

interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

function once(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  lookup: LookupFunction,
  signal: AbortSignal,
  maxBytes: number,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, { method, headers, lookup, signal, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooBig = false;
      res.on('data', (c: Buffer) => {
        if (tooBig) return;
        size += c.length;
        if (size > maxBytes) {
          tooBig = true;
          reject(new OutboundRefusedError(`${url.origin}: response larger than ${maxBytes} bytes`));
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
      res.on('close', () => {
        if (!res.complete) reject(new Error(`${url.origin}: response cut short`));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const headersOf = (init: RequestInit | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  new Headers(init?.headers).forEach((v, k) => {
    out[k] = v;
  });
  return out;
};

/**
 * `fetch` through the outbound policy. Resolves with a `Response` (redirects already
 * followed); rejects with {@link OutboundRefusedError} when the policy refuses a URL on the
 * way, and with an error naming the deadline when the exchange takes longer than
 * `policy.timeoutMs`. Only string bodies are sent.
 */
export async function guardedFetch(
  input: string | URL,
  init: RequestInit | undefined,
  policy: OutboundPolicy,
  deps: OutboundDeps = {},
): Promise<Response> {
  const lookup = deps.lookup ?? defaultLookup;
  const maxRedirects = policy.maxRedirects ?? 5;
  const maxBytes = policy.maxResponseBytes ?? 1 << 20;
  if (init?.body !== undefined && init.body !== null && typeof init.body !== 'string') {
    throw new TypeError('guardedFetch sends string bodies only');
  }
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`outbound request took longer than ${policy.timeoutMs} ms`)),
    policy.timeoutMs,
  );
  init?.signal?.addEventListener('abort', () => controller.abort(init.signal?.reason), { once: true });
  let url = new URL(input);
  let method = (init?.method ?? 'GET').toUpperCase();
  let body = (init?.body as string | undefined) ?? undefined;
  const headers = headersOf(init);
  try {
    for (let hop = 0; ; hop++) {
      const { trusted } = admit(url, policy);
      let res: RawResponse;
      try {
        res = await once(
          url,
          method,
          headers,
          body,
          guardedLookup(policy, trusted, lookup),
          controller.signal,
          maxBytes,
        );
      } catch (err) {
        if (controller.signal.aborted) throw controller.signal.reason;
        throw err;
      }
      const location = res.headers.location;
      if (res.status >= 300 && res.status < 400 && location) {
        if (hop >= maxRedirects)
          throw new OutboundRefusedError(`${url.origin}: more than ${maxRedirects} redirects`);
        const next = new URL(location, url);
        if (next.origin !== url.origin) delete headers['authorization'];
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
          delete headers['content-type'];
          delete headers['content-length'];
        }
        url = next;
        continue;
      }
      const out = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(', ') : v);
      }
      const nullBody = res.status === 204 || res.status === 304 || method === 'HEAD';
      return new Response(nullBody ? null : new Uint8Array(res.body), { status: res.status, headers: out });
    }
  } finally {
    clearTimeout(timer);
  }
}

/** A `fetch`-shaped function bound to a policy (read per call, so a KelosConfig change applies). */
export const guardedFetcher =
  (policy: () => OutboundPolicy, deps: OutboundDeps = {}): typeof globalThis.fetch =>
  (input, init) =>
    guardedFetch(input instanceof Request ? input.url : input, init, policy(), deps);
