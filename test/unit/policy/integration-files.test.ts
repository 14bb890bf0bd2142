import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './fixtures.ts';

const read = (path: string) => parse(readFileSync(resolve(ROOT, path), 'utf8'));

describe('pre-commit and CI integration files', () => {
  // The real pre-commit running these hooks from another repository is test/package/package.test.ts.
  test('.pre-commit-hooks.yaml exposes kelos-validate and kelos-check-files (staged manifests), kelos-validate-dirs and kelos-check-dirs (directories in args), kelos-check (apps) and kelos-synth-check (dist/ up to date), all verbose', () => {
    const hooks = read('.pre-commit-hooks.yaml') as Array<Record<string, unknown>>;
    expect(hooks.map((h) => [h['id'], h['entry'], h['pass_filenames'] ?? true])).toStrictEqual([
      ['kelos-validate', 'npx --no-install kelos validate', true],
      ['kelos-check-files', 'npx --no-install kelos check', true],
      ['kelos-validate-dirs', 'npx --no-install kelos validate', false],
      ['kelos-check-dirs', 'npx --no-install kelos check', false],
      ['kelos-check', 'npx --no-install kelos check', false],
      ['kelos-synth-check', 'npx --no-install kelos synth --check', false],
    ]);
    for (const hook of hooks) expect(hook['language']).toBe('system');
    // pre-commit prints a passing hook's output only when it is verbose: the warnings.
    for (const hook of hooks) expect(hook['verbose'], hook['id'] as string).toBe(true);
  });

  test('the hooks that read whole directories or the apps run when the policy, cdk8s.yaml or the pinned kelos-ts changes', () => {
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
