import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { conflictsAcrossBundles, loadBundles } from '../../../src/validate/kustomization.ts';
import { kelos } from './run-cli.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const noStdin = async () => '';

const budget = (name: string, cost: string, namespace?: string) =>
  `apiVersion: kelos.dev/v1alpha2\nkind: TaskBudget\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}spec:\n  taskSelector:\n    matchLabels: {team: api}\n  period: {type: Daily, timezone: UTC}\n  maxCostUSD: "${cost}"\n`;
const kustomization = (body: string) =>
  `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** A scratch tree from `{path: text}`. */
const tree = (files: Record<string, string>): string => {
  const root = mkdtempSync(join(tmpdir(), 'kelos-kust-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
};

describe('kustomization trees', () => {
  test('a kustomization file is never an object, and each root is its own bundle', async () => {
    const root = tree({
      'apps/a/kustomization.yaml': kustomization('resources: [budget.yaml]\n'),
      'apps/a/budget.yaml': budget('team-daily', '10'),
      'apps/b/kustomization.yaml': kustomization('resources: [budget.yaml]\n'),
      'apps/b/budget.yaml': budget('team-daily', '10'),
    });
    const loaded = await loadBundles(['apps'], noStdin, root);
    expect(loaded.diagnostics).toStrictEqual([]);
    expect(loaded.bundles.map((b) => [b.name, b.documents.map((d) => d.file)])).toStrictEqual([
      ['apps/a', ['apps/a/budget.yaml']],
      ['apps/b', ['apps/b/budget.yaml']],
    ]);
    // The same object with the same content in two bundles is no conflict, but two owners.
    expect(
      conflictsAcrossBundles(loaded.bundles).map((d) => `${d.source?.file} ${d.code}: ${d.message}`),
    ).toStrictEqual([
      'apps/b/budget.yaml bundle/shared: also rendered by apps/a (apps/a/budget.yaml:1:1), the same; the two Applications syncing apps/b and apps/a would both own it: Argo CD reports it as a shared resource (SharedResourceWarning) and its tracking flips to whichever app synced last, and pruning it from either, or deleting either Application, deletes it from under the other',
    ]);
  });

  test("an object two roots render says what Argo CD's sync options on it let removing it do", async () => {
    const namespace = (options?: string) =>
      `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n${options ? `  annotations:\n    argocd.argoproj.io/sync-options: ${options}\n` : ''}`;
    const shared = async (options?: string) => {
      const root = tree({
        'apps/a/kustomization.yaml': kustomization('resources: [ns.yaml]\n'),
        'apps/a/ns.yaml': namespace(options),
        'apps/b/kustomization.yaml': kustomization('resources: [ns.yaml]\n'),
        'apps/b/ns.yaml': namespace(options),
      });
      return conflictsAcrossBundles((await loadBundles(['apps'], noStdin, root)).bundles).map(
        (d) => `${d.severity} ${d.code}: ${d.message.slice(d.message.indexOf('last, ') + 6)}`,
      );
    };
    // What AppNamespace renders: never pruned or deleted, still two owners.
    expect(await shared('Prune=false,Delete=false')).toStrictEqual([
      'warning bundle/shared: though its sync options keep Argo CD from ever pruning or deleting it (Prune=false,Delete=false), so neither app deletes it from under the other',
    ]);
    expect(await shared('ServerSideApply=true, Prune=false')).toStrictEqual([
      'warning bundle/shared: and though it is never pruned (Prune=false), deleting either Application deletes it from under the other',
    ]);
    expect(await shared('Delete=false')).toStrictEqual([
      'warning bundle/shared: and though deleting an Application leaves it (Delete=false), pruning it from either deletes it from under the other',
    ]);
    expect(await shared('Prune=confirm')).toStrictEqual([
      'warning bundle/shared: and pruning it from either, or deleting either Application, deletes it from under the other',
    ]);
  });

  test('a reference to what another root of the tree deploys resolves there: an info naming it, not a reference outside git', async () => {
    const task = (workspace: string) =>
      `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: fix\nspec:\n  prompt: Fix it.\n  worker:\n    type: codex\n    credentials: {type: none}\n    workspaceRef: {name: ${workspace}}\n`;
    const root = tree({
      'apps/shared/kustomization.yaml': kustomization('resources: [workspace.yaml]\n'),
      'apps/shared/workspace.yaml':
        'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: repo\nspec:\n  repo: https://github.com/acme/widgets.git\n',
      'apps/worker/kustomization.yaml': kustomization('resources: [task.yaml, other.yaml]\n'),
      'apps/worker/task.yaml': task('repo'),
      'apps/worker/other.yaml': task('nowhere').replace('name: fix', 'name: other'),
    });
    const run = await kelos(['validate', 'apps', '--format', 'json'], { cwd: root });
    const found = (
      JSON.parse(run.stdout) as {
        diagnostics: { code: string; severity: string; message: string; source: { file: string } }[];
      }
    ).diagnostics
      .filter((d) => d.code.startsWith('ref/'))
      .map((d) => `${d.source.file} ${d.severity} ${d.code}: ${d.message}`);
    expect(found).toStrictEqual([
      'apps/worker/other.yaml warning ref/external: spec.worker.workspaceRef names Workspace "nowhere", which is not in this bundle; it must exist in the cluster, in the namespace the object is applied to (it names none: "default" unless kubectl -n or the Argo CD Application\'s destination sets another)',
      'apps/worker/task.yaml info ref/other-bundle: spec.worker.workspaceRef names Workspace "repo", which apps/shared deploys (namespace "default"), not this bundle: it resolves once both are synced',
    ]);
    expect(run.code).toBe(0);
  });

  test('a reference that misses only by namespace names the namespace another root deploys it in, and that root', async () => {
    const root = tree({
      'team-03/kustomization.yaml': kustomization('namespace: team-03\nresources: [task.yaml]\n'),
      'team-03/task.yaml':
        'apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: review\nspec:\n  prompt: Review it.\n  agentConfigRefs: [{name: reviewer}]\n  worker:\n    type: codex\n    credentials: {type: none}\n',
      'team-04/kustomization.yaml': kustomization('namespace: team-04\nresources: [agentconfig.yaml]\n'),
      'team-04/agentconfig.yaml':
        'apiVersion: kelos.dev/v1alpha2\nkind: AgentConfig\nmetadata:\n  name: reviewer\nspec:\n  agentsMD: Review carefully.\n',
    });
    const run = await kelos(['validate', '.', '--format', 'json'], { cwd: root });
    const found = (
      JSON.parse(run.stdout) as { diagnostics: { code: string; path: string; hint?: string }[] }
    ).diagnostics.filter((d) => d.path === '/spec/agentConfigRefs/0/name');
    expect(found.map((d) => `${d.code}: ${d.hint}`)).toStrictEqual([
      'ref/external: an AgentConfig "reviewer" exists in namespace team-04 (deployed by team-04); references only resolve within the same namespace',
    ]);
  });

  test('a dependsOn cycle through two roots is an error, which neither root alone can see', async () => {
    const task = (name: string, deps: string[]) =>
      `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: ${name}\nspec:\n  prompt: p\n  worker:\n    type: codex\n    credentials: {type: none}\n  dependsOn: [${deps.join(', ')}]\n`;
    const root = tree({
      'apps/pipeline/kustomization.yaml': kustomization('resources: [tasks.yaml]\n'),
      'apps/pipeline/tasks.yaml': `${task('a', [])}---\n${task('impl', ['a', 'review'])}`,
      'apps/followup/kustomization.yaml': kustomization('resources: [review.yaml]\n'),
      'apps/followup/review.yaml': task('review', ['impl']),
    });
    const run = await kelos(['validate', 'apps', '--format', 'json'], { cwd: root });
    const cycles = (
      JSON.parse(run.stdout) as {
        diagnostics: {
          code: string;
          path: string;
          message: string;
          source: { file: string; line: number };
        }[];
      }
    ).diagnostics
      .filter((d) => d.code === 'ref/cycle')
      .map((d) => `${d.source.file}:${d.source.line} ${d.path}: ${d.message}`);
    expect(cycles).toStrictEqual([
      'apps/pipeline/tasks.yaml:21 /spec/dependsOn/1: dependsOn forms a cycle across bundles: impl (apps/pipeline) → review (apps/followup) → impl; none of these Tasks can ever start',
    ]);
    expect(run.code).toBe(2);
  });

  test('--beside: a reference to what the rendered apps deploy resolves there, and they are not validated', async () => {
    const root = tree({
      'manifests/task.yaml':
        'apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: fix\nspec:\n  prompt: Fix it.\n  worker:\n    type: codex\n    credentials: {type: none}\n    workspaceRef: {name: repo}\n',
      'dist/apps/shared/kustomization.yaml': kustomization('resources: [workspace.yaml, broken.yaml]\n'),
      'dist/apps/shared/workspace.yaml':
        'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: repo\nspec:\n  repo: https://github.com/acme/widgets.git\n',
      'dist/apps/shared/broken.yaml':
        'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: bad\nspec: {}\n',
    });
    const run = await kelos(['validate', 'manifests/', '--beside', 'dist/'], { cwd: root });
    expect(run.stdout).toBe(
      [
        'manifests/task.yaml:10:20: info Task fix /spec/worker/workspaceRef/name: spec.worker.workspaceRef names Workspace "repo", which dist/apps/shared deploys (namespace "default"), not this bundle: it resolves once both are synced [ref/other-bundle]',
        '1 object, 0 errors, 0 warnings',
        '',
      ].join('\n'),
    );
    expect(run.code).toBe(0);
    const alone = await kelos(['validate', '--beside', 'dist/'], { cwd: root });
    expect(alone.stderr).toBe(
      'kelos: --beside reads manifests beside the paths validated; with no paths the apps are validated, each beside the others\n',
    );
    expect(alone.code).toBe(1);
    const stdin = await kelos(['validate', 'manifests/', '--beside', '-'], { cwd: root });
    expect(stdin.stderr).toBe('kelos: --beside reads files and directories, not standard input\n');
    expect(stdin.code).toBe(1);
  });

  test("--beside: an object the paths and a rendered app both define is reported at the paths' object, naming the app's file", async () => {
    const workspace = (repo: string) =>
      `apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: my-repo\nspec:\n  repo: https://github.com/acme/${repo}.git\n`;
    const root = tree({
      'manifests/workspace.yaml': workspace('widgets'),
      'manifests/budget.yaml': budget('team-daily', '10'),
      'dist/apps/issue-worker/kustomization.yaml': kustomization(
        'resources: [workspace.yaml, budget.yaml]\n',
      ),
      'dist/apps/issue-worker/workspace.yaml': `# rendered\n${workspace('gadgets')}`,
      'dist/apps/issue-worker/budget.yaml': budget('team-daily', '10'),
      // Two apps sharing an object among themselves is their own check's, not this one's.
      'dist/apps/other/kustomization.yaml': kustomization('resources: [workspace.yaml]\n'),
      'dist/apps/other/workspace.yaml': workspace('gizmos').replace('my-repo', 'theirs'),
      'dist/apps/third/kustomization.yaml': kustomization('resources: [workspace.yaml]\n'),
      'dist/apps/third/workspace.yaml': workspace('doohickeys').replace('my-repo', 'theirs'),
    });
    const validate = await kelos(['validate', 'manifests/', '--beside', 'dist/'], { cwd: root });
    expect(validate.stdout).toBe(
      [
        'manifests/budget.yaml:1:1: warning TaskBudget team-daily also rendered by dist/apps/issue-worker (dist/apps/issue-worker/budget.yaml:1:1), the same; the two Applications syncing the loose manifests and dist/apps/issue-worker would both own it: Argo CD reports it as a shared resource (SharedResourceWarning) and its tracking flips to whichever app synced last, and pruning it from either, or deleting either Application, deletes it from under the other [bundle/shared]',
        '    hint: Give the object one owner: define it in one app (the others reference it by name) or give each app its own name.',
        'manifests/workspace.yaml:6:3: error Workspace my-repo /spec/repo: also rendered by dist/apps/issue-worker (dist/apps/issue-worker/workspace.yaml:7:3) with different content; the two Applications syncing the loose manifests and dist/apps/issue-worker would fight over it [bundle/conflict]',
        '    hint: Give the object one owner: define it in one app only, or give each app its own name or namespace.',
        '2 objects, 1 error, 1 warning',
        '',
      ].join('\n'),
    );
    expect(validate.code).toBe(2);
    const check = await kelos(['check', 'manifests/', '--beside', 'dist/', '--format', 'json'], {
      cwd: root,
    });
    expect(
      (
        JSON.parse(check.stdout) as {
          diagnostics: {
            code: string;
            path: string;
            source: { file: string; line: number; column: number };
            message: string;
          }[];
        }
      ).diagnostics
        .filter((d) => d.code.startsWith('bundle/'))
        .map(
          (d) =>
            `${d.source.file}:${d.source.line}:${d.source.column} ${d.code} ${JSON.stringify(d.path)}: ${d.message.slice(0, d.message.indexOf(')') + 1)}`,
        ),
    ).toStrictEqual([
      // The whole object: where its document starts; a conflict: the first field that differs.
      'manifests/budget.yaml:1:1 bundle/shared "": also rendered by dist/apps/issue-worker (dist/apps/issue-worker/budget.yaml:1:1)',
      'manifests/workspace.yaml:6:3 bundle/conflict "/spec/repo": also rendered by dist/apps/issue-worker (dist/apps/issue-worker/workspace.yaml:7:3)',
    ]);
    expect(check.code).toBe(2);
  });

  test('kelos check: one Secret two roots render without a namespace has one heading, for its own findings and the bundle one', async () => {
    const secret =
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: github-token\ntype: Opaque\nstringData:\n  GITHUB_TOKEN: x\n';
    const root = tree({
      'apps/a/kustomization.yaml': kustomization('resources: [secret.yaml]\n'),
      'apps/a/secret.yaml': secret,
      'apps/b/kustomization.yaml': kustomization('resources: [secret.yaml]\n'),
      'apps/b/secret.yaml': secret,
    });
    const run = await kelos(['check', 'apps'], { cwd: root });
    const headings = run.stdout.split('\n').filter((l) => l.startsWith('Secret '));
    expect(headings).toStrictEqual(['Secret github-token']);
    expect(run.stdout).toContain('[bundle/shared]');
    expect(run.stdout).toContain('[security/literal-secret]');
    // A third copy that writes `namespace: default` is the same object, under the same heading.
    mkdirSync(join(root, 'apps/c'));
    writeFileSync(join(root, 'apps/c/kustomization.yaml'), kustomization('resources: [secret.yaml]\n'));
    writeFileSync(
      join(root, 'apps/c/secret.yaml'),
      secret.replace('  name: github-token\n', '  name: github-token\n  namespace: default\n'),
    );
    const three = await kelos(['check', 'apps'], { cwd: root });
    expect(three.stdout.split('\n').filter((l) => l.startsWith('Secret '))).toStrictEqual([
      'Secret default/github-token',
    ]);
    expect(three.stdout.match(/\[security\/literal-secret\]/g)).toHaveLength(3);
  });

  test('--beside: a reference one typo from a name the apps beside deploy is told that name and who deploys it', async () => {
    const task = (name: string, workspace: string) =>
      `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: ${name}\nspec:\n  prompt: Fix it.\n  worker:\n    type: codex\n    credentials: {type: none}\n    workspaceRef: {name: ${workspace}}\n`;
    const root = tree({
      'manifests/task.yaml': task('fix', 'my-rpeo'),
      'dist/apps/issue-worker/kustomization.yaml': kustomization('resources: [workspace.yaml]\n'),
      'dist/apps/issue-worker/workspace.yaml':
        'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: my-repo\nspec:\n  repo: https://github.com/acme/widgets.git\n',
    });
    const run = await kelos(['validate', 'manifests/', '--beside', 'dist/', '--format', 'json'], {
      cwd: root,
    });
    expect(
      (JSON.parse(run.stdout) as { diagnostics: { code: string; message: string }[] }).diagnostics.map(
        (d) => `${d.code}: ${d.message}`,
      ),
    ).toStrictEqual([
      'ref/external: spec.worker.workspaceRef names Workspace "my-rpeo", which is not in this bundle; it must exist in the cluster, in the namespace the object is applied to (it names none: "default" unless kubectl -n or the Argo CD Application\'s destination sets another); did you mean "my-repo", which dist/apps/issue-worker deploys?',
    ]);
    // Another root of the same run is named alike; a name of the bundle itself is just named.
    const apps = tree({
      'apps/worker/kustomization.yaml': kustomization('resources: [task.yaml]\n'),
      'apps/worker/task.yaml': `${task('fix', 'my-rpeo')}---\n${task('other', 'locl')}---\napiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: local\nspec:\n  repo: https://github.com/acme/widgets.git\n`,
      'apps/shared/kustomization.yaml': kustomization('resources: [workspace.yaml]\n'),
      'apps/shared/workspace.yaml':
        'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: my-repo\nspec:\n  repo: https://github.com/acme/widgets.git\n',
    });
    const both = await kelos(['validate', 'apps', '--format', 'json'], { cwd: apps });
    expect(
      (JSON.parse(both.stdout) as { diagnostics: { code: string; message: string }[] }).diagnostics
        .filter((d) => d.code === 'ref/external')
        .map((d) => d.message.slice(d.message.indexOf('; did you mean'))),
    ).toStrictEqual(['; did you mean "my-repo", which apps/shared deploys?', '; did you mean "local"?']);
  });

  test('a reference that resolves nowhere, in a bundle with a file that does not parse, may name an object of that file', async () => {
    const task = `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: fix\nspec:\n  prompt: Fix it.\n  worker:\n    type: codex\n    credentials: {type: none}\n    workspaceRef: {name: my-repo}\n`;
    const root = tree({
      'loose/task.yaml': task,
      // A key written twice.
      'loose/workspace.yaml':
        'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: my-repo\n  name: my-repo\nspec:\n  repo: https://github.com/acme/widgets.git\n',
      'app/kustomization.yaml': kustomization('resources: [task.yaml, workspace.yaml, agent.yaml]\n'),
      'app/task.yaml': task,
      // A line indented deeper than the keys beside it.
      'app/workspace.yaml':
        'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: my-repo\n   namespace: default\nspec:\n  repo: https://github.com/acme/widgets.git\n',
      'app/agent.yaml': 'apiVersion: kelos.dev/v1alpha2\nkind: AgentConfig\nmetadata: {name: a\n',
    });
    const refs = async (args: string[]) => {
      const run = await kelos(['validate', ...args, '--format', 'json'], { cwd: root });
      return (
        JSON.parse(run.stdout) as {
          diagnostics: { code: string; message: string; source: { file: string } }[];
        }
      ).diagnostics
        .filter((d) => d.code.startsWith('ref/'))
        .map((d) => `${d.source.file} ${d.code}: ${d.message}`);
    };
    expect(await refs(['loose'])).toStrictEqual([
      'loose/task.yaml ref/external: spec.worker.workspaceRef names Workspace "my-repo", which is not in this bundle; it may be in loose/workspace.yaml, which does not parse; fix that file and run again',
    ]);
    expect(await refs(['app', '--strict-refs'])).toStrictEqual([
      'app/task.yaml ref/dangling: spec.worker.workspaceRef names Workspace "my-repo", which is not in this bundle (namespace "default"); every reference must resolve within the bundle (it may be in app/workspace.yaml or app/agent.yaml, which do not parse; fix those files and run again)',
    ]);
  });

  test('--beside: a reference that resolves nowhere, with a file beside that does not parse, may name an object of that file', async () => {
    const task = `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: fix\nspec:\n  prompt: Fix it.\n  worker:\n    type: codex\n    credentials: {type: none}\n    workspaceRef: {name: my-repo}\n`;
    // A key written twice.
    const broken =
      'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: my-repo\n  name: my-repo\nspec:\n  repo: https://github.com/acme/widgets.git\n';
    const root = tree({
      'manifests/task.yaml': task,
      'dist/apps/issue-worker/kustomization.yaml': kustomization('resources: [workspace.yaml]\n'),
      'dist/apps/issue-worker/workspace.yaml': broken,
      'shared/workspace.yaml': broken,
    });
    const validate = async (beside: string) => {
      const run = await kelos(['validate', 'manifests/', '--beside', beside, '--format', 'json'], {
        cwd: root,
      });
      return (
        JSON.parse(run.stdout) as {
          diagnostics: { code: string; message: string; source: { file: string } }[];
        }
      ).diagnostics.map((d) => `${d.source.file} ${d.code}: ${d.message}`);
    };
    // Named as it is among the paths; what is wrong with it is still its own check's.
    expect(await validate('dist/')).toStrictEqual([
      'manifests/task.yaml ref/external: spec.worker.workspaceRef names Workspace "my-repo", which is not in this bundle; it may be in dist/apps/issue-worker/workspace.yaml, which does not parse; fix that file and run again',
    ]);
    expect(await validate('shared/workspace.yaml')).toStrictEqual([
      'manifests/task.yaml ref/external: spec.worker.workspaceRef names Workspace "my-repo", which is not in this bundle; it may be in shared/workspace.yaml, which does not parse; fix that file and run again',
    ]);
  });

  test('--beside: a reference to an object beside only as kelos.dev/v1alpha1 is ref/unserved, naming who deploys it and where', async () => {
    const task = `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: fix\nspec:\n  prompt: Fix it.\n  worker:\n    type: codex\n    credentials: {type: none}\n    workspaceRef: {name: my-repo}\n`;
    const root = tree({
      'manifests/task.yaml': task,
      'dist/apps/issue-worker/kustomization.yaml': kustomization('resources: [workspace.yaml]\n'),
      'dist/apps/issue-worker/workspace.yaml':
        '# upstream 15-workerpool\napiVersion: kelos.dev/v1alpha1\nkind: Workspace\nmetadata:\n  name: my-repo\nspec:\n  repo: https://github.com/acme/widgets.git\n',
    });
    const validate = async (...flags: string[]) => {
      const run = await kelos(['validate', 'manifests/', '--beside', 'dist/', ...flags, '--format', 'json'], {
        cwd: root,
      });
      return (
        JSON.parse(run.stdout) as { diagnostics: { severity: string; code: string; message: string }[] }
      ).diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message}`);
    };
    const message =
      'spec.worker.workspaceRef names Workspace "my-repo", which dist/apps/issue-worker deploys only as kelos.dev/v1alpha1 (dist/apps/issue-worker/workspace.yaml:2:1), a version this Kelos does not serve: the API server refuses that object, so the reference does not resolve';
    expect(await validate()).toStrictEqual([`warning ref/unserved: ${message}`]);
    expect(await validate('--strict-refs')).toStrictEqual([`error ref/unserved: ${message}`]);
  });

  test('--beside: loose manifests beside loose manifests resolve there too (no kustomization on either side)', async () => {
    const root = tree({
      'manifests/task.yaml':
        'apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: fix\nspec:\n  prompt: Fix it.\n  worker:\n    type: codex\n    credentials: {type: none}\n    workspaceRef: {name: repo}\n',
      'shared/workspace.yaml':
        'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: repo\nspec:\n  repo: https://github.com/acme/widgets.git\n',
    });
    for (const beside of ['shared/', 'shared/workspace.yaml']) {
      const run = await kelos(['validate', 'manifests/', '--beside', beside], { cwd: root });
      expect(run.stdout).toBe(
        [
          `manifests/task.yaml:10:20: info Task fix /spec/worker/workspaceRef/name: spec.worker.workspaceRef names Workspace "repo", which ${beside} deploys (namespace "default"), not this bundle: it resolves once both are synced [ref/other-bundle]`,
          '1 object, 0 errors, 0 warnings',
          '',
        ].join('\n'),
      );
      expect(run.code).toBe(0);
    }
  });

  test('resources decide what is in a bundle: nested kustomizations join their parent, unlisted files stay out', async () => {
    const root = tree({
      'app/kustomization.yaml': kustomization('resources:\n  - base\n  - extra.yaml\n'),
      'app/extra.yaml': budget('extra', '5'),
      'app/unlisted.yaml': budget('unlisted', '5'),
      'app/base/kustomization.yaml': kustomization('resources: [b.yaml]\n'),
      'app/base/b.yaml': budget('base', '5'),
    });
    const loaded = await loadBundles(['app'], noStdin, root);
    expect(loaded.bundles.map((b) => [b.name, b.documents.map((d) => d.file)])).toStrictEqual([
      ['app', ['app/base/b.yaml', 'app/extra.yaml']],
    ]);
    expect(loaded.diagnostics.map((d) => [d.severity, d.code, d.source?.file])).toStrictEqual([
      ['info', 'kustomize/not-a-resource', 'app/unlisted.yaml'],
    ]);
  });

  test('the namespace of a kustomization is set on its namespaced objects', async () => {
    const root = tree({
      'app/kustomization.yaml': kustomization('namespace: team-a\nresources: [b.yaml]\n'),
      'app/b.yaml': `${budget('b', '5', 'elsewhere')}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n`,
    });
    const [bundle] = (await loadBundles(['app'], noStdin, root)).bundles;
    expect(
      bundle?.documents.map((d) => (d.object['metadata'] as { namespace?: string }).namespace),
    ).toStrictEqual(['team-a', undefined]);
  });

  test('features that are not evaluated are warnings at their key; a missing resource is an error at its item', async () => {
    const root = tree({
      'app/kustomization.yaml': kustomization(
        'namePrefix: prod-\nresources:\n  - b.yaml\n  - gone.yaml\n  - https://github.com/acme/base?ref=v1\npatches:\n  - path: p.yaml\n',
      ),
      'app/b.yaml': budget('b', '5'),
    });
    const loaded = await loadBundles(['app'], noStdin, root);
    expect(
      loaded.diagnostics.map((d) => [d.severity, d.code, d.path, `${d.source?.file}:${d.source?.line}`]),
    ).toStrictEqual([
      ['warning', 'kustomize/not-evaluated', '/namePrefix', 'app/kustomization.yaml:3'],
      ['warning', 'kustomize/not-evaluated', '/patches', 'app/kustomization.yaml:8'],
      ['error', 'kustomize/missing-resource', '/resources/1', 'app/kustomization.yaml:6'],
      ['warning', 'kustomize/not-evaluated', '/resources/2', 'app/kustomization.yaml:7'],
    ]);
    expect(loaded.diagnostics[0]?.message).toContain('namePrefix is not evaluated');
  });

  test('a file outside the kustomization root is an error at its item, as kustomize refuses it; a directory outside it is read', async () => {
    const root = tree({
      'kz3/app/kustomization.yaml': kustomization(
        'resources:\n  - own.yaml\n  - ../shared.yaml\n  - ../base\n',
      ),
      'kz3/app/own.yaml': budget('own', '5'),
      'kz3/shared.yaml': budget('shared', '5'),
      'kz3/base/kustomization.yaml': kustomization('resources: [b.yaml]\n'),
      'kz3/base/b.yaml': budget('base', '5'),
    });
    const loaded = await loadBundles(['kz3/app'], noStdin, root);
    expect(loaded.diagnostics).toStrictEqual([
      {
        severity: 'error',
        code: 'kustomize/outside-root',
        message:
          "resource ../shared.yaml is the file kz3/shared.yaml, outside kz3/app: kustomize refuses files outside the kustomization's directory (load restrictor LoadRestrictionsRootOnly, Argo CD's default too), so kz3/app does not build; its objects are checked as listed",
        path: '/resources/1',
        resource: { kind: 'Kustomization', name: 'kz3/app/kustomization.yaml' },
        source: { file: 'kz3/app/kustomization.yaml', line: 5, column: 5 },
        hint: 'move kz3/shared.yaml under kz3/app, or put it in a directory with a kustomization file that lists it and list that directory here (kustomize reads a directory outside the root)',
      },
    ]);
    // Nothing else of the bundle is lost, and the refused file is still checked.
    expect(loaded.bundles.map((b) => [b.name, b.documents.map((d) => d.file)])).toStrictEqual([
      ['kz3/app', ['kz3/app/own.yaml', 'kz3/shared.yaml', 'kz3/base/b.yaml']],
    ]);
    const run = await kelos(['validate', 'kz3/app'], { cwd: root });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(
      'kz3/app/kustomization.yaml:5:5: error Kustomization kz3/app/kustomization.yaml /resources/1: ',
    );
  });

  test('a listed file that a symbolic link takes out of the kustomization root is refused, named by its target', async () => {
    const root = tree({
      'kz/app/kustomization.yaml': kustomization('resources: [link.yaml]\n'),
      'kz/shared.yaml': budget('shared', '5'),
    });
    symlinkSync('../shared.yaml', join(root, 'kz/app/link.yaml'));
    const loaded = await loadBundles(['kz/app/kustomization.yaml'], noStdin, root);
    expect(
      loaded.diagnostics.map((d) => [
        d.code,
        `${d.source?.file}:${d.source?.line}:${d.source?.column}`,
        d.message,
        d.hint,
      ]),
    ).toStrictEqual([
      [
        'kustomize/outside-root',
        'kz/app/kustomization.yaml:3:13',
        "resource link.yaml is the file kz/app/link.yaml (kz/shared.yaml, through a symbolic link), outside kz/app: kustomize refuses files outside the kustomization's directory (load restrictor LoadRestrictionsRootOnly, Argo CD's default too), so kz/app does not build; its objects are checked as listed",
        'move kz/shared.yaml under kz/app, or put it in a directory with a kustomization file that lists it and list that directory here (kustomize reads a directory outside the root)',
      ],
    ]);
    // Named as a directory, whose listing finds the link leaving it: the link was read for the
    // kustomization, so it is not also "not read".
    const walked = await loadBundles(['kz/app'], noStdin, root);
    expect(walked.diagnostics.map((d) => d.code)).toStrictEqual(['kustomize/outside-root']);
  });

  test('a file listed twice in resources is one error at the second item, and is read once', async () => {
    const root = tree({
      'kz4/kustomization.yaml': kustomization('resources: [ok.yaml, ./ok.yaml]\n'),
      'kz4/ok.yaml': budget('ok', '5'),
    });
    const loaded = await loadBundles(['kz4'], noStdin, root);
    expect(loaded.diagnostics).toStrictEqual([
      {
        severity: 'error',
        code: 'kustomize/duplicate-resource',
        message:
          'resource ./ok.yaml is listed twice, first at kz4/kustomization.yaml:3:13 as ok.yaml: kustomize refuses to add its objects again (may not add resource with an already registered id); it is read once',
        path: '/resources/1',
        resource: { kind: 'Kustomization', name: 'kz4/kustomization.yaml' },
        source: { file: 'kz4/kustomization.yaml', line: 3, column: 22 },
        hint: 'remove one of the two items',
      },
    ]);
    expect(loaded.bundles.map((b) => [b.name, b.documents.map((d) => d.file)])).toStrictEqual([
      ['kz4', ['kz4/ok.yaml']],
    ]);
    // No object is reported as its own duplicate.
    const run = await kelos(['validate', 'kz4'], { cwd: root });
    expect(run.stdout).not.toContain('bundle/duplicate');
    expect(run.stdout).toMatch(/^1 object, 1 error, 0 warnings$/m);
    expect(run.code).toBe(2);
  });

  test('a symbolic link listed beside its target is the duplicate, and is not also "not listed"', async () => {
    const root = tree({
      'kz5/kustomization.yaml': kustomization('resources: [ok.yaml, link.yaml]\n'),
      'kz5/ok.yaml': budget('ok', '5'),
    });
    symlinkSync('ok.yaml', join(root, 'kz5/link.yaml'));
    const loaded = await loadBundles(['kz5'], noStdin, root);
    expect(loaded.diagnostics.map((d) => [d.code, d.source?.file])).toStrictEqual([
      ['kustomize/duplicate-resource', 'kz5/kustomization.yaml'],
    ]);
  });

  test('a kustomization that lists its own directory is still a root: the cycle is an error, its files are read', async () => {
    const root = tree({
      'self/kustomization.yaml': kustomization('resources: [ok.yaml, .]\n'),
      'self/ok.yaml': budget('ok', '5'),
    });
    const loaded = await loadBundles(['self'], noStdin, root);
    expect(loaded.diagnostics.map((d) => [d.code, d.message, d.source?.line])).toStrictEqual([
      ['kustomize/cycle', "resource . is this kustomization's own directory: kustomize refuses the cycle", 3],
    ]);
    expect(loaded.bundles.map((b) => [b.name, b.documents.map((d) => d.file)])).toStrictEqual([
      ['self', ['self/ok.yaml']],
    ]);
  });

  test('two kustomization files in one directory are an error, as kustomize refuses it; a file named Kustomization is one', async () => {
    const root = tree({
      'two/kustomization.yaml': kustomization('resources: [ok.yaml]\n'),
      'two/kustomization.yml': kustomization('resources: [ok.yaml]\n'),
      'two/ok.yaml': budget('ok', '5'),
      'cap/Kustomization': kustomization('resources: [in.yaml]\n'),
      'cap/in.yaml': budget('in', '5'),
      'cap/out.yaml': budget('out', '5'),
    });
    const loaded = await loadBundles(['two', 'cap'], noStdin, root);
    expect(
      loaded.diagnostics.filter((d) => d.severity !== 'info').map((d) => [d.code, d.source?.file, d.message]),
    ).toStrictEqual([
      [
        'kustomize/multiple-files',
        'two/kustomization.yml',
        'two holds 2 kustomization files (kustomization.yaml, kustomization.yml): kustomize refuses to build it; kustomization.yaml is read, the others are neither read nor checked as manifests',
      ],
    ]);
    expect(loaded.bundles.map((b) => [b.name, b.documents.map((d) => d.file)])).toStrictEqual([
      ['two', ['two/ok.yaml']],
      ['cap', ['cap/in.yaml']],
    ]);
  });

  test('a directory listed twice in resources is one error at the second item, and is built once', async () => {
    const root = tree({
      'app/kustomization.yaml': kustomization('resources:\n  - ../base\n  - ../base/\n'),
      'base/kustomization.yaml': kustomization('resources: [b.yaml]\n'),
      'base/b.yaml': budget('base', '5'),
    });
    const loaded = await loadBundles(['app'], noStdin, root);
    expect(
      loaded.diagnostics.map((d) => [
        d.code,
        `${d.source?.file}:${d.source?.line}:${d.source?.column}`,
        d.message,
      ]),
    ).toStrictEqual([
      [
        'kustomize/duplicate-resource',
        'app/kustomization.yaml:5:5',
        'resource ../base/ is listed twice, first at app/kustomization.yaml:4:5 as ../base: kustomize refuses to add its objects again (may not add resource with an already registered id); it is read once',
      ],
    ]);
    expect(loaded.bundles.map((b) => [b.name, b.documents.map((d) => d.file)])).toStrictEqual([
      ['app', ['base/b.yaml']],
    ]);
  });

  test('a kustomization that is not valid YAML is one yaml/parse error at its line, with the hint', async () => {
    const root = tree({
      'app/kustomization.yaml':
        'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - b.yaml\n namespace: x\n',
      'app/b.yaml': budget('b', '5'),
    });
    const loaded = await loadBundles(['app'], noStdin, root);
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.code, `${d.source?.file}:${d.source?.line}`, d.hint])).toStrictEqual([
      [
        'yaml/parse',
        'app/kustomization.yaml:5',
        'indent every key of one mapping, and every `-` of one list, to the same column',
      ],
    ]);
    expect(loaded.diagnostics[0]?.message).toMatch(
      /^kustomization is not valid YAML: this line is indented differently/,
    );
  });

  test("a kustomization's quote that never closes is reported at the quote", async () => {
    const root = tree({
      'app/kustomization.yaml':
        'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: "team-a\nresources:\n  - b.yaml\n',
      'app/b.yaml': budget('b', '5'),
    });
    const loaded = await loadBundles(['app'], noStdin, root);
    const errors = loaded.diagnostics.filter((d) => d.code === 'yaml/parse');
    expect(errors.map((d) => `${d.source?.file}:${d.source?.line}:${d.source?.column}`)).toStrictEqual([
      'app/kustomization.yaml:3:12',
    ]);
    expect(errors[0]?.message).toMatch(
      /^kustomization is not valid YAML: the quoted value that starts here is not closed/,
    );
    // b.yaml is listed; what the kustomization lists is unknown, not "not listed".
    expect(
      loaded.diagnostics
        .filter((d) => d.code === 'kustomize/not-a-resource')
        .map((d) => [d.source?.file, d.message]),
    ).toStrictEqual([
      [
        'app/b.yaml',
        'not checked: app/kustomization.yaml cannot be read (its error is above), so which files it lists is unknown',
      ],
    ]);
  });

  test('one object rendered differently by two bundles is an error naming both', async () => {
    const root = tree({
      'a/kustomization.yaml': kustomization('resources: [b.yaml]\n'),
      'a/b.yaml': budget('team-daily', '300'),
      'b/kustomization.yaml': kustomization('resources: [b.yaml]\n'),
      'b/b.yaml': budget('team-daily', '150', 'default'),
    });
    const run = await kelos(['validate', 'a', 'b'], { cwd: root });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(
      'b/b.yaml:10:3: error TaskBudget default/team-daily /spec/maxCostUSD: also rendered by a (a/b.yaml:9:3) with different content',
    );
    expect(run.stdout).toContain('[bundle/conflict]');
  });

  test('the same object, once with its namespace written and once without, is the same object', async () => {
    const root = tree({
      'a/kustomization.yaml': kustomization('resources: [b.yaml]\n'),
      'a/b.yaml': budget('team-daily', '300'),
      'b/kustomization.yaml': kustomization('resources: [b.yaml]\n'),
      'b/b.yaml': budget('team-daily', '300', 'default'),
    });
    // No conflict: one object, which two roots would both own.
    expect(
      conflictsAcrossBundles((await loadBundles(['a', 'b'], noStdin, root)).bundles).map((d) => [
        d.severity,
        d.code,
      ]),
    ).toStrictEqual([['warning', 'bundle/shared']]);
  });

  test('kelos validate dist/ and kelos check dist/ exit 0 on this repository', async () => {
    const validate = await kelos(['validate', 'dist/'], { cwd: ROOT });
    expect(validate.stdout).toMatch(/, 0 errors, /);
    expect(validate.code).toBe(0);
    const check = await kelos(['check', 'dist/'], { cwd: ROOT });
    expect(check.stdout).toMatch(/^0 errors, 0 warnings/m);
    expect(check.code).toBe(0);
  }, 60_000);
});
