/**
 * What the benchmarks that run against a control plane share: the control plane itself (the
 * one `KELOS_BENCH_KUBECONFIG` names, else one started for the run from `test/cluster`), the
 * CRDs applied to it, and `kelos operator` as a child process, ready once it logs that it runs.
 *
 * @packageDocumentation
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCrds } from '../../src/crd/generate.ts';
import type { ApiObject, HttpKubeClient, ResourceType } from '../../src/kube/client.ts';
import { startControlPlane } from '../../test/cluster/control-plane.ts';

/** The CLI entry the benchmarks run as `kelos`. */
export const KELOS_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/**
 * The V8 flags to run the operator with: `given` (a `--node-flags` value, split on spaces)
 * or, without it, the flags the operator image starts Node with (its Dockerfile's
 * `ENTRYPOINT`, between the node binary and the script), so the benchmarks measure the
 * operator as it ships.
 */
export function operatorNodeFlags(given?: string): string[] {
  if (given !== undefined) return given.split(' ').filter(Boolean);
  const dockerfile = readFileSync(new URL('../../images/operator.Dockerfile', import.meta.url), 'utf8');
  const line = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
  if (!line) throw new Error('images/operator.Dockerfile has no ENTRYPOINT in exec form');
  const argv = JSON.parse(line) as string[];
  return argv.slice(1).filter((a) => a.startsWith('--'));
}

/** A control plane for one benchmark run. */
export interface BenchControlPlane {
  readonly kubeconfig: string;
  /** Stops it when this run started it; leaves one named by the environment alone. */
  readonly stop: () => Promise<void>;
}

/** The control plane `KELOS_BENCH_KUBECONFIG` points at, else a fresh one for this run. */
export async function benchControlPlane(): Promise<BenchControlPlane> {
  const given = process.env['KELOS_BENCH_KUBECONFIG'];
  if (given) return { kubeconfig: given, stop: async () => {} };
  process.stderr.write('starting a control plane…\n');
  const cp = await startControlPlane({ stateDir: await mkdtemp(join(tmpdir(), 'kelos-bench-')) });
  return { kubeconfig: cp.kubeconfigPath, stop: () => cp.stop() };
}

const CRD: ResourceType = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  namespaced: false,
};

/** Server-side applies the CRDs the code generates. */
export async function applyCrds(c: HttpKubeClient): Promise<void> {
  for (const crd of generateCrds()) await c.apply(CRD, crd as unknown as ApiObject, { force: true });
}

/**
 * Starts `node [nodeFlags] kelos operator <args>` and resolves with the first match of `ready`
 * in its stderr (its JSON log), e.g. the `Operator running` line and the address it names;
 * rejects with the log's tail when it exits first.
 */
export async function spawnOperator(
  args: readonly string[],
  ready: RegExp,
  nodeFlags: readonly string[] = [],
): Promise<{ child: ChildProcess; match: RegExpExecArray; tail: () => string }> {
  const child = spawn(process.execPath, [...nodeFlags, KELOS_MAIN, 'operator', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let buffered = '';
  let found = false;
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      // Once running, the logs are only kept short for an exit message: scanning them would
      // spend the bench's CPU (its own watch and clients) on the operator's logs in a burst.
      if (found) {
        buffered = (buffered + d.toString()).slice(-4000);
        return;
      }
      buffered += d.toString();
      const m = ready.exec(buffered);
      if (m) {
        found = true;
        buffered = '';
        resolve(m);
      }
      if (buffered.length > 1e6) buffered = buffered.slice(-1e5);
    });
    child.once('exit', (code) => reject(new Error(`operator exited with ${code}: ${buffered.slice(-2000)}`)));
  });
  return { child, match, tail: () => buffered };
}

/** Stops a child process gracefully (SIGTERM) and waits for it to exit. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
