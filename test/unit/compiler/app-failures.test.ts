/**
 * Issue 9, finding 9 (compiler part): an app that cannot be parsed, never returns, or throws
 * after it returned fails synth (exit 1) with the app's name and, where there is one, the
 * file:line:column in the app.
 */
import { cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { syntaxSite } from '../../../src/compiler/runner.ts';
import { synthesize } from '../../../src/compiler/synth.ts';
import { type Diagnostic, formatLocation } from '../../../src/validate/diagnostic.ts';
import { appSource, kelos, projectsDisposedAfterEach, REPO, TEST_CONFIG, taskSource } from './project.ts';

const make = projectsDisposedAfterEach();

/** Each app failure of a synth as `file:line:column message`. */
const appFailed = (result: { diagnostics: readonly Diagnostic[] }): string[] =>
  result.diagnostics
    .filter((d) => d.code === 'synth/app-failed')
    .map((d) => `${d.source ? formatLocation(d.source) : ''} ${d.message}`);

describe('apps that fail', { timeout: 60_000 }, () => {
  test('a TypeScript syntax error is reported at the line and column in the app', async () => {
    const p = make({
      broken:
        "import type { Construct } from 'constructs';\nexport default function build(scope: Construct): void {\n  const x: number = ;\n}\n",
    });
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'apps/broken/main.ts:3:21: error app broken failed: Expression expected [synth/app-failed]',
    );
    expect(run.stdout).not.toContain('modules/typescript');
  });

  test('an app that never returns is stopped after the timeout and named; the apps after it still run', async () => {
    const p = make({
      '01-hangs':
        'export default async function build() { await new Promise(() => setInterval(() => {}, 1000)); }\n',
      // A loop that never yields is stopped too.
      '02-loops': 'export default function build() { for (;;) {} }\n',
      '03-refused': appSource(
        "  new K.Workspace(scope, 'ws', { metadata: { name: 'ws' }, repo: 'not-a-url' });",
      ),
      '04-fine': appSource(taskSource('fine')),
    });
    const result = await synthesize({ root: p.root, appTimeoutMs: 2000 });
    expect(result.status).toBe('failed');
    expect(
      result.diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => `${d.source?.file} ${d.code}: ${d.message}`),
    ).toStrictEqual([
      'apps/01-hangs/main.ts synth/app-failed: app hangs failed: did not finish within 2s and was stopped (does it wait on something that never happens, or loop forever?); raise the limit with --app-timeout',
      'apps/02-loops/main.ts synth/app-failed: app loops failed: did not finish within 2s and was stopped (does it wait on something that never happens, or loop forever?); raise the limit with --app-timeout',
      expect.stringMatching(/^apps\/03-refused\/main\.ts construct\/invalid: .*repo/),
    ]);
    // The app after the hung ones ran too: its object was rendered (synth writes none of it), as
    // was the refused one's, kept so references to it resolve.
    expect(
      result.objects.map(
        (o) => `${(o.object['metadata'] as { name: string }).name}${o.refused ? ' refused' : ''}`,
      ),
    ).toStrictEqual(['ws refused', 'fine']);
  });

  test('kelos check fails an app whose construct refused its props, or whose object the API server would refuse', async () => {
    const p = make({
      fine: appSource(taskSource('fine')),
      refused: appSource(
        "  new K.ScheduledAgent(scope, 'nightly', { metadata: { name: 'nightly' }, schedule: '0 25 * * *', prompt: 'p', credentials: { type: 'api-key', secretRef: { name: 'key' } } });",
      ),
      typo: appSource(taskSource('typo', ", ...({ promt: 'x' })")),
    });
    const run = await kelos(['check'], p.root);
    expect(run.code).toBe(2);
    // Before, check reported only apps that threw: these two passed as if nothing were wrong.
    expect(run.stdout).toContain(
      '/spec/when/cron/schedule: invalid cron schedule "0 25 * * *": end of range (25) above maximum (23): 25 [construct/invalid]',
    );
    expect(run.stdout).toContain(
      '/spec/promt: unknown field "spec.promt"; did you mean "prompt"? [schema/unknown-field]',
    );
    // Policy findings point at the app line that made the object, as synth's do.
    expect(run.stdout).toMatch(
      /\/spec\/worker\/podOverrides\/activeDeadlineSeconds: activeDeadlineSeconds is not set[^\n]*\n\s+at apps\/fine\/main\.ts:3:3/,
    );
  });

  test('every construct that refuses its props is reported in one run, each at its own line', async () => {
    const p = make({
      many: appSource(
        [
          taskSource('ok'),
          "  new K.Workspace(scope, 'ws', { metadata: { name: 'ws' }, repo: 'not-a-url' });",
          "  new K.Task(scope, 'bad', { metadata: { name: 'bad' }, worker: { type: 'codex' }, prompt: 'p' });",
          "  new K.TaskBudget(scope, 'b', { metadata: { name: 'b' }, taskSelector: {}, period: { type: 'Daily' } });",
        ].join('\n'),
      ),
    });
    const result = await synthesize({ root: p.root });
    expect(result.status).not.toBe('ok');
    // Rendered, so the others' findings are reported with the refusals; nothing is written.
    expect(result.objects.map((o) => `${o.object['kind']} ${o.refused ?? false}`)).toStrictEqual([
      'Task false',
      'Workspace true',
      'Task true',
      'TaskBudget true',
    ]);
    expect(
      result.diagnostics
        .filter((d) => d.code === 'construct/invalid')
        .map((d) => `${d.source?.line} ${d.resource?.kind} ${d.resource?.name}`),
    ).toStrictEqual(['4 Workspace ws', '5 Task bad', '6 TaskBudget b']);
  });

  test('a KelosConfig is refused with the other constructs, and its findings point at its line', async () => {
    const p = make({
      admin: appSource(
        [
          "  new K.KelosConfig(scope, 'cfg', { networkIsolation: { inClusterAllowances: [{ name: 'db', namespace: 'data', podSelector: {}, ports: [{ port: 5432 }] }] } });",
          "  new K.Workspace(scope, 'ws', { metadata: { name: 'ws' }, repo: 'not-a-url' });",
        ].join('\n'),
      ),
      schema: appSource("  new K.KelosConfig(scope, 'cfg', { outbound: { timeoutSeconds: -3 } });"),
    });
    const result = await synthesize({ root: p.root });
    expect(
      result.diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => `${d.source?.file}:${d.source?.line} ${d.code} ${d.resource?.kind} ${d.path}`),
    ).toStrictEqual([
      'apps/admin/main.ts:3 construct/invalid KelosConfig /spec/networkIsolation/inClusterAllowances/0/podSelector',
      'apps/admin/main.ts:4 construct/invalid Workspace /spec/repo',
      'apps/schema/main.ts:3 schema/minimum KelosConfig /spec/outbound/timeoutSeconds',
    ]);
  });

  test('a pattern missing a required prop, or a worker given as a string, is refused at its line by name', async () => {
    const p = make({
      slips: appSource(
        [
          "  new K.IssueWorker(scope, 'iw', { credentials: { type: 'none' } });",
          "  new K.Task(scope, 'x', { metadata: { name: 'x' }, worker: 'claude-code', prompt: 'p' });",
          "  new K.Task(scope, 'n', null);",
        ].join('\n'),
      ),
    });
    const result = await synthesize({ root: p.root });
    // Were `app slips failed: Cannot read properties of undefined (reading 'trim')`, and with a
    // try around the pattern, one unknown field per character of the worker. The constructs
    // after the refused pattern are checked in the same run: the app no longer stops at it.
    expect(
      result.diagnostics
        .filter((d) => d.severity === 'error')
        .map(
          (d) =>
            `${d.source?.line} ${d.code} ${d.resource?.kind} ${d.resource?.name} ${d.path}: ${d.message}`,
        ),
    ).toStrictEqual([
      '3 construct/invalid TaskSpawner slips/iw : IssueWorker requires workspace (a Workspace construct)',
      '3 construct/invalid TaskSpawner slips/iw : IssueWorker requires botLogin (a string)',
      `4 construct/invalid Task x /spec/worker: worker must be an object ({ type: 'claude-code', … }); got a string "claude-code"`,
      '5 construct/invalid Task slips-n-c8945c3d : props must be an object; got null',
    ]);
    p.write(
      'apps/slips/main.ts',
      appSource(
        [
          "  new K.Task(scope, 'x', { metadata: { name: 'x' }, worker: 'claude-code', prompt: 'p' });",
          "  new K.Task(scope, 'n', null);",
        ].join('\n'),
      ),
    );
    const again = await synthesize({ root: p.root });
    expect(
      again.diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => `${d.source?.line} ${d.code} ${d.resource?.kind} ${d.path}: ${d.message}`),
    ).toStrictEqual([
      `3 construct/invalid Task /spec/worker: worker must be an object ({ type: 'claude-code', … }); got a string "claude-code"`,
      '4 construct/invalid Task : props must be an object; got null',
    ]);
  });

  test('a prop value that holds itself fails its app with the path of the cycle, at the construct line', async () => {
    const p = make({
      cyclic: appSource(
        ["  const labels = { team: 'a' };", '  labels.self = labels;', taskSource('t', ', labels')].join(
          '\n',
        ),
      ),
    });
    const run = await kelos(['synth'], p.root);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain('labels.self holds an object it is inside of (a cycle)');
    expect(run.stdout).toContain('apps/cyclic/main.ts:5:');
    expect(run.stdout).not.toContain('Maximum call stack');
  });

  test('a throw after refused props is reported after them, as what may follow from them', async () => {
    const p = make({
      after: appSource(
        [
          "  new K.Workspace(scope, 'ws', { metadata: { name: 'ws' }, repo: 'not-a-url' });",
          "  throw new Error('boom');",
        ].join('\n'),
      ),
    });
    const result = await synthesize({ root: p.root });
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toStrictEqual([
      'construct/invalid',
      'synth/app-failed',
    ]);
    expect(result.diagnostics.find((d) => d.code === 'synth/app-failed')?.message).toBe(
      'app after failed: boom (after the refused props above, which may have caused it)',
    );
    // A pattern's own refusal after them is about its own props: no such note.
    p.write(
      'apps/after/main.ts',
      appSource(
        [
          "  new K.Workspace(scope, 'ws', { metadata: { name: 'ws' }, repo: 'not-a-url' });",
          "  new K.IssueWorker(scope, 'iw', { workspace: K.Workspace.fromWorkspaceName(scope, 'w', 'w'), botLogin: 'bot', credentials: { type: 'none' }, labels: 'agent' });",
        ].join('\n'),
      ),
    );
    const pattern = await synthesize({ root: p.root });
    expect(pattern.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toStrictEqual([
      expect.stringContaining('repo must be a clone URL'),
      'IssueWorker prop labels must be a list; got a string "agent"',
    ]);
  });

  test('an app awaiting a promise nothing can resolve fails at once, by name; the next app still runs', async () => {
    const p = make({
      '01-stuck': 'export default async function build() {\n  await new Promise(() => {});\n}\n',
      '02-fine': appSource(taskSource('fine')),
    });
    // The message is not the timeout's: the runner sees that nothing is left for the app to wait on.
    const result = await synthesize({ root: p.root, appTimeoutMs: 600_000 });
    expect(
      result.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.source?.file, d.message]),
    ).toStrictEqual([
      [
        'apps/01-stuck/main.ts',
        'app stuck failed: its default export returned a promise that never settles: nothing was left for it to wait on (an await on a promise that nothing resolves?)',
      ],
    ]);
    expect(result.objects.map((o) => o.app)).toStrictEqual(['fine']);
  });

  test('kelos check and kelos validate without paths take --app-timeout, as synth does', async () => {
    const p = make({ spin: 'export default function build() { for (;;) {} }\n' });
    for (const command of ['check', 'validate']) {
      const run = await kelos([command, '--app-timeout', '1'], p.root);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toContain('app spin failed: did not finish within 1s and was stopped');
    }
    for (const bad of ['0', '99999999']) {
      expect((await kelos(['check', '--app-timeout', bad], p.root)).stderr).toContain(
        `--app-timeout must be a number of seconds above 0 and at most 2147483 (about 24 days, the longest timer Node sets), got "${bad}"`,
      );
    }
  });

  test('an app that throws a plain object is told by what it holds, not [object Object]', async () => {
    const p = make({ odd: "export default function build() {\n  throw { code: 42, reason: 'quota' };\n}\n" });
    const result = await synthesize({ root: p.root });
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toStrictEqual([
      'app odd failed: {"code":42,"reason":"quota"}',
    ]);
  });

  test('an app that throws an object without a prototype fails by name; the runner reports it', async () => {
    const p = make({
      odd: 'export default function build() {\n  throw Object.create(null);\n}\n',
      fine: appSource(taskSource('fine')),
    });
    const result = await synthesize({ root: p.root });
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toStrictEqual([
      'app odd failed: a value that cannot be turned into text ([object Object])',
    ]);
    expect(result.objects.map((o) => o.app)).toStrictEqual(['fine']);
  });

  test('an app whose timer throws shortly after it returned fails with that error', async () => {
    const p = make({
      timer:
        "export default function build() {\n  setTimeout(() => { throw new Error('late boom'); }, 10);\n}\n",
    });
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'app timer failed: late boom (thrown after the app returned, or outside it)',
    );
  });

  test('an async app that throws after an await fails with its error and name', async () => {
    const p = make({
      late: "export default async function build(scope) {\n  await null;\n  throw new Error('late boom');\n}\n",
    });
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'apps/late/main.ts:3:9: error app late failed: late boom [synth/app-failed]',
    );
    expect(p.files('dist')).toStrictEqual([]);
  });

  test('a throw from a timer the app left behind fails that app', async () => {
    const p = make({
      timer: appSource(`${taskSource('t')}\n  setTimeout(() => { throw new Error('from a timer'); }, 0);`),
      zz: appSource(taskSource('z')),
    });
    const result = await synthesize({ root: p.root });
    expect(result.status).toBe('failed');
    expect(
      result.diagnostics.filter((d) => d.code === 'synth/app-failed').map((d) => d.message),
    ).toStrictEqual(['app timer failed: from a timer (thrown after the app returned, or outside it)']);
  });

  test('a timer that fires while a later app runs fails the app that left it, not the one running', async () => {
    const p = make({
      '01-timer': appSource(
        `${taskSource('t')}\n  setTimeout(() => { throw new Error('late from 01'); }, 600);`,
      ),
      '02-slow': appSource(
        `${taskSource('s')}\n  const end = Date.now() + 1500;\n  while (Date.now() < end) {}`,
      ),
    });
    const result = await synthesize({ root: p.root });
    expect(
      result.diagnostics
        .filter((d) => d.code === 'synth/app-failed')
        .map((d) => `${d.source?.file} ${d.message}`),
    ).toStrictEqual([
      'apps/01-timer/main.ts app timer failed: late from 01 (thrown after the app returned, or outside it)',
    ]);
    expect(result.objects.map((o) => o.app)).toStrictEqual(['slow']);
  });

  test('an app that calls process.exit fails at that line; the apps after it still run', async () => {
    const p = make({
      '01-exits': 'export default function build() {\n  process.exit(0);\n}\n',
      '02-fine': appSource(taskSource('fine')),
    });
    const result = await synthesize({ root: p.root });
    expect(appFailed(result)).toStrictEqual([
      'apps/01-exits/main.ts:2:11 app exits failed: it called process.exit(0); an app returns when it is done, or throws to fail',
    ]);
    expect(result.objects.map((o) => o.app)).toStrictEqual(['fine']);
  });

  test('what an app prints goes to stderr as it runs; stdout stays the report', async () => {
    const p = make({
      noisy: appSource(
        `  console.log('hello from the app');\n  console.error('and on stderr');\n${taskSource('t')}`,
      ),
    });
    const run = await kelos(['synth', '--stdout'], p.root);
    expect(run.code).toBe(0);
    // Before the findings (--stdout puts those on stderr too), as the app printed it.
    expect(run.stderr.startsWith('hello from the app\nand on stderr\napps/noisy/main.ts:')).toBe(true);
    expect(run.stdout).not.toContain('hello');
    const check = await kelos(['check', '--format', 'json'], p.root);
    expect(check.stderr).toBe('hello from the app\nand on stderr\n');
    expect(() => JSON.parse(check.stdout)).not.toThrow();
  });

  test('two objects of one name in an app: the duplicate names the app line of the first, not a file never written', async () => {
    const p = make({
      dup: appSource(
        [
          "  new K.Workspace(scope, 'w1', { metadata: { name: 'dup' }, repo: 'https://github.com/o/r.git' });",
          "  new K.Workspace(scope, 'w2', { metadata: { name: 'dup' }, repo: 'https://github.com/o/r.git' });",
        ].join('\n'),
      ),
    });
    const result = await synthesize({ root: p.root });
    expect(
      result.diagnostics
        .filter((d) => d.code === 'bundle/duplicate')
        .map((d) => `${formatLocation(d.source!)} ${d.message}`),
    ).toStrictEqual([
      'apps/dup/main.ts:4:3 Workspace "default/dup" is defined twice: here and at apps/dup/main.ts:3:3',
    ]);
  });

  test('a BigInt in an object fails its app at the construct, naming the field; nothing renders empty', async () => {
    const p = make({
      big: appSource(
        [
          "  new K.Workspace(scope, 'w2', { metadata: { name: 'w2', labels: { big: 10n } }, repo: 'https://github.com/o/r.git' });",
          "  new K.Workspace(scope, 'w3', { metadata: { name: 'w3' }, repo: 'https://github.com/o/r.git' });",
        ].join('\n'),
      ),
    });
    const result = await synthesize({ root: p.root });
    expect(result.status).toBe('failed');
    expect(appFailed(result)).toStrictEqual([
      'apps/big/main.ts:3:3 app big failed: /metadata/labels/big: a BigInt is no value a manifest can hold; write it as a number or a string',
    ]);
    expect(result.objects).toStrictEqual([]);
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(1);
    expect(p.files('dist')).toStrictEqual([]);
    // In the first of many objects, sent in a batch of its own before the app returns.
    p.write(
      'apps/big/main.ts',
      appSource(
        "  for (let i = 0; i < 600; i++) new K.Workspace(scope, 'w' + i, { metadata: { name: 'w' + i, ...(i === 0 && { labels: { big: 10n } }) }, repo: 'https://github.com/o/r.git' });",
      ),
    );
    const many = await synthesize({ root: p.root });
    expect(many.diagnostics.filter((d) => d.code === 'synth/app-failed').map((d) => d.message)).toStrictEqual(
      [
        'app big failed: /metadata/labels/big: a BigInt is no value a manifest can hold; write it as a number or a string',
      ],
    );
    expect(many.objects).toStrictEqual([]);
  });

  test('metadata that holds itself fails its app at the construct line, naming the object, not in cdk8s', async () => {
    const p = make({
      cycle: appSource(
        [
          "  const metadata = { name: 'loop' }; metadata.labels = { self: metadata };",
          "  new K.Workspace(scope, 'w', { metadata, repo: 'https://github.com/o/r.git' });",
        ].join('\n'),
      ),
    });
    const result = await synthesize({ root: p.root });
    expect(result.status).toBe('failed');
    const failed = result.diagnostics.filter((d) => d.code === 'synth/app-failed');
    expect(failed.map((d) => [formatLocation(d.source!), d.resource])).toStrictEqual([
      ['apps/cycle/main.ts:4:3', { kind: 'Workspace', name: 'loop' }],
    ]);
    expect(failed[0]?.message).toMatch(
      /^app cycle failed: could not be rendered: a value in its metadata or props holds itself \(a cycle\) or nests too deep; a manifest is a tree of plain JSON \(/,
    );
    expect(result.objects).toStrictEqual([]);
  });

  test("an app object's missing name names no document of a file the app never wrote, and says the name is empty", async () => {
    const p = make({
      empty: appSource(
        "  new K.Workspace(scope, 'w', { metadata: { name: '' }, repo: 'https://github.com/o/r.git' });",
      ),
    });
    const result = await synthesize({ root: p.root });
    // At the `name` key of the props.
    expect(
      result.diagnostics
        .filter((d) => d.code === 'manifest/name')
        .map((d) => `${formatLocation(d.source!)} ${d.message}`),
    ).toStrictEqual([
      'apps/empty/main.ts:3:45 metadata.name must be a non-empty string, got an empty string',
    ]);
  });

  test('a plain cdk8s app that synthesizes itself is told so, and writes nothing into the project', async () => {
    const p = make({
      plain: [
        `import { ApiObject, App, Chart } from '${REPO}/node_modules/cdk8s/lib/index.js';`,
        'const app = new App();',
        "new ApiObject(new Chart(app, 'c'), 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });",
        'app.synth();',
        // An outdir of its own is held back as well.
        "new App({ outdir: 'out' }).synth();",
        '',
      ].join('\n'),
    });
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "it made and synthesized a cdk8s App of its own (app.synth(), which kelos held back: nothing was written): build the charts' constructs in that function, on the scope kelos passes, and leave synth to kelos",
    );
    expect(p.files().filter((f) => f.startsWith('dist/') || f.startsWith('out/'))).toStrictEqual([]);
  });

  test("an app whose cdk8s is another copy than kelos' renders its tokens: the tree grows from the app's copy", async () => {
    const p = make({
      lazy: [
        "import { ApiObject, Lazy } from 'cdk8s';",
        'export default function build(scope) {',
        "  new ApiObject(scope, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: Lazy.any({ produce: () => 'made late' }) } });",
        '}',
        '',
      ].join('\n'),
    });
    // A project with its own cdk8s, as one run by a kelos installed elsewhere (npx, global) has.
    cpSync(join(REPO, 'node_modules/cdk8s'), join(p.root, 'node_modules/cdk8s'), { recursive: true });
    symlinkSync(join(REPO, 'node_modules/constructs'), join(p.root, 'node_modules/constructs'));
    const result = await synthesize({ root: p.root });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toStrictEqual([]);
    expect(result.objects.map((o) => o.object['data'])).toStrictEqual([{ a: 'made late' }]);
  });

  test('an app that npm\'s "type": "commonjs" makes CommonJS fails with a hint naming the fix; "module" or .mts runs it', async () => {
    const source = appSource(taskSource('fine'));
    const p = make({ platform: source });
    // What `npm init -y` writes with npm 11 in an existing repository.
    p.write('package.json', '{\n  "name": "existing",\n  "type": "commonjs"\n}\n');
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'apps/platform/main.ts:1:1: error app platform failed: Cannot use import statement outside a module [synth/app-failed]\n' +
        '    hint: package.json sets "type": "commonjs", so Node loads apps/platform/main.ts as CommonJS, where import and export are syntax errors (npm init writes "type": "commonjs"; kelos new writes "module"); run `npm pkg set type=module`, or name the file apps/platform/main.mts\n',
    );

    // Either fix runs the app.
    p.write('cdk8s.yaml', TEST_CONFIG.replace('apps/*/main.ts', 'apps/*/main.mts'));
    p.remove('apps/platform/main.ts');
    p.write('apps/platform/main.mts', source);
    expect((await kelos(['synth'], p.root)).code).toBe(0);
    p.write('cdk8s.yaml', TEST_CONFIG);
    p.remove('apps/platform/main.mts');
    p.write('apps/platform/main.ts', source);
    p.write('package.json', '{\n  "name": "existing",\n  "type": "module"\n}\n');
    expect((await kelos(['synth'], p.root)).code).toBe(0);

    // Another syntax error under "type": "commonjs" gets no such hint.
    p.write('package.json', '{ "type": "commonjs" }\n');
    p.write('apps/platform/main.ts', 'module.exports = function build( {};\n');
    const other = await kelos(['synth'], p.root);
    expect(other.code).toBe(1);
    expect(other.stdout).toContain('[synth/app-failed]');
    expect(other.stdout).not.toContain('hint:');
  });

  test('an async app that builds after an await is rendered', async () => {
    const p = make({
      later:
        `export default async function build(scope) {\n  await null;\n${appSource(taskSource('x')).split('\n').slice(2, -2).join('\n')}\n}\n`.replace(
          'export default async',
          `import * as K from '${REPO}/constructs/index.ts';\nexport default async`,
        ),
    });
    const result = await synthesize({ root: p.root });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toStrictEqual([]);
    expect(result.objects.map((o) => o.object['kind'])).toStrictEqual(['Task']);
  });
});

describe('syntaxSite', () => {
  test('reads the file and line from the header and the column from the caret', () => {
    const stack = [
      '/p/apps/a/main.ts:3',
      'function f() {',
      '  const x = ;',
      '            ^',
      '',
      'SyntaxError: x',
    ].join('\n');
    expect(syntaxSite(stack, '/p')).toStrictEqual({ file: 'apps/a/main.ts', line: 3, column: 13 });
  });
});
