/**
 * Type-checks a template offline against the data it will be rendered over (the types of
 * `variables.ts`): it parses with the engine's own parser (so syntax and unknown functions
 * fail exactly as they will at run time), then walks the tree tracking the type of dot and
 * of each variable through `with`, `range` and pipelines, and reports every field the data
 * will not have. Only what is certain is an error; what depends on the item (a key a
 * source sets for some events only) is a warning.
 *
 * Written here rather than taken from a library: no JavaScript package type-checks Go
 * templates, and the walk must follow this engine's own tree.
 *
 * @packageDocumentation
 */
import { BUILTINS } from './functions.ts';
import { TemplateSyntaxError } from './lexer.ts';
import { type ArgNode, type ListNode, type PipeNode, parse, type TreeNode } from './parser.ts';
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
  | 'forbidden-field';

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
  /** For unknown names: the name written and the names that exist, for a "did you mean". */
  readonly unknown?: { readonly name: string; readonly known: readonly string[]; readonly parent: string };
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
}

const ANY: VarType = { kind: 'any' };
const STRING: VarType = { kind: 'string' };
const INT: VarType = { kind: 'int' };
const BOOL: VarType = { kind: 'bool' };

interface Typed {
  readonly type: VarType;
  /** How the value was reached, for messages: `.Payload.PullRequest`. */
  readonly path: string;
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

/** `K` when a pipeline is `index . "K"` (or `index $ "K"`): the guard upstream recommends for keys that may be absent. */
const guardedKey = (p: PipeNode): string | undefined => {
  const [cmd, ...more] = p.cmds;
  const [fn, on, key, ...rest] = cmd?.args ?? [];
  if (more.length > 0 || rest.length > 0 || fn?.type !== 'identifier' || fn.name !== 'index')
    return undefined;
  const atRoot =
    on?.type === 'dot' || (on?.type === 'variable' && on.idents.length === 1 && on.idents[0] === '$');
  return atRoot && key?.type === 'string' ? key.value : undefined;
};

class Checker {
  readonly findings: TemplateFinding[] = [];
  readonly #src: string;
  readonly #root: VarType;
  readonly #forbidden: Readonly<Record<string, string>>;
  readonly #seen = new Set<string>();
  /** Top-level keys an enclosing `{{if index . "Key"}}` has shown to be present. */
  readonly #guarded = new Set<string>();

  constructor(src: string, options: CheckOptions) {
    this.#src = src;
    this.#root = options.data;
    this.#forbidden = options.forbidden ?? {};
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
              ? `.${name} is not a variable of ${t.name === 'prompt' ? "a dependent Task's prompt" : `a ${t.name} source`}`
              : `${path}: ${t.name} has no field ${name}`,
            unknown: { name, known: Object.keys(t.fields), parent: from.path },
          });
          return { type: ANY, path };
        }
        const p = field.presence;
        if (p.when === 'sometimes' && !viaIndex && !(t === this.#root && this.#guarded.has(name))) {
          this.report({
            code: 'conditional-field',
            severity: 'warning',
            offset: pos,
            message: `${path} is not always set: ${p.why}; where it is missing the render fails (missingkey=error)`,
          });
        } else if (p.when === 'empty') {
          this.report({
            code: 'empty-field',
            severity: 'warning',
            offset: pos,
            message: `${path} is always empty for a ${t.name} source: ${p.why}`,
          });
        }
        return { type: field.type, path };
      }
      case 'map': {
        if (t.keys.includes(name)) return { type: t.value, path };
        const unknown = { name, known: [...t.keys], parent: from.path };
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
                ? `${path}: "${name}" is not in dependsOn${t.keys.length ? ` (${t.keys.join(', ')})` : ''}`
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
        const base = vars.get(a.idents[0]!) ?? { type: ANY, path: a.idents[0]! };
        return this.chain(
          a.idents[0] === '$' ? { type: base.type, path: '' } : base,
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
        return { type: INT, path: a.text };
      case 'bool':
        return { type: BOOL, path: String(a.value) };
      default:
        return { type: ANY, path: a.type };
    }
  }

  pipe(p: PipeNode, dot: Typed, vars: Map<string, Typed>): Typed {
    let out: Typed = { type: ANY, path: '' };
    for (const cmd of p.cmds) {
      const [first, ...rest] = cmd.args;
      if (first?.type === 'identifier') {
        const args = rest.map((a) => ({ node: a, typed: this.arg(a, dot, vars) }));
        out = this.call(first.name, args, out);
      } else if (first) {
        for (const a of rest) this.arg(a, dot, vars);
        out = this.arg(first, dot, vars);
      }
    }
    for (const d of p.decl) vars.set(d.idents[0]!, out);
    return out;
  }

  call(name: string, args: readonly { node: ArgNode; typed: Typed }[], piped: Typed): Typed {
    switch (name) {
      case 'index': {
        let at = args[0]?.typed ?? piped;
        for (const { node } of args.slice(1)) {
          if (node.type === 'string') {
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
            at = { type: at.type.kind === 'list' ? at.type.elem : ANY, path: `${at.path}[]` };
          }
        }
        return at;
      }
      case 'len':
        return { type: INT, path: 'len' };
      case 'slice':
        return args[0]?.typed ?? piped;
      case 'eq':
      case 'ne':
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge':
      case 'not':
        return { type: BOOL, path: name };
      case 'print':
      case 'printf':
      case 'println':
      case 'html':
      case 'js':
      case 'urlquery':
        return { type: STRING, path: name };
      default:
        return { type: ANY, path: name };
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
        const value = this.pipe(n.pipe, dot, scope);
        const guard = n.type === 'if' && dot.type === this.#root ? guardedKey(n.pipe) : undefined;
        const fresh = guard !== undefined && !this.#guarded.has(guard);
        if (fresh) this.#guarded.add(guard);
        this.list(n.list, n.type === 'with' ? { type: value.type, path: '' } : dot, scope);
        if (fresh) this.#guarded.delete(guard);
        if (n.elseList) this.list(n.elseList, dot, new Map(vars));
        return;
      }
      case 'range': {
        const scope = new Map(vars);
        const decl = n.pipe.decl;
        const over = this.pipe({ ...n.pipe, decl: [] }, dot, scope);
        const elem: Typed = {
          type: over.type.kind === 'list' ? over.type.elem : over.type.kind === 'map' ? over.type.value : ANY,
          path: '',
        };
        if (decl.length === 1) scope.set(decl[0]!.idents[0]!, elem);
        if (decl.length === 2) {
          scope.set(decl[0]!.idents[0]!, { type: over.type.kind === 'map' ? STRING : INT, path: 'key' });
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
  const checker = new Checker(src, options);
  const root: Typed = { type: options.data, path: '' };
  checker.list(strict, root, new Map([['$', root]]));
  return checker.findings.sort((a, b) => a.offset - b.offset);
};
