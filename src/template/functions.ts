/**
 * The predefined functions of Go's text/template (`text/template/funcs.go`): and, or, not,
 * len, index, slice, print, printf, println, eq, ne, lt, le, gt, ge, html, js, urlquery.
 *
 * @packageDocumentation
 */
import { formatValue, sprint, sprintf, sprintln } from './format.ts';
import { type GoValue, isMap, isTrue, kindOf, mapZero, toNumber, typeName } from './values.ts';

/** An error a template function reports; the executor prefixes "error calling <name>: ". */
export class FunctionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FunctionError';
  }
}

/**
 * How a function receives its arguments, mirroring Go's parameter types: `value` params
 * (reflect.Value) refuse untyped nil literals; `any` params accept them; `string` params
 * require a string.
 */
export type ParamKind = 'value' | 'any' | 'string';

/** A template function: its fixed parameters, an optional variadic tail, and its body. */
export interface TemplateFunction {
  readonly params: readonly ParamKind[];
  readonly variadic?: ParamKind;
  readonly call: (args: GoValue[]) => GoValue;
}

const isNil = (v: GoValue): boolean => v === undefined || v === null;

const badComparison = (a: GoValue, b: GoValue): FunctionError =>
  new FunctionError(`incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`);
const BAD_COMPARISON_TYPE = 'invalid type for comparison';

type BasicKind = 'invalid' | 'bool' | 'int' | 'float' | 'string';

const basicKind = (v: GoValue): BasicKind => {
  const k = kindOf(v);
  return k === 'slice' || k === 'map' ? 'invalid' : k;
};

const eq = (args: GoValue[]): boolean => {
  const [a, ...rest] = args;
  if (rest.length === 0) throw new FunctionError('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of rest) {
    const k2 = basicKind(b);
    let truth = false;
    if (k1 !== k2) {
      if (!isNil(a) && !isNil(b)) throw badComparison(a, b);
    } else {
      switch (k1) {
        case 'bool':
        case 'string':
          truth = a === b;
          break;
        case 'int':
        case 'float':
          truth = toNumber(a) === toNumber(b) && (typeof a !== 'bigint' || typeof b !== 'bigint' || a === b);
          break;
        default:
          if (!isNil(a) && !isNil(b)) {
            const bad = Array.isArray(a) || isMap(a) ? a : b;
            throw new FunctionError(`non-comparable type ${formatValue(bad, 'v')}: ${typeName(bad)}`);
          }
          truth = isNil(a) === isNil(b);
      }
    }
    if (truth) return true;
  }
  return false;
};

const lt = (a: GoValue, b: GoValue): boolean => {
  const k1 = basicKind(a);
  if (k1 === 'invalid') throw new FunctionError(BAD_COMPARISON_TYPE);
  const k2 = basicKind(b);
  if (k2 === 'invalid') throw new FunctionError(BAD_COMPARISON_TYPE);
  if (k1 !== k2) throw badComparison(a, b);
  switch (k1) {
    case 'bool':
      throw new FunctionError(BAD_COMPARISON_TYPE);
    case 'string':
      return (a as string) < (b as string);
    default:
      return typeof a === 'bigint' || typeof b === 'bigint'
        ? BigInt(a as number) < BigInt(b as number)
        : toNumber(a) < toNumber(b);
  }
};

const indexArg = (index: GoValue, cap: number): number => {
  if (isNil(index)) throw new FunctionError('cannot index slice/array with nil');
  if (kindOf(index) !== 'int')
    throw new FunctionError(`cannot index slice/array with type ${typeName(index)}`);
  const x = Number(index);
  if (x < 0 || x > cap) throw new FunctionError(`index out of range: ${x}`);
  return x;
};

