/**
 * The agent runtime as the agent base image holds it under `/kelos`, for tests that run it as
 * local processes: the files agent-base.Dockerfile copies, those under `lib/` compiled as
 * `npm run build` compiles them (tsc with tsconfig.build.json's options), but only
 * `src/agent` and what it imports, so a test does not wait for the whole package to compile.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');

/** The images' directory. */
export const IMAGES = join(ROOT, 'images');

/** The text of `images/<name>`. */
export const dockerfile = (name: string): string => readFileSync(join(IMAGES, name), 'utf8');

/** `COPY [flags] <src...> <dest>` lines that copy from the build context. */
export const contextCopies = (text: string): Array<{ sources: string[]; dest: string }> =>
  text
    .split('\n')
    .filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))
    .map((l) => {
      const parts = l
        .replace(/^COPY\s+/, '')
        .split(/\s+/)
        .filter((p) => !p.startsWith('--'));
      return { sources: parts.slice(0, -1), dest: parts.at(-1)! };
    });

/** The build output of `npm run build` (scripts/build.ts, tsconfig.build.json). */
export const BUILT = 'lib/';

/** The source a path under `lib/` is built from (`lib/src/agent` → `src/agent`, `.js` → `.ts`). */
export const sourceOfBuilt = (path: string): string => path.slice(BUILT.length).replace(/\.js$/, '.ts');

let compiled: string | undefined;

/** Compiles `src/agent` (and what it imports) once per process; returns the stand-in for `lib/`. */
function compileAgent(): string {
  if (compiled) return compiled;
  const out = mkdtempSync(join(tmpdir(), 'kelos-lib-'));
  const config = join(out, 'tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.build.json'),
      // typeRoots: types are looked up from the config's directory, which is not the repository.
      compilerOptions: {
        rootDir: ROOT,
        outDir: out,
        declaration: false,
        typeRoots: [join(ROOT, 'node_modules/@types')],
      },
      include: [join(ROOT, 'src/agent')],
    }),
  );
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config], {
    encoding: 'utf8',
  });
  if (tsc.status !== 0) throw new Error(`tsc of src/agent failed:\n${tsc.stdout}${tsc.stderr}`);
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  compiled = out;
  return out;
}

/**
 * A temporary directory holding exactly what agent-base.Dockerfile copies under `/kelos`,
 * JavaScript only (checked: no `.ts` file). The caller removes it.
 */
export function layOutAgentRuntime(): string {
  const built = compileAgent();
  const runtime = mkdtempSync(join(tmpdir(), 'kelos-runtime-'));
  for (const { sources, dest } of contextCopies(dockerfile('agent-base.Dockerfile'))) {
    if (!dest.startsWith('/kelos/')) continue;
    const source = sources[0]!;
    const from = source.startsWith(BUILT) ? join(built, source.slice(BUILT.length)) : join(ROOT, source);
    const target = join(runtime, dest.slice('/kelos/'.length));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(from, target, { recursive: true });
  }
  const typescript = readdirSync(runtime, { recursive: true, encoding: 'utf8' }).filter((f) =>
    /\.ts$/.test(f),
  );
  if (typescript.length) throw new Error(`the agent runtime holds TypeScript: ${typescript.join(', ')}`);
  return runtime;
}
