/**
 * Mapping keys the cluster gets other than as written. kubectl (sigs.k8s.io/yaml, on go-yaml
 * v2) resolves a plain key as it resolves a plain value, then turns the key back into a string:
 * `0755:` is the integer 493 and the key `"493"`, `1e6:` the float 1e+06 and the key `"1e+06"`
 * (Go's `strconv.FormatFloat(f, 'g', -1, 32)`), `on:` the boolean true and the key `"true"`.
 * Under a ConfigMap's `data` or a label map, the object then holds a key nobody wrote.
 *
 * @packageDocumentation
 */
import { isMap, isPair, isScalar, isSeq, type Document as YamlDocument } from 'yaml';

/** go-yaml v2's pattern of a plain float (after it dropped every `_`). */
const GO_YAML_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

/** What Go's `strconv.ParseInt(s, 0, 64)` takes: a sign, then a base prefix or a decimal. */
const GO_INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO]?[0-7]+|0|[1-9][0-9]*)$/;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** The integer `s` is in Go's `strconv.ParseInt(s, 0, 64)` syntax, whatever its size; `undefined` when it is none. */
const goInt = (s: string): bigint | undefined => {
  if (!GO_INT.test(s)) return undefined;
  const negative = s.startsWith('-');
  const digits = s.replace(/^[-+]/, '');
  // BigInt reads 0x, 0b and 0o itself; a bare leading 0 is octal to Go.
  const magnitude = BigInt(/^0[0-7]+$/.test(digits) ? `0o${digits.slice(1)}` : digits.toLowerCase());
  return negative ? -magnitude : magnitude;
};

/**
 * `f` as Go's `strconv.FormatFloat(f, 'g', -1, 32)` writes it: the shortest decimal that reads
 * back as the same float32, in exponent form (`1e+06`, `1e-07`) when its exponent is below -4
 * or at least 6 (what the shortest form's `%g` does), else as a plain decimal.
 */
export const goFloat32 = (f: number): string => {
  const single = Math.fround(f);
  if (Number.isNaN(single)) return 'NaN';
  if (!Number.isFinite(single)) return single > 0 ? '+Inf' : '-Inf';
  const negative = single < 0 || Object.is(single, -0);
  const abs = Math.abs(single);
  let shortest = abs.toPrecision(9);
  for (let p = 1; p <= 9; p++) {
    const candidate = abs.toPrecision(p);
    if (Math.fround(Number(candidate)) === abs) {
      shortest = candidate;
      break;
    }
  }
  const [mantissa = '0', exp = '0'] = Number(shortest).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exp);
  const body =
    exponent < -4 || exponent >= 6
      ? `${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`
      : Number(shortest).toFixed(Math.max(digits.length - 1 - exponent, 0));
  return `${negative ? '-' : ''}${body}`;
};

/** A number kubectl reads a plain key as, and the key it makes of it. */
export interface NumberKey {
  /** `an integer` or `a float`. */
  readonly what: 'integer' | 'float';
  /** The number as Go writes it back: the object's key. */
  readonly key: string;
}

/**
 * The number kubectl reads the plain (unquoted) key written `source` as, and the key it makes of
 * it; `undefined` when the key is no number there (a string, a boolean, null, or an integer
 * beyond int64, whose key kubectl refuses).
 */
export function kubectlNumberKey(source: string): NumberKey | undefined {
  const first = source.charCodeAt(0);
  // go-yaml v2 tries numbers only on a plain scalar that starts with a digit, a sign or a dot.
  const digit = first >= 48 && first <= 57;
  if (!digit && source[0] !== '-' && source[0] !== '+' && source[0] !== '.') return undefined;
  const special = /^([-+]?)\.(?:inf|Inf|INF)$/.exec(source);
  if (special) return { what: 'float', key: special[1] === '-' ? '-.inf' : '.inf' };
  if (/^\.(?:nan|NaN|NAN)$/.test(source)) return { what: 'float', key: '.nan' };
  if (source[0] === '.') {
    // A leading dot goes to Go's ParseFloat as written, underscores and all.
    if (!/^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/.test(source)) return undefined;
    return { what: 'float', key: goFloat32(Number(source)) };
  }
  // Timestamps stay strings when decoded into an untyped map (go-yaml v2 keeps their text).
  if (/^\d{4}-\d\d?-\d\d?(?:[Tt ]|$)/.test(source)) return undefined;
  const plain = source.replaceAll('_', '');
  const int = goInt(plain);
  if (int !== undefined && int >= INT64_MIN && int <= INT64_MAX)
    return { what: 'integer', key: int.toString() };
  // Past int64, up to uint64 it is a uint64, a key sigs.k8s.io/yaml refuses; beyond, a float.
  if (int !== undefined && int >= 0n && int <= UINT64_MAX) return undefined;
  if (!GO_YAML_FLOAT.test(plain)) return undefined;
  const f = Number(plain);
  if (!Number.isFinite(f)) return undefined;
  const key = goFloat32(f);
  return { what: 'float', key: key === '+Inf' ? '.inf' : key === '-Inf' ? '-.inf' : key };
}

