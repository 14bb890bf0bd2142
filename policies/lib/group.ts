/**
 * Grouping without quadratic copies: bundles hold thousands of objects per namespace.
 *
 * @packageDocumentation
 */

/** Groups items by key, keeping input order within each group. */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
