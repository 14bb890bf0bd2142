/**
 * Where else in an object a field the schema refuses is known: a key indented one level too
 * little (`secretRef` beside `credentials` instead of inside it) or put under the wrong parent
 * (`pollInterval` directly under `spec`). An unknown-field finding names those places, so the
 * fix is in the message and not in the API reference.
 *
 * The kind's schema is walked once, on the first unknown field that asks, into an index from
 * field name to the places it is a field of; the walk stops at a schema already on its own
 * path (recursive schemas) and after a bounded number of nodes (the Kubernetes schemas).
 *
 * @packageDocumentation
 */
import { isNode, type Node } from './object-schema.ts';

/** A place in the schema: object members by name, `[]` for an array's items. */
type Segments = readonly string[];

/** How many schema nodes the index of one kind walks at most. */
const MAX_NODES = 50_000;

const indexes = new WeakMap<Node, Map<string, Segments[]>>();

/** Every field name of `root`'s schema, with the places (parents) it is a field of. */
function fieldIndex(root: Node): Map<string, Segments[]> {
  let index = indexes.get(root);
  if (index) return index;
  index = new Map();
  const onPath = new Set<Node>();
  let visited = 0;
  const walk = (node: Node, at: Segments): void => {
    if (onPath.has(node) || ++visited > MAX_NODES) return;
    onPath.add(node);
    const properties = node['properties'];
    if (isNode(properties)) {
      for (const [name, child] of Object.entries(properties)) {
        const places = index?.get(name) ?? [];
        places.push(at);
        index?.set(name, places);
        if (isNode(child)) walk(child, [...at, name]);
      }
    }
    if (isNode(node['items'])) walk(node['items'], [...at, '[]']);
    for (const branch of ['anyOf', 'oneOf', 'allOf'] as const) {
      const list = node[branch];
      if (Array.isArray(list)) for (const b of list) if (isNode(b)) walk(b, at);
    }
    onPath.delete(node);
  };
  walk(root, []);
  indexes.set(root, index);
  return index;
}

/** A place as a field path: `spec.containers[]`. */
const render = (segments: Segments): string =>
  segments.reduce((out, s) => (s === '[]' ? `${out}[]` : out ? `${out}.${s}` : s), '');

/**
 * The places other than `at` where `name` is a field, nearest first: below `at` when it is
 * anywhere below (the key was indented too little), else elsewhere in the object. Only the
 * shallowest of them: `secretRef` under `spec.worker` is meant for `spec.worker.credentials`,
 * not for the volume sources deep in `podOverrides`.
 *
 * @param root The kind's whole object schema.
 * @param at Where the unknown field sits, as JSON pointer segments of the object.
 * @returns The places as field paths, and how many levels below `at` they are (0: not below).
 */
export function fieldHomes(
  root: Node,
  at: readonly string[],
  name: string,
): { places: string[]; levelsBelow: number } {
  const here = at.map((s) => (/^\d+$/.test(s) ? '[]' : s));
  const below: Segments[] = [];
  const elsewhere: Segments[] = [];
  for (const place of fieldIndex(root).get(name) ?? []) {
    const same = place.length === here.length && place.every((s, i) => s === here[i]);
    if (same) continue;
    const under = place.length > here.length && here.every((s, i) => s === place[i]);
    (under ? below : elsewhere).push(place);
  }
  const candidates = below.length > 0 ? below : elsewhere;
  const depth = Math.min(...candidates.map((p) => p.length));
  const places = [...new Set(candidates.filter((p) => p.length === depth).map(render))].sort();
  return { places, levelsBelow: below.length > 0 ? depth - here.length : 0 };
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
export function homesText(root: Node, at: readonly string[], name: string): string {
  const { places, levelsBelow } = fieldHomes(root, at, name);
  if (places.length === 0) return '';
  return `; "${name}" is a field of ${listOf(places)}${levelsBelow === 1 ? ' (indented one level too little?)' : ''}`;
}
