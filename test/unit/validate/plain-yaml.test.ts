import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isMap, isScalar, isSeq, type Node, parseAllDocuments, parseDocument, type Tags } from 'yaml';
import { parseManifests } from '../../../src/validate/load.ts';
import { memberOffset, readPlainYaml } from '../../../src/validate/plain-yaml.ts';

const TIMESTAMP = 'tag:yaml.org,2002:timestamp';
// The tags load.ts parses with: YAML 1.1 without timestamps and sexagesimal numbers.
const kubectlTags = (tags: Tags): Tags =>
  tags.filter(
    (t) => typeof t === 'string' || (t.tag !== TIMESTAMP && (t as { format?: string }).format !== 'TIME'),
  );
const OPTIONS = { version: '1.1', customTags: kubectlTags, uniqueKeys: false } as const;
const TAGS = parseDocument('', OPTIONS).schema.tags;

type Offsets = Map<object, Map<string, number> | number[]>;

/** Every key and item offset of the library's tree, checked against the fast reader's. */
function sameOffsets(node: Node | null, value: unknown, offsets: Offsets, at: string): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = String((pair.key as { value: unknown }).value);
      expect(memberOffset(offsets, value as object, key), `${at}/${key}`).toBe((pair.key as Node).range?.[0]);
      sameOffsets(pair.value as Node, (value as Record<string, unknown>)[key], offsets, `${at}/${key}`);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      expect(memberOffset(offsets, value as object, i), `${at}/${i}`).toBe((item as Node).range?.[0]);
      sameOffsets(item as Node, (value as unknown[])[i], offsets, `${at}/${i}`);
    });
  }
}

/** Reads `text` both ways; `false` when the fast reader declined it. */
function agrees(text: string): boolean {
  const fast = readPlainYaml(text, TAGS);
  if (!fast) return false;
  const docs = parseAllDocuments(text, OPTIONS);
  const real = (Array.isArray(docs) ? docs : []).filter(
    (d) => !(d.contents === null || (isScalar(d.contents) && d.contents.value === null)),
  );
  expect(fast.documents).toHaveLength(real.length);
  real.forEach((doc, i) => {
    expect(doc.errors).toEqual([]);
    expect(doc.warnings).toEqual([]);
    const mine = fast.documents[i]!;
    expect(mine.value).toStrictEqual(doc.toJS());
    expect(mine.start).toBe((doc.contents as Node).range?.[0]);
    sameOffsets(doc.contents as Node, mine.value, fast.offsets, '');
  });
  return true;
}

