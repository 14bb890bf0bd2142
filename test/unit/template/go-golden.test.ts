/**
 * Runs every case in golden/cases.json through the engine and compares with what Go's
 * text/template produced for the same template and data (golden/expected.json, written by
 * golden/generate.go). Outputs must match byte for byte; errors must match in full.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { asStringMap, type GoValue, renderTemplate } from '../../../src/template/go-template.ts';

interface GoldenCase {
  name: string;
  template: string;
  data?: GoValue;
  missingKey?: 'error' | 'default' | 'zero';
  stringMaps?: string[];
}
interface GoldenResult {
  name: string;
  output?: string;
  error?: string;
}

const dir = new URL('./golden/', import.meta.url);
const cases = JSON.parse(readFileSync(new URL('cases.json', dir), 'utf8')) as GoldenCase[];
const expected = new Map(
  (JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as GoldenResult[]).map((r) => [r.name, r]),
);

/** Marks the objects at the given JSON-pointer-like paths as map[string]string, as the Go side does. */
const markStringMaps = (data: GoValue, paths: readonly string[]): GoValue => {
  for (const p of paths) {
    let v: unknown = data;
    for (const seg of p.split('/').slice(1)) v = (v as Record<string, unknown>)[seg];
    asStringMap(v as Record<string, string>);
  }
  return data;
};

/**
 * Cases where we deliberately differ from Go, with the reason. Each must still differ, so a
 * stale entry is noticed.
 */
const DIVERGENCES: Readonly<Record<string, string>> = {
  'define unsupported':
    'Kelos templates are single templates; define/template/block are refused with a clear parse error instead of being ignored',
};

/** Go reports parse errors as `template: t:LINE: msg`; we add the column: `template: t:LINE:COL: msg`. */
const normalizeParseError = (message: string): string =>
  message.replace(/^(template: t:\d+):\d+:(?! executing)/, '$1:');

describe('Go text/template golden cases', () => {
  test('every case has an expected result', () => {
    expect(cases.filter((c) => !expected.has(c.name)).map((c) => c.name)).toEqual([]);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const want = expected.get(c.name)!;
    const data = markStringMaps(structuredClone(c.data ?? null), c.stringMaps ?? []);
    const missingKey = c.missingKey === 'zero' ? 'default' : (c.missingKey ?? 'error');
    let got: GoldenResult;
    try {
      got = { name: c.name, output: renderTemplate(c.template, data, { name: 't', missingKey }) };
    } catch (e) {
      got = { name: c.name, error: normalizeParseError((e as Error).message) };
    }
    const goResult =
      want.error === undefined ? want : { name: c.name, error: normalizeParseError(want.error) };
    if (DIVERGENCES[name] !== undefined) expect(got).not.toEqual(goResult);
    else expect(got).toEqual(goResult);
  });
});
