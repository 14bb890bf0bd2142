import { describe, expect, it } from 'vitest';
import { formatQuantity, quantityOf, usdAmount } from '../../../src/validate/quantity.ts';

describe('quantity fields as manifests write them', () => {
  it('reads an int-or-string quantity from a string or a YAML number', () => {
    expect(formatQuantity(quantityOf('12.50') ?? { numerator: -1n, scale: 0 })).toBe('12.5');
    expect(formatQuantity(quantityOf(50) ?? { numerator: -1n, scale: 0 })).toBe('50');
    expect(formatQuantity(quantityOf('100m') ?? { numerator: -1n, scale: 0 })).toBe('0.1');
    expect(quantityOf('ten dollars')).toBeUndefined();
    expect(quantityOf(Number.NaN)).toBeUndefined();
    expect(quantityOf(true)).toBeUndefined();
  });

  it('reads a USD amount as a non-negative number', () => {
    expect(usdAmount('50')).toBe(50);
    expect(usdAmount(' 1.25 ')).toBe(1.25);
    expect(usdAmount(7)).toBe(7);
    expect(usdAmount('.5')).toBe(0.5);
    expect(usdAmount('-3')).toBeUndefined();
    expect(usdAmount('$5')).toBeUndefined();
    expect(usdAmount(undefined)).toBeUndefined();
  });
});
