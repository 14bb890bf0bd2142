/**
 * The line of a prop a finding is about, in the app's own source: a finding on an object a
 * construct made names the line of the `new …(` call (see object-sites.ts and
 * constructs/site.ts), while the mistake (a misspelt key, a wrong value) is on the line of one
 * key inside that call, or in the shared object literal the call names (in the same file, or
 * exported by a module the file imports it from by name).
 *
 * The source is read as tokens, not parsed: `typescript` is no runtime dependency, a parser
 * that reads TypeScript (`typescript`, `@babel/parser`) would add megabytes to every install
 * for this one lookup, and a token stream with its brackets matched is enough to tell an
 * object literal's keys from everything else (measured: 15 ms to scan 119 KiB of TypeScript,
 * once per file and synth). Every rule here errs toward the call's line: a key is only moved to when it
 * is the one place, among the keys of the call (and of one `const` object literal it names),
 * whose chain of enclosing keys is the finding's pointer. A spread or a computed key after it,
 * a value built by a function call, a second declaration of the variable anywhere in the file:
 * each leaves the finding where it was.
 *
 * @packageDocumentation
 */
import { readFileSync, statSync } from 'node:fs';
import { extname, posix, resolve } from 'node:path';
import { parsePointer } from '../validate/diagnostic.ts';
import type { SourceSite } from './app-run.ts';

/** Files larger than this are not read: a generated module, not the app's own code. */
export const MAX_PROP_SOURCE_BYTES = 1024 * 1024;

/** Extensions of the sources read; JSX would need a grammar of its own. */
const SOURCE_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);

type TokenKind = 'id' | 'str' | 'num' | 'punct' | 'tpl' | 'regex';

interface Token {
  readonly kind: TokenKind;
  /** The text as written, or a string's value (when it has no escapes). */
  readonly text: string;
  /** Offset of its first character. */
  readonly start: number;
}

/** A source read as tokens, with each bracket's match and each token's enclosing bracket. */
export interface ScannedSource {
  readonly tokens: readonly Token[];
  /** For a bracket token, the index of its partner. */
  readonly match: ReadonlyMap<number, number>;
  /** Index of the innermost open bracket around each token (-1 at the top level). */
  readonly parent: Int32Array;
  /** Offset at which each line (0-based) starts. */
  readonly lineStarts: readonly number[];
}

/** Punctuators longer than one character, longest first. */
const PUNCTUATORS = [
  '>>>=',
  '...',
  '===',
  '!==',
  '**=',
  '<<=',
  '>>=',
  '>>>',
  '&&=',
  '||=',
  '??=',
  '=>',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '?.',
  '++',
  '--',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '**',
  '<<',
  '>>',
];

/** Assignment operators: after a member of a declared object, they change what it holds. */
const ASSIGNMENTS = new Set([
  '=',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '**=',
  '<<=',
  '>>=',
  '>>>=',
  '&=',
  '|=',
  '^=',
  '&&=',
  '||=',
  '??=',
]);

/** Words after which a `/` starts a regular expression, not a division. */
const BEFORE_REGEX = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

