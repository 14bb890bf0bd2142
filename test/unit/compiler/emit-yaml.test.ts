/**
 * The fast YAML writer against the `yaml` library: the same bytes for everything synth
 * renders (every example object, every CRD, a generated fleet, strings YAML makes hard,
 * random documents), `undefined` for what it leaves to the library, and positions that
 * `locate()` reads exactly as it reads them from parsing the text back.
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { emitTrackedYaml, emitYaml, YAML_OPTIONS } from '../../../src/compiler/emit-yaml.ts';
import { renderApp, renderingOf, toYaml, toYamlStream } from '../../../src/compiler/render.ts';
import { renderedDocument, type SynthResult, synthesize } from '../../../src/compiler/synth.ts';
import { generateCrds } from '../../../src/crd/generate.ts';
import { escapePointer } from '../../../src/validate/diagnostic.ts';
import { parseManifests } from '../../../src/validate/load.ts';
import { fleetObjects, NASTY_STRINGS, random, randomDocument, UNSUPPORTED_VALUES } from './fixtures.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const library = (value: unknown): string => stringify(value, YAML_OPTIONS);

/** Whether the library writes a key its own way (see emit-yaml.ts): multi-line, over-long, `<<`. */
const libraryKey = (s: string): boolean => s.includes('\n') || s.length > 1024 || s === '<<';

/**
 * Objects that put every nasty string where YAML treats it differently: as a value, a list
 * item and deeper; then also as a key, where it can be.
 */
const nastyObjects = (): Record<string, unknown>[] =>
  NASTY_STRINGS.flatMap((s, i) => [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `nasty-value-${i}`, annotations: { a: s } },
      data: { value: s, list: [s, { k: s, list: [s, [s]] }], nested: { deeper: { k: s } } },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `nasty-key-${i}`, annotations: { [s]: s } },
      data: { value: s, [s]: [s, { [s]: s, list: [s, [s]] }], nested: { deeper: { [s]: s } } },
      [s]: s,
    },
  ]);

/** How many of {@link nastyObjects} the library writes. */
const nastyForLibrary =
  NASTY_STRINGS.filter((s) => s === '<<').length * 2 +
  NASTY_STRINGS.filter((s) => s !== '<<' && libraryKey(s)).length;

describe('emitYaml', { timeout: 120_000 }, () => {
  let examples: SynthResult;
  beforeAll(async () => {
    examples = await synthesize({ root: ROOT });
  }, 120_000);

  test('writes the bytes yaml.stringify writes for every example object and every CRD', () => {
    const values = [...examples.objects.map((o) => o.object), ...generateCrds()];
    expect(values.length).toBeGreaterThan(60);
    for (const value of values) expect(emitYaml(value)).toBe(library(value));
  });

  test('writes the bytes yaml.stringify writes for a generated fleet of 2,000 objects', () => {
    const objects = fleetObjects(2000);
    expect(objects).toHaveLength(2000);
    const app = renderApp(
      { name: 'fleet', source: 'fleet/main.ts', objects, failures: [], millis: 0 },
      'dist',
    );
    for (const o of app.objects) {
      expect(emitYaml(o.object)).toBe(library(o.object));
      expect(renderingOf(o)?.positions).toBeDefined();
    }
  });

  test('writes the bytes yaml.stringify writes for strings YAML makes hard, in every position', () => {
    let forLibrary = 0;
    for (const value of nastyObjects()) {
      const fast = emitYaml(value);
      if (fast === undefined) forLibrary += 1;
      else expect(fast).toBe(library(value));
    }
    expect(forLibrary).toBe(nastyForLibrary);
    expect(emitYaml({ k: '<<' })).toBeUndefined();
    const plain = {
      a: 'yes',
      b: 'on',
      c: '0755',
      d: '1:20',
      e: '2025-01-06',
      f: 'plain text',
      g: '',
    };
    expect(emitYaml(plain)).toBe(
      'a: "yes"\nb: "on"\nc: "0755"\nd: "1:20"\ne: "2025-01-06"\nf: plain text\ng: ""\n',
    );
    expect(emitYaml({ s: '"hi" there', d: "'s' x", b: '"a\' b', m: 'say "hi"' })).toBe(
      `s: '"hi" there'\nd: "'s' x"\nb: "\\"a' b"\nm: say "hi"\n`,
    );
    expect(
      emitYaml({ k: { p: 'a\nb\n', q: 'a\nb', r: 'a\n\n', s: ' a\nb' }, l: ['a\nb\n', []], m: {} }),
    ).toBe(
      'k:\n  p: |\n    a\n    b\n  q: |-\n    a\n    b\n  r: |+\n    a\n\n  s: |2-\n     a\n    b\nl:\n  - |\n    a\n    b\n  - []\nm: {}\n',
    );
  });

  test('writes numbers, booleans, null, empty collections and nested lists as the library does', () => {
    const value = {
      n: [0, -0, 1.5, -7, 1e21, 1e-7, 2 ** 53],
      b: [true, false],
      z: null,
      e: [[], {}, [[1, [2]]]],
    };
    expect(emitYaml(value)).toBe(library(value));
    expect(emitYaml([{ a: 1 }, 'x'])).toBe(library([{ a: 1 }, 'x']));
    expect(emitYaml({})).toBe('{}\n');
    expect(emitYaml([])).toBe('[]\n');
  });

  test('writes the bytes yaml.stringify writes for 20,000 random documents, or leaves them to the library', () => {
    const next = random(20260806);
    let written = 0;
    for (let i = 0; i < 20_000; i++) {
      const value = randomDocument(next);
      const fast = emitYaml(value);
      if (fast === undefined) continue;
      written += 1;
      expect(fast).toBe(library(value));
    }
    // The random keys hold line breaks often; most documents are still the fast writer's.
    expect(written).toBeGreaterThan(10_000);
  });

  test.each(
    UNSUPPORTED_VALUES.map((v) => [typeof v === 'object' && v !== null ? Object.keys(v)[0] : String(v), v]),
  )('leaves %s to the library, and toYaml writes what the library writes', (_name, value) => {
    expect(emitYaml(value)).toBeUndefined();
    expect(toYaml(value)).toBe(library(value));
  });

  test('writes a list that holds one object twice, but tracks positions only for a tree', () => {
    const shared = { a: 1 };
    expect(emitYaml({ f: [shared, shared] })).toBe('f:\n  - a: 1\n  - a: 1\n');
    expect(emitTrackedYaml({ f: [shared, shared] })).toBeUndefined();
    expect(emitTrackedYaml({ f: [{ a: 1 }, { a: 1 }] })?.text).toBe('f:\n  - a: 1\n  - a: 1\n');
  });

  test('--stdout reuses the rendering, which is what toYaml writes', () => {
    const stream = toYamlStream(examples.objects);
    expect(stream).toBe(
      examples.objects.map((o) => `---\n# Source: ${o.file}\n${library(o.object)}`).join(''),
    );
  });
});

