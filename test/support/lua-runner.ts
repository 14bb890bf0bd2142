/**
 * The Lua health-check runner of test/argocd/lua-runner: built on first use from the Go
 * module proxy into ~/.cache (like the control plane), then called with a script and the
 * objects to judge.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BUILD = fileURLToPath(new URL('../argocd/lua-runner/build.sh', import.meta.url));

/** What Argo CD would report for one object, or the script's error. */
export interface LuaHealth {
  readonly status?: string;
  readonly message: string;
  readonly error?: string;
}

const run = (file: string, args: readonly string[], input?: string, timeout = 60_000): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err)
        reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stderr}`, { cause: err }));
      else resolve(stdout);
    });
    // A runner that exits without reading its input (`--deps`) closes the pipe: the EPIPE that
    // then comes on stdin says nothing the exit status and the output do not, and unhandled it
    // would end the test run.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });

let built: Promise<string> | undefined;

/** Builds the runner if it is not cached; resolves to its path. */
export function buildLuaRunner(): Promise<string> {
  built ??= run(BUILD, [], undefined, 10 * 60_000).then((out) => out.trim().split('\n').at(-1) as string);
  return built;
}

/** Module versions the runner was built with (`path version` lines). */
export async function luaRunnerDeps(): Promise<string[]> {
  return (await run(await buildLuaRunner(), ['--deps'])).trim().split('\n');
}

/**
 * Runs `script` on each object as Argo CD does. `openLibs` false is Argo CD's default for
 * resource customizations; true is what Argo CD's own health_test.go uses.
 */
export async function runHealth(
  script: string,
  objects: readonly unknown[],
  openLibs = false,
): Promise<LuaHealth[]> {
  const out = await run(await buildLuaRunner(), [], JSON.stringify({ script, openLibs, objects }));
  return JSON.parse(out) as LuaHealth[];
}
