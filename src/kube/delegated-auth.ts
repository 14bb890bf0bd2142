/**
 * Kubernetes-delegated authentication and authorization for the operator's `/metrics`, the
 * way kube-rbac-proxy and controller-runtime's metrics filters do it: the bearer token a
 * scraper sends is checked with a TokenReview, and the user it names with a
 * SubjectAccessReview for `get` on the non-resource URL `/metrics`. A cluster admin grants a
 * scraper (Prometheus' ServiceAccount) that right with RBAC, as for any other component; no
 * shared secret lives in git or in a Secret.
 *
 * Answers are cached per token (a hash of it, never the token) for a short while, allowed
 * and refused alike, so a scrape every 15–30 s costs the API server two requests a minute at
 * most; the cache is bounded, so a flood of made-up tokens cannot grow it.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import type { ApiObject, KubeClient, ResourceType } from './api.ts';

/** What the API server said about a request's credentials. */
export type MetricsAccess =
  /** The token names a user allowed to `get` the path. */
  | { readonly verdict: 'allowed' }
  /** No token, or one the API server does not accept. */
  | { readonly verdict: 'unauthenticated' }
  /** A valid token whose user may not read the path. */
  | { readonly verdict: 'forbidden'; readonly user: string }
  /** The API server could not be asked; the scraper should try again. */
  | { readonly verdict: 'unavailable'; readonly reason: string };

/** Decides whether the bearer token of a request may read a path. */
export type MetricsAuthorizer = (token: string | undefined) => Promise<MetricsAccess>;

const TOKEN_REVIEWS: ResourceType = {
  group: 'authentication.k8s.io',
  version: 'v1',
  plural: 'tokenreviews',
  kind: 'TokenReview',
  namespaced: false,
};
const ACCESS_REVIEWS: ResourceType = {
  group: 'authorization.k8s.io',
  version: 'v1',
  plural: 'subjectaccessreviews',
  kind: 'SubjectAccessReview',
  namespaced: false,
};

/** A TokenReview or SubjectAccessReview: created, never stored, answered in its status. */
interface Review<Status> extends ApiObject {
  readonly spec: Readonly<Record<string, unknown>>;
  readonly status?: Status;
}

interface TokenReviewStatus {
  readonly authenticated?: boolean;
  readonly user?: {
    readonly username?: string;
    readonly uid?: string;
    readonly groups?: readonly string[];
    readonly extra?: Readonly<Record<string, readonly string[]>>;
  };
}

/** Options of {@link delegatedAuthorizer}. */
export interface DelegatedAuthOptions {
  /** The non-resource path the reviews ask about. @default '/metrics' */
  readonly path?: string;
  /** How long an answer is reused for the same token. @default 60 s */
  readonly cacheMs?: number;
  /** Tokens remembered at once; the oldest are forgotten first. @default 256 */
  readonly maxEntries?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/**
 * An authorizer that asks the API server through `client`, which needs `create` on
 * `tokenreviews` and `subjectaccessreviews` (the install's ClusterRole grants both).
 */
export function delegatedAuthorizer(
  client: KubeClient,
  options: DelegatedAuthOptions = {},
): MetricsAuthorizer {
  const path = options.path ?? '/metrics';
  const cacheMs = options.cacheMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 256;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { readonly access: MetricsAccess; readonly until: number }>();

  const review = async (token: string): Promise<MetricsAccess> => {
    const tokenReview = await client.create<Review<TokenReviewStatus>>(TOKEN_REVIEWS, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      metadata: {},
      spec: { token },
    });
    const status = tokenReview.status;
    if (!status?.authenticated || !status.user?.username) return { verdict: 'unauthenticated' };
    const { username, uid, groups, extra } = status.user;
    const access = await client.create<Review<{ readonly allowed?: boolean }>>(ACCESS_REVIEWS, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: {
        user: username,
        ...(uid ? { uid } : {}),
        ...(groups ? { groups } : {}),
        ...(extra ? { extra } : {}),
        nonResourceAttributes: { path, verb: 'get' },
      },
    });
    return access.status?.allowed ? { verdict: 'allowed' } : { verdict: 'forbidden', user: username };
  };

  return async (token) => {
    if (!token) return { verdict: 'unauthenticated' };
    const key = createHash('sha256').update(token).digest('base64');
    const hit = cache.get(key);
    if (hit && hit.until > now()) return hit.access;
    let access: MetricsAccess;
    try {
      access = await review(token);
    } catch (err) {
      // Not cached: the next scrape asks again.
      return { verdict: 'unavailable', reason: (err as Error).message };
    }
    cache.delete(key);
    cache.set(key, { access, until: now() + cacheMs });
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
    return access;
  };
}
