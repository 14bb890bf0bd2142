/**
 * Go's `fmt.Sprint`, `fmt.Sprintln` and `fmt.Sprintf` over template values, so `print`,
 * `println`, `printf` and action output match what a Go text/template prints.
 *
 * @packageDocumentation
 */
import { GoFloat, type GoValue, kindOf, sortedKeys, toNumber, typeName } from './values.ts';

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  wid?: number;
  prec?: number;
}

const PLAIN: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false };

const runeCount = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** Pads to the width: spaces (or zeros with the 0 flag) on the left, or spaces on the right with `-`. */
const pad = (s: string, f: Spec): string => {
  if (f.wid === undefined) return s;
  const n = f.wid - runeCount(s);
  if (n <= 0) return s;
  if (f.minus) return s + ' '.repeat(n);
  return (f.zero ? '0' : ' ').repeat(n) + s;
};

const isPrint = (cp: number): boolean => {
  if (cp === 0x20) return true;
  if (cp < 0x20 || cp === 0x7f) return false;
  return /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(String.fromCodePoint(cp));
};

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

const quoteRune = (cp: number, quote: string, asciiOnly: boolean): string => {
  const ch = String.fromCodePoint(cp);
  if (ch === quote || ch === '\\') return `\\${ch}`;
  if (asciiOnly ? cp < 0x80 && isPrint(cp) : isPrint(cp)) return ch;
  switch (cp) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 12:
      return '\\f';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    case 9:
      return '\\t';
    case 11:
      return '\\v';
  }
  if (cp < 0x80) return `\\x${hex(cp, 2)}`;
  if (cp === 0xfffd) return '\\ufffd';
  if (cp < 0x10000) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
};

/** `strconv.Quote` (or `QuoteToASCII` with `asciiOnly`). */
export const quoteGo = (s: string, asciiOnly = false): string => {
  let out = '"';
  for (const ch of s) out += quoteRune(ch.codePointAt(0)!, '"', asciiOnly);
  return `${out}"`;
};

const canBackquote = (s: string): boolean => {
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '`' || cp === 0xfeff || cp === 0xfffd) return false;
    if (cp < 0x20 && ch !== '\t') return false;
    if (cp === 0x7f) return false;
  }
  return true;
};

/** Digits (no trailing zeros) and decimal-point position of a positive decimal number. */
interface Decimal {
  readonly d: string;
  readonly dp: number;
}

const ZERO: Decimal = { d: '0', dp: 1 };

/** Shortest digits that read back as |x| (what Go's `%v` and `%g` print). */
const shortestDecimal = (x: number): Decimal => {
  if (x === 0) return ZERO;
  const [mant, exp] = x.toExponential().split('e') as [string, string];
  return { d: mant.replace('.', '').replace(/0+$/, '') || '0', dp: Number(exp) + 1 };
};

/** The exact decimal expansion of |x| (a double is a finite binary fraction, so it is finite). */
const exactDecimal = (x: number): Decimal => {
  if (x === 0) return ZERO;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let e = -1074;
  if (expBits !== 0) {
    mant |= 1n << 52n;
    e = expBits - 1075;
  }
  const digits = e >= 0 ? (mant << BigInt(e)).toString() : (mant * 5n ** BigInt(-e)).toString();
  const dp = e >= 0 ? digits.length : digits.length + e;
  return { d: digits.replace(/0+$/, ''), dp };
};

/** Rounds to `n` significant digits, half to even, as Go's strconv does on the exact value. */
const roundDecimal = (v: Decimal, n: number): Decimal => {
  if (v.d === '0' || n >= v.d.length) return v;
  if (n < 0) return ZERO;
  const next = v.d[n]!;
  const rest = v.d.slice(n + 1);
  const prev = n > 0 ? Number(v.d[n - 1]) : 0;
  const up = next > '5' || (next === '5' && (/[1-9]/.test(rest) || prev % 2 === 1));
  const kept = v.d.slice(0, n);
  if (!up) return kept === '' ? ZERO : { d: kept.replace(/0+$/, '') || '0', dp: v.dp };
  const inc = (BigInt(kept || '0') + 1n).toString();
  const dp = v.dp + (inc.length > kept.length ? 1 : 0);
  return { d: inc.replace(/0+$/, '') || '0', dp };
};

