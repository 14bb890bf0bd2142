/**
 * What a construct already checked on the spec it rendered: every CEL rule finding and every
 * template finding, each the validator's own (the constructs run `src/validate`'s rules). The
 * synth runner hands them to the validator with the rendered object when the rendered spec is
 * still the one checked, so `kelos synth` does not evaluate the same rules on the same spec a
 * second time. Not part of the public API: the index does not export it.
 *
 * Kept per module instance, so only the Kelos the runner itself loads shares findings: an app
 * built with another copy (another version) of the constructs is validated from scratch.
 *
 * @packageDocumentation
 */
import type { CheckedFindings } from '../src/validate/index.ts';

interface Entry extends CheckedFindings {
  /** The spec as JSON when it was checked: a spec changed since then was not checked. */
  readonly snapshot: string;
}

const checked = new WeakMap<object, Entry>();

/** Records findings of `part` on `spec` as it is now. */
export const recordChecked = (spec: object, part: CheckedFindings): void => {
  const snapshot = JSON.stringify(spec);
  const before = checked.get(spec);
  checked.set(spec, { ...(before?.snapshot === snapshot && before), ...part, snapshot });
};

/**
 * What was checked on `spec` (the object a construct rendered its spec into), when `rendered`
 * (that spec as the object renders it, in JSON) is still exactly what was checked.
 */
export const checkedSpec = (spec: unknown, rendered: unknown): CheckedFindings | undefined => {
  const entry = typeof spec === 'object' && spec !== null ? checked.get(spec) : undefined;
  if (!entry || JSON.stringify(rendered) !== entry.snapshot) return undefined;
  const { snapshot: _snapshot, ...parts } = entry;
  return parts;
};
