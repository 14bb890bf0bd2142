/**
 * Synth removes only what it wrote: output directories that hold sources are refused, files in
 * the output tree that synth did not write are kept and reported.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { RECORD_FILE } from '../../../src/compiler/output.ts';
import { appSource, kelos, projectsDisposedAfterEach, taskSource } from './project.ts';

const make = projectsDisposedAfterEach();

const APPS = { 'issue-worker': appSource(taskSource('fix')), other: appSource(taskSource('other')) };
const config = (outdir: string, extra = '') =>
  `kelos:\n  apps: [apps/*/main.ts]\n  outdir: ${outdir}\n  crds: false\n${extra}`;

describe('output directories', { timeout: 60_000 }, () => {
  test.each([
    ['apps', 'which holds the app source apps/issue-worker/main.ts'],
    ['.', 'which is the project root'],
    ['..', 'which is outside the project'],
    ['apps/issue-worker/out', 'which is inside apps/issue-worker, the directory of the app source'],
    ['lib', 'which holds lib/helper.ts, which synth never writes'],
    ['node_modules/out', 'which is inside node_modules'],
  ])(
    'outdir %s is refused before anything runs, naming the setting; no file is touched',
    async (outdir, why) => {
      const p = make(APPS, config(outdir));
      p.write('apps/NOTES.md', 'my notes\n');
      p.write('lib/helper.ts', 'export const x = 1;\n');
      const before = p.files();
      for (const argv of [['synth'], ['synth', '--check']]) {
        const run = await kelos(argv, p.root);
        expect(run.code).toBe(1);
        expect(run.stderr).toContain(`kelos: cdk8s.yaml kelos.outdir is "${outdir}", ${why}`);
        expect(run.stderr).toContain('inside the project and apart from the sources (such as dist/apps)');
      }
      expect(p.files()).toStrictEqual(before);
      expect(p.read('apps/NOTES.md')).toBe('my notes\n');
    },
  );

  test('every output setting is checked, and named: a bundle, the CRDs, the preview', async () => {
    const p = make(
      APPS,
      config('dist/apps', '  bundles:\n    - { app: apps/other/main.ts, outdir: apps/other }\n'),
    );
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'cdk8s.yaml kelos.bundles[0].outdir is "apps/other", which holds the app source',
    );
    const crds = make(APPS, config('dist/apps').replace('crds: false', 'crds: apps'));
    expect((await kelos(['synth'], crds.root)).stderr).toContain('cdk8s.yaml kelos.crds is "apps"');
    const preview = make(APPS, config('dist/apps', '  preview: apps\n'));
    expect((await kelos(['synth'], preview.root)).stderr).toContain('cdk8s.yaml kelos.preview is "apps"');
  });

  test('no output directory inside or around kelos.outdir, where every directory is one app', async () => {
    // The ApplicationSet makes an Application of every directory under kelos.outdir.
    const inside = make(APPS, config('dist/apps').replace('crds: false', 'crds: dist/apps/crds'));
    const run = await kelos(['synth'], inside.root);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'cdk8s.yaml kelos.crds is "dist/apps/crds", which is inside cdk8s.yaml kelos.outdir "dist/apps", where every directory is an app',
    );
    const around = make(APPS, config('dist').replace('crds: false', 'crds: dist/crds'));
    expect((await kelos(['synth'], around.root)).stderr).toContain(
      'cdk8s.yaml kelos.crds is "dist/crds", which is inside cdk8s.yaml kelos.outdir "dist"',
    );
    const under = make(
      APPS,
      config('dist/install/apps', '  bundles:\n    - { app: apps/other/main.ts, outdir: dist/install }\n'),
    );
    expect((await kelos(['synth'], under.root)).stderr).toContain(
      'cdk8s.yaml kelos.outdir is "dist/install/apps", which is inside cdk8s.yaml kelos.bundles[0].outdir "dist/install", another output directory',
    );
  });

  test("outdir dist, cdk8s' default, synthesizes with the CRDs elsewhere; the default dist/crds and --preview, which would be apps there, are refused with the way out", async () => {
    const defaults = make(APPS, config('dist').replace('  crds: false\n', ''));
    const refused = await kelos(['synth'], defaults.root);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'kelos: cdk8s.yaml kelos.crds is "dist/crds", which is inside cdk8s.yaml kelos.outdir "dist", where every directory is an app (kelos.crds defaults to dist/crds); set it outside, or set cdk8s.yaml kelos.outdir to a directory of its own such as dist/apps;',
    );
    const p = make(APPS, config('dist'));
    const run = await kelos(['synth'], p.root);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(p.files()).toContain('dist/issue-worker/kustomization.yaml');
    const before = p.files();
    const preview = await kelos(['synth', '--preview'], p.root);
    expect(preview.code).toBe(1);
    expect(preview.stderr).toContain(
      'kelos: --preview (writes dist/preview; kelos.preview in cdk8s.yaml names another directory) is "dist/preview", which is inside cdk8s.yaml kelos.outdir "dist", where every directory is an app; set it outside',
    );
    expect(p.files()).toStrictEqual(before);
  });
});

describe('files synth did not write', { timeout: 60_000 }, () => {
  test('are kept and reported as output/foreign-file, by synth and by --check alike', async () => {
    const p = make(APPS);
    p.write('dist/apps/legacy/task.yaml', 'apiVersion: kelos.dev/v1alpha2\nkind: Task\n');
    p.write('dist/apps/issue-worker/README.md', 'notes\n');
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'dist/apps/issue-worker/README.md: warning kelos synth did not write this file (it is not in .kelos-synth.json), so synth leaves it alone; Argo CD applies it if its directory is synced and has no kustomization.yaml (the directories synth writes have one, which does not list it)',
    );
    expect(run.stdout).toContain('dist/apps/legacy/task.yaml: warning kelos synth did not write this file');
    expect(run.stdout).toContain('[output/foreign-file]');
    expect(run.stdout).toMatch(/\(4 written, 0 removed, 0 unchanged\)/);
    expect(p.read('dist/apps/legacy/task.yaml')).toBe('apiVersion: kelos.dev/v1alpha2\nkind: Task\n');
    expect(p.read('dist/apps/issue-worker/README.md')).toBe('notes\n');
    // Not drift: a write would leave them as they are.
    const check = await kelos(['synth', '--check', '--format', 'json'], p.root);
    expect(check.code).toBe(0);
    const report = JSON.parse(check.stdout);
    expect(report.drift).toStrictEqual([]);
    expect(
      report.diagnostics
        .filter((d: { code: string }) => d.code === 'output/foreign-file')
        .map((d: { source: { file: string } }) => d.source.file),
    ).toStrictEqual(['dist/apps/issue-worker/README.md', 'dist/apps/legacy/task.yaml']);
    // Still there after another run, and after the app next to them is gone.
    p.remove('apps/issue-worker');
    const again = await kelos(['synth'], p.root);
    expect(again.code).toBe(0);
    expect(p.files('dist')).toStrictEqual([
      'dist/apps/issue-worker/README.md',
      'dist/apps/legacy/task.yaml',
      'dist/apps/other/kustomization.yaml',
      'dist/apps/other/task-other.yaml',
    ]);
  });

  test("one with synth's header that the record does not list (a record restored from git) is kept, and the warning says why", async () => {
    const p = make(APPS);
    expect((await kelos(['synth'], p.root)).code).toBe(0);
    const task = p.read('dist/apps/other/task-other.yaml');
    // The app is gone, and the record no longer lists its file (a record taken from git).
    p.remove('apps/other');
    const record = JSON.parse(p.read(RECORD_FILE)) as { files: Record<string, string> };
    delete record.files['dist/apps/other/task-other.yaml'];
    p.write(RECORD_FILE, `${JSON.stringify(record, null, 2)}\n`);
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "dist/apps/other/task-other.yaml: warning this file starts with kelos synth's header but .kelos-synth.json does not list it (was the record restored from git after a run wrote the file?), so synth keeps it rather than remove a file it cannot tell is its own as written; Argo CD applies it",
    );
    expect(p.read('dist/apps/other/task-other.yaml')).toBe(task);
  });

  test('the record lists what synth wrote; a stale recorded file is removed, unless it was changed since', async () => {
    const p = make(APPS);
    expect((await kelos(['synth'], p.root)).code).toBe(0);
    expect(Object.keys(JSON.parse(p.read(RECORD_FILE)).files)).toStrictEqual([
      'dist/apps/issue-worker/kustomization.yaml',
      'dist/apps/issue-worker/task-fix.yaml',
      'dist/apps/other/kustomization.yaml',
      'dist/apps/other/task-other.yaml',
    ]);
    p.write('dist/apps/other/task-other.yaml', `${p.read('dist/apps/other/task-other.yaml')}# my note\n`);
    p.remove('apps/other');
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'dist/apps/other/task-other.yaml: warning kelos synth wrote this file and no longer does, but it was changed since, so synth keeps it',
    );
    expect(run.stdout).toContain('(0 written, 1 removed, 2 unchanged)');
    expect(p.files('dist')).toStrictEqual([
      'dist/apps/issue-worker/kustomization.yaml',
      'dist/apps/issue-worker/task-fix.yaml',
      'dist/apps/other/task-other.yaml',
    ]);
    // Kept files leave the record: synth no longer claims them.
    expect(Object.keys(JSON.parse(p.read(RECORD_FILE)).files)).toStrictEqual([
      'dist/apps/issue-worker/kustomization.yaml',
      'dist/apps/issue-worker/task-fix.yaml',
    ]);
  });

  test('the output of an old outdir is removed when the outdir changes; files there synth did not write stay', async () => {
    const p = make(APPS);
    expect((await kelos(['synth'], p.root)).code).toBe(0);
    p.write('dist/apps/mine.yaml', 'kind: ConfigMap\n');
    p.write('cdk8s.yaml', config('dist/fleet'));
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('(4 written, 4 removed, 0 unchanged)');
    expect(p.files('dist')).toStrictEqual([
      'dist/apps/mine.yaml',
      'dist/fleet/issue-worker/kustomization.yaml',
      'dist/fleet/issue-worker/task-fix.yaml',
      'dist/fleet/other/kustomization.yaml',
      'dist/fleet/other/task-other.yaml',
    ]);
  });

  test('an edited record cannot make synth remove a file outside its output directories', async () => {
    const p = make(APPS);
    expect((await kelos(['synth'], p.root)).code).toBe(0);
    p.write('manifests/prod.yaml', 'kind: ConfigMap\n');
    const record = JSON.parse(p.read(RECORD_FILE)) as { files: Record<string, string> };
    const digest = (text: string) => createHash('sha256').update(text).digest('hex');
    record.files['kelos.policy.yaml'] = digest(p.read('kelos.policy.yaml'));
    record.files['manifests/prod.yaml'] = digest('kind: ConfigMap\n');
    p.write(RECORD_FILE, `${JSON.stringify(record, null, 2)}\n`);
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(0);
    expect(p.read('kelos.policy.yaml')).toBe('synth: report\n');
    expect(p.read('manifests/prod.yaml')).toBe('kind: ConfigMap\n');
    // The record no longer lists them.
    expect(Object.keys((JSON.parse(p.read(RECORD_FILE)) as { files: object }).files)).not.toContain(
      'kelos.policy.yaml',
    );
  });

  test('a file synth did not write where the output must go stops the run; nothing is written', async () => {
    const p = make(APPS);
    expect((await kelos(['synth'], p.root)).code).toBe(0);
    p.write('apps/third/main.ts', appSource(taskSource('third')));
    p.write('dist/apps/third/task-third.yaml', 'kind: Task # my own\n');
    for (const argv of [['synth'], ['synth', '--check']]) {
      const run = await kelos(argv, p.root);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        'kelos: dist/apps/third/task-third.yaml was not written by kelos synth (not in .kelos-synth.json, no generated header), and synth would now write its own output there',
      );
    }
    expect(p.read('dist/apps/third/task-third.yaml')).toBe('kind: Task # my own\n');
    expect(existsSync(join(p.root, 'dist/apps/third/kustomization.yaml'))).toBe(false);
  });

  test('first run without a record: files with synth header are synth own, others are kept', async () => {
    const p = make(APPS);
    p.write(
      'dist/apps/gone/task-old.yaml',
      '# Generated by kelos synth from apps/gone/main.ts. Do not edit.\nkind: Task\n',
    );
    p.write('dist/apps/gone/extra.yaml', 'kind: ConfigMap\n');
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(0);
    expect(p.files('dist/apps/gone')).toStrictEqual(['dist/apps/gone/extra.yaml']);
    expect(run.stdout).toContain('dist/apps/gone/extra.yaml: warning kelos synth did not write this file');
  });

  test('without a record, a hand-written file where synth must write stops the run too; it is kept', async () => {
    const p = make(APPS);
    expect((await kelos(['synth'], p.root)).code).toBe(0);
    p.remove(RECORD_FILE);
    p.write('dist/apps/issue-worker/task-fix.yaml', 'kind: Task # hand-written\n');
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'kelos: dist/apps/issue-worker/task-fix.yaml was not written by kelos synth',
    );
    expect(p.read('dist/apps/issue-worker/task-fix.yaml')).toBe('kind: Task # hand-written\n');
  });

  test('an unreadable record is an error naming it; nothing is written', async () => {
    const p = make(APPS);
    p.write(RECORD_FILE, '{"version": 1, "files": {"../outside.txt": "0"}}\n');
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'kelos: .kelos-synth.json: "../outside.txt" is not a path inside the project',
    );
    expect(p.files('dist')).toStrictEqual([]);
  });
});
