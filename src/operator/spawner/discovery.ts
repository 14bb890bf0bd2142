/**
 * The typed outcome of one discovery pass of any source, which the TaskSpawner reconciler
 * turns into Tasks, a requeue-after, status conditions and metrics.
 *
 * @packageDocumentation
 */
import { OutboundLookupError, OutboundRefusedError } from '../outbound.ts';
import {
  type CallCounts,
  GitHubApiError,
  GitHubRateLimitError,
  type RateLimitState,
} from './github-client.ts';
import type { WorkItem } from './work-item.ts';

/** What a discovery pass found, or why it found nothing. */
export type Discovery =
  | {
      readonly kind: 'items';
      /** Matching items, in the source's order. */
      readonly items: readonly WorkItem[];
      /**
       * False when a page cap cut the listing short: an item missing from `items` may still
       * exist, so its queued Task must not be withdrawn.
       */
      readonly complete: boolean;
      /**
       * Pages the listing took. Pages are separate reads of a list that may change between
       * them (an item closed on page 1 moves page 2's first item onto it, unread), so an item
       * missing from a listing of several pages is not yet proof that it went away.
       */
      readonly pages?: number;
      /** API calls by status code. */
      readonly calls: CallCounts;
      /** GitHub's rate-limit headers after the pass (GitHub sources). */
      readonly rateLimit?: RateLimitState;
    }
  | {
      readonly kind: 'rate-limited';
      readonly scope: 'primary' | 'secondary';
      /** When to poll again (requeue-after = retryAt − now). */
      readonly retryAt: Date;
      readonly message: string;
      readonly calls: CallCounts;
    }
  | {
      readonly kind: 'error';
      readonly message: string;
      /** HTTP status, when the source answered. */
      readonly status?: number;
      readonly calls: CallCounts;
    };

/** The Discovery for an error thrown while discovering. */
export const discoveryFailure = (e: unknown, calls: CallCounts): Discovery => {
  if (e instanceof GitHubRateLimitError) {
    return { kind: 'rate-limited', scope: e.scope, retryAt: e.retryAt, message: e.message, calls };
  }
  if (e instanceof GitHubApiError) return { kind: 'error', message: e.message, status: e.status, calls };
  if (e instanceof OutboundRefusedError || e instanceof OutboundLookupError)
    return { kind: 'error', message: e.message, calls };
  const err = e as Error;
  const message =
    err?.name === 'TimeoutError' || err?.name === 'AbortError'
      ? `request timed out: ${err.message}`
      : `${err?.message ?? String(e)}${err?.cause ? `: ${(err.cause as Error).message ?? err.cause}` : ''}`;
  return { kind: 'error', message, calls };
};
