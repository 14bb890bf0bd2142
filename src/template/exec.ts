/**
 * Executes a parsed template against data, following `text/template/exec.go`: the dot
 * cursor, variables and their scopes, field chains with the `missingkey` option, function
 * calls with short-circuit `and`/`or`, and `if`/`with`/`range` with `break`/`continue`.
 *
 * @packageDocumentation
 */
import { formatValue } from './format.ts';
import { FunctionError, type ParamKind, type TemplateFunction } from './functions.ts';
import {
  type ArgNode,
  type BranchNode,
  type ChainNode,
  type CommandNode,
  type FieldNode,
  IntOverflow,
  type ListNode,
  type NumberNode,
  nodeString,
  type PipeNode,
  type TreeNode,
  type VariableNode,
} from './parser.ts';
import { type GoValue, isMap, isTrue, kindOf, sortedKeys, typeName } from './values.ts';

/** What to do when a field names a key the map does not have. */
export type MissingKey = 'error' | 'default';

/** A failure while executing, at a node. */
export class ExecError extends Error {
  readonly pos: number;
  readonly context: string;
  constructor(message: string, pos: number, context: string) {
    super(message);
    this.name = 'ExecError';
    this.pos = pos;
    this.context = context;
  }
}

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

type Located = { readonly pos: number } & (ArgNode | CommandNode | TreeNode | PipeNode);

/** Executes `tree` with `data` as dot and `$`. */
export const execute = (
  tree: ListNode,
  data: GoValue,
  funcs: Readonly<Record<string, TemplateFunction>>,
  missingKey: MissingKey,
): string => {
  const state = new State(funcs, missingKey, data);
  state.walk(data === null ? undefined : data, tree);
  return state.out;
};

class State {
  out = '';
  private readonly funcs: Readonly<Record<string, TemplateFunction>>;
  private readonly missingKey: MissingKey;
  private readonly vars: { name: string; value: GoValue }[];
  private node: Located | undefined;

  constructor(funcs: Readonly<Record<string, TemplateFunction>>, missingKey: MissingKey, data: GoValue) {
    this.funcs = funcs;
    this.missingKey = missingKey;
    this.vars = [{ name: '$', value: data === null ? undefined : data }];
  }

  private at(node: Located): void {
    this.node = node;
  }

  private errorf(message: string): never {
    const n = this.node;
    let context = '';
    if (
      n !== undefined &&
      n.type !== 'text' &&
      n.type !== 'action' &&
      n.type !== 'if' &&
      n.type !== 'with' &&
      n.type !== 'range' &&
      n.type !== 'break' &&
      n.type !== 'continue'
    ) {
      context = nodeString(n as ArgNode | CommandNode);
    } else if (n !== undefined && (n.type === 'if' || n.type === 'with' || n.type === 'range')) {
      context = `{{${n.type} ${nodeString(n.pipe)}}}`;
    }
    throw new ExecError(message, n?.pos ?? 0, context);
  }

