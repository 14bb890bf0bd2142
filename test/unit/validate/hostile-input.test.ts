/**
 * Issue 9, finding 4: input built to hurt the validator (self-referencing aliases, megabyte
 * keys, huge mappings, dependency cliques) ends in bounded, located diagnostics, never a crash
 * or an output the size of the input. No timings are asserted; the generous test timeout only
 * catches a hang (the quadratic cases took minutes before the fix).
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdtemp, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { checkDocuments } from '../../../policies/index.ts';
import { DEFAULT_POLICY_CONFIG } from '../../../src/policy/config.ts';
import {
  type Diagnostic,
  limitPerCode,
  parseManifests,
  validateDocuments,
} from '../../../src/validate/index.ts';
import { MAX_FILE_BYTES, MAX_OBJECT_BYTES } from '../../../src/validate/yaml-limits.ts';
import { runOnEndlessStdin } from '../../support/endless-stdin.ts';
import { kelos } from './run-cli.ts';

const CONFIG_MAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n';

/** Line and column (1-based) of the `[` or `{` that opens nesting level 129 of `text`, which quotes no bracket. */
const at129 = (text: string): [number, number] => {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '[' || text[i] === '{') depth++;
    else if (text[i] === ']' || text[i] === '}') depth--;
    if (depth === 129) {
      const before = text.slice(0, i);
      return [before.split('\n').length, i - before.lastIndexOf('\n')];
    }
  }
  throw new Error('no level 129');
};

