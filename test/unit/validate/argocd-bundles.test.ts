/**
 * Loose manifests bundled as Argo CD syncs them: upstream's examples moved into a GitOps
 * repository as `manifests/<example>/*.yaml`, with the Applications or ApplicationSet that sync
 * them, validated and checked by the real CLI on real files in a real git repository.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { BUNDLES_UNEVALUATED, TTL_UNEVALUATED } from '../../../src/validate/argocd-paths.ts';
import { loadBundles } from '../../../src/validate/kustomization.ts';
import { kelos } from './run-cli.ts';

const EXAMPLES = '/work/shared/compat/kelos-examples';
const noStdin = async () => '';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/**
 * A repository (`git init`, unless `git: false`) holding upstream's examples under `manifests/`
 * and the files `extra` names, `{path: text}`.
 */
const repository = (extra: Record<string, string>, options: { git?: boolean } = {}): string => {
  const root = mkdtempSync(join(tmpdir(), 'kelos-argo-bundles-'));
  dirs.push(root);
  if (options.git !== false) execFileSync('git', ['init', '-q', root]);
  for (const example of readdirSync(EXAMPLES))
    cpSync(join(EXAMPLES, example), join(root, 'manifests', example), { recursive: true });
  for (const [path, text] of Object.entries(extra)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
};

/**
 * An ApplicationSet over the git directories `path`; `source` replaces its template's one source
 * (YAML lines under `spec:` of the template, indented by six spaces).
 */
const applicationSet = (
  path: string,
  namespace = '{{.path.basename}}',
  source = `      source:
        repoURL: https://github.com/my-org/gitops.git
        targetRevision: HEAD
        path: '{{.path.path}}'`,
) => `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: examples
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - git:
        repoURL: https://github.com/my-org/gitops.git
        revision: HEAD
        directories:
          - path: '${path}'
  template:
    metadata:
      name: '{{.path.basename}}'
    spec:
      project: default
${source}
      destination:
        server: https://kubernetes.default.svc
        namespace: '${namespace}'
      syncPolicy:
        syncOptions: [CreateNamespace=true]
`;

const application = (name: string, path: string, recurse: boolean) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/my-org/gitops.git
    targetRevision: HEAD
    path: ${path}
${recurse ? '    directory:\n      recurse: true\n' : ''}  destination:
    server: https://kubernetes.default.svc
    namespace: examples
  syncPolicy:
    syncOptions: [CreateNamespace=true]
`;

interface Finding {
  code: string;
  severity: string;
  message: string;
  path: string;
  source?: { file: string };
  resource?: { kind: string; name: string };
}

/** The findings of `kelos <command> <paths> --format json` in `cwd`, and its exit code. */
const run = async (command: 'validate' | 'check', paths: string[], cwd: string) => {
  const result = await kelos([command, ...paths, '--format', 'json'], { cwd });
  expect(result.stderr).toBe('');
  return { code: result.code, found: (JSON.parse(result.stdout) as { diagnostics: Finding[] }).diagnostics };
};

/** The `argocd/path-not-evaluated` findings: severity, JSON pointer and message. */
const notEvaluated = (found: readonly Finding[]) =>
  found.filter((d) => d.code === 'argocd/path-not-evaluated').map((d) => [d.severity, d.path, d.message]);

const codes = (found: readonly Finding[], prefix: string) =>
  found.filter((d) => d.code.startsWith(prefix)).map((d) => `${d.source?.file}: ${d.code}`);

describe('loose manifests bundled by the Argo CD objects that sync them', () => {
  test('an ApplicationSet over manifests/* makes each example directory its own bundle: no bundle/duplicate between them', async () => {
    const root = repository({ 'argocd/examples.yaml': applicationSet('manifests/*') });
    const { found } = await run('validate', ['manifests/', 'argocd/'], root);
    // Each app deploys into its own namespace ({{.path.basename}}): nothing two apps share.
    expect(codes(found, 'bundle/')).toStrictEqual([
      // 10 and 17 both name namespace "default" themselves: two Applications own that Workspace.
      'manifests/17-taskspawner-ci-remediation/taskspawner.yaml: bundle/shared',
    ]);
    // An object that names no namespace is read where Argo CD puts it: its destination's.
    expect(
      found.find(
        (d) =>
          d.code === 'ref/secret-external' && d.source?.file === 'manifests/06-fork-workflow/workspace.yaml',
      )?.message,
    ).toContain('namespace "06-fork-workflow"');

    const loaded = await loadBundles(['manifests/', 'argocd/'], noStdin, root);
    expect(loaded.bundles.map((b) => [b.name, b.syncedBy])).toStrictEqual([
      ...readdirSync(EXAMPLES)
        .sort()
        .map((example) => [`manifests/${example}`, ['Argo CD ApplicationSet "examples"']]),
      // The ApplicationSet itself: synced by no Application of the run.
      ['', undefined],
    ]);
  });

  test('one destination namespace for every app: the apps fight over the Secrets they both define (bundle/conflict), not bundle/duplicate', async () => {
    const root = repository({ 'argocd/examples.yaml': applicationSet('manifests/*', 'kelos') });
    const { found } = await run('validate', ['manifests/', 'argocd/'], root);
    expect(codes(found, 'bundle/duplicate')).toStrictEqual([]);
    expect(codes(found, 'bundle/conflict')).toContain(
      'manifests/05-task-with-agentconfig/github-token-secret.yaml: bundle/conflict',
    );
  });

  test('a destination namespace that cannot be told offline (a function) is not read as default: no bundle/conflict between the apps', async () => {
    const root = repository({
      'argocd/examples.yaml': applicationSet('manifests/*', '{{ .path.basename | lower }}'),
    });
    const { found } = await run('validate', ['manifests/', 'argocd/'], root);
    expect(codes(found, 'bundle/conflict')).toStrictEqual([]);
    expect(codes(found, 'bundle/duplicate')).toStrictEqual([]);
  });

  test('without an Argo CD object the loose manifests stay one bundle, as before', async () => {
    const root = repository({});
    const { found, code } = await run('validate', ['manifests/'], root);
    expect(codes(found, 'bundle/duplicate')).toContain(
      'manifests/05-task-with-agentconfig/github-token-secret.yaml: bundle/duplicate',
    );
    expect(found.find((d) => d.code === 'bundle/duplicate')?.message).toMatch(/is defined twice/);
    expect(code).toBe(2);
    const loaded = await loadBundles(['manifests/'], noStdin, root);
    expect(loaded.bundles.map((b) => b.name)).toStrictEqual(['']);
  });

  test('an Application whose directory source recurses over manifests/ syncs every example as one bundle', async () => {
    const root = repository({ 'argocd/examples.yaml': application('examples', 'manifests', true) });
    const { found } = await run('validate', ['manifests/', 'argocd/'], root);
    expect(codes(found, 'bundle/duplicate')).toContain(
      'manifests/05-task-with-agentconfig/github-token-secret.yaml: bundle/duplicate',
    );
    const loaded = await loadBundles(['manifests/', 'argocd/'], noStdin, root);
    expect(loaded.bundles.map((b) => [b.name, b.syncedBy])).toStrictEqual([
      ['manifests', ['Argo CD Application "examples"']],
      ['', undefined],
    ]);
  });

  test('an Application over manifests/ that does not recurse syncs none of the example directories: they stay outside', async () => {
    const root = repository({
      'argocd/examples.yaml': application('examples', 'manifests', false),
      'argocd/simple.yaml': application('simple', 'manifests/01-simple-task', false),
    });
    const loaded = await loadBundles(['manifests/', 'argocd/'], noStdin, root);
    expect(loaded.bundles.map((b) => b.name)).toStrictEqual(['manifests/01-simple-task', '']);
    expect(
      loaded.bundles[1]?.documents.some((d) => d.file === 'manifests/02-task-with-workspace/workspace.yaml'),
    ).toBe(true);
  });

  test('a kustomization root stays its own bundle, whatever the ApplicationSet', async () => {
    const root = repository({
      'argocd/examples.yaml': applicationSet('manifests/*'),
      'manifests/02-task-with-workspace/kustomization.yaml':
        'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [workspace.yaml, task.yaml]\n',
    });
    const loaded = await loadBundles(['manifests/', 'argocd/'], noStdin, root);
    const kustomized = loaded.bundles.find((b) => b.name === 'manifests/02-task-with-workspace');
    expect(kustomized?.syncedBy).toBeUndefined();
    expect(kustomized?.documents.map((d) => d.file)).toStrictEqual([
      'manifests/02-task-with-workspace/workspace.yaml',
      'manifests/02-task-with-workspace/task.yaml',
    ]);
    expect(loaded.bundles.filter((b) => b.syncedBy).length).toBe(readdirSync(EXAMPLES).length - 1);
  });

  test('outside a git repository, Argo CD paths are read relative to the working directory', async () => {
    const root = repository({ 'argocd/examples.yaml': applicationSet('manifests/*') }, { git: false });
    const { found } = await run('validate', ['manifests/', 'argocd/'], root);
    expect(codes(found, 'bundle/duplicate')).toStrictEqual([]);
    // From the directory above, manifests/* names no directory it reads.
    const above = await run('validate', [join(root, 'manifests'), join(root, 'argocd')], dirname(root));
    expect(codes(above.found, 'bundle/duplicate').length).toBeGreaterThan(0);
  });

  test('a directory pattern of generator parameters keeps the loose manifests one bundle, and an info says so', async () => {
    const root = repository({ 'argocd/examples.yaml': applicationSet('{{.cluster}}/*') });
    const { found } = await run('validate', ['manifests/', 'argocd/'], root);
    expect(codes(found, 'bundle/duplicate').length).toBeGreaterThan(0);
    expect(notEvaluated(found)).toStrictEqual([
      [
        'info',
        '/spec/generators/0/git/directories/0/path',
        'ApplicationSet "examples" generates Applications from the git directories "{{.cluster}}/*", a template of generator parameters that cannot be told offline: the manifests outside every kustomization that it may sync are not bundled by the directories it syncs: they stay in one bundle with the other loose manifests, so a bundle/duplicate between two of those directories may be one Argo CD never sees',
      ],
    ]);
    // kelos check says it once, with what its own rules leave out.
    const check = await run('check', ['manifests/', 'argocd/'], root);
    expect(
      check.found.filter((d) => d.code === 'argocd/path-not-evaluated').map((d) => d.message),
    ).toStrictEqual([
      'ApplicationSet "examples" generates Applications from the git directories "{{.cluster}}/*", a template of generator parameters that cannot be told offline: argocd/task-ttl and argocd/namespace-missing do not judge the directories this generator generates Applications for; the manifests outside every kustomization that it may sync are not bundled by the directories it syncs: they stay in one bundle with the other loose manifests, so a bundle/duplicate between two of those directories may be one Argo CD never sees',
    ]);
  });

  describe('an ApplicationSet with a list generator', () => {
    /** An ApplicationSet with one list generator of `elements` (YAML lines, indented by ten spaces) over `path`. */
    const listSet = (elements: string, path: string, namespace: string, goTemplate: boolean) =>
      `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: examples
  namespace: argocd
spec:
${goTemplate ? '  goTemplate: true\n' : ''}  generators:
    - list:
        elements:
${elements}
  template:
    metadata:
      name: examples
    spec:
      project: default
      source:
        repoURL: https://github.com/my-org/gitops.git
        targetRevision: HEAD
        path: '${path}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '${namespace}'
      syncPolicy:
        syncOptions: [CreateNamespace=true]
`;
    const TWO = `          - example: 05-task-with-agentconfig
            team: team-a
          - example: 06-fork-workflow
            team: team-b`;
    const syncedBundles = async (root: string) =>
      (await loadBundles(['manifests/', 'argocd/'], noStdin, root)).bundles
        .filter((b) => b.syncedBy)
        .map((b) => [b.name, b.syncedBy]);
    const secretExternal = (found: readonly Finding[], file: string) =>
      found.find((d) => d.code === 'ref/secret-external' && d.source?.file === file)?.message;

    test("each element is an Application of the template: its directory a bundle of its own, in the element's namespace", async () => {
      for (const [goTemplate, path, namespace] of [
        [true, 'manifests/{{.example}}', '{{ .team }}'],
        [false, 'manifests/{{example}}', '{{ team }}'],
      ] as const) {
        const root = repository({ 'argocd/examples.yaml': listSet(TWO, path, namespace, goTemplate) });
        expect(await syncedBundles(root)).toStrictEqual([
          ['manifests/05-task-with-agentconfig', ['Argo CD ApplicationSet "examples"']],
          ['manifests/06-fork-workflow', ['Argo CD ApplicationSet "examples"']],
        ]);
        const { found } = await run('validate', ['manifests/', 'argocd/'], root);
        expect(secretExternal(found, 'manifests/06-fork-workflow/workspace.yaml')).toContain(
          'namespace "team-b"',
        );
        expect(codes(found, 'argocd/')).toStrictEqual([]);
      }
    });

    test('a Go template reads nested keys of an element; an element without the key is a warning naming the key, not a bundle', async () => {
      const elements = `          - app:
              dir: 06-fork-workflow
          - other: 05-task-with-agentconfig`;
      const root = repository({
        'argocd/examples.yaml': listSet(elements, 'manifests/{{.app.dir}}', 'examples', true),
      });
      expect(await syncedBundles(root)).toStrictEqual([
        ['manifests/06-fork-workflow', ['Argo CD ApplicationSet "examples"']],
      ]);
      const { found } = await run('validate', ['manifests/', 'argocd/'], root);
      expect(notEvaluated(found)).toStrictEqual([
        [
          'warning',
          '/spec/generators/0/list/elements/1',
          'ApplicationSet "examples" syncs "manifests/{{.app.dir}}", but its list element at /spec/generators/0/list/elements/1 has no "app.dir": Argo CD cannot render that Application\'s path from it (a Go template writes <no value> or fails, fasttemplate leaves the tag as written), so the Application syncs no directory of the repository',
        ],
      ]);
    });

    test('an element without the key its destination namespace names is a warning naming it', async () => {
      const elements = `          - example: 05-task-with-agentconfig
            team: a
          - example: 06-fork-workflow`;
      const root = repository({
        'argocd/examples.yaml': listSet(elements, 'manifests/{{.example}}', 'team-{{.team}}', true),
      });
      const { found } = await run('validate', ['manifests/', 'argocd/'], root);
      expect(notEvaluated(found)).toStrictEqual([
        [
          'warning',
          '/spec/generators/0/list/elements/1',
          'ApplicationSet "examples" deploys into namespace "team-{{.team}}", but its list element at /spec/generators/0/list/elements/1 has no "team": Argo CD cannot render that Application\'s namespace from it (a Go template writes <no value> or fails, fasttemplate leaves the tag as written), which is no namespace name, so its sync fails',
        ],
      ]);
    });

    test('a path with a function is one info for the template, however many elements use it', async () => {
      const root = repository({
        'argocd/examples.yaml': listSet(TWO, 'manifests/{{ .example | lower }}', 'examples', true),
      });
      expect(await syncedBundles(root)).toStrictEqual([]);
      const { found } = await run('validate', ['manifests/', 'argocd/'], root);
      expect(notEvaluated(found)).toStrictEqual([
        [
          'info',
          '/spec/template/spec/source/path',
          `ApplicationSet "examples" syncs "manifests/{{ .example | lower }}" for 2 list elements, a path whose parameters cannot be told offline (a function): ${BUNDLES_UNEVALUATED}`,
        ],
      ]);
    });

    test('a directory two ApplicationSets sync into two namespaces each: its objects are compared in each, a conflict only where they meet', async () => {
      const teams = (second: string) =>
        listSet(
          `          - example: 02-task-with-workspace
            team: team-a
          - example: 05-task-with-agentconfig
            team: ${second}`,
          'manifests/{{.example}}',
          '{{.team}}',
          true,
        ).replace('name: examples\n  namespace: argocd', 'name: teams\n  namespace: argocd');
      const conflicts = async (second: string) => {
        const root = repository({
          'argocd/examples.yaml': applicationSet('manifests/*'),
          'argocd/teams.yaml': teams(second),
        });
        const { found } = await run('validate', ['manifests/', 'argocd/'], root);
        // Examples 10 and 17 share a Workspace they place in `default` themselves.
        return found
          .filter((d) => d.code === 'bundle/conflict' || d.code === 'bundle/shared')
          .filter((d) => /^manifests\/0[25]-/.test(d.source?.file ?? ''))
          .map((d) => [d.code, d.source?.file, d.resource?.name]);
      };
      // Each directory in its own namespace and its team's: nothing meets.
      expect(await conflicts('team-b')).toStrictEqual([]);
      // Both in team-a: the two examples' Secrets differ, their Workspace is the same.
      expect(await conflicts('team-a')).toStrictEqual([
        [
          'bundle/conflict',
          'manifests/05-task-with-agentconfig/credentials-secret.yaml',
          'claude-oauth-token',
        ],
        ['bundle/conflict', 'manifests/05-task-with-agentconfig/github-token-secret.yaml', 'github-token'],
        ['bundle/shared', 'manifests/05-task-with-agentconfig/workspace.yaml', 'my-workspace'],
      ]);
    });

    test('fasttemplate with a value that is not a string: Argo CD makes no Application of the generator, and a warning says why', async () => {
      const elements = `          - example: 05-task-with-agentconfig
            replicas: 2`;
      const root = repository({
        'argocd/examples.yaml': listSet(elements, 'manifests/{{example}}', 'examples', false),
      });
      expect(await syncedBundles(root)).toStrictEqual([]);
      const { found } = await run('check', ['manifests/', 'argocd/'], root);
      expect(notEvaluated(found)).toStrictEqual([
        [
          'warning',
          '/spec/generators/0/list/elements/0/replicas',
          'ApplicationSet "examples" sets no goTemplate: true, and "replicas" of a list element is not a string: fasttemplate takes only strings, so Argo CD makes no Application of this list generator (error parsing value as string)',
        ],
      ]);
    });

    test('a generator read from the cluster (clusters) is an info naming it', async () => {
      const root = repository({
        'argocd/examples.yaml': listSet(TWO, 'manifests/{{.example}}', '{{.team}}', true).replace(
          '    - list:',
          '    - clusters: {}\n    - list:',
        ),
      });
      const { found } = await run('check', ['manifests/', 'argocd/'], root);
      expect(notEvaluated(found)).toStrictEqual([
        [
          'info',
          '/spec/generators/0/clusters',
          `ApplicationSet "examples" generates Applications with a clusters generator, whose paths and namespaces cannot be told offline: ${TTL_UNEVALUATED}; ${BUNDLES_UNEVALUATED}`,
        ],
      ]);
    });
  });

  describe("an ApplicationSet template's directory.recurse", () => {
    // A Task one directory below its example's: only a recursing app syncs it with the Workspace.
    const nested = `apiVersion: kelos.dev/v1alpha2
kind: Task
metadata:
  name: more-tests
spec:
  type: claude-code
  prompt: Add more tests.
  credentials:
    type: oauth
    secretRef:
      name: claude-oauth-token
  workspaceRef:
    name: my-workspace
`;
    const NESTED = 'manifests/02-task-with-workspace/tasks/more-tests.yaml';
    const source = (path: string, recurse: boolean) =>
      `        - repoURL: https://github.com/my-org/gitops.git\n          path: '${path}'\n${recurse ? '          directory:\n            recurse: true\n' : ''}`;
    const bundleOf = async (root: string) =>
      (await loadBundles(['manifests/', 'argocd/'], noStdin, root)).bundles.find((b) =>
        b.documents.some((d) => d.file === NESTED),
      )?.name;
    const refsAt = (found: readonly Finding[]) =>
      found.filter((d) => d.code.startsWith('ref/') && d.source?.file === NESTED).map((d) => d.code);

    test('on its one source: a subdirectory of each generated directory is in that app', async () => {
      const root = repository({
        'argocd/examples.yaml': applicationSet(
          'manifests/*',
          '{{.path.basename}}',
          "      source:\n        repoURL: https://github.com/my-org/gitops.git\n        path: '{{ .path.path }}'\n        directory:\n          recurse: true",
        ),
        [NESTED]: nested,
      });
      expect(await bundleOf(root)).toBe('manifests/02-task-with-workspace');
      // The Workspace it names is in its bundle: no reference finding.
      expect(refsAt((await run('validate', ['manifests/', 'argocd/'], root)).found)).toStrictEqual([]);
    });

    test('on the source of sources[] whose path is the generated one, with fasttemplate {{path}}', async () => {
      const root = repository({
        'argocd/examples.yaml': applicationSet(
          'manifests/*',
          'kelos',
          `      sources:\n${source('shared', false)}${source('{{path}}', true)}`,
        ).replace('goTemplate: true', 'goTemplate: false'),
        [NESTED]: nested,
      });
      expect(await bundleOf(root)).toBe('manifests/02-task-with-workspace');
    });

    test('not on another source (a shared directory), nor without recurse: the subdirectory stays outside', async () => {
      const other = repository({
        'argocd/examples.yaml': applicationSet(
          'manifests/*',
          '{{.path.basename}}',
          `      sources:\n${source('{{.path.path}}', false)}${source('shared', true)}`,
        ),
        [NESTED]: nested,
      });
      expect(await bundleOf(other)).toBe('');
      // Judged with the loose manifests, in namespace default: neither its Secret nor its Workspace is there.
      expect(refsAt((await run('validate', ['manifests/', 'argocd/'], other)).found)).toStrictEqual([
        'ref/secret-external',
        'ref/external',
      ]);
      const plain = repository({ 'argocd/examples.yaml': applicationSet('manifests/*'), [NESTED]: nested });
      expect(await bundleOf(plain)).toBe('');
    });
  });
});

