/**
 * `contextSources`: extra context fetched per item before its Task is created, read in
 * templates as `.Context.<name>`. As upstream: URL, headers and body are Go templates over
 * the item's variables; HTTPS unless `allowInsecure`; `headersFrom` (Secrets) win over
 * `headers`; `githubAppAuth` adds `Authorization: token <installation token>` unless an
 * Authorization header is set; `timeoutSeconds` (default 10) and `maxResponseBytes`
 * (default 32768) bound the call; a JSONPath `responseFilter` keeps part of a JSON answer;
 * `failurePolicy: Fail` skips the item, `Ignore` yields an empty string. Sources are fetched
 * in parallel.
 *
 * Past upstream: every call goes through the outbound guard, so a URL templated from an
 * issue title cannot reach the cluster's private addresses; a response over the limit is
 * refused rather than cut mid-value.
 *
 * @packageDocumentation
 */
import type { Static } from '@sinclair/typebox';
import { JSONPath } from 'jsonpath-plus';
import type { ContextSourceSchema } from '../../api/task-spawner/index.ts';
import { type GoValue, renderTemplate } from '../../template/go-template.ts';
import type { OutboundFetch } from '../outbound.ts';

/** One context source of a task template. */
export type ContextSource = Static<typeof ContextSourceSchema>;

/** The I/O a context fetch needs, from the reconciler. */
export interface ContextDeps {
  readonly fetch: OutboundFetch;
  /** A Secret value, in the spawner's namespace. */
  readonly secret: (name: string, key: string) => Promise<string>;
  /** A GitHub App installation token from the App Secret `secretName`. */
  readonly githubAppToken: (secretName: string, apiBaseURL: string | undefined) => Promise<string>;
}

/** The fetched context, or why the item must be skipped. */
export type ContextResult =
  | { readonly ok: true; readonly context: Record<string, string> }
  | { readonly ok: false; readonly error: string };

/** Reads at most `max` bytes of a body; more is an error. */
export const readLimited = async (res: Response, max: number): Promise<string> => {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel();
    throw new Error(`response of ${declared} bytes exceeds maxResponseBytes ${max}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += chunk.byteLength;
    if (size > max) throw new Error(`response exceeds maxResponseBytes ${max}`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
};

/** Applies a JSONPath filter: one match as itself (strings unquoted), several as a JSON array. */
export const applyJsonPath = (text: string, expression: string): string => {
  const matches = JSONPath({ path: expression, json: JSON.parse(text) as object, wrap: true }) as unknown[];
  if (matches.length === 0) return '';
  const one = matches.length === 1 ? matches[0] : matches;
  return typeof one === 'string' ? one : JSON.stringify(one);
};

const fetchOne = async (source: ContextSource, vars: GoValue, deps: ContextDeps): Promise<string> => {
  const http = source.http;
  if (!http) throw new Error('only http context sources are supported');
  const opts = { name: `contextSources/${source.name}`, missingKey: 'error' as const };
  const url = renderTemplate(http.url, vars, opts);
  const headers = new Headers();
  for (const [k, v] of Object.entries(http.headers ?? {})) headers.set(k, renderTemplate(v, vars, opts));
  // A Secret that cannot be read is named with the field that names it.
  const field = async <T>(path: string, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (e) {
      throw new Error(`${path}: ${(e as Error).message}`);
    }
  };
  for (const [i, h] of (http.headersFrom ?? []).entries())
    headers.set(
      h.header,
      await field(`http.headersFrom[${i}]`, () => deps.secret(h.secretName, h.secretKey)),
    );
  if (http.githubAppAuth && !headers.has('authorization')) {
    const app = http.githubAppAuth;
    const token = await field('http.githubAppAuth', () =>
      deps.githubAppToken(app.secretRef.name, app.apiBaseURL),
    );
    headers.set('authorization', `token ${token}`);
  }
  const method = http.method ?? 'GET';
  const res = await deps.fetch(url, {
    method,
    headers,
    body: method === 'POST' && http.body ? renderTemplate(http.body, vars, opts) : undefined,
    timeoutMs: (http.timeoutSeconds ?? 10) * 1000,
    allowInsecure: http.allowInsecure ?? false,
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  const text = await readLimited(res, http.maxResponseBytes ?? 32768);
  return http.responseFilter ? applyJsonPath(text, http.responseFilter.expression) : text;
};

/**
 * Fetches every context source for one item.
 * @param vars the item's template variables (without `Context`)
 */
export async function fetchContext(
  sources: readonly ContextSource[],
  vars: GoValue,
  deps: ContextDeps,
): Promise<ContextResult> {
  const results = await Promise.allSettled(sources.map((s) => fetchOne(s, vars, deps)));
  const context: Record<string, string> = {};
  for (const [i, r] of results.entries()) {
    const s = sources[i]!;
    if (r.status === 'fulfilled') context[s.name] = r.value;
    else if ((s.failurePolicy ?? 'Fail') === 'Ignore') context[s.name] = '';
    else {
      const e = r.reason as Error;
      const why =
        e?.name === 'TimeoutError' ? `timed out after ${s.http?.timeoutSeconds ?? 10}s` : e?.message;
      return { ok: false, error: `contextSources ${s.name}: ${why}` };
    }
  }
  return { ok: true, context };
}
