/**
 * Where else in an object a field the schema refuses is known: a key indented one level too
 * little (`secretRef` beside `credentials` instead of inside it), one level too deep (`branch`
 * inside `worker`), or put under the wrong parent (`pollInterval` directly under `spec`). An
 * unknown-field finding names those places, so the fix is in the message and not in the API
 * reference.
 *
 * The kind's schema is walked once, on the first unknown field that asks, into an index from
 * field name to the places it is a field of. The walk follows local `$ref`s (the Kubernetes
 * schemas are made of them), skips deprecated fields (never the place to send anyone), stops at
 * a schema already on its own path (recursive schemas) and after a bounded number of nodes.
 *
 * @packageDocumentation
 */
import { isNode, type Node } from './object-schema.ts';

/** A place in the schema: object members by name, `[]` for an array's items. */
type Segments = readonly string[];

/** How many schema nodes the index of one kind walks at most. */
const MAX_NODES = 50_000;

/** Answers kept per kind before the memo starts over. */
const MAX_ANSWERS = 10_000;

/** A place a field name is a field of, and whether it is under a deprecated field. */
interface Place {
  readonly segments: Segments;
  readonly deprecated: boolean;
}

/** Per kind schema: the index, and the answers given (an object may repeat one mistake often). */
interface KindHomes {
  readonly index: Map<string, Place[]>;
  readonly answers: Map<string, string>;
}

const byRoot = new WeakMap<Node, KindHomes>();

