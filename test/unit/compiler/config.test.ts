import { describe, expect, test } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, parseConfig } from '../../../src/compiler/config.ts';

describe('parseConfig', () => {
  test('an empty file means the defaults', () => {
    expect(parseConfig('')).toStrictEqual(DEFAULT_CONFIG);
  });

  test('reads the cdk8s app and the kelos section', () => {
    expect(
      parseConfig(
        'language: typescript\napp: node main.ts\noutput: x\nkelos:\n  apps: [a/*.ts]\n  outdir: out\n  crds: false\n',
      ),
    ).toStrictEqual({ app: 'node main.ts', runApp: true, apps: ['a/*.ts'], outdir: 'out' });
  });

  test('runApp is false without an app, or when the kelos section says so', () => {
    expect(parseConfig('kelos: { runApp: true }').runApp).toBe(false);
    expect(parseConfig('app: node m.ts\nkelos: { runApp: false }').runApp).toBe(false);
  });

  test.each([
    [
      'kelos:\n  outDir: x\n',
      'cdk8s.yaml: unknown key kelos.outDir (known: apps, outdir, crds, runApp, bundles, argocdHealthChecks, preview)',
    ],
    ['kelos:\n  apps: examples\n', 'cdk8s.yaml: kelos.apps must be a list of globs'],
    ['kelos:\n  crds: true\n', 'cdk8s.yaml: kelos.crds must be a directory or false'],
    ['kelos:\n  runApp: yes please\n', 'cdk8s.yaml: kelos.runApp must be true or false'],
    ['app: 3\n', 'cdk8s.yaml: app must be a command string'],
    ['- a\n', 'cdk8s.yaml: expected a mapping at the top level'],
    [
      'a: [\n',
      'cdk8s.yaml: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1:',
    ],
  ])('rejects %j', (text, message) => {
    expect(() => parseConfig(text)).toThrow(new ConfigError(message));
  });
});

describe('parseConfig: bundles and the health-check layout', () => {
  test('reads bundles, each with its own output directory, and the Argo CD layout directory', () => {
    expect(
      parseConfig(
        'kelos:\n  bundles:\n    - { app: a/app.ts, outdir: dist/a }\n  argocdHealthChecks: dist/argocd/resource_customizations\n',
      ),
    ).toMatchObject({
      bundles: [{ app: 'a/app.ts', outdir: 'dist/a' }],
      argocdHealthChecksDir: 'dist/argocd/resource_customizations',
    });
  });

  test.each([
    ['kelos:\n  bundles: x\n'],
    ['kelos:\n  bundles:\n    - { app: a.ts }\n'],
    ['kelos:\n  bundles:\n    - { app: a.ts, outdir: d, extra: 1 }\n'],
  ])('rejects %j, naming the key', (text: string) => {
    expect(() => parseConfig(text)).toThrow(
      /kelos\.bundles must be a list of \{app: <module>, outdir: <directory>\}/,
    );
  });
});