describe("an ApplicationSet's destination namespace, in its template language", () => {
  const FILE = 'manifests/06-fork-workflow/workspace.yaml';
  /** The namespace the Workspace of example 06 is read in. */
  const namespaceOf = async (root: string) =>
    (await loadBundles(['manifests/', 'argocd/'], noStdin, root)).bundles
      .flatMap((b) => b.documents)
      .find((d) => d.file === FILE)?.object['metadata'] as { namespace?: string } | undefined;

  test.each([
    [true, '{{.path.basename}}', '06-fork-workflow'],
    [true, '{{ .path.basenameNormalized }}', '06-fork-workflow'],
    [false, '{{path.basename}}', '06-fork-workflow'],
    [false, 'team-{{ path.basenameNormalized }}', 'team-06-fork-workflow'],
    // Argo CD: a Go template naming {{path.basename}} does not render; fasttemplate leaves {{.path.basename}}.
    [true, '{{path.basename}}', undefined],
    [false, '{{.path.basename}}', undefined],
  ])('goTemplate: %s, namespace %s: %s', async (goTemplate, namespace, expected) => {
    const root = repository({
      'argocd/examples.yaml': applicationSet('manifests/*', namespace)
        .replace('goTemplate: true', `goTemplate: ${goTemplate}`)
        .replace("path: '{{.path.path}}'", `path: '${goTemplate ? '{{.path.path}}' : '{{path}}'}'`),
    });
    expect((await namespaceOf(root))?.namespace).toBe(expected);
  });

  test("kelos validate does not read a Go template's {{path.basename}} as the directory: the objects stay in namespace default", async () => {
    const root = repository({ 'argocd/examples.yaml': applicationSet('manifests/*', '{{path.basename}}') });
    const { found } = await run('validate', ['manifests/', 'argocd/'], root);
    const at = found.filter((d) => d.code.startsWith('ref/') && d.source?.file === FILE);
    // The Secret 02 deploys into default is the one it names, not one needed in 06-fork-workflow.
    expect(at.map((d) => d.code)).toStrictEqual(['ref/other-bundle']);
    expect(at[0]?.message).toContain('(namespace "default")');
  });
});

