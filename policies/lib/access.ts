/**
 * Safe reads of untyped object trees. Policies run on input that may not have passed
 * validation, so every read checks the shape it expects instead of trusting the static type.
 *
 * @packageDocumentation
 */
import type { KubeObject } from '../../src/api/object.ts';
import { toPointer } from '../../src/validate/diagnostic.ts';

/** A plain JSON object. */
export type Json = Record<string, unknown>;

/** Whether a value is a plain JSON object. */
export const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads `value[k0][k1]…`, or `undefined` as soon as a step is not an object or array. */
export function get(value: unknown, ...keys: ReadonlyArray<string | number>): unknown {
  let v = value;
  for (const k of keys) {
    if (Array.isArray(v) && typeof k === 'number') v = v[k];
    else if (isRecord(v)) v = v[String(k)];
    else return undefined;
  }
  return v;
}

/** The value if it is a string. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
/** The value if it is a non-empty string. */
export const nonEmpty = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length > 0 ? v : undefined;
/** The value if it is a finite number. */
export const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;
/**
 * The message for a field that holds something other than a number, which a policy must not
 * call unset (`kelos check` on files runs the policies only; the schema error is
 * `kelos validate`'s); undefined when the field holds nothing.
 */
export const notANumber = (field: string, v: unknown): string | undefined =>
  v === undefined || v === null
    ? undefined
    : `${field} is ${JSON.stringify(v)}, not a number, so this policy cannot judge it; write it as a number (kelos validate reports the schema error)`;
/** The value if it is an array, else an empty one. */
export const arr = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
/** The value if it is a plain object. */
export const rec = (v: unknown): Json | undefined => (isRecord(v) ? v : undefined);

/** A JSON pointer from segments. */
export const ptr = (...segments: ReadonlyArray<string | number>): string => toPointer(segments);

/** Namespace of an object; objects without one land in `default`, as kubectl applies them. */
export const namespaceOf = (o: KubeObject): string => o.metadata?.namespace || 'default';

/** `Kind namespace/name`, for messages about another object. */
export const refText = (o: KubeObject): string => `${o.kind} ${namespaceOf(o)}/${o.metadata?.name ?? ''}`;

/**
 * One formatter for every amount: building one per call (toLocaleString does) dominated
 * forecasts. Built on first use: building it loads ICU's locale data, which a check that prices
 * nothing (a pre-commit run on one file) would otherwise pay at start-up.
 */
let dollars: Intl.NumberFormat | undefined;

/** Formats a number of US dollars as `$1,234.50`. */
export const usd = (n: number): string => {
  dollars ??= new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `$${dollars.format(n)}`;
};
