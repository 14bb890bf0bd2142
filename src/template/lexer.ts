/**
 * Lexer for Go `text/template` source, following `text/template/parse/lex.go`: text runs,
 * actions between `{{` and `}}`, trim markers (`{{- ` and ` -}}`) and comments.
 *
 * @packageDocumentation
 */

/** Kinds of lexical items. */
export type TokenKind =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'identifier'
  | 'keyword'
  | 'bool'
  | 'nil'
  | 'dot'
  | 'field'
  | 'variable'
  | 'string'
  | 'rawString'
  | 'char'
  | 'number'
  | 'pipe'
  | 'declare'
  | 'assign'
  | 'comma'
  | 'leftParen'
  | 'rightParen'
  | 'eof';

/** One lexical item; `pos` is the offset of its first character in the source. */
export interface Token {
  readonly kind: TokenKind;
  readonly value: string;
  readonly pos: number;
}

/** A lexing or parsing failure at a source offset. */
export class TemplateSyntaxError extends Error {
  /** Offset in the source the error points at. */
  readonly pos: number;
  constructor(message: string, pos: number) {
    super(message);
    this.name = 'TemplateSyntaxError';
    this.pos = pos;
  }
}

const KEYWORDS = new Set([
  'block',
  'break',
  'continue',
  'define',
  'else',
  'end',
  'if',
  'range',
  'template',
  'with',
]);
const SPACE = /[ \t\r\n]/;
const ALNUM = /[\p{L}\p{Nd}_]/u;

const isSpace = (c: string | undefined): boolean => c !== undefined && SPACE.test(c);
const isAlnum = (c: string | undefined): boolean => c !== undefined && ALNUM.test(c);

