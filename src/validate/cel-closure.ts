/**
 * A CEL rule turned into one JavaScript closure over plain JSON, for the common case: a rule
 * that holds. The interpreter (`@bufbuild/cel`, see cel.ts) needs every value it reads
 * converted to CEL lists and maps first, and walks its plan node by node; most rules of a
 * Kelos object are a handful of `has()`, `size()` and comparisons that hold on every valid
 * object. On the benchmark's 10,000 objects the constructs spent about 0.7 s of the app
 * runner's 3.4 s of samples in rule evaluation (`toCelValue` alone 0.15 s); no library compiles
 * CEL to JavaScript, so this does, for the operators the Kubernetes rules use.
 *
 * The contract that keeps it safe: a closure either returns exactly what the interpreter
 * would, or throws. It throws on anything it does not decide the way CEL does (a missing key,
 * a value of another type, a list compared with `==`, a sub-expression that errs where CEL's
 * commutative `&&`/`||` could still absorb the error), and a rule using anything outside the
 * subset gets no closure at all. Callers trust only a `true`; everything else, messages and
 * errors included, comes from the interpreter, so findings stay the interpreter's word for word.
 *
 * @packageDocumentation
 */
import type { parse } from '@bufbuild/cel';

/** The parser's tree (its types live in `@bufbuild/cel-spec`, which we do not depend on directly). */
type ParsedExpr = ReturnType<typeof parse>;

/** Values of a rule's variables: `self`, and the iteration and accumulator variables of macros. */
type Vars = Record<string, unknown>;

/** A compiled sub-expression. */
type Closure = (vars: Vars) => unknown;

/** A rule as a closure: CEL's result for `self`, or a throw when the closure cannot tell. */
export type RuleClosure = (self: unknown) => unknown;

/** A compiled `matches` pattern (the interpreter's own RE2 engine, so both agree on every input). */
export interface Regex {
  test(input: string): boolean;
}

/** Thrown where the closure cannot decide as CEL would: the caller asks the interpreter. */
const UNDECIDED: unique symbol = Symbol('undecided');

const undecided = (): never => {
  throw UNDECIDED;
};

type Expr = ParsedExpr['expr'];

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const bool = (v: unknown): boolean => (typeof v === 'boolean' ? v : undecided());

const str = (v: unknown): string => (typeof v === 'string' ? v : undecided());

const num = (v: unknown): number => (typeof v === 'number' ? v : undecided());

/**
 * CEL equality on JSON values: numbers across int and double, scalars of different types
 * unequal. Lists and maps are left to the interpreter.
 */
const equals = (a: unknown, b: unknown): boolean => {
  if (typeof a === 'object' || typeof b === 'object' || a === undefined || b === undefined)
    return undecided();
  return typeof a === typeof b && a === b;
};

/** `size()` of a string counts code points, as CEL does, not UTF-16 units. */
const size = (v: unknown): number => {
  if (typeof v === 'string') {
    let n = 0;
    for (const _ of v) n++;
    return n;
  }
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  return undecided();
};

const RELATIONS: Readonly<Record<string, (a: number, b: number) => boolean>> = {
  '_<_': (a, b) => a < b,
  '_<=_': (a, b) => a <= b,
  '_>_': (a, b) => a > b,
  '_>=_': (a, b) => a >= b,
};

/** A call: an operator, a function or a method. `undefined` when it is outside the subset. */
function compileCall(
  fn: string,
  target: Closure | undefined,
  args: readonly Closure[],
  regex: (pattern: string) => Regex,
): Closure | undefined {
  const [a, b, c] = args;
  const arity = args.length;
  if (target === undefined) {
    if (fn === '_&&_' && a && b && arity === 2)
      // CEL's `&&` is commutative over errors: `error && false` is false. Only the left-to-right
      // short circuit is taken here; an error on the left throws and the interpreter decides.
      return (v) => bool(a(v)) && bool(b(v));
    if (fn === '_||_' && a && b && arity === 2) return (v) => bool(a(v)) || bool(b(v));
    if (fn === '!_' && a && arity === 1) return (v) => !bool(a(v));
    if (fn === '_?_:_' && a && b && c && arity === 3) return (v) => (bool(a(v)) ? b(v) : c(v));
    if (fn === '_==_' && a && b && arity === 2) return (v) => equals(a(v), b(v));
    if (fn === '_!=_' && a && b && arity === 2) return (v) => !equals(a(v), b(v));
    const relation = RELATIONS[fn];
    if (relation && a && b && arity === 2) return (v) => relation(num(a(v)), num(b(v)));
    if (fn === '@in' && a && b && arity === 2)
      return (v) => {
        const item = a(v);
        const range = b(v);
        if (Array.isArray(range)) return range.some((x) => equals(item, x));
        if (isMap(range)) return Object.hasOwn(range, str(item));
        return undecided();
      };
    if (fn === 'size' && a && arity === 1) return (v) => size(a(v));
    // Not a boolean when it errs: its use is the loop condition of macros, where an error
    // counts as "go on"; here an error throws and the interpreter decides.
    if (fn === '@not_strictly_false' && a && arity === 1) return (v) => bool(a(v));
    return undefined;
  }
  const t = target;
  if (fn === 'size' && arity === 0) return (v) => size(t(v));
  if (fn === 'startsWith' && a && arity === 1) return (v) => str(t(v)).startsWith(str(a(v)));
  if (fn === 'matches' && a && arity === 1) return (v) => regex(str(a(v))).test(str(t(v)));
  return undefined;
}