/** Each opening bracket's closer; a template's substitution `${…}` is a bracket of its own. */
const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}', '${': '}' };
const IDENT_START = /[\p{ID_Start}$_#]/u;
const IDENT_PART = /[\p{ID_Continue}$\u200c\u200d]/u;

/** Whether a `/` after `prev` starts a regular expression. */
const regexAfter = (prev: Token | undefined): boolean => {
  if (!prev) return true;
  if (prev.kind === 'id') return BEFORE_REGEX.has(prev.text);
  if (prev.kind !== 'punct') return false;
  return ![')', ']', '}', '++', '--'].includes(prev.text);
};

/**
 * Reads `text` (JavaScript, or TypeScript with its types) as tokens; `undefined` when it does
 * not read as one (an unterminated string, unbalanced brackets): then nothing in it is trusted.
 */
export const scanSource = (text: string): ScannedSource | undefined => {
  const tokens: Token[] = [];
  const match = new Map<number, number>();
  const parents: number[] = [];
  const open: number[] = [];
  const lineStarts = [0];
  // The line terminators V8 counts when it numbers the lines of a stack frame.
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n' || c === '\u2028' || c === '\u2029' || (c === '\r' && text[i + 1] !== '\n'))
      lineStarts.push(i + 1);
  }
  const push = (kind: TokenKind, value: string, start: number) => {
    parents.push(open.at(-1) ?? -1);
    tokens.push({ kind, text: value, start });
  };
  /** Reads template characters from `i` up to its end or a substitution; the offset after. */
  const template = (from: number, start: number): number | undefined => {
    for (let i = from; i < text.length; i++) {
      const c = text[i];
      if (c === '\\') i++;
      else if (c === '`') {
        push('tpl', '', start);
        return i + 1;
      } else if (c === '$' && text[i + 1] === '{') {
        push('tpl', '', start);
        push('punct', '${', i);
        open.push(tokens.length - 1);
        return i + 2;
      }
    }
    return undefined;
  };
  let i = text.startsWith('#!') ? text.indexOf('\n') + 1 || text.length : 0;
  while (i < text.length) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return undefined;
      i = end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let escaped = false;
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\n' || text[j] === '\r') return undefined;
        if (text[j] === '\\') {
          escaped = true;
          // A line continuation: a backslash and the line's end, `\r\n` being one.
          j += text[j + 1] === '\r' && text[j + 2] === '\n' ? 2 : 1;
        }
        j++;
      }
      if (j >= text.length) return undefined;
      // A key spelt with escapes matches no pointer segment: it stays an unmatched key.
      push('str', escaped ? '\\' : text.slice(i + 1, j), i);
      i = j + 1;
    } else if (c === '`') {
      const end = template(i + 1, i);
      if (end === undefined) return undefined;
      i = end;
    } else if (c === '/' && regexAfter(tokens.at(-1))) {
      let j = i + 1;
      let inClass = false;
      while (j < text.length && (inClass || text[j] !== '/')) {
        if (text[j] === '\n') return undefined;
        if (text[j] === '\\') j++;
        else if (text[j] === '[') inClass = true;
        else if (text[j] === ']') inClass = false;
        j++;
      }
      if (j >= text.length) return undefined;
      j++;
      while (j < text.length && IDENT_PART.test(text[j] as string)) j++;
      push('regex', text.slice(i, j), i);
      i = j;
    } else if (/[0-9]/.test(c) || (c === '.' && next !== undefined && /[0-9]/.test(next))) {
      let j = i + 1;
      while (j < text.length && /[\w.]/.test(text[j] as string)) j++;
      push('num', text.slice(i, j), i);
      i = j;
    } else if (IDENT_START.test(c) || c === '\\') {
      let j = i + 1;
      while (j < text.length && IDENT_PART.test(text[j] as string)) j++;
      push('id', text.slice(i, j), i);
      i = j;
    } else if (c === '(' || c === '[' || c === '{') {
      push('punct', c, i);
      open.push(tokens.length - 1);
      i++;
    } else if (c === ')' || c === ']' || c === '}') {
      const opener = open.pop();
      if (opener === undefined || OPENERS[tokens[opener]?.text ?? ''] !== c) return undefined;
      push('punct', c, i);
      match.set(opener, tokens.length - 1);
      match.set(tokens.length - 1, opener);
      if (tokens[opener]?.text === '${') {
        // The substitution ends: the template reads on.
        const end = template(i + 1, i);
        if (end === undefined) return undefined;
        i = end;
      } else i++;
    } else {
      // `?.` before a digit is a conditional and a number (`a?.5:1`).
      const long = PUNCTUATORS.find(
        (p) => text.startsWith(p, i) && !(p === '?.' && /[0-9]/.test(text[i + 2] ?? '')),
      );
      push('punct', long ?? c, i);
      i += (long ?? c).length;
    }
  }
  if (open.length > 0) return undefined;
  return { tokens, match, parent: Int32Array.from(parents), lineStarts };
};

