/**
 * Eager validation for the L1 constructs: each constructor checks its object against the
 * API's own CEL rules (the `x-kubernetes-validations` strings of `src/api`, run by the same
 * evaluator `kelos validate` uses) plus the few invariants CEL does not state, then throws
 * once, naming the object, the field and the rule. No rule is restated here, so a construct
 * and the validator cannot drift apart.
 *
 * @packageDocumentation
 */
import { API_VERSION, kindByName } from '../src/api/index.ts';
import {
  type CheckedFindings,
  evaluateObjectRules,
  type RuleFinding,
  validateObject,
} from '../src/validate/index.ts';
import { recordChecked } from './checked.ts';
import { Messages } from './messages.ts';
import { currentPropSources, propOf } from './prop-sources.ts';

/** One broken invariant: the field (JSON pointer into the object) and what was expected. */
export interface Violation {
  /** JSON pointer into the rendered object, e.g. `/spec/worker/credentials`. */
  readonly path: string;
  /** What is wrong. Where a CEL rule of `src/api` covers it, this is the rule's message. */
  readonly message: string;
  /** How to fix it, when the check that found it says (the validator's hint). */
  readonly hint?: string;
  /**
   * JSON pointer of the prop it is about, in the props of the pattern call that made the
   * object (`/model`), or `''` for the call as a whole; unset for an L1 construct, whose props
   * are the object's fields. `kelos synth` points the finding at that prop's key.
   */
  readonly prop?: string;
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
  /**
   * Whether the object was still made as the props meant it: a pattern's unknown prop, which it
   * never reads, changes nothing it builds, so `kelos synth` checks that object with the others.
   */
  readonly builtAnyway: boolean;

  constructor(resource: ViolationResource, violations: readonly Violation[], builtAnyway = false) {
    super(violations.map((v) => formatViolation(resource, v)).join('\n'));
    this.resource = resource;
    this.violations = violations;
    this.builtAnyway = builtAnyway;
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
 * cdk8s app) constructs throw as before. A pattern that refuses its props hands them over too,
 * then builds nothing when what it would build depends on the props it refused (see
 * `refusePatternProps` in patterns/agent.ts).
 */
export const collectViolations = (collect: ViolationCollector): (() => void) => {
  const previous = registry[COLLECTOR];
  registry[COLLECTOR] = collect;
  return () => {
    registry[COLLECTOR] = previous;
  };
};

/**
 * Throws, or hands to the collector while one is set ({@link collectViolations}), the
 * {@link KelosValidationError} for `violations`, if any: how an L1 construct refuses its props.
 * Inside a pattern (see prop-sources.ts), each violation names the pattern's prop it is about.
 *
 * @param builtAnyway Whether the object is made as meant all the same (see
 *   {@link KelosValidationError.builtAnyway}).
 * @throws KelosValidationError listing every violation, when no collector is set.
 */
export const refuseViolations = (
  resource: ViolationResource,
  violations: readonly Violation[],
  builtAnyway = false,
): void => {
  if (violations.length === 0) return;
  // Made by a pattern: the app wrote that pattern's props, not this object's fields.
  const sources = currentPropSources();
  const error = new KelosValidationError(
    resource,
    sources ? violations.map((v) => ({ ...v, prop: propOf(sources, v.path) })) : violations,
    builtAnyway,
  );
  const collect = registry[COLLECTOR];
  if (!collect) throw error;
  collect(error);
};

/** Collects violations with a path prefix, so nested checks compose. */
export class Violations {
  readonly #items: Violation[] = [];
  #blocked = false;

  /**
   * Records `message` against `path` when `broken` is true; a pattern names the `prop` (a JSON
   * pointer into its props) the refusal is about.
   */
  check(broken: boolean, path: string, message: string, prop?: string): void {
    if (broken) this.#items.push(prop === undefined ? { path, message } : { path, message, prop });
  }

