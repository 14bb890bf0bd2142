/**
 * What `kelos install`, `kelos delete` and `kelos uninstall` say of the Kelos objects whose
 * finalizer the operator holds: an object already terminating, and one in a namespace the
 * install no longer watches, where nothing releases its finalizer.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINALIZER } from '../../src/api/index.ts';
import { NAMESPACE } from '../../src/cli/cluster/bundle.ts';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { kelos, kelosProcess, standInOperator } from './cli-helpers.ts';
import type { ControlPlane } from './control-plane.ts';
import { waitFor } from './helpers.ts';
import { create, task } from './operator-helpers.ts';
import { useOwnControlPlane } from './own-control-plane.ts';

// A control plane of its own: these tests install the operator and uninstall it, which the
// run's shared control plane must not see. No operator runs, so a finalizer stays until a
// test removes it, as it does for a namespace the operator no longer watches.
let cp: ControlPlane;
let admin: HttpKubeClient;
useOwnControlPlane((own) => {
  ({ cp, admin } = own);
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

describe('Kelos objects in a namespace the install no longer watches', () => {
  const wayOut = (again: string, first: string, each: boolean) =>
    `the finalizer stays until ${again.split(',').length - 2 > 1 ? 'their namespaces are' : 'the namespace is'} watched again (kelos install --watch-namespace ${again}, with the install's other flags) or is removed by hand (kubectl patch task ${first} --type=merge -p '{"metadata":{"finalizers":null}}'${each ? ', for each' : ''}), which skips the operator's clean-up of a Task (its Job deleted, its cost recorded in a TaskRecord)`;

  it('install warns naming them; delete and uninstall say the operator does not watch them instead of asking whether it runs, once', async () => {
    for (const ns of ['team-a', 'team-b', 'team-f', 'team-g']) await createNamespace(ns);
    expect((await k('install')).code).toBe(0);
    await heldTask('team-f', 'burst-01');
    await heldTask('team-f', 'burst-02');
    await heldTask('team-g', 'burst-03');
    await heldTask('team-a', 'ok-01');
    // No finalizer: deleting it does not wait on the operator, so it is not named.
    await create(admin, 'team-f', 'Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'repo' },
      spec: { repo: 'https://github.com/acme/repo.git' },
    });

    const narrowed = await k('install', '--watch-namespace', 'team-a,team-b');
    expect(narrowed.code).toBe(0);
    expect(narrowed.stdout).toContain('clusterrolebinding/kelos-operator pruned\n');
    expect(narrowed.stderr).toBe(
      `warning: the operator does not watch team-f (2 Tasks), team-g (1 Task), whose Kelos objects carry its finalizer: ${wayOut('team-a,team-b,team-f,team-g', 'burst-01 -n team-f', true)}; until then deleting them waits, and kelos uninstall cannot finish\n`,
    );

    const del = await k('delete', 'task', 'burst-01', '-n', 'team-f', '--timeout', '2s');
    expect(del.code).toBe(1);
    expect(del.stderr).toContain(
      `task "burst-01" in team-f carries ${FINALIZER}, but the Kelos operator (deployment/kelos-operator -n kelos-system) watches only team-a, team-b: nothing releases it, and the wait lasts until --timeout; ${wayOut('team-a,team-b,team-f', 'burst-01 -n team-f', false)}. To stop waiting, press Ctrl-C or pass --wait=false: the deletion stays requested.\n`,
    );
    expect(del.stderr).not.toContain('See whether it runs');
    // The last line agrees: not "is it running?", since it runs and does not watch team-f.
    expect(del.stderr).toContain(
      'to be deleted; the operator does not watch team-f, so nothing releases its kelos.dev finalizers (see above); kelos delete --wait=false returns without waiting\n',
    );
    expect(del.stderr).not.toContain('is it running?');

    // The executable itself, as the user runs it: the reason is printed once.
    const un = await kelosProcess(['uninstall', '--timeout', '2s', '--kubeconfig', cp.kubeconfigPath], {
      HOME: mkdtempSync(join(tmpdir(), 'kelos-home-')),
    });
    expect(un.code).toBe(1);
    const lines = un.stderr.split('\n').filter(Boolean);
    expect(lines).toEqual([
      `kelos: 4 Kelos objects still have finalizers after 2s; team-f (2 Tasks), team-g (1 Task): the operator (deployment/kelos-operator -n kelos-system) watches only team-a, team-b, so nothing releases them: ${wayOut('team-a,team-b,team-f,team-g', 'burst-01 -n team-f', true)}; then run kelos uninstall again. The other 1 (task/ok-01 -n team-a): the operator releases them, so check that it runs (kubectl -n kelos-system get pods), then run kelos uninstall again`,
    ]);

    for (const [ns, name] of [
      ['team-f', 'burst-01'],
      ['team-f', 'burst-02'],
      ['team-g', 'burst-03'],
      ['team-a', 'ok-01'],
    ] as const)
      await release(ns, name);
    expect((await k('uninstall')).code).toBe(0);
  }, 120_000);
});

describe('Kelos objects left with the finalizer once no operator is installed', () => {
  it('delete and uninstall say no operator is installed and give the patch, instead of asking whether it runs', async () => {
    // The describe before this one ended with kelos uninstall: no operator Deployment is left.
    await createNamespace('left-over');
    await heldTask('left-over', 'orphan-01');

    const del = await k('delete', 'task', 'orphan-01', '-n', 'left-over', '--timeout', '2s');
    expect(del.code).toBe(1);
    const patch = `kubectl patch task orphan-01 -n left-over --type=merge -p '{"metadata":{"finalizers":null}}'`;
    expect(del.stderr).toContain(
      `task "orphan-01" in left-over carries ${FINALIZER}, but no Kelos operator is installed (deployment/kelos-operator -n kelos-system does not exist), so nothing will release the finalizer: it stays until an operator is installed again or is removed by hand (${patch}), which skips the operator's clean-up of a Task (its Job deleted, its cost recorded in a TaskRecord); the wait lasts until --timeout.`,
    );
    expect(del.stderr).toContain(
      'to be deleted; no Kelos operator is installed, so nothing releases its kelos.dev finalizers (see above)',
    );
    expect(del.stderr).not.toContain('is it running?');
    expect(del.stderr).not.toContain('kubectl get deployment');

    const un = await k('uninstall', '--timeout', '1s');
    expect(un.code).toBe(1);
    expect(un.stderr).toBe(
      `kelos: 1 Kelos objects still have finalizers after 1s (task/orphan-01 -n left-over); no Kelos operator is installed (deployment/kelos-operator -n kelos-system does not exist), so nothing will release the finalizer: it stays until an operator is installed again or is removed by hand (${patch}), which skips the operator's clean-up of a Task (its Job deleted, its cost recorded in a TaskRecord); then run kelos uninstall again\n`,
    );
    await release('left-over', 'orphan-01');
  }, 60_000);

  it('kelos run creates the Task and warns that nothing will run it, exit 0', async () => {
    // As above: no operator Deployment is left, in kelos-system or labelled as the install's anywhere.
    await createNamespace('no-operator');
    const run = await k(
      'run',
      '-n',
      'no-operator',
      '-p',
      'x',
      '--credential-type',
      'none',
      '--name',
      'lonely',
    );
    expect(run).toStrictEqual({
      code: 0,
      stdout: 'task/lonely created\n',
      stderr:
        'warning: no Kelos operator is installed on this cluster (deployment/kelos-operator -n kelos-system does not exist), so nothing will run task "lonely"; install one with kelos install\n',
    });
    expect((await admin.get(Resources.Task, 'no-operator', 'lonely'))?.metadata.name).toBe('lonely');
    // A dry run creates nothing, and so says nothing of the operator.
    const dry = await k('run', '-n', 'no-operator', '-p', 'x', '--credential-type', 'none', '--dry-run');
    expect([dry.code, dry.stderr]).toStrictEqual([0, '']);
  }, 60_000);

  it('kelos run names the Workspace, AgentConfig and credentials Secret the cluster does not hold, with what to create', async () => {
    const run = await k(
      'run',
      '-n',
      'no-operator',
      '-p',
      'x',
      '--name',
      'wanting',
      '--workspace',
      'nosuchws',
      '--agent-config',
      'nosuchac',
      '--secret',
      'nosuchsecret',
    );
    expect(run.code).toBe(0);
    expect(run.stderr.split('\n').slice(1)).toStrictEqual([
      'warning: task "wanting" waits for Workspace "nosuchws", which does not exist in namespace "no-operator" (kelos create workspace nosuchws --repo <url>)',
      'warning: task "wanting" waits for AgentConfig "nosuchac", which does not exist in namespace "no-operator"',
      'warning: task "wanting" waits for its Secret: Secret no-operator/nosuchsecret (referenced by spec.worker.credentials.secretRef) does not exist; create it: kubectl create secret generic nosuchsecret -n no-operator --from-literal=ANTHROPIC_API_KEY=<value>',
      '',
    ]);
  }, 60_000);

  it('an operator installed in another namespace with no ready replica: kelos run says the Task waits, kelos version finds it there', async () => {
    await createNamespace('ops');
    const remove = await standInOperator(admin, 'ops', 2);
    try {
      const run = await k(
        'run',
        '-n',
        'no-operator',
        '-p',
        'x',
        '--credential-type',
        'none',
        '--name',
        'waiting',
      );
      expect(run).toStrictEqual({
        code: 0,
        stdout: 'task/waiting created\n',
        stderr:
          'warning: the Kelos operator (deployment/kelos-operator -n ops) has no ready replica (0/2), so task "waiting" waits until one is ready (kubectl rollout status deployment/kelos-operator -n ops), unless an operator runs elsewhere (kelos operator)\n',
      });
      const version = await k('version');
      expect(version.stdout).toContain('Operator Version: ');
      expect(version.stdout).toContain(' in ops, 0/2 ready)\n');
    } finally {
      await remove();
    }
  }, 60_000);
});
