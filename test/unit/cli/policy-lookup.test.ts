import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { kelos } from '../validate/run-cli.ts';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

const TASK = `apiVersion: kelos.dev/v1alpha2
kind: Task
metadata: {name: fix, namespace: team-12, annotations: {kelos.dev/lifecycle: git}}
spec:
  prompt: Fix the flaky test.
  worker:
    type: claude-code
    credentials: {type: api-key, secretRef: {name: claude-key}}
    podOverrides:
      resources: {requests: {memory: 2Gi}, limits: {memory: 8Gi}}
`;

// No podOverrides.activeDeadlineSeconds: budget/active-deadline fails the Task unless the policy
// turns it off; the Secret is a ref/secret-external warning unless the policy lists it.
const POLICY = 'rules: {budget/active-deadline: off}\nexternalSecrets: [claude-key]\n';

/** A directory holding `manifests/team-12/task.yaml`, a git repository when `git` is set. */
const repository = (git: boolean): string => {
  const root = mkdtempSync(join(tmpdir(), 'kelos-lookup-'));
  dirs.push(root);
  mkdirSync(join(root, 'manifests', 'team-12'), { recursive: true });
  writeFileSync(join(root, 'manifests', 'team-12', 'task.yaml'), TASK);
  if (git) execFileSync('git', ['init', '-q'], { cwd: root });
  return root;
};

describe('the default policy file, run from a subdirectory', () => {
  test("kelos check and kelos validate read the repository's kelos.policy.yaml from a parent, and the summary names it", async () => {
    const root = repository(true);
    writeFileSync(join(root, 'kelos.policy.yaml'), POLICY);
    const fromRoot = await kelos(['check', 'manifests/team-12'], { cwd: root });
    expect(fromRoot.code).toBe(0);
    expect(fromRoot.stdout).toBe('0 errors, 0 warnings, 0 info in 1 object (23 rules); 0 suppressed\n');
    const manifests = join(root, 'manifests');
    const check = await kelos(['check', 'team-12'], { cwd: manifests });
    expect(check.stdout).toBe(
      '0 errors, 0 warnings, 0 info in 1 object (23 rules); 0 suppressed; policy from ../kelos.policy.yaml\n',
    );
    expect(check.code).toBe(0);
    // Two levels down, as far as the repository's root.
    const deeper = await kelos(['check', '.'], { cwd: join(manifests, 'team-12') });
    expect(deeper.stdout).toContain('(23 rules); 0 suppressed; policy from ../../kelos.policy.yaml\n');
    // validate reads its externalSecrets: the Secret is known.
    expect(await kelos(['validate', 'team-12'], { cwd: manifests })).toStrictEqual({
      code: 0,
      stdout: '1 object, 0 errors, 0 warnings; policy from ../kelos.policy.yaml\n',
      stderr: '',
    });
    expect((await kelos(['validate', 'manifests/team-12'], { cwd: root })).stdout).toBe(
      '1 object, 0 errors, 0 warnings\n',
    );
    // -c is as it was: the file named, no search, no note.
    const named = await kelos(['check', '-c', '../kelos.policy.yaml', 'team-12'], { cwd: manifests });
    expect(named.stdout).toMatch(/\(23 rules\); 0 suppressed\n$/);
  });

  test('the nearest directory holding kelos.policy.yaml or cdk8s.yaml wins, and an error in a parent file names it from the working directory', async () => {
    const root = repository(true);
    writeFileSync(join(root, 'kelos.policy.yaml'), POLICY);
    // A project of its own below: its cdk8s.yaml, with no policy section, means the defaults.
    writeFileSync(join(root, 'manifests', 'cdk8s.yaml'), 'language: typescript\n');
    const check = await kelos(['check', '.'], { cwd: join(root, 'manifests', 'team-12') });
    expect(check.stdout).toMatch(/\(24 rules\); 0 suppressed\n$/);
    expect(check.stdout).toContain('[budget/active-deadline]');
    rmSync(join(root, 'manifests', 'cdk8s.yaml'));
    writeFileSync(join(root, 'kelos.policy.yaml'), 'thresholds: {maxConcurrency: 0}\n');
    const bad = await kelos(['check', 'team-12'], { cwd: join(root, 'manifests') });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      '  ../kelos.policy.yaml:1:14: thresholds.maxConcurrency: expected a positive integer',
    );
  });

  test('a kelos.policy.yaml above the git repository, or above a directory in none, is not read', async () => {
    const outer = mkdtempSync(join(tmpdir(), 'kelos-outer-'));
    dirs.push(outer);
    writeFileSync(join(outer, 'kelos.policy.yaml'), POLICY);
    for (const git of [true, false]) {
      const root = join(outer, git ? 'repo' : 'plain');
      mkdirSync(join(root, 'manifests', 'team-12'), { recursive: true });
      writeFileSync(join(root, 'manifests', 'team-12', 'task.yaml'), TASK);
      if (git) execFileSync('git', ['init', '-q'], { cwd: root });
      const check = await kelos(['check', 'team-12'], { cwd: join(root, 'manifests') });
      expect(check.stdout, String(git)).toMatch(/\(24 rules\); 0 suppressed\n$/);
      expect(check.code, String(git)).toBe(2);
    }
  });
});
