import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { BUILTIN_RULE_IDS } from '../../../policies/index.ts';
import { packageNameOf } from '../../../src/cli/commands/new.ts';
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
    expect(run.stdout).toContain('created My Gitops (9 files)');
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
    expect((await kelos(['new', 'a', '--kelos-version', 'file:../kelos.tgz'], { cwd })).code).toBe(0);
    expect(readFileSync(join(cwd, 'a', 'package.json'), 'utf8')).toContain('"kelos-ts": "file:../kelos.tgz"');
    mkdirSync(join(cwd, 'b'));
    writeFileSync(join(cwd, 'b', 'keep.txt'), 'mine');
    const refused = await kelos(['new', 'b'], { cwd });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('kelos: b is not empty; kelos new writes into a new directory\n');
    expect(readFileSync(join(cwd, 'b', 'keep.txt'), 'utf8')).toBe('mine');
  });

  test('package names are made from the directory name', () => {
    expect(packageNameOf('/x/Acme GitOps')).toBe('acme-gitops');
    expect(packageNameOf('/x/.hidden')).toBe('hidden');
  });
});