describe('hostile manifests', () => {
  test('a self-referencing alias is a located yaml/alias-cycle error, not a stack overflow', async () => {
    const run = await kelos(['validate', '-'], { stdin: `${CONFIG_MAP}extra: &x {y: *x}\n` });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('-:5:12: error document 1: an alias refers to the node that contains it');
    expect(run.stdout).toContain('[yaml/alias-cycle]');
  });

  test('a prompt template nesting {{if}}, {{else if}} or parentheses past 100 levels (100 pass) is a located template/syntax error, not a stack overflow', async () => {
    const spawner = (template: string) =>
      `apiVersion: kelos.dev/v1alpha2\nkind: TaskSpawner\nmetadata: {name: s}\nspec:\n  when: {cron: {schedule: "0 * * * *"}}\n  taskTemplate:\n    type: claude-code\n    credentials: {type: api-key, secretRef: {name: s}}\n    promptTemplate: '${template}'\n`;
    const refusal = (column: number, templateColumn: number) =>
      `-:9:${column}: error TaskSpawner s /spec/taskTemplate/promptTemplate: template syntax error: {{if}}, {{with}}, {{range}} and parentheses nest more than 100 levels deep here; Kelos refuses deeper templates (template line 1, column ${templateColumn}) [template/syntax]`;
    const errors = async (template: string) =>
      (await kelos(['validate', '-'], { stdin: spawner(template) })).stdout
        .split('\n')
        .filter((l) => / error /.test(l));
    // Each once deep enough to overflow the stack before the cap (3,000 levels).
    expect(await errors(`${'{{if .Time}}'.repeat(3000)}x${'{{end}}'.repeat(3000)}`)).toStrictEqual([
      refusal(1224, 1203),
    ]);
    expect(await errors(`{{if .Time}}a${'{{else if .Time}}b'.repeat(3000)}{{end}}`)).toStrictEqual([
      refusal(1824, 1803),
    ]);
    expect(await errors(`{{${'('.repeat(3000)}.Time${')'.repeat(3000)}}}`)).toStrictEqual([
      refusal(124, 103),
    ]);
    expect(await errors(`${'{{if .Time}}'.repeat(100)}x${'{{end}}'.repeat(100)}`)).toStrictEqual([]);
  });

  test('a Task kelos run makes from a prompt file over 3 MiB is refused before it is printed, as the API server would refuse it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-object-'));
    await writeFile(join(dir, 'prompt.md'), 'x'.repeat(MAX_OBJECT_BYTES));
    const run = await kelos(
      ['run', '--dry-run', '--secret', 's', '--name', 'big', '--prompt-file', 'prompt.md'],
      {
        cwd: dir,
        env: { HOME: dir },
      },
    );
    expect(run).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: [
        'kelos: what these flags make would be refused or could not run, so nothing was printed or created:',
        '  error Task default/big the object is 3,145,936 bytes as JSON, more than the 3,145,728 bytes the API server takes for one object (its limit on a request), so kubectl and Argo CD cannot apply it and it was not validated further [schema/max-size]',
        "      hint: make the object smaller: a long prompt or agentsMD belongs in the repository the agent clones; split a ConfigMap's data into several ConfigMaps",
        '',
      ].join('\n'),
    });
  });

  test('nesting deeper than 128 levels is a located yaml/too-deep error', () => {
    const deep = `${CONFIG_MAP}data:\n  k: ${'['.repeat(200)}${']'.repeat(200)}\n`;
    const { diagnostics, documents } = parseManifests(deep, 'deep.yaml');
    expect(documents).toEqual([]);
    expect(diagnostics.map((d) => `${d.code} ${d.source?.line}`)).toEqual(['yaml/too-deep 6']);
  });

  test('nesting too deep for the parser itself is yaml/too-deep too, in YAML and in JSON', () => {
    const yaml = `${CONFIG_MAP}data:\n  k: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    const json = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    for (const [text, file] of [
      [yaml, 'deep.yaml'],
      [json, 'deep.json'],
    ] as const) {
      const { diagnostics, documents } = parseManifests(text, file);
      expect(documents).toEqual([]);
      expect(diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
        'yaml/too-deep document 1 nests mappings and lists more than 128 levels deep (too deep to parse); no Kubernetes object does',
      ]);
      // At the bracket that opens level 129, not where the parser's stack ran out (which moves
      // with the stack the process has left).
      expect(diagnostics.map((d) => [d.source?.line, d.source?.column])).toEqual([at129(text)]);
    }
  });

  test('nesting too deep for the parser is yaml/too-deep in the kelos process too, where the stack runs out elsewhere', () => {
    // In a directory with no kelos.policy.yaml, no YAML was parsed before: the parser's regular
    // expressions are compiled at the bottom of the deep parse, where the stack runs out while V8
    // compiles one ("Invalid regular expression: …: Stack overflow"), not in a call.
    const cli = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
    const cwd = mkdtempSync(join(tmpdir(), 'kelos-deep-'));
    for (const [text, file] of [
      [`${CONFIG_MAP}data:\n  k: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, 'deep.yaml'],
      [
        `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
        'deep.json',
      ],
    ] as const) {
      const run = spawnSync(process.execPath, [cli, 'validate', '--format', 'json', '-'], {
        cwd,
        input: text,
        encoding: 'utf8',
      });
      const report = JSON.parse(run.stdout) as { diagnostics: Array<{ code: string; message: string }> };
      expect(
        report.diagnostics.map((d) => `${d.code} ${d.message}`),
        file,
      ).toEqual([
        'yaml/too-deep document 1 nests mappings and lists more than 128 levels deep (too deep to parse); no Kubernetes object does',
      ]);
      expect(
        (report.diagnostics as Array<{ source?: { line: number; column: number } }>).map((d) => [
          d.source?.line,
          d.source?.column,
        ]),
      ).toEqual([at129(text)]);
      expect(run.status).toBe(2);
    }
  });

  test('a megabyte unknown key is suggested nothing and quoted clipped, path and message both', async () => {
    const key = 'k'.repeat(1 << 20);
    const workspace = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'w' },
      spec: { repo: 'https://github.com/a/b.git', [key]: 1 },
    };
    const run = await kelos(['validate', '--format', 'json', '-'], { stdin: JSON.stringify(workspace) });
    expect(run.code).toBe(2);
    const [d] = (JSON.parse(run.stdout) as { diagnostics: { code: string; path: string; message: string }[] })
      .diagnostics;
    expect(d?.code).toBe('schema/unknown-field');
    expect(d?.path).toBe('/spec');
    expect(d?.message).toMatch(/^unknown field "spec\.k+… \(1048576 characters\)"$/);
    expect(run.stdout.length).toBeLessThan(2000);
  });

  test('a megabyte kind is named clipped', async () => {
    const run = await kelos(['validate', '-'], {
      stdin: `apiVersion: kelos.dev/v1alpha2\nkind: ${'K'.repeat(1 << 20)}\nmetadata:\n  name: w\n`,
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('(1048576 characters)');
    expect(run.stdout.length).toBeLessThan(2000);
  });

  test('a megabyte kind on an object without a name is named clipped in the identity error', () => {
    const { diagnostics } = parseManifests(`apiVersion: v1\nkind: "${'{'.repeat(1 << 20)}"\n`, 'k.yaml');
    expect(diagnostics.map((d) => d.code)).toEqual(['manifest/name']);
    expect(diagnostics[0]?.resource?.kind).toMatch(/^\{+… \(1048576 characters\)$/);
  });

  test('a valid ConfigMap with 50,000 labels validates (the duplicate-key check is linear)', async () => {
    const labels = Array.from({ length: 50_000 }, (_, i) => `    key-${i}: value\n`).join('');
    const run = await kelos(['validate', '-'], { stdin: `${CONFIG_MAP}  labels:\n${labels}` });
    expect(run.stdout).toBe('1 object, 0 errors, 0 warnings\n');
    expect(run.code).toBe(0);
  }, 60_000);

  test('a file of many objects over 3 MiB on disk is validated: its one bad field is the only finding, and clean it passes', async () => {
    // A vendored install bundle: 45 objects of 100 KB, 4.3 MiB. The API server's 3 MiB is per
    // object, and kubectl and Argo CD send a file's objects one by one.
    const dir = mkdtempSync(join(tmpdir(), 'kelos-bundle-'));
    const objects = (bad: boolean) =>
      Array.from(
        { length: 45 },
        (_, i) =>
          `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: part-${i}\ndata:\n  k: ${'x'.repeat(100_000)}\n${bad && i === 40 ? 'bogus: 1\n' : ''}`,
      ).join('---\n');
    await writeFile(join(dir, 'bundle.yaml'), objects(true));
    const run = await kelos(['validate', 'bundle.yaml'], { cwd: dir });
    expect(run.stdout).toContain('bundle.yaml:287:1: error ConfigMap part-40 /bogus: unknown field "bogus"');
    expect(run.stdout).toContain('45 objects, 1 error, 0 warnings');
    expect(run.code).toBe(2);
    await writeFile(join(dir, 'bundle.yaml'), objects(false));
    const clean = await kelos(['validate', 'bundle.yaml'], { cwd: dir });
    expect(clean.stdout).toBe('45 objects, 0 errors, 0 warnings\n');
    expect(clean.code).toBe(0);
  }, 60_000);

  test('a JSON array of objects over 3 MiB is validated item by item, as kubectl applies it', () => {
    const items = Array.from({ length: 40 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `part-${i}` },
      data: { k: 'x'.repeat(100_000) },
    }));
    const text = JSON.stringify(items);
    expect(text.length).toBeGreaterThan(MAX_OBJECT_BYTES);
    const { documents, diagnostics } = parseManifests(text, 'list.json');
    expect(diagnostics).toEqual([]);
    expect(documents.map((d) => (d.object['metadata'] as { name: string }).name)).toEqual(
      items.map((i) => i.metadata.name),
    );
  });

  test('an item of a JSON list over 3 MiB is a yaml/too-large error at it, named, and the other items are validated', () => {
    const item = (name: string, size: number) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name },
      data: { k: 'x'.repeat(size) },
    });
    const text = JSON.stringify(
      [item('small', 10), item('huge', MAX_OBJECT_BYTES), item('after', 10)],
      null,
      1,
    );
    const { documents, diagnostics } = parseManifests(text, 'list.json');
    expect(documents.map((d) => (d.object['metadata'] as { name: string }).name)).toEqual(['small', 'after']);
    // As kubectl sends it: compact JSON. The item starts on line 12 of the indented list.
    const bytes = Buffer.byteLength(JSON.stringify(item('huge', MAX_OBJECT_BYTES))).toLocaleString('en-US');
    expect(diagnostics.map((d) => [d.code, d.resource, d.source?.line, d.message])).toEqual([
      [
        'yaml/too-large',
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'huge' },
        12,
        `item 2 of the list is ${bytes} bytes, more than the 3,145,728 bytes the API server takes for one object (its limit on a request), so kubectl and Argo CD cannot apply it and it was not validated; the other items were`,
      ],
    ]);
  });

  test('one document over 3 MiB is a yaml/too-large error at it, named, and the documents around it are validated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-object-'));
    const text = [
      `# vendored\n${CONFIG_MAP}data:\n  k: v\n`,
      `# the large one\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n    app: x\n  name: huge # really\ndata:\n  k: ${'y'.repeat(MAX_OBJECT_BYTES)}\n`,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after\nbogus: 1\n',
    ].join('---\n');
    await writeFile(join(dir, 'm.yaml'), text);
    const run = await kelos(['validate', 'm.yaml'], { cwd: dir });
    expect(run.stdout.split('\n').filter((l) => / error /.test(l))).toEqual([
      'm.yaml:10: error ConfigMap huge document 2 is 3,145,844 bytes, more than the 3,145,728 bytes the API server takes for one object (its limit on a request), so kubectl and Argo CD cannot apply it and it was not validated; the other documents of the file were [yaml/too-large]',
      'm.yaml:23:1: error ConfigMap after /bogus: unknown field "bogus" [schema/unknown-field]',
    ]);
    expect(run.stdout).toContain('2 objects, 2 errors');
    expect(run.code).toBe(2);
  }, 60_000);

  test('a file that is one JSON object over 3 MiB is a yaml/too-large error naming it, its kind and name found after megabytes of data as kubectl -o json sorts them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-object-'));
    // Sorted keys, as kubectl get -o json writes them: data, with a decoy kind, comes first.
    const object = {
      apiVersion: 'v1',
      data: { kind: 'Decoy', k: 'y'.repeat(MAX_OBJECT_BYTES) },
      kind: 'ConfigMap',
      metadata: { labels: { name: 'decoy' }, name: 'huge' },
    };
    const text = JSON.stringify(object, null, 2);
    await writeFile(join(dir, 'huge.json'), text);
    const bytes = Buffer.byteLength(text).toLocaleString('en-US');
    const run = await kelos(['validate', 'huge.json'], { cwd: dir });
    expect(run.stdout.split('\n').filter((l) => / error /.test(l))).toEqual([
      `huge.json:1: error ConfigMap huge document 1 is ${bytes} bytes, more than the 3,145,728 bytes the API server takes for one object (its limit on a request), so kubectl and Argo CD cannot apply it and it was not validated [yaml/too-large]`,
    ]);
    expect(run.code).toBe(2);
  }, 60_000);

  test('a kind: List over 3 MiB, JSON or YAML, is applied item by item: items that fit are validated, one that does not is named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-list-'));
    const third = Math.floor(MAX_OBJECT_BYTES / 3);
    const configMap = (name: string, size: number) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name },
      data: { k: 'x'.repeat(size) },
    });
    // Four items of a third of the limit each: the list is over it, every item under.
    const fits = {
      apiVersion: 'v1',
      kind: 'List',
      items: ['a', 'b', 'c', 'd'].map((n) => configMap(n, third)),
    };
    await writeFile(join(dir, 'list.json'), JSON.stringify(fits, null, 2));
    const ok = await kelos(['validate', 'list.json'], { cwd: dir });
    expect(ok.stdout).toContain('4 objects, 0 errors, 0 warnings');
    expect(ok.code).toBe(0);
    await writeFile(
      join(dir, 'list.yaml'),
      `apiVersion: v1\nkind: ConfigMapList\nitems:\n${['a', 'b', 'c', 'd']
        .map(
          (n) =>
            `  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: ${n}}\n    data: {k: ${'x'.repeat(third)}}\n`,
        )
        .join('')}`,
    );
    const yaml = await kelos(['validate', 'list.yaml'], { cwd: dir });
    expect(yaml.stdout).toContain('4 objects, 0 errors, 0 warnings');
    // One item over the limit: that item is the error, the others are validated.
    const over = { ...fits, items: [configMap('small', 10), configMap('huge', MAX_OBJECT_BYTES)] };
    await writeFile(join(dir, 'over.json'), JSON.stringify(over));
    const run = await kelos(['validate', 'over.json'], { cwd: dir });
    expect(run.stdout.split('\n').filter((l) => / error /.test(l))).toEqual([
      expect.stringMatching(
        /^over\.json:1: error ConfigMap huge item 2 of the list is [\d,]+ bytes, more than/,
      ),
    ]);
    expect(run.code).toBe(2);
  }, 60_000);

  test('a first document over 3 MiB keeps the numbers and lines of the documents after it, read by the yaml library too', () => {
    const text = `${CONFIG_MAP}data:\n  k: ${'y'.repeat(MAX_OBJECT_BYTES)}\n---\n${CONFIG_MAP}data:\n  a: &x 1\n  a: *x\n`;
    const { documents, diagnostics } = parseManifests(text, 'f.yaml');
    expect(documents).toEqual([]);
    expect(diagnostics.map((d) => `${d.code} ${d.source?.line} ${d.message.slice(0, 40)}`)).toEqual([
      'yaml/too-large 1 document 1 is 3,145,791 bytes, more than',
      'yaml/parse 14 document 2 is not valid YAML: Map keys m',
    ]);
    expect(diagnostics[0]?.resource).toEqual({ kind: 'ConfigMap', name: 'x' });
  });

  test('the byte limit counts UTF-8 bytes: 1.5 M two-byte characters are over it', () => {
    const text = `${CONFIG_MAP}data:\n  k: ${'ö'.repeat(1_600_000)}\n`;
    expect(text.length).toBeLessThan(MAX_OBJECT_BYTES);
    expect(parseManifests(text, 'umlauts.yaml').diagnostics.map((d) => d.code)).toEqual(['yaml/too-large']);
  });

  test('standard input over the limit is named as such, with exit code 2', async () => {
    const run = await kelos(['validate', '-'], {
      stdin: `${CONFIG_MAP}data:\n  k: ${'x'.repeat(MAX_FILE_BYTES)}\n`,
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(
      '-:6: error standard input is 33,554,495 bytes; kelos reads at most 33,554,432 bytes of standard input, which bounds the time and memory one input can cost, so nothing in it was validated (the limit falls on line 6)',
    );
    expect(run.stdout).toContain('hint: pipe less at a time');
    expect(run.stdout).toContain('[yaml/too-large]');
  });

  test('a file far over the limit is refused from its head and size, not read whole', async () => {
    // Sparse: 600 MiB on no disk, NUL bytes after line 6. Read whole it took 13 s and 700 MB,
    // then failed as unreadable (no string holds it), exit 1.
    const dir = await mkdtemp(join(tmpdir(), 'kelos-huge-'));
    const file = join(dir, 'dump.yaml');
    await writeFile(file, `${CONFIG_MAP}data:\n  k: x\n`);
    await truncate(file, 600 * 1024 * 1024);
    const run = await kelos(['validate', 'dump.yaml'], { cwd: dir });
    expect(run.stdout).toMatch(
      /^dump\.yaml:7: error dump\.yaml is 600 MiB; kelos reads at most 32 MiB per file, which bounds the time and memory one input can cost, so nothing in it was validated/,
    );
    expect(run.stdout).toContain(
      "hint: a file this large is most likely vendored (an install bundle): leave it out by naming the paths to validate without it (apps/ clusters/ rather than ., or the files: git ls-files '*.yaml' ':!:vendor/' | xargs kelos validate)",
    );
    expect(run.code).toBe(2);
  }, 60_000);

  test('standard input that never ends is refused once past the limit, not read until memory runs out', async () => {
    const { code, stdout } = await runOnEndlessStdin(['validate', '-']);
    expect(stdout).toMatch(
      /^-:\d+: error standard input is more than 64 MiB \(read no further\); kelos reads at most 32 MiB of standard input/,
    );
    expect(code).toBe(2);
  }, 60_000);

  test('a control character written as is is an error at it, as kubectl refuses the document; escaped it passes', () => {
    // sigs.k8s.io/yaml v1.4.0, YAMLToJSON("a: hel\x00lo"): yaml: control characters are not allowed.
    const raw = parseManifests(`${CONFIG_MAP}data:\n  a: hel\u0000lo\n  b: x\u007f\n`, 'nul.yaml');
    expect(
      raw.diagnostics.map((d) => `${d.source?.line}:${d.source?.column} ${d.severity} ${d.code}`),
    ).toEqual(['6:9 error yaml/control-character']);
    expect(raw.diagnostics[0]?.message).toBe(
      '2 control characters, the first here (U+0000), are not allowed in YAML: kubectl and Argo CD refuse the document (yaml: control characters are not allowed)',
    );
    expect(
      parseManifests(`${CONFIG_MAP}data:\n  a: "hel\\0lo\\e"\n  b: "\t"\n`, 'ok.yaml').diagnostics,
    ).toEqual([]);
  });

  test('duplicate keys are still refused, at the repeated key', () => {
    const { diagnostics } = parseManifests(`${CONFIG_MAP}data:\n  a: "1"\n  b: "2"\n  a: "3"\n`, 'd.yaml');
    expect(diagnostics.map((d) => `${d.source?.line}:${d.source?.column} ${d.code} ${d.message}`)).toEqual([
      '8:3 yaml/parse document 1 is not valid YAML: Map keys must be unique: a is also a key on line 6',
    ]);
  });

  test('a duplicate key before a syntax error in its document is reported too, not hidden by it', () => {
    const text = `${CONFIG_MAP}data:\n  a: "1"\n  a: "2"\n  b: "3"\n    c: "4"\n`;
    const { diagnostics } = parseManifests(text, 'd.yaml');
    expect(
      diagnostics.map((d) => `${d.source?.line}:${d.source?.column} ${d.code} ${d.message.split(' (')[0]}`),
    ).toEqual([
      '7:3 yaml/parse document 1 is not valid YAML: Map keys must be unique: a is also a key on line 6',
      '9:1 yaml/parse document 1 is not valid YAML: this line is indented differently from the lines of the mapping or list it belongs to',
    ]);
  });

  test('a duplicate key in JSON is told about as JSON, at the repeated key', () => {
    const text =
      '{"apiVersion": "v1", "kind": "ConfigMap",\n "metadata": {"name": "c"},\n "data": {"a": "1",\n   "a": "2"}}\n';
    for (const file of ['d.json', 'd.yaml']) {
      const { documents, diagnostics } = parseManifests(text, file);
      expect(documents).toEqual([]);
      expect(diagnostics.map((d) => `${d.source?.line}:${d.source?.column} ${d.code} ${d.message}`)).toEqual([
        '4:4 json/parse the key "a" is in this JSON object twice (also on line 3): the API server refuses a duplicate field under strict field validation (kubectl\'s default) and otherwise keeps the last one silently',
      ]);
    }
  });

  test('a key YAML 1.1 reads as a boolean is a warning saying what it becomes; two of them are one key', () => {
    const one = parseManifests(`${CONFIG_MAP}data:\n  n: "1"\n  "no": "2"\n  true: "3"\n`, 'b.yaml');
    expect(one.documents).toHaveLength(1);
    expect(one.documents[0]?.object['data']).toStrictEqual({ false: '1', no: '2', true: '3' });
    expect(
      one.diagnostics.map(
        (d) => `${d.source?.line}:${d.source?.column} ${d.severity} ${d.code} ${d.message}`,
      ),
    ).toEqual([
      `6:3 warning yaml/boolean-key document 1: key n reads as the boolean false in YAML 1.1, as kubectl reads it, so the object's key is "false"`,
    ]);
    expect(one.diagnostics[0]?.hint).toBe('quote the key ("n") to keep it as written');
    const two = parseManifests(`${CONFIG_MAP}data:\n  y: "1"\n  on: "2"\n`, 'b.yaml');
    expect(two.documents).toEqual([]);
    expect(two.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([
      'document 1 is not valid YAML: Map keys must be unique: key on reads as the same key as y on line 6 (YAML 1.1 reads y, yes, on and n, no, off as booleans); quote them',
    ]);
  });

  test('a key kubectl reads as a number is a warning at the key, naming the object, the pointer and the key the cluster gets', () => {
    const text = `${CONFIG_MAP}data:\n  0755: a\n  1e6: b\n  8080: c\n  0x1F: d\n  on: e\n`;
    const { documents, diagnostics } = parseManifests(text, 'k.yaml');
    // The object holds the keys kubectl makes: Go writes a float back as a float32, 1e+06.
    expect(documents[0]?.object['data']).toStrictEqual({
      493: 'a',
      '1e+06': 'b',
      8080: 'c',
      31: 'd',
      true: 'e',
    });
    expect(
      diagnostics.map((d) => [
        `${d.source?.line}:${d.source?.column}`,
        d.code,
        d.resource && `${d.resource.kind} ${d.resource.name}`,
        d.path,
        d.message,
        d.hint,
      ]),
    ).toStrictEqual([
      [
        '6:3',
        'yaml/number-key',
        'ConfigMap x',
        '/data/493',
        `document 1: key 0755 reads as the integer 493 to kubectl (YAML 1.1's numbers and Go's), so the object's key is "493"`,
        'quote the key ("0755") to keep it as written',
      ],
      [
        '7:3',
        'yaml/number-key',
        'ConfigMap x',
        '/data/1e+06',
        `document 1: key 1e6 reads as the float 1e+06 to kubectl (YAML 1.1's numbers and Go's), so the object's key is "1e+06"`,
        'quote the key ("1e6") to keep it as written',
      ],
      [
        '9:3',
        'yaml/number-key',
        'ConfigMap x',
        '/data/31',
        `document 1: key 0x1F reads as the integer 31 to kubectl (YAML 1.1's numbers and Go's), so the object's key is "31"`,
        'quote the key ("0x1F") to keep it as written',
      ],
      [
        '10:3',
        'yaml/boolean-key',
        'ConfigMap x',
        '/data/true',
        `document 1: key on reads as the boolean true in YAML 1.1, as kubectl reads it, so the object's key is "true"`,
        'quote the key ("on") to keep it as written',
      ],
    ]);
    // Quoted, each key is kept as written, and nothing is said.
    const quoted = parseManifests(`${CONFIG_MAP}data:\n  "0755": a\n  '1e6': b\n`, 'k.yaml');
    expect(quoted.documents[0]?.object['data']).toStrictEqual({ '0755': 'a', '1e6': 'b' });
    expect(quoted.diagnostics).toStrictEqual([]);
  });

  test('two keys kubectl reads as one, and a null key, are errors at the key naming both lines', () => {
    const located = (text: string) =>
      parseManifests(text, 'k.yaml').diagnostics.map((d) => [
        `${d.source?.line}:${d.source?.column} ${d.severity} ${d.code} ${d.resource?.kind} ${d.path}`,
        d.message,
        d.hint,
      ]);
    // sigs.k8s.io/yaml keeps either value under the one key, at random (a 10-line Go program
    // with sigs.k8s.io/yaml v1.6.0 gives "a" or "b" from one run to the next).
    const random = 'kubectl keeps only one of their values, at random from one apply to the next';
    expect(
      located(`${CONFIG_MAP}data:\n  "493": a\n  0755: b\n  "true": c\n  x: d\n  yes: e\n`),
    ).toStrictEqual([
      [
        '7:3 error yaml/key-collision ConfigMap /data/493',
        `document 1: keys "493" (line 6) and 0755 (line 7) are one key to kubectl, "493" (0755 reads as the integer 493): ${random}`,
        'write the key once, or quote 0755 ("0755") to keep both',
      ],
      [
        '10:3 error yaml/key-collision ConfigMap /data/true',
        `document 1: keys "true" (line 8) and yes (line 10) are one key to kubectl, "true" (yes reads as the boolean true): ${random}`,
        'write the key once, or quote yes ("yes") to keep both',
      ],
    ]);
    // The number first: its own warning, then the collision at the key that repeats it.
    expect(
      located(`${CONFIG_MAP}data:\n  0755: a\n  '493': b\n`).map(([at, message]) => `${at}: ${message}`),
    ).toStrictEqual([
      `6:3 warning yaml/number-key ConfigMap /data/493: document 1: key 0755 reads as the integer 493 to kubectl (YAML 1.1's numbers and Go's), so the object's key is "493"`,
      `7:3 error yaml/key-collision ConfigMap /data/493: document 1: keys 0755 (line 6) and '493' (line 7) are one key to kubectl, "493": ${random}`,
    ]);
    // kubectl refuses a null key: "unsupported map key of type: %!s(<nil>)".
    expect(located(`${CONFIG_MAP}data:\n  ~: a\n  b: c\n`)).toStrictEqual([
      [
        '6:3 error yaml/null-key ConfigMap /data/',
        'document 1: key ~ reads as null, and kubectl refuses a null key ("unsupported map key of type: %!s(<nil>)"), so the document cannot be applied',
        'quote the key ("~") to make it a string',
      ],
    ]);
    // Two null keys written apart are one null key, in either order, with no word of booleans.
    const nullKey = (key: string) =>
      `document 1: key ${key} reads as null, and kubectl refuses a null key ("unsupported map key of type: %!s(<nil>)"), so the document cannot be applied`;
    for (const [first, second] of [
      ['~', 'null'],
      ['null', '~'],
    ] as const) {
      expect(located(`${CONFIG_MAP}data:\n  ${first}: a\n  ${second}: b\n`)).toStrictEqual([
        [
          '6:3 error yaml/null-key ConfigMap /data/',
          nullKey(first),
          `quote the key ("${first}") to make it a string`,
        ],
        [
          '7:3 error yaml/key-collision ConfigMap /data/',
          `document 1: keys ${first} (line 6) and ${second} (line 7) are one key to kubectl, null, and kubectl refuses a null key ("unsupported map key of type: %!s(<nil>)"), so the document cannot be applied`,
          `quote both keys ("${first}" and "${second}") to make them two string keys, or write the key once, quoted`,
        ],
      ]);
    }
    // Keys that stay apart to kubectl say nothing.
    expect(located(`${CONFIG_MAP}data:\n  "0755": a\n  "493": b\n  "~": c\n  "null": d\n`)).toStrictEqual([]);
  });

  test('a null key under metadata.labels or spec is told once, by its YAML error: no schema error about the key "" repeats it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-null-key-'));
    const task = (labels: string, spec = '', name = 't') =>
      `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: ${name}\n  labels:\n    team: a\n${labels}spec:\n  type: codex\n  prompt: hi\n  credentials:\n    type: none\n${spec}`;
    await writeFile(join(dir, 'labels.yaml'), task('    ~: x\n    null: y\n'));
    await writeFile(join(dir, 'spec.yaml'), task('', '  ~: {a: 1}\n', 't2'));
    const run = await kelos(['validate', 'labels.yaml', 'spec.yaml', '--format', 'json'], { cwd: dir });
    const found = (JSON.parse(run.stdout) as { diagnostics: Diagnostic[] }).diagnostics.map(
      (d) => `${d.source?.file}:${d.source?.line}:${d.source?.column} ${d.severity} ${d.code} ${d.path}`,
    );
    expect(found).toStrictEqual([
      'labels.yaml:1:1 info cel/skipped ',
      'labels.yaml:7:5 error yaml/null-key /metadata/labels/',
      'labels.yaml:8:5 error yaml/key-collision /metadata/labels/',
      'spec.yaml:12:3 error yaml/null-key /spec/',
    ]);
    expect(JSON.parse(run.stdout).diagnostics[0].message).toBe(
      'CEL rules were not checked because the schema refuses the key the YAML error names; fix that to check the rules too',
    );
    expect(run.code).toBe(2);
    // A schema error elsewhere in the object is still told beside the YAML error.
    await writeFile(join(dir, 'labels.yaml'), task('    ~: x\n', '  maxTurns: 3\n'));
    const other = await kelos(['validate', 'labels.yaml', '--format', 'json'], { cwd: dir });
    expect(
      (JSON.parse(other.stdout) as { diagnostics: Diagnostic[] }).diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => `${d.code} ${d.path}`),
    ).toStrictEqual(['yaml/null-key /metadata/labels/', 'schema/unknown-field /spec/maxTurns']);
  });

  test('two number keys YAML reads as one are a duplicate with no word of booleans', () => {
    const { diagnostics } = parseManifests(`${CONFIG_MAP}data:\n  1: a\n  01: b\n`, 'k.yaml');
    expect(diagnostics.map((d) => `${d.source?.line}:${d.source?.column} ${d.code} ${d.message}`)).toEqual([
      '7:3 yaml/parse document 1 is not valid YAML: Map keys must be unique: key 01 reads as the same key as 1 on line 6; quote them',
    ]);
  });

  test('a list or mapping as a key is a located error, not a process warning on stderr', () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const { diagnostics } = parseManifests(
        `${CONFIG_MAP}data:\n  ? [a, b]\n  : y\n  ? {c: d}\n  : z\n`,
        'k.yaml',
      );
      expect(diagnostics.map((d) => `${d.source?.line}:${d.source?.column} ${d.code} ${d.message}`)).toEqual([
        '6:5 yaml/parse document 1: a mapping key is a list or a mapping; Kubernetes objects have string keys',
        '8:5 yaml/parse document 1: a mapping key is a list or a mapping; Kubernetes objects have string keys',
      ]);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  test('300 mutually dependent Tasks give 20 cycles and one located count of the rest', () => {
    const names = Array.from({ length: 300 }, (_, i) => `t${String(i).padStart(3, '0')}`);
    const text = names
      .map(
        (n) =>
          `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: ${n}\nspec:\n  prompt: p\n  worker:\n    type: codex\n    credentials: {type: none}\n  dependsOn: [${names.filter((m) => m !== n).join(', ')}]\n`,
      )
      .join('---\n');
    const { documents } = parseManifests(text, 'clique.yaml');
    const cycles = validateDocuments(documents).filter((d) => d.code === 'ref/cycle');
    expect(cycles).toHaveLength(21);
    const more = cycles.find((d) => d.message.includes('more cycles'));
    expect(more?.message).toBe(
      'dependsOn forms 44830 more cycles, starting with this one; only the first 20 are listed',
    );
    expect(more?.source?.line).toBeGreaterThan(0);
    expect(more?.path).toMatch(/^\/spec\/dependsOn\/\d+$/);
    expect(Math.max(...cycles.map((d) => d.message.length))).toBeLessThan(300);
  });

  test('a long cycle lists its first Tasks and elides the middle', () => {
    const n = 50;
    const text = Array.from(
      { length: n },
      (_, i) =>
        `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: t${i}\nspec:\n  prompt: p\n  worker:\n    type: codex\n    credentials: {type: none}\n  dependsOn: [t${(i + 1) % n}]\n`,
    ).join('---\n');
    const [cycle] = validateDocuments(parseManifests(text, 'ring.yaml').documents).filter(
      (d) => d.code === 'ref/cycle',
    );
    expect(cycle?.message).toBe(
      'dependsOn forms a cycle: t0 → t1 → t2 → t3 → t4 → t5 → t6 → t7 → t8 → t9 → t10 → … (39 more) → t0; none of these Tasks can ever start',
    );
  });
});

