/**
 * Type-checks a template offline against the data it will be rendered over (the types of
 * `variables.ts`): it parses with the engine's own parser (so syntax and unknown functions
 * fail exactly as they will at run time), then walks the tree tracking the type of dot and
 * of each variable through `with`, `range` and pipelines, and reports every field the data
 * will not have, and every `range` and builtin call the engine refuses for the types of
 * its operands (`range` over a string, `len` of an int, `eq` of an int and a string). Only
 * what is certain is an error; what depends on the item (a key a source sets for some
 * events only) is a warning, and a value whose type is not known is not checked.
 *
 * Written here rather than taken from a library: no JavaScript package type-checks Go
 * templates, and the walk must follow this engine's own tree.
 *
 * @packageDocumentation
 */
import { BUILTINS } from './functions.ts';
import { TemplateSyntaxError } from './lexer.ts';
import {
  type ArgNode,
  IntOverflow,
  type ListNode,
  nodeString,
  type PipeNode,
  parse,
  type TreeNode,
} from './parser.ts';
import { type GoKind, kindOf } from './values.ts';
import type { Variable, VarType } from './variables.ts';

/** What a finding is about; the validator turns each into a diagnostic code. */
export type TemplateCheckCode =
  | 'syntax'
  | 'unknown-function'
  | 'unknown-field'
  | 'not-a-struct'
  | 'conditional-field'
  | 'empty-field'
  | 'unknown-key'
  | 'unknown-result'
  | 'forbidden-field'
  | 'wrong-type'
  | 'wrong-arg-count';

/** One problem in a template, located by its offset in the template text. */
export interface TemplateFinding {
  readonly code: TemplateCheckCode;
  readonly severity: 'error' | 'warning';
  /** Offset (UTF-16 index) in the template text. */
  readonly offset: number;
  /** 1-based line in the template text. */
  readonly line: number;
  /** 1-based column (characters) in the template text. */
  readonly column: number;
  readonly message: string;
  /**
   * For unknown names: the name written and the names that exist, for a "did you mean"; for a
   * key of a map, the map's type name too (`Deps`).
   */
  readonly unknown?: {
    readonly name: string;
    readonly known: readonly string[];
    readonly parent: string;
    readonly map?: string;
  };
}

/** Options of {@link checkTemplate}. */
export interface CheckOptions {
  /** The type of the data the template is rendered over (dot at the start). */
  readonly data: VarType;
  /**
   * Top-level fields the template must not read, with why: `Context` in a nameTemplate.
   * Reading one is an error even when the data has the field.
   */
  readonly forbidden?: Readonly<Record<string, string>>;
  /**
   * A GitHub webhook spawner's events, and the data of a part of them: inside `{{if eq .Event
   * "issues"}}` (or `eq .Event "a" "b"`, `ne`, `or` of such) the template is checked over the
   * data those events give, the `else` over the rest, so a read only those events have is no
   * warning there.
   */
  readonly events?: {
    readonly all: readonly string[];
    readonly data: (events: readonly string[]) => VarType;
  };
}

const ANY: VarType = { kind: 'any' };
const STRING: VarType = { kind: 'string' };
const INT: VarType = { kind: 'int' };
const BOOL: VarType = { kind: 'bool' };

interface Typed {
  readonly type: VarType;
  /** How the value was reached, for messages: `.Payload.PullRequest`. */
  readonly path: string;
  /** It may be nil at run time: a field of a go-github event that GitHub left out is. */
  readonly nilable?: boolean;
  /** A float64 constant (`1.5`); no variable is one, so a number's type is otherwise int. */
  readonly float?: boolean;
  /**
   * Its type may not be the one tracked: a variable assigned with `=` somewhere, which may
   * hold another type after a branch or an iteration. Only fields are checked on it.
   */
  readonly loose?: boolean;
}

/**
 * The kind the engine sees for a value of this type when it is not nil (`values.ts`:
 * structs and maps are maps, times are strings), or `undefined` when the type is not known.
 */
