/**
 * What every source discovers: a work item, and the template variables a spawned Task's
 * prompt, branch, name and metadata are rendered over — exactly upstream's set
 * (`source.WorkItemToTemplateVars`): every key is always present, so `missingkey=error`
 * never trips on a source that has no value for it.
 *
 * @packageDocumentation
 */
import type { GoValue } from '../../template/go-template.ts';
import type { POLLING_KEYS } from '../../template/variables.ts';

/** One item a source found. */
export interface WorkItem {
  /** Identity within the source: issue number, Jira key, cron tick `YYYYMMDD-HHMM`. */
  readonly id: string;
  /** Issue or PR number; numeric suffix of a Jira key; 0 for cron. */
  readonly number: number;
  readonly title: string;
  readonly body: string;
  readonly url: string;
  readonly labels: readonly string[];
  /** Conversation comments, joined as upstream. */
  readonly comments: string;
  /** `Issue`, `PR`, a Jira issue type name. */
  readonly kind: string;
  /** Pull requests: head branch. */
  readonly branch?: string;
  /** Pull requests: `approved`, `changes_requested` or empty. */
  readonly reviewState?: string;
  /** Pull requests: inline review comments on the head commit. */
  readonly reviewComments?: string;
  /** Cron: the tick. */
  readonly time?: Date;
  /** Cron: the schedule. */
  readonly schedule?: string;
  /** When the newest authorized trigger (comment or qualifying review) was made; drives retrigger. */
  readonly triggerTime?: Date;
  /** Annotations the spawned Task carries about its source (`kelos.dev/source-*`). */
  readonly annotations: Readonly<Record<string, string>>;
}

/** Separator between comments in `{{.Comments}}`, as upstream. */
export const COMMENT_SEPARATOR = '\n---\n';

/**
 * Cap of `{{.Comments}}`: the comment bodies' UTF-8 bytes, separators not counted, as
 * upstream's `concatBodies`.
 */
export const MAX_COMMENTS_BYTES = 64 * 1024;

/**
 * Joins comment bodies (oldest first) with {@link COMMENT_SEPARATOR}. Upstream's rule, byte for
 * byte: all of them when their bodies total at most {@link MAX_COMMENTS_BYTES}; else the newest
 * run of bodies that fits, stopping at the first that does not, so the oldest are dropped. The
 * separators are left out of the count, or an issue upstream renders whole loses its oldest
 * comment here.
 */
export const joinComments = (bodies: readonly string[]): string => {
  const kept: string[] = [];
  let remaining = MAX_COMMENTS_BYTES;
  for (let i = bodies.length - 1; i >= 0; i--) {
    const size = Buffer.byteLength(bodies[i]!);
    if (size > remaining) break;
    kept.unshift(bodies[i]!);
    remaining -= size;
  }
  return kept.join(COMMENT_SEPARATOR);
};

/** Go's RFC3339 for a UTC time: no fractional seconds, `Z`. */
export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The template variables of an item: exactly the polling keys `src/template/variables.ts`
 * declares (the type holds the set; `work-item.test.ts` holds the types). `context` (the
 * fetched contextSources) is added as `Context` only when the spawner has context sources,
 * as upstream.
 */
export const templateVars = (item: WorkItem, context?: Readonly<Record<string, string>>): GoValue => {
  const vars: Record<(typeof POLLING_KEYS)[number], GoValue> & { Context?: GoValue } = {
    ID: item.id,
    Number: item.number,
    Title: item.title,
    Body: item.body,
    URL: item.url,
    Labels: item.labels.join(', '),
    Comments: item.comments,
    Kind: item.kind || 'Issue',
    Branch: item.branch ?? '',
    ReviewState: item.reviewState ?? '',
    ReviewComments: item.reviewComments ?? '',
    Time: item.time ? rfc3339(item.time) : '',
    Schedule: item.schedule ?? '',
  };
  if (context) vars.Context = { ...context };
  return vars;
};