describe('Argo CD objects --beside the paths bundle them as among the paths', () => {
  test('kelos validate manifests/ --beside argocd/: each example directory its own bundle, as with both paths', async () => {
    const root = repository({ 'argocd/examples.yaml': applicationSet('manifests/*') });
    const beside = await run('validate', ['manifests/', '--beside', 'argocd/'], root);
    const among = await run('validate', ['manifests/', 'argocd/'], root);
    expect(codes(beside.found, 'bundle/')).toStrictEqual([
      'manifests/17-taskspawner-ci-remediation/taskspawner.yaml: bundle/shared',
    ]);
    expect(codes(beside.found, 'ref/')).toStrictEqual(codes(among.found, 'ref/'));
  });

  test('kelos check manifests/ --beside argocd/: the apps sharing one namespace fight over their Secrets', async () => {
    const root = repository({ 'argocd/examples.yaml': applicationSet('manifests/*', 'kelos') });
    const { found } = await run('check', ['manifests/', '--beside', 'argocd/'], root);
    expect(codes(found, 'bundle/conflict')).toContain(
      'manifests/05-task-with-agentconfig/github-token-secret.yaml: bundle/conflict',
    );
  });

  test('a directory pattern beside that cannot be told offline: the info says the paths stay one bundle', async () => {
    const root = repository({ 'argocd/examples.yaml': applicationSet('{{.cluster}}/*') });
    const expected = (effects: string) =>
      `ApplicationSet "examples" generates Applications from the git directories "{{.cluster}}/*", a template of generator parameters that cannot be told offline: ${effects}`;
    const validate = await run('validate', ['manifests/', '--beside', 'argocd/'], root);
    expect(
      validate.found
        .filter((d) => d.code === 'argocd/path-not-evaluated')
        .map((d) => [d.source?.file, d.message]),
    ).toStrictEqual([['argocd/examples.yaml', expected(BUNDLES_UNEVALUATED)]]);
    const check = await run('check', ['manifests/', '--beside', 'argocd/'], root);
    expect(
      check.found
        .filter((d) => d.code === 'argocd/path-not-evaluated')
        .map((d) => [d.source?.file, d.message]),
    ).toStrictEqual([['argocd/examples.yaml', expected(`${TTL_UNEVALUATED}; ${BUNDLES_UNEVALUATED}`)]]);
  });
});