const runtimeKind = (t: Typed): GoKind | undefined => {
  if (t.loose) return undefined;
  if (t.float) return 'float';
  switch (t.type.kind) {
    case 'any':
      return undefined;
    case 'string':
    case 'time':
      return 'string';
    case 'int':
    case 'bool':
      return t.type.kind;
    case 'list':
      return 'slice';
    default:
      return 'map';
  }
};

/** A type in a message: Go's name for a basic value (`float64`, a time is a `string`), else the checker's. */
const typeWord = (t: Typed): string => {
  const k = runtimeKind(t);
  return k === 'float' ? 'float64' : k === 'string' ? 'string' : describe(t.type);
};

/** An operand of a builtin: the node written, or the value piped into the call. */
interface Operand {
  readonly typed: Typed;
  /** What to call it in a message: its source text, or the path of a piped value. */
  readonly text: string;
}

/** The line and 1-based column of an offset. */
export const lineColumn = (src: string, offset: number): { line: number; column: number } => {
  const before = src.slice(0, offset);
  const nl = before.lastIndexOf('\n');
  return { line: 1 + (before.match(/\n/g)?.length ?? 0), column: offset - nl };
};

const describe = (t: VarType): string =>
  t.kind === 'struct' || t.kind === 'map'
    ? t.name
    : t.kind === 'list'
      ? `list of ${describe(t.elem)}`
      : t.kind;

/** The variables some pipeline assigns with `=` (not `:=`): their type can change. */
const assignedVariables = (list: ListNode): Set<string> => {
  const out = new Set<string>();
  const pipe = (p: PipeNode): void => {
    if (p.isAssign) for (const d of p.decl) out.add(d.idents[0]!);
    for (const c of p.cmds) for (const a of c.args) arg(a);
  };
  const arg = (a: ArgNode): void => {
    if (a.type === 'pipe') pipe(a);
    else if (a.type === 'chain') arg(a.node);
  };
  const walk = (l: ListNode): void => {
    for (const n of l.nodes) {
      if (n.type === 'action') pipe(n.pipe);
      else if (n.type === 'if' || n.type === 'with' || n.type === 'range') {
        pipe(n.pipe);
        walk(n.list);
        if (n.elseList) walk(n.elseList);
      }
    }
  };
  walk(list);
  return out;
};

/** `K` when a pipeline is `index . "K"` (or `index $ "K"`), of an `if` or a `with`: the guard upstream recommends for keys that may be absent. */
const guardedKey = (p: PipeNode): string | undefined => {
  const [cmd, ...more] = p.cmds;
  const [fn, on, key, ...rest] = cmd?.args ?? [];
  if (more.length > 0 || rest.length > 0 || fn?.type !== 'identifier' || fn.name !== 'index')
    return undefined;
  const atRoot =
    on?.type === 'dot' || (on?.type === 'variable' && on.idents.length === 1 && on.idents[0] === '$');
  return atRoot && key?.type === 'string' ? key.value : undefined;
};

/**
 * `K` when a pipeline is the bare read `.K` (or `$.K`), of an `if` or a `with`: under
 * `missingkey=error` it fails the render where the key is absent, so it guards nothing, but
 * the body and the else run only where the key is present.
 */
const readKey = (p: PipeNode): string | undefined => {
  const [cmd, ...more] = p.cmds;
  const [arg, ...rest] = cmd?.args ?? [];
  if (more.length > 0 || rest.length > 0 || p.decl.length > 0) return undefined;
  if (arg?.type === 'field' && arg.idents.length === 1) return arg.idents[0];
  if (arg?.type === 'variable' && arg.idents.length === 2 && arg.idents[0] === '$') return arg.idents[1];
  return undefined;
};

/** `.Event` or `$.Event`. */
const isEventRead = (a: ArgNode | undefined): boolean =>
  (a?.type === 'field' && a.idents.length === 1 && a.idents[0] === 'Event') ||
  (a?.type === 'variable' && a.idents.length === 2 && a.idents[0] === '$' && a.idents[1] === 'Event');

/**
 * The events a condition holds for, when it tests only `.Event`: `eq .Event "a" "b"` (Go's
 * `eq` is true when the first argument equals any other), `eq "a" .Event`, `ne .Event "a"`,
 * `or` of such (parenthesized). `inverse`: it holds for the events not listed.
 */
