import { describe, expect, test } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, parseConfig } from '../../../src/compiler/config.ts';

describe('parseConfig', () => {
  test('an alias bomb is refused naming the bound', () => {
    expect(() =>
      parseConfig(
        'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
      ),
    ).toThrow(
      /^cdk8s\.yaml: cannot be read: its aliases expand beyond the bound on alias expansion \(maxAliasCount: 100\)/,
    );
  });

  test('a tab is named at its line and column, in the words kelos validate uses, with the fix', () => {
    expect(() => parseConfig('kelos:\n\tapps: [a.ts]\n')).toThrow(
      new ConfigError(
        'cdk8s.yaml:2:1: not valid YAML: YAML indents with spaces only (Tabs are not allowed as indentation); replace the tabs at the start of the line with spaces',
      ),
    );
  });

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
      'cdk8s.yaml: unknown key kelos.outDir; did you mean kelos.outdir? (known: apps, outdir, crds, runApp, bundles, argocdHealthChecks, preview)',
    ],
    // A misspelt section would leave every setting at its default; cdk8s' own keys pass.
    [
      'app: node m.ts\noutput: out\nkelso:\n  apps: [m.ts]\n',
      'cdk8s.yaml: unknown key kelso; did you mean kelos?',
    ],
    ['kelos:\n  apps: examples\n', 'cdk8s.yaml: kelos.apps must be a list of globs'],
    ['kelos:\n  crds: true\n', 'cdk8s.yaml: kelos.crds must be a directory or false'],
    ['kelos:\n  runApp: yes please\n', 'cdk8s.yaml: kelos.runApp must be true or false'],
    ['app: 3\n', 'cdk8s.yaml: app must be a command string'],
    ['- a\n', 'cdk8s.yaml: expected a mapping at the top level'],
    [
      'a: [\n',
      'cdk8s.yaml:1:4: not valid YAML: the [ that opens here is not closed (or a line inside it is indented less than its key) (Flow sequence in block collection must be sufficiently indented and end with a ]); close the list or mapping on the line it ends, or write it as an indented block',
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