/** Splits template source into tokens; comments are dropped, trim markers applied. */
export const lex = (src: string): Token[] => {
  const out: Token[] = [];
  let i = 0;
  let trimNext = false;

  while (i <= src.length) {
    // Text up to the next action.
    let start = i;
    if (trimNext) {
      while (isSpace(src[start])) start++;
      trimNext = false;
    }
    const open = src.indexOf('{{', start);
    const textEnd = open === -1 ? src.length : open;
    let text = src.slice(start, textEnd);
    let actionStart = textEnd + 2;
    if (open !== -1 && src[open + 2] === '-' && isSpace(src[open + 3])) {
      text = text.replace(/[ \t\r\n]+$/, '');
      actionStart = open + 4;
    }
    if (text.length > 0) out.push({ kind: 'text', value: text, pos: start });
    if (open === -1) break;
    out.push({ kind: 'leftDelim', value: '{{', pos: open });
    i = actionStart;

    // A comment fills the whole action.
    if (src.startsWith('/*', i)) {
      const close = src.indexOf('*/', i + 2);
      if (close === -1) throw new TemplateSyntaxError('unclosed comment', i);
      let after = close + 2;
      if (isSpace(src[after]) && src.startsWith('-}}', after + 1)) {
        after += 4;
        trimNext = true;
      } else if (src.startsWith('}}', after)) {
        after += 2;
      } else {
        throw new TemplateSyntaxError('comment ends before closing delimiter', close);
      }
      out.pop();
      i = after;
      continue;
    }

    // Inside an action.
    let parens = 0;
    for (;;) {
      const c = src[i];
      if (c === undefined) throw new TemplateSyntaxError('unclosed action', open);
      if (isSpace(c) && src[i + 1] === '-' && src.startsWith('}}', i + 2)) {
        out.push({ kind: 'rightDelim', value: '}}', pos: i + 2 });
        i += 4;
        trimNext = true;
        break;
      }
      if (src.startsWith('}}', i)) {
        if (parens > 0) throw new TemplateSyntaxError('unclosed left paren', i);
        out.push({ kind: 'rightDelim', value: '}}', pos: i });
        i += 2;
        break;
      }
      if (isSpace(c)) {
        const s = i;
        while (isSpace(src[i]) && !(src[i + 1] === '-' && src.startsWith('}}', i + 2))) i++;
        if (i === s) continue;
        out.push({ kind: 'space', value: src.slice(s, i), pos: s });
        continue;
      }
      if (c === '=') {
        out.push({ kind: 'assign', value: '=', pos: i++ });
        continue;
      }
      if (c === ':') {
        if (src[i + 1] !== '=') throw new TemplateSyntaxError('expected :=', i);
        out.push({ kind: 'declare', value: ':=', pos: i });
        i += 2;
        continue;
      }
      if (c === '|') {
        out.push({ kind: 'pipe', value: '|', pos: i++ });
        continue;
      }
      if (c === ',') {
        out.push({ kind: 'comma', value: ',', pos: i++ });
        continue;
      }
      if (c === '(') {
        parens++;
        out.push({ kind: 'leftParen', value: '(', pos: i++ });
        continue;
      }
      if (c === ')') {
        parens--;
        if (parens < 0) throw new TemplateSyntaxError('unexpected right paren', i);
        out.push({ kind: 'rightParen', value: ')', pos: i++ });
        continue;
      }
      if (c === '"') {
        const s = i++;
        for (;;) {
          const d = src[i];
          if (d === undefined || d === '\n') throw new TemplateSyntaxError('unterminated quoted string', s);
          if (d === '\\') {
            i += 2;
            continue;
          }
          i++;
          if (d === '"') break;
        }
        out.push({ kind: 'string', value: src.slice(s, i), pos: s });
        continue;
      }
      if (c === '`') {
        const close = src.indexOf('`', i + 1);
        if (close === -1) throw new TemplateSyntaxError('unterminated raw quoted string', i);
        out.push({ kind: 'rawString', value: src.slice(i, close + 1), pos: i });
        i = close + 1;
        continue;
      }
      if (c === "'") {
        const s = i++;
        for (;;) {
          const d = src[i];
          if (d === undefined || d === '\n')
            throw new TemplateSyntaxError('unterminated character constant', s);
          if (d === '\\') {
            i += 2;
            continue;
          }
          i++;
          if (d === "'") break;
        }
        out.push({ kind: 'char', value: src.slice(s, i), pos: s });
        continue;
      }
      if (c === '$') {
        const s = i++;
        while (isAlnum(src[i])) i++;
        out.push({ kind: 'variable', value: src.slice(s, i), pos: s });
        continue;
      }
      if (c === '.') {
        const n = src[i + 1];
        if (n !== undefined && n >= '0' && n <= '9') {
          i = lexNumber(src, i, out);
          continue;
        }
        const s = i++;
        while (isAlnum(src[i])) i++;
        out.push(
          i - s === 1
            ? { kind: 'dot', value: '.', pos: s }
            : { kind: 'field', value: src.slice(s, i), pos: s },
        );
        continue;
      }
      if (c === '+' || c === '-' || (c >= '0' && c <= '9')) {
        i = lexNumber(src, i, out);
        continue;
      }
      if (isAlnum(c)) {
        const s = i;
        while (isAlnum(src[i])) i++;
        const word = src.slice(s, i);
        if (KEYWORDS.has(word)) out.push({ kind: 'keyword', value: word, pos: s });
        else if (word === 'true' || word === 'false') out.push({ kind: 'bool', value: word, pos: s });
        else if (word === 'nil') out.push({ kind: 'nil', value: word, pos: s });
        else out.push({ kind: 'identifier', value: word, pos: s });
        continue;
      }
      throw new TemplateSyntaxError(`unrecognized character in action: ${JSON.stringify(c)}`, i);
    }
  }
  out.push({ kind: 'eof', value: '', pos: src.length });
  return out;
};

/** Scans a Go number literal (`scanNumber` in lex.go) starting at `i`; returns the end offset. */
const lexNumber = (src: string, i: number, out: Token[]): number => {
  const s = i;
  if (src[i] === '+' || src[i] === '-') i++;
  let digits = '0123456789_';
  if (src[i] === '0' && /[xXoObB]/.test(src[i + 1] ?? '')) {
    const p = src[i + 1]!.toLowerCase();
    digits = p === 'x' ? '0123456789abcdefABCDEF_' : p === 'o' ? '01234567_' : '01_';
    i += 2;
  }
  while (src[i] !== undefined && digits.includes(src[i]!)) i++;
  if (src[i] === '.') {
    i++;
    while (src[i] !== undefined && digits.includes(src[i]!)) i++;
  }
  const hex = digits.includes('f');
  if (src[i] !== undefined && (hex ? /[pP]/ : /[eE]/).test(src[i]!)) {
    i++;
    if (src[i] === '+' || src[i] === '-') i++;
    while (src[i] !== undefined && /[0-9_]/.test(src[i]!)) i++;
  }
  if (src[i] === 'i') i++;
  if (isAlnum(src[i]) || src[i] === '.') {
    throw new TemplateSyntaxError(`bad number syntax: ${JSON.stringify(src.slice(s, i + 1))}`, s);
  }
  out.push({ kind: 'number', value: src.slice(s, i), pos: s });
  return i;
};
