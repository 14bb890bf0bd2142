import { describe, expect, test } from 'vitest';
import { propPosition } from '../../../src/compiler/prop-sites.ts';
import { synthesize } from '../../../src/compiler/synth.ts';
import type { Diagnostic } from '../../../src/validate/diagnostic.ts';
import { CONSTRUCTS, kelos, projectsDisposedAfterEach } from './project.ts';

const make = projectsDisposedAfterEach();

const FILE = 'apps/platform/main.ts';

/** An app module of `lines`, which use `K` (the constructs) and `scope`. */
const app = (...lines: string[]): string =>
  [`import * as K from '${CONSTRUCTS}';`, 'export default function build(scope) {', ...lines, '}', ''].join(
    '\n',
  );

/** 1-based line and column of the `nth` (0-based) occurrence of `needle` in `source`. */
const at = (source: string, needle: string, nth = 0) => {
  let offset = -1;
  for (let n = 0; n <= nth; n++) offset = source.indexOf(needle, offset + 1);
  if (offset < 0) throw new Error(`no ${needle} in the app`);
  const before = source.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1) ?? '').length + 1 };
};

/** `line:column` of each diagnostic with `code` at `path`, by resource name. */
const where = (diagnostics: readonly Diagnostic[], code: string, path: string) =>
  Object.fromEntries(
    diagnostics
      .filter((d) => d.code === code && d.path === path)
      .map((d) => [d.resource?.name, `${d.source?.file}:${d.source?.line}:${d.source?.column}`]),
  );

const pos = ({ line, column }: { line: number; column: number }) => `${FILE}:${line}:${column}`;

const WORKER = "{ type: 'codex', credentials: { type: 'api-key', secretRef: { name: 'key' } } }";

