/**
 * Issue 18: CEL rules as JavaScript closures. A closure must return exactly what the
 * interpreter returns, or throw; these tests hold it to that on random expressions of the
 * compiled subset over random JSON, and on every rule of the Kelos kinds over random
 * objects, against the interpreter itself.
 */
import { parse } from '@bufbuild/cel';
import { RE2JS } from '@bufbuild/re2';
import { describe, expect, test } from 'vitest';
import { KINDS } from '../../../src/api/index.ts';
import { evaluateRule, evaluateRules, toCelValue } from '../../../src/validate/cel.ts';
import { compileRuleClosure, holds, type RuleClosure } from '../../../src/validate/cel-closure.ts';
import { collectRules } from '../../../src/validate/index.ts';
import { kelosObjectSchema } from '../../../src/validate/schema.ts';

/** A small seeded generator (mulberry32), so a failure reproduces. */
const random = (seed: number) => {
  let a = seed;
  const next = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick };
};
type Random = ReturnType<typeof random>;

const KEYS = ['a', 'b', 'name', 'type', 'values'];
const STRINGS = ['', 'a', 'none', 'kelos-x', 'workspace', 'In', 'é', '😀', 'a😀b', 'https://u@h/x'];
const NUMBERS = [0, 1, -1, 2, 2.5, 1e21, -0.5];

/** Random JSON: what a rule's `self` can be, wrong types included. */
const jsonValue = (r: Random, depth: number, keys: readonly string[] = KEYS): unknown => {
  // Mostly a map at the top, as rules mostly sit on objects; any type below.
  const roll = depth === 0 && r.next() < 0.8 ? 5 : r.int(depth > 2 ? 3 : 6);
  if (roll === 0) return r.pick(STRINGS);
  if (roll === 1) return r.pick(NUMBERS);
  if (roll === 2) return r.next() < 0.5;
  if (roll === 3) return Array.from({ length: r.int(4) }, () => jsonValue(r, depth + 1, keys));
  const out: Record<string, unknown> = {};
  for (const key of keys) if (r.next() < 0.6) out[key] = jsonValue(r, depth + 1, keys);
  return out;
};

/** A random expression of the compiled subset (and of its type errors), as CEL source. */
const expression = (r: Random, depth: number, vars: readonly string[]): string => {
  const sub = () => expression(r, depth + 1, vars);
  const path = () => [r.pick(vars), ...Array.from({ length: r.int(3) }, () => r.pick(KEYS))].join('.');
  const literal = () =>
    r.pick([
      () => JSON.stringify(r.pick(STRINGS)).replaceAll('"', "'"),
      () => String(r.int(3)),
      () => r.pick(['true', 'false']),
    ])();
  if (depth > 3) return r.pick([path, literal, () => `size(${path()})`])();
  const macro = () => {
    const v = r.pick(['x', 'y']);
    return `${path()}.${r.pick(['all', 'exists'])}(${v}, ${expression(r, depth + 1, [...vars, v])})`;
  };
  return r.pick<() => string>([
    path,
    literal,
    () => `has(${path()}.${r.pick(KEYS)})`,
    () => `!${sub()}`,
    () => `(${sub()} && ${sub()})`,
    () => `(${sub()} || ${sub()})`,
    () => `(${sub()} ${r.pick(['==', '!=', '<', '<=', '>', '>='])} ${sub()})`,
    () => `size(${sub()})`,
    () => `${sub()}.size()`,
    () => `(${sub()} ? ${sub()} : ${sub()})`,
    () => `${sub()}.startsWith(${sub()})`,
    () => `${sub()}.matches(${r.pick(["'^k'", "'.*😀'", "''", "'^[a-z]+$'"])})`,
    () => `(${sub()} in [${literal()}, ${literal()}])`,
    () => `(${sub()} in ${path()})`,
    macro,
  ])();
};

const regex = (pattern: string) => RE2JS.compile(pattern);

/** The interpreter's answer for a rule on `self` (a CEL value): true, false, or an error. */
const interpreted = (rule: string, self: unknown): boolean | 'error' => {
  const finding = evaluateRule({ rule, message: 'm' }, self, '');
  if (finding === undefined) return true;
  return finding.code === 'cel/rule' ? false : 'error';
};

/** The closure's answer, or `undefined` when it threw (and left it to the interpreter). */
const closed = (closure: RuleClosure, self: unknown): unknown => {
  try {
    return closure(self);
  } catch {
    return undefined;
  }
};

