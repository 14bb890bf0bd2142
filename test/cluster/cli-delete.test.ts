/**
 * `kelos delete`, `kelos suspend` and `kelos resume` against the real API server, including
 * their error cases: not found, usage mistakes, and a user the API server's RBAC refuses.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { FINALIZER, Labels, type TaskSpawner, type Workspace } from '../../src/api/index.ts';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { interposingProxy, kelos, startKelos, tokenKubeconfig } from './cli-helpers.ts';
import { freshNamespace, kubeconfigPath, kubectl, waitFor } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { create, task, testClient } from './operator-helpers.ts';

/** The run's admin kubeconfig, as a flag. */
const kc = (): string[] => ['--kubeconfig', kubeconfigPath()];
let c: HttpKubeClient;
let ns: string;
let other: string;

const workspace = (name: string): Workspace => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'Workspace',
  metadata: { name },
  spec: { repo: `https://github.com/acme/${name}.git` },
});

const spawner = (name: string): TaskSpawner =>
  ({
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'TaskSpawner',
    metadata: { name },
    spec: {
      when: { cron: { schedule: '0 9 * * 1' } },
      taskTemplate: { worker: { type: 'claude-code', credentials: { type: 'none' } } },
    },
  }) as TaskSpawner;

const names = async (namespace: string, kind: 'Workspace' | 'TaskSpawner'): Promise<string[]> =>
  (await c.list(Resources[kind], { namespace })).items.map((o) => o.metadata.name ?? '').sort();

beforeAll(async () => {
  await installCrds();
  c = await testClient();
  ns = await freshNamespace('cli-delete');
  other = await freshNamespace('cli-delete-other');
});

