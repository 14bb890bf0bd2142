import { describe, expect, test } from 'vitest';
import { parseDocument } from 'yaml';
import { valueOffsets } from '../../../src/validate/scalar-offsets.ts';

/** Each value character must come from the raw character that wrote it. */
const roundTrip = (yaml: string) => {
  const doc = parseDocument(yaml);
  const node = doc.get('k', true) as { range: [number, number]; type: string; value: string };
  const raw = yaml.slice(node.range[0], node.range[1]);
  return { raw, value: node.value, offsets: valueOffsets(raw, node.type, node.value) };
};

describe('valueOffsets', () => {
  test.each([
    ['plain', 'k: a {{.X}} b\n'],
    ['plain over lines', 'k: first\n  second {{.X}}\n'],
    ['double-quoted with escapes', 'k: "a\\"b\\n\\u00e9 {{.X}}"\n'],
    ['single-quoted with a doubled quote', "k: 'it''s {{.X}}'\n"],
    ['literal block', 'k: |\n  line one\n    indented {{.X}}\n  {{.Y}}\n'],
    ['literal block, strip chomping', 'k: |-\n  a\n\n  {{.X}}\n'],
    ['folded block', 'k: >\n  one\n  two {{.X}}\n'],
  ])('%s: every non-space character maps to itself in the source', (_, yaml) => {
    const { raw, value, offsets } = roundTrip(yaml);
    expect(offsets).toHaveLength(value.length);
    for (const [i, c] of [...value].entries()) {
      if (c === ' ' || c === '\n' || c === '"' || c === "'" || c === 'é') continue;
      expect([i, raw[offsets[i]!]]).toStrictEqual([i, c]);
    }
  });

  test('an escape maps to its backslash', () => {
    const { raw, offsets } = roundTrip('k: "x\\ty"\n');
    expect(raw[offsets[1]!]).toBe('\\');
    expect(raw[offsets[2]!]).toBe('y');
  });

  test('a literal block maps a template line to its own source line', () => {
    const { raw, offsets } = roundTrip('k: |\n  one\n    two {{.X}}\n');
    const at = offsets['one\n  two '.length]!;
    expect(raw.slice(at, at + 5)).toBe('{{.X}');
  });
});