/** A plain key the cluster gets other than as written. */
export interface RetypedKey {
  /** Offset of the key in the text. */
  readonly offset: number;
  /** The key as written. */
  readonly source: string;
  /**
   * What kubectl reads it as: `the boolean true`, `the integer 493`, `null`; empty for a key
   * read as written that only repeats an earlier one ({@link same}).
   */
  readonly reads: string;
  /** The key the object gets. */
  readonly key: string;
  /** JSON-pointer segments of the member, from the document's root, with the key as the object has it. */
  readonly path: readonly string[];
  /**
   * An earlier key of the same mapping that the cluster gets as the same key (`"493":` before
   * `0755:`), as written, and its offset: the two are one member to kubectl.
   */
  readonly same?: {
    readonly source: string;
    readonly offset: number;
    /** It is the one the cluster gets other than as written. */
    readonly retyped: boolean;
  };
}

/** A scalar key as written, quotes included: `0755`, `"493"`, `'on'`. */
const written = (key: { type?: string; source?: string; value: unknown }): string => {
  const text = key.source ?? String(key.value);
  return key.type === 'QUOTE_DOUBLE'
    ? JSON.stringify(text)
    : key.type === 'QUOTE_SINGLE'
      ? `'${text}'`
      : text;
};

/**
 * Every plain key of `doc` that kubectl reads as a boolean word (`yes`, `on`, `n`; not `true` or
 * `false`), as a number written other than as Go writes it back (`0755`, `1e6`; not `8080`) or
 * as null (`~`, `null`), and every key that the cluster gets as an earlier key of its mapping
 * (`"493":` and `0755:`, {@link RetypedKey.same}; a null key after another, `~:` and `null:`), in source order. A number key is set to the string kubectl makes of
 * it, so the object holds the key the cluster gets (`1e6:` is `"1e+06"` there, not `"1000000"`).
 */
export function retypedKeys(doc: YamlDocument): RetypedKey[] {
  const out: RetypedKey[] = [];
  const stack: Array<{ node: unknown; path: readonly string[] }> = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (isMap(node)) {
      // The keys the cluster gets, as written: two written apart may be one key there.
      const seen = new Map<string, NonNullable<RetypedKey['same']>>();
      // The first null key: `~:` and `null:` are one key too, apart from every string key.
      let firstNull: NonNullable<RetypedKey['same']> | undefined;
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = pair.key;
        let name = isScalar(key) ? String(key.value ?? '') : '';
        const source = isScalar(key) && key.type === 'PLAIN' ? key.source : undefined;
        const offset = (key as { range?: readonly number[] | null }).range?.[0] ?? 0;
        let retyped: Omit<RetypedKey, 'path' | 'key'> | undefined;
        if (isScalar(key) && source !== undefined && source !== '<<') {
          if (key.value === null) {
            // sigs.k8s.io/yaml turns only string, number and boolean keys into JSON's.
            retyped = { offset, source, reads: 'null' };
          } else if (typeof key.value === 'boolean' && !/^(?:true|false)$/i.test(source)) {
            retyped = { offset, source, reads: `the boolean ${key.value}` };
          } else {
            const number = kubectlNumberKey(source);
            if (number !== undefined) {
              key.value = number.key;
              name = number.key;
              // `8080:` is the key "8080" all the same.
              if (number.key !== source)
                retyped = { offset, source, reads: `the ${number.what} ${number.key}` };
            }
          }
        }
        // A null key is no string key, though its name here is "": it clashes only with another null key.
        const isNull = retyped?.reads === 'null';
        const keyed = isScalar(key) && key.value !== '<<' && !isNull;
        const same = keyed ? seen.get(name) : isNull ? firstNull : undefined;
        if (keyed && !same) seen.set(name, { source: written(key), offset, retyped: !!retyped });
        if (isNull) firstNull ??= { source: retyped!.source, offset, retyped: true };
        if (retyped || same) {
          out.push({
            ...(retyped ?? { offset, source: isScalar(key) ? written(key) : name, reads: '' }),
            key: name,
            path: [...path, name],
            ...(same && { same }),
          });
        }
        if (isMap(pair.value) || isSeq(pair.value)) stack.push({ node: pair.value, path: [...path, name] });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        if (isMap(item) || isSeq(item)) stack.push({ node: item, path: [...path, String(i)] });
      });
    }
  }
  return out.sort((a, b) => a.offset - b.offset);
}