describe('kelos delete', () => {
  test('deletes one object by any name of its kind and says so as kubectl does', async () => {
    await create(c, ns, 'Workspace', workspace('one'));
    await create(c, ns, 'Workspace', workspace('two'));
    const res = await kelos(['delete', 'ws', 'one', '-n', ns, ...kc()]);
    expect(res).toEqual({ code: 0, stdout: 'workspace.kelos.dev "one" deleted\n', stderr: '' });
    expect(await names(ns, 'Workspace')).toEqual(['two']);
  });

  test('--all deletes every object of the kind in the namespace, and only there', async () => {
    await create(c, ns, 'Workspace', workspace('three'));
    await create(c, other, 'Workspace', workspace('elsewhere'));
    const res = await kelos(['delete', 'workspaces', '--all', '-n', ns, ...kc()]);
    expect(res.code).toBe(0);
    expect(res.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'workspace.kelos.dev "three" deleted',
      'workspace.kelos.dev "two" deleted',
    ]);
    expect(await names(ns, 'Workspace')).toEqual([]);
    expect(await names(other, 'Workspace')).toEqual(['elsewhere']);
    const again = await kelos(['delete', 'workspaces', '--all', '-n', ns, ...kc()]);
    expect(again).toEqual({ code: 0, stdout: '', stderr: `no workspaces found in namespace "${ns}"\n` });
  });

  test('several names: each deleted and reported; a missing one is an error naming it, the others still deleted, exit 1', async () => {
    for (const name of ['multi-a', 'multi-b', 'multi-c']) await create(c, ns, 'Workspace', workspace(name));
    const res = await kelos([
      'delete',
      'workspaces',
      'multi-a',
      'multi-missing',
      'multi-b',
      '-n',
      ns,
      ...kc(),
    ]);
    expect(res).toEqual({
      code: 1,
      stdout: 'workspace.kelos.dev "multi-a" deleted\nworkspace.kelos.dev "multi-b" deleted\n',
      stderr: `kelos: workspace "multi-missing" not found in namespace "${ns}"; list what exists with: kelos get workspaces -n ${ns}\n`,
    });
    expect((await names(ns, 'Workspace')).filter((n) => n.startsWith('multi-'))).toEqual(['multi-c']);
    const all = await kelos(['delete', 'ws', 'multi-c', '--wait=false', '-n', ns, ...kc()]);
    expect(all).toEqual({ code: 0, stdout: 'workspace.kelos.dev "multi-c" deleted\n', stderr: '' });
  });

  describe('waits, as kubectl, until finalizers are released and the object is gone', () => {
    const HOLD = 'test.kelos.dev/hold';
    const held = async (name: string) => {
      await create(c, ns, 'Workspace', { ...workspace(name), metadata: { name, finalizers: [HOLD] } });
    };
    const release = (name: string) =>
      c.mergePatch(Resources.Workspace, ns, name, { metadata: { finalizers: null } });

    test('by default: the CLI returns only after the test removed the finalizer, and the object is gone', async () => {
      await held('held');
      const run = startKelos(['delete', 'ws', 'held', '-n', ns, ...kc()]);
      let exited = false;
      void run.done.then(() => {
        exited = true;
      });
      await waitFor('the CLI to wait for the finalizer', async () =>
        run.stderr().includes(`waiting for workspace "held" (finalizers: ${HOLD}) to be deleted`),
      );
      // A delay with the finalizer still on: the CLI must still be waiting after it.
      await new Promise((r) => setTimeout(r, 1500));
      expect(exited).toBe(false);
      expect((await c.get(Resources.Workspace, ns, 'held'))?.metadata.deletionTimestamp).toBeDefined();
      await release('held');
      const res = await run.done;
      expect(res.code).toBe(0);
      expect(res.stdout).toBe('workspace.kelos.dev "held" deleted\n');
      expect(await c.get(Resources.Workspace, ns, 'held')).toBeUndefined();
    });

    test.each([['--wait=false'], ['--no-wait']])(
      '%s returns at once, the object still there, being deleted',
      async (flag) => {
        await held('nowait');
        const res = await kelos(['delete', 'ws', 'nowait', flag, '-n', ns, ...kc()]);
        expect(res).toEqual({ code: 0, stdout: 'workspace.kelos.dev "nowait" deleted\n', stderr: '' });
        expect((await c.get(Resources.Workspace, ns, 'nowait'))?.metadata.deletionTimestamp).toBeDefined();
        await release('nowait');
        await waitFor('the object to be gone', async () => !(await c.get(Resources.Workspace, ns, 'nowait')));
      },
    );

    test('--all counts and waits for an object already being deleted, instead of saying none is found', async () => {
      await held('going');
      expect((await kelos(['delete', 'ws', 'going', '--wait=false', '-n', ns, ...kc()])).code).toBe(0);
      const res = await kelos(['delete', 'workspaces', '--all', '--timeout', '1s', '-n', ns, ...kc()]);
      expect(res).toMatchObject({ code: 1, stdout: 'workspace.kelos.dev "going" deleted\n' });
      expect(res.stderr).toContain(
        `timed out after 1s waiting for workspace "going" (finalizers: ${HOLD}) to be deleted`,
      );
      await release('going');
      await waitFor('the object to be gone', async () => !(await c.get(Resources.Workspace, ns, 'going')));
    });

    test('after a while on a Kelos finalizer, says once that only the operator releases it, and how to stop waiting; never strips it', async () => {
      // No operator runs in this control plane: kelos.dev/finalizer stays until the test removes it.
      await create(c, ns, 'Workspace', {
        ...workspace('orphan'),
        metadata: { name: 'orphan', finalizers: [FINALIZER] },
      });
      await held('theirs');
      // A user who may not read Deployments: whether an operator is installed cannot be told
      // (whether another test of the run installed one would not matter either).
      await kubectl(['create', 'serviceaccount', 'deleter', '-n', ns]);
      await kubectl([
        'create',
        'role',
        'ws-deleter',
        '--verb=get,list,delete',
        '--resource=workspaces.kelos.dev',
        '-n',
        ns,
      ]);
      await kubectl([
        'create',
        'rolebinding',
        'ws-deleter',
        '--role=ws-deleter',
        `--serviceaccount=${ns}:deleter`,
        '-n',
        ns,
      ]);
      const { stdout: token } = await kubectl(['create', 'token', 'deleter', '-n', ns, '--duration=1h']);
      const deleter = await tokenKubeconfig(kubeconfigPath(), token.trim(), ns);
      await waitFor(
        'the Role to take effect',
        async () => (await kelos(['get', 'workspaces', '--kubeconfig', deleter])).code === 0,
      );
      const res = await kelos(['delete', 'workspaces', '--all', '--timeout', '13s', '--kubeconfig', deleter]);
      expect(res.code).toBe(1);
      const hints = res.stderr.split('\n').filter((l) => l.includes('only the Kelos operator removes it'));
      expect(hints).toEqual([
        `workspace "orphan" still carries ${FINALIZER} after 10s: only the Kelos operator removes it, so while no operator runs the wait lasts until --timeout. ` +
          'See whether it runs: kubectl get deployment kelos-operator -n kelos-system (or the namespace it was installed in; kelos version -n <namespace> names its version). ' +
          'To stop waiting, press Ctrl-C or pass --wait=false: the deletion stays requested, and completes when the operator runs.',
      ]);
      // Said after the wait began and before it timed out.
      expect(res.stderr.indexOf(hints[0]!)).toBeGreaterThan(res.stderr.indexOf('waiting for'));
      expect(res.stderr.indexOf(hints[0]!)).toBeLessThan(res.stderr.indexOf('timed out after 13s'));
      expect((await c.get(Resources.Workspace, ns, 'orphan'))?.metadata.finalizers).toEqual([FINALIZER]);
      await release('orphan');
      await release('theirs');
    }, 40_000);

    test('--timeout: exit 1 naming what is left and its finalizer', async () => {
      await held('stuck');
      const res = await kelos(['delete', 'workspaces', '--all', '--timeout', '1s', '-n', ns, ...kc()]);
      expect(res.code).toBe(1);
      expect(res.stdout).toContain('workspace.kelos.dev "stuck" deleted\n');
      expect(res.stderr).toContain(
        `timed out after 1s waiting for workspace "stuck" (finalizers: ${HOLD}) to be deleted`,
      );
      await release('stuck');
    });
  });

  test('a namesake created again between the read and the delete: read again and deleted, as kubectl does', async () => {
    await create(c, ns, 'Workspace', workspace('reborn'));
    let recreated = 0;
    const proxy = await interposingProxy(kubeconfigPath(), async ({ method, url }) => {
      if (method !== 'DELETE' || recreated > 0) return;
      if (!url.startsWith(`/apis/kelos.dev/v1alpha2/namespaces/${ns}/workspaces/reborn`)) return;
      recreated++;
      await c.delete(Resources.Workspace, ns, 'reborn');
      await create(c, ns, 'Workspace', workspace('reborn'));
    });
    try {
      const res = await kelos(['delete', 'ws', 'reborn', '-n', ns, '--kubeconfig', proxy.kubeconfig]);
      expect(res).toEqual({ code: 0, stdout: 'workspace.kelos.dev "reborn" deleted\n', stderr: '' });
      expect(recreated).toBe(1);
      expect(await c.get(Resources.Workspace, ns, 'reborn')).toBeUndefined();
    } finally {
      await proxy.close();
    }
  });

  test('a TaskSpawner: says how many Tasks go with it by owner reference, and how many of them run; the garbage collector takes them', async () => {
    const owner = await create(c, ns, 'TaskSpawner', spawner('minutely'));
    const ownerRef = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      name: 'minutely',
      uid: owner.metadata.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    };
    // The third is owned without the spawner's label (made by hand): the garbage collector takes it too.
    for (const name of ['minutely-1', 'minutely-2', 'minutely-3']) {
      const labels: Record<string, string> =
        name === 'minutely-3' ? {} : { [Labels.TaskSpawner]: 'minutely' };
      await create(c, ns, 'Task', {
        ...task(name, {}, labels),
        metadata: { name, labels, ownerReferences: [ownerRef] },
      });
    }
    await c.mergePatch(
      Resources.Task,
      ns,
      'minutely-2',
      { status: { phase: 'Running' } },
      { subresource: 'status' },
    );
    // Labelled but not owned (an older spawner's): nothing deletes it, so it is not counted.
    await create(c, ns, 'Task', task('minutely-legacy', {}, { [Labels.TaskSpawner]: 'minutely' }));
    await create(c, ns, 'TaskSpawner', spawner('idle'));

    const res = await kelos(['delete', 'taskspawner', 'minutely', '-n', ns, ...kc()]);
    expect(res).toEqual({
      code: 0,
      stdout: 'taskspawner.kelos.dev "minutely" deleted (and its 3 Tasks, 1 running, by owner reference)\n',
      stderr: '',
    });
    const taskNames = async () =>
      (await c.list(Resources.Task, { namespace: ns })).items.map((t) => t.metadata.name).sort();
    await waitFor('the garbage collector to delete the owned Tasks', async () =>
      (await taskNames()).every((n) => !/^minutely-\d$/.test(n ?? '')),
    );
    expect(await taskNames()).toContain('minutely-legacy');

    // None owned: the line kubectl prints, and nothing more.
    const all = await kelos(['delete', 'taskspawners', '--all', '-n', ns, ...kc()]);
    expect(all).toEqual({ code: 0, stdout: 'taskspawner.kelos.dev "idle" deleted\n', stderr: '' });
    await c.delete(Resources.Task, ns, 'minutely-legacy');
  });

  test('a name that does not exist: exit 1, naming it and where to look', async () => {
    const res = await kelos(['delete', 'task', 'nope', '-n', ns, ...kc()]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `kelos: task "nope" not found in namespace "${ns}"; list what exists with: kelos get tasks -n ${ns}\n`,
    );
  });

  test.each([
    [['ws', 'x', '--all'], '--all deletes every workspace; it cannot be combined with a name ("x")'],
    [['ws'], 'name the workspace to delete, or delete every one with --all (kelos delete workspaces --all)'],
    [['ws', 'x', '-A'], '-A/--all-namespaces applies only with --all'],
    [['widgets', 'x'], 'unknown kind "widgets"'],
  ])('usage mistake %j: exit 1 before anything is sent', async (args, message) => {
    await create(c, ns, 'Workspace', workspace('kept')).catch(() => {});
    // -A and -n exclude each other; the objects checked below are in `ns` either way.
    const where = args.includes('-A') ? [] : ['-n', ns];
    const res = await kelos(['delete', ...args, ...where, ...kc()]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(message);
    expect(await names(ns, 'Workspace')).toContain('kept');
  });

  test('a user RBAC does not let delete: exit 1 with what to ask for, and the object stays', async () => {
    await kubectl(['create', 'serviceaccount', 'reader', '-n', ns]);
    await kubectl([
      'create',
      'role',
      'read-ws',
      '-n',
      ns,
      '--verb=get,list',
      '--resource=workspaces.kelos.dev',
    ]);
    await kubectl([
      'create',
      'rolebinding',
      'read-ws',
      '-n',
      ns,
      '--role=read-ws',
      `--serviceaccount=${ns}:reader`,
    ]);
    const { stdout: token } = await kubectl(['create', 'token', 'reader', '-n', ns, '--duration=1h']);
    const path = await tokenKubeconfig(kubeconfigPath(), token.trim(), ns);
    const res = await kelos(['delete', 'workspace', 'kept', '--kubeconfig', path]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      `permission denied: system:serviceaccount:${ns}:reader may not delete workspaces.kelos.dev in namespace "${ns}"`,
    );
    expect(await names(ns, 'Workspace')).toContain('kept');
  });
});

