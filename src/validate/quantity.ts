/**
 * Exact arithmetic on Kubernetes `resource.Quantity` strings, for the CEL `quantity()` library.
 *
 * A quantity is kept as a fraction `numerator / 10^scale` of big integers, so `"0.1"`, `"100m"`
 * and `"1e-1"` compare equal and binary suffixes (`Ki`, `Mi`, ...) stay exact.
 *
 * @packageDocumentation
 */

/** A parsed quantity: `numerator / 10^scale`. */
export interface Quantity {
  readonly numerator: bigint;
  readonly scale: number;
}

const BINARY: Readonly<Record<string, bigint>> = {
  Ki: 2n ** 10n,
  Mi: 2n ** 20n,
  Gi: 2n ** 30n,
  Ti: 2n ** 40n,
  Pi: 2n ** 50n,
  Ei: 2n ** 60n,
};

const DECIMAL: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

// Same grammar as resource.ParseQuantity (and QUANTITY_PATTERN in src/api/schema.ts).
const QUANTITY = /^([+-])?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:([KMGTPE]i)|([numkMGTPE]?)|[eE]([+-]?[0-9]+))$/;

/** Largest decimal exponent accepted, so a hostile `1e999999999` cannot allocate a huge integer. */
const MAX_EXPONENT = 1000;

/**
 * Parses a quantity string.
 *
 * @returns The quantity, or `undefined` when `text` is not a valid quantity.
 */
export function parseQuantity(text: string): Quantity | undefined {
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [, sign, number = '', binary, decimalSuffix, exponent] = m;
  const [whole = '', fraction = ''] = number.split('.');
  let numerator = BigInt(`${whole}${fraction}` || '0');
  let scale = fraction.length;
  if (binary !== undefined) {
    numerator *= BINARY[binary] ?? 1n;
  } else {
    const power = exponent !== undefined ? Number(exponent) : (DECIMAL[decimalSuffix ?? ''] ?? 0);
    if (Math.abs(power) > MAX_EXPONENT) return undefined;
    scale -= power;
  }
  if (scale < 0) {
    numerator *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { numerator: sign === '-' ? -numerator : numerator, scale };
}

/**
 * Reads an int-or-string quantity field as it arrives from YAML or JSON: a string, or a finite
 * number (a manifest may write `maxCostUSD: 50`).
 *
 * @returns The quantity, or `undefined` when `value` is neither.
 */
export function quantityOf(value: unknown): Quantity | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? parseQuantity(String(value)) : undefined;
  return typeof value === 'string' ? parseQuantity(value.trim()) : undefined;
}

/**
 * An amount of US dollars (`maxCostUSD`, `costUSD`) as a double, for estimates and messages;
 * exact sums use {@link quantityOf} and {@link addQuantities}.
 *
 * @returns The amount, or `undefined` when `value` is not a non-negative quantity.
 */
export function usdAmount(value: unknown): number | undefined {
  const q = quantityOf(value);
  return q && quantitySign(q) >= 0 ? quantityFloat(q) : undefined;
}

/** Brings two quantities to the same scale. */
const aligned = (a: Quantity, b: Quantity): [bigint, bigint, number] => {
  const scale = Math.max(a.scale, b.scale);
  return [a.numerator * 10n ** BigInt(scale - a.scale), b.numerator * 10n ** BigInt(scale - b.scale), scale];
};

/** -1, 0 or 1 as `a` is less than, equal to or greater than `b`. */
export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `a + b`. */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  const [x, y, scale] = aligned(a, b);
  return { numerator: x + y, scale };
}

/** The sign of a quantity: -1, 0 or 1. */
export const quantitySign = (q: Quantity): -1 | 0 | 1 => (q.numerator < 0n ? -1 : q.numerator > 0n ? 1 : 0);

/** Whether a quantity is a whole number. */
export const isIntegerQuantity = (q: Quantity): boolean => q.numerator % 10n ** BigInt(q.scale) === 0n;

/** The whole-number value of a quantity; callers check {@link isIntegerQuantity} first. */
export const quantityInteger = (q: Quantity): bigint => q.numerator / 10n ** BigInt(q.scale);

/** The nearest double to a quantity. */
export const quantityFloat = (q: Quantity): number => Number(formatQuantity(q));

/** Formats a quantity as a plain decimal string (`"-12.5"`), which {@link parseQuantity} reads back. */
export function formatQuantity(q: Quantity): string {
  const negative = q.numerator < 0n;
  const digits = (negative ? -q.numerator : q.numerator).toString().padStart(q.scale + 1, '0');
  const whole = digits.slice(0, digits.length - q.scale);
  const fraction = q.scale > 0 ? digits.slice(digits.length - q.scale).replace(/0+$/, '') : '';
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}
