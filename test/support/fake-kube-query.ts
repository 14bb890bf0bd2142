/**
 * The pure pieces of the fake API server (`fake-kube.ts`): label and field selector strings
 * as `?labelSelector=` and `?fieldSelector=` carry them, and JSON merge patch (RFC 7386).
 * The selector parser is written by hand because `src/kube/label-selector.ts` parses only the
 * structured `metav1.LabelSelector`, never the string form a list or watch sends, and the
 * string grammar is small.
 *
 * @module
 */
import { labelValueError, matches, type Requirement, type Selector } from '../../src/kube/label-selector.ts';

/** A parsed selector string, or why it does not parse. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const KEY = /^[A-Za-z0-9][-A-Za-z0-9_./]*$/;

/** Splits on commas outside parentheses (`a in (x,y),b` is two requirements). */
const splitTop = (s: string): string[] => {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')') depth--;
    else if (s[i] === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.map((p) => p.trim()).filter((p) => p !== '');
};

/**
 * Parses a label selector string the way the API server does: `k=v`, `k==v`, `k!=v`, `k`,
 * `!k`, `k in (a,b)`, `k notin (a,b)`, joined by commas. An empty string selects everything.
 */
export function parseLabelSelector(s: string | undefined): Parsed<Selector> {
  const reqs: Requirement[] = [];
  for (const part of splitTop(s ?? '')) {
    const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
    const cmp = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    let req: Requirement | undefined;
    if (set) {
      const values = set[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      req = { key: set[1]!, operator: set[2] === 'in' ? 'In' : 'NotIn', values };
    } else if (cmp) {
      req = { key: cmp[1]!, operator: cmp[2] === '!=' ? 'NotIn' : 'In', values: [cmp[3]!] };
    } else if (part.startsWith('!')) {
      req = { key: part.slice(1).trim(), operator: 'DoesNotExist', values: [] };
    } else {
      req = { key: part, operator: 'Exists', values: [] };
    }
    if (!KEY.test(req.key)) return { ok: false, error: `unable to parse requirement: "${part}"` };
    const bad = req.values.map(labelValueError).find((e) => e !== undefined);
    if (bad) return { ok: false, error: `unable to parse requirement: ${bad}` };
    reqs.push(req);
  }
  return { ok: true, value: reqs };
}

/** Whether `labels` satisfy a parsed label selector. */
export const labelsMatch = (selector: Selector, labels: Record<string, string> | undefined): boolean =>
  matches(selector, labels);

/** One term of a field selector. */
interface FieldTerm {
  readonly field: 'metadata.name' | 'metadata.namespace';
  readonly equal: boolean;
  readonly value: string;
}

/**
 * Parses a field selector string. Only `metadata.name` and `metadata.namespace` are
 * supported, the fields every resource type serves; others fail as the API server fails
 * for a field a type does not index.
 */
export function parseFieldSelector(s: string | undefined): Parsed<readonly FieldTerm[]> {
  const terms: FieldTerm[] = [];
  for (const part of splitTop(s ?? '')) {
    const m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (!m) return { ok: false, error: `invalid selector: '${part}'; can't understand '${part}'` };
    const field = m[1]!;
    if (field !== 'metadata.name' && field !== 'metadata.namespace') {
      return { ok: false, error: `field label not supported: ${field}` };
    }
    terms.push({ field, equal: m[2] !== '!=', value: m[3]! });
  }
  return { ok: true, value: terms };
}

/** Whether an object's metadata satisfies a parsed field selector. */
export const fieldsMatch = (
  terms: readonly FieldTerm[],
  meta: { name?: string | undefined; namespace?: string | undefined },
): boolean =>
  terms.every(
    (t) => (((t.field === 'metadata.name' ? meta.name : meta.namespace) ?? '') === t.value) === t.equal,
  );

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Applies a JSON merge patch (RFC 7386): objects merge, `null` removes, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}
