import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parsePointer } from '../../../src/validate/diagnostic.ts';
import { documentFromObject, parseManifests } from '../../../src/validate/load.ts';
import { loadManifestPaths } from '../../../src/validate/manifest-files.ts';

const TASK = `apiVersion: kelos.dev/v1alpha2
kind: Task
metadata:
  name: fix-bug
spec:
  prompt: Fix it
  worker:
    type: claude-code
  dependsOn:
    - setup
    - "build/x"
`;

describe('parseManifests', () => {
  test('an alias with no anchor before it is located at the alias, also across documents and under a merge key', () => {
    const undefinedAlias = parseManifests(
      'kind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: *nope\n',
      'a.yaml',
    );
    expect(undefinedAlias.diagnostics.map((d) => [d.source?.line, d.source?.column, d.message])).toEqual([
      [
        5,
        6,
        'document 1 cannot be read: alias *nope names no anchor set before it in this document (anchors do not carry over from one document to the next)',
      ],
    ]);
    const crossDocument = parseManifests(
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: &d\n  k: v\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  <<: *d\n',
      'b.yaml',
    );
    expect(crossDocument.diagnostics.map((d) => [d.code, d.source?.line, d.source?.column])).toEqual([
      ['yaml/parse', 13, 7],
    ]);
    expect(crossDocument.diagnostics[0]?.message).toContain('alias *d names no anchor');
  });

  test('an alias bomb is refused at its first alias, naming the bound', () => {
    const bomb = parseManifests(
      'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
      'bomb.yaml',
    );
    expect(bomb.documents).toEqual([]);
    expect(bomb.diagnostics.map((d) => [d.code, d.source?.line, d.source?.column, d.message])).toEqual([
      [
        'yaml/parse',
        2,
        8,
        'document 1 cannot be read: its aliases (the first here, *a) expand beyond the bound on alias expansion (maxAliasCount: 100), which keeps a small file from expanding into a huge one; write the repeated values out',
      ],
    ]);
  });

  test('reads multi-document YAML, skipping empty documents, and numbers objects per file', () => {
    const text = `${TASK}---\n# only a comment\n---\n---\n${TASK.replace('fix-bug', 'second')}`;
    const { documents, diagnostics } = parseManifests(text, 'tasks.yaml');
    expect(diagnostics).toEqual([]);
    expect(documents.map((d) => [d.index, d.line, (d.object['metadata'] as { name: string }).name])).toEqual([
      [0, 1, 'fix-bug'],
      [1, 16, 'second'],
    ]);
  });

  test('locate maps JSON pointers to the key (members) or the item (array elements)', () => {
    const [doc] = parseManifests(TASK, 't.yaml').documents;
    expect(doc?.locate('')).toEqual({ line: 1, column: 1 });
    expect(doc?.locate('/spec/worker/type')).toEqual({ line: 8, column: 5 });
    expect(doc?.locate('/spec/dependsOn/1')).toEqual({ line: 11, column: 7 });
  });

  test('locate falls back to the nearest existing parent', () => {
    const [doc] = parseManifests(TASK, 't.yaml').documents;
    expect(doc?.locate('/spec/worker/credentials/secretRef')).toEqual({ line: 7, column: 3 });
    expect(doc?.locate('/spec/dependsOn/7')).toEqual({ line: 9, column: 3 });
  });

  test('pointer segments are unescaped (~1 is /, ~0 is ~)', () => {
    expect(parsePointer('/metadata/labels/app.kubernetes.io~1name/a~0b')).toEqual([
      'metadata',
      'labels',
      'app.kubernetes.io/name',
      'a~b',
    ]);
    const [doc] = parseManifests(
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    app.kubernetes.io/name: x\n',
      'c.yaml',
    ).documents;
    expect(doc?.locate('/metadata/labels/app.kubernetes.io~1name')).toEqual({ line: 6, column: 5 });
  });

  test('reads YAML 1.1 scalars the way kubectl does: yes is a boolean, 0755 octal, timestamps stay strings', () => {
    const { documents } = parseManifests(
      'apiVersion: v1\nkind: X\nmetadata:\n  name: x\nspec:\n  a: yes\n  b: 0755\n  c: 2026-01-02T03:04:05Z\n  d: 1:20\n',
      'x.yaml',
    );
    expect(documents[0]?.object['spec']).toEqual({ a: true, b: 493, c: '2026-01-02T03:04:05Z', d: '1:20' });
  });

  test("integers with Go's prefixes (0o, 0O, 0B, 0X) are numbers, as kubectl reads them; malformed ones stay strings", () => {
    const { documents } = parseManifests(
      'apiVersion: v1\nkind: X\nmetadata:\n  name: x\nspec:\n  a: 0o17\n  b: 0O1_7\n  c: 0B11\n  d: 0X1f\n  e: -0o17\n  f: +0o7\n  g: 0o19\n  h: 0o_\n  i: 0x10\n',
      'x.yaml',
    );
    expect(documents[0]?.object['spec']).toEqual({
      a: 15,
      b: 15,
      c: 3,
      d: 31,
      e: -15,
      f: 7,
      g: '0o19',
      h: '0o_',
      i: 16,
    });
  });

  test('a JSON array, and a kind: List, expand into their items with positions', () => {
    const json = `[\n  {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "a"}},\n  {"apiVersion": "v1", "kind": "List", "items": []}\n]`;
    const fromArray = parseManifests(json, 'all.json');
    expect(fromArray.documents.map((d) => [d.object['kind'], d.line, d.index])).toEqual([['Secret', 2, 0]]);
    // Only the top level is expanded: a List inside an array is an object without a name.
    expect(fromArray.diagnostics.map((d) => [d.code, d.message, d.source?.line])).toEqual([
      ['manifest/name', 'document 1, item /1: metadata is missing; every object needs metadata.name', 3],
    ]);
    const list = parseManifests(
      'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata:\n      name: s\n',
      'list.yaml',
    );
    expect(list.diagnostics).toEqual([]);
    const [secret] = list.documents;
    expect(secret?.object['kind']).toBe('Secret');
    expect(secret?.locate('/metadata/name')).toEqual({ line: 7, column: 7 });
  });

  test('malformed YAML is a yaml/parse error at file:line:column, and the document is left out', () => {
    const { documents, diagnostics } = parseManifests(
      `${TASK}---\nkind: Task\nspec:\n  prompt: a: b\n`,
      'bad.yaml',
    );
    expect(documents).toHaveLength(1);
    expect(diagnostics.map((d) => [d.code, d.severity, d.source])).toContainEqual([
      'yaml/parse',
      'error',
      { file: 'bad.yaml', line: 15, column: 11 },
    ]);
    expect(diagnostics[0]?.message).toBe(
      "document 2 is not valid YAML: a `key: value` sits inside another key's value (two keys on one line, or a line indented deeper than the keys beside it) (Nested mappings are not allowed in compact mappings)",
    );
  });

  test('a list item indented with a tab is named as the tab it is, not as what the parser makes of it', () => {
    const { diagnostics } = parseManifests(
      'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: w\n  labels:\n\t- a\n',
      'tab.yaml',
    );
    expect(diagnostics[0]).toMatchObject({
      code: 'yaml/parse',
      source: { file: 'tab.yaml', line: 6, column: 1 },
      hint: 'replace the tabs at the start of the line with spaces',
    });
  });

  test('a list item among the keys of a mapping is named as one, at its dash', () => {
    const { diagnostics } = parseManifests(
      'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: w\nspec:\n  repo: https://github.com/o/r.git\n  - item\n',
      'mixed.yaml',
    );
    expect(diagnostics[0]).toMatchObject({
      code: 'yaml/parse',
      source: { file: 'mixed.yaml', line: 7, column: 3 },
      hint: 'a list goes under a key of its own: `key:` on its line, then the `- item` lines indented below it',
    });
    expect(diagnostics[0]?.message).toMatch(
      /^document 1 is not valid YAML: a list item \(`- …`\) sits among the keys of a mapping \(A block sequence may not be used as an implicit map key\)/,
    );
  });

  test("a line indented too deep is one yaml/parse error that says so, with a hint, not two in the library's words", () => {
    const { diagnostics } = parseManifests(
      'apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: fix\nspec:\n  worker:\n    type: claude-code\n      model: x\n',
      'deep.yaml',
    );
    // The library reports this mistake twice at the same offset (two error codes).
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      code: 'yaml/parse',
      source: { file: 'deep.yaml', line: 7, column: 11 },
      hint: 'keys of one mapping start at the same column; a nested mapping starts on the line after its key, indented further than it',
    });
    expect(diagnostics[0]?.message).toContain('a line indented deeper than the keys beside it');
  });

  test('errors that follow the first in a document are counted, not listed: one tab is one error', () => {
    const { diagnostics } = parseManifests(
      'kind: Task\nmetadata:\n  name: fix\nspec:\n  worker:\n\ttype: claude-code\n    model: x\n    credentials:\n      type: none\n  branch: main\n',
      'tab.yaml',
    );
    expect(diagnostics.map((d) => [d.source?.line, d.source?.column, d.message])).toEqual([
      [
        6,
        1,
        'document 1 is not valid YAML: YAML indents with spaces only (Tabs are not allowed as indentation); 3 more YAML errors follow in this document, often from this one',
      ],
    ]);
  });

  test('the library reuses one code for unrelated mistakes: a key without its colon and an open quote are told apart', () => {
    const noColon = parseManifests(
      'kind: ConfigMap\nmetadata:\n  name: c\n  labels\ndata:\n  x: y\n',
      'n.yaml',
    ).diagnostics;
    expect(noColon.map((d) => [d.source?.line, d.message.split(' (')[0], d.hint])).toEqual([
      [
        4,
        'document 1 is not valid YAML: a key has no `:` after it',
        'write `key: value`, or `key:` with the value indented on the lines below',
      ],
    ]);
    const quote = parseManifests(
      'kind: ConfigMap\nmetadata:\n  name: "c\ndata:\n  x: y\n',
      'q.yaml',
    ).diagnostics;
    expect(quote.map((d) => d.message.split(' (')[0])).toEqual([
      'document 1 is not valid YAML: the quoted value that starts here is not closed',
    ]);
  });

  test('a [ or { that never closes is reported at its bracket, not where the parser gave up', () => {
    const at = (text: string) =>
      parseManifests(text, 'f.yaml').diagnostics.map((d) => [
        d.source?.line,
        d.source?.column,
        d.message.split(' (')[0],
      ]);
    expect(
      at('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  list: [a, b\n  k: v\n'),
    ).toEqual([[5, 9, 'document 1 is not valid YAML: the [ that opens here is not closed']]);
    // Closed by the other kind of bracket: the [ is the one left open, inside a { that is too.
    expect(at('kind: ConfigMap\ndata: {x: "1", y: [2, 3}\nz: 4\n')).toEqual([
      [2, 19, 'document 1 is not valid YAML: the [ that opens here is not closed'],
    ]);
    expect(at('kind: ConfigMap\nmetadata: {name: x\n')).toEqual([
      [2, 11, 'document 1 is not valid YAML: the { that opens here is not closed'],
    ]);
  });

  test('a quote that never closes is reported where it opens, not where the text ends', () => {
    const text = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: { name: a }',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: b',
      'data:',
      '  ok: "two',
      '    lines"',
      "  fine: 'it''s'",
      '  open: "never closed',
      '  x: y',
      '  z: w',
      '',
    ].join('\n');
    const { diagnostics } = parseManifests(text, 'q.yaml');
    expect(diagnostics.map((d) => [d.source?.line, d.source?.column, d.message, d.hint])).toEqual([
      [
        13,
        9,
        'document 2 is not valid YAML: the quoted value that starts here is not closed (Missing closing "quote)',
        'close it with the same quote on this line; a quote inside it is written twice in single quotes, as \\" in double quotes',
      ],
    ]);
  });

  test('a document started on its --- line is named as kubectl names it, an invalid document separator', () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n';
    const { diagnostics } = parseManifests(`${cm}--- kind: B\nmetadata: {}\n`, 's.yaml');
    expect(diagnostics.map((d) => [d.source?.line, d.message, d.hint])).toEqual([
      [
        5,
        'document 2 is not valid YAML: a mapping or list starts on the `---` line itself, which kubectl refuses as an invalid document separator (Block collection cannot start on same line with directives-end marker)',
        'put nothing but a comment after `---`, and start the document on the next line',
      ],
    ]);
  });

  test('a line indented too shallow and a tab each name the indentation', () => {
    const shallow = parseManifests(
      'kind: Task\nmetadata:\n  name: fix\n namespace: x\n',
      's.yaml',
    ).diagnostics;
    expect(shallow.map((d) => [d.source?.line, d.message, d.hint])).toEqual([
      [
        4,
        'document 1 is not valid YAML: this line is indented differently from the lines of the mapping or list it belongs to (All mapping items must start at the same column)',
        'indent every key of one mapping, and every `-` of one list, to the same column',
      ],
    ]);
    const tab = parseManifests('kind: Task\nspec:\n\tprompt: hi\n', 't.yaml').diagnostics;
    expect(tab.map((d) => [d.source?.line, d.hint])).toEqual([
      [3, 'replace the tabs at the start of the line with spaces'],
    ]);
  });

  test('a value that starts with a reserved character, and text after a closing quote, each say what to quote', () => {
    const spawner = (schedule: string) =>
      `apiVersion: kelos.dev/v1alpha2\nkind: TaskSpawner\nmetadata:\n  name: s\nspec:\n  when:\n    cron:\n      schedule: ${schedule}\n`;
    const found = (schedule: string) =>
      parseManifests(spawner(schedule), 's.yaml').diagnostics.map((d) => [
        d.source?.line,
        d.source?.column,
        d.message,
        d.hint,
      ]);
    expect(found('@weekly')).toEqual([
      [
        8,
        17,
        'document 1 is not valid YAML: a value starts with a character YAML reserves (`@`, `` ` ``, `%`), so it must be quoted (Plain value cannot start with reserved character @)',
        'put the whole value in quotes: `"@weekly"`, not `@weekly`',
      ],
    ]);
    expect(found('"0 9 * * 1"x')).toEqual([
      [
        8,
        28,
        'document 1 is not valid YAML: text follows a closing quote, `]` or `}` on the same line (Unexpected scalar at node end)',
        'put the whole value inside the quotes (`"0 9 * * 1"`, not `"0 9 * * 1"x`), or start what follows on a line of its own',
      ],
    ]);
  });

  test('the documents after a quote that never closes are read from the next --- line, as kubectl splits them', () => {
    const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
    const text = `${cm('a')}data:\n  x: "open\n---\n${cm('b')}---\n${cm('c')}data:\n  y: 'open too\n---\n${cm('d')}`;
    const { documents, diagnostics } = parseManifests(text, 'q.yaml');
    expect(diagnostics.map((d) => [d.source?.line, d.source?.column, d.message])).toEqual([
      [
        6,
        6,
        'document 1 is not valid YAML: the quoted value that starts here is not closed (Missing closing "quote); the 3 documents after it are read from the next --- line on, as kubectl splits a file at --- lines before it parses',
      ],
      [
        18,
        6,
        "document 3 is not valid YAML: the quoted value that starts here is not closed (Missing closing 'quote); the document after it is read from the next --- line on, as kubectl splits a file at --- lines before it parses",
      ],
    ]);
    // Each read on its own, at its own line in the file, with the document's index in it.
    expect(
      documents.map((d) => [
        (d.object['metadata'] as { name: string }).name,
        d.line,
        d.locate('/kind')?.line,
      ]),
    ).toEqual([
      ['b', 8, 9],
      ['d', 20, 21],
    ]);
  });

  test('reading on stops after 3 quotes that never close; the documents after the 4th are not read, as it says', () => {
    const broken = 'kind: ConfigMap\ndata:\n  x: "open\n---\n';
    const text = `${broken.repeat(5)}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n`;
    const { documents, diagnostics } = parseManifests(text, 'q.yaml');
    expect(
      diagnostics.map((d) => [d.source?.line, d.message.replace(/^.*\(Missing closing "quote\); /, '')]),
    ).toEqual([
      [
        3,
        'the 5 documents after it are read from the next --- line on, as kubectl splits a file at --- lines before it parses',
      ],
      [
        7,
        'the 4 documents after it are read from the next --- line on, as kubectl splits a file at --- lines before it parses',
      ],
      [
        11,
        'the 3 documents after it are read from the next --- line on, as kubectl splits a file at --- lines before it parses',
      ],
      [15, 'the 2 documents after it are not read: too many quoted values in this file never close'],
    ]);
    expect(documents).toEqual([]);
  });

  test('an object that cannot be identified is still named as far as it names itself', () => {
    const { diagnostics } = parseManifests(
      'kind: Task\nmetadata:\n  name: fix\n  namespace: x\nspec: {}\n',
      'n.yaml',
    );
    expect(diagnostics.map((d) => [d.code, d.resource])).toEqual([
      ['manifest/apiversion', { kind: 'Task', namespace: 'x', name: 'fix' }],
    ]);
  });

  test('a document that is not a mapping is refused by what it is', () => {
    const { documents, diagnostics } = parseManifests('just a string\n', 's.yaml');
    expect(documents).toEqual([]);
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        'manifest/not-object',
        'document 1 is a string, not a mapping; a manifest must be an object with apiVersion, kind and metadata',
      ],
    ]);
  });

  test('a document with neither apiVersion nor kind gets a hint that it is no manifest, once', () => {
    const { diagnostics } = parseManifests('{"compilerOptions": {"strict": true}}', 'tsconfig.json');
    expect(diagnostics.map((d) => [d.code, d.hint])).toStrictEqual([
      [
        'manifest/apiversion',
        'a document with neither apiVersion nor kind is no Kubernetes object (a config file?); name the directories that hold manifests (such as dist/ and manifests/) rather than one that holds other YAML or JSON',
      ],
      ['manifest/kind', undefined],
      ['manifest/name', undefined],
    ]);
    // A Task that only lacks its apiVersion is a manifest with a mistake: no such hint.
    expect(
      parseManifests('kind: Task\nmetadata: {name: t}\n', 't.yaml').diagnostics[0]?.hint,
    ).toBeUndefined();
  });

  test('missing apiVersion, kind or metadata.name are each named, with the resource kind when known', () => {
    const { documents, diagnostics } = parseManifests(
      'kind: Task\nmetadata:\n  labels: {}\n---\napiVersion: v1\nkind: 3\n',
      'm.yaml',
    );
    expect(documents).toEqual([]);
    expect(diagnostics.map((d) => [d.code, d.path, d.message, d.resource?.kind])).toEqual([
      [
        'manifest/apiversion',
        '/apiVersion',
        'document 1: apiVersion is missing; expected e.g. "kelos.dev/v1alpha2"',
        'Task',
      ],
      [
        'manifest/name',
        '/metadata/name',
        'document 1: metadata.name is missing; every object needs a name (or metadata.generateName, for kubectl create)',
        'Task',
      ],
      ['manifest/kind', '/kind', 'document 2: kind must be a non-empty string, got a number', undefined],
      [
        'manifest/name',
        '/metadata',
        'document 2: metadata is missing; every object needs metadata.name',
        undefined,
      ],
    ]);
  });

  test('a name dedented out of metadata is named as such, not only as a null metadata', () => {
    const { diagnostics } = parseManifests(
      'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\nname: w\nnamespace: team\nspec:\n  repo: https://github.com/o/r\n',
      'w.yaml',
    );
    expect(diagnostics.map((d) => [d.code, d.path, d.message, d.source?.line])).toEqual([
      [
        'manifest/name',
        '/metadata',
        'document 1: metadata must be an object, got null; name, namespace are fields of metadata at the top level: indent them under metadata (indented one level too little?)',
        3,
      ],
    ]);
    // A name dedented below other metadata fields: metadata is an object without a name.
    expect(
      parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\nname: c\n', 'c.yaml')
        .diagnostics[0]?.message,
    ).toBe(
      'document 1: metadata.name is missing; every object needs a name (or metadata.generateName, for kubectl create); name is a field of metadata at the top level: indent it under metadata (indented one level too little?)',
    );
    // A package.json has a top-level name too, and is no manifest: no such guess.
    expect(
      parseManifests('{"name": "my-gitops", "private": true}\n', 'package.json').diagnostics.map(
        (d) => d.message,
      ),
    ).not.toContainEqual(expect.stringContaining('indented one level too little'));
    // A metadata of the wrong type is not a dedent: no guess.
    expect(
      parseManifests('kind: Task\nmetadata: [a]\nname: t\n', 't.yaml').diagnostics.find(
        (d) => d.code === 'manifest/name',
      )?.message,
    ).toBe('document 1: metadata must be an object, got a list');
  });

  test('a .json file, or text that starts with {, is read as JSON, as Argo CD and kubectl read it', () => {
    const errors = (text: string, file: string) =>
      parseManifests(text, file).diagnostics.map(
        (d) => `${d.source?.line}:${d.source?.column} ${d.code} ${d.message.split(':')[0]}`,
      );
    const object = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x",}}';
    expect(errors(object, 'a.json')).toStrictEqual([
      '1:62 json/parse a .json file is read as JSON by Argo CD and kubectl, and this is no JSON',
    ]);
    // YAML's flow style is no JSON either: kubectl decodes a stream that starts with { as JSON.
    expect(errors('{apiVersion: v1, kind: ConfigMap, metadata: {name: x}}\n', 'a.yaml')).toStrictEqual([
      '1:2 json/parse a file that starts with { is read as JSON by kubectl, and this is no JSON',
    ]);
    expect(errors(object.replace(',}}', '}}'), 'a.json')).toStrictEqual([]);
    // YAML that does not start with { is YAML, whatever it holds.
    expect(errors('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x,}\n', 'a.yaml')).toStrictEqual([]);
  });

  test('a byte order mark is no column of the first line', () => {
    const located = (text: string) =>
      parseManifests(text, 'a.yaml').diagnostics.map(
        (d) => `${d.source?.line}:${d.source?.column} ${d.code}`,
      );
    const text = 'kind: ConfigMap\nmetadata: {name: x}\n';
    expect(located(`\ufeff${text}`)).toStrictEqual(['1:1 manifest/apiversion']);
    expect(located(text)).toStrictEqual(['1:1 manifest/apiversion']);
  });

  test('documentFromObject has no source positions', () => {
    const doc = documentFromObject({ kind: 'Task' });
    expect(doc.locate('/spec')).toBeUndefined();
    expect(doc.file).toBe('<memory>');
  });
});

