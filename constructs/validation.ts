/**
 * Eager validation for the L1 constructs: each constructor checks its object against the
 * API's own CEL rules (the `x-kubernetes-validations` strings of `src/api`, run by the same
 * evaluator `kelos validate` uses) plus the few invariants CEL does not state, then throws
 * once, naming the object, the field and the rule. No rule is restated here, so a construct
 * and the validator cannot drift apart.
 *
 * @packageDocumentation
 */
import { API_VERSION } from '../src/api/index.ts';
import {
  type CheckedFindings,
  evaluateObjectRules,
  type RuleFinding,
  validateObject,
} from '../src/validate/index.ts';
import { recordChecked } from './checked.ts';

/** One broken invariant: the field (JSON pointer into the object) and what was expected. */
export interface Violation {
  /** JSON pointer into the rendered object, e.g. `/spec/worker/credentials`. */
  readonly path: string;
  /** What is wrong. Where a CEL rule of `src/api` covers it, this is the rule's message. */
  readonly message: string;
}

/** The object a violation is about, as `Kind namespace/name`. */
export interface ViolationResource {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

const formatViolation = (resource: ViolationResource, v: Violation): string =>
  `${resource.kind} ${resource.namespace ? `${resource.namespace}/` : ''}${resource.name}${v.path ? ` ${v.path}` : ''}: ${v.message}`;

/**
 * Thrown by a construct whose props break a local invariant. The message has one line per
 * violation, `Kind namespace/name /json/pointer: message`; `violations` carries them
 * structured, so `kelos synth` can report each as its own diagnostic.
 */
export class KelosValidationError extends Error {
  override readonly name = 'KelosValidationError';
  /** Brand that survives crossing a process boundary as plain JSON. */
  readonly kelosValidation = true;
  readonly resource: ViolationResource;
  readonly violations: readonly Violation[];

  constructor(resource: ViolationResource, violations: readonly Violation[]) {
    super(violations.map((v) => formatViolation(resource, v)).join('\n'));
    this.resource = resource;
    this.violations = violations;
  }
}

/**
 * Throws a {@link KelosValidationError} when `violations` is not empty.
 *
 * @throws KelosValidationError listing every violation.
 */
export const throwIfViolations = (resource: ViolationResource, violations: readonly Violation[]): void => {
  if (violations.length > 0) throw new KelosValidationError(resource, violations);
};

/** Takes the error a construct would throw; see {@link collectViolations}. */
export type ViolationCollector = (error: KelosValidationError) => void;

// On globalThis under a registered symbol, so a second copy of this package that an app
// resolves reports to the same collector.
const COLLECTOR = Symbol.for('kelos.dev/construct-violations');
const registry = globalThis as { [COLLECTOR]?: ViolationCollector };

/**
 * Until the returned function is called, the L1 constructs hand the {@link KelosValidationError}
 * of props they refuse to `collect` instead of throwing it, and go on. The synth runner sets
 * this around an app, so every construct that refuses its props is reported in one run; an
 * app stopped at the first throw showed one error a run. Anywhere else (a unit test, a plain
 * cdk8s app) constructs throw as before. The patterns' own checks still throw: what they build
 * next depends on the props they refused.
 */
export const collectViolations = (collect: ViolationCollector): (() => void) => {
  const previous = registry[COLLECTOR];
  registry[COLLECTOR] = collect;
  return () => {
    registry[COLLECTOR] = previous;
  };
};

/** Throws, or hands to the collector while one is set, the error for `violations`, if any. */
const refuse = (resource: ViolationResource, violations: readonly Violation[]): void => {
  if (violations.length === 0) return;
  const error = new KelosValidationError(resource, violations);
  const collect = registry[COLLECTOR];
  if (!collect) throw error;
  collect(error);
};

/** Collects violations with a path prefix, so nested checks compose. */
export class Violations {
  readonly #items: Violation[] = [];

  /** Records `message` against `path` when `broken` is true. */
  check(broken: boolean, path: string, message: string): void {
    if (broken) this.#items.push({ path, message });
  }

  /** Records `message` against `path`. */
  add(path: string, message: string): void {
    this.#items.push({ path, message });
  }