const eventCondition = (
  p: PipeNode,
): { readonly events: string[]; readonly inverse: boolean } | undefined => {
  const [cmd, ...more] = p.cmds;
  if (more.length > 0 || p.decl.length > 0 || !cmd) return undefined;
  const [fn, ...args] = cmd.args;
  if (fn?.type !== 'identifier') return undefined;
  if (fn.name === 'eq' || fn.name === 'ne') {
    const [a, ...rest] = args;
    const listed = isEventRead(a)
      ? rest
      : a?.type === 'string' && rest.length === 1 && isEventRead(rest[0])
        ? [a]
        : undefined;
    if (!listed || listed.length === 0 || (fn.name === 'ne' && listed.length !== 1)) return undefined;
    if (!listed.every((x) => x.type === 'string')) return undefined;
    return { events: listed.map((x) => (x as { value: string }).value), inverse: fn.name === 'ne' };
  }
  if (fn.name === 'or' && args.length > 0) {
    const parts = args.map((x) => (x.type === 'pipe' ? eventCondition(x) : undefined));
    if (!parts.every((x) => x !== undefined && !x.inverse)) return undefined;
    return { events: parts.flatMap((x) => x!.events), inverse: false };
  }
  return undefined;
};

class Checker {
  readonly findings: TemplateFinding[] = [];
  readonly #src: string;
  /** The data at the top: that of the events the enclosing `{{if eq .Event …}}` leave. */
  #root: VarType;
  readonly #events: CheckOptions['events'];
  /** The events the enclosing `{{if eq .Event …}}` leave (all at the top). */
  #eventSet: readonly string[];
  readonly #forbidden: Readonly<Record<string, string>>;
  readonly #seen = new Set<string>();
  /** Top-level keys an enclosing `{{if index . "Key"}}` has shown to be present. */
  readonly #guarded = new Set<string>();
  /** The key `{{if .K}}` (or `{{with .K}}`) reads while its pipeline is checked: see {@link readKey}. */
  #reading: string | undefined;
  #readingAction: 'if' | 'with' | undefined;
  /** Variables assigned with `=` somewhere: see {@link Typed.loose}. */
  readonly #assigned: ReadonlySet<string>;

  constructor(src: string, options: CheckOptions, assigned: ReadonlySet<string>) {
    this.#src = src;
    this.#root = options.data;
    this.#events = options.events;
    this.#eventSet = options.events?.all ?? [];
    this.#forbidden = options.forbidden ?? {};
    this.#assigned = assigned;
  }

