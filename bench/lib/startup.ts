/**
 * Whole-process start-up of a one-file `kelos check`, as a pre-commit hook runs it, against
 * `node -e ''` (the bare start-up of the same Node binary) in the same run: each round runs
 * every variant once, in turn, so load drifts hit them alike. Variants: the package as users
 * install it (its `bin/kelos.js` running the JavaScript of `lib/`, laid out in a temporary
 * directory the way npm installs it), and the repository's own TypeScript. Each runs in a project
 * with a `kelos.policy.yaml` and in one without.
 *
 * Wall time is the figure the target is about; CPU time (the children's user + system time from
 * `/proc`, Linux only) moves less with load.
 *
 * @packageDocumentation
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childrenCpuMs } from './process.ts';
import { median } from './stats.ts';

/** Target of issue 18: a one-file `kelos check` within 4x `node -e ''`, whole process. */
export const STARTUP_TARGET_RATIO = 4;

/** One command timed. */
export interface StartupFigures {
  readonly label: string;
  /** Median wall time. */
  readonly wallMs: number;
  /** Median CPU time (user + system), `undefined` where `/proc` is missing. */
  readonly cpuMs: number | undefined;
}

/**
 * Lays out the package as npm installs it: `bin/`, `lib/` (built with `npm run build` when
 * missing or when `rebuild`) and `package.json`, with the repository's `node_modules` as the
 * dependencies. Without `src/`, `bin/kelos.js` runs the bundle in `lib/cli/`, as it does for users.
 */
export const installedPackage = (repo: string, dir: string, rebuild: boolean): string => {
  if (rebuild || !existsSync(join(repo, 'lib/cli/kelos.js'))) {
    execFileSync(process.execPath, [join(repo, 'scripts/build.ts')], { cwd: repo, stdio: 'ignore' });
  }
  const root = join(dir, 'node_modules/kelos-ts');
  mkdirSync(root, { recursive: true });
  for (const part of ['bin', 'lib', 'package.json'])
    cpSync(join(repo, part), join(root, part), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
  return join(root, 'bin/kelos.js');
};

/** Two projects with `file` in them: one with `policyFile` as `kelos.policy.yaml`, one without. */
export const startupProjects = (
  dir: string,
  file: string,
  policyFile: string,
): { readonly plain: string; readonly configured: string } => {
  const plain = join(dir, 'plain');
  const configured = join(dir, 'configured');
  for (const p of [plain, configured]) {
    mkdirSync(p, { recursive: true });
    writeFileSync(join(p, 'task.yaml'), file);
  }
  cpSync(policyFile, join(configured, 'kelos.policy.yaml'));
  return { plain, configured };
};

/** A command of a round: its label, arguments to Node, and where it runs. */
export interface StartupCommand {
  readonly label: string;
  readonly args: readonly string[];
  readonly cwd: string;
}

/**
 * Runs every command once per round, `rounds` times after one warm-up round (which also
 * fills Node's compile cache), and returns each command's medians.
 *
 * @throws Error when a command exits other than 0 or 2 (2: the file has findings).
 */
export const measureStartup = (commands: readonly StartupCommand[], rounds: number): StartupFigures[] => {
  const samples = commands.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
  const once = (c: StartupCommand, i: number, keep: boolean) => {
    const cpu0 = childrenCpuMs();
    const t0 = performance.now();
    const r = spawnSync(process.execPath, c.args, { cwd: c.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    const wall = performance.now() - t0;
    const cpu1 = childrenCpuMs();
    if (r.status !== 0 && r.status !== 2) throw new Error(`${c.label} exited ${r.status}: ${r.stderr}`);
    if (!keep) return;
    samples[i]?.wall.push(wall);
    if (cpu0 !== undefined && cpu1 !== undefined) samples[i]?.cpu.push(cpu1 - cpu0);
  };
  commands.forEach((c, i) => {
    once(c, i, false);
  });
  for (let r = 0; r < rounds; r++) {
    commands.forEach((c, i) => {
      once(c, i, true);
    });
  }
  return commands.map((c, i) => {
    const s = samples[i] ?? { wall: [], cpu: [] };
    return { label: c.label, wallMs: median(s.wall), cpuMs: s.cpu.length > 0 ? median(s.cpu) : undefined };
  });
};