  /** Records `message` against `path`, with the check's `hint` and the pattern's `prop` when given. */
  add(path: string, message: string, hint?: string, prop?: string): void {
    this.#items.push({
      path,
      message,
      ...(hint !== undefined && { hint }),
      ...(prop !== undefined && { prop }),
    });
  }

  /**
   * Records `message` against `path` for props of the wrong shape (no object where one
   * belongs): the API's rules are then not evaluated, as {@link throwIfInvalid} says.
   */
  block(path: string, message: string): void {
    this.#items.push({ path, message });
    this.#blocked = true;
  }

  /** Whether a violation recorded with {@link Violations.block} stops the API's rules. */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** Everything recorded so far, in order. */
  get items(): readonly Violation[] {
    return this.#items;
  }
}

/** Whether `value` is what an object-typed prop or field holds: an object, not null or a list. */
export const isObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A value as a refusal shows what was given: `null`, `a string "claude-code"`, `a list of 2`. */
export const shown = (value: unknown): string => {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'string') {
    return `a string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `a ${typeof value} ${value}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
};

/**
 * The props a construct was given when they are an object, else none, with the refusal
 * recorded: `new Task(scope, 't', null)` (no type check in `kelos synth`) failed on a
 * destructuring inside the construct, with no word of which construct or why.
 */
export const propsObject = <T extends object>(props: T, v: Violations): T => {
  if (!isObject(props)) {
    v.block('', Messages.notAnObject('props', '', shown(props)));
    return {} as T;
  }
  const metadata = (props as { metadata?: unknown }).metadata;
  if (metadata === undefined) return props;
  if (metadata === null || !isObject(metadata)) {
    v.block('/metadata', Messages.notAnObject('metadata', '', shown(metadata)));
    return { ...props, metadata: undefined };
  }
  let kept: Record<string, unknown> | undefined;
  for (const [field, shape] of Object.entries(METADATA_SHAPES)) {
    const value = (metadata as Record<string, unknown>)[field];
    if (
      value === undefined ||
      (value !== null && (shape === 'list' ? Array.isArray(value) : isObject(value)))
    )
      continue;
    const got = shown(value);
    v.block(
      `/metadata/${field}`,
      shape === 'list' ? Messages.notAList(field, got) : Messages.notAnObject(field, '', got),
    );
    kept ??= { ...metadata };
    delete kept[field];
  }
  return kept ? { ...props, metadata: kept } : props;
};

/**
 * The metadata fields cdk8s copies as maps or lists: any other value became a map of its
 * characters or items (`labels: 'x'` rendered as `labels: {"0": x}`) without a word.
 */
const METADATA_SHAPES: Readonly<Record<string, 'object' | 'list'>> = {
  labels: 'object',
  annotations: 'object',
  finalizers: 'list',
  ownerReferences: 'list',
};

/** The part of a kind's schema {@link shapeViolations} reads. */
interface ShapeNode {
  readonly type?: unknown;
  readonly properties?: Readonly<Record<string, ShapeNode>>;
  readonly items?: ShapeNode;
  readonly required?: readonly string[];
  readonly enum?: readonly unknown[];
}

/** The schema of `spec` of a Kelos kind, as the CEL rules walk it. */
const specSchemaOf = (kind: string): ShapeNode | undefined => kindByName(kind)?.spec as ShapeNode | undefined;

/**
 * What to write instead of a string given for an object: the string is most often the value
 * of one of the object's fields (`worker: 'claude-code'` for `worker: { type: 'claude-code' }`).
 */
const objectHint = (node: ShapeNode, value: unknown): string => {
  if (typeof value !== 'string' || value === '') return '';
  for (const [key, member] of Object.entries(node.properties ?? {})) {
    if (member.enum?.includes(value))
      return ` ({ ${key}: ${JSON.stringify(value).replaceAll('"', "'")}, … })`;
  }
  return '';
};

/** The JSON pointer of `segments` below `/spec`. */
const pointerOf = (segments: readonly string[]): string =>
  ['/spec', ...segments.map((k) => k.replaceAll('~', '~0').replaceAll('/', '~1'))].join('/');

