/**
 * The one way the operator fetches a URL on a tenant's behalf (GitHub and Jira polling,
 * context sources, GitHub App tokens): {@link createOutboundFetch} returns a `fetch` that
 *
 * - accepts only `http:`/`https:` (and plain `http:` only when the caller allows it);
 * - accepts only hosts the admin allowed (exact names or `*.suffix`), when a list is given;
 * - resolves the host and refuses loopback, private, link-local, CGNAT, multicast and
 *   unspecified addresses (IPv4, IPv6 and IPv4-mapped IPv6) unless `allowPrivate` is set,
 *   which tests on loopback and on-premises GitHub Enterprise need explicitly;
 * - follows redirects itself (`redirect: 'manual'`), re-checking every hop, at most
 *   {@link OutboundOptions.maxRedirects}, dropping `Authorization` when a hop changes origin;
 * - bounds every call with `AbortSignal.timeout`, combined with the caller's signal;
 * - resolves a host name once and connects only to the addresses it checked (an undici
 *   `Agent` whose `lookup` answers from those addresses), so a name cannot resolve public for
 *   the check and private for the connect (DNS rebinding);
 * - ends a response body larger than {@link OutboundOptions.maxResponseBytes} (10 MiB by
 *   default) while it is read, with an {@link OutboundResponseTooLargeError}.
 *
 * Node's `net.BlockList` does the range matching, so no CIDR code lives here; undici (the
 * library under Node's own `fetch`, same major version) provides the pinning dispatcher.
 *
 * @packageDocumentation
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent } from 'undici';
import { KELOS_CONFIG_NAME } from '../api/group.ts';

/** Why the guard refused a request; `url` is the URL it refused (after redirects). */
export class OutboundRefusedError extends Error {
  readonly url: string;
  constructor(url: string, reason: string) {
    super(`outbound request to ${url} refused: ${reason}`);
    this.name = 'OutboundRefusedError';
    this.url = url;
  }
}

/**
 * The guard could not resolve the host it was to check: a DNS failure, not a refusal, so its
 * message says what DNS answered (`cannot resolve api.github.com (DNS: ENOTFOUND)`), and
 * `reason` is that part alone for callers that name the call themselves.
 */
