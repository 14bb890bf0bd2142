/**
 * Parser for Go `text/template` source, following `text/template/parse/parse.go`: it
 * builds the same tree (lists, actions, pipelines, commands, control structures) and
 * reports the same syntax errors, with a source offset on each.
 *
 * @packageDocumentation
 */
import { lex, TemplateSyntaxError, type Token, type TokenKind } from './lexer.ts';
import { GoFloat, type GoValue, unquoteGoChar, unquoteGoString } from './values.ts';

/** Literal text. */
export interface TextNode {
  readonly type: 'text';
  readonly pos: number;
  readonly text: string;
}
/** `.`, the cursor. */
export interface DotNode {
  readonly type: 'dot';
  readonly pos: number;
}
/** `nil`. */
export interface NilNode {
  readonly type: 'nil';
  readonly pos: number;
}
/** `true` or `false`. */
export interface BoolNode {
  readonly type: 'bool';
  readonly pos: number;
  readonly value: boolean;
}
/** A number or character constant; `value` is its ideal-constant value. */
export interface NumberNode {
  readonly type: 'number';
  readonly pos: number;
  readonly text: string;
  readonly value: GoValue | IntOverflow;
}
/** A quoted string. */
export interface StringNode {
  readonly type: 'string';
  readonly pos: number;
  readonly quoted: string;
  readonly value: string;
}
/** `.A.B`: field chain starting at dot. */
export interface FieldNode {
  readonly type: 'field';
  readonly pos: number;
  readonly idents: readonly string[];
}
/** `$x.A.B`: a variable, optionally followed by fields; `idents[0]` is the variable name. */
export interface VariableNode {
  readonly type: 'variable';
  readonly pos: number;
  readonly idents: readonly string[];
}
/** A function name. */
export interface IdentifierNode {
  readonly type: 'identifier';
  readonly pos: number;
  readonly name: string;
}
/** `(pipeline).A.B` or `fn.A`: fields applied to another term. */
export interface ChainNode {
  readonly type: 'chain';
  readonly pos: number;
  readonly node: ArgNode;
  readonly fields: readonly string[];
}
/** One pipeline stage: a function, field or value with its arguments. */
export interface CommandNode {
  readonly type: 'command';
  readonly pos: number;
  readonly args: ArgNode[];
}
/** A pipeline, with optional variable declarations (`$x :=`) or assignments (`$x =`). */
export interface PipeNode {
  readonly type: 'pipe';
  readonly pos: number;
  isAssign: boolean;
  readonly decl: VariableNode[];
  readonly cmds: CommandNode[];
}
/** Anything that can be a command argument. */
export type ArgNode =
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | FieldNode
  | VariableNode
  | IdentifierNode
  | ChainNode
  | PipeNode;

/** `{{pipeline}}`. */
export interface ActionNode {
  readonly type: 'action';
  readonly pos: number;
  readonly pipe: PipeNode;
}
/** `{{if}}`, `{{with}}` or `{{range}}` with its branches. */
export interface BranchNode {
  readonly type: 'if' | 'with' | 'range';
  readonly pos: number;
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | undefined;
}
/** `{{break}}` or `{{continue}}`. */
export interface LoopControlNode {
  readonly type: 'break' | 'continue';
  readonly pos: number;
}
/** A sequence of nodes. */
export interface ListNode {
  readonly type: 'list';
  readonly pos: number;
  readonly nodes: TreeNode[];
}
/** Any node that can appear in a list. */
export type TreeNode = TextNode | ActionNode | BranchNode | LoopControlNode;

/**
 * How deep {{if}}, {{with}}, {{range}} (an {{else if}} chain counting each link) and
 * parentheses may nest. Go caps only parentheses, at 10,000, and grows its stack for the
 * rest; this parser, the checker and the executor recurse on a fixed JavaScript stack that
 * overflows in the low thousands, so a far lower cap turns a hostile template into a
 * located syntax error instead of a crash. No prompt template comes near it.
 */
export const MAX_TEMPLATE_NESTING = 100;

interface Delimiter {
  readonly kind: 'end' | 'else';
  readonly pos: number;
}

/** Parses template source into a tree; `isFunction` says which identifiers are defined. */
export const parse = (src: string, isFunction: (name: string) => boolean): ListNode => {
  return new Parser(lex(src), isFunction).parseTop();
};

