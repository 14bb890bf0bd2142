/**
 * The benchmark runner behind `npm run bench`: runs every `bench/*.ts` other than itself
 * (helpers live in `bench/lib/`), one after another, each in its own Node process so one
 * benchmark's heap and peak RSS do not colour the next. Names select benchmarks; options
 * are passed to each one.
 *
 * Usage:
 *   npm run bench                     every benchmark
 *   npm run bench -- synth            only bench/synth.ts
 *   npm run bench -- synth --runs 5   options go to every selected benchmark
 *   npm run bench -- --list           the names, one per line
 *
 * Exit code: 0 when every benchmark exited 0, 1 otherwise (or for an unknown name).
 *
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatMillis } from './lib/stats.ts';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const SELF = basename(fileURLToPath(import.meta.url));

/** Names of the benchmarks in `dir`: its `.ts` files other than the runner, sorted. */
export const benchmarkNames = async (dir: string = BENCH_DIR): Promise<string[]> =>
  (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && e.name !== SELF && !e.name.endsWith('.d.ts'))
    .map((e) => e.name.slice(0, -'.ts'.length))
    .sort();

/** Splits the runner's arguments into benchmark names and options for the benchmarks. */
export const splitArgs = (argv: readonly string[]): { names: string[]; options: string[]; list: boolean } => {
  const names: string[] = [];
  const options: string[] = [];
  let list = false;
  let inOptions = false;
  for (const arg of argv) {
    if (arg === '--list') list = true;
    else if (inOptions || arg.startsWith('-')) {
      // Everything from the first option on belongs to the benchmarks (values included).
      inOptions = true;
      options.push(arg);
    } else names.push(arg.replace(/\.ts$/, '').replace(/^bench\//, ''));
  }
  return { names, options, list };
};

const runOne = (name: string, options: readonly string[]): Promise<number> =>
  new Promise((done) => {
    const child = spawn(process.execPath, [join(BENCH_DIR, `${name}.ts`), ...options], { stdio: 'inherit' });
    child.on('error', (err) => {
      process.stderr.write(`bench: cannot start ${name}: ${err.message}\n`);
      done(1);
    });
    child.on('close', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });

if (import.meta.main) {
  const { names, options, list } = splitArgs(process.argv.slice(2));
  const all = await benchmarkNames();
  if (list) {
    process.stdout.write(`${all.join('\n')}\n`);
  } else {
    const unknown = names.filter((n) => !all.includes(n));
    if (unknown.length > 0) {
      process.stderr.write(
        `bench: no benchmark named ${unknown.map((n) => `"${n}"`).join(', ')}; benchmarks: ${all.join(', ') || 'none'}\n`,
      );
      process.exitCode = 1;
    } else {
      const selected = names.length > 0 ? names : all;
      const results: Array<{ name: string; code: number; millis: number }> = [];
      for (const name of selected) {
        process.stdout.write(`\n=== bench/${name}.ts ${options.join(' ')}\n`);
        const started = performance.now();
        const code = await runOne(name, options);
        results.push({ name, code, millis: performance.now() - started });
      }
      process.stdout.write('\n=== summary\n');
      for (const r of results) {
        process.stdout.write(
          `  ${r.name.padEnd(12)} ${r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`} in ${formatMillis(r.millis)}\n`,
        );
      }
      process.exitCode = results.every((r) => r.code === 0) ? 0 : 1;
    }
  }
}