/** Compiles an expression of the subset; `undefined` for anything else. */
function compileExpr(
  expr: Expr,
  scope: ReadonlySet<string>,
  regex: (pattern: string) => Regex,
): Closure | undefined {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'constExpr': {
      const constant = kind.value.constantKind;
      if (constant.case === 'boolValue' || constant.case === 'stringValue') {
        const value = constant.value;
        return () => value;
      }
      if (constant.case === 'int64Value') {
        const value = Number(constant.value);
        if (!Number.isSafeInteger(value)) return undefined;
        return () => value;
      }
      return undefined;
    }
    case 'identExpr': {
      const name = kind.value.name;
      return scope.has(name) ? (v) => v[name] ?? undecided() : undefined;
    }
    case 'selectExpr': {
      const { operand, field, testOnly } = kind.value;
      const of = operand && compileExpr(operand, scope, regex);
      if (!of) return undefined;
      if (testOnly)
        return (v) => {
          const map = of(v);
          return isMap(map) ? Object.hasOwn(map, field) : undecided();
        };
      // A member present with no value (`undefined`, from a JavaScript object) is the interpreter's.
      return (v) => {
        const map = of(v);
        return (isMap(map) && Object.hasOwn(map, field) ? map[field] : undefined) ?? undecided();
      };
    }
    case 'listExpr': {
      if (kind.value.optionalIndices.length > 0) return undefined;
      const items: Closure[] = [];
      for (const element of kind.value.elements) {
        const item = compileExpr(element, scope, regex);
        if (!item) return undefined;
        items.push(item);
      }
      return (v) => items.map((item) => item(v));
    }
    case 'callExpr': {
      const { function: fn, target, args } = kind.value;
      const of = target ? compileExpr(target, scope, regex) : undefined;
      if (target && !of) return undefined;
      const compiled: Closure[] = [];
      for (const arg of args) {
        const closure = compileExpr(arg, scope, regex);
        if (!closure) return undefined;
        compiled.push(closure);
      }
      return compileCall(fn, of, compiled, regex);
    }
    case 'comprehensionExpr':
      return compileComprehension(kind.value, scope, regex);
    default:
      return undefined;
  }
}

type Comprehension = Extract<Expr['exprKind'], { case: 'comprehensionExpr' }>['value'];

/**
 * A macro (`all`, `exists`, `exists_one`, `map`, `filter` all expand to one): over a list's
 * items or a map's keys, as CEL iterates.
 */
function compileComprehension(
  c: Comprehension,
  scope: ReadonlySet<string>,
  regex: (pattern: string) => Regex,
): Closure | undefined {
  const { iterVar, iterVar2, accuVar } = c;
  if (iterVar2 !== '' || !c.iterRange || !c.accuInit || !c.loopCondition || !c.loopStep || !c.result)
    return undefined;
  const inner = new Set([...scope, iterVar, accuVar]);
  const range = compileExpr(c.iterRange, scope, regex);
  const init = compileExpr(c.accuInit, scope, regex);
  const condition = compileExpr(c.loopCondition, inner, regex);
  const step = compileExpr(c.loopStep, inner, regex);
  const result = compileExpr(c.result, new Set([...scope, accuVar]), regex);
  if (!range || !init || !condition || !step || !result) return undefined;
  return (v) => {
    const over = range(v);
    const items = Array.isArray(over) ? over : isMap(over) ? Object.keys(over) : undecided();
    const inside: Vars = { ...v, [accuVar]: init(v) };
    for (const item of items) {
      inside[iterVar] = item;
      if (!bool(condition(inside))) break;
      inside[accuVar] = step(inside);
    }
    return result({ ...v, [accuVar]: inside[accuVar] });
  };
}

/**
 * The closure of a parsed rule over `self`, or `undefined` when the rule uses anything outside
 * the subset (other functions, other variables, transition rules, doubles, bytes).
 *
 * @param regex Compiles a `matches` pattern; the interpreter's engine, so both agree.
 */
export function compileRuleClosure(
  parsed: ParsedExpr,
  regex: (pattern: string) => Regex,
): RuleClosure | undefined {
  const root = compileExpr(parsed.expr, new Set(['self']), regex);
  if (!root) return undefined;
  return (self) => root({ self });
}

/** Whether `closure` says `self` satisfies its rule; `false` when the rule does not hold or it cannot tell. */
export function holds(closure: RuleClosure, self: unknown): boolean {
  try {
    return closure(self) === true;
  } catch {
    return false;
  }
}
