/**
 * Helpers of the image tests: the images built by images/build.sh (with bases assembled from
 * Debian packages, since no registry can be pulled from here), and containers run from them
 * with buildah (vfs storage, chroot isolation, the host's network): no Docker engine, no
 * daemon. The build installs buildah and mmdebstrap when they are missing and fails when it
 * cannot; these tests never skip.
 *
 * @module
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** Where images/build.sh keeps its buildah storage (the same default). */
export const IMAGES_CACHE = process.env['KELOS_IMAGES_CACHE'] || join(homedir(), '.cache/kelos-images');
const STORAGE = [
  '--root',
  join(IMAGES_CACHE, 'storage'),
  '--runroot',
  join(IMAGES_CACHE, 'run'),
  '--storage-driver',
  'vfs',
];

/** One image as images/build.sh reports it. */
export interface BuiltImage {
  readonly name: string;
  readonly image: string;
  /** Sum of the uncompressed layers. */
  readonly bytes: number;
  /** False when an image with the same inputs was reused. */
  readonly built: boolean;
}

/**
 * Builds `name` (operator or agent-base) on the local bases, or reuses the build whose inputs
 * are unchanged. A first build on a fresh machine takes minutes: call it from a hook with a
 * long timeout.
 */
export async function buildImage(name: 'operator' | 'agent-base'): Promise<BuiltImage> {
  const { stdout } = await run(join(ROOT, 'images/build.sh'), ['--local-base', name], {
    cwd: ROOT,
    env: { ...process.env, KELOS_IMAGE_PREFIX: 'localhost/kelos-test', KELOS_IMAGE_TAG: 'test' },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 30 * 60_000,
  }).catch((err: Error & { stderr?: string }) => {
    throw new Error(`images/build.sh ${name} failed: ${err.message}\n${err.stderr ?? ''}`, { cause: err });
  });
  const line = stdout.trim().split('\n').at(-1) ?? '';
  const [reported, image, bytes, how] = line.split(' ');
  if (reported !== name || !image || !bytes) throw new Error(`unexpected output of images/build.sh: ${line}`);
  return { name, image, bytes: Number(bytes), built: how === 'built' };
}

/** Runs buildah with the build's storage and returns its stdout. */
export async function buildah(args: readonly string[]): Promise<string> {
  const { stdout } = await run('buildah', [...STORAGE, ...args], { timeout: 120_000 });
  return stdout;
}

/** The image's ENTRYPOINT and USER, as a container runtime would read them. */
export async function imageConfig(image: string): Promise<{ entrypoint: string[]; user: string }> {
  const { OCIv1 } = JSON.parse(await buildah(['inspect', '--type', 'image', image])) as {
    OCIv1: { config?: { Entrypoint?: string[]; User?: string } };
  };
  const config = OCIv1.config ?? {};
  return { entrypoint: config.Entrypoint ?? [], user: config.User ?? '' };
}

/** A working container of an image, removed by {@link Container.remove}. */
export interface Container {
  readonly id: string;
  /**
   * Starts `command` (normally the image's ENTRYPOINT plus arguments: `buildah run` does not
   * apply it) in the container, as the image's USER and in its WORKDIR (or `workingDir`, as a
   * Pod's container sets it), on the host network.
   */
  spawn(
    command: readonly string[],
    opts?: { mounts?: readonly string[]; env?: Record<string, string>; workingDir?: string },
  ): ChildProcess;
  remove(): Promise<void>;
}

/** Creates a working container from `image`. */
export async function container(image: string): Promise<Container> {
  const id = (await buildah(['from', '--pull-never', image])).trim();
  return {
    id,
    spawn: (command, opts = {}) =>
      spawn(
        'buildah',
        [
          ...STORAGE,
          'run',
          '--isolation',
          'chroot',
          '--network',
          'host',
          ...(opts.workingDir ? ['--workingdir', opts.workingDir] : []),
          ...(opts.mounts ?? []).flatMap((m) => ['--volume', m]),
          ...Object.entries(opts.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
          id,
          '--',
          ...command,
        ],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      ),
    remove: async () => {
      await buildah(['rm', id]);
    },
  };
}

/**
 * Sends `signal` to the process of a `buildah run` whose command line starts with `command`
 * (buildah's own helpers below it carry the command further along theirs).
 * With chroot isolation there is no PID namespace: the container's processes are host
 * processes below `buildah run`, which itself answers SIGTERM by killing them, not by passing
 * the signal on as a container runtime (and the kubelet) would.
 */
export async function signalInContainer(
  run: ChildProcess,
  command: readonly string[],
  signal: NodeJS.Signals,
): Promise<void> {
  const prefix = command.join(' ');
  const procs = await Promise.all(
    (await readdir('/proc'))
      .filter((p) => /^\d+$/.test(p))
      .map(async (pid) => {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
        const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        // The fields after the parenthesised command name: state, then the parent PID.
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return { pid: Number(pid), ppid, cmdline: cmdline.split('\0').join(' ') };
      }),
  );
  const below = new Set([run.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) {
      if (below.has(p.ppid) && !below.has(p.pid)) {
        below.add(p.pid);
        grew = true;
      }
    }
  }
  const target = procs.find((p) => below.has(p.pid) && p.pid !== run.pid && p.cmdline.startsWith(prefix));
  if (!target) throw new Error(`no process "${prefix}" below buildah run ${run.pid}`);
  process.kill(target.pid, signal);
}

/** Collects a child's output and resolves with its exit code. */
export function completion(
  child: ChildProcess,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolveExit, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolveExit({ code, stdout, stderr }));
  });
}

/** Megabytes (10^6 bytes, as image tools print them). */
export const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