describe('loadManifestPaths', () => {
  test('reads files, directories recursively (sorted, manifests only) and stdin', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-load-'));
    await mkdir(join(dir, 'b/nested'), { recursive: true });
    await writeFile(join(dir, 'b/nested/z.yml'), TASK.replace('fix-bug', 'z'));
    await writeFile(
      join(dir, 'b/a.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'a' } }),
    );
    await writeFile(join(dir, 'b/notes.txt'), 'not a manifest');
    await writeFile(join(dir, 'top.yaml'), TASK);
    const result = await loadManifestPaths(
      ['b', 'top.yaml', '-'],
      async () => TASK.replace('fix-bug', 'piped'),
      dir,
    );
    expect(result.files).toEqual(['b/a.json', 'b/nested/z.yml', 'top.yaml', '-']);
    expect(
      result.documents.map((d) => `${d.file}:${(d.object['metadata'] as { name: string }).name}`),
    ).toEqual(['b/a.json:a', 'b/nested/z.yml:z', 'top.yaml:fix-bug', '-:piped']);
  });

  test('a file in UTF-16 with its byte order mark is decoded, as kubectl decodes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-load-'));
    const utf16 = (text: string, bigEndian: boolean) => {
      const le = Buffer.from(text, 'utf16le');
      if (bigEndian) le.swap16();
      return Buffer.concat([Buffer.from(bigEndian ? [0xfe, 0xff] : [0xff, 0xfe]), le]);
    };
    await writeFile(join(dir, 'le.yaml'), utf16(TASK.replace('fix-bug', 'little'), false));
    await writeFile(join(dir, 'be.yaml'), utf16(TASK.replace('fix-bug', 'big'), true));
    const result = await loadManifestPaths(['le.yaml', 'be.yaml'], async () => '', dir);
    expect(result.diagnostics).toStrictEqual([]);
    expect(result.documents.map((d) => (d.object['metadata'] as { name: string }).name)).toStrictEqual([
      'little',
      'big',
    ]);
    // Standard input is decoded as a file is: `cat le.yaml | kelos validate -`.
    const piped = spawnSync(
      process.execPath,
      [fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url)), 'validate', '-'],
      {
        input: utf16(TASK.replace('fix-bug', 'piped').replace('prompt:', 'promptt:'), false),
        encoding: 'utf8',
      },
    );
    expect(piped.stdout).toContain('-:6:3: error Task piped /spec/promptt: unknown field "spec.promptt"');
  });

  test('bytes that are not UTF-8 are an error at the first of them in YAML (go-yaml refuses them), a warning in JSON (read as U+FFFD)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-load-'));
    const latin1 = Buffer.from(
      TASK.replace('fix-bug', 'cafe').replace(/prompt: .*/, 'prompt: café, naïve'),
      'latin1',
    );
    await writeFile(join(dir, 'latin1.yaml'), latin1);
    await writeFile(
      join(dir, 'utf8.yaml'),
      TASK.replace('fix-bug', 'utf8').replace(/prompt: .*/, 'prompt: café'),
    );
    await writeFile(
      join(dir, 'latin1.json'),
      Buffer.from(
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "é"}}',
        'latin1',
      ),
    );
    const result = await loadManifestPaths(['latin1.yaml', 'utf8.yaml', 'latin1.json'], async () => '', dir);
    expect(
      result.diagnostics.map(
        (d) => `${d.source?.file}:${d.source?.line}:${d.source?.column} ${d.severity} ${d.code} ${d.message}`,
      ),
    ).toStrictEqual([
      'latin1.yaml:6:14 error yaml/not-utf8 2 characters, the first here, are not UTF-8 (a file saved as Latin-1?): kubectl and Argo CD refuse the document (yaml: invalid leading UTF-8 octet)',
      'latin1.json:1:85 warning yaml/not-utf8 a character here is not UTF-8 (a file saved as Latin-1?), or U+FFFD written as is: the object holds \uFFFD in its place, as kubectl would apply it',
    ]);
    expect(
      result.documents.slice(0, 2).map((d) => (d.object['spec'] as { prompt: string }).prompt),
    ).toStrictEqual(['caf\uFFFD, na\uFFFDve', 'café']);
  });

  test('a directory that cannot be read is named with the reason, not the system call', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-load-'));
    await mkdir(join(dir, 'd', 'sub'), { recursive: true });
    await writeFile(join(dir, 'd', 'a.yaml'), TASK);
    await chmod(join(dir, 'd', 'sub'), 0o000);
    await chmod(dir, 0o755);
    // Root reads any directory: run as nobody there.
    const main = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
    const argv = [process.execPath, main, 'validate', 'd'];
    const run =
      process.getuid?.() === 0
        ? spawnSync('runuser', ['-u', 'nobody', '--', ...argv], { cwd: dir, encoding: 'utf8' })
        : spawnSync(argv[0]!, argv.slice(1), { cwd: dir, encoding: 'utf8' });
    await chmod(join(dir, 'd', 'sub'), 0o755);
    expect(run.stderr).toBe('kelos: cannot read d/sub: permission denied\n');
    expect(run.status).toBe(1);
  });

  test('a file named twice, or named and found under a directory named too, is read once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-load-'));
    await mkdir(join(dir, 'm'), { recursive: true });
    await writeFile(join(dir, 'm/a.yaml'), TASK);
    await writeFile(join(dir, 'm/b.yaml'), TASK.replace('fix-bug', 'b'));
    const result = await loadManifestPaths(
      ['m/a.yaml', 'm', './m/a.yaml', 'm/../m/b.yaml', 'm'],
      async () => '',
      dir,
    );
    expect(result.files).toEqual(['m/a.yaml', 'm/b.yaml']);
    expect(result.documents.map((d) => d.file)).toEqual(['m/a.yaml', 'm/b.yaml']);
    const cli = await loadManifestPaths(['m', 'm/a.yaml'], async () => '', dir);
    expect(cli.files).toEqual(['m/a.yaml', 'm/b.yaml']);
  });

  test('a file reached through a symbolic link to its directory, or a link to it in a listing or named, is read once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-load-'));
    await mkdir(join(dir, 'm/sub'), { recursive: true });
    await writeFile(join(dir, 'm/sub/a.yaml'), TASK);
    await symlink('m', join(dir, 'mlink'));
    await symlink('sub/a.yaml', join(dir, 'm/inside-link.yaml'));
    const result = await loadManifestPaths(['m', 'mlink', 'mlink/sub/a.yaml'], async () => '', dir);
    // Listed in order, the link comes first; its target is the same file.
    expect(result.files).toEqual(['m/inside-link.yaml']);
    const named = await loadManifestPaths(['mlink/sub/a.yaml', 'm/sub/a.yaml'], async () => '', dir);
    expect(named.files).toEqual(['mlink/sub/a.yaml']);
    // A named link to a file named as well, either way round (a pre-commit run names both).
    for (const paths of [
      ['m/sub/a.yaml', 'm/inside-link.yaml'],
      ['m/inside-link.yaml', 'm/sub/a.yaml'],
    ]) {
      const both = await loadManifestPaths(paths, async () => '', dir);
      expect(both.files).toEqual(paths.slice(0, 1));
      expect(both.documents).toHaveLength(1);
    }
  });

  test('a listing enters no hidden directory and no node_modules, as Argo CD skips hidden ones; named, they are read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-load-'));
    await mkdir(join(dir, 'node_modules/pkg'), { recursive: true });
    await mkdir(join(dir, '.github/workflows'), { recursive: true });
    await mkdir(join(dir, 'm'));
    await writeFile(join(dir, 'node_modules/pkg/task.yaml'), TASK.replace('name: fix', 'name: pkg'));
    await writeFile(join(dir, '.github/workflows/ci.yml'), 'on: push\n');
    await writeFile(join(dir, 'm/task.yaml'), TASK);
    await writeFile(join(dir, '.hidden.yaml'), TASK.replace('name: fix', 'name: dotfile'));
    const result = await loadManifestPaths(['.'], async () => '', dir);
    // A hidden file is read: only directories are skipped.
    expect(result.files).toStrictEqual(['.hidden.yaml', 'm/task.yaml']);
    const named = await loadManifestPaths(['node_modules', '.github'], async () => '', dir);
    // Entered when named; a workflow found there is no manifest (no apiVersion, no kind), as
    // Argo CD would ignore it in a directory it syncs, and the note says so.
    expect(named.files).toStrictEqual(['node_modules/pkg/task.yaml']);
    expect(named.diagnostics.map((d) => [d.code, d.source?.file, d.message])).toContainEqual([
      'manifest/not-manifest',
      '.github/workflows/ci.yml',
      'this file holds no Kubernetes object (neither apiVersion nor kind), so it was not read as a manifest: Argo CD ignores such YAML files in a directory it syncs',
    ]);
    const file = await loadManifestPaths(['.github/workflows/ci.yml'], async () => '', dir);
    expect(file.files).toStrictEqual(['.github/workflows/ci.yml']);
  });

  test('a path that does not exist is an Error naming it', async () => {
    await expect(loadManifestPaths(['nope/missing.yaml'], async () => '', tmpdir())).rejects.toThrow(
      'cannot read nope/missing.yaml: no such file or directory',
    );
  });
});