describe('a finding on a prop points at the line of the prop', { timeout: 60_000 }, () => {
  test('an unknown key and a wrong value typed inline: at the key, in text and JSON, the object rendered after', async () => {
    const source = app(
      "  new K.TaskSpawner(scope, 'spawner', {",
      "    metadata: { name: 'spawner' },",
      "    when: { cron: { schedule: '0 * * * *' } },",
      // Neither the comment nor the prompt's text is a key of the props.
      `    taskTemplate: { worker: ${WORKER}, promptTemplate: 'maxConcurency: 3' },`,
      '    // maxConcurency: 4',
      '    maxConcurency: 2,',
      '    maxTotalTasks: -1,',
      '  });',
      "  new K.Workspace(scope, 'ws', {",
      "    metadata: { name: 'ws' },",
      "    repo: 'not-a-url',",
      '  });',
    );
    const p = make({ platform: source });
    const result = await synthesize({ root: p.root });
    expect(where(result.diagnostics, 'construct/invalid', '/spec/repo')).toStrictEqual({
      ws: pos(at(source, "repo: 'not-a-url'")),
    });
    p.write(FILE, source.replace("'not-a-url'", "'https://github.com/a/b.git'"));
    const fixed = await synthesize({ root: p.root });
    expect(where(fixed.diagnostics, 'schema/unknown-field', '/spec/maxConcurency')).toStrictEqual({
      spawner: pos(at(source, 'maxConcurency: 2')),
    });
    expect(where(fixed.diagnostics, 'schema/minimum', '/spec/maxTotalTasks')).toStrictEqual({
      spawner: pos(at(source, 'maxTotalTasks: -1')),
    });

    const json = JSON.parse((await kelos(['synth', '--format', 'json'], p.root)).stdout) as {
      diagnostics: Diagnostic[];
    };
    // A finding on a field the props do not set stays at the `new` line.
    expect(
      where(
        json.diagnostics,
        'hygiene/ttl-seconds-after-finished',
        '/spec/taskTemplate/ttlSecondsAfterFinished',
      ),
    ).toStrictEqual({ spawner: pos(at(source, 'new K.TaskSpawner')) });
    const unknown = json.diagnostics.find((d) => d.path === '/spec/maxConcurency');
    expect(unknown?.source).toMatchObject({
      file: FILE,
      ...at(source, 'maxConcurency: 2'),
      constructPath: 'platform/spawner',
      rendered: { file: 'dist/apps/platform/taskspawner-spawner.yaml' },
    });
    const text = await kelos(['synth'], p.root);
    const { line, column } = at(source, 'maxConcurency: 2');
    expect(text.stdout + text.stderr).toContain(
      `${FILE}:${line}:${column}: error TaskSpawner spawner /spec/maxConcurency: unknown field "spec.maxConcurency"; did you mean "maxConcurrency"?`,
    );
  });

  test('a key of a shared object: every object made with it points at the one line of the mistake', async () => {
    const source = app(
      '  const worker = {',
      "    type: 'codex',",
      "    modle: 'o3',",
      "    credentials: { type: 'api-key', secretRef: { name: 'key' } },",
      '  };',
      "  new K.Task(scope, 'a', { metadata: { name: 'a' }, worker, prompt: 'a' });",
      "  new K.Task(scope, 'b', {",
      "    metadata: { name: 'b' },",
      '    worker: worker,',
      "    prompt: 'b',",
      '  });',
      "  new K.TaskSpawner(scope, 'c', {",
      "    metadata: { name: 'c' },",
      "    when: { cron: { schedule: '0 * * * *' } },",
      "    taskTemplate: { worker, promptTemplate: 'c' },",
      '  });',
    );
    const p = make({ platform: source });
    const result = await synthesize({ root: p.root });
    const mistake = pos(at(source, 'modle'));
    expect({
      ...where(result.diagnostics, 'schema/unknown-field', '/spec/worker/modle'),
      ...where(result.diagnostics, 'schema/unknown-field', '/spec/taskTemplate/worker/modle'),
    }).toStrictEqual({ a: mistake, b: mistake, c: mistake });
  });

  test('a shared object declared with a generic type: at its key too', async () => {
    const source = app(
      "  const worker: Omit<Record<string, unknown>, 'image'> = {",
      "    type: 'codex',",
      "    modle: 'o3',",
      "    credentials: { type: 'api-key', secretRef: { name: 'key' } },",
      '  };',
      '  const other: Partial<Record<string, Array<Record<string, unknown>>>> = {',
      `    ...${WORKER},`,
      "    modle: 'o4',",
      '  };',
      "  new K.Task(scope, 'a', { metadata: { name: 'a' }, worker, prompt: 'a' });",
      "  new K.Task(scope, 'b', { metadata: { name: 'b' }, worker: other, prompt: 'b' });",
    );
    const p = make({ platform: source });
    const result = await synthesize({ root: p.root });
    expect(where(result.diagnostics, 'schema/unknown-field', '/spec/worker/modle')).toStrictEqual({
      a: pos(at(source, 'modle')),
      b: pos(at(source, 'modle', 1)),
    });
  });

  test('where the key is not the one place the value can come from, the finding stays at the `new` line', async () => {
    const source = app(
      "  const flag = process.env['FLAG'] === 'x';",
      // Either branch may be the rendered worker.
      `  new K.Task(scope, 'either', { metadata: { name: 'either' }, worker: flag ? { ...${WORKER}, modle: 'a' } : { ...${WORKER}, modle: 'b' }, prompt: 'p' });`,
      // A spread after the key may override it.
      "  const extra = JSON.parse('{}');",
      `  new K.Task(scope, 'spread', { metadata: { name: 'spread' }, worker: { ...${WORKER}, modle: 'a' }, ...extra, prompt: 'p' });`,
      // The shared object's name is bound twice in the file: which one is meant is not told.
      '  helper(scope);',
      `  const worker = { ...${WORKER}, modle: 'c' };`,
      "  new K.Task(scope, 'shadowed', { metadata: { name: 'shadowed' }, worker, prompt: 'p' });",
      '}',
      `function helper(scope, worker = { ...${WORKER}, modle: 'd' }) {`,
      "  new K.Task(scope, 'param', { metadata: { name: 'param' }, worker, prompt: 'p' });",
    );
    const p = make({ platform: source });
    const result = await synthesize({ root: p.root });
    expect(where(result.diagnostics, 'schema/unknown-field', '/spec/worker/modle')).toStrictEqual({
      either: pos(at(source, 'new K.Task', 0)),
      spread: pos(at(source, 'new K.Task', 1)),
      shadowed: pos(at(source, 'new K.Task', 2)),
      param: pos(at(source, 'new K.Task', 3)),
    });
  });
});