export class OutboundLookupError extends Error {
  readonly url: string;
  readonly reason: string;
  constructor(url: string, reason: string, cause?: unknown) {
    super(`outbound request to ${url} failed: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'OutboundLookupError';
    this.url = url;
    this.reason = reason;
  }
}

/** What a failed lookup of `host` says: DNS's code (`ENOTFOUND`, `EAI_AGAIN`), else its message. */
export const lookupFailure = (host: string, e: unknown): string => {
  const err = e as { code?: unknown; message?: unknown } | undefined;
  const why = typeof err?.code === 'string' ? err.code : String(err?.message ?? e);
  return `cannot resolve ${host} (DNS: ${why})`;
};

/** A response body went over the guard's size limit; `url` is the URL that sent it. */
export class OutboundResponseTooLargeError extends Error {
  readonly url: string;
  constructor(url: URL, limit: number) {
    super(
      `response from ${url.host} (${url.origin}${url.pathname}) is larger than ${limit} bytes, the outbound limit; it was not read further`,
    );
    this.name = 'OutboundResponseTooLargeError';
    this.url = url.toString();
  }
}

/** Largest response body a guarded fetch reads by default: 10 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/** How a guarded fetch behaves. */
export interface OutboundOptions {
  /**
   * Hosts (lower case) that may be fetched: `api.github.com`, or `*.example.com` for any
   * subdomain. Unset: any public host.
   */
  readonly allowedHosts?: readonly string[];
  /** Allow loopback, private and link-local addresses (tests, on-premises servers). @default false */
  readonly allowPrivate?: boolean;
  /** Allow plain `http:`. @default false */
  readonly allowInsecure?: boolean;
  /** Per-call timeout in ms, unless the call gives its own. @default 10000 */
  readonly timeoutMs?: number;
  /** Redirect hops followed. @default 5 */
  readonly maxRedirects?: number;
  /** Largest response body read, in bytes. @default {@link DEFAULT_MAX_RESPONSE_BYTES} */
  readonly maxResponseBytes?: number;
  /** Name resolution, for tests. @default node:dns lookup of every address */
  readonly resolve?: (host: string) => Promise<readonly string[]>;
  /** The fetch underneath. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /**
   * Origins the cluster admin named explicitly (`--github-api-url`): allowed over `http:` and
   * whatever they resolve to; hosts and redirects elsewhere are still checked.
   */
  readonly trustedOrigins?: readonly string[];
  /**
   * The settings that allow what the guard refuses, named in its refusals so an on-call
   * engineer reads the fix beside the refusal: the list of hosts and the switch for private
   * addresses (the KelosConfig's, for a policy's guard). Unset: a refusal names none.
   */
  readonly settings?: OutboundSettings;
}

/** Where the admin allows hosts and private addresses, as a refusal names them. */
export interface OutboundSettings {
  /** The setting listing allowed hosts, e.g. `KelosConfig kelos spec.outbound.allowedHosts`. */
  readonly allowedHosts: string;
  /** The switch for private addresses, e.g. `KelosConfig kelos spec.outbound.allowPrivateNetworks`. */
  readonly allowPrivate: string;
}

/** The KelosConfig fields of {@link OutboundPolicy}, as refusals under a policy name them. */
export const KELOS_CONFIG_OUTBOUND_SETTINGS: OutboundSettings = {
  allowedHosts: `KelosConfig ${KELOS_CONFIG_NAME} spec.outbound.allowedHosts`,
  allowPrivate: `KelosConfig ${KELOS_CONFIG_NAME} spec.outbound.allowPrivateNetworks`,
};

/** Hosts of an allow list a refusal quotes; a longer list is cut, saying how many are left out. */
const QUOTED_HOSTS = 5;

/**
 * Why a host not on the allow list is refused, and, with `settings`, how to allow it: the
 * list to add it to (with what it holds now) and, unless private addresses are allowed
 * already, the switch it also needs when it is private. A host name is not resolved for the
 * message, so whether it is private is said as a condition.
 */
export const hostNotAllowed = (
  host: string,
  allowed: readonly string[],
  allowPrivate: boolean,
  settings: OutboundSettings | undefined,
): string => {
  const refused = `host ${host} is not in the allowed hosts`;
  if (!settings) return refused;
  const shown = allowed.slice(0, QUOTED_HOSTS).join(', ');
  const more = allowed.length > QUOTED_HOSTS ? ` and ${allowed.length - QUOTED_HOSTS} more` : '';
  const now = allowed.length ? `now ${shown}${more}` : 'now empty';
  const privately = allowPrivate
    ? ''
    : isIP(host)
      ? isNonPublicAddress(host)
        ? `, and set ${settings.allowPrivate}: true, since ${host} is a private address`
        : ''
      : `, and set ${settings.allowPrivate}: true if it resolves to a private address`;
  return `${refused}; to allow it, add it to ${settings.allowedHosts} (${now})${privately}`;
};

/** Why an allowed host at a private address is refused, and, with `settings`, the switch that allows it. */
export const privateAddressRefused = (
  host: string,
  address: string,
  settings: OutboundSettings | undefined,
): string =>
  `${host} resolves to non-public address ${address}${settings ? `; to allow it, set ${settings.allowPrivate}: true` : ''}`;

/** Per-call options on top of `RequestInit`. */
export interface OutboundInit extends RequestInit {
  /** Timeout of this call in ms. */
  readonly timeoutMs?: number;
  /**
   * Allow plain `http:` for this call (a context source's `allowInsecure`). Host and address
   * rules still apply.
   */
  readonly allowInsecure?: boolean;
}

/** A fetch that only reaches what the admin allowed. */
export type OutboundFetch = (url: string | URL, init?: OutboundInit) => Promise<Response>;

const BLOCKED = (() => {
  const b = new BlockList();
  for (const [net, prefix] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const)
    b.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of [
    ['::', 128],
    ['::1', 128],
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
    ['64:ff9b::', 96],
  ] as const)
    b.addSubnet(net, prefix, 'ipv6');
  return b;
})();

/** Whether an IP address is loopback, private, link-local or otherwise not public. */
export const isNonPublicAddress = (address: string): boolean => {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return BLOCKED.check(mapped[1]!, 'ipv4');
  return BLOCKED.check(address, 'ipv6');
};

/** Whether `host` matches an entry of an allow list (`name` or `*.suffix`). */
export const hostAllowed = (host: string, allowed: readonly string[]): boolean =>
  allowed.some((a) => {
    const entry = a.toLowerCase();
    return entry.startsWith('*.') ? host.endsWith(entry.slice(1)) : host === entry;
  });

const defaultResolve = async (host: string): Promise<string[]> =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * The addresses the guard resolved and checked, by host name. The pinning agent connects only
 * to these; a name never checked (or forgotten) fails to connect instead of being looked up.
 * Only checked answers are stored, so requests under different policies may share it.
 */
const pinned = new Map<string, readonly string[]>();
/** Host names remembered at most; the oldest is forgotten first. */
const MAX_PINNED = 1000;

const pin = (host: string, addresses: readonly string[]): void => {
  pinned.delete(host);
  pinned.set(host, addresses);
  if (pinned.size > MAX_PINNED) pinned.delete(pinned.keys().next().value as string);
};

const pinnedLookup: LookupFunction = (hostname, options, callback) => {
  const family = options.family === 4 || options.family === 6 ? options.family : undefined;
  const entries = (pinned.get(hostname.toLowerCase()) ?? [])
    .map((address) => ({ address, family: isIP(address) }))
    .filter((e) => e.family !== 0 && (family === undefined || e.family === family));
  const first = entries[0];
  if (!first) {
    const err = Object.assign(new Error(`outbound guard: no checked address for ${hostname}`), {
      code: 'ENOTFOUND',
    });
    callback(err, '', 0);
  } else if (options.all) callback(null, entries);
  else callback(null, first.address, first.family);
};

let pinningAgent: Agent | undefined;
/** The one dispatcher of every pinned request (made on first use; its pool is shared). */
const pinningDispatcher = (): Agent => {
  pinningAgent ??= new Agent({ connect: { lookup: pinnedLookup } });
  return pinningAgent;
};

/** Null-body statuses: a `Response` with one of them may not be given a body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** `res` with its body ended by an error once more than `limit` bytes came. */
const capped = (res: Response, url: URL, limit: number): Response => {
  if (!res.body || NULL_BODY.has(res.status)) return res;
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) {
    void res.body.cancel().catch(() => {});
    throw new OutboundResponseTooLargeError(url, limit);
  }
  let seen = 0;
  const body = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        // Erroring the stream cancels the source, which closes the connection.
        if (seen > limit) controller.error(new OutboundResponseTooLargeError(url, limit));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
};

/** Builds the guarded fetch; see the module comment for what it checks. */
export function createOutboundFetch(options: OutboundOptions = {}): OutboundFetch {
  const resolve = options.resolve ?? defaultResolve;
  const doFetch = options.fetch ?? globalThis.fetch;
  const maxRedirects = options.maxRedirects ?? 5;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  const trusted = new Set(
    (options.trustedOrigins ?? []).flatMap((o) => {
      try {
        return [new URL(o).origin];
      } catch {
        return [];
      }
    }),
  );
  /** Checks a URL; resolves to whether the connection must be pinned to checked addresses. */
  const check = async (url: URL, insecure: boolean): Promise<boolean> => {
    const where = url.toString();
    if (trusted.has(url.origin) && (url.protocol === 'https:' || url.protocol === 'http:')) return false;
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (options.allowInsecure || insecure))) {
      throw new OutboundRefusedError(where, `scheme ${url.protocol} is not allowed`);
    }
    if (url.username || url.password) throw new OutboundRefusedError(where, 'credentials in the URL');
    const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
    if (options.allowedHosts && !hostAllowed(host, options.allowedHosts)) {
      throw new OutboundRefusedError(
        where,
        hostNotAllowed(host, options.allowedHosts, options.allowPrivate ?? false, options.settings),
      );
    }
    if (isIP(host)) {
      if (!options.allowPrivate && isNonPublicAddress(host)) {
        throw new OutboundRefusedError(where, privateAddressRefused(host, host, options.settings));
      }
      return false;
    }
    // Resolved once, here: the connection goes to these addresses, not to a second answer.
    let addresses: readonly string[];
    try {
      addresses = await resolve(host);
    } catch (e) {
      throw new OutboundLookupError(where, lookupFailure(host, e), e);
    }
    if (addresses.length === 0)
      throw new OutboundLookupError(where, `cannot resolve ${host} (DNS: no address)`);
    const bad = options.allowPrivate ? undefined : addresses.find(isNonPublicAddress);
    if (bad) throw new OutboundRefusedError(where, privateAddressRefused(host, bad, options.settings));
    pin(host, addresses);
    return true;
  };

  return async (input, init = {}) => {
    const { timeoutMs, signal, allowInsecure, ...rest } = init;
    const timeout = AbortSignal.timeout(timeoutMs ?? options.timeoutMs ?? 10_000);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let url = new URL(input);
    let request: RequestInit = { ...rest, signal: combined, redirect: 'manual' };
    for (let hop = 0; ; hop++) {
      const pinnedHop = await check(url, allowInsecure ?? false);
      const res = await doFetch(
        url,
        pinnedHop ? ({ ...request, dispatcher: pinningDispatcher() } as RequestInit) : request,
      );
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || res.status === 304 || !location)
        return capped(res, url, maxBytes);
      if (hop >= maxRedirects) {
        await res.body?.cancel();
        throw new OutboundRefusedError(url.toString(), `more than ${maxRedirects} redirects`);
      }
      await res.body?.cancel();
      const next = new URL(location, url);
      const headers = new Headers(request.headers);
      if (next.origin !== url.origin) headers.delete('authorization');
      // 303, and 301/302 after a POST, become a GET without a body, as browsers do.
      const toGet =
        res.status === 303 || ((res.status === 301 || res.status === 302) && request.method === 'POST');
      request = toGet ? { ...request, method: 'GET', body: null, headers } : { ...request, headers };
      url = next;
    }
  };
}

/**
 * What the operator may fetch on a tenant's behalf, from the admin's KelosConfig
 * (`spec.outbound`) and the flags; see `admin-config.ts`.
 */
export interface OutboundPolicy {
  /** Host names allowed: exact (`api.github.com`) or a subdomain wildcard (`*.example.com`). */
  readonly allowedHosts: readonly string[];
  /** Let allowed hosts resolve to private, loopback or link-local addresses. */
  readonly allowPrivateNetworks: boolean;
  /** Origins the admin named explicitly (`--github-api-url`); see {@link OutboundOptions.trustedOrigins}. */
  readonly trustedOrigins: readonly string[];
  /** Deadline of each call, redirects included. */
  readonly timeoutMs: number;
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

/** The guarded-fetch options of a policy. */
export const outboundOptions = (
  policy: OutboundPolicy,
  extra: Partial<OutboundOptions> = {},
): OutboundOptions => ({
  allowedHosts: policy.allowedHosts,
  allowPrivate: policy.allowPrivateNetworks,
  trustedOrigins: policy.trustedOrigins,
  timeoutMs: policy.timeoutMs,
  settings: KELOS_CONFIG_OUTBOUND_SETTINGS,
  ...extra,
});

/**
 * A guarded fetch under the policy in force at each call: `policy()` is read per call (the
 * operator's `admin().outbound`, which follows the KelosConfig), and the guard is rebuilt when
 * it returns a different object. `extra` is laid over the policy (tests: `resolve`, `fetch`).
 */
export function liveOutboundFetch(
  policy: () => OutboundPolicy,
  extra: Partial<OutboundOptions> = {},
): OutboundFetch {
  let current: { policy: OutboundPolicy; fetch: OutboundFetch } | undefined;
  return (url, init) => {
    const now = policy();
    if (current?.policy !== now)
      current = { policy: now, fetch: createOutboundFetch(outboundOptions(now, extra)) };
    return current.fetch(url, init);
  };
}

/**
 * The fetches of the TaskSpawner reconciler, both under the live policy: `fetch` for every URL
 * a tenant's spawner names (GitHub, Jira, context sources), and `trustedFetch` for the admin's
 * `--github-api-url`, which may be private or plain HTTP but gets the policy's timeout.
 */
export function spawnerFetches(
  policy: () => OutboundPolicy,
  githubApiUrl: string | undefined,
  extra: Partial<OutboundOptions> = {},
): { fetch: OutboundFetch; trustedFetch?: OutboundFetch } {
  const fetch = liveOutboundFetch(policy, extra);
  if (!githubApiUrl) return { fetch };
  const trustedFetch = liveOutboundFetch(policy, {
    ...extra,
    allowedHosts: [new URL(githubApiUrl).hostname.toLowerCase()],
    allowPrivate: true,
    allowInsecure: true,
    // Only the flag's host is reached this way; the KelosConfig's list does not apply to it.
    settings: undefined,
  });
  return { fetch, trustedFetch };
}

/** One guarded call under `policy` (the policy's shape of {@link createOutboundFetch}). */
export const guardedFetch = (
  url: string | URL,
  init: OutboundInit | undefined,
  policy: OutboundPolicy,
  extra: Partial<OutboundOptions> = {},
): Promise<Response> => createOutboundFetch(outboundOptions(policy, extra))(url, init);

/** A `fetch`-shaped function bound to a policy read per call, so a KelosConfig change applies. */
export const guardedFetcher = (
  policy: () => OutboundPolicy,
  extra: Partial<OutboundOptions> = {},
): typeof globalThis.fetch => {
  const live = liveOutboundFetch(policy, extra);
  return (input, init) => live(input instanceof Request ? input.url : input, init as OutboundInit);
};