describe("a directory source's include and exclude globs, as Argo CD's repo server reads them", () => {
  const DIR = 'manifests/02-task-with-workspace';
  /** An Application over manifests/02-task-with-workspace with `directory` (flow YAML). */
  const app = (directory: string) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: simple, namespace: argocd}
spec:
  source: {repoURL: 'https://github.com/my-org/gitops.git', path: ${DIR}, directory: ${directory}}
  destination: {server: 'https://kubernetes.default.svc', namespace: examples}
`;
  /** The files of the app's bundle, relative to its directory. */
  const synced = async (directory: string, extra: Record<string, string> = {}) => {
    const root = repository({ 'argocd/simple.yaml': app(directory), ...extra });
    const loaded = await loadBundles([`${DIR}/`, 'argocd/'], noStdin, root);
    return (loaded.bundles.find((b) => b.name === DIR)?.documents ?? [])
      .map((d) => d.file.slice(DIR.length + 1))
      .filter((f, i, all) => all.indexOf(f) === i)
      .sort();
  };
  const ALL = ['credentials-secret.yaml', 'github-token-secret.yaml', 'task.yaml', 'workspace.yaml'];

  test.each([
    ["{exclude: 'workspace.yaml'}", ALL.filter((f) => f !== 'workspace.yaml')],
    ["{exclude: '*-secret.yaml'}", ['task.yaml', 'workspace.yaml']],
    ["{include: '{task,workspace}.yaml'}", ['task.yaml', 'workspace.yaml']],
    ["{include: '[tw]*.yaml', exclude: 'w*'}", ['task.yaml']],
    // No separators: * matches '/' too, so *.yaml takes the subdirectory's file.
    ["{recurse: true, include: '*.yaml'}", [...ALL, 'sub/more.yaml'].sort()],
    ["{recurse: true, exclude: 'sub/*'}", ALL],
    // gobwas refuses an unclosed class or brace: the include matches nothing.
    ["{include: '[tw.yaml'}", []],
  ])('directory %s reads %j', async (directory, expected) => {
    expect(
      await synced(directory, {
        [`${DIR}/sub/more.yaml`]: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: more}\n',
      }),
    ).toStrictEqual(expected);
  });

  test('kelos validate: a Task whose Workspace the app excludes finds it outside its bundle', async () => {
    const root = repository({ 'argocd/simple.yaml': app("{exclude: 'workspace.yaml'}") });
    const { found } = await run('validate', [`${DIR}/`, 'argocd/'], root);
    expect(
      found
        .filter((d) => d.source?.file === `${DIR}/task.yaml` && d.code.startsWith('ref/'))
        .map((d) => d.code),
    ).toStrictEqual(['ref/external']);
  });

  test("kelos validate: a Secret the app's exclude leaves out is named with the file and the glob", async () => {
    const root = repository({ 'argocd/simple.yaml': app("{exclude: '*-secret.yaml'}") });
    const { found } = await run('validate', [`${DIR}/`, 'argocd/'], root);
    expect(
      found.find((d) => d.source?.file === `${DIR}/workspace.yaml` && d.code === 'ref/secret-external')
        ?.message,
    ).toBe(
      `spec.secretRef names Secret "github-token", which is not in this bundle (Argo CD Application "simple" leaves ${DIR}/github-token-secret.yaml out by its directory.exclude '*-secret.yaml'); it must exist in namespace "examples" in the cluster`,
    );
  });

  test("an ApplicationSet's template source reads each generated directory with its globs", async () => {
    const root = repository({
      'argocd/examples.yaml': applicationSet(
        'manifests/*',
        '{{.path.basename}}',
        "      source: {repoURL: 'https://github.com/my-org/gitops.git', path: '{{.path.path}}', directory: {exclude: '*-secret.yaml'}}",
      ),
    });
    const loaded = await loadBundles(['manifests/', 'argocd/'], noStdin, root);
    const files = (name: string) => loaded.bundles.find((b) => b.name === name)?.documents.map((d) => d.file);
    expect(files(DIR)).toStrictEqual([`${DIR}/task.yaml`, `${DIR}/workspace.yaml`]);
    expect(files('')).toContain(`${DIR}/github-token-secret.yaml`);
  });
});

describe('an ApplicationSet whose template does not sync the directory it generates', () => {
  // Argo CD syncs nothing for the other language's form: a warning; a path only we cannot follow: an info.
  test.each([
    [
      'a directory below it',
      'info',
      true,
      '{{.path.path}}/overlays',
      'ApplicationSet "examples" syncs "{{.path.path}}/overlays" for each git directory it generates an Application for ("manifests/*"), not that directory ({{.path.path}})',
    ],
    [
      "fasttemplate's {{path}} in a Go template",
      'warning',
      true,
      '{{path}}',
      'ApplicationSet "examples" names the directory of each git directory it generates an Application for ("manifests/*") as fasttemplate does, "{{path}}", but sets goTemplate: true, with which Argo CD fails to render the template: it syncs none of them',
    ],
    [
      'a Go template without goTemplate: true',
      'warning',
      false,
      '{{.path.path}}',
      'ApplicationSet "examples" names the directory of each git directory it generates an Application for ("manifests/*") as a Go template does, "{{.path.path}}", but sets no goTemplate: true: Argo CD leaves it as written and syncs none of them',
    ],
  ])(
    '%s: the example directories are no apps of it, and an info at the path says why',
    async (_, severity, goTemplate, path, message) => {
      const root = repository({
        'argocd/examples.yaml': applicationSet('manifests/*', 'kelos')
          .replace('goTemplate: true', `goTemplate: ${goTemplate}`)
          .replace("path: '{{.path.path}}'", `path: '${path}'`),
      });
      const loaded = await loadBundles(['manifests/', 'argocd/'], noStdin, root);
      expect(loaded.bundles.map((b) => b.name)).toStrictEqual(['']);
      const { found } = await run('validate', ['manifests/', 'argocd/'], root);
      expect(notEvaluated(found)).toStrictEqual([
        [severity, '/spec/template/spec/source/path', `${message}: ${BUNDLES_UNEVALUATED}`],
      ]);
      // The loose manifests are judged together, as without the ApplicationSet.
      expect(codes(found, 'bundle/duplicate').length).toBeGreaterThan(0);
      const check = await run('check', ['manifests/', 'argocd/'], root);
      expect(notEvaluated(check.found)).toStrictEqual([
        [
          severity,
          '/spec/template/spec/source/path',
          `${message}: ${TTL_UNEVALUATED}; ${BUNDLES_UNEVALUATED}`,
        ],
      ]);
    },
  );
});

describe('a source path Argo CD refuses: absolute, or outside the repository', () => {
  const refused = (found: readonly Finding[]) =>
    found
      .filter((d) => d.code === 'argocd/path-not-evaluated')
      .map((d) => [d.severity, d.path, d.source?.file, d.message]);

  test.each([
    ['/manifests/02-task-with-workspace', 'app path is absolute'],
    ['../fleet/manifests', 'app path outside root'],
  ])('an Application at %s: a warning at its path, in Argo CD words', async (path, reason) => {
    const root = repository({ 'argocd/simple.yaml': application('simple', path, false) });
    for (const command of ['validate', 'check'] as const) {
      const { found } = await run(command, ['manifests/', 'argocd/'], root);
      expect(refused(found)).toStrictEqual([
        [
          'warning',
          '/spec/source/path',
          'argocd/simple.yaml',
          `Application "simple" syncs path "${path}", which Argo CD refuses (${reason}): it syncs nothing from it`,
        ],
      ]);
    }
  });

  test("an ApplicationSet template's path that leaves the repository before its parameter", async () => {
    const root = repository({
      'argocd/examples.yaml': applicationSet('manifests/*').replace(
        "path: '{{.path.path}}'",
        "path: '../{{.path.path}}'",
      ),
    });
    const { found } = await run('validate', ['manifests/', 'argocd/'], root);
    expect(refused(found)).toContainEqual([
      'warning',
      '/spec/template/spec/source/path',
      'argocd/examples.yaml',
      'ApplicationSet "examples" syncs path "../{{.path.path}}", which Argo CD refuses (app path outside root): it syncs nothing from it',
    ]);
  });
});

describe("an ApplicationSet's destination namespace in the other template language", () => {
  test.each([
    [
      true,
      '{{path.basename}}',
      '{{.path.path}}',
      'ApplicationSet "examples" names its destination namespace as fasttemplate does, "{{path.basename}}", but sets goTemplate: true, with which Argo CD fails to render the template: it syncs none of its Applications; the objects that name no namespace are read here as naming none',
    ],
    [
      false,
      '{{.path.basename}}',
      '{{path}}',
      'ApplicationSet "examples" names its destination namespace as a Go template does, "{{.path.basename}}", but sets no goTemplate: true: Argo CD leaves it as written, which is no namespace name, and the sync fails; the objects that name no namespace are read here as naming none',
    ],
  ])(
    'goTemplate: %s, namespace %s: a warning at the namespace',
    async (goTemplate, namespace, path, message) => {
      const root = repository({
        'argocd/examples.yaml': applicationSet('manifests/*', namespace)
          .replace('goTemplate: true', `goTemplate: ${goTemplate}`)
          .replace("path: '{{.path.path}}'", `path: '${path}'`),
      });
      for (const command of ['validate', 'check'] as const) {
        const { found } = await run(command, ['manifests/', 'argocd/'], root);
        expect(
          found
            .filter((d) => d.code === 'argocd/path-not-evaluated')
            .map((d) => [d.severity, d.path, d.message]),
        ).toStrictEqual([['warning', '/spec/template/spec/destination/namespace', message]]);
      }
    },
  );
});

describe('an ApplicationSet whose directory pattern matches no directory among the paths read', () => {
  const unmatched = (found: readonly Finding[]) =>
    found
      .filter((d) => d.code === 'argocd/path-not-evaluated')
      .map((d) => [d.severity, d.path, d.source?.file, d.message]);

  test('run from above a tree outside git: an info at the pattern names the directory it was read from', async () => {
    const root = repository({ 'argocd/examples.yaml': applicationSet('manifests/*') }, { git: false });
    const base = root.split('/').pop()!;
    const cwd = dirname(root);
    for (const command of ['validate', 'check'] as const) {
      const { found } = await run(command, [`${base}/manifests/`, `${base}/argocd/`], cwd);
      expect(unmatched(found)).toStrictEqual([
        [
          'info',
          '/spec/generators/0/git/directories/0/path',
          `${base}/argocd/examples.yaml`,
          `ApplicationSet "examples" generates Applications from the git directories "manifests/*", which match no directory among the paths read, reading it relative to the working directory ${cwd}, as no git repository holds the files: the manifests it may sync are not bundled by its directories, so a bundle/duplicate between two of them may be one Argo CD never sees`,
        ],
      ]);
    }
  });

  test('an ApplicationSet beside the paths over other directories of the repository (dist/apps/*): no info', async () => {
    const root = repository({
      'dist/argocd/apps.yaml': applicationSet('dist/apps/*'),
      'dist/apps/worker/workspace.yaml':
        'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: repo\nspec:\n  repo: https://github.com/acme/widgets.git\n',
    });
    for (const command of ['validate', 'check'] as const) {
      const { found } = await run(command, ['manifests/01-simple-task/', '--beside', 'dist/'], root);
      expect(unmatched(found)).toStrictEqual([]);
    }
    // The same pattern over a directory the repository does not have is still told.
    renameSync(join(root, 'dist/apps'), join(root, 'dist/built'));
    const { found } = await run('validate', ['manifests/01-simple-task/', '--beside', 'dist/'], root);
    expect(unmatched(found).map((d) => d[0])).toStrictEqual(['info']);
  });

  test('run from the tree: the pattern matches, no info', async () => {
    const root = repository({ 'argocd/examples.yaml': applicationSet('manifests/*') }, { git: false });
    const { found } = await run('validate', ['manifests/', 'argocd/'], root);
    expect(unmatched(found)).toStrictEqual([]);
  });
});

describe('a directory glob Argo CD cannot compile', () => {
  test.each([
    ['include', '[a', 'the app syncs no file of its directory'],
    ['exclude', '{a,b', 'the app excludes no file'],
  ])('directory.%s %s: a warning at that field', async (key, glob, effect) => {
    const root = repository({
      'argocd/simple.yaml': `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: simple, namespace: argocd}
spec:
  source: {repoURL: 'https://github.com/my-org/gitops.git', path: manifests/02-task-with-workspace, directory: {${key}: '${glob}'}}
  destination: {server: 'https://kubernetes.default.svc', namespace: examples}
`,
    });
    for (const command of ['validate', 'check'] as const) {
      const { found } = await run(command, ['manifests/', 'argocd/'], root);
      expect(notEvaluated(found)).toStrictEqual([
        [
          'warning',
          `/spec/source/directory/${key}`,
          `Application "simple" sets directory.${key} '${glob}', a glob Argo CD cannot compile (an unclosed [ or {, an empty class, a trailing \\): it matches no file, so ${effect}`,
        ],
      ]);
    }
  });
});
