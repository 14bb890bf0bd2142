/**
 * `npm run cluster:up` / `npm run cluster:down`: a long-lived control plane for working by hand
 * (kubectl, the operator run locally) or for reuse across test runs via
 * `KELOS_TEST_KUBECONFIG`.
 *
 * `up` prints `KUBECONFIG=<absolute path>` as its last stdout line, so scripts can
 * `eval "$(npm run -s cluster:up | tail -n1)"`. Progress goes to stderr.
 *
 * @module
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ControlPlaneError,
  isRunning,
  readState,
  startControlPlane,
  stopControlPlane,
} from './control-plane.ts';

// Fixed, so `down` (a new process) finds what `up` started.
const CLI_STATE_DIR = join(process.env['TMPDIR'] || tmpdir(), 'kelos-testenv');

const USAGE = 'usage: node test/cluster/cli.ts up|down';

async function up(): Promise<void> {
  const existing = await readState(CLI_STATE_DIR);
  if (existing !== undefined) {
    if (existing.processes.length === 3 && existing.processes.every(isRunning)) {
      process.stderr.write(
        `control plane already running (${existing.server}); 'npm run cluster:down' stops it\n`,
      );
      process.stdout.write(`KUBECONFIG=${existing.kubeconfigPath}\n`);
      return;
    }
    process.stderr.write('found a stale control plane; stopping what is left of it\n');
    await stopControlPlane(CLI_STATE_DIR);
  }
  const cp = await startControlPlane({
    stateDir: CLI_STATE_DIR,
    detached: true,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const pids = cp.processes.map((p) => `${p.name}=${p.pid}`).join(' ');
  process.stderr.write(`started ${cp.k8sVersion} (etcd ${cp.etcdVersion}) at ${cp.server}: ${pids}\n`);
  process.stderr.write(`logs: ${join(cp.stateDir, 'logs')}\n`);
  process.stdout.write(`KUBECONFIG=${cp.kubeconfigPath}\n`);
}

async function down(): Promise<void> {
  const state = await readState(CLI_STATE_DIR);
  if (state === undefined) {
    process.stderr.write(`no control plane recorded in ${CLI_STATE_DIR}\n`);
    return;
  }
  await stopControlPlane(CLI_STATE_DIR);
  process.stderr.write(`stopped ${state.processes.map((p) => `${p.name}=${p.pid}`).join(' ')}\n`);
}

async function main(argv: readonly string[]): Promise<number> {
  const command = argv[0];
  if (command === 'up') await up();
  else if (command === 'down') await down();
  else {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${err instanceof ControlPlaneError ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