  /** Everything recorded so far, in order. */
  get items(): readonly Violation[] {
    return this.#items;
  }
}

/** The Kelos object `resource` names, with `spec`, as the validator takes it. */
const objectOf = (resource: ViolationResource, spec: unknown): Record<string, unknown> => ({
  apiVersion: API_VERSION,
  kind: resource.kind,
  metadata: { name: resource.name, ...(resource.namespace ? { namespace: resource.namespace } : {}) },
  spec,
});

/** Every CEL rule finding of a Kelos object with `spec`, rules that failed to evaluate included. */
const ruleFindings = (resource: ViolationResource, spec: unknown): RuleFinding[] =>
  evaluateObjectRules(objectOf(resource, spec));

/** The rules among `findings` that evaluated to false. */
const violationsOf = (findings: readonly RuleFinding[]): Violation[] =>
  findings.filter((f) => f.code === 'cel/rule').map(({ path, message }) => ({ path, message }));

/**
 * The CEL rules a Kelos object breaks. Only rules that evaluated to false count: a rule that
 * cannot be evaluated (a field its schema requires is missing) is the schema's to report,
 * which `kelos validate` and the API server do.
 */
export const celViolations = (resource: ViolationResource, spec: unknown): Violation[] =>
  violationsOf(ruleFindings(resource, spec));

/** The schema's unknown-field findings on a spec, with the field the key was likely meant to be. */
const unknownFields = (resource: ViolationResource, spec: unknown): Violation[] =>
  validateObject(objectOf(resource, spec))
    .filter((d) => d.code === 'schema/unknown-field' && d.path.startsWith('/spec/'))
    .map((d) => ({ path: d.path, message: d.message }));

/** JSON pointers of `value` and everything below it, in document (pre-)order. */
const pointers = (value: unknown, at: string, out: string[]): string[] => {
  out.push(at);
  if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      pointers(child, `${at}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, out);
    }
  }
  return out;
};

/**
 * Checks a construct's object eagerly and throws once with everything wrong: the API's CEL
 * rules on the spec as the props wrote it (`asWritten`, e.g. with deprecated fields where the
 * user put them, so a conflict the emitted form resolves is still reported), then, when those
 * hold, as it is `emitted`; and the construct's own `checks`. Violations come in the order of
 * their fields in the rendered manifest (keys sorted, as cdk8s writes them); at one field, CEL
 * rules first, in schema order. `alsoChecked` (the template findings) is kept with the rule
 * findings of the emitted spec, so the spec is snapshotted once.
 *
 * @throws KelosValidationError listing every violation (handed to the collector instead while
 *   one is set: {@link collectViolations}).
 */
export const throwIfInvalid = (
  resource: ViolationResource,
  specs: { readonly asWritten: unknown; readonly emitted?: unknown },
  checks: Violations = new Violations(),
  alsoChecked: Omit<CheckedFindings, 'rules'> = {},
): void => {
  const writtenFindings = ruleFindings(resource, specs.asWritten);
  const written = violationsOf(writtenFindings);
  // The emitted form only restates the problems of the written one (at its own paths), so
  // it is checked only when the written form holds: then it catches what the rendering made.
  // Most props are written in the emitted form already; that spec is not evaluated twice.
  const emitted = specs.emitted ?? specs.asWritten;
  let emittedFindings: RuleFinding[] | undefined = specs.emitted === undefined ? writtenFindings : undefined;
  if (written.length === 0 && emittedFindings === undefined) {
    emittedFindings =
      specs.emitted === specs.asWritten || JSON.stringify(specs.emitted) === JSON.stringify(specs.asWritten)
        ? writtenFindings
        : ruleFindings(resource, specs.emitted);
  }
  if (emittedFindings && typeof emitted === 'object' && emitted !== null) {
    recordChecked(emitted, {
      ...alsoChecked,
      rules: emittedFindings.map(({ code, message, path }) => ({ code, message, path })),
    });
  }
  const found = [
    ...written,
    ...(written.length === 0 && specs.emitted !== undefined ? violationsOf(emittedFindings ?? []) : []),
    ...checks.items,
  ];
  // A misspelt prop (`secretref`) is what a rule then misses (`secretRef is required`): say so
  // at its field, as `kelos validate` does for YAML. Only on the way to a throw: it costs a
  // schema pass, and TypeScript already refuses the misspelling in a type-checked app.
  if (found.length > 0) found.unshift(...unknownFields(resource, specs.asWritten));
  if (found.length < 2) {
    refuse(resource, found);
    return;
  }
  const order = new Map(pointers(specs.asWritten, '/spec', []).map((p, i) => [p, i]));
  const rank = (path: string): number => {
    for (let p = path; p.length > 0; p = p.slice(0, p.lastIndexOf('/'))) {
      const i = order.get(p);
      if (i !== undefined) return i;
    }
    return -1;
  };
  const sorted = found
    .map((v, i) => ({ v, i, r: rank(v.path) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map(({ v }) => v);
  refuse(resource, sorted);
};