describe('hostile bundles in the policies', () => {
  // 300 copies of one budget over 300 spawners without maxConcurrency in one namespace: the
  // worst-case forecast reported every (budget, spawner) pair, 90,000 findings, and parsed the
  // budget's selector again for each pair.
  const budget = (i: number) =>
    `apiVersion: kelos.dev/v1alpha2\nkind: TaskBudget\nmetadata: {name: b${i}, namespace: ns}\nspec: {taskSelector: {matchLabels: {team: a}}, period: {type: Daily}, maxCostUSD: "10"}\n`;
  const spawner = (i: number) =>
    `apiVersion: kelos.dev/v1alpha2\nkind: TaskSpawner\nmetadata: {name: s${i}, namespace: ns}\nspec:\n  when: {cron: {schedule: "0 * * * *"}}\n  taskTemplate:\n    metadata: {labels: {team: a}}\n    type: codex\n    credentials: {type: none}\n    workspaceRef: {name: w}\n`;
  const text = [
    ...Array.from({ length: 300 }, (_, i) => budget(i)),
    ...Array.from({ length: 300 }, (_, i) => spawner(i)),
  ].join('---\n');

  test('a budget reports 8 unbounded objects and counts the rest, at its maxCostUSD', () => {
    const { documents, diagnostics } = parseManifests(text, 'bundle.yaml');
    expect(diagnostics).toEqual([]);
    const forecast = checkDocuments(documents, DEFAULT_POLICY_CONFIG).diagnostics.filter(
      (d) => d.code === 'forecast/budget-worst-case',
    );
    expect(forecast).toHaveLength(300 * 9);
    const first = forecast.filter((d) => d.resource?.name === 'b0');
    expect(first.map((d) => d.message)).toEqual([
      ...Array.from(
        { length: 8 },
        (_, i) => `worst case is unbounded: TaskSpawner s${i} has no maxConcurrency`,
      ),
      '292 more objects this budget covers have no bounded or priced worst case either',
    ]);
    expect(first.every((d) => d.path === '/spec/maxCostUSD' && d.source?.line === 4)).toBe(true);
  });
});

