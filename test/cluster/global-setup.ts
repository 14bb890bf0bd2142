/**
 * vitest globalSetup of the `cluster` project: one real control plane per run, torn down at the
 * end. It never skips: if the binaries cannot be built or a component cannot start, the run
 * fails with a {@link ControlPlaneError} naming the step.
 *
 * Set `KELOS_TEST_KUBECONFIG` to run against an already running control plane instead (for
 * example one from `npm run cluster:up`); it is then left running.
 *
 * @module
 */
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { killRecordedProcessesSync, printEnv, startControlPlane } from './control-plane.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of an admin (system:masters) kubeconfig for the run's control plane. */
    kubeconfig: string;
    /** The pinned Kubernetes release the control plane was built from, e.g. `v1.36.3`. */
    k8sVersion: string;
  }
}

/** Starts the control plane and returns the teardown that stops it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env['KELOS_TEST_KUBECONFIG'];
  if (external) {
    const env = await printEnv();
    project.provide('kubeconfig', resolve(external));
    project.provide('k8sVersion', env.k8sVersion);
    return async () => {};
  }

  const cp = await startControlPlane({
    log: (line) => process.stderr.write(`${line}\n`),
  });
  // Safety net for a run that dies without teardown (e.g. SIGTERM to vitest): nothing async can
  // run then, so kill by recorded PID synchronously; the next run sweeps the temp dirs.
  const onExit = (): void => killRecordedProcessesSync(cp.processes);
  process.once('exit', onExit);
  project.provide('kubeconfig', cp.kubeconfigPath);
  project.provide('k8sVersion', cp.k8sVersion);

  return async () => {
    process.removeListener('exit', onExit);
    await cp.stop();
  };
}
