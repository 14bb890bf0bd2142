/**
 * How JSON-like JavaScript data stands in for Go values inside the template engine:
 * strings, integers (safe integers and bigints), float64 (other numbers, and
 * {@link GoFloat} for integral floats written as `1.0`), bools, nil (`null` and
 * `undefined`), slices (arrays) and `map[string]…` (plain objects).
 *
 * @packageDocumentation
 */
import { TemplateSyntaxError } from './lexer.ts';

/** A float64 whose value happens to be integral, such as the constant `2.0`. */
export class GoFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

/** A value the template engine can hold. */
export type GoValue =
  | undefined
  | null
  | string
  | number
  | bigint
  | boolean
  | GoFloat
  | readonly GoValue[]
  | { readonly [key: string]: GoValue };

/** The basic kinds Go's comparison functions distinguish. */
export type GoKind = 'invalid' | 'bool' | 'int' | 'float' | 'string' | 'slice' | 'map';

/** A Go map: a plain object (not an array, not a {@link GoFloat}). */
export const isMap = (v: GoValue): v is { readonly [key: string]: GoValue } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoFloat);

/** The kind of a value. */
export const kindOf = (v: GoValue): GoKind => {
  if (v === undefined || v === null) return 'invalid';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (v instanceof GoFloat) return 'float';
  if (Array.isArray(v)) return 'slice';
  return 'map';
};

/** The Go type name of a value, as Go prints it in error messages. */
export const typeName = (v: GoValue): string => {
  switch (kindOf(v)) {
    case 'invalid':
      return 'nil';
    case 'bool':
      return 'bool';
    case 'string':
      return 'string';
    case 'int':
      return 'int';
    case 'float':
      return 'float64';
    case 'slice':
      return '[]interface {}';
    case 'map':
      return zeroValues.get(v as object) === '' ? 'map[string]string' : 'map[string]interface {}';
  }
};

/** Numeric value of an int or float. */
export const toNumber = (v: GoValue): number =>
  v instanceof GoFloat ? v.value : typeof v === 'bigint' ? Number(v) : (v as number);

const zeroValues = new WeakMap<object, GoValue>();

/**
 * Marks a map as `map[string]string`, so `index` of a missing key yields `""` (Go's zero
 * value for the element type) instead of `<no value>`. Returns the same object.
 */
export const asStringMap = <T extends { readonly [key: string]: string }>(map: T): T => {
  zeroValues.set(map, '');
  return map;
};

/** The zero value of a map's element type: `""` for string maps, nil otherwise. */
export const mapZero = (map: object): GoValue => zeroValues.get(map);

/** Go truthiness (`isTrue` in text/template/exec.go). */
export const isTrue = (v: GoValue): boolean => {
  switch (kindOf(v)) {
    case 'invalid':
      return false;
    case 'bool':
      return v as boolean;
    case 'string':
      return (v as string).length > 0;
    case 'int':
    case 'float':
      return toNumber(v) !== 0;
    case 'slice':
      return (v as GoValue[]).length > 0;
    case 'map':
      return Object.keys(v as object).length > 0;
  }
};

/** Map keys in the order Go prints and ranges over them. */
export const sortedKeys = (m: object): string[] =>
  Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
};

/** Decodes the escapes of a Go quoted string or char body into UTF-8 bytes. */
const unescapeGo = (body: string, quote: string, pos: number): number[] => {
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      const cp = body.codePointAt(i)!;
      if (cp < 0x80) bytes.push(cp);
      else {
        if (cp > 0xffff) i++;
        bytes.push(...encoder.encode(String.fromCodePoint(cp)));
      }
      continue;
    }
    const e = body[++i];
    if (e === undefined) throw new TemplateSyntaxError('invalid syntax', pos);
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      bytes.push(simple);
    } else if (e === quote) {
      bytes.push(quote.charCodeAt(0));
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n)
        throw new TemplateSyntaxError('invalid syntax', pos);
      const v = Number.parseInt(hex, 16);
      if (e === 'x') bytes.push(v);
      else {
        if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) throw new TemplateSyntaxError('invalid syntax', pos);
        bytes.push(...encoder.encode(String.fromCodePoint(v)));
      }
      i += n;
    } else if (e >= '0' && e <= '7') {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct) || Number.parseInt(oct, 8) > 255)
        throw new TemplateSyntaxError('invalid syntax', pos);
      bytes.push(Number.parseInt(oct, 8));
      i += 2;
    } else {
      throw new TemplateSyntaxError('invalid syntax', pos);
    }
  }
  return bytes;
};

/**
 * Unquotes a Go interpreted string literal (`"..."`). A body without escapes is its own value
 * (a lone surrogate becoming U+FFFD, as the round trip through UTF-8 makes it; a leading BOM,
 * which the decoder drops, takes the long way); templates quote plain strings far more often
 * than escaped ones.
 */
export const unquoteGoString = (quoted: string, pos: number): string => {
  const body = quoted.slice(1, -1);
  if (!body.includes('\\') && !body.startsWith('\uFEFF')) return body.toWellFormed();
  return decoder.decode(new Uint8Array(unescapeGo(body, '"', pos)));
};

/** The rune value of a Go character constant (`'a'`, `'\n'`, `'\u00e9'`). */
export const unquoteGoChar = (quoted: string, pos: number): number => {
  const body = quoted.slice(1, -1);
  if (body.startsWith('\\') && (body[1] === 'x' || (body[1]! >= '0' && body[1]! <= '7'))) {
    const bytes = unescapeGo(body, "'", pos);
    if (bytes.length !== 1) throw new TemplateSyntaxError(`malformed character constant: ${quoted}`, pos);
    return bytes[0]!;
  }
  const s = decoder.decode(new Uint8Array(unescapeGo(body, "'", pos)));
  const cps = [...s];
  if (cps.length !== 1) throw new TemplateSyntaxError(`malformed character constant: ${quoted}`, pos);
  return cps[0]!.codePointAt(0)!;
};
