/**
 * Issue 9, finding 7: synth's writes never go through a symbolic link, and a failure midway
 * leaves the old dist/ as it was (temporary files first, renames after).
 */
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { compareOutput, SymlinkInOutputError, writeOutput } from '../../../src/compiler/output.ts';

let root: string;
let outside: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kelos-out-'));
  outside = await mkdtemp(join(tmpdir(), 'kelos-outside-'));
  await mkdir(join(root, 'dist/app'), { recursive: true });
  await writeFile(join(outside, 'precious.txt'), 'keep me\n');
});

const files = (entries: Record<string, string>) =>
  Object.entries(entries).map(([path, content]) => ({ path, content }));

describe('writeOutput', () => {
  test('refuses to write through a symlinked file and names it; the target is untouched', async () => {
    await symlink(join(outside, 'precious.txt'), join(root, 'dist/app/task.yaml'));
    const write = writeOutput(root, files({ 'dist/app/task.yaml': 'kind: Task\n' }), ['dist']);
    await expect(write).rejects.toThrow(SymlinkInOutputError);
    await expect(write).rejects.toThrow('dist/app/task.yaml is a symbolic link; kelos synth never writes');
    expect(await readFile(join(outside, 'precious.txt'), 'utf8')).toBe('keep me\n');
  });

  test('refuses a symlinked directory on the way, and --check refuses it too', async () => {
    await symlink(outside, join(root, 'dist/linked'));
    const out = files({ 'dist/linked/precious.txt': 'overwritten\n' });
    await expect(writeOutput(root, out, ['dist'])).rejects.toThrow('dist/linked is a symbolic link');
    await expect(compareOutput(root, out, ['dist'])).rejects.toThrow('dist/linked is a symbolic link');
    expect(await readFile(join(outside, 'precious.txt'), 'utf8')).toBe('keep me\n');
  });

  test('refuses when the owned directory itself is a link', async () => {
    await symlink(outside, join(root, 'out'));
    await expect(writeOutput(root, files({ 'out/x.yaml': 'x\n' }), ['out'])).rejects.toThrow(
      'out is a symbolic link',
    );
  });

  test('a write that fails midway leaves every old file as it was and no temporary file', async () => {
    await writeFile(join(root, 'dist/app/a.yaml'), 'old a\n');
    await writeFile(join(root, 'dist/app/z.yaml'), 'old z\n');
    // A name longer than any filesystem allows fails to open (ENAMETOOLONG), after a.yaml was due.
    const out = files({
      'dist/app/a.yaml': 'new a\n',
      [`dist/app/${'n'.repeat(300)}.yaml`]: 'x\n',
      'dist/app/z.yaml': 'new z\n',
    });
    await expect(writeOutput(root, out, ['dist'])).rejects.toThrow();
    expect(await readFile(join(root, 'dist/app/a.yaml'), 'utf8')).toBe('old a\n');
    expect(await readFile(join(root, 'dist/app/z.yaml'), 'utf8')).toBe('old z\n');
    expect((await readdir(join(root, 'dist/app'))).sort()).toEqual(['a.yaml', 'z.yaml']);
  });

  test('a failed write into new directories removes them again', async () => {
    const out = files({ 'dist/new/a.yaml': 'a\n', [`dist/new/${'n'.repeat(300)}.yaml`]: 'x\n' });
    await expect(writeOutput(root, out, ['dist'])).rejects.toThrow();
    expect(await readdir(join(root, 'dist'))).toEqual(['app']);
  });

  test('a successful write renames every file into place and removes stale ones', async () => {
    await writeFile(join(root, 'dist/app/a.yaml'), 'old a\n');
    await writeFile(join(root, 'dist/app/stale.yaml'), 'stale\n');
    const report = await writeOutput(root, files({ 'dist/app/a.yaml': 'new a\n', 'dist/b/b.yaml': 'b\n' }), [
      'dist',
    ]);
    expect(report).toEqual({
      written: ['dist/app/a.yaml', 'dist/b/b.yaml'],
      removed: ['dist/app/stale.yaml'],
      unchanged: 0,
    });
    expect(await readFile(join(root, 'dist/app/a.yaml'), 'utf8')).toBe('new a\n');
    expect(await readdir(join(root, 'dist/app'))).toEqual(['a.yaml']);
    expect(await readdir(join(root, 'dist/b'))).toEqual(['b.yaml']);
  });
});