  private mark(): number {
    return this.vars.length;
  }
  private pop(mark: number): void {
    this.vars.length = mark;
  }
  private setVar(name: string, value: GoValue): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  private setTopVar(n: number, value: GoValue): void {
    this.vars[this.vars.length - n]!.value = value;
  }
  private varValue(name: string): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) return this.vars[i]!.value;
    }
    this.errorf(`undefined variable: ${name}`);
  }

  walk(dot: GoValue, node: TreeNode | ListNode): void {
    switch (node.type) {
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'text':
        this.out += node.text;
        return;
      case 'action': {
        const v = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, v);
        return;
      }
      case 'if':
      case 'with':
        this.walkIfOrWith(dot, node);
        return;
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
    }
  }

  private printValue(node: Located, v: GoValue): void {
    this.at(node);
    this.out += v === undefined ? '<no value>' : formatValue(v, 'v');
  }

  private walkIfOrWith(dot: GoValue, node: BranchNode): void {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (isTrue(val)) {
        this.walk(node.type === 'with' ? val : dot, node.list);
      } else if (node.elseList !== undefined) {
        this.walk(dot, node.elseList);
      }
    } finally {
      this.pop(mark);
    }
  }

  private walkRange(dot: GoValue, r: BranchNode): void {
    this.at(r);
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const decl = r.pipe.decl;
      const one = (key: GoValue, elem: GoValue): boolean => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar(decl[0]!.idents[0]!, decl.length > 1 ? key : elem);
          else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]!.idents[0]!, elem);
          else this.setTopVar(2, key);
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e === BREAK) return false;
          if (e !== CONTINUE) throw e;
        } finally {
          this.pop(mark);
        }
        return true;
      };
      let ran = false;
      switch (kindOf(val)) {
        case 'slice':
          for (const [i, v] of (val as GoValue[]).entries()) {
            ran = true;
            if (!one(i, v ?? null)) break;
          }
          break;
        case 'map': {
          const m = val as { readonly [k: string]: GoValue };
          for (const k of sortedKeys(m)) {
            ran = true;
            if (!one(k, m[k] ?? null)) break;
          }
          break;
        }
        case 'int': {
          if (decl.length > 1) {
            this.errorf(`can't use ${formatValue(val, 'v')} to iterate over more than one variable`);
          }
          const n = Number(val);
          for (let i = 0; i < n; i++) {
            ran = true;
            if (!one(i, i)) break;
          }
          break;
        }
        case 'invalid':
          break;
        default:
          this.errorf(`range can't iterate over ${formatValue(val, 'v')}`);
      }
      if (!ran && r.elseList !== undefined) this.walk(dot, r.elseList);
    } finally {
      this.pop(outer);
    }
  }

  private evalPipeline(dot: GoValue, pipe: PipeNode): GoValue {
    this.at(pipe);
    let value: GoValue | typeof MISSING = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // A nil interface held in a map becomes an invalid value ("dig down one level").
      if (value === null) value = undefined;
    }
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.idents[0]!, value as GoValue);
      else this.vars.push({ name: v.idents[0]!, value: value as GoValue });
    }
    return value as GoValue;
  }

  private notAFunction(args: readonly ArgNode[], final: GoValue | typeof MISSING): void {
    if (args.length > 1 || final !== MISSING) {
      this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
    }
  }

  private evalCommand(dot: GoValue, cmd: CommandNode, final: GoValue | typeof MISSING): GoValue {
    const first = cmd.args[0]!;
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first.name, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.errorf('nil is not a command');
      case 'number':
        return this.numberValue(first);
      case 'string':
        return first.value;
    }
  }

  private evalFieldNode(
    dot: GoValue,
    field: FieldNode,
    args: readonly ArgNode[],
    final: GoValue | typeof MISSING,
  ): GoValue {
    this.at(field);
    return this.evalFieldChain(dot, field.idents, args, final);
  }

  private evalChainNode(
    dot: GoValue,
    chain: ChainNode,
    args: readonly ArgNode[],
    final: GoValue | typeof MISSING,
  ): GoValue {
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    let receiver = this.evalArg(dot, 'any', chain.node);
    if (receiver === null) receiver = undefined;
    return this.evalFieldChain(receiver, chain.fields, args, final);
  }

  private evalVariableNode(
    v: VariableNode,
    args: readonly ArgNode[],
    final: GoValue | typeof MISSING,
  ): GoValue {
    this.at(v);
    const value = this.varValue(v.idents[0]!);
    if (v.idents.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(value, v.idents.slice(1), args, final);
  }

  private evalFieldChain(
    receiver: GoValue,
    idents: readonly string[],
    args: readonly ArgNode[],
    final: GoValue | typeof MISSING,
  ): GoValue {
    let r = receiver;
    for (let i = 0; i < idents.length - 1; i++) r = this.evalField(idents[i]!, [], MISSING, r);
    return this.evalField(idents.at(-1)!, args, final, r);
  }

  /** Looks one field up. Like Go, it leaves the error location on the field or chain node. */
  private evalField(
    name: string,
    args: readonly ArgNode[],
    final: GoValue | typeof MISSING,
    receiver: GoValue,
  ): GoValue {
    if (receiver === undefined) {
      if (this.missingKey === 'error') this.errorf(`nil data; no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    if (isMap(receiver)) {
      if (args.length > 1 || final !== MISSING) this.errorf(`${name} is not a method but has arguments`);
      if (Object.hasOwn(receiver, name)) return receiver[name] ?? null;
      if (this.missingKey === 'error') this.errorf(`map has no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    // Values reached through maps and slices are interface {} to Go, and so is every receiver here.
    return this.errorf(`can't evaluate field ${name} in type interface {}`);
  }

  private evalFunction(
    dot: GoValue,
    name: string,
    node: Located,
    cmd: CommandNode,
    args: readonly ArgNode[],
    final: GoValue | typeof MISSING,
  ): GoValue {
    this.at(node);
    const fn = this.funcs[name];
    if (fn === undefined) this.errorf(`${JSON.stringify(name)} is not a defined function`);
    const callArgs = args.slice(1);
    const numIn = callArgs.length + (final === MISSING ? 0 : 1);
    const fixed = fn.params.length;
    if (fn.variadic !== undefined) {
      if (numIn < fixed)
        this.errorf(`wrong number of args for ${name}: want at least ${fixed} got ${callArgs.length}`);
    } else if (numIn !== fixed) {
      this.errorf(`wrong number of args for ${name}: want ${fixed} got ${numIn}`);
    }
    const paramAt = (i: number): ParamKind => fn.params[i] ?? fn.variadic!;

    if (name === 'and' || name === 'or') {
      let v: GoValue;
      for (const a of callArgs) {
        v = this.evalArg(dot, 'value', a);
        if (isTrue(v) === (name === 'or')) return v;
      }
      if (final !== MISSING) v = this.validateType(final, 'value');
      return v;
    }

    const argv: GoValue[] = callArgs.map((a, i) => this.evalArg(dot, paramAt(i), a));
    if (final !== MISSING) argv.push(this.validateType(final, paramAt(callArgs.length)));
    try {
      return fn.call(argv);
    } catch (e) {
      this.at(cmd);
      if (!(e instanceof Error)) throw e;
      let message = e.message;
      // Go names the callee of `call` by its source text.
      if (
        name === 'call' &&
        callArgs[0] !== undefined &&
        e instanceof FunctionError &&
        message.startsWith('non-function ')
      ) {
        message = message.replace('non-function ', `non-function ${nodeString(callArgs[0])} `);
      }
      this.errorf(`error calling ${name}: ${message}`);
    }
  }

  private validateType(value: GoValue, param: ParamKind): GoValue {
    if (value === undefined) {
      if (param === 'any') return null;
      if (param === 'string') this.errorf('invalid value; expected string');
    }
    if (param === 'string' && typeof value !== 'string') {
      this.errorf(`wrong type for value; expected string; got ${typeName(value)}`);
    }
    return value;
  }

  private evalArg(dot: GoValue, param: ParamKind, n: ArgNode): GoValue {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, param);
      case 'nil':
        if (param === 'any') return null;
        if (param === 'string') this.errorf('cannot assign nil to string');
        return undefined;
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), param);
      case 'variable':
        return this.validateType(this.evalVariableNode(n, [], MISSING), param);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), param);
      case 'identifier':
        return this.validateType(
          this.evalFunction(dot, n.name, n, { type: 'command', pos: n.pos, args: [n] }, [n], MISSING),
          param,
        );
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, [], MISSING), param);
      case 'string':
        return n.value;
      case 'bool':
        if (param === 'string') this.errorf(`expected string; found ${nodeString(n)}`);
        return n.value;
      case 'number':
        if (param === 'string') this.errorf(`expected string; found ${nodeString(n)}`);
        return this.numberValue(n);
    }
  }

  private numberValue(n: NumberNode): GoValue {
    if (n.value instanceof IntOverflow) this.errorf(`${n.value.text} overflows int`);
    return n.value;
  }
}

const MISSING = Symbol('missing');