describe("a finding on a pattern's object points at the prop it comes from", { timeout: 60_000 }, () => {
  test('a rendered field of another name, and a check of the pattern: at the key of the prop', async () => {
    const source = app(
      "  const ws = new K.Workspace(scope, 'ws', { metadata: { name: 'ws' }, repo: 'https://github.com/a/b.git' });",
      "  new K.ScheduledAgent(scope, 'nightly', {",
      "    metadata: { name: 'nightly' },",
      "    schedule: '0 3 * * *',",
      "    prompt: 'Tidy up.',",
      '    workspace: ws,',
      "    credentials: { type: 'oauth', secretRef: { name: 'claude-oauht' } },",
      "    model: 'opus',",
      '    activeDeadlineSeconds: 99999,',
      '  });',
      "  new K.IssueWorker(scope, 'issues', {",
      "    metadata: { name: 'issues' },",
      '    workspace: ws,',
      "    botLogin: ' ',",
      "    credentials: { type: 'oauth', secretRef: { name: 'claude-oauth' } },",
      '    maxConcurrency: 0,',
      '  });',
    );
    const p = make({ platform: source });
    p.write(
      'kelos.policy.yaml',
      'synth: report\nallowlists:\n  models:\n    claude-code: [sonnet]\nexternalSecrets: [claude-oauth]\n',
    );
    const { diagnostics } = JSON.parse((await kelos(['synth', '--format', 'json'], p.root)).stdout) as {
      diagnostics: Diagnostic[];
    };
    // Each was at the `new K.ScheduledAgent` line: the prop is not named as the field it lands in.
    expect(where(diagnostics, 'budget/model-allowlist', '/spec/taskTemplate/worker/model')).toStrictEqual({
      nightly: pos(at(source, "model: 'opus'")),
    });
    expect(
      where(diagnostics, 'ref/secret-external', '/spec/taskTemplate/worker/credentials/secretRef/name'),
    ).toStrictEqual({ nightly: pos(at(source, "name: 'claude-oauht'")) });
    expect(
      where(
        diagnostics,
        'budget/active-deadline',
        '/spec/taskTemplate/worker/podOverrides/activeDeadlineSeconds',
      ),
    ).toStrictEqual({ nightly: pos(at(source, 'activeDeadlineSeconds: 99999')) });
    // The pattern's own checks carried no pointer, so they were at the `new` line too.
    expect(where(diagnostics, 'construct/invalid', '/spec/maxConcurrency')).toStrictEqual({
      issues: pos(at(source, 'maxConcurrency: 0')),
    });
    expect(where(diagnostics, 'construct/invalid', '/spec/when/githubIssues/excludeAuthors')).toStrictEqual({
      issues: pos(at(source, "botLogin: ' '")),
    });
    // A field no prop set (a default of the pattern) stays at the `new` line.
    expect(
      where(
        diagnostics,
        'hygiene/agent-memory-limit',
        '/spec/taskTemplate/worker/podOverrides/resources/limits/memory',
      ),
    ).toStrictEqual({ nightly: pos(at(source, 'new K.ScheduledAgent')) });
  });

  test("a pattern's unknown prop is at its key, and the app's other mistakes are reported in the same run", async () => {
    const source = app(
      "  const ws = new K.Workspace(scope, 'ws', { metadata: { name: 'ws' }, repo: 'https://github.com/a/b.git' });",
      "  new K.ScheduledAgent(scope, 'nightly', {",
      "    metadata: { name: 'nightly' },",
      "    schedule: '0 3 * * *',",
      "    prompt: 'Tidy up.',",
      "    credentials: { type: 'api-key', secretRef: { name: 'key' } },",
      '    maxConcurency: 2,',
      '  });',
      "  new K.TaskSpawner(scope, 'every', {",
      "    metadata: { name: 'every' },",
      "    when: { cron: { schedule: '61 * * * *' } },",
      "    taskTemplate: { worker: { type: 'codex', credentials: { type: 'api-kee', secretRef: { name: 'key' } } }, promptTemplate: 'p' },",
      '  });',
      "  new K.Pipeline(scope, 'release', {",
      '    workspace: ws,',
      "    branch: 'release',",
      "    credentials: { type: 'api-key', secretRef: { name: 'key' } },",
      "    steps: [{ name: 'build', prompt: 'Build.', lables: { team: 'a' } }],",
      '  });',
    );
    const p = make({ platform: source });
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(2);
    const line = (needle: string) => {
      const { line, column } = at(source, needle);
      return `${FILE}:${line}:${column}: error`;
    };
    // Before, the pattern threw: this was the one finding (at the `new` line), the others unseen.
    expect(run.stdout).toContain(
      `${line('maxConcurency: 2')} TaskSpawner nightly ScheduledAgent has no prop "maxConcurency"; did you mean "maxConcurrency"? [construct/invalid]`,
    );
    expect(run.stdout).toContain(
      `${line('lables:')} Task platform/release Pipeline step "build" has no prop "lables"; did you mean "labels"? [construct/invalid]`,
    );
    expect(run.stdout).toContain(
      `${line("schedule: '61")} TaskSpawner every /spec/when/cron/schedule: invalid cron schedule "61 * * * *"`,
    );
    expect(run.stdout).toContain(
      `${line("type: 'api-kee'")} TaskSpawner every /spec/taskTemplate/worker/credentials/type: must be one of`,
    );
    // An unknown prop changes nothing the pattern builds: its object is checked in the same run.
    expect(run.stdout).toContain(
      `${FILE}:${at(source, 'new K.ScheduledAgent').line}:3: warning TaskSpawner nightly /spec/taskTemplate/worker/podOverrides/resources/limits/memory:`,
    );
    // Still nothing is written while any error exists.
    expect(p.files('dist')).toStrictEqual([]);
  });
});

