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
export const compact = <T>(value: T): T => compactAt(value, []);

/** {@link compact} of the member at `path`, which a cycle's path in the error starts with. */
const compactAt = <T>(value: T, path: string[]): T => {
  try {
    return copy(value, 0);
  } catch (err) {
    if (err === TOO_DEEP) {
      // The first member that holds an object it is inside of; none when the value is only deep.
      const cycle = pathOf(value, path, (v, inside) => typeof v === 'object' && v !== null && inside.has(v));
      throw new NotAManifestValue(value as object, { cycle });
    }
    // Found without a path, as copying keeps none (it runs on every spec): look for it now.
    if (err instanceof NotAManifestValue && err.at === undefined && err.refused !== undefined) {
      const refused = err.refused;
      const at = pathOf(value, path, (v) => v === refused);
      if (at !== undefined) throw new NotAManifestValue(err.refused, undefined, at);
    }
    throw err;
  }
};

/** Deeper than any Kubernetes object nests; the validator refuses YAML past the same depth. */
const MAX_DEPTH = 128;
const TOO_DEEP = Symbol('too deep');

const copy = <T>(value: T, depth: number): T => {
  if (value === null || typeof value !== 'object') return value;
  // A depth count rather than a set of ancestors: constructs compact every spec they render,
  // and only a value that is no manifest (a cycle) ever reaches the limit.
  if (depth > MAX_DEPTH) throw TOO_DEEP;
  // Plain loops: constructs compact every spec they render, several levels deep.
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const v of value) if (v !== undefined) items.push(copy(v, depth + 1));
    return items as T;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null) throw new NotAManifestValue(value);
  const keys = Object.keys(value);
  if (keys.length > 1) keys.sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = copy(v, depth + 1);
  }
  return out as T;
};

/**
 * The path (`a.b[0].c`), from `value` at `from`, of the first member `hit` picks, told the
 * objects that member is inside of; `undefined` for none, or for `value` itself at no path.
 * Only plain objects and arrays are entered, each once on a path, so a cycle ends the walk.
 */
const pathOf = (
  value: unknown,
  from: string[],
  hit: (member: unknown, inside: ReadonlySet<object>) => boolean,
): string | undefined => {
  const inside = new Set<object>();
  const walk = (v: unknown, path: string[]): string | undefined => {
    if (hit(v, inside)) return path.join('.').replaceAll('.[', '[');
    if (v === null || typeof v !== 'object' || inside.has(v)) return undefined;
    const proto = Object.getPrototypeOf(v) as object | null;
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return undefined;
    inside.add(v);
    for (const [key, member] of Object.entries(v)) {
      const found = walk(member, [...path, Array.isArray(v) ? `[${key}]` : key]);
      if (found !== undefined) return found;
    }
    inside.delete(v);
    return undefined;
  };
  return walk(value, from) || undefined;
};

/**
 * A class instance (a construct, a Date, a Map) where a manifest holds plain JSON: most often a
 * construct in a prop that does not take one (`workspace` beside `worker` rather than in it),
 * which TypeScript refuses but an app run without type checks passes; or a plain object that
 * holds itself. Copying either recursed until the stack ran out, with no location.
 */
export class NotAManifestValue extends TypeError {
  /** The class instance refused (not set for a value refused as too deep). */
  readonly refused: object | undefined;
  /** Where in the value given to render it is, as a dotted path, once known. */
  readonly at: string | undefined;

  /**
   * @param value - what was refused.
   * @param tooDeep - set when `value` nests past the depth limit, with the path of the member
   *   that holds an object it is inside of, if one does.
   * @param at - where `value` is, when known.
   */
  constructor(value: object, tooDeep?: { cycle: string | undefined }, at?: string) {
    const name =
      (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name ??
      'object';
    // A construct by its path in the app (its class may be an internal one, such as an import's).
    const constructPath = (value as { node?: { path?: unknown } }).node?.path;
    const what =
      typeof constructPath === 'string'
        ? `the construct ${constructPath}`
        : `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
    super(
      tooDeep === undefined
        ? `${at === undefined ? `${what} is` : `${at} holds ${what}, which is`} no value a manifest can hold; a construct goes in the prop that takes it (worker.workspace, worker.agentConfigs, dependsOn), everything else is plain JSON`
        : tooDeep.cycle !== undefined
          ? `${tooDeep.cycle} holds an object it is inside of (a cycle); a manifest is a tree of plain JSON`
          : `a value nests more than ${MAX_DEPTH} levels deep; no Kubernetes object does`,
    );
    this.refused = tooDeep === undefined ? value : undefined;
    this.at = at;
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
    if (v !== undefined) out[key] = Object.hasOwn(done, key) ? v : compactAt(v, [key]);
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
