import { describe, expect, test } from 'vitest';
import { KINDS, NON_NEGATIVE_QUANTITY } from '../../../src/api/index.ts';
import { collectRules, evaluateRule, evaluateRules, toCelValue } from '../../../src/validate/cel.ts';
import { compareQuantities, formatQuantity, parseQuantity } from '../../../src/validate/quantity.ts';
import { kelosObjectSchema } from '../../../src/validate/schema.ts';

const holds = (rule: string, self: unknown) => evaluateRule({ rule, message: 'm' }, self, '') === undefined;

describe('parseQuantity', () => {
  test.each([
    ['1', '1'],
    ['12.50', '12.5'],
    ['100m', '0.1'],
    ['1e-1', '0.1'],
    ['1Ki', '1024'],
    ['1.5Gi', '1610612736'],
    ['-2k', '-2000'],
    ['.5', '0.5'],
    ['5.', '5'],
    ['1E', '1000000000000000000'],
  ])('%s is %s', (text, decimal) => {
    const q = parseQuantity(text);
    expect(q && formatQuantity(q)).toBe(decimal);
  });

  test.each(['', 'abc', '1.2.3', '1 Gi', '1KiB', '--1', '1e999999'])('%j is not a quantity', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  test('comparison is exact across suffixes', () => {
    const q = (s: string) => parseQuantity(s)!;
    expect(compareQuantities(q('100m'), q('0.1'))).toBe(0);
    expect(compareQuantities(q('1023'), q('1Ki'))).toBe(-1);
    expect(compareQuantities(q('1G'), q('1Gi'))).toBe(-1);
  });
});

describe('the Kubernetes CEL library', () => {
  test('quantity() and its comparisons', () => {
    expect(holds("quantity(self).isLessThan(quantity('0'))", '-0.01')).toBe(true);
    expect(holds("quantity(self).isGreaterThan(quantity('1Gi'))", '1025Mi')).toBe(true);
    expect(holds("quantity(self).compareTo(quantity('1')) == 0", '1000m')).toBe(true);
    expect(holds('quantity(self).asApproximateFloat() == 0.25', '250m')).toBe(true);
    expect(holds("quantity(self).add(quantity('500m')).sub(1).isInteger()", '1.5')).toBe(true);
    expect(holds('quantity(self).asInteger() == 2048', '2Ki')).toBe(true);
    expect(holds('quantity(self).sign() == -1', '-3')).toBe(true);
    expect(holds('isQuantity(self)', '12.50')).toBe(true);
    expect(holds('isQuantity(self)', 'ten')).toBe(false);
    expect(holds("type(quantity('1')) != string", 'x')).toBe(true);
  });

  test('type(self) == int tells an integer from a string in an int-or-string field', () => {
    expect(holds('type(self) == int', 3n)).toBe(true);
    expect(holds('type(self) == int', '3')).toBe(false);
  });

  test('the non-negative quantity rule of the API, on both branches', () => {
    const ok = (v: unknown) => evaluateRule(NON_NEGATIVE_QUANTITY, toCelValue({}, v), '/x') === undefined;
    expect([ok(0), ok(5), ok(-1), ok('0.00'), ok('12.50'), ok('-0.5'), ok('-1m')]).toEqual([
      true,
      true,
      false,
      true,
      true,
      false,
      false,
    ]);
    // Not a quantity: the server's words, its regular expression included.
    expect(evaluateRule(NON_NEGATIVE_QUANTITY, 'abc', '/x')?.message).toBe(
      `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' evaluating rule: ${NON_NEGATIVE_QUANTITY.message}`,
    );
  });

  test('string functions, built in and from the strings extension', () => {
    expect(
      holds("self.startsWith('kelos-') && self.endsWith('-db') && self.contains('x')", 'kelos-x-db'),
    ).toBe(true);
    expect(holds("self.matches('^[a-z]+$')", 'abc')).toBe(true);
    expect(holds("self.lowerAscii() == 'abc' && self.split('B').size() == 2", 'ABC')).toBe(true);
  });

  test('matches() with a pattern met before answers for each string; a pattern RE2 refuses fails every time', () => {
    expect(holds("self.matches('^[a-z]+$')", 'abc')).toBe(true);
    expect(holds("self.matches('^[a-z]+$')", 'ab1')).toBe(false);
    const refused = () =>
      evaluateRule({ rule: "self.matches('(?<=a)b')", message: 'lookbehind' }, 'ab', '/p');
    const first = refused();
    expect(first).toMatchObject({ code: 'cel/error', path: '/p' });
    expect(first?.message).toMatch(/evaluating rule: lookbehind$/);
    expect(refused()).toEqual(first);
  });

  test('time zones: IANA names and fixed offsets work; unknown or wrongly cased names are evaluation errors', () => {
    expect(holds("timestamp('2000-01-01T00:00:00Z').getHours(self) == 1", 'Europe/Berlin')).toBe(true);
    expect(holds("timestamp('2000-01-01T00:00:00Z').getHours(self) == 19", 'America/New_York')).toBe(true);
    expect(holds("timestamp('2000-01-01T12:00:00Z').getHours(self) == 14", '+02:00')).toBe(true);
    expect(holds("timestamp('2000-01-01T00:00:00Z').getDayOfWeek(self) == 6", 'UTC')).toBe(true);
    const bad = (tz: string) =>
      evaluateRule(
        { rule: "timestamp('2000-01-01T00:00:00Z').getHours(self) >= 0", message: 'tz' },
        tz,
        '/tz',
      );
    expect(bad('Mars/Olympus')).toMatchObject({
      code: 'cel/error',
      message: 'unknown time zone Mars/Olympus evaluating rule: tz',
    });
    expect(bad('europe/berlin')).toMatchObject({
      code: 'cel/error',
      message: 'unknown time zone europe/berlin evaluating rule: tz',
    });
  });

  test("time zones with a colon are cel-go's fixed offsets; an offset without one is no zone, as on the server", () => {
    const hours = "timestamp('2000-01-01T12:00:00Z').getHours(self)";
    const minutes = "timestamp('2000-01-01T12:00:00Z').getMinutes(self)";
    expect(holds(`${hours} == 6 && ${minutes} == 30`, '-05:30')).toBe(true);
    expect(holds(`${hours} == 17 && ${minutes} == 45`, '+5:45')).toBe(true);
    expect(holds(`${hours} == 12`, '00:00')).toBe(true);
    // A date shift: 23:00 the day before.
    expect(holds("timestamp('2000-01-01T01:00:00Z').getDate(self) == 31", '-02:00')).toBe(true);
    const zone = (tz: string) => evaluateRule({ rule: `${hours} >= 0`, message: 'tz' }, tz, '/tz')?.message;
    // Intl takes these as zones; Go's time.LoadLocation, which the API server uses, does not.
    for (const tz of ['-12', '+05', '-0500', '+0530'])
      expect(zone(tz)).toBe(`unknown time zone ${tz} evaluating rule: tz`);
    expect(zone('+05:3x')).toBe('strconv.Atoi: parsing "3x": invalid syntax evaluating rule: tz');
  });
});

describe('evaluateRule', () => {
  test('a false rule is cel/rule with the rule message; fieldPath extends the path', () => {
    expect(
      evaluateRule(
        { rule: 'self.a > 1', message: 'a must exceed 1', fieldPath: ".a['b.c']" },
        { a: 1n },
        '/spec',
      ),
    ).toEqual({
      code: 'cel/rule',
      message: 'a must exceed 1',
      path: '/spec/a/b.c',
      rule: { rule: 'self.a > 1', message: 'a must exceed 1', fieldPath: ".a['b.c']" },
    });
  });

  test('errors are reported, never swallowed: missing fields, bad rules, non-boolean results', () => {
    const run = (rule: string, self: unknown) => evaluateRule({ rule, message: 'M' }, self, '/p');
    expect(run('self.missing == 1', {})).toMatchObject({ code: 'cel/error', path: '/p' });
    expect(run('self +', 1n)?.message).toMatch(/^compilation failed: .* evaluating rule: M$/);
    expect(run('self', 1n)?.message).toBe('rule returned bigint, not a boolean evaluating rule: M');
  });

  test('a scalar outcome recalled for the same value is the same finding, told apart by CEL type', () => {
    const run = (self: unknown, path = '/p') =>
      evaluateRule({ rule: 'type(self) == int', message: 'int' }, self, path);
    for (let i = 0; i < 2; i++) {
      expect(run(1n)).toBeUndefined();
      expect(run(1, `/q${i}`)).toMatchObject({ code: 'cel/rule', path: `/q${i}` });
      expect(run('1')).toMatchObject({ code: 'cel/rule' });
    }
    const zone = (tz: string) =>
      evaluateRule(
        { rule: "timestamp('2000-01-01T00:00:00Z').getHours(self) >= 0", message: 'tz' },
        tz,
        '/z',
      );
    for (let i = 0; i < 2; i++) {
      expect(zone('Europe/Berlin')).toBeUndefined();
      expect(zone('Mars/Olympus')?.message).toBe('unknown time zone Mars/Olympus evaluating rule: tz');
    }
  });
});

describe('collectRules and evaluateRules', () => {
  test('rules are found under properties, array items, map values and anyOf branches', () => {
    const schema = {
      type: 'object',
      properties: {
        list: {
          type: 'array',
          items: { type: 'object', 'x-kubernetes-validations': [{ rule: 'has(self.n)', message: 'item' }] },
        },
        map: {
          type: 'object',
          additionalProperties: {
            type: 'string',
            'x-kubernetes-validations': [{ rule: 'size(self) < 3', message: 'value' }],
          },
        },
        q: {
          anyOf: [
            { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self > 0', message: 'branch' }] },
            { type: 'string' },
          ],
        },
      },
      'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'immutable' }],
    };
    expect(collectRules(schema).map((r) => `${r.pointer} ${r.rule.message}`)).toEqual([
      ' immutable',
      '/list/* item',
      '/map/* value',
      '/q branch',
    ]);
    const findings = evaluateRules(schema, { list: [{ n: 1 }, {}], map: { a: 'ok', 'b/c': 'long' }, q: 0 });
    expect(findings.map((f) => `${f.code} ${f.path} ${f.message}`)).toEqual([
      'cel/rule /list/1 item',
      'cel/rule /map/b~1c value',
      'cel/rule /q branch',
    ]);
  });

  test('a Task is walked with integers as int, so integer rules type-check', () => {
    const task = KINDS.find((k) => k.kind === 'Task')!;
    const findings = evaluateRules(kelosObjectSchema(task), {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Task',
      metadata: { name: 't' },
      spec: { prompt: 'p', worker: { type: 'codex', credentials: { type: 'none' } } },
      status: { usage: { costUSD: -2 } },
    });
    expect(findings.map((f) => `${f.code} ${f.path} ${f.message}`)).toEqual([
      'cel/rule /status/usage/costUSD must be a non-negative quantity',
    ]);
  });
});
