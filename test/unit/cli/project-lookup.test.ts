/**
 * `kelos check`, `kelos validate` and `kelos synth` without paths, run from a subdirectory of a
 * project: they work on the nearest `cdk8s.yaml` in the working directory or a parent up to the
 * git root (as the policy file is found), say once which one, and name files from where they ran.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  appSource,
  kelos,
  projectsDisposedAfterEach,
  scaffoldedProject,
  taskSource,
} from '../compiler/project.ts';

const make = projectsDisposedAfterEach();

const TYPO =
  'typo/main.ts:3:3: error Task typo /spec/promt: unknown field "spec.promt"; did you mean "prompt"?';

describe('a command without paths, run below the project root', { timeout: 180_000 }, () => {
  test('check, validate and synth work on the cdk8s.yaml above, say so once, and name files from the working directory', async () => {
    const p = scaffoldedProject(make);
    p.write('apps/typo/main.ts', appSource(taskSource('typo', ", ...({ promt: 'x' })")));
    execFileSync('git', ['init', '-q'], { cwd: p.root });
    const apps = join(p.root, 'apps');

    const check = await kelos(['check'], apps);
    expect(check.stderr).toBe('kelos check: the project of ../cdk8s.yaml\n');
    expect(check.stdout).toContain(
      'error   /spec/promt: unknown field "spec.promt"; did you mean "prompt"? [schema/unknown-field]\n          at typo/main.ts:3:3 (typo/typo)\n',
    );
    expect(check.stdout).toMatch(/; policy from \.\.\/kelos\.policy\.yaml\n$/);
    expect(check.code).toBe(2);
    // The CI formats name it from the repository root, as GitHub reads it.
    const github = await kelos(['check', '--format', 'github'], apps);
    expect(github.stdout).toMatch(/^::error file=apps\/typo\/main\.ts,line=3,col=3,/m);

    const validate = await kelos(['validate'], apps);
    expect(validate.stderr).toBe('kelos validate: the project of ../cdk8s.yaml\n');
    expect(validate.stdout).toMatch(new RegExp(`^${TYPO.replace(/[.?"()/]/g, '\\$&')}`, 'm'));
    expect(validate.code).toBe(2);

    const synth = await kelos(['synth'], apps);
    expect(synth.stderr).toBe('kelos synth: the project of ../cdk8s.yaml\n');
    expect(synth.stdout).toContain(
      `${TYPO} [schema/unknown-field]\n    at construct typo/typo\n    would be rendered at ../dist/apps/typo/task-typo.yaml:8:3\n`,
    );
    expect(synth.code).toBe(2);
    // Fixed, it writes the project's dist/, never one below the working directory.
    p.remove('apps/typo');
    const written = await kelos(['synth'], apps);
    expect(written.code).toBe(0);
    expect(p.files('dist').length).toBeGreaterThan(0);
    expect(existsSync(join(apps, 'dist'))).toBe(false);
    // From the root itself: no word about the project.
    expect((await kelos(['synth', '--check'], p.root)).stderr).toBe('');
  });

  test('the lookup stops at the git root, and outside a repository only the working directory counts', async () => {
    const p = scaffoldedProject(make);
    // A repository of its own inside the project: the cdk8s.yaml above its root is not its.
    mkdirSync(join(p.root, 'vendor', 'lib', 'src'), { recursive: true });
    execFileSync('git', ['init', '-q'], { cwd: join(p.root, 'vendor', 'lib') });
    const inner = join(p.root, 'vendor', 'lib', 'src');
    expect(await kelos(['check'], inner)).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: `kelos: no paths given, and neither ${inner} nor a parent up to the git root ${join(p.root, 'vendor', 'lib')} has a cdk8s.yaml: kelos check reads manifest paths (files, directories or - for stdin) or, without them, the apps of the cdk8s.yaml in the working directory or the nearest parent up to the git root\n`,
    });
    // synth says as far up as it looked too.
    const synth = await kelos(['synth'], inner);
    expect(synth.code).toBe(1);
    expect(synth.stderr).toContain(
      `no cdk8s.yaml in ${inner} nor a parent up to the git root ${join(p.root, 'vendor', 'lib')}, so no app to synthesize`,
    );
    // No repository at all: the parent's cdk8s.yaml is not looked for.
    const apps = join(p.root, 'apps');
    expect(await kelos(['validate'], apps)).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: `kelos: no paths given, and ${apps} has no cdk8s.yaml: kelos validate reads manifest paths (files, directories or - for stdin) or, without them, the apps of the cdk8s.yaml in the working directory or the nearest parent up to the git root\n`,
    });
  });
});
