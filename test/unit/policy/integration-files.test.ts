import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './fixtures.ts';

const read = (path: string) => parse(readFileSync(resolve(ROOT, path), 'utf8'));

describe('pre-commit and CI integration files', () => {
  // The real pre-commit running these hooks from another repository is test/package/package.test.ts.
  test('.pre-commit-hooks.yaml exposes kelos-validate and kelos-check-files (staged manifests) and kelos-check (apps)', () => {
    const hooks = read('.pre-commit-hooks.yaml') as Array<Record<string, unknown>>;
    expect(hooks.map((h) => [h['id'], h['entry'], h['pass_filenames'] ?? true])).toStrictEqual([
      ['kelos-validate', 'npx --no-install kelos validate', true],
      ['kelos-check-files', 'npx --no-install kelos check', true],
      ['kelos-check', 'npx --no-install kelos check', false],
    ]);
    for (const hook of hooks) expect(hook['language']).toBe('system');
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