  report(f: Omit<TemplateFinding, 'line' | 'column'>): void {
    const key = `${f.offset}|${f.code}|${f.message}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.findings.push({ ...f, ...lineColumn(this.#src, f.offset) });
  }

  /** The type of `name` read on `from`: a field (`.Name`) or, with `viaIndex`, an `index` key. */
  member(from: Typed, name: string, pos: number, viaIndex = false): Typed {
    const path = `${from.path}.${name}`;
    const t = from.type;
    if (t === this.#root && Object.hasOwn(this.#forbidden, name)) {
      this.report({
        code: 'forbidden-field',
        severity: 'error',
        offset: pos,
        message: `.${name}: ${this.#forbidden[name]}`,
      });
      return { type: ANY, path };
    }
    switch (t.kind) {
      case 'any':
        return { type: ANY, path };
      case 'struct': {
        const field: Variable | undefined =
          t.fields[name] ?? (name.startsWith('Get') && !viaIndex ? t.fields[name.slice(3)] : undefined);
        if (!field) {
          const root = t === this.#root;
          this.report({
            code: 'unknown-field',
            severity: 'error',
            offset: pos,
            message: root
              ? `.${name} is not a variable of ${t.name === 'prompt' ? "a dependent Task's prompt" : `a ${t.name} source`}${
                  // A spawner's template renders first, over the item; .Deps is the Task's own render's.
                  name === 'Deps' && t.name !== 'prompt'
                    ? `; .Deps is read when the Task it makes renders its prompt: write {{"{{"}}index .Deps "<task>" "Results" "<key>"}} so this template prints that action for it`
                    : ''
                }`
              : `${path}: ${t.name} has no field ${name}`,
            unknown: { name, known: Object.keys(t.fields), parent: from.path },
          });
          return { type: ANY, path };
        }
        const p = field.presence;
        const guarded =
          t === this.#root &&
          (this.#guarded.has(name) ||
            (p.when === 'sometimes' && p.setWith?.some((k) => this.#guarded.has(k))));
        if (p.when === 'sometimes' && !viaIndex && !guarded) {
          // The one warning of `{{if .K}}`: the reads it seems to guard are not warned again.
          const action = t === this.#root && this.#reading === name ? this.#readingAction : undefined;
          this.report({
            code: 'conditional-field',
            severity: 'warning',
            offset: pos,
            message: action
              ? `${path} is not always set: ${p.why}; where it is missing, {{${action} ${path}}} fails the render (missingkey=error) instead of skipping its body: write {{${action} index . "${name}"}}`
              : `${path} is not always set: ${p.why}; where it is missing the render fails (missingkey=error)`,
          });
        } else if (p.when === 'empty') {
          this.report({
            code: 'empty-field',
            severity: 'warning',
            offset: pos,
            message: `${path} is always empty for a ${t.name} source: ${p.why}`,
          });
        }
        // The operator sets every variable and every field of a dependency; a go-github event
        // has nil where GitHub sent nothing.
        const nilable = from.nilable || (t !== this.#root && t.name !== 'Dependency');
        return { type: field.type, path, nilable, loose: from.loose };
      }
      case 'map': {
        if (t.keys.includes(name)) return { type: t.value, path, nilable: from.nilable, loose: from.loose };
        const unknown = { name, known: [...t.keys], parent: from.path, map: t.name };
        if (t.missing === 'zero') {
          this.report({
            code: 'unknown-result',
            severity: 'warning',
            offset: pos,
            message: `${path}: no agent reports a result named "${name}", so it renders empty`,
            unknown,
          });
        } else {
          this.report({
            code: 'unknown-key',
            severity: 'error',
            offset: pos,
            message:
              t.name === 'Deps'
                ? t.keys.length
                  ? `${path}: "${name}" is not in dependsOn (${t.keys.join(', ')})`
                  : // Upstream and the operator render only the prompts of Tasks with dependsOn.
                    `${path}: "${name}" is not in dependsOn, and the Task has none, so its prompt is not rendered: the agent gets the template as written`
                : t.name === 'Context'
                  ? `${path}: no context source is named "${name}"${t.keys.length ? ` (declared: ${t.keys.join(', ')})` : ''}`
                  : `${path}: ${t.name} has no key "${name}"`,
            unknown,
          });
        }
        return { type: ANY, path };
      }
      default:
        this.report({
          code: 'not-a-struct',
          severity: 'error',
          offset: pos,
          message: `${path}: can't evaluate field ${name} in type ${describe(t)}`,
        });
        return { type: ANY, path };
    }
  }

  chain(from: Typed, names: readonly string[], pos: number): Typed {
    let at = from;
    for (const n of names) at = this.member(at, n, pos);
    return at;
  }

  arg(a: ArgNode, dot: Typed, vars: Map<string, Typed>): Typed {
    switch (a.type) {
      case 'dot':
        return dot;
      case 'field':
        return this.chain(dot, a.idents, a.pos);
      case 'variable': {
        const name = a.idents[0]!;
        const base = vars.get(name) ?? { type: ANY, path: name };
        return this.chain(
          name === '$'
            ? { type: base.type, path: '' }
            : this.#assigned.has(name)
              ? { ...base, loose: true }
              : base,
          a.idents.slice(1),
          a.pos,
        );
      }
      case 'chain':
        return this.chain(this.arg(a.node, dot, vars), a.fields, a.pos);
      case 'pipe':
        return this.pipe(a, dot, vars);
      case 'string':
        return { type: STRING, path: a.quoted };
      case 'number':
        if (a.value instanceof IntOverflow) return { type: ANY, path: a.text };
        return { type: INT, path: a.text, ...(kindOf(a.value) === 'float' ? { float: true } : {}) };
      case 'bool':
        return { type: BOOL, path: String(a.value) };
      case 'identifier':
        return this.call(a.name, a.pos, [], undefined);
      default:
        return { type: ANY, path: a.type };
    }
  }

  pipe(p: PipeNode, dot: Typed, vars: Map<string, Typed>): Typed {
    let out: Typed | undefined;
    for (const [i, cmd] of p.cmds.entries()) {
      const [first, ...rest] = cmd.args;
      if (first?.type === 'identifier') {
        const args = rest.map((a) => ({ node: a, typed: this.arg(a, dot, vars) }));
        const before = p.cmds.slice(0, i);
        const text = before.map(nodeString).join(' | ');
        const piped = out && {
          typed: out,
          text: before.length === 1 && before[0]!.args.length === 1 ? text : `(${text})`,
        };
        out = this.call(first.name, first.pos, args, piped);
      } else if (first) {
        for (const a of rest) this.arg(a, dot, vars);
        out = this.arg(first, dot, vars);
      }
    }
    const value = out ?? { type: ANY, path: '' };
    for (const d of p.decl) vars.set(d.idents[0]!, value);
    return value;
  }

  wrongType(offset: number, message: string): void {
    this.report({ code: 'wrong-type', severity: 'error', offset, message });
  }

  /** Whether a builtin gets as many arguments as it takes; reported where it does not. */
  arity(name: string, pos: number, count: number): boolean {
    const fn = BUILTINS[name];
    if (!fn) return true;
    const fixed = fn.params.length;
    if (fn.variadic !== undefined ? count >= fixed : count === fixed) return true;
    this.report({
      code: 'wrong-arg-count',
      severity: 'error',
      offset: pos,
      message: `wrong number of args for ${name}: want ${fn.variadic !== undefined ? 'at least ' : ''}${fixed} got ${count}`,
    });
    return false;
  }

  /**
   * The refusals of the comparison functions (`eq`/`ne`, `lt`/`le`/`gt`/`ge` in
   * `functions.ts`) that the operands' types make certain.
   */
  compare(name: string, pos: number, a: Operand, b: Operand | undefined): void {
    if (!b) {
      this.report({
        code: 'wrong-arg-count',
        severity: 'error',
        offset: pos,
        message: `${name} of ${a.text}: missing argument for comparison`,
      });
      return;
    }
    const of = `${name} of ${a.text} and ${b.text}`;
    const k1 = runtimeKind(a.typed);
    const k2 = runtimeKind(b.typed);
    const composite = (k: GoKind | undefined) => k === 'slice' || k === 'map';
    if (name === 'eq' || name === 'ne') {
      // A nil operand compares with anything, so both must be certain to be set.
      if (!k1 || !k2 || a.typed.nilable || b.typed.nilable) return;
      if (composite(k1) !== composite(k2) || (!composite(k1) && k1 !== k2)) {
        this.wrongType(
          pos,
          `${of}: incompatible types for comparison: ${typeWord(a.typed)} and ${typeWord(b.typed)}`,
        );
      } else if (composite(k1)) {
        this.wrongType(
          pos,
          `${of}: non-comparable type ${typeWord(a.typed)}; ${name} compares strings, numbers and bools`,
        );
      }
      return;
    }
    // lt and the others refuse nil too, so a value that may be nil fails either way.
    const unordered = [a, b].find((o) => composite(runtimeKind(o.typed)));
    if (unordered) {
      this.wrongType(
        pos,
        `${of}: invalid type for comparison: ${typeWord(unordered.typed)}; ${name} compares strings or numbers`,
      );
    } else if (k1 && k2 && k1 !== k2) {
      this.wrongType(
        pos,
        `${of}: incompatible types for comparison: ${typeWord(a.typed)} and ${typeWord(b.typed)}`,
      );
    } else if (k1 === 'bool' || k2 === 'bool') {
      this.wrongType(pos, `${of}: invalid type for comparison: bool; ${name} compares strings or numbers`);
    }
  }

  /** `index`: the type reached, reporting an item that can't be indexed or a key of the wrong type. */
  index(pos: number, item: Operand, keys: readonly (Operand & { readonly node?: ArgNode })[]): Typed {
    let at = item.typed;
    let text = item.text;
    for (const key of keys) {
      const k = runtimeKind(at);
      if (k === 'int' || k === 'bool' || k === 'float') {
        this.wrongType(
          pos,
          `index of ${text}: can't index item of type ${typeWord(at)}; index takes a string, a list or a map`,
        );
        return { type: ANY, path: `${at.path}[]` };
      }
      const node = key.node;
      if (node?.type === 'string') {
        if (
          at.type.kind === 'struct' &&
          at.type !== this.#root &&
          !at.type.name.match(/^(prompt|Dependency)$/)
        ) {
          this.report({
            code: 'not-a-struct',
            severity: 'error',
            offset: node.pos,
            message: `index of ${at.path || '.'}: can't index item of type ${at.type.name}; read the field as ${at.path}.${node.value}`,
          });
          at = { type: ANY, path: `${at.path}.${node.value}` };
        } else at = this.member(at, node.value, node.pos, true);
      } else {
        const kk = runtimeKind(key.typed);
        if ((k === 'slice' || k === 'string') && kk !== undefined && kk !== 'int') {
          this.wrongType(
            pos,
            `index of ${text} with ${key.text}: cannot index slice/array with type ${typeWord(key.typed)}; the index must be an int`,
          );
          return { type: ANY, path: `${at.path}[]` };
        }
        if (k === 'map' && kk !== undefined && kk !== 'string') {
          this.wrongType(
            pos,
            `index of ${text} with ${key.text}: value has type ${typeWord(key.typed)}; should be string`,
          );
          return { type: ANY, path: `${at.path}[]` };
        }
        at = {
          // A string's element is a byte.
          type: at.type.kind === 'list' ? at.type.elem : k === 'string' ? INT : ANY,
          path: `${at.path}[]`,
          nilable: at.nilable && k !== 'string',
          loose: at.loose,
        };
      }
      text = `${text} ${key.text}`;
    }
    return at;
  }

  /** `slice`: reports an item that can't be sliced and indexes of the wrong type. */
  slice(pos: number, item: Operand, indexes: readonly Operand[]): void {
    const k = runtimeKind(item.typed);
    const of = `slice of ${item.text}`;
    if (indexes.length > 3) {
      this.wrongType(pos, `${of}: too many slice indexes: ${indexes.length}`);
    } else if (k === 'int' || k === 'bool' || k === 'float' || k === 'map') {
      this.wrongType(
        pos,
        `${of}: can't slice item of type ${typeWord(item.typed)}; slice takes a string or a list`,
      );
    } else if (k === 'string' && indexes.length === 3) {
      this.wrongType(pos, `${of}: cannot 3-index slice a string`);
    } else {
      const bad = indexes.find((i) => {
        const kk = runtimeKind(i.typed);
        return kk !== undefined && kk !== 'int';
      });
      if (bad)
        this.wrongType(
          pos,
          `${of} with ${bad.text}: cannot index slice/array with type ${typeWord(bad.typed)}; the index must be an int`,
        );
    }
  }

  /**
   * The type of a builtin's result. Reports what the engine refuses for certain: a wrong
   * number of arguments, and arguments of types the function does not take.
   */
  call(
    name: string,
    pos: number,
    args: readonly { node: ArgNode; typed: Typed }[],
    piped: Operand | undefined,
  ): Typed {
    // The piped value is the last argument.
    const operands: (Operand & { readonly node?: ArgNode })[] = args.map((a) => ({
      typed: a.typed,
      text: a.node.type === 'pipe' ? `(${nodeString(a.node)})` : nodeString(a.node),
      node: a.node,
    }));
    if (piped) operands.push(piped);
    const ok = this.arity(name, pos, operands.length);
    const [first, second] = operands;
    switch (name) {
      case 'index':
        return first && ok ? this.index(pos, first, operands.slice(1)) : { type: ANY, path: 'index' };
      case 'len': {
        const k = first && ok ? runtimeKind(first.typed) : undefined;
        if (k === 'int' || k === 'bool' || k === 'float')
          this.wrongType(
            pos,
            `len of ${first!.text}: len of type ${typeWord(first!.typed)}; len takes a string, a list or a map`,
          );
        return { type: INT, path: 'len' };
      }
      case 'slice':
        if (first && ok) this.slice(pos, first, operands.slice(1));
        return first ? { ...first.typed, nilable: false } : { type: ANY, path: 'slice' };
      case 'eq':
      case 'ne':
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge':
        if (first && ok) this.compare(name, pos, first, second);
        return { type: BOOL, path: name };
      case 'not':
        return { type: BOOL, path: name };
      case 'printf':
        if (first && ok) {
          const node = first.node;
          const at = node?.pos ?? pos;
          const k = runtimeKind(first.typed);
          if (node?.type === 'nil') this.wrongType(at, `printf of nil: cannot assign nil to string`);
          else if (node?.type === 'number' || node?.type === 'bool')
            this.wrongType(at, `printf of ${first.text}: expected string; found ${first.text}`);
          else if (k !== undefined && k !== 'string')
            this.wrongType(
              at,
              `printf of ${first.text}: wrong type for value; expected string; got ${typeWord(first.typed)}`,
            );
        }
        return { type: STRING, path: name };
      case 'print':
      case 'println':
      case 'html':
      case 'js':
      case 'urlquery':
        return { type: STRING, path: name };
      case 'call':
        if (first && ok)
          this.wrongType(
            pos,
            `call of ${first.text}: the template data holds no functions, so call always fails`,
          );
        return { type: ANY, path: name };
      default:
        return { type: ANY, path: name };
    }
  }

  /**
   * Runs `check` over the data of `events` only (dot and `$` at the top become it), when they
   * are some but not all of the events in play; else over `dot` as it is. An `eq .Event` of an
   * event the spawner does not have narrows nothing: that branch never runs, and is checked as
   * before.
   */
  withEvents(
    events: readonly string[] | undefined,
    dot: Typed,
    vars: Map<string, Typed>,
    check: (dot: Typed, vars: Map<string, Typed>) => void,
  ): void {
    const outer = { root: this.#root, events: this.#eventSet };
    if (!events || !this.#events || events.length === 0 || events.length === outer.events.length) {
      check(dot, vars);
      return;
    }
    this.#root = this.#events.data(events);
    this.#eventSet = events;
    const top: Typed = { type: this.#root, path: '' };
    if (vars.get('$')?.type === outer.root) vars.set('$', top);
    try {
      check(top, vars);
    } finally {
      this.#root = outer.root;
      this.#eventSet = outer.events;
    }
  }

  list(l: ListNode, dot: Typed, vars: Map<string, Typed>): void {
    for (const n of l.nodes) this.node(n, dot, vars);
  }

  node(n: TreeNode, dot: Typed, vars: Map<string, Typed>): void {
    switch (n.type) {
      case 'action':
        this.pipe(n.pipe, dot, vars);
        return;
      case 'if':
      case 'with': {
        const scope = new Map(vars);
        const read = dot.type === this.#root ? readKey(n.pipe) : undefined;
        [this.#reading, this.#readingAction] = [read, read === undefined ? undefined : n.type];
        const value = this.pipe(n.pipe, dot, scope);
        [this.#reading, this.#readingAction] = [undefined, undefined];
        // `{{with index . "K"}}` guards its body as `{{if index . "K"}}` does (`$.K` inside).
        const guard = dot.type === this.#root ? (guardedKey(n.pipe) ?? read) : undefined;
        const fresh = guard !== undefined && !this.#guarded.has(guard);
        if (fresh) this.#guarded.add(guard);
        const byEvent =
          n.type === 'if' && dot.type === this.#root && this.#events ? eventCondition(n.pipe) : undefined;
        const listed = new Set(byEvent?.events);
        const holdsFor = (e: string) => listed.has(e) !== (byEvent?.inverse ?? false);
        const holds = this.#eventSet.filter(holdsFor);
        const fails = this.#eventSet.filter((e) => !holdsFor(e));
        // The body of a with runs only when the value is not empty, so not nil.
        this.withEvents(byEvent && holds, dot, scope, (d, sc) =>
          this.list(n.list, n.type === 'with' ? { type: value.type, path: '', loose: value.loose } : d, sc),
        );
        // Past `{{if .K}}` the key is there (the render failed otherwise): the else too. Past
        // `{{if index . "K"}}` the else runs where it is not.
        if (fresh && read === undefined) this.#guarded.delete(guard);
        const elseList = n.elseList;
        if (elseList)
          this.withEvents(byEvent && fails, dot, new Map(vars), (d, sc) => this.list(elseList, d, sc));
        if (fresh && read !== undefined) this.#guarded.delete(guard);
        return;
      }
      case 'range': {
        const scope = new Map(vars);
        const decl = n.pipe.decl;
        const pipe = { ...n.pipe, decl: [] };
        const over = this.pipe(pipe, dot, scope);
        const k = runtimeKind(over);
        // Where the engine reports a range it refuses: the term the value comes from.
        const at = pipe.cmds.at(-1)?.args[0]?.pos ?? pipe.pos;
        // A nil value ranges over nothing; an int over 0..n-1 (Go 1.22).
        if (!over.nilable && (k === 'string' || k === 'bool' || k === 'float')) {
          this.wrongType(
            at,
            `${nodeString(pipe)}: range can't iterate over ${typeWord(over)}; it takes a list, a map or an int`,
          );
        } else if (!over.nilable && k === 'int' && decl.length > 1) {
          this.wrongType(
            at,
            `${nodeString(pipe)}: range can't use int to iterate over more than one variable; only a list or a map has keys`,
          );
        }
        const elem: Typed = {
          type:
            over.type.kind === 'list'
              ? over.type.elem
              : over.type.kind === 'map'
                ? over.type.value
                : k === 'int'
                  ? INT
                  : ANY,
          path: '',
          nilable: over.nilable,
          loose: over.loose,
        };
        if (decl.length === 1) scope.set(decl[0]!.idents[0]!, elem);
        if (decl.length === 2) {
          const key = k === 'map' ? STRING : k === 'slice' || k === 'int' ? INT : ANY;
          scope.set(decl[0]!.idents[0]!, { type: key, path: 'key' });
          scope.set(decl[1]!.idents[0]!, elem);
        }
        this.list(n.list, elem, scope);
        if (n.elseList) this.list(n.elseList, dot, new Map(vars));
        return;
      }
      default:
        return;
    }
  }
}

/**
 * Checks a template against the data it will be rendered over. Syntax errors (and calls
 * of functions the engine does not provide) stop the check with one finding; otherwise
 * every field, key and variable read is typed.
 */
export const checkTemplate = (src: string, options: CheckOptions): TemplateFinding[] => {
  const isBuiltin = (fn: string) => Object.hasOwn(BUILTINS, fn);
  const syntax = (e: TemplateSyntaxError): TemplateFinding => {
    const fn = /^function "(.*)" not defined$/.exec(e.message);
    return {
      code: fn ? 'unknown-function' : 'syntax',
      severity: 'error',
      offset: e.pos,
      ...lineColumn(src, e.pos),
      message: fn
        ? `function "${fn[1]}" is not provided by the template engine`
        : `template syntax error: ${e.message}`,
      ...(fn ? { unknown: { name: fn[1]!, known: Object.keys(BUILTINS), parent: '' } } : {}),
    };
  };
  const parsed = (accept: (fn: string) => boolean): ListNode | TemplateSyntaxError => {
    try {
      return parse(src, accept);
    } catch (e) {
      if (e instanceof TemplateSyntaxError) return e;
      throw e;
    }
  };
  const strict = parsed(isBuiltin);
  if (strict instanceof TemplateSyntaxError) {
    // The engine stops at the first unknown function, as Go's parser does; parse again
    // accepting any function so a later syntax error is reported in the same run.
    const first = syntax(strict);
    if (first.code !== 'unknown-function') return [first];
    const loose = parsed(() => true);
    return loose instanceof TemplateSyntaxError ? [first, syntax(loose)] : [first];
  }
  const checker = new Checker(src, options, assignedVariables(strict));
  const root: Typed = { type: options.data, path: '' };
  checker.list(strict, root, new Map([['$', root]]));
  return checker.findings.sort((a, b) => a.offset - b.offset);
};