const fmtE = (d: string, dp: number, prec: number, verb: string): string => {
  let s = d[0] ?? '0';
  if (prec > 0) s += `.${d.slice(1, prec + 1).padEnd(prec, '0')}`;
  const exp = d === '0' ? 0 : dp - 1;
  const sign = exp < 0 ? '-' : '+';
  return `${s}${verb}${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
};

const fmtF = (d: string, dp: number, prec: number): string => {
  let s = dp > 0 ? d.slice(0, dp).padEnd(dp, '0') : '0';
  if (prec > 0) {
    s += '.';
    for (let i = 0; i < prec; i++) {
      const j = dp + i;
      s += j >= 0 && j < d.length ? d[j] : '0';
    }
  }
  return s;
};

/** `strconv.FormatFloat(abs(x), verb, prec, 64)` for the verbs e, f, g (prec -1 = shortest). */
const formatAbsFloat = (x: number, verb: 'e' | 'E' | 'f' | 'g' | 'G', prec: number): string => {
  const a = Math.abs(x);
  switch (verb) {
    case 'e':
    case 'E': {
      const { d, dp } = prec < 0 ? shortestDecimal(a) : roundDecimal(exactDecimal(a), prec + 1);
      return fmtE(d, dp, prec < 0 ? d.length - 1 : prec, verb === 'e' ? 'e' : 'E');
    }
    case 'f': {
      if (prec < 0) {
        const { d, dp } = shortestDecimal(a);
        return fmtF(d, dp, Math.max(d.length - dp, 0));
      }
      const exact = exactDecimal(a);
      const { d, dp } = roundDecimal(exact, exact.dp + prec);
      return fmtF(d, dp, prec);
    }
    case 'g':
    case 'G': {
      const shortest = prec < 0;
      let p = prec === 0 ? 1 : prec;
      const { d, dp } = shortest ? shortestDecimal(a) : roundDecimal(exactDecimal(a), p);
      if (shortest) p = d.length;
      let eprec = p;
      if (eprec > d.length && d.length >= dp) eprec = d.length;
      if (shortest) eprec = 6;
      const exp = dp - 1;
      if (exp < -4 || exp >= eprec) {
        const q = Math.min(p, d.length);
        return fmtE(d, dp, q - 1, verb === 'g' ? 'e' : 'E');
      }
      const q = p > dp ? d.length : p;
      return fmtF(d, dp, Math.max(q - dp, 0));
    }
  }
};

const formatFloat = (x: number, verb: string, f: Spec): string => {
  const v = verb === 'v' ? 'g' : verb === 'F' ? 'f' : verb;
  let num: string;
  const neg = x < 0 || Object.is(x, -0);
  if (Number.isNaN(x)) num = 'NaN';
  else if (!Number.isFinite(x)) num = 'Inf';
  else num = formatAbsFloat(x, v as 'e' | 'E' | 'f' | 'g' | 'G', f.prec ?? (v === 'g' || v === 'G' ? -1 : 6));
  let sign = neg && !Number.isNaN(x) ? '-' : f.plus ? '+' : f.space ? ' ' : '';
  if (Number.isNaN(x) && (f.plus || f.space)) sign = f.plus ? '+' : ' ';
  const special = !Number.isFinite(x);
  if (f.zero && !special && !f.minus && f.wid !== undefined && f.wid > num.length + sign.length) {
    return sign + '0'.repeat(f.wid - num.length - sign.length) + num;
  }
  return pad(sign + num, { ...f, zero: special ? false : f.zero });
};

const formatInteger = (n: bigint, verb: string, f: Spec): string => {
  const negative = n < 0n;
  const u = negative ? -n : n;
  const base = verb === 'b' ? 2 : verb === 'o' || verb === 'O' ? 8 : verb === 'x' || verb === 'X' ? 16 : 10;
  let digits = u.toString(base);
  if (verb === 'X') digits = digits.toUpperCase();
  let prec = 0;
  if (f.prec !== undefined) {
    prec = f.prec;
    if (prec === 0 && u === 0n) return pad('', { ...f, zero: false });
  } else if (f.zero && !f.minus && f.wid !== undefined) {
    prec = f.wid;
    if (negative || f.plus || f.space) prec--;
  }
  digits = digits.padStart(prec, '0');
  if (f.sharp) {
    if (base === 2) digits = `0b${digits}`;
    else if (base === 8 && !digits.startsWith('0')) digits = `0${digits}`;
    else if (base === 16) digits = (verb === 'X' ? '0X' : '0x') + digits;
  }
  if (verb === 'O') digits = `0o${digits}`;
  const sign = negative ? '-' : f.plus ? '+' : f.space ? ' ' : '';
  return pad(sign + digits, { ...f, zero: false });
};

const formatString = (s: string, verb: string, f: Spec): string => {
  let t = s;
  if (f.prec !== undefined) t = [...t].slice(0, f.prec).join('');
  switch (verb) {
    case 'v':
    case 's':
      return pad(t, f);
    case 'q':
      return pad(f.sharp && canBackquote(t) ? `\`${t}\`` : quoteGo(t, f.plus), f);
    case 'x':
    case 'X': {
      const bytes = Buffer.from(s, 'utf8');
      const lim = f.prec === undefined ? bytes.length : Math.min(bytes.length, f.prec);
      const parts: string[] = [];
      for (let i = 0; i < lim; i++) {
        let h = hex(bytes[i]!, 2);
        if (verb === 'X') h = h.toUpperCase();
        if (f.sharp && (f.space || i === 0)) h = (verb === 'X' ? '0X' : '0x') + h;
        parts.push(h);
      }
      return pad(parts.join(f.space ? ' ' : ''), f);
    }
  }
  return badVerb(verb, s);
};

