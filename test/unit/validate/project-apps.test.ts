/**
 * `kelos validate` with no paths validates what the project's apps render, as `kelos check` with
 * no paths checks them: the apps of the `cdk8s.yaml` in the working directory, synthesized in
 * memory. Without a `cdk8s.yaml` both are usage errors naming the directory and the file.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { appSource, kelos, projectsDisposedAfterEach, taskSource } from '../compiler/project.ts';

const make = projectsDisposedAfterEach();

describe.each(['validate', 'check'])('kelos %s with no paths', (command) => {
  test('outside a project is a usage error naming the directory and cdk8s.yaml', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-no-project-'));
    expect(await kelos([command], dir)).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: `kelos: no paths given, and ${dir} has no cdk8s.yaml: kelos ${command} reads manifest paths (files, directories or - for stdin) or, without them, the apps of the cdk8s.yaml in the working directory or the nearest parent up to the git root\n`,
    });
  });
});

describe('kelos validate with no paths', { timeout: 60_000 }, () => {
  test('validates what the apps render, at the app line that made each object; no policies', async () => {
    const p = make({
      fine: appSource(taskSource('fine')),
      typo: appSource(taskSource('typo', ", ...({ promt: 'x' })")),
    });
    const run = await kelos(['validate'], p.root);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(
      /^apps\/typo\/main\.ts:3:3: error Task typo \/spec\/promt: unknown field "spec\.promt"; did you mean "prompt"\? \[schema\/unknown-field\]$/m,
    );
    // Validation only: budget/active-deadline is check's (neither Task sets a deadline).
    expect(run.stdout).not.toContain('budget/');
    expect(run.stdout).toMatch(/^2 objects, 1 error, \d+ warnings?\n$/m);
  });

  test('a valid project passes, and --format json has the report shape', async () => {
    const p = make({ fine: appSource(taskSource('fine')) });
    p.write('kelos.policy.yaml', 'synth: report\nexternalSecrets: [key]\n');
    expect(await kelos(['validate'], p.root)).toStrictEqual({
      code: 0,
      stdout: '1 object, 0 errors, 0 warnings\n',
      stderr: '',
    });
    const json = JSON.parse((await kelos(['validate', '--format', 'json'], p.root)).stdout);
    expect(json).toStrictEqual({
      version: 1,
      summary: { files: 1, objects: 1, errors: 0, warnings: 0, info: 0 },
      diagnostics: [],
    });
  });

  test('an app that fails is a runtime error (exit 1), as with kelos synth and kelos check', async () => {
    const p = make({ late: "export default function build() {\n  throw new Error('boom');\n}\n" });
    const run = await kelos(['validate'], p.root);
    expect(run.code).toBe(1);
    expect((await kelos(['check'], p.root)).code).toBe(1);
    expect((await kelos(['synth'], p.root)).code).toBe(1);
    expect(run.stdout).toContain('apps/late/main.ts:2:9: error app late failed: boom [synth/app-failed]');
  });
});