/** A key of an object literal and the chain of keys (and array indices) that leads to it. */
export interface PropKey {
  /** Keys from the props object (or the shared object's mount) down to this key, inclusive. */
  readonly chain: readonly string[];
  /** 1-based line and column of the key. */
  readonly line: number;
  readonly column: number;
  /** The file the key is in, when not the call's: a module the call's file imports it from. */
  readonly file?: string;
}

/** A line and column, 1-based, in the call's file unless `file` says another. */
interface Position {
  readonly line: number;
  readonly column: number;
  readonly file?: string;
}

/**
 * The keys of the object literal a module exports as `name` (`export const name = {…}`), with
 * their file; `undefined` when the module or the export cannot be read as one.
 */
export type ImportedKeys = (from: string, name: string) => readonly PropKey[] | undefined;

/** Index of the token starting at `offset`, or -1. */
const tokenAt = (tokens: readonly Token[], offset: number): number => {
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const start = (tokens[mid] as Token).start;
    if (start === offset) return mid;
    if (start < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
};

/** The last index of sorted `values` whose value is at most `value`, or -1. */
const lastAtMost = (values: readonly number[], value: number): number => {
  let lo = 0;
  let hi = values.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((values[mid] as number) <= value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
};

const isKeyToken = (t: Token | undefined): t is Token =>
  t !== undefined && (t.kind === 'id' || t.kind === 'str' || t.kind === 'num');

const is = (t: Token | undefined, text: string): boolean => t?.kind === 'punct' && t.text === text;

/** Words that declare the name after them. */
const DECLARING = new Set([
  'const',
  'let',
  'var',
  'function',
  'class',
  'import',
  'catch',
  'enum',
  'namespace',
  'module',
]);

/** Words before a method's name: `get model() {…}`. */
const METHOD_MODIFIERS = new Set(['get', 'set', 'async', 'static']);

/** A chain, or `null` where the value is not a plain literal there. */
type Chain = readonly string[] | null;

/**
 * One source file as an app's code reads: its object literals' members, the chain of keys to
 * each, and which `const` declares a name. Everything is memoized, as one file holds many calls.
 */
export class SourceReader {
  private readonly members = new Map<number, { starts: number[]; lastDynamic: number }>();
  private readonly chains = new Map<string, Chain>();
  /** By name: the `const` of its one object declaration and the object's `{`, or null. */
  private readonly declarations = new Map<string, { decl: number; brace: number } | null>();
  private readonly objectKeys = new Map<number, PropKey[]>();
  private names: Map<string, number[]> | undefined;
  private readonly source: ScannedSource;

  constructor(source: ScannedSource) {
    this.source = source;
  }

  private token(i: number): Token | undefined {
    return this.source.tokens[i];
  }

  private parentOf(i: number): number {
    return this.source.parent[i] ?? -1;
  }

  private matchOf(i: number): number {
    return this.source.match.get(i) ?? i;
  }

  private position(i: number): Position {
    const offset = (this.token(i) as Token).start;
    const line = lastAtMost(this.source.lineStarts, offset);
    return { line: line + 1, column: offset - (this.source.lineStarts[line] as number) + 1 };
  }

  /**
   * Where each direct member (or element) of the bracket opened at `o` starts, and where the
   * last spread or computed key starts (which may override any member before it).
   */
  private membersOf(o: number): { starts: number[]; lastDynamic: number } {
    let found = this.members.get(o);
    if (found) return found;
    const close = this.matchOf(o);
    const starts: number[] = [];
    let lastDynamic = -1;
    let start = o + 1;
    for (let i = o + 1; i <= close; i++) {
      const t = this.token(i) as Token;
      if (i === close || is(t, ',')) {
        // An empty member is an array's hole (it takes an index), or the end after a trailing comma.
        if (start < i || i !== close) starts.push(start);
        const first = this.token(start);
        if (start < i && (is(first, '...') || (is(first, '[') && this.token(o)?.text === '{')))
          lastDynamic = start;
        start = i + 1;
      } else if (t.kind === 'punct' && Object.hasOwn(OPENERS, t.text)) i = this.matchOf(i);
    }
    found = { starts, lastDynamic };
    this.members.set(o, found);
    return found;
  }

  /** Index of the member of `o` that token `i` (inside `o`) is in. */
  private memberIndex(o: number, i: number): number {
    return lastAtMost(this.membersOf(o).starts, i);
  }

  /** Whether token `i` starts a member of `o`. */
  private startsMember(o: number, i: number): boolean {
    return this.membersOf(o).starts[this.memberIndex(o, i)] === i;
  }

  /**
   * The key of object `o`'s member `key: …` that token `i` is in, when no spread or computed
   * key after it may override it; `undefined` otherwise.
   */
  private valueKey(o: number, i: number): string | undefined {
    const { starts, lastDynamic } = this.membersOf(o);
    const start = starts[this.memberIndex(o, i)] ?? -1;
    const key = this.token(start);
    return start > lastDynamic &&
      isKeyToken(key) &&
      key.text !== '\\' &&
      is(this.token(start + 1), ':') &&
      i > start + 1
      ? key.text
      : undefined;
  }

  /**
   * The chain of keys from `root` to the bracket opened at `o`; `null` when something on the
   * way is not a plain literal (a function's argument, a member a spread after it may override).
   */
  private chainOf(o: number, root: number): Chain {
    const memo = `${o}:${root}`;
    const known = this.chains.get(memo);
    if (known !== undefined) return known;
    let chain: Chain = null;
    const t = this.token(o);
    if (o === root) chain = [];
    else if (t?.text === '{' || t?.text === '[') {
      const p = this.parentOf(o);
      const pt = this.token(p)?.text;
      if (p === root && pt === '(') chain = t.text === '{' ? [] : null;
      else if (pt === '{') {
        const key = this.valueKey(p, o);
        const base = key === undefined ? null : this.chainOf(p, root);
        chain = base && [...base, key as string];
      } else if (pt === '[') chain = this.elementChain(p, o, root);
    }
    this.chains.set(memo, chain);
    return chain;
  }

  /** The chain of array `a`'s element that token `i` is in; `null` after a spread (the index shifts). */
  private elementChain(a: number, i: number, root: number): Chain {
    const { lastDynamic } = this.membersOf(a);
    const base = lastDynamic >= 0 && lastDynamic < i ? null : this.chainOf(a, root);
    return base && [...base, String(this.memberIndex(a, i))];
  }

  /**
   * The keys inside the bracket opened at `root` that a chain leads to; and the identifiers
   * there that stand for a whole value (`worker`, `worker: w`, an argument or an element),
   * with the chain at which that value sits.
   */
  private keysIn(root: number): {
    keys: PropKey[];
    values: Array<{ name: string; chain: readonly string[] }>;
  } {
    const keys: PropKey[] = [];
    const values: Array<{ name: string; chain: readonly string[] }> = [];
    const close = this.matchOf(root);
    for (let i = root + 1; i < close; i++) {
      const t = this.token(i);
      if (!isKeyToken(t)) continue;
      const e = this.parentOf(i);
      const open = this.token(e)?.text;
      const prev = this.token(i - 1);
      const next = this.token(i + 1);
      const alone = t.kind === 'id' && (is(next, ',') || is(next, OPENERS[open ?? ''] ?? ''));
      if (open === '{' && (this.startsMember(e, i) || this.isMethodAfterModifier(e, i))) {
        // `key:`, shorthand `key`, a method `key(`, a pattern's `key =`: each one writes the key.
        if (!(is(next, ':') || alone || is(next, '(') || is(next, '='))) continue;
        const { starts, lastDynamic } = this.membersOf(e);
        const start = starts[this.memberIndex(e, i)] ?? -1;
        const base = start > lastDynamic && t.text !== '\\' ? this.chainOf(e, root) : null;
        if (!base) continue;
        const chain = [...base, t.text];
        keys.push({ chain, ...this.position(i) });
        if (alone) values.push({ name: t.text, chain });
      } else if (t.kind === 'id' && alone && is(prev, ':') && open === '{') {
        const key = this.valueKey(e, i);
        const base = key !== undefined && this.startsMember(e, i - 2) ? this.chainOf(e, root) : null;
        if (base) values.push({ name: t.text, chain: [...base, key as string] });
      } else if (t.kind === 'id' && alone && (is(prev, ',') || is(prev, open ?? ''))) {
        if (e === root && open === '(') values.push({ name: t.text, chain: [] });
        else if (open === '[') {
          const chain = this.elementChain(e, i, root);
          if (chain) values.push({ name: t.text, chain });
        }
      }
    }
    return { keys, values };
  }

  /** Whether token `i` is the name of a method after `get`/`set`/`async` at a member's start. */
  private isMethodAfterModifier(o: number, i: number): boolean {
    const prev = this.token(i - 1);
    return (
      prev?.kind === 'id' &&
      METHOD_MODIFIERS.has(prev.text) &&
      this.startsMember(o, i - 1) &&
      is(this.token(i + 1), '(')
    );
  }

  /**
   * The keys of the call that starts at `at` (`new X(`, `a.b(`, `super(`), with those of each
   * `const` object literal that the call names by a variable (one level, not the variables that
   * object names in turn): declared in this file, or, through `imported`, exported by a module
   * this file imports it from by name. `undefined` when no call starts there.
   */
  callKeys(at: Position, imported?: ImportedKeys): PropKey[] | undefined {
    const lineStart = this.source.lineStarts[at.line - 1];
    if (lineStart === undefined) return undefined;
    let i = tokenAt(this.source.tokens, lineStart + at.column - 1);
    if (i < 0) return undefined;
    if (this.token(i)?.text === 'new') i++;
    if (this.token(i)?.kind !== 'id') return undefined;
    i++;
    while ((is(this.token(i), '.') || is(this.token(i), '?.')) && this.token(i + 1)?.kind === 'id') i += 2;
    if (!is(this.token(i), '(')) return undefined;
    const { keys, values } = this.keysIn(i);
    for (const value of values) {
      const brace = this.objectDeclaration(value.name, i);
      const from = brace < 0 ? this.importOf(value.name) : undefined;
      const inner = brace >= 0 ? this.keysOfObject(brace) : from && imported?.(from.module, from.name);
      for (const k of inner ?? []) keys.push({ ...k, chain: [...value.chain, ...k.chain] });
    }
    return keys;
  }

  /** The keys of the object literal whose `{` is token `brace`, gathered once. */
  private keysOfObject(brace: number): PropKey[] {
    let keys = this.objectKeys.get(brace);
    if (!keys) {
      keys = this.keysIn(brace).keys;
      this.objectKeys.set(brace, keys);
    }
    return keys;
  }

  /**
   * The keys of the object literal of `export const name = {…}` at the file's top level, when
   * the file binds `name` nowhere else and never changes the object; else `undefined`.
   */
  exportedKeys(name: string): PropKey[] | undefined {
    const found = this.declaredObject(name);
    if (!found || this.parentOf(found.decl) >= 0 || this.token(found.decl - 1)?.text !== 'export')
      return undefined;
    return this.keysOfObject(found.brace);
  }

  /**
   * Where the one binding of `name` in this file imports it from: `import { name } from
   * './m.ts'` or `import { other as name } …`, a relative module, the object never changed here.
   * A default or namespace import, a type-only one and a package are not followed.
   */
  private importOf(name: string): { module: string; name: string } | undefined {
    const i = this.onlyBinding(name);
    if (i === null || i < 0) return undefined;
    const brace = this.parentOf(i);
    if (this.token(brace)?.text !== '{' || this.token(brace - 1)?.text !== 'import') return undefined;
    const next = this.token(i + 1);
    if (!(is(next, ',') || is(next, '}'))) return undefined;
    const renamed = this.token(i - 1)?.text === 'as' && this.token(i - 2)?.kind === 'id';
    const start = renamed ? i - 2 : i;
    // `import { type X }` names a type, which holds no props.
    if (!this.startsMember(brace, start)) return undefined;
    const close = this.matchOf(brace);
    const module = this.token(close + 2);
    if (this.token(close + 1)?.text !== 'from' || module?.kind !== 'str') return undefined;
    if (!/^\.\.?\//.test(module.text)) return undefined;
    return { module: module.text, name: (this.token(start) as Token).text };
  }

  /**
   * The `{` of the one declaration `const name = {…}` (or `const name: Type = {…}`) of the
   * file, when `name` is bound nowhere else in it (no parameter, no other declaration, no
   * pattern) and the declaration is in scope at token `use`; else -1.
   */
  private objectDeclaration(name: string, use: number): number {
    let found = this.declarations.get(name);
    if (found === undefined) {
      found = this.declaredObject(name);
      this.declarations.set(name, found);
    }
    if (!found || found.brace > use) return -1;
    // Declared at the top level, or in a block around the use.
    const block = this.parentOf(found.decl);
    return block < 0 || (block < use && this.matchOf(block) > use) ? found.brace : -1;
  }

  /**
   * Whether the use of a name at token `i` may change the object it holds: an assignment to a
   * member of it (`name.a.b = …`, `name[k] += …`, `name.n++`, `++name.n`), `delete name.a`, or
   * `Object.assign(name, …)`.
   */
  private mutates(i: number): boolean {
    const prev = this.token(i - 1);
    if (prev?.text === 'delete' || is(prev, '++') || is(prev, '--')) return true;
    if (is(prev, '(') && this.token(i - 2)?.text === 'assign' && is(this.token(i - 3), '.')) return true;
    let j = i + 1;
    let member = false;
    for (;;) {
      const t = this.token(j);
      if ((is(t, '.') || is(t, '?.')) && this.token(j + 1)?.kind === 'id') j += 2;
      else if (is(t, '[')) j = this.matchOf(j) + 1;
      else break;
      member = true;
    }
    const next = this.token(j);
    return (
      member &&
      next?.kind === 'punct' &&
      (ASSIGNMENTS.has(next.text) || next.text === '++' || next.text === '--')
    );
  }

  /**
   * The token that binds `name` in the file when exactly one does: -1 when none does, `null`
   * when more than one may, or when a use changes the object the name holds.
   */
  private onlyBinding(name: string): number | null {
    if (!this.names) {
      this.names = new Map();
      for (const [i, t] of this.source.tokens.entries()) {
        if (t.kind !== 'id') continue;
        const at = this.names.get(t.text);
        if (at) at.push(i);
        else this.names.set(t.text, [i]);
      }
    }
    let declared = -1;
    for (const i of this.names.get(name) ?? []) {
      const prev = this.token(i - 1);
      // A property (`x.name`, `{ name: … }`) binds nothing.
      if (is(prev, '.') || is(prev, '?.')) continue;
      const e = this.parentOf(i);
      if (is(this.token(i + 1), ':') && this.token(e)?.text === '{' && this.startsMember(e, i)) continue;
      // Changed after it is declared: the literal no longer says what the objects got.
      if (this.mutates(i)) return null;
      // `import { name as other }` binds `other`; `name as T` binds nothing either.
      if (this.token(i + 1)?.text === 'as') continue;
      if (!this.binds(i)) continue;
      if (declared >= 0) return null;
      declared = i;
    }
    return declared;
  }

  /** {@link objectDeclaration} without the scope. */
  private declaredObject(name: string): { decl: number; brace: number } | null {
    const declared = this.onlyBinding(name);
    if (declared === null || declared < 0 || this.token(declared - 1)?.text !== 'const') return null;
    let j = declared + 1;
    if (is(this.token(j), ':')) {
      // A type name, with type arguments or not: `Props`, `k.WorkerProps`, `Omit<Props, 'metadata'>`.
      j++;
      while (this.token(j)?.kind === 'id' && is(this.token(j + 1), '.')) j += 2;
      j = this.token(j)?.kind === 'id' ? this.afterTypeArguments(j + 1) : -1;
    }
    if (!is(this.token(j), '=') || !is(this.token(j + 1), '{')) return null;
    const brace = j + 1;
    const close = this.matchOf(brace);
    const after = this.token(close + 1);
    // The object is the whole value: `;`, `as …`, or the next statement on a line of its own.
    const ends =
      !after ||
      is(after, ';') ||
      (after.kind === 'id' &&
        (['as', 'satisfies'].includes(after.text) ||
          (this.position(close + 1).line > this.position(close).line &&
            !['in', 'instanceof'].includes(after.text))));
    return ends ? { decl: declared - 1, brace } : null;
  }

  /**
   * The token after the type arguments that start at `i` (`<Props, 'a' | 'b'>`, nested, with
   * object types in them), or `i` when none start there; -1 when they do not close.
   */
  private afterTypeArguments(i: number): number {
    if (!is(this.token(i), '<')) return i;
    let depth = 0;
    for (let j = i; j < this.source.tokens.length; j++) {
      const t = this.token(j) as Token;
      if (t.kind !== 'punct') continue;
      if (Object.hasOwn(OPENERS, t.text)) j = this.matchOf(j);
      else if (t.text === '<') depth++;
      // `>>` and `>>>` close two and three lists at once.
      else if (/^>+$/.test(t.text)) depth -= t.text.length;
      else if (t.text === ';' || t.text === '=') return -1;
      if (depth <= 0) return depth === 0 ? j + 1 : -1;
    }
    return -1;
  }

  /** Whether the identifier at `i` binds its name there (or may: then it counts as doing so). */
  private binds(i: number): boolean {
    const prev = this.token(i - 1);
    const next = this.token(i + 1);
    if (prev?.kind === 'id' && DECLARING.has(prev.text)) return true;
    if (is(prev, '*') && this.token(i - 2)?.text === 'function') return true;
    if (is(next, '=>')) return true;
    // `let a, name;` and `let a, name = …`.
    if (is(prev, ',') && (is(next, '=') || is(next, ';'))) return true;
    for (let b = this.parentOf(i); b >= 0; b = this.parentOf(b)) {
      const open = this.token(b)?.text;
      const after = this.token(this.matchOf(b) + 1);
      const before = this.token(b - 1);
      // Parameters: `(…) =>`, `(…) {`, `(…): T`, `catch (…)`.
      if (open === '(' && (is(after, '=>') || is(after, '{') || is(after, ':') || before?.text === 'catch'))
        return true;
      // Patterns: `const { name } = …`, `[name] = …`, `import { name }`.
      if (
        (open === '{' || open === '[') &&
        (is(after, '=') ||
          (before?.kind === 'id' && ['const', 'let', 'var', 'import', 'export'].includes(before.text)))
      )
        return true;
    }
    return false;
  }
}

/**
 * Where in `keys` the field at `pointer` (into the rendered object) was written: the one key
 * whose chain is the pointer, or the pointer without its `spec` (a Kelos construct's props are
 * the spec's fields beside `metadata`). A pointer into an array's element is the array's key.
 * `undefined` when no key, or more than one place, matches.
 */
export const keyAt = (keys: readonly PropKey[], pointer: string): Position | undefined => {
  if (!pointer.startsWith('/')) return undefined;
  const segments = parsePointer(pointer);
  while (segments.length > 0 && /^(0|[1-9][0-9]*)$/.test(segments.at(-1) as string)) segments.pop();
  if (segments.length === 0) return undefined;
  const wanted = [segments, ...(segments[0] === 'spec' && segments.length > 1 ? [segments.slice(1)] : [])];
  const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && a.every((s, n) => s === b[n]);
  const found = new Map<string, Position>();
  for (const k of keys) {
    if (wanted.some((w) => same(w, k.chain)))
      found.set(`${k.file ?? ''}:${k.line}:${k.column}`, {
        line: k.line,
        column: k.column,
        ...(k.file !== undefined && { file: k.file }),
      });
  }
  return found.size === 1 ? [...found.values()][0] : undefined;
};

/**
 * Where `pointer` of the object made by the call at `at` is written in `text`, when
 * {@link keyAt} can tell; `undefined` otherwise. For one finding; {@link propSites} caches.
 */
export const propPosition = (text: string, at: Position, pointer: string): Position | undefined => {
  const source = scanSource(text);
  const keys = source && new SourceReader(source).callKeys(at);
  return keys && keyAt(keys, pointer);
};

/** Where the finding at a pointer of the object made at a site is written (see {@link propSites}). */
export type PropSite = (site: SourceSite, pointer: string) => SourceSite;

/**
 * For one run over `root`: where a finding at `pointer` of an object made at `site` was
 * written, the prop's key when {@link keyAt} can tell it, else `site` as it is. Each file is
 * read and scanned once, each call's keys gathered once.
 */
export const propSites = (root: string): PropSite => {
  const readers = new Map<string, SourceReader | null>();
  const calls = new Map<string, PropKey[] | null>();
  const readerOf = (file: string): SourceReader | null => {
    let reader = readers.get(file);
    if (reader === undefined) {
      reader = null;
      if (SOURCE_EXTENSIONS.has(extname(file))) {
        try {
          const path = resolve(root, file);
          if (statSync(path).size <= MAX_PROP_SOURCE_BYTES) {
            const source = scanSource(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
            reader = source ? new SourceReader(source) : null;
          }
        } catch {
          // Unreadable now (moved, removed): the finding keeps the call's line.
        }
      }
      readers.set(file, reader);
    }
    return reader;
  };
  const exported = new Map<string, readonly PropKey[] | undefined>();
  /** The keys of `name` exported by `module` as the file `from` imports it (see {@link moduleFile}). */
  const importedBy =
    (from: string): ImportedKeys =>
    (module, name) => {
      const file = moduleFile(root, from, module);
      if (file === undefined) return undefined;
      const memo = `${file}\u0000${name}`;
      if (!exported.has(memo))
        exported.set(
          memo,
          readerOf(file)
            ?.exportedKeys(name)
            ?.map((k) => ({ ...k, file })),
        );
      return exported.get(memo);
    };
  // An app that builds objects in a loop makes many at one call, with the same findings each.
  const found = new Map<string, Position | null>();
  return (site, pointer) => {
    const { line, column } = site;
    if (line === undefined || column === undefined || !pointer.startsWith('/')) return site;
    const at = `${site.file}:${line}:${column}`;
    const memo = `${at}\u0000${pointer}`;
    let key = found.get(memo);
    if (key === undefined) {
      let keys = calls.get(at);
      if (keys === undefined) {
        keys = readerOf(site.file)?.callKeys({ line, column }, importedBy(site.file)) ?? null;
        calls.set(at, keys);
      }
      key = (keys && keyAt(keys, pointer)) ?? null;
      found.set(memo, key);
    }
    return key ? { file: site.file, ...key } : site;
  };
};

/**
 * The file, in the form `from` is given (relative to `root` or absolute), that module specifier
 * `module` in file `from` names, as Node resolves a relative ES module: the path as written
 * (no extension added, no `.js` read as its `.ts`); `undefined` when it is no file.
 */
const moduleFile = (root: string, from: string, module: string): string | undefined => {
  const path = posix.normalize(posix.join(posix.dirname(from), module));
  try {
    return statSync(resolve(root, path)).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
};