/** The field at `segments` as a message names it: `worker`, `volumes[0]`. */
const fieldOf = (segments: readonly string[]): string => {
  let name = '';
  for (const s of segments) name = /^\d+$/.test(s) ? `${name}[${s}]` : s;
  return name || 'spec';
};

/**
 * Walks `value` along `node`, at `segments` (made into a pointer and a name only for a
 * violation: the walk runs on every spec a construct renders); see {@link shapeViolations}.
 */
const walkShape = (node: ShapeNode, value: unknown, segments: string[], out: Violation[]): void => {
  if (node.type === 'object') {
    if (!isObject(value)) {
      const message = Messages.notAnObject(fieldOf(segments), objectHint(node, value), shown(value));
      out.push({ path: pointerOf(segments), message });
      return;
    }
    const members = node.properties;
    if (!members) return;
    const fields = value as Record<string, unknown>;
    for (const key of node.required ?? []) {
      if (fields[key] == null && members[key]?.type === 'object') {
        out.push({ path: pointerOf([...segments, key]), message: Messages.required(key) });
      }
    }
    for (const key in fields) {
      const schema = members[key];
      const member = fields[key];
      if (schema === undefined || member == null) continue;
      segments.push(key);
      walkShape(schema, member, segments, out);
      segments.pop();
    }
  } else if (node.type === 'array') {
    if (!Array.isArray(value)) {
      out.push({ path: pointerOf(segments), message: Messages.notAList(fieldOf(segments), shown(value)) });
      return;
    }
    const items = node.items;
    if (items === undefined || (items.type !== 'object' && items.type !== 'array')) return;
    for (let i = 0; i < value.length; i++) {
      if (value[i] == null) continue;
      segments.push(String(i));
      walkShape(items, value[i], segments, out);
      segments.pop();
    }
  }
};

/**
 * Members of a spec that hold no object where the kind's schema takes one (or no list where it
 * takes a list), and object members the schema requires that are missing. Without type checks
 * (`kelos synth` runs apps without them), `worker: 'claude-code'` rendered as one unknown field
 * per character, and a TaskSpawner without `taskTemplate` failed inside the construct. Missing
 * scalars are left to the validator, as before: rules still run on the rest of the object.
 */
export const shapeViolations = (kind: string, spec: unknown): Violation[] => {
  const schema = specSchemaOf(kind);
  const out: Violation[] = [];
  if (schema) walkShape(schema, spec, [], out);
  return out;
};

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
 * Checks a construct's object eagerly and throws once with everything wrong. Props of the
 * wrong shape ({@link shapeViolations}, or {@link Violations.block}ed by the construct) are
 * refused alone with the construct's own `checks`: the rules would only restate them (a
 * worker that is a string has no type, no credentials), and `kelos validate` does not run
 * them on an object with schema errors either. Otherwise: the API's CEL
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
  // Props that are no object are refused at the object's root; the spec made of none says no more.
  const shape = checks.blocked ? [] : shapeViolations(resource.kind, specs.asWritten);
  if (shape.length > 0 || checks.blocked) {
    refuseViolations(resource, inFieldOrder(specs.asWritten, [...shape, ...checks.items]));
    return;
  }
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
  refuseViolations(resource, inFieldOrder(specs.asWritten, found));
};

/** `found` in the order of their fields in `spec` as rendered; at one field, as found. */
const inFieldOrder = (spec: unknown, found: readonly Violation[]): readonly Violation[] => {
  if (found.length < 2) return found;
  const order = new Map(pointers(spec, '/spec', []).map((p, i) => [p, i]));
  const rank = (path: string): number => {
    for (let p = path; p.length > 0; p = p.slice(0, p.lastIndexOf('/'))) {
      const i = order.get(p);
      if (i !== undefined) return i;
    }
    return -1;
  };
  return found
    .map((v, i) => ({ v, i, r: rank(v.path) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map(({ v }) => v);
};