describe('CEL rule closures agree with the interpreter', () => {
  test('on 10,000 random expressions of the subset, each over 6 random JSON values', () => {
    const r = random(18);
    const tally = { compiled: 0, decided: 0, true: 0, false: 0 };
    for (let i = 0; i < 10_000; i++) {
      const rule = expression(r, 0, ['self']);
      const closure = compileRuleClosure(parse(rule), regex);
      if (!closure) continue;
      tally.compiled++;
      for (let j = 0; j < 6; j++) {
        const self = jsonValue(r, 0);
        const answer = closed(closure, self);
        if (answer === undefined) continue;
        tally.decided++;
        if (answer === true) tally.true++;
        if (answer === false) tally.false++;
        // A rule's result is a boolean; any other value is the interpreter's error.
        expect({ rule, self, answer: typeof answer === 'boolean' ? answer : 'error' }).toStrictEqual({
          rule,
          self,
          answer: interpreted(rule, toCelValue(undefined, self)),
        });
      }
    }
    // Every generated expression is in the subset, and the closures decide a good share.
    expect(tally.compiled).toBe(10_000);
    expect(tally.decided).toBeGreaterThan(6_000);
    expect(tally.true).toBeGreaterThan(1_500);
    expect(tally.false).toBeGreaterThan(1_500);
  });

  test('on every rule of the Kelos kinds, over random values with the fields the rules read', () => {
    const r = random(7);
    let decided = 0;
    let held = 0;
    for (const def of KINDS) {
      const schema = kelosObjectSchema(def);
      for (const { rule } of collectRules(schema)) {
        const closure = compileRuleClosure(parse(rule.rule), regex);
        if (!closure) continue;
        const keys = [...new Set([...rule.rule.matchAll(/\.(\w+)\b(?!\()/g)].map((m) => m[1] as string))];
        for (let i = 0; i < 300; i++) {
          const self = jsonValue(r, 0, keys.length > 0 ? keys : KEYS);
          const answer = closed(closure, self);
          if (typeof answer !== 'boolean') continue;
          decided++;
          if (answer) held++;
          expect({ rule: rule.rule, self, answer }).toStrictEqual({
            rule: rule.rule,
            self,
            answer: interpreted(rule.rule, toCelValue(undefined, self)),
          });
        }
      }
    }
    expect(decided).toBeGreaterThan(8_000);
    expect(held).toBeGreaterThan(4_000);
    expect(decided - held).toBeGreaterThan(1_000);
  });

  test('the rules a closure cannot express are left to the interpreter', () => {
    const rules = new Set(
      KINDS.flatMap((def) => collectRules(kelosObjectSchema(def)).map((s) => s.rule.rule)),
    );
    const without = [...rules].filter((rule) => !compileRuleClosure(parse(rule), regex));
    expect(without).toStrictEqual([
      'self == oldSelf',
      "type(self) == int ? self >= 0 : !quantity(self).isLessThan(quantity('0'))",
      "timestamp('2000-01-01T00:00:00Z').getHours(self) >= 0",
    ]);
  });

  test('a closure that cannot tell throws, and holds() then says no', () => {
    const closure = compileRuleClosure(parse('self.name.startsWith("x")'), regex);
    expect(closure).toBeDefined();
    if (!closure) return;
    expect(closure({ name: 'xy' })).toBe(true);
    expect(() => closure({})).toThrow();
    expect(() => closure({ name: 1 })).toThrow();
    expect(holds(closure, { name: 'xy' })).toBe(true);
    expect(holds(closure, {})).toBe(false);
    // A JavaScript object's member with no value is not one CEL has: the interpreter decides.
    const equal = compileRuleClosure(parse('self.a == self.b'), regex);
    expect(() => equal?.({ a: undefined, b: undefined })).toThrow();
  });

  test('findings are the interpreter’s: a broken rule is reported with its message and path', () => {
    const schema = {
      type: 'object',
      properties: { list: { type: 'array', items: { type: 'object' } } },
      'x-kubernetes-validations': [{ rule: 'self.list.all(i, has(i.n))', message: 'every item needs n' }],
    };
    expect(evaluateRules(schema, { list: [{ n: 1 }] })).toStrictEqual([]);
    expect(evaluateRules(schema, { list: [{ n: 1 }, {}] }, '/spec')).toMatchObject([
      { code: 'cel/rule', message: 'every item needs n', path: '/spec' },
    ]);
    expect(evaluateRules(schema, { list: 'x' }, '/spec')).toMatchObject([
      { code: 'cel/error', path: '/spec' },
    ]);
  });
});