/** The schema a local `$ref` (`#/definitions/…`, `#/$defs/…`) names, if any. */
const resolveRef = (root: Node, node: Node): Node | undefined => {
  const ref = node['$ref'];
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return undefined;
  let at: unknown = root;
  for (const part of ref.slice(2).split('/'))
    at = isNode(at) ? at[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return isNode(at) ? at : undefined;
};

const isDeprecated = (node: unknown): boolean =>
  isNode(node) && typeof node['description'] === 'string' && /^deprecated\b/i.test(node['description']);

/** Every field name of `root`'s schema, with the places (parents) it is a field of. */
function fieldIndex(root: Node): Map<string, Place[]> {
  const index = new Map<string, Place[]>();
  const onPath = new Set<Node>();
  let visited = 0;
  const walk = (node: Node, at: Segments, deprecated: boolean): void => {
    if (onPath.has(node) || ++visited > MAX_NODES) return;
    onPath.add(node);
    const target = resolveRef(root, node);
    if (target) walk(target, at, deprecated);
    const properties = node['properties'];
    if (isNode(properties)) {
      for (const [name, child] of Object.entries(properties)) {
        const old = deprecated || isDeprecated(child);
        const places = index.get(name) ?? [];
        places.push({ segments: at, deprecated: old });
        index.set(name, places);
        if (isNode(child)) walk(child, [...at, name], old);
      }
    }
    if (isNode(node['items'])) walk(node['items'], [...at, '[]'], deprecated);
    for (const branch of ['anyOf', 'oneOf', 'allOf'] as const) {
      const list = node[branch];
      if (Array.isArray(list)) for (const b of list) if (isNode(b)) walk(b, at, deprecated);
    }
    onPath.delete(node);
  };
  walk(root, [], false);
  return index;
}

/** Whether `object` holds something at `segments` (`[]`: its first item). */
const holds = (object: unknown, segments: Segments): boolean => {
  let at = object;
  for (const s of segments) {
    if (s === '[]') {
      if (!Array.isArray(at) || at.length === 0) return false;
      at = at[0];
    } else {
      if (typeof at !== 'object' || at === null || Array.isArray(at)) return false;
      at = (at as Record<string, unknown>)[s];
    }
    if (at === undefined || at === null) return false;
  }
  return true;
};

/** A place as a field path: `spec.containers[]`; the object itself is its top level. */
const render = (segments: Segments): string =>
  segments.length === 0
    ? 'the top level'
    : segments.reduce((out, s) => (s === '[]' ? `${out}[]` : out ? `${out}.${s}` : s), '');

/** Steps from one place to another in the tree: up to their common parent, then down. */
const distance = (a: Segments, b: Segments): number => {
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return a.length - common + (b.length - common);
};

/** The index and memo of `root`'s kind, made on first use. */
const kindOf = (root: Node): KindHomes => {
  let kind = byRoot.get(root);
  if (!kind) {
    kind = { index: fieldIndex(root), answers: new Map() };
    byRoot.set(root, kind);
  }
  return kind;
};

/** An object's JSON pointer segments as a schema place: array indices become `[]`. */
const placeOf = (at: readonly string[]): Segments => at.map((s) => (/^\d+$/.test(s) ? '[]' : s));

/**
 * The places other than `at` where `name` is a field, nearest in the tree first, only the
 * nearest: `secretRef` under `spec.worker` is meant for `spec.worker.credentials`, not for the
 * volume sources deep in `podOverrides`. A place under a deprecated field counts only when the
 * object uses that field: a Task written in upstream's flat form (`spec.credentials`) is told
 * `spec.credentials`, one written with `spec.worker` is never sent to the old form.
 *
 * @param root The kind's whole object schema.
 * @param at Where the unknown field sits, as JSON pointer segments of the object.
 * @param object The object, to see which deprecated fields it uses; none when absent.
 * @returns The places as field paths, and whether they are one level below or above `at`.
 */
export function fieldHomes(
  root: Node,
  at: readonly string[],
  name: string,
  object?: unknown,
): { places: string[]; oneLevel: 'below' | 'above' | undefined } {
  const here = placeOf(at);
  const candidates = (kindOf(root).index.get(name) ?? [])
    .filter((p) => !p.deprecated || (object !== undefined && holds(object, p.segments)))
    .map((p) => p.segments)
    .filter((p) => p.length !== here.length || p.some((s, i) => s !== here[i]));
  if (candidates.length === 0) return { places: [], oneLevel: undefined };
  const nearest = Math.min(...candidates.map((p) => distance(here, p)));
  const near = candidates.filter((p) => distance(here, p) === nearest);
  // Of places equally near, the ones the object has are meant: a `secretRef` beside
  // `spec.when.webhook` belongs to that source, not to the sources the spawner does not use.
  const inUse = object === undefined ? [] : near.filter((p) => holds(object, p));
  const chosen = inUse.length > 0 ? inUse : near;
  const places = [...new Set(chosen.map(render))].sort();
  const only = chosen.length === 1 ? chosen[0] : undefined;
  const oneLevel = only && nearest === 1 ? (only.length > here.length ? 'below' : 'above') : undefined;
  return { places, oneLevel };
}

/** `a`, `a and b`, `a, b and 2 more`. */
const listOf = (places: readonly string[]): string => {
  const shown = places.slice(0, 3);
  const more = places.length - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more} more`;
  return shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}` : (shown[0] ?? '');
};

/**
 * What an unknown-field message adds about where `name` belongs, or `''` when it is known
 * nowhere else in the object.
 */
export function homesText(root: Node, at: readonly string[], name: string, object?: unknown): string {
  const { index, answers } = kindOf(root);
  // The places the object has are part of the question: a deprecated one counts only when the
  // object uses it, and of places equally near, those it has win (see fieldHomes).
  const inUse = (index.get(name) ?? [])
    .filter((p) => object !== undefined && holds(object, p.segments))
    .map((p) => p.segments.join('/'))
    .join('\0');
  const key = `${placeOf(at).join('/')}\0${name}\0${inUse}`;
  const known = answers.get(key);
  if (known !== undefined) return known;
  const { places, oneLevel } = fieldHomes(root, at, name, object);
  const text =
    places.length === 0
      ? ''
      : `; "${name}" is a field of ${listOf(places)}${
          oneLevel === 'below'
            ? ' (indented one level too little?)'
            : oneLevel === 'above'
              ? ' (indented one level too deep?)'
              : ''
        }`;
  // Hostile input can hold any number of distinct unknown names: keep the memo bounded.
  if (answers.size >= MAX_ANSWERS) answers.clear();
  answers.set(key, text);
  return text;
}
