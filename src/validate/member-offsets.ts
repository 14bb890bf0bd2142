/**
 * Where the members of the objects and arrays the plain-YAML reader made are in the source,
 * stored compactly: there is one entry per object and array of every manifest.
 *
 * @packageDocumentation
 */

/**
 * Source offsets of the members of one object or the items of one array. An object's are by
 * key, or (to save a Map for each of the many small objects) in the order of `Object.keys`.
 */
export type MemberOffsets = Map<string, number> | number[];

/** Offset of member `key` of `parent` (an object or array `readPlainYaml` made). */
export function memberOffset(
  offsets: Map<object, MemberOffsets>,
  parent: object,
  key: string | number,
): number | undefined {
  const mine = offsets.get(parent);
  if (mine === undefined) return undefined;
  if (!Array.isArray(mine)) return mine.get(String(key));
  if (Array.isArray(parent)) return mine[key as number];
  const index = Object.keys(parent).indexOf(String(key));
  return index === -1 ? undefined : mine[index];
}

/** Keys V8 orders before all others (array indices), so key order is not source order. */
export const INDEX_LIKE = /^(?:0|[1-9]\d*)$/;

/** Objects with more members are looked up through a Map (a scan per lookup would add up). */
export const MAX_LISTED = 16;

export const byKey = (keys: readonly string[], offsets: readonly number[]): Map<string, number> =>
  new Map(keys.map((key, i) => [key, offsets[i] as number]));