const badVerb = (verb: string, v: GoValue): string =>
  v === undefined || v === null
    ? `%!${verb}(<nil>)`
    : `%!${verb}(${typeName(v)}=${formatValue(v, 'v', PLAIN)})`;

const toBigInt = (v: GoValue): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));

/** Formats one value with a verb, as `fmt` does (composites element by element). */
export const formatValue = (v: GoValue, verb: string, f: Spec = PLAIN): string => {
  if (verb === 'T') return pad(v === undefined || v === null ? '<nil>' : typeName(v), f);
  switch (kindOf(v)) {
    case 'invalid':
      return verb === 'v' ? pad('<nil>', f) : badVerb(verb, v);
    case 'bool':
      return verb === 'v' || verb === 't' ? pad(String(v), f) : badVerb(verb, v);
    case 'int': {
      const n = toBigInt(v);
      switch (verb) {
        case 'v':
        case 'd':
          return formatInteger(n, 'd', f);
        case 'b':
        case 'o':
        case 'O':
        case 'x':
        case 'X':
          return formatInteger(n, verb, f);
        case 'c':
          return pad(String.fromCodePoint(Number(n)), f);
        case 'q':
          return pad(`'${quoteRune(Number(n), "'", f.plus)}'`, f);
        case 'U': {
          const u = `U+${Number(n).toString(16).toUpperCase().padStart(4, '0')}`;
          return pad(f.sharp && isPrint(Number(n)) ? `${u} '${String.fromCodePoint(Number(n))}'` : u, f);
        }
      }
      return badVerb(verb, v);
    }
    case 'float':
      if ('eEfFgGv'.includes(verb)) return formatFloat(toNumber(v), verb, f);
      return badVerb(verb, v);
    case 'string':
      if (verb === 'v' && f.sharp) return pad(quoteGo(v as string), f);
      return formatString(v as string, verb, f);
    case 'slice': {
      const items = (v as GoValue[]).map((x) => formatValue(x, verb, { ...f, wid: undefined }));
      if (verb === 'v' && f.sharp)
        return `[]interface {}{${(v as GoValue[]).map((x) => goSyntax(x)).join(', ')}}`;
      return pad(`[${items.join(' ')}]`, { ...f, wid: undefined });
    }
    case 'map': {
      const m = v as { readonly [key: string]: GoValue };
      if (verb === 'v' && f.sharp) return goSyntax(m);
      const inner = { ...f, wid: undefined };
      return `map[${sortedKeys(m)
        .map((k) => `${formatValue(k, verb, inner)}:${formatValue(m[k], verb, inner)}`)
        .join(' ')}]`;
    }
  }
};

