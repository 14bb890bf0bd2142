/**
 * Small pure helpers the constructs render with.
 *
 * @packageDocumentation
 */

/** JSON value as it appears in a manifest. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Deep-copies a value, dropping `undefined` members and sorting object keys, so the
 * spec a construct exposes is exactly what cdk8s renders.
 */
export const compact = <T>(value: T): T => {
  if (value === null || typeof value !== 'object') return value;
  // Plain loops: constructs compact every spec they render, several levels deep.
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const v of value) if (v !== undefined) items.push(compact(v));
    return items as T;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null) throw new NotAManifestValue(value);
  const keys = Object.keys(value);
  if (keys.length > 1) keys.sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = compact(v);
  }
  return out as T;
};

/**
 * A class instance (a construct, a Date, a Map) where a manifest holds plain JSON: most often a
 * construct in a prop that does not take one (`workspace` beside `worker` rather than in it),
 * which TypeScript refuses but an app run without type checks passes. Copying its tree recursed
 * until the stack ran out, with no location.
 */
export class NotAManifestValue extends TypeError {
  constructor(value: object) {
    const name =
      (Object.getPrototypeOf(value) as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    super(
      `a ${name} is no value a manifest can hold; a construct goes in the prop that takes it (worker.workspace, worker.agentConfigs, dependsOn), everything else is plain JSON`,
    );
  }
}

/**
 * `compact({ ...value, ...done })` for members `done` that are compacted already (what
 * `compact` or this returned, held by no one else): those are kept as they are instead of
 * being copied again. The renderers nest (a worker inside the execution fields inside a
 * spec), and compacting each level again copied the levels below it once more.
 */
export const compactOver = <T>(value: Record<string, unknown>, done: Record<string, unknown>): T => {
  const merged: Record<string, unknown> = { ...value, ...done };
  const keys = Object.keys(merged);
  if (keys.length > 1) keys.sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = merged[key];
    if (v !== undefined) out[key] = Object.hasOwn(done, key) ? v : compact(v);
  }
  return out as T;
};

/** Names appearing more than once in `names`, in first-seen order. */
export const duplicates = (names: readonly string[]): string[] => {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) (seen.has(n) ? dup : seen).add(n);
  return [...dup];
};
