/**
 * A `kelos.apps` pattern that matches nothing stops synth (exit 1) instead of rendering the
 * apps it meant as gone, which would remove their output and let Argo CD prune them.
 */
import { describe, expect, test } from 'vitest';
import { synthesize } from '../../../src/compiler/synth.ts';
import { appSource, CDK8S, kelos, projectsDisposedAfterEach, TEST_CONFIG, taskSource } from './project.ts';

const make = projectsDisposedAfterEach();

const APPS = { 'issue-worker': appSource(taskSource('fix')), other: appSource(taskSource('other')) };

describe('kelos.apps patterns', { timeout: 60_000 }, () => {
  test('a pattern that matches no file is an error naming it; nothing is written or removed', async () => {
    const p = make(APPS);
    expect((await kelos(['synth'], p.root)).code).toBe(0);
    const before = Object.fromEntries(p.files('dist').map((f) => [f, p.read(f)]));
    p.write(
      'cdk8s.yaml',
      TEST_CONFIG.replace('apps: [apps/*/main.ts]', 'apps: [apps/issue-worker/main.ts, apps/*/mian.ts]'),
    );
    for (const argv of [['synth'], ['synth', '--check'], ['synth', '--stdout']]) {
      const run = await kelos(argv, p.root);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        'kelos: cdk8s.yaml: kelos.apps pattern "apps/*/mian.ts" matches no file (relative to cdk8s.yaml); nothing was written or removed, as synth would have removed the output of the apps it meant. Correct the pattern, or remove it from kelos.apps\n',
      );
    }
    expect(Object.fromEntries(p.files('dist').map((f) => [f, p.read(f)]))).toStrictEqual(before);
  });

  test('the default pattern may match nothing when a bundle runs; with nothing to run it is an error', async () => {
    const p = make({}, 'kelos:\n  crds: false\n');
    const none = await kelos(['synth'], p.root);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(
      'kelos: cdk8s.yaml: no app to synthesize: kelos.apps is not set, and its default "examples/*/main.ts" matches no file',
    );
    p.write(
      'cdk8s.yaml',
      'kelos:\n  crds: false\n  bundles:\n    - { app: bundle/app.ts, outdir: dist/bundle }\n',
    );
    p.write('bundle/app.ts', appSource(taskSource('b')));
    const bundle = await kelos(['synth'], p.root);
    expect(bundle.code).toBe(0);
    expect(p.files('dist')).toStrictEqual(['dist/bundle/kustomization.yaml', 'dist/bundle/task-b.yaml']);
    // --app selects bundles too, so an unknown one lists them.
    expect((await kelos(['synth', '--app', 'nope'], p.root)).stderr).toBe(
      'kelos: no app named "nope"; apps: none; bundles: bundle\n',
    );
  });

  test('an Application syncing a bundle left out of --app is not reported as syncing what synth does not write', async () => {
    const p = make(
      {},
      'kelos:\n  crds: false\n  bundles:\n    - { app: bundle/install.ts, outdir: dist/install }\n    - { app: bundle/argocd.ts, outdir: dist/argocd }\n',
    );
    p.write('bundle/install.ts', appSource(taskSource('b')));
    p.write(
      'bundle/argocd.ts',
      `import { ApiObject } from '${CDK8S}';\nexport default function build(scope) {\n  new ApiObject(scope, 'install', { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'install', namespace: 'argocd' }, spec: { source: { repoURL: 'https://github.com/acme/fleet.git', path: 'dist/install' } } });\n}\n`,
    );
    const result = await synthesize({ root: p.root, apps: ['argocd'] });
    expect(result.diagnostics.filter((d) => d.code === 'argocd/path-not-rendered')).toStrictEqual([]);
    // A path no bundle writes is still reported.
    p.write(
      'bundle/argocd.ts',
      p.read('bundle/argocd.ts').replace("path: 'dist/install'", "path: 'dist/nowhere'"),
    );
    const moved = await synthesize({ root: p.root, apps: ['argocd'] });
    expect(moved.diagnostics.filter((d) => d.code === 'argocd/path-not-rendered')).toHaveLength(1);
  });

  test('an empty or comment-only cdk8s.yaml is an error and removes nothing', async () => {
    const p = make(APPS);
    expect((await kelos(['synth'], p.root)).code).toBe(0);
    const before = Object.fromEntries(p.files('dist').map((f) => [f, p.read(f)]));
    expect(Object.keys(before)).toContain('dist/apps/issue-worker/task-fix.yaml');
    for (const [config, why] of [
      ['', 'kelos.apps is not set, and its default "examples/*/main.ts" matches no file'],
      ['# to do\n', 'kelos.apps is not set, and its default "examples/*/main.ts" matches no file'],
    ] as const) {
      p.write('cdk8s.yaml', config);
      for (const argv of [['synth'], ['validate'], ['check']]) {
        const run = await kelos(argv, p.root);
        expect([argv[0], run.code, run.stderr]).toStrictEqual([
          argv[0],
          1,
          `kelos: cdk8s.yaml: no app to synthesize: ${why}; nothing was written or removed. Set kelos.apps to the globs of your app modules (e.g. apps/*/main.ts)\n`,
        ]);
      }
    }
    expect(Object.fromEntries(p.files('dist').map((f) => [f, p.read(f)]))).toStrictEqual(before);
    // No cdk8s.yaml at all says so, rather than that a key of it is not set.
    p.remove('cdk8s.yaml');
    const missing = await kelos(['synth'], p.root);
    expect([missing.code, missing.stderr]).toStrictEqual([
      1,
      `kelos: no cdk8s.yaml in ${p.root}, so no app to synthesize; nothing was written or removed. Run kelos synth where your cdk8s.yaml is (or below it, inside its git repository), or create one with a kelos.apps list of your app modules (kelos new writes a whole project)\n`,
    ]);
  });
});
