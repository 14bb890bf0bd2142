/**
 * metav1.LabelSelector, parsed and matched the way the API server does, as pure functions.
 * TaskBudgets pick Tasks and TaskRecords with one; a selector that does not parse makes the
 * budget Degraded and fails closed.
 *
 * @packageDocumentation
 */

/** A metav1.LabelSelector as it appears in a manifest. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** One requirement of a parsed selector. */
export interface Requirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values: readonly string[];
}

/** A parsed selector: all requirements must hold. An empty one matches everything. */
export type Selector = readonly Requirement[];

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why a label key is invalid, or undefined when it is valid. */
export const labelKeyError = (key: string): string | undefined => {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !PREFIX.test(prefix))) {
    return `label key "${key}" has an invalid prefix (expected a DNS subdomain)`;
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return `label key "${key}" is invalid (expected at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric)`;
  }
  return undefined;
};

/** Why a label value is invalid, or undefined when it is valid. */
export const labelValueError = (value: string): string | undefined =>
  value === '' || (value.length <= 63 && NAME.test(value))
    ? undefined
    : `label value "${value}" is invalid (expected at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric)`;

/** Parses a selector; returns the error messages (JSON pointers relative to the selector) when it is invalid. */
export function parseSelector(
  selector: LabelSelector | undefined,
): { ok: true; selector: Selector } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    const ke = labelKeyError(key);
    if (ke) errors.push(`/matchLabels: ${ke}`);
    const ve =
      typeof value === 'string' ? labelValueError(value) : `label value of "${key}" must be a string`;
    if (ve) errors.push(`/matchLabels/${key}: ${ve}`);
    reqs.push({ key, operator: 'In', values: [String(value)] });
  }
  (selector?.matchExpressions ?? []).forEach((expr, i) => {
    const at = `/matchExpressions/${i}`;
    const ke = labelKeyError(String(expr?.key ?? ''));
    if (ke) errors.push(`${at}/key: ${ke}`);
    const values = expr?.values ?? [];
    switch (expr?.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errors.push(`${at}/values: must be non-empty for operator ${expr.operator}`);
        for (const v of values) {
          const ve = labelValueError(v);
          if (ve) errors.push(`${at}/values: ${ve}`);
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errors.push(`${at}/values: must be empty for operator ${expr.operator}`);
        break;
      default:
        errors.push(
          `${at}/operator: "${String(expr?.operator)}" is not a valid operator (expected In, NotIn, Exists or DoesNotExist)`,
        );
        return;
    }
    reqs.push({ key: expr.key, operator: expr.operator, values });
  });
  return errors.length ? { ok: false, errors } : { ok: true, selector: reqs };
}

/** How {@link matches} treats label values. */
export interface MatchOptions {
  /**
   * Whether a label value stands for "any value" (e.g. a placeholder filled in later): such a
   * value satisfies `In` and never excludes through `NotIn`, so a caller asking "could these
   * labels match?" gets the worst case.
   */
  readonly anyValue?: (value: string) => boolean;
}

/** Whether `labels` satisfy every requirement of `selector`. */
export function matches(
  selector: Selector,
  labels: Readonly<Record<string, string>> | undefined,
  options: MatchOptions = {},
): boolean {
  const l = labels ?? {};
  const wildcard = options.anyValue ?? (() => false);
  for (const r of selector) {
    const has = Object.hasOwn(l, r.key);
    const value = l[r.key] as string;
    switch (r.operator) {
      case 'In':
        if (!has || !(r.values.includes(value) || wildcard(value))) return false;
        break;
      case 'NotIn':
        if (has && r.values.includes(value) && !wildcard(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}