describe('a TaskBudget selector of the wrong shape', () => {
  test('matches nothing in the budget rules instead of failing them (the schema reports the shape)', () => {
    const text = `apiVersion: kelos.dev/v1alpha2\nkind: TaskBudget\nmetadata: {name: b, namespace: ns}\nspec: {taskSelector: {matchExpressions: "0x1F"}, period: {type: Daily}, maxCostUSD: "10"}\n---\napiVersion: kelos.dev/v1alpha2\nkind: TaskBudget\nmetadata: {name: c, namespace: ns}\nspec: {taskSelector: {matchLabels: [a]}, period: {type: Daily}, maxCostUSD: "10"}\n`;
    const { documents } = parseManifests(text, 'b.yaml');
    const codes = checkDocuments(documents, DEFAULT_POLICY_CONFIG).diagnostics.map((d) => d.code);
    expect(codes).not.toContain('policy/rule-failed');
    expect(validateDocuments(documents).map((d) => `${d.path} ${d.severity}`)).toEqual(
      expect.arrayContaining([
        '/spec/taskSelector/matchExpressions error',
        '/spec/taskSelector/matchLabels error',
      ]),
    );
  });
});

describe('limitPerCode', () => {
  const d = (code: string, severity: 'error' | 'warning', line: number) => ({
    severity,
    code,
    message: `m${line}`,
    path: '/a',
    source: { file: 'f.yaml', line },
  });

  test('keeps the first findings of each code and counts the rest at the first one left out', () => {
    const input = [d('x', 'warning', 1), d('x', 'warning', 2), d('y', 'error', 3), d('x', 'error', 4)];
    expect(limitPerCode(input, 1)).toEqual([
      d('x', 'warning', 1),
      {
        ...d('x', 'error', 2),
        message: 'and 2 more x findings, starting with this one: m2',
        hint: 'output is limited to 1 findings per code; fix these and run again to see the rest',
      },
      d('y', 'error', 3),
    ]);
  });

  test('validate prints at most 100 findings of a code, with the full counts in the summary', async () => {
    const labels = Array.from({ length: 500 }, (_, i) => `    BAD_${i}%: v\n`).join('');
    const run = await kelos(['validate', '-'], { stdin: `${CONFIG_MAP}  labels:\n${labels}` });
    expect(run.code).toBe(2);
    const lines = run.stdout.trimEnd().split('\n');
    // 100 findings, the one that says how many more (with its hint line), the summary.
    expect(lines).toHaveLength(103);
    expect(lines[100]).toContain('and 400 more schema/key findings, starting with this one');
    expect(lines[101]).toBe(
      '    hint: output is limited to 100 findings per code; fix these and run again to see the rest',
    );
    expect(lines[102]).toBe('1 object, 500 errors, 0 warnings');
  });
});