/** Every pointer into `value`, and pointers just past each node: missing keys, items out of range, odd indexes. */
const pointersOf = (value: unknown, prefix = ''): string[] => {
  const out = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...pointersOf(v, `${prefix}/${i}`));
    out.push(`${prefix}/${value.length}`, `${prefix}/-1`, `${prefix}/x`, `${prefix}/01`, `${prefix}/1e0`);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) out.push(...pointersOf(v, `${prefix}/${escapePointer(k)}`));
    out.push(`${prefix}/missing`, `${prefix}/0`, `${prefix}/~0~1`);
  } else {
    out.push(`${prefix}/below`, `${prefix}/0`);
  }
  return out;
};

describe('positions of rendered objects', { timeout: 120_000 }, () => {
  const check = (objects: Record<string, unknown>[]): { tracked: number; parsed: number } => {
    const app = renderApp(
      {
        name: 'app',
        source: 'app/main.ts',
        objects: objects.map((object) => ({ object })),
        failures: [],
        millis: 0,
      },
      'dist',
    );
    const content = new Map(app.files.map((f) => [f.path, f.content]));
    let tracked = 0;
    let parsed = 0;
    for (const o of app.objects) {
      const fromText = parseManifests(content.get(o.file) ?? '', o.file);
      const fromPositions = renderedDocument(o);
      if (!fromPositions) {
        parsed += 1;
        continue;
      }
      tracked += 1;
      expect(fromText.diagnostics).toStrictEqual([]);
      expect(fromText.documents).toHaveLength(1);
      const doc = fromText.documents[0]!;
      // The validator reads the object in memory: it must be what parsing the text gives.
      expect(fromPositions.object).toStrictEqual(doc.object);
      expect([fromPositions.file, fromPositions.index, fromPositions.line]).toStrictEqual([
        doc.file,
        doc.index,
        doc.line,
      ]);
      for (const pointer of pointersOf(o.object)) {
        expect({ pointer, at: fromPositions.locate(pointer) }).toStrictEqual({
          pointer,
          at: doc.locate(pointer),
        });
      }
    }
    return { tracked, parsed };
  };

  test('locate() answers as it does from the parsed text, for every example object', async () => {
    const result = await synthesize({ root: ROOT });
    const counts = check(result.objects.map((o) => o.object));
    expect(counts).toStrictEqual({ tracked: result.objects.length, parsed: 0 });
  });

  test('locate() answers as it does from the parsed text, for a generated fleet of 400 objects', () => {
    expect(check(fleetObjects(400).map((o) => o.object))).toStrictEqual({ tracked: 400, parsed: 0 });
  });

  test('locate() answers as it does from the parsed text, for strings YAML makes hard', () => {
    const objects = nastyObjects();
    expect(check(objects)).toStrictEqual({
      tracked: objects.length - nastyForLibrary,
      parsed: nastyForLibrary,
    });
  });

  test('locate() answers as it does from the parsed text, for 2,000 random documents', () => {
    const next = random(7);
    const counts = check(Array.from({ length: 2000 }, () => randomDocument(next)));
    expect(counts.tracked).toBeGreaterThan(1000);
  });

  test('objects that would not load as one clean document are parsed back', () => {
    const counts = check([
      { apiVersion: 'v1', kind: 'List', metadata: { name: 'l' }, items: [{ apiVersion: 'v1', kind: 'A' }] },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
      { kind: 'ConfigMap', metadata: { name: 'no-api-version' } },
      { apiVersion: 'v1', kind: '', metadata: { name: 'empty-kind' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bell' }, data: { k: 'a\x07' } },
    ]);
    expect(counts).toStrictEqual({ tracked: 0, parsed: 5 });
  });
});
