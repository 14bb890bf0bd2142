/**
 * What `kelos install`, `kelos delete` and `kelos uninstall` say of the Kelos objects whose
 * finalizer the operator holds: an object already terminating, and one in a namespace the
 * install no longer watches, where nothing releases its finalizer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINALIZER } from '../../src/api/index.ts';
import { NAMESPACE } from '../../src/cli/cluster/bundle.ts';
import { HttpKubeClient } from '../../src/kube/client.ts';
import { loadKubeconfigFile } from '../../src/kube/kubeconfig.ts';
import { Resources } from '../../src/operator/resources.ts';
import { kelos } from './cli-helpers.ts';
import { type ControlPlane, startControlPlane } from './control-plane.ts';
import { waitFor } from './helpers.ts';
import { create, task } from './operator-helpers.ts';

// A control plane of its own: these tests install the operator and uninstall it, which the
// run's shared control plane must not see. No operator runs, so a finalizer stays until a
// test removes it, as it does for a namespace the operator no longer watches.
let cp: ControlPlane;
let admin: HttpKubeClient;

beforeAll(async () => {
  cp = await startControlPlane();
  admin = new HttpKubeClient(await loadKubeconfigFile(cp.kubeconfigPath));
}, 180_000);
afterAll(async () => {
  admin?.close();
  await cp?.stop();
});

const k = (...args: string[]) => kelos([...args, '--kubeconfig', cp.kubeconfigPath]);

const createNamespace = (name: string) =>
  admin.create(NAMESPACE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

/** A Task in `ns` carrying the operator's finalizer, as the operator leaves one it has seen. */
const heldTask = (ns: string, name: string) =>
  create(admin, ns, 'Task', { ...task(name), metadata: { name, finalizers: [FINALIZER] } });

const release = (ns: string, name: string) =>
  admin.mergePatch(Resources.Task, ns, name, { metadata: { finalizers: null } });

describe('kelos uninstall --dry-run', () => {
  it('says already being deleted of a Kelos object already terminating, as the run does, and does not count it', async () => {
    expect((await k('install')).code).toBe(0);
    await createNamespace('dry');
    await heldTask('dry', 'burst-01');
    await heldTask('dry', 'burst-02');
    await admin.delete(Resources.Task, 'dry', 'burst-01');
    const dry = await k('uninstall', '--dry-run');
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('task/burst-01 -n dry already being deleted\n');
    expect(dry.stdout).not.toContain('would delete task/burst-01');
    expect(dry.stdout).toContain('would delete task/burst-02 -n dry\n');
    expect(dry.stdout).toMatch(/dry run: 1 Kelos objects and \d+ install objects would be deleted/);

    // The run says the same of it, once, and waits for it with the other.
    const run = await k('uninstall', '--timeout', '1s');
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n').filter((l) => l.startsWith('task/burst-01'))).toEqual([
      'task/burst-01 -n dry already being deleted',
    ]);
    expect(run.stdout).toContain('task/burst-02 -n dry deleting\n');
    await release('dry', 'burst-01');
    await release('dry', 'burst-02');
    expect((await k('uninstall')).code).toBe(0);
    await waitFor(
      'kelos-system to be gone',
      async () => !(await admin.get(NAMESPACE, undefined, 'kelos-system')),
      { timeoutMs: 60_000 },
    );
  }, 120_000);
});
