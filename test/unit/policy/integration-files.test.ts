import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './fixtures.ts';

const read = (path: string) => parse(readFileSync(resolve(ROOT, path), 'utf8'));

describe('pre-commit and CI integration files', () => {
  // The real pre-commit running these hooks from another repository is test/package/package.test.ts.
  test('.pre-commit-hooks.yaml exposes kelos-validate and kelos-check-files (staged manifests), kelos-validate-dirs and kelos-check-dirs (directories in args), kelos-check (apps) and kelos-synth-check (dist/ up to date), all verbose', () => {
    const hooks = read('.pre-commit-hooks.yaml') as Array<Record<string, unknown>>;
    // Each runs the repository's node_modules/.bin/kelos through one sh script, the command its
    // arguments (pre-commit splits the entry as a shell does).
    const script = `sh -c 'test -e node_modules/.bin/kelos || { echo "kelos-ts is not installed in this repository (no node_modules/.bin/kelos); run npm ci" >&2; exit 1; }; exec node_modules/.bin/kelos "$@"' kelos`;
    expect(hooks.map((h) => [h['id'], h['entry'], h['pass_filenames'] ?? true])).toStrictEqual([
      ['kelos-validate', `${script} validate`, true],
      ['kelos-check-files', `${script} check`, true],
      ['kelos-validate-dirs', `${script} validate`, false],
      ['kelos-check-dirs', `${script} check`, false],
      ['kelos-check', `${script} check`, false],
      ['kelos-synth-check', `${script} synth --check`, false],
    ]);
    for (const hook of hooks) expect(hook['language']).toBe('system');
    // pre-commit prints a passing hook's output only when it is verbose: the warnings.
    for (const hook of hooks) expect(hook['verbose'], hook['id'] as string).toBe(true);
  });

  test('the hooks that read whole directories or the apps run on every commit, a deletion-only one included; the staged-manifest hooks when a manifest is staged', () => {
    const hooks = read('.pre-commit-hooks.yaml') as Array<Record<string, unknown>>;
    expect(hooks.map((h) => [h['id'], h['always_run'] ?? false])).toStrictEqual([
      ['kelos-validate', false],
      ['kelos-check-files', false],
      ['kelos-validate-dirs', true],
      ['kelos-check-dirs', true],
      ['kelos-check', true],
      ['kelos-synth-check', true],
    ]);
  });

  test('with always_run false, the hooks that read whole directories or the apps run when the policy, cdk8s.yaml or the pinned kelos-ts changes', () => {
    const hooks = read('.pre-commit-hooks.yaml') as Array<Record<string, string>>;
    // They take no file names, so the policy file is never read as a manifest.
    for (const hook of hooks.filter((h) =>
      ['kelos-validate-dirs', 'kelos-check-dirs', 'kelos-check', 'kelos-synth-check'].includes(
        h['id'] as string,
      ),
    )) {
      const taken = (path: string) =>
        new RegExp(hook['files'] as string).test(path) &&
        (hook['exclude'] === undefined || !new RegExp(hook['exclude']).test(path));
      for (const path of [
        'kelos.policy.yaml',
        'cdk8s.yaml',
        'package.json',
        'package-lock.json',
        'manifests/task.yaml',
      ])
        expect(taken(path), `${hook['id']} ${path}`).toBe(true);
    }
  });

  test('the hooks on the apps run when an app (main.ts or main.mts) or the rendered dist/ changes', () => {
    const hooks = read('.pre-commit-hooks.yaml') as Array<Record<string, string>>;
    for (const hook of hooks.filter((h) => ['kelos-check', 'kelos-synth-check'].includes(h['id'] as string)))
      for (const path of [
        'apps/w/main.ts',
        'apps/w/main.mts',
        'dist/apps/w/task-t.yaml',
        'dist/.kelos-synth.json',
      ])
        expect(new RegExp(hook['files'] as string).test(path), `${hook['id']} ${path}`).toBe(true);
  });

  test('the staged-manifest hooks skip the project files and everything under .github/, and take the manifests', () => {
    const hooks = read('.pre-commit-hooks.yaml') as Array<Record<string, string>>;
    for (const hook of hooks.filter((h) => h['pass_filenames'] === undefined)) {
      // pre-commit matches with Python's re.search; these patterns mean the same in JavaScript.
      const taken = (path: string) =>
        new RegExp(hook['files'] as string).test(path) && !new RegExp(hook['exclude'] as string).test(path);
      for (const path of [
        '.github/workflows/kelos.yml',
        '.github/dependabot.yml',
        'cdk8s.yaml',
        'kelos.policy.yaml',
        'package-lock.json',
        'tsconfig.json',
      ])
        expect(taken(path), `${hook['id']} ${path}`).toBe(false);
      for (const path of ['deploy/task.yaml', 'dist/apps/a/task-t.yaml', 'manifests/spawner.json'])
        expect(taken(path), `${hook['id']} ${path}`).toBe(true);
    }
  });

  test("with the real pre-commit, each hook in a repository without node_modules says to run npm ci (exit 1, no registry asked), and runs the repository's kelos once installed", () => {
    const work = mkdtempSync(join(tmpdir(), 'kelos-hooks-'));
    try {
      const repo = join(work, 'repo');
      mkdirSync(join(repo, 'deploy'), { recursive: true });
      writeFileSync(join(repo, 'deploy/task.yaml'), 'kind: Task\n');
      const env = {
        ...process.env,
        PRE_COMMIT_HOME: join(work, 'pre-commit-home'),
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_CONFIG_NOSYSTEM: '1',
        // A registry lookup, had any hook made one, would fail here naming this address.
        npm_config_registry: 'http://127.0.0.1:9/',
        npm_config_fetch_retries: '0',
      };
      execFileSync('git', ['init', '-q'], { cwd: repo, env });
      execFileSync('git', ['add', '-A'], { cwd: repo, env });
      // try-repo runs the hooks of this working tree as they are, committed or not.
      const tryRepo = () =>
        spawnSync('pre-commit', ['try-repo', ROOT, '--files', 'deploy/task.yaml'], {
          cwd: repo,
          env,
          encoding: 'utf8',
        });
      const missing = tryRepo();
      expect(missing.status).toBe(1);
      const said = missing.stdout.match(
        /- exit code: 1\n\nkelos-ts is not installed in this repository \(no node_modules\/\.bin\/kelos\); run npm ci\n/g,
      );
      expect(said, missing.stdout).toHaveLength(6);
      expect(missing.stdout + missing.stderr).not.toMatch(/npm error|127\.0\.0\.1/);
      // Installed (a kelos that prints its arguments stands in), each hook runs it with its command.
      mkdirSync(join(repo, 'node_modules/.bin'), { recursive: true });
      writeFileSync(join(repo, 'node_modules/.bin/kelos'), '#!/bin/sh\necho "ran kelos $*"\n', {
        mode: 0o755,
      });
      const installed = tryRepo();
      expect(installed.status, installed.stdout).toBe(0);
      for (const line of [
        'ran kelos validate deploy/task.yaml',
        'ran kelos check deploy/task.yaml',
        'ran kelos validate\n',
        'ran kelos check\n',
        'ran kelos synth --check',
      ])
        expect(installed.stdout).toContain(line);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);

  test('the example workflow writes SARIF with kelos check and uploads that file', () => {
    const workflow = read('.github/workflows/kelos-check.example.yml');
    const steps = workflow.jobs.policies.steps as Array<Record<string, unknown>>;
    const sarifStep = steps.find((s) => String(s['run'] ?? '').includes('--format sarif'));
    expect(sarifStep?.['run']).toBe('npx kelos check --format sarif --output kelos-check.sarif');
    const upload = steps.find((s) => String(s['uses'] ?? '').startsWith('github/codeql-action/upload-sarif'));
    expect(upload).toBeDefined();
    expect((upload!['with'] as Record<string, string>)['sarif_file']).toBe('kelos-check.sarif');
    expect(upload!['if']).toBe('always()');
    expect(workflow.permissions['security-events']).toBe('write');
  });
});