describe('a shared object changed after its declaration', { timeout: 60_000 }, () => {
  test('the finding stays at the `new` line, where the literal no longer says what the object got', async () => {
    const task = (name: string, worker: string) =>
      `  new K.Task(scope, '${name}', { metadata: { name: '${name}' }, worker: ${worker}, prompt: 'p' });`;
    const source = app(
      `  const w1 = { ...${WORKER}, modle: 'a' };`,
      "  w1.modle = 'b';",
      task('assigned', 'w1'),
      `  const w2 = { ...${WORKER}, modle: 'a' };`,
      "  Object.assign(w2, { modle: 'b' });",
      task('merged', 'w2'),
      `  const w3 = { ...${WORKER}, modle: 'a' };`,
      "  w3['modle'] += 'x';",
      task('indexed', 'w3'),
      `  const w4 = { ...${WORKER}, modle: 'a', model: 'm' };`,
      '  delete w4.model;',
      task('deleted', 'w4'),
      // Read, not changed: the key is still the one place.
      `  const w5 = { ...${WORKER}, modle: 'a' };`,
      '  if (w5.modle === w5.type) throw new Error();',
      task('read', 'w5'),
    );
    const p = make({ platform: source });
    const result = await synthesize({ root: p.root });
    expect(where(result.diagnostics, 'schema/unknown-field', '/spec/worker/modle')).toStrictEqual({
      assigned: pos(at(source, 'new K.Task', 0)),
      merged: pos(at(source, 'new K.Task', 1)),
      indexed: pos(at(source, 'new K.Task', 2)),
      deleted: pos(at(source, 'new K.Task', 3)),
      read: pos(at(source, "modle: 'a'", 4)),
    });
  });
});