/** `%#v`: the value in Go syntax. */
const goSyntax = (v: GoValue): string => {
  switch (kindOf(v)) {
    case 'invalid':
      return 'interface {}(nil)';
    case 'string':
      return quoteGo(v as string);
    case 'float':
      return formatFloat(toNumber(v), 'g', PLAIN);
    case 'slice':
      return `[]interface {}{${(v as GoValue[]).map(goSyntax).join(', ')}}`;
    case 'map': {
      const m = v as { readonly [key: string]: GoValue };
      return `${typeName(m)}{${sortedKeys(m)
        .map((k) => `${quoteGo(k)}:${goSyntax(m[k])}`)
        .join(', ')}}`;
    }
    default:
      return String(v instanceof GoFloat ? v.value : v);
  }
};

/** `fmt.Sprint`: operands printed with %v, spaces between operands when neither is a string. */
export const sprint = (args: readonly GoValue[]): string => {
  let out = '';
  args.forEach((a, i) => {
    const isString = typeof a === 'string';
    if (i > 0 && !isString && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a, 'v');
  });
  return out;
};

/** `fmt.Sprintln`: operands printed with %v, always separated by spaces, newline appended. */
export const sprintln = (args: readonly GoValue[]): string =>
  `${args.map((a) => formatValue(a, 'v')).join(' ')}\n`;

/** `fmt.Sprintf`. */
export const sprintf = (format: string, args: readonly GoValue[]): string => {
  let out = '';
  let argNum = 0;
  let reordered = false;
  let i = 0;
  const intArg = (): number | undefined => {
    const a = args[argNum];
    if (argNum >= args.length || kindOf(a) !== 'int') return undefined;
    argNum++;
    return Number(a);
  };
  const argIndex = (): boolean => {
    if (format[i] !== '[') return true;
    const close = format.indexOf(']', i);
    const n = close === -1 ? Number.NaN : Number(format.slice(i + 1, close));
    reordered = true;
    if (!Number.isInteger(n) || n < 1 || n > args.length) {
      i = close === -1 ? format.length : close + 1;
      return false;
    }
    argNum = n - 1;
    i = close + 1;
    return true;
  };
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct === -1) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '-') {
        f.minus = true;
        f.zero = false;
      } else if (c === '+') f.plus = true;
      else if (c === '#') f.sharp = true;
      else if (c === ' ') f.space = true;
      else if (c === '0') f.zero = !f.minus;
      else break;
    }
    let goodIndex = argIndex();
    if (format[i] === '*') {
      i++;
      const w = intArg();
      if (w === undefined) out += '%!(BADWIDTH)';
      else {
        f.wid = Math.abs(w);
        if (w < 0) {
          f.minus = true;
          f.zero = false;
        }
      }
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) {
        f.wid = Number(m[0]);
        i += m[0].length;
      }
    }
    if (format[i] === '.') {
      i++;
      if (goodIndex) goodIndex = argIndex();
      if (format[i] === '*') {
        i++;
        const p = intArg();
        if (p === undefined || p < 0) out += '%!(BADPREC)';
        else f.prec = p;
      } else {
        const m = /^\d+/.exec(format.slice(i));
        f.prec = m ? Number(m[0]) : 0;
        if (m) i += m[0].length;
      }
    }
    if (goodIndex) goodIndex = argIndex();
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (!goodIndex) {
      out += `%!${verb}(BADINDEX)`;
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argNum++];
    if (verb === 'w') {
      out += badVerb(verb, arg);
      continue;
    }
    out += formatValue(arg, verb, f);
  }
  if (!reordered && argNum < args.length) {
    out += `%!(EXTRA ${args
      .slice(argNum)
      .map((a) => (a === undefined || a === null ? '<nil>' : `${typeName(a)}=${formatValue(a, 'v')}`))
      .join(', ')})`;
  }
  return out;
};
