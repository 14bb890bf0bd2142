/**
 * Issue 9, finding 7: what `kelos validate` and `kelos check` read. No manifest file under the
 * paths is a usage error (exit 1), not a pass over "0 objects"; a file named on the command line,
 * or standard input, that holds no object is a warning (`manifest/empty`) in text and JSON
 * alike; files found under a directory with no object in them pass with an info; symbolic links
 * are followed inside the tree the user named and reported, never skipped in silence, when they
 * lead out of it.
 */
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { header } from '../../../src/compiler/render.ts';
import { PREVIEW_NOTE } from '../../../src/validate/manifest-files.ts';
import { kelos } from './run-cli.ts';

const TASK = `apiVersion: kelos.dev/v1alpha2
kind: Task
metadata:
  name: fix
spec:
  prompt: Fix it
  worker:
    type: codex
    credentials: {type: none}
    podOverrides: {activeDeadlineSeconds: 3600}
  ttlSecondsAfterFinished: 3600
`;
const BROKEN = TASK.replace('prompt: Fix it', 'promptt: Fix it');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kelos-input-'));
});

describe.each(['validate', 'check'])('kelos %s', (command) => {
  test('an empty directory is a usage error naming it', async () => {
    await mkdir(join(dir, 'empty'));
    const run = await kelos([command, 'empty'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no manifest files (*.yaml, *.yml, *.json) under empty');
  });

  test('empty standard input is a warning, as an empty file named on the command line is', async () => {
    await writeFile(join(dir, 'empty.yaml'), '');
    for (const [path, what] of [
      ['-', 'standard input (-) holds no Kubernetes object (it is empty); input named'],
      ['empty.yaml', 'empty.yaml holds no Kubernetes object (it is empty); a file named'],
    ] as const) {
      const run = await kelos([command, path], { cwd: dir, stdin: '' });
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain(what);
      expect(run.stdout).toContain('[manifest/empty]');
      const json = JSON.parse((await kelos([command, '--format', 'json', path], { cwd: dir })).stdout);
      expect(json.summary.warnings).toBe(1);
      expect(json.diagnostics).toStrictEqual([
        expect.objectContaining({
          severity: 'warning',
          code: 'manifest/empty',
          path: '',
          source: { file: path },
          message: expect.stringContaining(what),
        }),
      ]);
      expect((await kelos([command, '--strict', path], { cwd: dir })).code).toBe(2);
    }
  });

  test('a symlinked manifest inside the tree is read', async () => {
    await mkdir(join(dir, 'm/shared'), { recursive: true });
    await writeFile(join(dir, 'm/shared/task.yaml'), command === 'validate' ? BROKEN : TASK);
    await symlink('shared/task.yaml', join(dir, 'm/link.yaml'));
    const run = await kelos([command, 'm'], { cwd: dir });
    if (command === 'validate') {
      expect(run.code).toBe(2);
      expect(run.stdout).toContain('m/link.yaml:6:3: error Task fix /spec/promptt');
      expect(run.stdout).toContain('m/shared/task.yaml:6:3: error');
    } else {
      // The policies see the one Task twice; the duplicate is kelos validate's to report.
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('in 2 objects');
    }
  });

  test('a symlink leading out of the tree is reported, and alone it is no input', async () => {
    await mkdir(join(dir, 'outside'));
    await mkdir(join(dir, 'm'));
    await writeFile(join(dir, 'outside/task.yaml'), BROKEN);
    await symlink(join(dir, 'outside/task.yaml'), join(dir, 'm/link.yaml'));
    const alone = await kelos([command, 'm'], { cwd: dir });
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain('no manifest files (*.yaml, *.yml, *.json) under m');
    await writeFile(join(dir, 'm/task.yaml'), TASK.replace('name: fix', 'name: ok'));
    const run = await kelos([command, 'm', '--format', 'json'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('manifest/symlink');
    expect(run.stdout).toContain(`m/link.yaml is a symbolic link to ${join(dir, 'outside/task.yaml')}`);
  });

  test('a symlink whose target does not exist is reported with a hint that does not send to the target', async () => {
    await mkdir(join(dir, 'm'));
    await writeFile(join(dir, 'm/task.yaml'), TASK);
    await symlink(join(dir, 'gone.yaml'), join(dir, 'm/gone.yaml'));
    const run = await kelos([command, 'm', '--format', 'json'], { cwd: dir });
    const report = JSON.parse(run.stdout) as {
      diagnostics: Array<{ code: string; message: string; hint?: string }>;
    };
    expect(report.diagnostics.filter((d) => d.code === 'manifest/symlink')).toStrictEqual([
      {
        severity: 'warning',
        code: 'manifest/symlink',
        message: 'm/gone.yaml is a symbolic link whose target does not exist; it was not read',
        path: '',
        source: { file: 'm/gone.yaml' },
        hint: 'point the link at a manifest that exists, or remove it',
      },
    ]);
  });

  test("synth's preview found under a directory is not read, with a note; named, it is", async () => {
    await mkdir(join(dir, 'dist/apps/team'), { recursive: true });
    await mkdir(join(dir, 'dist/preview/team'), { recursive: true });
    await writeFile(join(dir, 'dist/apps/team/task-fix.yaml'), header('apps/team/main.ts') + TASK);
    // The sample has the real Task's name (a duplicate, read as deployed) and a field the schema refuses.
    const preview = join(dir, 'dist/preview/team/task-fix.job.yaml');
    await writeFile(preview, header(`apps/team/main.ts ${PREVIEW_NOTE}`) + BROKEN);
    const tree = await kelos([command, 'dist', '--format', 'json'], { cwd: dir });
    const report = JSON.parse(tree.stdout) as {
      diagnostics: Array<{ code: string; message: string; source?: { file: string } }>;
    };
    // Of the preview, only the note: neither its unknown field nor the duplicate Task.
    expect(
      report.diagnostics
        .filter((d) => d.source?.file.startsWith('dist/preview/'))
        .map((d) => [d.code, d.message]),
    ).toStrictEqual([
      [
        'manifest/preview',
        "this file is synth's preview, what the operator will run and nothing applies, so it was not read as a manifest",
      ],
    ]);
    expect(report.diagnostics.map((d) => d.code)).not.toContain('bundle/duplicate');
    expect(tree.code).toBe(0);
    // Only previews under the paths: nothing to validate, and said so, not "no manifest files".
    const only = await kelos([command, 'dist/preview'], { cwd: dir });
    expect(only.stdout).toContain('[manifest/preview]');
    expect(only.code).toBe(0);
    const named = await kelos([command, 'dist/preview/team/task-fix.job.yaml'], { cwd: dir });
    // Read: a finding located in it (validate: the unknown field; check: a policy's).
    expect(named.stdout).toMatch(/dist\/preview\/team\/task-fix\.job\.yaml:\d+:\d+/);
    expect(named.stdout).not.toContain('[manifest/preview]');
  });

  test("at a repository root, the policy file, npm's and TypeScript's JSON, synth's record and CI configuration are not read as manifests; named, they are", async () => {
    await mkdir(join(dir, 'manifests'));
    await writeFile(join(dir, 'manifests/task.yaml'), TASK);
    await writeFile(join(dir, 'kelos.policy.yaml'), 'rules:\n  budget/active-deadline: error\n');
    await writeFile(join(dir, '.gitlab-ci.yml'), 'stages: [test]\ntest:\n  script: [echo]\n');
    await writeFile(join(dir, '.pre-commit-config.yaml'), 'repos: []\n');
    // What kelos new and npm write at the root: read, they were 10 errors (a package.json's name
    // taken for one dedented out of metadata, tsconfig.json's comments for a broken manifest).
    await writeFile(join(dir, 'package.json'), '{"name": "my-gitops", "private": true}\n');
    await writeFile(join(dir, 'package-lock.json'), '{"name": "my-gitops", "lockfileVersion": 3}\n');
    await writeFile(join(dir, 'tsconfig.json'), '{\n  // strict\n  "compilerOptions": {}\n}\n');
    await writeFile(join(dir, '.kelos-synth.json'), '{"version": 1, "files": {}}\n');
    // A manifest that lost its apiVersion is still read, and its error reported.
    await writeFile(
      join(dir, 'manifests/no-version.yaml'),
      TASK.replace(/^apiVersion: .*\n/, '').replace('name: fix', 'name: other'),
    );
    const run = await kelos([command, '.', '--format', 'json'], { cwd: dir });
    const report = JSON.parse(run.stdout) as {
      diagnostics: Array<{ code: string; message: string; source?: { file: string } }>;
    };
    // Of what was read, only the manifest's own error and the note: the policies may find more.
    const read = report.diagnostics.filter((d) => d.code.startsWith('manifest/'));
    expect(read.map((d) => [d.code, d.source?.file]).sort()).toStrictEqual([
      ['manifest/apiversion', 'manifests/no-version.yaml'],
      ['manifest/not-manifest', '.gitlab-ci.yml'],
    ]);
    expect(read.find((d) => d.code === 'manifest/not-manifest')?.message).toBe(
      'this file and 1 more (.pre-commit-config.yaml) hold no Kubernetes object (neither apiVersion nor kind), so they were not read as manifests: Argo CD ignores such YAML files in a directory it syncs',
    );
    const tools = [
      'kelos.policy.yaml',
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      '.kelos-synth.json',
    ];
    expect(report.diagnostics.filter((d) => tools.includes(d.source?.file ?? ''))).toStrictEqual([]);
    for (const named of ['kelos.policy.yaml', '.gitlab-ci.yml']) {
      const one = await kelos([command, named], { cwd: dir });
      expect(one.code).toBe(2);
      expect(one.stdout).toContain('apiVersion is missing');
    }
  });
});

describe('files without objects', () => {
  test('validate warns about a comment-only file named on the command line', async () => {
    await writeFile(join(dir, 'notes.yaml'), '# nothing here yet\n---\n');
    const run = await kelos(['validate', 'notes.yaml'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'notes.yaml: warning notes.yaml holds no Kubernetes object (it holds only comments, document separators or empty documents); a file named on the command line should hold at least one [manifest/empty]\n    hint: name the manifest you meant, or leave this file out\n0 objects, 0 errors, 1 warning\n',
    );
  });

  test('check passes it with the same warning', async () => {
    await writeFile(join(dir, 'notes.yaml'), '# nothing here yet\n');
    const run = await kelos(['check', 'notes.yaml'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('[manifest/empty]');
  });

  test('files found under a directory with no object pass with an info, in text and JSON', async () => {
    await mkdir(join(dir, 'm'));
    await writeFile(join(dir, 'm/notes.yaml'), '# nothing here yet\n');
    await writeFile(join(dir, 'm/empty.yaml'), '');
    const run = await kelos(['validate', 'm'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'info 2 files read, none holds a Kubernetes object [manifest/no-objects]\n0 objects, 0 errors, 0 warnings\n',
    );
    const json = JSON.parse((await kelos(['validate', '--format', 'json', 'm'], { cwd: dir })).stdout);
    expect(json.diagnostics).toStrictEqual([
      {
        severity: 'info',
        code: 'manifest/no-objects',
        message: '2 files read, none holds a Kubernetes object',
        path: '',
      },
    ]);
  });
});
