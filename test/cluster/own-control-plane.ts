/**
 * A control plane of a test file's own, for files whose tests must not share the run's (they
 * install CRDs of another Kelos, or install and uninstall the operator): started before the
 * file's first test, stopped after its last.
 *
 * @module
 */
import { afterAll, beforeAll } from 'vitest';
import { HttpKubeClient } from '../../src/kube/client.ts';
import { loadKubeconfigFile } from '../../src/kube/kubeconfig.ts';
import { type ControlPlane, startControlPlane } from './control-plane.ts';

/** What {@link useOwnControlPlane} started. */
export interface OwnControlPlane {
  readonly cp: ControlPlane;
  /** An admin (system:masters) client of `cp`. */
  readonly admin: HttpKubeClient;
}

/**
 * Registers the start of a fresh control plane and an admin client of it before the file's
 * tests, and their stop after; `ready` receives them once they exist.
 */
export function useOwnControlPlane(ready: (own: OwnControlPlane) => void): void {
  let cp: ControlPlane | undefined;
  let admin: HttpKubeClient | undefined;
  // Longer than the project's hookTimeout: a start on 2 shared cores can take that long.
  beforeAll(async () => {
    cp = await startControlPlane();
    admin = new HttpKubeClient(await loadKubeconfigFile(cp.kubeconfigPath));
    ready({ cp, admin });
  }, 180_000);
  afterAll(async () => {
    admin?.close();
    await cp?.stop();
  });
}
