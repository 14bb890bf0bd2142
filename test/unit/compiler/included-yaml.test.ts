import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { synthPolicyDiagnostics } from '../../../src/compiler/policy-step.ts';
import { synthesize } from '../../../src/compiler/synth.ts';
import type { Diagnostic } from '../../../src/validate/diagnostic.ts';
import { appSource, CDK8S, kelos, projectsDisposedAfterEach } from './project.ts';

const make = projectsDisposedAfterEach();

/**
 * A ConfigMap, then a Task whose agent type is not one (line 16, column 3) and whose effort the
 * built-in allowlist refuses (line 22, column 3).
 */
const LEGACY = [
  '# Kept from before the TypeScript app.',
  '---',
  '---',
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata:',
  '  name: notes',
  'data:',
  '  a: b',
  '---',
  'apiVersion: kelos.dev/v1alpha2',
  'kind: Task',
  'metadata:',
  '  name: legacy-fix',
  'spec:',
  '  type: nope',
  '  prompt: fix the bugs',
  '  credentials:',
  '    type: api-key',
  '    secretRef:',
  '      name: key',
  '  effort: extreme',
  '',
].join('\n');

/** A project whose app includes `url` with cdk8s's `Include`, and has LEGACY at legacy/tasks.yaml. */
const includeProject = (url = 'legacy/tasks.yaml') => {
  const p = make({
    legacy: `import { Include } from '${CDK8S}';\n${appSource(`  new Include(scope, 'legacy', { url: '${url}' });`)}`,
  });
  p.write('legacy/tasks.yaml', LEGACY);
  return p;
};

const RENDERED = 'dist/apps/legacy/task-legacy-fix.yaml';

const withCode = (diagnostics: readonly Diagnostic[], code: string): Diagnostic | undefined =>
  diagnostics.find((d) => d.code === code);

const jsonDiagnostics = (stdout: string): Diagnostic[] =>
  (JSON.parse(stdout) as { diagnostics: Diagnostic[] }).diagnostics;