describe('kelos suspend|resume taskspawner', () => {
  test('suspend sets spec.suspend; again is a no-op that says so; resume clears it, idempotently', async () => {
    await create(c, ns, 'TaskSpawner', spawner('nightly'));
    const suspendOnce = await kelos(['suspend', 'taskspawner', 'nightly', '-n', ns, ...kc()]);
    expect(suspendOnce).toEqual({ code: 0, stdout: 'taskspawner "nightly" suspended\n', stderr: '' });
    const after = await c.get<TaskSpawner>(Resources.TaskSpawner, ns, 'nightly');
    expect(after?.spec.suspend).toBe(true);

    const suspendTwice = await kelos(['suspend', 'ts', 'nightly', '-n', ns, ...kc()]);
    expect(suspendTwice).toEqual({
      code: 0,
      stdout: 'taskspawner "nightly" is already suspended\n',
      stderr: '',
    });
    // Nothing was written the second time.
    const still = await c.get<TaskSpawner>(Resources.TaskSpawner, ns, 'nightly');
    expect(still?.metadata.resourceVersion).toBe(after?.metadata.resourceVersion);

    const resumeOnce = await kelos(['resume', 'taskspawner', 'nightly', '-n', ns, ...kc()]);
    expect(resumeOnce).toEqual({ code: 0, stdout: 'taskspawner "nightly" resumed\n', stderr: '' });
    expect((await c.get<TaskSpawner>(Resources.TaskSpawner, ns, 'nightly'))?.spec.suspend).toBe(false);
    const resumeTwice = await kelos(['resume', 'taskspawners', 'nightly', '-n', ns, ...kc()]);
    expect(resumeTwice).toEqual({ code: 0, stdout: 'taskspawner "nightly" is not suspended\n', stderr: '' });
  });

  /**
   * The operator writes a spawner's status all the time. Here it does so between the CLI's read
   * and its write (`writesBefore` times, the proxy writing before it forwards each PATCH of the
   * spawner), as it does in a busy cluster.
   */
  async function racing(name: string, writesBefore: number) {
    let writes = 0;
    const proxy = await interposingProxy(kubeconfigPath(), async ({ method, url }) => {
      const spawnerPath = `/apis/kelos.dev/v1alpha2/namespaces/${ns}/taskspawners/${name}?`;
      if (method !== 'PATCH' || !url.startsWith(spawnerPath) || writes >= writesBefore) return;
      writes++;
      await c.mergePatch(
        Resources.TaskSpawner,
        ns,
        name,
        { status: { message: `status write ${writes}` } },
        { subresource: 'status' },
      );
    });
    return { proxy, writes: () => writes };
  }

  test('a status write between the read and the write: read again and applied, as kubectl does', async () => {
    await create(c, ns, 'TaskSpawner', spawner('busy'));
    const { proxy, writes } = await racing('busy', 2);
    try {
      const res = await kelos(['suspend', 'ts', 'busy', '-n', ns, '--kubeconfig', proxy.kubeconfig]);
      expect(res).toEqual({ code: 0, stdout: 'taskspawner "busy" suspended\n', stderr: '' });
      expect(writes()).toBe(2);
      const after = await c.get<TaskSpawner>(Resources.TaskSpawner, ns, 'busy');
      expect(after?.spec.suspend).toBe(true);
      // The other writer's change stays: the CLI changed spec.suspend and nothing else.
      expect(after?.status?.message).toBe('status write 2');
    } finally {
      await proxy.close();
    }
  });

  test('a writer that wins every attempt: exit 1, naming the spawner and what to do, nothing changed', async () => {
    await create(c, ns, 'TaskSpawner', spawner('contended'));
    const { proxy, writes } = await racing('contended', 100);
    try {
      const res = await kelos(['suspend', 'ts', 'contended', '-n', ns, '--kubeconfig', proxy.kubeconfig]);
      expect(res.code).toBe(1);
      expect(res.stdout).toBe('');
      expect(res.stderr).toBe(
        `kelos: taskspawner "contended" in namespace "${ns}" changed under each of 5 attempts to set spec.suspend to true (another writer, such as the operator updating its status, kept winning); nothing was changed. Run kelos suspend taskspawner contended -n ${ns} again; if it keeps failing, see which manager writes it: kubectl get taskspawner contended -n ${ns} -o yaml --show-managed-fields\n`,
      );
      expect(writes()).toBe(5);
      expect((await c.get<TaskSpawner>(Resources.TaskSpawner, ns, 'contended'))?.spec.suspend).not.toBe(true);
    } finally {
      await proxy.close();
    }
  });

  test('a spawner that does not exist: exit 1, naming it', async () => {
    const res = await kelos(['suspend', 'taskspawner', 'nope', '-n', ns, ...kc()]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`taskspawner "nope" not found in namespace "${ns}"`);
  });

  test('another kind: exit 1, saying only taskspawners can be suspended', async () => {
    const res = await kelos(['suspend', 'task', 'x', '-n', ns, ...kc()]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('only taskspawners can be suspended; got tasks');
    const resume = await kelos(['resume', 'ws', 'x', '-n', ns, ...kc()]);
    expect(resume).toMatchObject({
      code: 1,
      stderr: 'kelos: only taskspawners can be resumed; got workspaces (kelos resume taskspawner <name>)\n',
    });
  });
});
