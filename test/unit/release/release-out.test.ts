/**
 * `npm run release` empties its output directory before it builds into it, so `--out` must name
 * a directory of its own: one holding other files (the repository above all) is refused before
 * anything is removed. The script runs with a PATH of node alone, so were the guard missing it
 * would stop at the image build instead of building a release. (`--out .` is refused too, but
 * is not run here: without the guard it would remove the working tree.)
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);

async function release(out: string) {
  return run(process.execPath, ['scripts/release.ts', '--out', out], {
    cwd: ROOT,
    env: { PATH: dirname(process.execPath), HOME: tmpdir() },
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
  );
}

describe('npm run release --out', () => {
  test('a directory with files of no release is refused and left as it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-release-out-'));
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    mkdirSync(join(dir, 'src'));
    const r = await release(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `release: --out ${dir} holds files of no release (no SHA256SUMS and release.json)`,
    );
    expect(readdirSync(dir).sort()).toEqual(['notes.txt', 'src']);
  }, 60_000);
});