class Parser {
  private readonly tokens: Token[];
  private readonly isFunction: (name: string) => boolean;
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private depth = 0;

  constructor(tokens: Token[], isFunction: (name: string) => boolean) {
    this.tokens = tokens;
    this.isFunction = isFunction;
  }

  parseTop(): ListNode {
    const list: ListNode = { type: 'list', pos: 0, nodes: [] };
    while (this.peek().kind !== 'eof') {
      const n = this.textOrAction();
      if (n === undefined) continue;
      if ('kind' in n) throw new TemplateSyntaxError(`unexpected {{${n.kind}}}`, n.pos);
      list.nodes.push(n);
    }
    return list;
  }

  private next(): Token {
    const t = this.tokens[this.i]!;
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private nextNonSpace(): Token {
    let t = this.next();
    while (t.kind === 'space') t = this.next();
    return t;
  }
  private peekNonSpace(): Token {
    let j = this.i;
    while (this.tokens[j]!.kind === 'space') j++;
    return this.tokens[j]!;
  }
  private backup(): void {
    this.i--;
  }

  private unexpected(t: Token, context: string): never {
    if (t.kind === 'eof') throw new TemplateSyntaxError(`unexpected EOF in ${context}`, t.pos);
    const shown = t.kind === 'rightDelim' ? '}}' : t.kind === 'leftDelim' ? '{{' : t.value;
    throw new TemplateSyntaxError(`unexpected ${JSON.stringify(shown)} in ${context}`, t.pos);
  }

  private expect(kind: TokenKind, context: string): Token {
    const t = this.nextNonSpace();
    if (t.kind !== kind) this.unexpected(t, context);
    return t;
  }

  /** Parses nodes until `{{end}}` or `{{else}}`, which it returns. */
  private itemList(): { list: ListNode; delim: Delimiter } {
    const list: ListNode = { type: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().kind !== 'eof') {
      const n = this.textOrAction();
      if (n === undefined) continue;
      if ('kind' in n) return { list, delim: n };
      list.nodes.push(n);
    }
    throw new TemplateSyntaxError('unexpected EOF', this.peek().pos);
  }

  private textOrAction(): TreeNode | Delimiter | undefined {
    const t = this.nextNonSpace();
    if (t.kind === 'text') return { type: 'text', pos: t.pos, text: t.value };
    if (t.kind === 'leftDelim') return this.action();
    this.unexpected(t, 'input');
  }

  private action(): TreeNode | Delimiter {
    const t = this.nextNonSpace();
    if (t.kind === 'keyword') {
      switch (t.value) {
        case 'if':
          return this.control('if', t.pos);
        case 'with':
          return this.control('with', t.pos);
        case 'range':
          return this.control('range', t.pos);
        case 'end':
          this.expect('rightDelim', 'end');
          return { kind: 'end', pos: t.pos };
        case 'else': {
          const p = this.peekNonSpace();
          // "{{else if ...}}" and "{{else with ...}}" are "{{else}}{{if ...}}...{{end}}".
          if (p.kind === 'keyword' && (p.value === 'if' || p.value === 'with'))
            return { kind: 'else', pos: p.pos };
          this.expect('rightDelim', 'else');
          return { kind: 'else', pos: t.pos };
        }
        case 'break':
        case 'continue': {
          const r = this.nextNonSpace();
          if (r.kind !== 'rightDelim') this.unexpected(r, `{{${t.value}}}`);
          if (this.rangeDepth === 0) throw new TemplateSyntaxError(`{{${t.value}}} outside {{range}}`, t.pos);
          return { type: t.value, pos: t.pos };
        }
        default:
          throw new TemplateSyntaxError(
            `{{${t.value}}} is not supported: Kelos templates are a single template without define/template/block`,
            t.pos,
          );
      }
    }
    this.backup();
    const pos = this.peek().pos;
    // Variables declared here live until the enclosing {{end}}.
    return { type: 'action', pos, pipe: this.pipeline('command', 'rightDelim') };
  }

  /** Runs `inner` one nesting level down, refusing to go past MAX_TEMPLATE_NESTING. */
  private nested<T>(pos: number, inner: () => T): T {
    if (this.depth >= MAX_TEMPLATE_NESTING)
      throw new TemplateSyntaxError(
        `{{if}}, {{with}}, {{range}} and parentheses nest more than ${MAX_TEMPLATE_NESTING} levels deep here; Kelos refuses deeper templates`,
        pos,
      );
    this.depth++;
    try {
      return inner();
    } finally {
      this.depth--;
    }
  }

  private control(context: 'if' | 'with' | 'range', pos: number): BranchNode {
    return this.nested(pos, () => this.branch(context, pos));
  }

  private branch(context: 'if' | 'with' | 'range', pos: number): BranchNode {
    const mark = this.vars.length;
    const pipe = this.pipeline(context, 'rightDelim');
    if (context === 'range') this.rangeDepth++;
    const { list, delim } = this.itemList();
    if (context === 'range') this.rangeDepth--;
    let elseList: ListNode | undefined;
    if (delim.kind === 'else') {
      const p = this.peekNonSpace();
      if (context !== 'range' && p.kind === 'keyword' && p.value === context) {
        this.nextNonSpace();
        elseList = { type: 'list', pos: delim.pos, nodes: [this.control(context, p.pos)] };
      } else {
        if (p.kind === 'keyword' && (p.value === 'if' || p.value === 'with')) {
          throw new TemplateSyntaxError(`unexpected <${p.value}> in input`, p.pos);
        }
        const rest = this.itemList();
        if (rest.delim.kind !== 'end')
          throw new TemplateSyntaxError('expected end; found {{else}}', rest.delim.pos);
        elseList = rest.list;
      }
    }
    this.vars.length = mark;
    return { type: context, pos, pipe, list, elseList };
  }

  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const pipe: PipeNode = {
      type: 'pipe',
      pos: this.peekNonSpace().pos,
      isAssign: false,
      decl: [],
      cmds: [],
    };
    for (;;) {
      const v = this.peekNonSpace();
      if (v.kind !== 'variable') break;
      const save = this.i;
      this.nextNonSpace();
      const n = this.peekNonSpace();
      if (n.kind === 'assign' || n.kind === 'declare') {
        pipe.isAssign = n.kind === 'assign';
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, idents: [v.value] });
        // Assignment targets are checked when executing, as Go does.
        if (n.kind === 'declare') this.vars.push(v.value);
        break;
      }
      if (n.kind === 'comma') {
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, idents: [v.value] });
        this.vars.push(v.value);
        if (context === 'range' && pipe.decl.length < 2) {
          const k = this.peekNonSpace().kind;
          if (k === 'variable') continue;
          throw new TemplateSyntaxError('range can only initialize variables', n.pos);
        }
        throw new TemplateSyntaxError(`too many declarations in ${context}`, n.pos);
      }
      this.i = save;
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.kind === end) {
        this.checkPipeline(pipe, context, t.pos);
        return pipe;
      }
      switch (t.kind) {
        case 'bool':
        case 'char':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string, pos: number): void {
    if (pipe.cmds.length === 0) throw new TemplateSyntaxError(`missing value for ${context}`, pos);
    pipe.cmds.forEach((c, i) => {
      const first = c.args[0]!;
      if (i > 0 && ['bool', 'dot', 'nil', 'number', 'string'].includes(first.type)) {
        throw new TemplateSyntaxError(`non executable command in pipeline stage ${i + 1}`, first.pos);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.skipSpaces();
      const operand = this.operand();
      if (operand !== undefined) cmd.args.push(operand);
      const t = this.next();
      if (t.kind === 'space') continue;
      if (t.kind === 'rightDelim' || t.kind === 'rightParen') this.backup();
      else if (t.kind !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) throw new TemplateSyntaxError('empty command', cmd.pos);
    return cmd;
  }

  private skipSpaces(): void {
    while (this.peek().kind === 'space') this.i++;
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (node === undefined) return undefined;
    if (this.peek().kind !== 'field') return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().kind === 'field') fields.push(this.next().value.slice(1));
    switch (node.type) {
      // Like Go, a field chain is positioned at its first chained field.
      case 'field':
        return { type: 'field', pos, idents: [...node.idents, ...fields] };
      case 'variable':
        return { type: 'variable', pos, idents: [...node.idents, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        throw new TemplateSyntaxError(`unexpected . after term ${JSON.stringify(nodeString(node))}`, pos);
      default:
        return { type: 'chain', pos, node, fields };
    }
  }

  private useVar(t: Token): VariableNode {
    if (!this.vars.includes(t.value)) {
      throw new TemplateSyntaxError(`undefined variable ${JSON.stringify(t.value)}`, t.pos);
    }
    return { type: 'variable', pos: t.pos, idents: [t.value] };
  }

  private term(): ArgNode | undefined {
    const t = this.nextNonSpace();
    switch (t.kind) {
      case 'identifier':
        if (!this.isFunction(t.value))
          throw new TemplateSyntaxError(`function ${JSON.stringify(t.value)} not defined`, t.pos);
        return { type: 'identifier', pos: t.pos, name: t.value };
      case 'dot':
        return { type: 'dot', pos: t.pos };
      case 'nil':
        return { type: 'nil', pos: t.pos };
      case 'variable':
        return this.useVar(t);
      case 'field':
        return { type: 'field', pos: t.pos, idents: [t.value.slice(1)] };
      case 'bool':
        return { type: 'bool', pos: t.pos, value: t.value === 'true' };
      case 'char':
      case 'number':
        return { type: 'number', pos: t.pos, text: t.value, value: numberValue(t) };
      case 'leftParen':
        return this.nested(t.pos, () => this.pipeline('parenthesized pipeline', 'rightParen'));
      case 'string':
        return { type: 'string', pos: t.pos, quoted: t.value, value: unquoteGoString(t.value, t.pos) };
      case 'rawString':
        return {
          type: 'string',
          pos: t.pos,
          quoted: t.value,
          value: t.value.slice(1, -1).replaceAll('\r', ''),
        };
      default:
        this.backup();
        return undefined;
    }
  }
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** A constant that fits uint64 but not int; using it is an execution error, as in Go. */
export class IntOverflow {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** The ideal-constant value of a number token, typed as Go's `idealConstant` would type it. */
const numberValue = (t: Token): GoValue | IntOverflow => {
  if (t.kind === 'char') return unquoteGoChar(t.value, t.pos);
  const text = t.value;
  if (text.endsWith('i'))
    throw new TemplateSyntaxError(`complex constants are not supported: ${text}`, t.pos);
  const clean = text.replaceAll('_', '');
  const neg = clean.startsWith('-');
  const body = clean.replace(/^[+-]/, '');
  const isHex = /^0[xX]/.test(body);
  if (!/[.eEpP]/.test(body) || (isHex && !/[.pP]/.test(body))) {
    let n: bigint;
    try {
      const lit = /^0[0-7]+$/.test(body) ? `0o${body.slice(1)}` : body;
      n = BigInt(lit);
    } catch {
      throw new TemplateSyntaxError(`illegal number syntax: ${JSON.stringify(text)}`, t.pos);
    }
    if (neg) n = -n;
    // Go accepts uint64 constants when parsing and fails when they are used as an int.
    if (n > INT64_MAX && n <= UINT64_MAX) return new IntOverflow(text);
    if (n > INT64_MAX || n < INT64_MIN) throw new TemplateSyntaxError(`integer overflow: ${text}`, t.pos);
    return Number.isSafeInteger(Number(n)) ? Number(n) : n;
  }
  if (isHex) throw new TemplateSyntaxError(`hexadecimal floats are not supported: ${text}`, t.pos);
  const f = Number(clean);
  if (Number.isNaN(f)) throw new TemplateSyntaxError(`illegal number syntax: ${JSON.stringify(text)}`, t.pos);
  return Number.isInteger(f) ? new GoFloat(f) : f;
};

/** Renders a node back to source form, as Go's `Node.String()` does, for error context. */
export const nodeString = (n: ArgNode | CommandNode): string => {
  switch (n.type) {
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(n.value);
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'field':
      return n.idents.map((i) => `.${i}`).join('');
    case 'variable':
      return n.idents.join('.');
    case 'identifier':
      return n.name;
    case 'chain': {
      const inner = n.node.type === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return inner + n.fields.map((f) => `.${f}`).join('');
    }
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'pipe': {
      const decl =
        n.decl.length > 0 ? `${n.decl.map((d) => d.idents[0]).join(', ')} ${n.isAssign ? '=' : ':='} ` : '';
      return decl + n.cmds.map(nodeString).join(' | ');
    }
  }
};
