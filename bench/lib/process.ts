/**
 * Runs a command as a child process and measures it: wall time from spawn to exit, and
 * peak RSS. The peak comes from GNU time (`/usr/bin/time`, the largest `ru_maxrss` of the
 * process and the descendants it waited for) when that exists, else from polling `/proc`.
 *
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescendantPeaks } from './memory.ts';

/** CPU time of reaped children so far, in ms (`undefined` without `/proc`). */
export const childrenCpuMs = (): number | undefined => {
  try {
    // Fields after the command name: state is 3rd, cutime the 16th and cstime the 17th of the line.
    const fields = (readFileSync('/proc/self/stat', 'utf8').split(') ')[1] ?? '').split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
};

/** One process's name and CPU time so far (user + system, ms), by pid. */
export type CpuSnapshot = ReadonlyMap<number, { readonly name: string; readonly ms: number }>;

/** User + system CPU ms from the text of `/proc/PID/stat` (fields 14 and 15, in 10 ms ticks). */
const statCpuMs = (stat: string): number => {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

/** The CPU time (user + system) one process has used, in ms; NaN when it cannot be read. */
export const processCpuMs = (pid: number): number => {
  try {
    return statCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return Number.NaN;
  }
};

/**
 * The CPU time of every process on the machine: named by the command name from
 * `/proc/PID/stat`, kernel threads (no command line) as `kernel`, and the pids in `names` as
 * given there. {@link cpuSpentByName} says which processes spent the CPU of a phase on a
 * machine the whole run shares. Empty without `/proc`.
 */
export const cpuSnapshot = (names: ReadonlyMap<number, string> = new Map()): CpuSnapshot => {
  const out = new Map<number, { name: string; ms: number }>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const dir of pids) {
    const pid = Number(dir);
    try {
      const stat = readFileSync(`/proc/${dir}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name =
        names.get(pid) ??
        (readFileSync(`/proc/${dir}/cmdline`).length === 0
          ? 'kernel'
          : stat.slice(stat.indexOf('(') + 1, close));
      out.set(pid, { name, ms: statCpuMs(stat) });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return out;
};

/**
 * CPU ms spent between two snapshots, summed by name. A process that started in between
 * counts from zero; one that ended in between is missing (its last moments are lost).
 */
export const cpuSpentByName = (before: CpuSnapshot, after: CpuSnapshot): Map<string, number> => {
  const out = new Map<string, number>();
  for (const [pid, { name, ms }] of after)
    out.set(name, (out.get(name) ?? 0) + ms - (before.get(pid)?.ms ?? 0));
  return out;
};

/** GNU time, when installed. */
export const GNU_TIME = '/usr/bin/time';

/** Options of {@link runMeasured}. */
export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Keep stdout (`capture`) or throw it away as it comes (`discard`), so that a large output
   * costs the child what writing to a pipe costs, without filling our memory.
   *
   * @default 'discard'
   */
  readonly stdout?: 'capture' | 'discard';
}

/** What one measured run did. */
export interface MeasuredRun {
  readonly code: number | null;
  readonly wallMs: number;
  /** Peak RSS in bytes, when it could be measured. */
  readonly peakRss: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command args` once and measures it. Never throws for a non-zero exit: see `code`. */
export const runMeasured = async (
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<MeasuredRun> => {
  const useTime = existsSync(GNU_TIME);
  const dir = useTime ? await mkdtemp(join(tmpdir(), 'kelos-bench-time-')) : undefined;
  const timeFile = dir ? join(dir, 'rusage') : undefined;
  const [file, argv] = timeFile
    ? [GNU_TIME, ['-f', '%M', '-o', timeFile, command, ...args]]
    : [command, [...args]];
  try {
    const started = performance.now();
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const peaks = timeFile ? undefined : new DescendantPeaks().start();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      if (options.stdout === 'capture') stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((done, fail) => {
      child.on('error', fail);
      child.on('close', (c) => done(c));
    });
    const wallMs = performance.now() - started;
    let peakRss = peaks?.stop();
    if (timeFile) {
      // GNU time reports kilobytes; the last line is ours (earlier ones may be its notes).
      const lines = (await readFile(timeFile, 'utf8')).trim().split('\n');
      const kb = Number(lines.at(-1));
      peakRss = Number.isFinite(kb) ? kb * 1024 : undefined;
    }
    return { code, wallMs, peakRss, stdout, stderr };
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
};