describe('findings on objects a cdk8s Include read', { timeout: 60_000 }, () => {
  test('synth points a schema error at the offending field of the included file, as validate FILE does', async () => {
    const p = includeProject();
    const result = await synthesize({ root: p.root });
    const rendered = result.files.find((f) => f.path === RENDERED)?.content.split('\n') ?? [];
    expect(withCode(result.diagnostics, 'schema/enum')?.source).toStrictEqual({
      constructPath: 'legacy/legacy/legacy-fix-task',
      file: 'legacy/tasks.yaml',
      line: 16,
      column: 3,
      rendered: { file: RENDERED, line: rendered.indexOf('  type: nope') + 1, column: 3 },
    });
    const direct = await kelos(['validate', '--format', 'json', 'legacy/tasks.yaml'], p.root);
    expect(withCode(jsonDiagnostics(direct.stdout), 'schema/enum')?.source).toStrictEqual({
      file: 'legacy/tasks.yaml',
      line: 16,
      column: 3,
    });
  });

  test('validate with no paths points the schema error at the included file', async () => {
    const p = includeProject();
    const run = await kelos(['validate', '--format', 'json'], p.root);
    expect(run.code).toBe(2);
    const source = withCode(jsonDiagnostics(run.stdout), 'schema/enum')?.source;
    expect([source?.file, source?.line, source?.column]).toStrictEqual(['legacy/tasks.yaml', 16, 3]);
  });

  test('check points a policy finding at the offending field of the included file', async () => {
    const p = includeProject();
    const run = await kelos(['check', '--format', 'json'], p.root);
    expect(run.code).toBe(2);
    const rendered = (await synthesize({ root: p.root })).files.find((f) => f.path === RENDERED);
    // The rendered location is the field too, not the file's first line (its header comment).
    const line = rendered?.content.split('\n').indexOf('  effort: extreme') ?? -1;
    expect(line).toBeGreaterThan(0);
    expect(withCode(jsonDiagnostics(run.stdout), 'budget/effort-allowlist')?.source).toStrictEqual({
      constructPath: 'legacy/legacy/legacy-fix-task',
      file: 'legacy/tasks.yaml',
      line: 22,
      column: 3,
      rendered: { file: RENDERED, line: line + 1, column: 3 },
    });
  });

  test('synth points a policy finding on a field the included object lacks at its nearest parent there', async () => {
    const p = includeProject();
    const result = await synthesize({
      root: p.root,
      policyStep: (objects) => synthPolicyDiagnostics(p.root, objects),
    });
    const source = withCode(result.diagnostics, 'budget/active-deadline')?.source;
    // /spec/podOverrides/activeDeadlineSeconds: the file has /spec, on line 15.
    expect([source?.file, source?.line, source?.column]).toStrictEqual(['legacy/tasks.yaml', 15, 1]);
  });

  test('synth reports a field the schema refused once, as check does: no policy finding calls it unset beside the schema error', async () => {
    const p = includeProject();
    p.write(
      'legacy/tasks.yaml',
      LEGACY.replace('  type: nope\n', '  type: codex\n').replace(
        '  effort: extreme\n',
        '  podOverrides:\n    activeDeadlineSeconds: "3600"\n',
      ),
    );
    const result = await synthesize({
      root: p.root,
      policyStep: (objects) => synthPolicyDiagnostics(p.root, objects),
    });
    const at = result.diagnostics
      .filter((d) => d.path === '/spec/podOverrides/activeDeadlineSeconds')
      .map((d) => d.code);
    expect(at).toStrictEqual(['schema/type']);
  });

  test('an Include of a URL: the app line of the Include, the rendered file second', async () => {
    const server = createServer((_req, res) => res.end(LEGACY));
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    try {
      const { port } = server.address() as AddressInfo;
      const p = includeProject(`http://127.0.0.1:${port}/tasks.yaml`);
      const result = await synthesize({ root: p.root });
      expect(result.included.size).toBe(0);
      const source = withCode(result.diagnostics, 'schema/enum')?.source;
      const app = p.read('apps/legacy/main.ts').split('\n');
      const line = app.findIndex((l) => l.includes('new Include')) + 1;
      expect([source?.file, source?.line, source?.rendered?.file]).toStrictEqual([
        'apps/legacy/main.ts',
        line,
        RENDERED,
      ]);
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });

  test('a YAML syntax error in the included file is reported there, as kelos validate reports it, though cdk8s read the file', async () => {
    const p = includeProject();
    p.write('legacy/tasks.yaml', LEGACY.replace('  prompt: fix the bugs', '  prompt: "fix the bugs'));
    const result = await synthesize({ root: p.root });
    expect(result.status).toBe('violations');
    const validate = await kelos(['validate', 'legacy/tasks.yaml'], p.root);
    const syntax = withCode(result.diagnostics, 'yaml/parse');
    expect(syntax?.source).toStrictEqual({ file: 'legacy/tasks.yaml', line: 17, column: 11 });
    expect(validate.stdout).toContain(`legacy/tasks.yaml:17:11: error ${syntax?.message} [yaml/parse]`);
  });

  test('findings on an included file whose quote never closes are the ones kelos validate FILE reports, not those of what cdk8s made of it', async () => {
    const p = includeProject();
    const broken = [
      'apiVersion: kelos.dev/v1alpha2',
      'kind: Workspace',
      'metadata:',
      '  name: "api',
      'spec:',
      '  repo: https://github.com/o/r.git',
      '---',
      'apiVersion: kelos.dev/v1alpha2',
      'kind: Workspace',
      'metadata:',
      '  name: other',
      'spec:',
      '  repo: https://github.com/o/r.git',
      '  repoo: x',
      '',
    ].join('\n');
    p.write('legacy/tasks.yaml', broken);
    const result = await synthesize({ root: p.root });
    const validate = await kelos(['validate', '--format', 'json', 'legacy/tasks.yaml'], p.root);
    const key = (d: Diagnostic) => `${d.source?.file}:${d.source?.line}:${d.source?.column} ${d.code}`;
    expect(result.diagnostics.filter((d) => d.severity === 'error').map(key)).toStrictEqual(
      jsonDiagnostics(validate.stdout)
        .filter((d) => d.severity === 'error')
        .map(key),
    );
    expect(result.diagnostics.map(key)).toContain('legacy/tasks.yaml:14:3 schema/unknown-field');
  });

  test('kelos check runs no policy on what cdk8s made of an included file whose quote never closes', async () => {
    const p = includeProject();
    p.write(
      'legacy/tasks.yaml',
      [
        'apiVersion: kelos.dev/v1alpha2',
        'kind: Task',
        'metadata:',
        '  name: "api',
        'spec:',
        '  prompt: p',
        '---',
        'apiVersion: kelos.dev/v1alpha2',
        'kind: Task',
        'metadata:',
        '  name: other',
        'spec:',
        '  type: codex',
        '  prompt: "p"',
        '  credentials: { type: api-key, secretRef: { name: key } }',
        '',
      ].join('\n'),
    );
    const run = await kelos(['check', '--format', 'json'], p.root);
    expect(run.code).toBe(2);
    // cdk8s reads the name on to the next quote, in the next document; findings on that Task
    // named nothing the file declares.
    // What is reported is what synth reports: the quote, as kelos validate FILE reads it.
    expect(
      jsonDiagnostics(run.stdout).map((d) => `${d.source?.file}:${d.source?.line} ${d.code}`),
    ).toStrictEqual(['legacy/tasks.yaml:4 yaml/parse']);
  });

  test('an Include of an alias bomb fails the app, naming the bound', async () => {
    const p = includeProject();
    p.write(
      'legacy/tasks.yaml',
      'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
    );
    const result = await synthesize({ root: p.root });
    expect(result.status).toBe('failed');
    const failed = withCode(result.diagnostics, 'synth/app-failed');
    expect(failed?.source?.file).toBe('apps/legacy/main.ts');
    expect(failed?.message).toMatch(
      /^app legacy failed: YAML it read \(an Include\?\) has aliases that expand beyond .*maxAliasCount 100/,
    );
  });

  test('an Include of a file that does not exist fails the app at its line, in words', async () => {
    const p = includeProject('legacy/nope.yaml');
    const result = await synthesize({ root: p.root });
    expect(result.status).toBe('failed');
    expect(result.diagnostics.map((d) => [d.source?.file, d.source?.line, d.message])).toStrictEqual([
      [
        'apps/legacy/main.ts',
        4,
        'app legacy failed: cannot include legacy/nope.yaml: no such file, and not an http(s) URL (a path is read relative to the project root, where synth runs the app)',
      ],
    ]);
  });
});
