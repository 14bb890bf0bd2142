/**
 * The CLI fed a standard input that never ends, as `yes 'a: b' | kelos …` feeds it: written
 * until the reader goes away, so a reader without a bound runs until memory does.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** Runs `kelos <args>` on endless `a: b` lines (killed after 50 s); its exit code and output. */
export async function runOnEndlessStdin(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, HOME: mkdtempSync(join(tmpdir(), 'kelos-endless-')) },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const line = Buffer.from('a: b\n'.repeat(16 * 1024));
  const feed = () => {
    while (child.stdin.writable && child.stdin.write(line));
  };
  child.stdin.on('drain', feed);
  child.stdin.on('error', () => {});
  feed();
  const guard = setTimeout(() => child.kill(), 50_000);
  const code = await new Promise<number | null>((done) => child.on('close', done));
  clearTimeout(guard);
  return { code, stdout, stderr };
}