describe('a shared object imported from a module of the app', { timeout: 60_000 }, () => {
  const SHARED = 'apps/platform/shared.ts';
  const shared = [
    'export const worker = {',
    "  type: 'codex',",
    "  modle: 'o3',",
    "  credentials: { type: 'api-key', secretRef: { name: 'key' } },",
    '};',
    `export const changed = { ...${WORKER}, modle: 'a' };`,
    "changed.modle = 'b';",
    `const local = { ...${WORKER}, modle: 'c' };`,
    'export default local;',
    '',
  ].join('\n');

  test('a key of the exported literal: the finding points at it, in the module, whichever name imports it', async () => {
    const task = (name: string, worker: string) =>
      `  new K.Task(scope, '${name}', { metadata: { name: '${name}' }, worker: ${worker}, prompt: 'p' });`;
    const source = [
      `import * as K from '${CONSTRUCTS}';`,
      "import { worker, changed } from './shared.ts';",
      "import { worker as renamed } from './shared.ts';",
      "import local from './shared.ts';",
      'export default function build(scope) {',
      task('plain', 'worker'),
      task('renamed', 'renamed'),
      // Changed in its module after the declaration: the literal no longer says what the Task got.
      task('changed', 'changed'),
      // A default export is not followed.
      task('default', 'local'),
      '}',
      '',
    ].join('\n');
    const p = make({ platform: source });
    p.write(SHARED, shared);
    const result = await synthesize({ root: p.root });
    const { line, column } = at(shared, 'modle');
    expect(where(result.diagnostics, 'schema/unknown-field', '/spec/worker/modle')).toStrictEqual({
      plain: `${SHARED}:${line}:${column}`,
      renamed: `${SHARED}:${line}:${column}`,
      changed: pos(at(source, 'new K.Task', 2)),
      default: pos(at(source, 'new K.Task', 3)),
    });
  });

  test("an import the app's file changes keeps the `new` line; a JavaScript module is read as itself", async () => {
    const source = [
      `import * as K from '${CONSTRUCTS}';`,
      "import { worker } from './shared.ts';",
      "import { worker as other } from './compiled.js';",
      'export default function build(scope) {',
      "  worker.modle = 'x';",
      "  new K.Task(scope, 'mutated', { metadata: { name: 'mutated' }, worker, prompt: 'p' });",
      "  new K.Task(scope, 'compiled', { metadata: { name: 'compiled' }, worker: other, prompt: 'p' });",
      '}',
      '',
    ].join('\n');
    const p = make({ platform: source });
    p.write(SHARED, shared);
    p.write('apps/platform/compiled.js', shared);
    const result = await synthesize({ root: p.root });
    const { line, column } = at(shared, 'modle');
    expect(where(result.diagnostics, 'schema/unknown-field', '/spec/worker/modle')).toStrictEqual({
      mutated: pos(at(source, 'new K.Task', 0)),
      compiled: `apps/platform/compiled.js:${line}:${column}`,
    });
  });
});

describe('propPosition', () => {
  const call = (props: string) => `const x = 1;\nnew K.Task(scope, 'a', ${props});\n`;

  test.each([
    ['a regular expression with a quote in it', "{ a: /'{/.source, bad: 1 }"],
    ['a template with a substitution holding an object', `{ a: \`\${ { bad: 2 }.bad } }\`, bad: 1 }`],
    ['a string with an escaped quote', "{ a: 'it\\'s { bad: 2 }', bad: 1 }"],
    ['a quoted key', "{ a: 1, 'bad': 1 }"],
  ])('reads past %s to the one key', (_name, props) => {
    const text = call(props);
    const offset = text.lastIndexOf('bad');
    const line = text.slice(0, offset).split('\n').length;
    const column = offset - text.lastIndexOf('\n', offset - 1) - (text[offset - 1] === "'" ? 1 : 0);
    expect(propPosition(text, { line: 2, column: 1 }, '/spec/bad')).toStrictEqual({ line, column });
  });

  test('a call it cannot read, or a position that starts no call, tells nothing', () => {
    expect(propPosition(call("{ bad: 'unterminated }"), { line: 2, column: 1 }, '/spec/bad')).toBeUndefined();
    expect(propPosition(call('{ bad: 1 }'), { line: 2, column: 2 }, '/spec/bad')).toBeUndefined();
    expect(propPosition(call('{ bad: 1, bad: 2 }'), { line: 2, column: 1 }, '/spec/bad')).toBeUndefined();
  });
});
