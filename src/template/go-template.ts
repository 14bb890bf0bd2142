/**
 * A Go `text/template` compatible engine, so prompts, branch names and name templates
 * written for upstream Kelos render the same here: `{{.Field}}`, `{{index .Deps "a"
 * "Results" "branch"}}`, `if`/`else if`/`range`/`with`, variables, pipelines, the builtin
 * functions, trim markers, comments and `missingkey=error`.
 *
 * Data is JSON-like: plain objects are Go maps, arrays are slices, integral numbers are
 * ints and other numbers float64. Error positions are `line:column` with Go's convention
 * (line 1-based, column a 0-based byte offset in the line).
 *
 * @packageDocumentation
 */
import { ExecError, execute, type MissingKey } from './exec.ts';
import { BUILTINS, type TemplateFunction } from './functions.ts';
import { TemplateSyntaxError } from './lexer.ts';
import { type ArgNode, type ListNode, type PipeNode, parse, type TreeNode } from './parser.ts';
import type { GoValue } from './values.ts';

export type { MissingKey } from './exec.ts';
export { FunctionError, type TemplateFunction } from './functions.ts';
export { asStringMap, GoFloat, type GoValue } from './values.ts';

/** Options for parsing and executing a template. */
export interface TemplateOptions {
  /**
   * Name shown in error messages (`template: <name>:1:2: ...`).
   * @default 'template'
   */
  readonly name?: string;
  /**
   * What a missing map key does: `error` fails (Go's `missingkey=error`, which Kelos uses
   * everywhere), `default` yields no value (printed `<no value>`).
   * @default 'error'
   */
  readonly missingKey?: MissingKey;
  /** Extra functions, by name, next to the builtins. */
  readonly funcs?: Readonly<Record<string, TemplateFunction>>;
}

/** A template that failed to parse or execute, with where and why. */
export class TemplateError extends Error {
  /** Name of the template. */
  readonly templateName: string;
  /** 1-based line of the failing node. */
  readonly line: number;
  /** 0-based byte offset of the failing node within its line (Go's convention). */
  readonly column: number;
  /** Whether parsing or execution failed. */
  readonly phase: 'parse' | 'execute';
  /** The message without the location prefix. */
  readonly reason: string;

  constructor(
    message: string,
    init: { templateName: string; line: number; column: number; phase: 'parse' | 'execute'; reason: string },
  ) {
    super(message);
    this.name = 'TemplateError';
    this.templateName = init.templateName;
    this.line = init.line;
    this.column = init.column;
    this.phase = init.phase;
    this.reason = init.reason;
  }
}

/** A parsed template, ready to execute any number of times. */
export interface GoTemplate {
  readonly name: string;
  readonly tree: ListNode;
  /**
   * Renders the template with `data` as dot.
   * @throws {TemplateError} when execution fails (missing key, bad function call, …).
   */
  execute(data: GoValue): string;
}

const position = (src: string, pos: number): { line: number; column: number } => {
  const before = src.slice(0, pos);
  const nl = before.lastIndexOf('\n');
  const lineText = nl === -1 ? before : before.slice(nl + 1);
  return { line: 1 + (before.match(/\n/g)?.length ?? 0), column: Buffer.byteLength(lineText, 'utf8') };
};

/**
 * Parses a template.
 * @throws {TemplateError} with phase `parse` on a syntax error.
 */
export const parseTemplate = (src: string, options: TemplateOptions = {}): GoTemplate => {
  const name = options.name ?? 'template';
  const funcs: Readonly<Record<string, TemplateFunction>> = { ...BUILTINS, ...options.funcs };
  const missingKey = options.missingKey ?? 'error';
  let tree: ListNode;
  try {
    tree = parse(src, (fn) => Object.hasOwn(funcs, fn));
  } catch (e) {
    if (!(e instanceof TemplateSyntaxError)) throw e;
    const { line, column } = position(src, e.pos);
    throw new TemplateError(`template: ${name}:${line}:${column}: ${e.message}`, {
      templateName: name,
      line,
      column,
      phase: 'parse',
      reason: e.message,
    });
  }
  return {
    name,
    tree,
    execute: (data) => {
      try {
        return execute(tree, data, funcs, missingKey);
      } catch (e) {
        if (!(e instanceof ExecError)) throw e;
        const { line, column } = position(src, e.pos);
        throw new TemplateError(
          `template: ${name}:${line}:${column}: executing ${JSON.stringify(name)} at <${e.context}>: ${e.message}`,
          { templateName: name, line, column, phase: 'execute', reason: e.message },
        );
      }
    },
  };
};

/**
 * Parses and executes a template in one step.
 * @throws {TemplateError} on a syntax or execution error.
 */
export const renderTemplate = (src: string, data: GoValue, options: TemplateOptions = {}): string =>
  parseTemplate(src, options).execute(data);

const argsOf = (n: ArgNode): ArgNode[] =>
  n.type === 'pipe' ? n.cmds.flatMap((c) => c.args) : n.type === 'chain' ? [n.node] : [];

const pipeReferences = (pipe: PipeNode, field: string): boolean =>
  pipe.cmds.some((cmd) => {
    const [first, second, third] = cmd.args;
    // `index . "Context"` and `index $ "Context"` reach the field without naming it as .Context.
    if (
      first?.type === 'identifier' &&
      first.name === 'index' &&
      (second?.type === 'dot' ||
        (second?.type === 'variable' && second.idents.length === 1 && second.idents[0] === '$')) &&
      third?.type === 'string' &&
      third.value === field
    ) {
      return true;
    }
    return cmd.args.some((a) => argReferences(a, field));
  });

const argReferences = (a: ArgNode, field: string): boolean => {
  if (a.type === 'field') return a.idents[0] === field;
  if (a.type === 'variable') return a.idents[0] === '$' && a.idents[1] === field;
  if (a.type === 'pipe') return pipeReferences(a, field);
  return argsOf(a).some((x) => argReferences(x, field));
};

const nodeReferences = (n: TreeNode | ListNode, field: string): boolean => {
  switch (n.type) {
    case 'list':
      return n.nodes.some((x) => nodeReferences(x, field));
    case 'action':
      return pipeReferences(n.pipe, field);
    case 'if':
    case 'with':
    case 'range':
      return (
        pipeReferences(n.pipe, field) ||
        nodeReferences(n.list, field) ||
        (n.elseList !== undefined && nodeReferences(n.elseList, field))
      );
    default:
      return false;
  }
};

/**
 * Whether a template reads a top-level field, such as `.Context`: as `.Context…` anywhere
 * (including inside `with`/`range`, conservatively), as `$.Context…`, or as
 * `index . "Context"`. Upstream forbids `.Context` in a TaskSpawner's nameTemplate.
 * @throws {TemplateError} when the template does not parse.
 */
export const referencesField = (src: string, field: string, options: TemplateOptions = {}): boolean =>
  nodeReferences(parseTemplate(src, options).tree, field);