const index = (args: GoValue[]): GoValue => {
  let [item] = args;
  if (isNil(item)) throw new FunctionError('index of untyped nil');
  for (const ix of args.slice(1)) {
    if (isNil(item)) throw new FunctionError('index of nil pointer');
    if (typeof item === 'string' || Array.isArray(item)) {
      const bytes = typeof item === 'string' ? Buffer.from(item, 'utf8') : undefined;
      const len = bytes ? bytes.length : (item as GoValue[]).length;
      const x = indexArg(ix, len);
      if (x === len) throw new FunctionError(`index out of range: ${x}`);
      item = bytes ? bytes[x]! : (item as GoValue[])[x];
    } else if (isMap(item)) {
      if (isNil(ix)) throw new FunctionError(`value is nil; should be of type string`);
      if (typeof ix !== 'string') throw new FunctionError(`value has type ${typeName(ix)}; should be string`);
      item = Object.hasOwn(item, ix) ? (item[ix] ?? null) : (mapZero(item) ?? null);
    } else {
      throw new FunctionError(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
};

const slice = (args: GoValue[]): GoValue => {
  const [item, ...indexes] = args;
  if (isNil(item)) throw new FunctionError('slice of untyped nil');
  if (indexes.length > 3) throw new FunctionError(`too many slice indexes: ${indexes.length}`);
  let len: number;
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new FunctionError('cannot 3-index slice a string');
    len = Buffer.byteLength(item, 'utf8');
  } else if (Array.isArray(item)) {
    len = item.length;
  } else {
    throw new FunctionError(`can't slice item of type ${typeName(item)}`);
  }
  const idx = [0, len, len];
  indexes.forEach((ix, i) => {
    idx[i] = indexArg(ix, len);
  });
  if (idx[0]! > idx[1]!) throw new FunctionError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!)
    throw new FunctionError(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (typeof item === 'string') return Buffer.from(item, 'utf8').subarray(idx[0], idx[1]).toString('utf8');
  return (item as GoValue[]).slice(idx[0], idx[1]);
};

const length = (v: GoValue): number => {
  if (v === null) throw new FunctionError('len of nil pointer');
  if (v === undefined) throw new FunctionError('reflect: call of reflect.Value.Type on zero Value');
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw new FunctionError(`len of type ${typeName(v)}`);
};

/** Joins function arguments the way `evalArgs` in funcs.go does for html, js and urlquery. */
const evalArgs = (args: GoValue[]): string => {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === undefined ? '<no value>' : a)));
};

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '"': '&#34;',
  "'": '&#39;',
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '\0': '\uFFFD',
};

const JS_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '<': '\\u003C',
  '>': '\\u003E',
  '&': '\\u0026',
  '=': '\\u003D',
};

const jsEscape = (s: string): string => {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const e = JS_ESCAPES[ch];
    if (e !== undefined) out += e;
    else if (cp < 0x20) out += `\\u00${cp.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (cp < 0x80 || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch)) out += ch;
    else out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return out;
};

const queryEscape = (s: string): string => {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
};

/** The builtin functions; `and` and `or` are evaluated lazily by the executor. */
export const BUILTINS: Readonly<Record<string, TemplateFunction>> = {
  and: { params: ['value'], variadic: 'value', call: (a) => a.find((v) => !isTrue(v)) ?? a.at(-1) },
  or: { params: ['value'], variadic: 'value', call: (a) => a.find((v) => isTrue(v)) ?? a.at(-1) },
  not: { params: ['value'], call: ([a]) => !isTrue(a) },
  len: { params: ['value'], call: ([a]) => length(a) },
  index: { params: ['value'], variadic: 'value', call: index },
  slice: { params: ['value'], variadic: 'value', call: slice },
  print: { params: [], variadic: 'any', call: (a) => sprint(a) },
  println: { params: [], variadic: 'any', call: (a) => sprintln(a) },
  printf: { params: ['string'], variadic: 'any', call: ([f, ...a]) => sprintf(f as string, a) },
  eq: { params: ['value'], variadic: 'value', call: eq },
  ne: { params: ['value', 'value'], call: ([a, b]) => !eq([a, b]) },
  lt: { params: ['value', 'value'], call: ([a, b]) => lt(a, b) },
  le: { params: ['value', 'value'], call: ([a, b]) => lt(a, b) || eq([a, b]) },
  gt: { params: ['value', 'value'], call: ([a, b]) => !(lt(a, b) || eq([a, b])) },
  ge: { params: ['value', 'value'], call: ([a, b]) => !lt(a, b) },
  html: {
    params: [],
    variadic: 'any',
    call: (a) => evalArgs(a).replace(/["'&<>\0]/g, (c) => HTML_ESCAPES[c]!),
  },
  js: { params: [], variadic: 'any', call: (a) => jsEscape(evalArgs(a)) },
  urlquery: { params: [], variadic: 'any', call: (a) => queryEscape(evalArgs(a)) },
  // Template data holds no functions, so `call` can only fail; the executor names the callee.
  call: {
    params: ['value'],
    variadic: 'value',
    call: ([fn]) => {
      throw new FunctionError(isNil(fn) ? 'call of nil' : `non-function of type ${typeName(fn)}`);
    },
  },
};