const wrap = (body: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n${body}`;

/** Snippets in the subset: the fast reader must read each, exactly as the library does. */
const INSIDE: Record<string, string> = {
  scalars: wrap(
    [
      'data:',
      ...[
        'yes',
        'No',
        'ON',
        'off',
        'y',
        'n',
        '~',
        'null',
        'Null',
        '0755',
        '0x1F',
        '1_000',
        '1e3',
        '1.5e3',
        '.5',
        '-.inf',
        '.NaN',
        '+1',
        '0b101',
        '1:20',
        '2001-12-14',
        'true',
        'tRue',
        '12e03',
        '1.0',
        '0.0',
        '-0',
        '00',
        '08',
        '0o17',
        '190:20:30',
        '-1',
        '-x',
        ':x',
        '?x',
        '3.',
        'a b  c',
        'http://h:80/p?q#f',
        'a,b',
        'x[0]',
        '9007199254740993',
        '0.1.2',
        '1e',
        '"q"',
        "'s'",
        '"a\\"b\\\\c\\n\\t\\u00e9"',
        "'it''s'",
        '"#"',
        '""',
        "''",
        '[]',
        '{}',
        '"x" # c',
        'v # c',
      ].map((v, i) => `  k${i}: ${v}`),
    ].join('\n'),
  ),
  keys: wrap(
    'data:\n  b: 0\n  "10": ten\n  \'2\': two\n  a.b/c-d_e: 1\n  "quoted key": 2\n  \'single\': 3\n  "yes": 4\n  x y: 5\n  $ref: 6\n  a:b: 7\n',
  ),
  nesting: wrap(
    'spec:\n  list:\n    - a\n    - b: 1\n      c:\n        - 2\n    -\n      d: 3\n    -   e: 4\n  indentless:\n  - 1\n  - x: 2\n    z:\n    - 3\n  empty:\n  after: 1\n  nested:\n    -\n      - deep\n',
  ),
  manyKeys: wrap(`data:\n${Array.from({ length: 40 }, (_, i) => `  k${i}: ${i}`).join('\n')}\n`),
  blocks: wrap(
    'data:\n  clip: |\n    a\n\n      b\n    c\n\n\n  strip: |-\n    a\n  keep: |+\n    a\n\n  list:\n    - |\n      in item\n    - k: |\n        in map\n  hash: |\n    # not a comment\n  last: |\n    end',
  ),
  comments:
    '# leading\n---\n# more\napiVersion: v1 # c\nkind: ConfigMap\n  # indented comment\nmetadata:\n  name: x\n\n# between\ndata: # c\n  a: 1\n--- # second\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n---\n---\n',
};

/** Snippets outside the subset: the fast reader must leave each to the library. */
const OUTSIDE: Record<string, string> = {
  anchor: wrap('data: &a\n  x: 1\nother: *a\n'),
  tag: wrap('data: !!str 1\n'),
  flow: wrap('data: [a, b]\n'),
  folded: wrap('data: >\n  a\n  b\n'),
  multiLinePlain: wrap('data: a\n  b\n'),
  multiLineQuoted: wrap('data: "a\n  b"\n'),
  tab: wrap('data:\n\tx: 1\n'),
  crlf: 'apiVersion: v1\r\nkind: ConfigMap\r\n',
  duplicate: wrap('data:\n  a: 1\n  a: 2\n'),
  boolKey: wrap('data:\n  yes: 1\n'),
  merge: wrap('data:\n  <<: {}\n'),
  nestedMapping: wrap('data: a: b\n'),
  badIndent: wrap('data:\n  - a\n   - b\n'),
  rootList: '- a\n- b\n',
  explicitIndent: wrap('data: |2\n    a\n'),
  spacesAfterContent: wrap('data: |\n  a\n      \n  b\n'),
  documentEnd: wrap('data: 1\n...\n'),
  directive: '%YAML 1.1\n---\na: 1\n',
  xEscape: wrap('data: "\\x41"\n'),
};

describe('readPlainYaml', () => {
  for (const [name, text] of Object.entries(INSIDE)) {
    test(`reads ${name} exactly as the yaml library does`, () => {
      expect(agrees(text)).toBe(true);
    });
  }

  for (const [name, text] of Object.entries(OUTSIDE)) {
    test(`leaves ${name} to the yaml library`, () => {
      expect(readPlainYaml(text, TAGS)).toBeUndefined();
    });
  }

  test('agrees with the library on every example and fixture it reads', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.ya?ml$/.test(name)) files.push(path);
      }
    };
    walk('examples');
    walk('test/fixtures');
    let read = 0;
    for (const file of files) if (agrees(readFileSync(file, 'utf8'))) read++;
    // Many hand-written manifests are in the subset (flow lists and folded text are not).
    expect(read).toBeGreaterThan(50);
  });
});

describe('parseManifests on the fast path', () => {
  test('template findings still see the string as written (the library reads it on demand)', () => {
    const text = wrap('data:\n  prompt: |\n    line one\n    line two\n');
    const [doc] = parseManifests(text, 'x.yaml').documents;
    const source = doc?.scalar?.('/data/prompt');
    expect(source?.style).toBe('BLOCK_LITERAL');
    expect(source?.raw).toBe('|\n    line one\n    line two\n');
    expect(source?.at(2)).toEqual({ line: 7, column: 1 });
    expect(doc?.locate('/data/prompt')).toEqual({ line: 6, column: 3 });
  });
});
