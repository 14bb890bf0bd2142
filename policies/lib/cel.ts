/**
 * Small builders for the CEL that ValidatingAdmissionPolicies run. Expressions read the
 * admitted `object`; every optional step is guarded with `has()`, so a rule never errors on a
 * field the object leaves out.
 *
 * @packageDocumentation
 */

/** Where a kind's execution fields start, as a CEL expression. */
export const CEL_EXECUTION_ROOT: Readonly<Record<string, string>> = {
  Task: 'object.spec',
  TaskSpawner: 'object.spec.taskTemplate',
};

/** `root.a.b`. */
export const celPath = (root: string, segments: readonly string[]): string => [root, ...segments].join('.');

/** `has(root.a) && has(root.a.b)`: whether every step of a field path is present. */
export const celHas = (root: string, segments: readonly string[]): string =>
  segments.map((_, i) => `has(${celPath(root, segments.slice(0, i + 1))})`).join(' && ');

/** A CEL string literal. */
export const celString = (s: string): string => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

/** A CEL list of string literals. */
export const celList = (values: readonly string[]): string => `[${values.map(celString).join(', ')}]`;

/**
 * A CEL message expression of `message` (the one the offline check writes) with the value of CEL
 * expression `expr` where the check puts its argument, so both say the same words.
 */
export const celMessage = (message: (value: string) => string, expr: string): string => {
  const [before = '', after = ''] = message('\u0000').split('\u0000');
  return `${celString(before)} + ${expr} + ${celString(after)}`;
};

/**
 * A worker field read the way the operator reads it: `worker.<field>` first, then the deprecated
 * top-level field. `value` may only be used where `has` holds.
 */
export function celWorkerField(root: string, segments: readonly string[]): { has: string; value: string } {
  const inWorker = ['worker', ...segments];
  const hasWorker = celHas(root, inWorker);
  const hasLegacy = celHas(root, segments);
  return {
    has: `((${hasWorker}) || (${hasLegacy}))`,
    value: `((${hasWorker}) ? ${celPath(root, inWorker)} : ${celPath(root, segments)})`,
  };
}
