import { describe, expect, it } from 'vitest';
import { matches, parseSelector } from '../../../src/kube/label-selector.ts';

const parsed = (s: Parameters<typeof parseSelector>[0]) => {
  const r = parseSelector(s);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.selector;
};

describe('label selectors', () => {
  it('matches everything with an empty or missing selector', () => {
    expect(matches(parsed({}), {})).toBe(true);
    expect(matches(parsed(undefined), { a: 'b' })).toBe(true);
  });

  it('requires every matchLabels entry', () => {
    const s = parsed({ matchLabels: { team: 'a', env: 'prod' } });
    expect(matches(s, { team: 'a', env: 'prod', extra: 'x' })).toBe(true);
    expect(matches(s, { team: 'a' })).toBe(false);
    expect(matches(s, { team: 'b', env: 'prod' })).toBe(false);
  });

  it('evaluates In, NotIn, Exists and DoesNotExist as the API server does', () => {
    const s = parsed({
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['gold', 'silver'] },
        { key: 'env', operator: 'NotIn', values: ['dev'] },
        { key: 'owner', operator: 'Exists' },
        { key: 'frozen', operator: 'DoesNotExist' },
      ],
    });
    expect(matches(s, { tier: 'gold', owner: 'x' })).toBe(true);
    // NotIn holds for a missing key.
    expect(matches(s, { tier: 'silver', owner: 'x', env: 'prod' })).toBe(true);
    expect(matches(s, { tier: 'bronze', owner: 'x' })).toBe(false);
    expect(matches(s, { tier: 'gold', owner: 'x', env: 'dev' })).toBe(false);
    expect(matches(s, { tier: 'gold' })).toBe(false);
    expect(matches(s, { tier: 'gold', owner: 'x', frozen: '' })).toBe(false);
  });

  it('reports every problem of an invalid selector with its pointer', () => {
    expect(
      parseSelector({
        matchLabels: { 'bad key!': 'v', ok: 'bad value!' },
        matchExpressions: [
          { key: 'a', operator: 'In', values: [] },
          { key: 'b', operator: 'Exists', values: ['x'] },
          { key: 'c', operator: 'Gt', values: ['1'] },
          { key: 'Example.com/x', operator: 'Exists' },
        ],
      }),
    ).toEqual({
      ok: false,
      errors: [
        `/matchLabels: label key "bad key!" is invalid (expected at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric)`,
        `/matchLabels/ok: label value "bad value!" is invalid (expected at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric)`,
        '/matchExpressions/0/values: must be non-empty for operator In',
        '/matchExpressions/1/values: must be empty for operator Exists',
        '/matchExpressions/2/operator: "Gt" is not a valid operator (expected In, NotIn, Exists or DoesNotExist)',
        '/matchExpressions/3/key: label key "Example.com/x" has an invalid prefix (expected a DNS subdomain)',
      ],
    });
  });

  it('lets a caller treat some label values as standing for any value', () => {
    const s = parsed({
      matchLabels: { tier: 'gold' },
      matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }],
    });
    const labels = { tier: '<any>', env: '<any>' };
    expect(matches(s, labels)).toBe(false);
    expect(matches(s, labels, { anyValue: (v) => v === '<any>' })).toBe(true);
    expect(matches(s, { tier: '<any>', env: 'dev' }, { anyValue: (v) => v === '<any>' })).toBe(false);
    expect(matches(s, { env: 'prod' }, { anyValue: () => true })).toBe(false);
  });
});
