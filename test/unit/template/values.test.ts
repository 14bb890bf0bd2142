import { describe, expect, test } from 'vitest';
import { TemplateSyntaxError } from '../../../src/template/lexer.ts';
import { unquoteGoString } from '../../../src/template/values.ts';

describe('unquoteGoString', () => {
  test.each([
    ['"plain"', 'plain'],
    ['""', ''],
    ['"é € 😀"', 'é € 😀'],
    ['"tab\\there"', 'tab\there'],
    ['"\\u00e9\\x41\\101"', 'éAA'],
    ['"\\U0001F600"', '😀'],
  ])('%s is %j, as Go unquotes it', (quoted, value) => {
    expect(unquoteGoString(quoted, 0)).toBe(value);
  });

  test('a lone surrogate becomes U+FFFD and a leading BOM is dropped, with or without escapes', () => {
    expect(unquoteGoString('"a\uD800b"', 0)).toBe('a\uFFFDb');
    expect(unquoteGoString('"a\uD800\\tb"', 0)).toBe('a\uFFFD\tb');
    expect(unquoteGoString('"\uFEFFa"', 0)).toBe('a');
    expect(unquoteGoString('"\uFEFFa\\n"', 0)).toBe('a\n');
  });

  test('a bad escape is a syntax error', () => {
    expect(() => unquoteGoString('"\\q"', 3)).toThrow(TemplateSyntaxError);
  });
});
