/**
 * The operator as a real child process (`kelos operator`), for tests that kill it: started
 * with `--kubeconfig` of the test cluster and resolved once it logs that it runs.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { kubeconfigPath } from './helpers.ts';
import { waitFor } from './operator-helpers.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/**
 * Runs `kelos operator` as a real process, resolving once it reports that it runs; `main` is
 * the CLI entry to run (another version's source tree, for the upgrade test).
 */
export async function spawnOperator(
  namespace: string,
  extra: readonly string[] = [],
  main: string = MAIN,
  env: Readonly<Record<string, string>> = {},
): Promise<{ child: ChildProcess; output: () => string }> {
  let out = '';
  const child = spawn(
    process.execPath,
    [
      main,
      'operator',
      '--kubeconfig',
      kubeconfigPath(),
      '--namespace',
      namespace,
      '--metrics-addr',
      '0',
      '--health-addr',
      '0',
      '--workers',
      '2',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await waitFor(
    'the operator process to start',
    async () => {
      if (child.exitCode !== null) throw new Error(`operator exited with ${child.exitCode}:\n${out}`);
      return out.includes('"msg":"Operator running"');
    },
    { timeoutMs: 60_000 },
  );
  return { child, output: () => out };
}

/** Kills with SIGKILL (no cleanup) and waits for the exit. */
export const kill9 = (child: ChildProcess): Promise<void> =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
