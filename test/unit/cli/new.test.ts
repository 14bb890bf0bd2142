import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { BUILTIN_RULE_IDS } from '../../../policies/index.ts';
import { packageNameOf } from '../../../src/cli/commands/new.ts';
import { keptAdvice } from '../../../src/cli/scaffold/existing.ts';
import { CDK8S_KELOS_SECTION, scaffoldFiles } from '../../../src/cli/scaffold/templates.ts';
import { parsePolicyConfig } from '../../../src/policy/config.ts';
import { kelos } from '../validate/run-cli.ts';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'kelos-new-'));
  dirs.push(d);
  return d;
};

// The scaffold installed from the tarball, synthesized and checked with 0 errors and 0 warnings,
// is test/package/package.test.ts; these tests cover the command itself.
describe('kelos new', () => {
  test('writes a GitOps repository whose package.json depends on this version of kelos-ts', async () => {
    const cwd = scratch();
    const run = await kelos(['new', 'My Gitops'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('created My Gitops (11 files)');
    const pkg = JSON.parse(readFileSync(join(cwd, 'My Gitops', 'package.json'), 'utf8')) as {
      name: string;
      dependencies: Record<string, string>;
    };
    const own = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(pkg.name).toBe('my-gitops');
    expect(pkg.dependencies).toStrictEqual({ 'kelos-ts': `^${own.version}` });
    expect(readFileSync(join(cwd, 'My Gitops', 'apps/issue-worker/main.ts'), 'utf8')).toContain(
      "from 'kelos-ts'",
    );
  });

  test("the README's steps for an existing repository install the TypeScript and @types/node the scaffold pins", () => {
    const pkg = JSON.parse(
      scaffoldFiles({ name: 'r', kelosVersion: '0.2.0', repoURL: 'https://example.com/r.git' }).get(
        'package.json',
      ) ?? '{}',
    ) as { devDependencies: Record<string, string> };
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    const existing = readme.slice(readme.indexOf('In an existing repository'));
    expect(existing).toContain(
      `npm install -D typescript@${pkg.devDependencies['typescript']} @types/node@${pkg.devDependencies['@types/node']}`,
    );
  });

  test("the README's steps for an existing repository name every compiler option of the scaffold's tsconfig.json", () => {
    const tsconfig = scaffoldFiles({
      name: 'r',
      kelosVersion: '0.2.0',
      repoURL: 'https://example.com/r.git',
    }).get('tsconfig.json');
    const options = Object.keys(
      (JSON.parse((tsconfig ?? '{}').replace(/^\s*\/\/.*$/gm, '')) as { compilerOptions: object })
        .compilerOptions,
    );
    expect(options).toContain('moduleResolution');
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    const existing = readme.slice(
      readme.indexOf('In an existing repository'),
      readme.indexOf('npm pkg set type=module'),
    );
    for (const option of options) expect(existing, option).toContain(`"${option}"`);
  });

  test('its kelos.policy.yaml is a valid policy config that declares the Secrets the app references', async () => {
    const cwd = scratch();
    await kelos(['new', 'repo'], { cwd });
    const config = parsePolicyConfig(
      parse(readFileSync(join(cwd, 'repo', 'kelos.policy.yaml'), 'utf8')),
      'kelos.policy.yaml',
      BUILTIN_RULE_IDS,
    );
    expect(config.externalSecrets).toStrictEqual(['github-token', 'claude-oauth-token']);
    expect(config.botIdentities).toStrictEqual(['my-org-kelos[bot]']);
  });

  test('--kelos-version sets the dependency; a directory that is not empty is refused', async () => {
    const cwd = scratch();
    const created = await kelos(['new', 'a', '--kelos-version', '^0.2.1'], { cwd });
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('\n  cd a\n');
    // A name with a space (or a quote) is printed as one shell word, so the line can be pasted.
    const spaced = await kelos(['new', "Bob's Gitops", '--kelos-version', '^0.2.1'], { cwd });
    expect(spaced.stdout).toContain(`\n  cd 'Bob'\\''s Gitops'\n`);
    expect(readFileSync(join(cwd, 'a', 'package.json'), 'utf8')).toContain('"kelos-ts": "^0.2.1"');
    mkdirSync(join(cwd, 'b'));
    writeFileSync(join(cwd, 'b', 'keep.txt'), 'mine');
    const refused = await kelos(['new', 'b'], { cwd });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'kelos: b is not empty (keep.txt); kelos new writes into a new directory, or one that holds only .git; to add Kelos to an existing repository: kelos new b --existing\n',
    );
    expect(readFileSync(join(cwd, 'b', 'keep.txt'), 'utf8')).toBe('mine');
    // A fresh clone of an empty repository: only .git, which is kept as it was.
    mkdirSync(join(cwd, 'clone', '.git'), { recursive: true });
    writeFileSync(join(cwd, 'clone', '.git', 'HEAD'), 'ref: refs/heads/main\n');
    const here = await kelos(['new', '.'], { cwd: join(cwd, 'clone') });
    expect(here.code).toBe(0);
    expect(here.stdout).not.toContain('cd .');
    expect(readFileSync(join(cwd, 'clone', 'package.json'), 'utf8')).toContain('"name": "clone"');
    expect(readFileSync(join(cwd, 'clone', '.git', 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
  });

  test("a tarball in --kelos-version is copied into the project and installed from there, so the project's own CI can install it; the Next lines say to commit it", async () => {
    const cwd = scratch();
    writeFileSync(join(cwd, 'kelos-ts-0.2.0.tgz'), 'tarball');
    mkdirSync(join(cwd, 'work'));
    const dependency = (dir: string): string =>
      (
        JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
          dependencies: Record<string, string>;
        }
      ).dependencies['kelos-ts'] as string;
    for (const [where, dir, spec] of [
      [cwd, 'rel1', 'file:kelos-ts-0.2.0.tgz'],
      // The error text's example, from a directory beside the tarball.
      [join(cwd, 'work'), 'rel2', 'file:../kelos-ts-0.2.0.tgz'],
      [cwd, 'deep/rel3', './kelos-ts-0.2.0.tgz'],
      [cwd, 'rel4', 'kelos-ts-0.2.0.tgz'],
      [cwd, 'abs', `file:${join(cwd, 'kelos-ts-0.2.0.tgz')}`],
      // npm reads a plain absolute path as a path too.
      [cwd, 'abs2', join(cwd, 'kelos-ts-0.2.0.tgz')],
    ] as const) {
      const run = await kelos(['new', dir, '--kelos-version', spec], { cwd: where });
      expect(run.code, run.stderr).toBe(0);
      const root = join(where, dir);
      // What `npm install ./kelos-ts-0.2.0.tgz` in the project writes: a path inside it.
      expect(dependency(root)).toBe('file:kelos-ts-0.2.0.tgz');
      expect(readFileSync(join(root, 'kelos-ts-0.2.0.tgz'), 'utf8')).toBe('tarball');
      expect(run.stdout).toBe(
        `created ${dir} (12 files). Next:\n  cd ${dir}\n  npm install\n  npx kelos synth && npx kelos check\n` +
          `kelos-ts-0.2.0.tgz was copied into ${dir} and package.json installs kelos-ts from it (file:kelos-ts-0.2.0.tgz): commit it with the rest, so the CI workflow's npm ci finds it.\n` +
          'Argo CD will read https://github.com/my-org/' +
          `${dir.split('/').pop()}.git: set repoURL in deploy/argocd.ts (or pass --repo-url) before you deploy.\n`,
      );
    }
    // Committed by `git add -A` (no ignore rule of the scaffold keeps it out), so a clone has it.
    const rel1 = join(cwd, 'rel1');
    execFileSync('git', ['init', '-q'], { cwd: rel1 });
    execFileSync('git', ['add', '-A'], { cwd: rel1 });
    expect(execFileSync('git', ['ls-files'], { cwd: rel1, encoding: 'utf8' }).split('\n')).toContain(
      'kelos-ts-0.2.0.tgz',
    );
    // In the current directory (a fresh clone) too.
    mkdirSync(join(cwd, 'clone', '.git'), { recursive: true });
    const here = await kelos(['new', '.', '--kelos-version', 'file:../kelos-ts-0.2.0.tgz'], {
      cwd: join(cwd, 'clone'),
    });
    expect(here.code).toBe(0);
    expect(dependency(join(cwd, 'clone'))).toBe('file:kelos-ts-0.2.0.tgz');
    expect(existsSync(join(cwd, 'clone', 'kelos-ts-0.2.0.tgz'))).toBe(true);
    // A directory (a checkout) is not copied: written relative to the project, where npm resolves
    // it, and the output says the project's CI cannot install it.
    mkdirSync(join(cwd, 'checkout'));
    const linked = await kelos(['new', 'dir1', '--kelos-version', 'file:checkout'], { cwd });
    expect(linked.code).toBe(0);
    expect(dependency(join(cwd, 'dir1'))).toBe('file:../checkout');
    expect(linked.stdout).toContain(
      `package.json installs kelos-ts from ${join(cwd, 'checkout')}, outside the repository: the CI workflow's npm ci cannot. Pack it (npm pack) and pass the tarball instead.\n`,
    );
  });

  test('the CI workflow uploads the SARIF report after a failed step only when the report was written', async () => {
    const cwd = scratch();
    expect((await kelos(['new', 'repo'], { cwd })).code).toBe(0);
    const workflow = parse(readFileSync(join(cwd, 'repo/.github/workflows/kelos.yml'), 'utf8')) as {
      jobs: { kelos: { steps: Array<{ uses?: string; if?: string; with?: Record<string, string> }> } };
    };
    const upload = workflow.jobs.kelos.steps.find((s) =>
      s.uses?.startsWith('github/codeql-action/upload-sarif'),
    );
    expect(upload?.if).toBe(`always() && hashFiles('${upload?.with?.['sarif_file']}') != ''`);
  });

  test('the CI workflow checks manifests/ only when it holds a manifest (git keeps no empty directory, so it may hold only .gitkeep)', async () => {
    const cwd = scratch();
    expect((await kelos(['new', 'repo'], { cwd })).code).toBe(0);
    const root = join(cwd, 'repo');
    const workflow = parse(readFileSync(join(root, '.github/workflows/kelos.yml'), 'utf8')) as {
      jobs: { kelos: { steps: Array<{ name?: string; run?: string }> } };
    };
    const step = workflow.jobs.kelos.steps.find((s) => s.name?.startsWith('plain manifests'))?.run ?? '';
    // npx stands in: it records what it was asked to run.
    const bin = join(cwd, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'npx'), '#!/bin/sh\necho "$*" >> "$NPX_LOG"\n', { mode: 0o755 });
    const ran = (): string => {
      const log = join(cwd, 'npx.log');
      rmSync(log, { force: true });
      execFileSync('bash', ['-e', '-c', step], {
        cwd: root,
        env: { ...process.env, PATH: `${bin}:${process.env['PATH']}`, NPX_LOG: log },
      });
      return existsSync(log) ? readFileSync(log, 'utf8') : '';
    };
    expect(ran()).toBe('');
    mkdirSync(join(root, 'manifests'));
    writeFileSync(join(root, 'manifests', '.gitkeep'), '');
    expect(ran()).toBe('');
    mkdirSync(join(root, 'manifests', 'team'));
    writeFileSync(join(root, 'manifests', 'team', 'task.yml'), 'kind: Task\n');
    // Beside the rendered apps, which the step before checked are up to date.
    expect(ran()).toBe(
      'kelos validate --strict-refs manifests/ --beside dist/\nkelos check manifests/ --beside dist/\n',
    );
    // And beside a root argocd/ of hand-written Argo CD objects, when there is one.
    mkdirSync(join(root, 'argocd'));
    expect(ran()).toBe(
      'kelos validate --strict-refs manifests/ --beside dist/ argocd/\nkelos check manifests/ --beside dist/ argocd/\n',
    );
  });

  test('the CI workflow runs kelos check on manifests/ when kelos validate fails, and fails with it', async () => {
    const cwd = scratch();
    expect((await kelos(['new', 'repo'], { cwd })).code).toBe(0);
    const root = join(cwd, 'repo');
    const workflow = parse(readFileSync(join(root, '.github/workflows/kelos.yml'), 'utf8')) as {
      jobs: { kelos: { steps: Array<{ name?: string; run?: string }> } };
    };
    const step = workflow.jobs.kelos.steps.find((s) => s.name?.startsWith('plain manifests'))?.run ?? '';
    mkdirSync(join(root, 'manifests'));
    writeFileSync(join(root, 'manifests', 'task.yaml'), 'kind: Task\n');
    // npx stands in: it records what it was asked to run, and fails as kelos validate does on an
    // error (2), or kelos check on a bad policy file (1).
    const bin = join(cwd, 'bin');
    mkdirSync(bin);
    const log = join(cwd, 'npx.log');
    writeFileSync(
      join(bin, 'npx'),
      '#!/bin/sh\necho "$*" >> "$NPX_LOG"\ncase "$2" in validate) exit "$VALIDATE";; *) exit "$CHECK";; esac\n',
      { mode: 0o755 },
    );
    // GitHub runs a step with bash -e.
    const ran = (validate: number, check: number): { code: number; log: string } => {
      rmSync(log, { force: true });
      let code = 0;
      try {
        execFileSync('bash', ['-e', '-c', step], {
          cwd: root,
          env: {
            ...process.env,
            PATH: `${bin}:${process.env['PATH']}`,
            NPX_LOG: log,
            VALIDATE: String(validate),
            CHECK: String(check),
          },
          stdio: 'ignore',
        });
      } catch (err) {
        code = (err as { status: number }).status;
      }
      return { code, log: readFileSync(log, 'utf8') };
    };
    const both =
      'kelos validate --strict-refs manifests/ --beside dist/\nkelos check manifests/ --beside dist/\n';
    expect(ran(2, 0)).toStrictEqual({ code: 2, log: both });
    expect(ran(0, 2)).toStrictEqual({ code: 2, log: both });
    expect(ran(2, 1)).toStrictEqual({ code: 1, log: both });
    expect(ran(0, 0)).toStrictEqual({ code: 0, log: both });
  });

  test('each pre-commit hook runs when the policy, cdk8s.yaml or the pinned kelos-ts changes, and reads all it checks, not the staged files', async () => {
    const cwd = scratch();
    expect((await kelos(['new', 'repo'], { cwd })).code).toBe(0);
    const root = join(cwd, 'repo');
    const config = parse(readFileSync(join(root, '.pre-commit-config.yaml'), 'utf8')) as {
      repos: Array<{
        hooks: Array<{
          id: string;
          entry: string;
          files: string;
          pass_filenames?: boolean;
          always_run?: boolean;
        }>;
      }>;
    };
    const hooks = config.repos.flatMap((r) => r.hooks);
    // A hook given the policy file would read it as a manifest: every hook reads what it checks.
    for (const hook of hooks) expect(hook.pass_filenames, hook.id).toBe(false);
    // Each runs on every commit; its files are what starts it once always_run is set false.
    for (const hook of hooks) expect(hook.always_run, hook.id).toBe(true);
    // pre-commit matches with Python's re.search; these patterns mean the same in JavaScript.
    const runFor = (path: string): string[] =>
      hooks.filter((h) => new RegExp(h.files).test(path)).map((h) => h.id);
    const every = ['kelos-check', 'kelos-synth-check', 'kelos-validate-manifests', 'kelos-check-manifests'];
    for (const path of ['kelos.policy.yaml', 'cdk8s.yaml', 'package.json', 'package-lock.json'])
      expect(runFor(path), path).toStrictEqual(every);
    expect(runFor('apps/issue-worker/main.ts')).toStrictEqual(['kelos-check', 'kelos-synth-check']);
    expect(runFor('deploy/argocd.ts')).toStrictEqual(['kelos-check', 'kelos-synth-check']);
    expect(runFor('dist/apps/issue-worker/kustomization.yaml')).toStrictEqual(['kelos-synth-check']);
    expect(runFor('.kelos-synth.json')).toStrictEqual(['kelos-synth-check']);
    expect(runFor('manifests/team/task.yaml')).toStrictEqual([
      'kelos-validate-manifests',
      'kelos-check-manifests',
    ]);
    expect(runFor('README.md')).toStrictEqual([]);
    expect(runFor('docs/kelos.policy.yaml')).toStrictEqual([]);

    // Started by a policy change, the manifests/ hooks pass when there is no manifest to read
    // (kelos validate manifests/ would be a usage error), and read the whole folder when there is.
    // A kelos in node_modules/.bin stands in: it records what it was asked to run, and fails as
    // kelos would on an error.
    mkdirSync(join(root, 'node_modules/.bin'), { recursive: true });
    writeFileSync(join(root, 'node_modules/.bin/kelos'), '#!/bin/sh\necho "$*" >> "$KELOS_LOG"\nexit 2\n', {
      mode: 0o755,
    });
    const ran = (id: string): { code: number; log: string } => {
      const entry = hooks.find((h) => h.id === id)?.entry ?? '';
      const log = join(cwd, 'kelos.log');
      rmSync(log, { force: true });
      // pre-commit splits the entry as a shell does (shlex) and runs it without a shell.
      let code = 0;
      try {
        execFileSync('bash', ['-c', `exec ${entry}`], {
          cwd: root,
          env: { ...process.env, KELOS_LOG: log },
          stdio: 'ignore',
        });
      } catch (err) {
        code = (err as { status: number }).status;
      }
      return { code, log: existsSync(log) ? readFileSync(log, 'utf8') : '' };
    };
    expect(ran('kelos-validate-manifests')).toStrictEqual({ code: 0, log: '' });
    mkdirSync(join(root, 'manifests'));
    writeFileSync(join(root, 'manifests', '.gitkeep'), '');
    expect(ran('kelos-check-manifests')).toStrictEqual({ code: 0, log: '' });
    writeFileSync(join(root, 'manifests', 'task.yaml'), 'kind: Task\n');
    expect(ran('kelos-validate-manifests')).toStrictEqual({
      code: 2,
      log: 'validate --strict-refs manifests/\n',
    });
    expect(ran('kelos-check-manifests')).toStrictEqual({
      code: 2,
      log: 'check manifests/\n',
    });
    // Once the apps are rendered, beside them: a TaskBudget an app deploys covers a spawner here.
    mkdirSync(join(root, 'dist'));
    expect(ran('kelos-check-manifests')).toStrictEqual({
      code: 2,
      log: 'check manifests/ --beside dist/\n',
    });
  });

  test('the hooks and CI validate manifests/ with --strict-refs: a Secret neither in git nor under externalSecrets, or a Workspace deleted while Tasks use it, fails; a listed Secret passes', async () => {
    const cwd = scratch();
    expect((await kelos(['new', 'repo'], { cwd })).code).toBe(0);
    const root = join(cwd, 'repo');
    const config = parse(readFileSync(join(root, '.pre-commit-config.yaml'), 'utf8')) as {
      repos: Array<{ hooks: Array<{ id: string; entry: string }> }>;
    };
    const entry = config.repos
      .flatMap((r) => r.hooks)
      .find((h) => h.id === 'kelos-validate-manifests')?.entry;
    const args = /kelos (validate [^']*?manifests\/)/.exec(entry ?? '')?.[1]?.split(' ') ?? [];
    expect(args).toStrictEqual(['validate', '--strict-refs', 'manifests/']);
    expect(readFileSync(join(root, '.github/workflows/kelos.yml'), 'utf8')).toContain(
      'npx kelos validate --strict-refs manifests/ --beside $b',
    );
    const team = join(root, 'manifests', 'team-05');
    mkdirSync(team, { recursive: true });
    const workspace = (secret: string) =>
      `apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata: {name: svc, namespace: team-05}\nspec:\n  repo: https://github.com/my-org/svc.git\n  ref: main\n  secretRef: {name: ${secret}}\n`;
    for (const i of [1, 2, 3])
      writeFileSync(
        join(team, `task-${i}.yaml`),
        `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata: {name: fix-${i}, namespace: team-05, annotations: {kelos.dev/lifecycle: git}}\nspec:\n  prompt: Fix the flaky test.\n  worker:\n    type: claude-code\n    credentials: {type: api-key, secretRef: {name: claude-oauth-token}}\n    workspaceRef: {name: svc}\n`,
      );
    writeFileSync(join(team, 'workspace.yaml'), workspace('github-token'));
    expect(await kelos(args, { cwd: root })).toStrictEqual({
      code: 0,
      stdout: '4 objects, 0 errors, 0 warnings\n',
      stderr: '',
    });
    writeFileSync(join(team, 'workspace.yaml'), workspace('githb-token'));
    const typo = await kelos(args, { cwd: root });
    expect(typo.code).toBe(2);
    expect(typo.stdout).toContain(
      'manifests/team-05/workspace.yaml:7:15: error Workspace team-05/svc /spec/secretRef/name: spec.secretRef names Secret "githb-token", which is not in this bundle (namespace "team-05") nor listed under externalSecrets; every reference must resolve within the bundle or, for a Secret created outside git, be listed there; did you mean "github-token"? [ref/secret-external]',
    );
    rmSync(join(team, 'workspace.yaml'));
    const deleted = await kelos(args, { cwd: root });
    expect(deleted.code).toBe(2);
    expect(
      deleted.stdout.match(/error Task team-05\/fix-\d .*names Workspace "svc".*\[ref\/dangling\]/g),
    ).toHaveLength(3);
  });

  test('the manifests/ hooks read the Applications synth renders into dist/argocd (--beside dist/) or a root argocd/ holds, so manifests/ is bundled as Argo CD syncs it', async () => {
    const cwd = scratch();
    expect((await kelos(['new', 'repo'], { cwd })).code).toBe(0);
    const root = join(cwd, 'repo');
    const config = parse(readFileSync(join(root, '.pre-commit-config.yaml'), 'utf8')) as {
      repos: Array<{ hooks: Array<{ id: string; entry: string }> }>;
    };
    const hooks = config.repos.flatMap((r) => r.hooks);
    // The real kelos of this checkout, run by the hook's own entry as pre-commit runs it.
    mkdirSync(join(root, 'node_modules/.bin'), { recursive: true });
    const main = new URL('../../../src/cli/main.ts', import.meta.url).pathname;
    writeFileSync(
      join(root, 'node_modules/.bin/kelos'),
      `#!/bin/sh\nexec '${process.execPath}' '${main}' "$@"\n`,
      {
        mode: 0o755,
      },
    );
    const ran = (id: string): { code: number; stdout: string } => {
      const run = spawnSync('bash', ['-c', `exec ${hooks.find((h) => h.id === id)?.entry ?? ''}`], {
        cwd: root,
        encoding: 'utf8',
      });
      return { code: run.status ?? -1, stdout: run.stdout };
    };
    // Two teams' directories, each synced by its own Application into its own namespace: the
    // same Workspace name in each is two objects, not one defined twice.
    for (const team of ['team-a', 'team-b']) {
      mkdirSync(join(root, 'manifests', team), { recursive: true });
      writeFileSync(
        join(root, 'manifests', team, 'workspace.yaml'),
        `apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata: {name: svc}\nspec:\n  repo: https://github.com/my-org/${team}.git\n  ref: main\n  secretRef: {name: github-token}\n`,
      );
    }
    // Without the Applications (no dist/ yet) manifests/ is one bundle: the hook says so.
    const alone = ran('kelos-validate-manifests');
    expect(alone.code).toBe(2);
    expect(alone.stdout).toContain(
      'manifests/team-b/workspace.yaml:1:1: error Workspace svc Workspace "default/svc" is defined twice: here and at manifests/team-a/workspace.yaml:1:1 [bundle/duplicate]',
    );
    // An ApplicationSet written by hand in a root argocd/, as the README's layout has it.
    mkdirSync(join(root, 'argocd'));
    writeFileSync(
      join(root, 'argocd', 'teams.yaml'),
      `apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: teams, namespace: argocd}\nspec:\n  goTemplate: true\n  generators:\n    - git:\n        repoURL: https://github.com/my-org/fleet.git\n        revision: main\n        directories: [{path: 'manifests/*'}]\n  template:\n    metadata: {name: '{{.path.basename}}'}\n    spec:\n      project: default\n      source: {repoURL: 'https://github.com/my-org/fleet.git', targetRevision: main, path: '{{.path.path}}'}\n      destination: {server: 'https://kubernetes.default.svc', namespace: '{{.path.basename}}'}\n`,
    );
    expect(ran('kelos-validate-manifests')).toStrictEqual({
      code: 0,
      stdout: '2 objects, 0 errors, 0 warnings\n',
    });
    rmSync(join(root, 'argocd'), { recursive: true });
    // The Applications as deploy/argocd.ts renders them into dist/argocd.
    mkdirSync(join(root, 'dist', 'argocd'), { recursive: true });
    for (const team of ['team-a', 'team-b'])
      writeFileSync(
        join(root, 'dist', 'argocd', `application-${team}.yaml`),
        `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: ${team}, namespace: argocd}\nspec:\n  project: default\n  source: {repoURL: 'https://github.com/my-org/fleet.git', targetRevision: main, path: manifests/${team}}\n  destination: {server: 'https://kubernetes.default.svc', namespace: ${team}}\n  syncPolicy: {syncOptions: [CreateNamespace=true]}\n`,
      );
    expect(ran('kelos-validate-manifests')).toStrictEqual({
      code: 0,
      stdout: '2 objects, 0 errors, 0 warnings\n',
    });
    expect(ran('kelos-check-manifests')).toStrictEqual({
      code: 0,
      stdout: '0 errors, 0 warnings, 0 info in 2 objects (24 rules); 0 suppressed\n',
    });
  });

  test('pre-commit shows the warnings of a kelos hook that passes (verbose), as a ref/external one', async () => {
    const cwd = scratch();
    expect((await kelos(['new', 'repo'], { cwd })).code).toBe(0);
    const root = join(cwd, 'repo');
    // A kelos in node_modules/.bin stands in: a warning, and exit 0, as a reference outside git gives.
    const warning =
      'manifests/task.yaml:10:20: warning Task fix /spec/worker/workspaceRef/name: spec.worker.workspaceRef names Workspace "my-rpeo", which is not in this bundle [ref/external]';
    mkdirSync(join(root, 'node_modules/.bin'), { recursive: true });
    writeFileSync(join(root, 'node_modules/.bin/kelos'), `#!/bin/sh\necho '${warning}'\n`, { mode: 0o755 });
    mkdirSync(join(root, 'manifests'));
    writeFileSync(join(root, 'manifests', 'task.yaml'), 'kind: Task\n');
    const env = {
      ...process.env,
      PRE_COMMIT_HOME: join(cwd, 'pre-commit-home'),
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
    };
    execFileSync('git', ['init', '-q'], { cwd: root, env });
    execFileSync('git', ['add', '-A'], { cwd: root, env });
    // The real pre-commit, as `git commit` runs it.
    const out = execFileSync(
      'pre-commit',
      ['run', 'kelos-validate-manifests', '--files', 'manifests/task.yaml'],
      {
        cwd: root,
        env,
        encoding: 'utf8',
      },
    );
    expect(out).toMatch(/kelos validate \(manifests\/\)\.+Passed/);
    expect(out).toContain(warning);
  });

  test('a commit that only deletes a file runs every hook (the real pre-commit), so deleting a Workspace Tasks use is validated', async () => {
    const cwd = scratch();
    expect((await kelos(['new', 'repo'], { cwd })).code).toBe(0);
    const root = join(cwd, 'repo');
    // A kelos in node_modules/.bin stands in: it records what it was asked to run.
    const log = join(cwd, 'kelos.log');
    mkdirSync(join(root, 'node_modules/.bin'), { recursive: true });
    writeFileSync(join(root, 'node_modules/.bin/kelos'), `#!/bin/sh\necho "$*" >> '${log}'\n`, {
      mode: 0o755,
    });
    mkdirSync(join(root, 'manifests'));
    writeFileSync(join(root, 'manifests', 'workspace.yaml'), 'kind: Workspace\n');
    writeFileSync(join(root, 'manifests', 'task.yaml'), 'kind: Task\n');
    const env = {
      ...process.env,
      PRE_COMMIT_HOME: join(cwd, 'pre-commit-home'),
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    };
    execFileSync('git', ['init', '-q'], { cwd: root, env });
    execFileSync('git', ['add', '-A'], { cwd: root, env });
    execFileSync('git', ['commit', '-q', '-m', 'init'], { cwd: root, env });
    execFileSync('git', ['rm', '-q', 'manifests/workspace.yaml'], { cwd: root, env });
    // The real pre-commit on what is staged, as `git commit` runs it: only a deletion.
    const out = execFileSync('pre-commit', ['run'], { cwd: root, env, encoding: 'utf8' });
    for (const name of [
      'kelos check \\(apps\\)',
      'kelos synth --check \\(dist/ is up to date\\)',
      'kelos validate \\(manifests/\\)',
      'kelos check \\(manifests/\\)',
    ])
      expect(out).toMatch(new RegExp(`${name}\\.+Passed`));
    expect(out).not.toContain('Skipped');
    expect(readFileSync(log, 'utf8').split('\n').sort()).toStrictEqual([
      '',
      'check',
      'check manifests/',
      'synth --check',
      'validate --strict-refs manifests/',
    ]);
  });

  test('in a clone without node_modules, every hook fails at once saying to run npm ci, asking no registry', async () => {
    const cwd = scratch();
    expect((await kelos(['new', 'repo'], { cwd })).code).toBe(0);
    const root = join(cwd, 'repo');
    mkdirSync(join(root, 'manifests'));
    writeFileSync(join(root, 'manifests', 'task.yaml'), 'kind: Task\n');
    writeFileSync(join(root, 'package-lock.json'), '{}\n');
    const env = {
      ...process.env,
      PRE_COMMIT_HOME: join(cwd, 'pre-commit-home'),
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      // A registry lookup, had any hook made one, would fail here naming this address.
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_fetch_retries: '0',
    };
    execFileSync('git', ['init', '-q'], { cwd: root, env });
    execFileSync('git', ['add', '-A'], { cwd: root, env });
    // The real pre-commit, as `git commit` runs it; a staged package-lock.json starts every hook.
    const run = spawnSync('pre-commit', ['run', '--files', 'package-lock.json', 'manifests/task.yaml'], {
      cwd: root,
      env,
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    for (const name of [
      'kelos check \\(apps\\)',
      'kelos synth --check \\(dist/ is up to date\\)',
      'kelos validate \\(manifests/\\)',
      'kelos check \\(manifests/\\)',
    ])
      expect(run.stdout).toMatch(
        new RegExp(
          `${name}\\.+Failed\\n- hook id: [\\w-]+\\n- duration: [\\d.]+s\\n- exit code: 1\\n\\nkelos-ts is not installed in this repository \\(no node_modules/\\.bin/kelos\\); run npm ci\\n`,
        ),
      );
    expect(run.stdout + run.stderr).not.toMatch(/npm error|127\.0\.0\.1|registry/);
  });

  test('an empty directory name and a --kelos-version npm cannot read are refused before anything is written', async () => {
    const cwd = scratch();
    const empty = await kelos(['new', ''], { cwd });
    expect([empty.code, empty.stderr]).toStrictEqual([
      1,
      'kelos: kelos new needs the name of the directory to create\n',
    ]);
    const range = await kelos(['new', 'c', '--kelos-version', 'bogus range!!'], { cwd });
    expect([range.code, range.stderr]).toStrictEqual([
      1,
      'kelos: --kelos-version "bogus range!!" is not a version range npm reads (e.g. ^0.2.0, 0.2.x, latest, file:../kelos-ts-0.2.0.tgz, a path from the current directory)\n',
    ]);
    // A tarball that is not there, or no path at all: npm would fail only at npm install.
    const missing = await kelos(['new', 'd', '--kelos-version', 'file:nope.tgz'], { cwd });
    expect([missing.code, missing.stderr]).toStrictEqual([
      1,
      `kelos: --kelos-version file:nope.tgz: ${join(cwd, 'nope.tgz')} does not exist (a relative path is read from the current directory)\n`,
    ]);
    const none = await kelos(['new', 'e', '--kelos-version', 'file:'], { cwd });
    expect([none.code, none.stderr]).toStrictEqual([
      1,
      'kelos: --kelos-version file: names no path (e.g. file:../kelos-ts-0.2.0.tgz)\n',
    ]);
    // A file where the directory goes: said in words, not as Node's ENOTDIR alone.
    writeFileSync(join(cwd, 'afile'), 'x');
    const file = await kelos(['new', 'afile'], { cwd });
    expect([file.code, file.stderr]).toStrictEqual([
      1,
      `kelos: cannot use afile: is a file, or is below one; expected a directory (ENOTDIR: not a directory, scandir '${join(cwd, 'afile')}')\n`,
    ]);
    expect(readdirSync(cwd)).toStrictEqual(['afile']);
    rmSync(join(cwd, 'afile'));
    for (const ok of [
      '^0.2.0',
      '>=0.2.0 <0.3.0',
      'latest',
      'npm:kelos-ts@0.2.0',
      'git+https://github.com/kelos-ts/kelos.git#v0.2.0',
    ]) {
      expect(
        (await kelos(['new', `ok-${readdirSync(cwd).length}`, '--kelos-version', ok], { cwd })).code,
      ).toBe(0);
    }
  });

  test('renders the install and the Argo CD objects as bundles, with the Applications on the paths synth writes', async () => {
    const cwd = scratch();
    const run = await kelos(['new', 'fleet', '--repo-url', 'git@github.com:acme/fleet.git'], { cwd });
    expect(run.code).toBe(0);
    const read = (path: string) => readFileSync(join(cwd, 'fleet', path), 'utf8');
    const config = parse(read('cdk8s.yaml')) as {
      kelos: { outdir: string; crds: string; bundles: Array<{ app: string; outdir: string }> };
    };
    expect(config.kelos.bundles).toStrictEqual([
      { app: 'deploy/install.ts', outdir: 'dist/install' },
      { app: 'deploy/argocd.ts', outdir: 'dist/argocd' },
    ]);
    const argocd = read('deploy/argocd.ts');
    expect(argocd).toContain("repoURL: 'git@github.com:acme/fleet.git'");
    // Each Application path is a directory kelos synth writes in this repository.
    expect(argocd).toContain(
      `paths: { argocd: 'dist/argocd', crds: '${config.kelos.crds}', install: 'dist/install', apps: '${config.kelos.outdir}' }`,
    );
    expect(run.stdout).not.toContain('set repoURL');
    expect(JSON.parse(read('tsconfig.json').replace(/^\s*\/\/.*$/gm, '')).include).toStrictEqual([
      'apps',
      'deploy',
    ]);
  });

  test('without --repo-url it says the placeholder must be replaced; a URL that is not one is refused', async () => {
    const cwd = scratch();
    const run = await kelos(['new', 'fleet'], { cwd });
    expect(run.stdout).toContain(
      'Argo CD will read https://github.com/my-org/fleet.git: set repoURL in deploy/argocd.ts (or pass --repo-url) before you deploy.',
    );
    const refused = await kelos(['new', 'other', '--repo-url', "https://x/y.git'; process.exit(1); '"], {
      cwd,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'is not a git URL (expected https://host/org/repo.git or git@host:org/repo.git)',
    );
  });

  test('a --repo-url with a token or password in it is refused, and nothing is written; ssh:// with a user is not', async () => {
    const cwd = scratch();
    for (const url of [
      'https://user:pw@github.com/a/b.git',
      'https://ghp_token@github.com/a/b.git',
      'git+ssh://git:pw@host/a/b.git',
    ]) {
      const refused = await kelos(['new', 'x', '--repo-url', url], { cwd });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('--repo-url must not carry credentials');
      expect(refused.stderr).not.toContain('pw');
      expect(readdirSync(cwd)).toEqual([]);
    }
    const ssh = await kelos(['new', 'y', '--repo-url', 'ssh://git@github.com/a/b.git'], { cwd });
    expect(ssh.code).toBe(0);
    expect(readFileSync(join(cwd, 'y/deploy/argocd.ts'), 'utf8')).toContain("'ssh://git@github.com/a/b.git'");
  });

  test('--existing adds Kelos to a repository that has files: writes what it lacks, keeps every file it has byte for byte, and says what to add to each', async () => {
    const root = scratch();
    const env = {
      ...process.env,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    };
    // What `npm init` and a hand-written setup leave: commonjs, a dependency of its own.
    const mine = new Map([
      [
        'package.json',
        `${JSON.stringify({ name: 'fleet', version: '1.0.0', type: 'commonjs', dependencies: { 'left-pad': '^1.3.0' } }, null, 2)}\n`,
      ],
      [
        'tsconfig.json',
        '{\n  // ours\n  "compilerOptions": {\n    "target": "es2023",\n    "module": "commonjs",\n    "strict": true,\n    "outDir": "build",\n  },\n  "include": ["src"]\n}\n',
      ],
      ['cdk8s.yaml', 'language: typescript\napp: node main.js\n'],
      ['.gitignore', 'node_modules\n'],
      ['manifests/config.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n'],
    ]);
    mkdirSync(join(root, 'manifests'));
    for (const [path, text] of mine) writeFileSync(join(root, path), text);
    execFileSync('git', ['init', '-q'], { cwd: root, env });
    execFileSync('git', ['add', '-A'], { cwd: root, env });
    execFileSync('git', ['commit', '-q', '-m', 'ours'], { cwd: root, env });

    const run = await kelos(['new', '.', '--existing', '--repo-url', 'https://github.com/acme/fleet.git'], {
      cwd: root,
    });
    const own = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const written = [
      'apps/issue-worker/main.ts',
      'deploy/install.ts',
      'deploy/argocd.ts',
      'kelos.policy.yaml',
      '.pre-commit-config.yaml',
      '.github/workflows/kelos.yml',
      'README.md',
    ];
    expect(run).toStrictEqual({
      code: 0,
      stdout: [
        ...written.map((path) => `wrote ${path}`),
        'kept (exists):',
        `  package.json: add to dependencies "kelos-ts": "^${own.version}"; to devDependencies "@types/node": "^22.18.0" and "typescript": "~5.9.3"; "type": "module" (it says "commonjs": the apps are ES modules; or keep it and name them main.mts, apps/*/main.mts in cdk8s.yaml). Run:`,
        `    npm install kelos-ts@^${own.version}`,
        '    npm install -D @types/node@^22.18.0 typescript@~5.9.3',
        '    npm pkg set type=module',
        '  tsconfig.json: set in compilerOptions (tsc cannot resolve kelos-ts without module and moduleResolution NodeNext):',
        '    "lib": ["ES2023"] (not set)',
        '    "module": "NodeNext" (it has "commonjs")',
        '    "moduleResolution": "NodeNext" (not set)',
        '    "types": ["node"] (not set)',
        '    "noEmit": true (not set)',
        '    "allowImportingTsExtensions": true (not set)',
        '    "erasableSyntaxOnly": true (not set)',
        '    "verbatimModuleSyntax": true (not set)',
        '    "skipLibCheck": true (not set)',
        '    and in "include": "apps" and "deploy" (tsc type-checks only what include reaches)',
        '  cdk8s.yaml: add the kelos: section kelos new writes (kelos synth reads the apps and bundles there):',
        ...CDK8S_KELOS_SECTION.trimEnd()
          .split('\n')
          .map((line) => `    ${line}`),
        '  .gitignore: add these lines:',
        '    cdk8s.out/',
        '    *.sarif',
        'Next:',
        '  npm install',
        '  npx kelos synth && npx kelos check',
        '',
      ].join('\n'),
      stderr: '',
    });
    // Each file the repository had is as it was; each written one is the fresh scaffold's.
    expect(
      execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], {
        cwd: root,
        env,
        encoding: 'utf8',
      }),
    ).toBe(
      `${written
        .map((path) => `?? ${path}`)
        .sort()
        .join('\n')}\n`,
    );
    for (const [path, text] of mine) expect(readFileSync(join(root, path), 'utf8'), path).toBe(text);
    const fresh = scaffoldFiles({
      name: packageNameOf(root),
      kelosVersion: `^${own.version}`,
      repoURL: 'https://github.com/acme/fleet.git',
    });
    for (const path of written) expect(readFileSync(join(root, path), 'utf8'), path).toBe(fresh.get(path));
    // Run again, it writes nothing: every file is kept, the ones it wrote with nothing to say.
    const again = await kelos(['new', '.', '--existing', '--repo-url', 'https://github.com/acme/fleet.git'], {
      cwd: root,
    });
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('wrote ');
    expect(again.stdout).toContain(
      '  apps/issue-worker/main.ts\n  deploy/install.ts\n  deploy/argocd.ts\n  kelos.policy.yaml\n  .pre-commit-config.yaml: nothing to add (it has the kelos hooks)\n',
    );
  });

  test('--existing copies a tarball --kelos-version names, as a fresh kelos new does, and names the npm install that uses it; a tarball already there is kept', async () => {
    const cwd = scratch();
    writeFileSync(join(cwd, 'kelos-ts-0.2.0.tgz'), 'tarball');
    mkdirSync(join(cwd, 'repo'));
    writeFileSync(join(cwd, 'repo', 'package.json'), '{"name": "repo", "type": "module"}\n');
    const args = ['new', 'repo', '--existing', '--kelos-version', 'file:kelos-ts-0.2.0.tgz'];
    const run = await kelos(args, { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(cwd, 'repo', 'kelos-ts-0.2.0.tgz'), 'utf8')).toBe('tarball');
    expect(run.stdout).toContain(
      '  repo/package.json: add to dependencies "kelos-ts": "file:kelos-ts-0.2.0.tgz"; to devDependencies "@types/node": "^22.18.0" and "typescript": "~5.9.3". In repo, run:\n' +
        '    npm install kelos-ts@file:kelos-ts-0.2.0.tgz\n    npm install -D @types/node@^22.18.0 typescript@~5.9.3\n' +
        'Next:\n  cd repo\n',
    );
    expect(run.stdout).toContain(
      "\nkelos-ts-0.2.0.tgz was copied into repo: install kelos-ts from it as said above (file:kelos-ts-0.2.0.tgz) and commit it with the rest, so the CI workflow's npm ci finds it.\n",
    );
    writeFileSync(join(cwd, 'repo', 'kelos-ts-0.2.0.tgz'), 'mine');
    const again = await kelos(args, { cwd });
    expect(again.stdout).toContain(
      '  repo/kelos-ts-0.2.0.tgz: not copied over; file:kelos-ts-0.2.0.tgz in package.json installs this one\n',
    );
    expect(again.stdout).not.toContain('was copied');
    expect(readFileSync(join(cwd, 'repo', 'kelos-ts-0.2.0.tgz'), 'utf8')).toBe('mine');
  });

  test('--existing writes nothing when a path is in the way: a file named apps, a directory named tsconfig.json, a package.json that cannot be read', async () => {
    const root = scratch();
    writeFileSync(join(root, 'apps'), 'not a directory');
    mkdirSync(join(root, 'tsconfig.json'));
    symlinkSync(join(root, 'nowhere.json'), join(root, 'package.json'));
    const before = readdirSync(root, { recursive: true }).sort();
    const run = await kelos(['new', '.', '--existing'], { cwd: root });
    expect(run).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: `kelos: cannot write into ., so nothing was written: cannot read package.json: ENOENT: no such file or directory, stat '${join(root, 'package.json')}'; tsconfig.json is a directory, where kelos new writes a file; apps is a file, where kelos new makes a directory (for apps/issue-worker/main.ts)\n`,
    });
    expect(readdirSync(root, { recursive: true }).sort()).toStrictEqual(before);
  });

  test("--existing reads what a kept file already has: JSON with comments and trailing commas, commonjs's alternative, .gitignore lines written otherwise, a file that does not parse", () => {
    const files = scaffoldFiles({ name: 'r', kelosVersion: '^0.2.0', repoURL: 'https://example.com/r.git' });
    const advice = (path: string, text: string): string[] => keptAdvice(path, text, files.get(path) ?? '');
    // The scaffold's own files need nothing.
    for (const path of [
      'package.json',
      'tsconfig.json',
      'cdk8s.yaml',
      '.gitignore',
      '.pre-commit-config.yaml',
    ])
      expect(advice(path, files.get(path) ?? ''), path).toStrictEqual([
        path === 'cdk8s.yaml'
          ? 'nothing to add (it has a kelos: section)'
          : path === '.pre-commit-config.yaml'
            ? 'nothing to add (it has the kelos hooks)'
            : 'nothing to add',
      ]);
    // kelos-ts as a devDependency is installed by npm ci too; a different range is the user's choice.
    expect(
      advice(
        'package.json',
        '{"type": "module", "devDependencies": {"kelos-ts": "0.2.1", "typescript": "5.8.0", "@types/node": "^24"}}',
      ),
    ).toStrictEqual(['nothing to add']);
    expect(
      advice(
        'package.json',
        '{"dependencies": {"kelos-ts": "^0.2.0"}, "devDependencies": {"typescript": "~5.9.3", "@types/node": "^22.18.0"}}',
      ),
    ).toStrictEqual(['add "type": "module" (the apps are ES modules). Run:', 'npm pkg set type=module']);
    // tsc reads comments and trailing commas, enum values in any case, and a lib list with more in it.
    expect(
      advice(
        'tsconfig.json',
        '{\n  "extends": "./base.json", /* shared */\n  "compilerOptions": {\n    "target": "es2023", "lib": ["DOM", "es2023"], "module": "nodenext", "moduleResolution": "NodeNext",\n    "types": ["node"], "strict": true, "noEmit": true, "allowImportingTsExtensions": true,\n    "erasableSyntaxOnly": true, "verbatimModuleSyntax": true, // "skipLibCheck": true,\n  },\n  "include": ["./apps/**/*.ts", "deploy", "src"],\n}\n',
      ),
    ).toStrictEqual([
      'set in compilerOptions:',
      '"skipLibCheck": true (not set)',
      '(it extends "./base.json", which is not read here: skip what is set there)',
    ]);
    // The // in a string is no comment: the text ends inside the object, after the whole string.
    const [unparsed, ...all] = advice('tsconfig.json', '{ "compilerOptions": { "url": "http://x//y" ');
    expect(unparsed).toMatch(
      /^cannot be read as JSON with comments \(.* at position 44\b.*\); it needs these compilerOptions \(tsc cannot resolve kelos-ts without module and moduleResolution NodeNext\):$/,
    );
    expect(all).toStrictEqual([
      '"target": "ES2023"',
      '"lib": ["ES2023"]',
      '"module": "NodeNext"',
      '"moduleResolution": "NodeNext"',
      '"types": ["node"]',
      '"strict": true',
      '"noEmit": true',
      '"allowImportingTsExtensions": true',
      '"erasableSyntaxOnly": true',
      '"verbatimModuleSyntax": true',
      '"skipLibCheck": true',
    ]);
    expect(advice('.gitignore', '# build\n/node_modules/\r\ncdk8s.out\n')).toStrictEqual([
      'add these lines:',
      '*.sarif',
    ]);
    expect(advice('cdk8s.yaml', 'app: [')).toStrictEqual([
      'cannot be read as YAML (Flow sequence in block collection must be sufficiently indented and end with a ] at line 1, column 7); it needs the kelos: section kelos new writes:',
      ...CDK8S_KELOS_SECTION.trimEnd().split('\n'),
    ]);
    expect(
      advice(
        '.pre-commit-config.yaml',
        'repos:\n  - repo: local\n    hooks:\n      - id: kelos-check\n      - id: lint\n',
      ),
    ).toStrictEqual([
      'add the hooks kelos-synth-check, kelos-validate-manifests and kelos-check-manifests (repo: local), as in the one `kelos new /tmp/kelos-scaffold` writes',
    ]);
    expect(advice('README.md', '# ours\n')).toStrictEqual([]);
  });

  test('package names are made from the directory name', () => {
    expect(packageNameOf('/x/Acme GitOps')).toBe('acme-gitops');
    expect(packageNameOf('/x/.hidden')).toBe('hidden');
  });
});
