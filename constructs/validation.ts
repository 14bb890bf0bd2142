/**
 * Eager validation for the L1 constructs: each constructor collects every local
 * violation of its props, then throws once, naming the object, the field and the rule.
 *
 * @packageDocumentation
 */

/** One broken invariant: the field (JSON pointer into the object) and what was expected. */
export interface Violation {
  /** JSON pointer into the rendered object, e.g. `/spec/worker/credentials`. */
  readonly path: string;
  /** What is wrong. Where a CEL rule of `src/api` covers it, this is the rule's message verbatim. */
  readonly message: string;
}

/** The object a violation is about, as `Kind namespace/name`. */
export interface ViolationResource {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

const formatViolation = (resource: ViolationResource, v: Violation): string =>
  `${resource.kind} ${resource.namespace ? `${resource.namespace}/` : ''}${resource.name} ${v.path}: ${v.message}`;

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
