import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Task, TaskBudget, TaskSpawner } from '../../src/api/index.ts';
import { VERSION_ANNOTATION, VERSION_LABEL } from '../../src/api/version.ts';
import type { ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { freshNamespace, kubeconfigPath, kubectl } from './helpers.ts';
import { waitForEstablished } from './install-crds.ts';
import { applyKustomization } from './install-identity.ts';
import {
  budget,
  create,
  outputsMessage,
  podFinished,
  podRunning,
  task,
  testClient,
  waitFor,
  waitForPhase,
} from './operator-helpers.ts';
import { kill9, spawnOperator } from './operator-process.ts';
import { spawner } from './spawner-helpers.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The previous release as `release/previous.json` names it: version and commit. */
const previous = JSON.parse(await readFile(join(ROOT, 'release/previous.json'), 'utf8')) as {
  version: string;
  commit: string;
};

/** This version, as package.json holds it (read as a file, not through the code under test). */
const current = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;
// 0.1.0 predates the version annotation and label (0.2.0 added them): its install carries none.
const previousLabelled = previous.version !== '0.1.0';

/** The CRDs a tree's `dist/crds` kustomization installs, by name. */
async function crdNames(tree: string): Promise<string[]> {
  return (await readFile(join(tree, 'dist/crds/kustomization.yaml'), 'utf8'))
    .split('\n')
    .flatMap((l) => /kelos\.dev_(\w+)\.yaml/.exec(l)?.[1] ?? [])
    .map((plural) => `${plural}.kelos.dev`);
}

/** The `kelos.dev/version` annotation of the named CRDs and the operator Deployment's version label. */
async function installedVersions(crds: readonly string[]): Promise<[string, string | undefined][]> {
  const items = JSON.parse((await kubectl(['get', 'crd', ...crds, '-o', 'json'])).stdout)
    .items as ApiObject[];
  const { stdout } = await kubectl([
    'get',
    'deployment',
    '-n',
    'kelos-system',
    'kelos-operator',
    '-o',
    'json',
  ]);
  return [
    ...items.map((crd): [string, string | undefined] => [
      `crd/${crd.metadata.name}`,
      crd.metadata.annotations?.[VERSION_ANNOTATION],
    ]),
    ['deployment/kelos-operator', (JSON.parse(stdout) as ApiObject).metadata.labels?.[VERSION_LABEL]],
  ];
}

/** `kelos version -o json` of this version's CLI against the test cluster. */
async function kelosVersion(): Promise<Record<string, unknown>> {
  const { stdout } = await run(
    process.execPath,
    [join(ROOT, 'src/cli/main.ts'), 'version', '-o', 'json', '--kubeconfig', kubeconfigPath()],
    { timeout: 60_000 },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** Unpacks the previous release's tree from git (real git) and lends it our node_modules. */
async function previousTree(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `kelos-${previous.version}-`));
  await run('sh', ['-c', `git -C "${ROOT}" archive "${previous.commit}" | tar -x -C "${dir}"`]).catch(
    (err: Error) => {
      throw new Error(
        `cannot read commit ${previous.commit} (release ${previous.version}) from git; a shallow clone lacks it: ${err.message}`,
      );
    },
  );
  // Its dependencies are a subset of ours at the same versions (package-lock.json only grew).
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** This version's CRDs and install bundle, applied from `dist/` as Argo CD syncs them. */
async function applyDist(): Promise<void> {
  await applyKustomization(join(ROOT, 'dist/crds'));
  await waitForEstablished(await crdNames(ROOT));
  await applyKustomization(join(ROOT, 'dist/install'));
}

/** This version's CRDs and install bundle, applied by this version's `kelos install`. */
async function kelosInstall(): Promise<void> {
  await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'install', '--kubeconfig', kubeconfigPath()], {
    timeout: 120_000,
  });
}

// Release N-1 installed from source (its CRDs, its install bundle, its operator), work in
// flight (a finished Task counted by a budget, a running one, a dependent waiting on it, a
// spawner at its concurrency cap), then the upgrade a rolling update does: the old operator
// stops, the new CRDs and bundle are applied over the old ones (from dist/, as Argo CD syncs
// them, or by `kelos install`), the new operator starts. Nothing may be lost, duplicated or
// counted twice, and every object must still validate.
describe.each([
  ['dist/ applied', applyDist],
  ['kelos install', kelosInstall],
])(`upgrade from release ${previous.version} mid-flight: %s`, (_how, upgrade) => {
  let c: HttpKubeClient;
  let ns: string;
  let old: string;
  let oldCrds: string[] = [];
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    old = await previousTree();
    // Earlier files of the run applied this version's CRDs and install under other field
    // managers, whose fields the old apply leaves alone; a cluster that only ever ran the
    // previous release has no version annotation or label but the ones that release wrote.
    const crds = (await kubectl(['get', 'crd', '-l', 'app.kubernetes.io/part-of=kelos', '-o', 'name']))
      .stdout;
    if (crds.trim()) await kubectl(['annotate', ...crds.trim().split('\n'), `${VERSION_ANNOTATION}-`]);
    const ops = (await kubectl(['get', 'deployment', '-n', 'kelos-system', '-o', 'name'])).stdout;
    if (ops.trim())
      await kubectl(['label', '-n', 'kelos-system', ...ops.trim().split('\n'), `${VERSION_LABEL}-`]);
    await applyKustomization(join(old, 'dist/crds'));
    oldCrds = await crdNames(old);
    await waitForEstablished(oldCrds);
    await applyKustomization(join(old, 'dist/install'));
    ns = await freshNamespace('upgrade');
    c = await testClient();
  }, 180_000);
  afterAll(async () => {
    for (const stop of stops) await stop();
    c?.close();
    if (old) await rm(old, { recursive: true, force: true });
  });

  it('keeps every Task, Job, spawner count and budget charge exactly once across the upgrade', async () => {
    const jobAdds: string[] = [];
    const jobDeletes: string[] = [];
    const list = await c.list(Resources.Job, { namespace: ns });
    const abort = new AbortController();
    const watching = c
      .watch(
        Resources.Job,
        { namespace: ns, resourceVersion: list.metadata.resourceVersion, signal: abort.signal },
        (e) => {
          if (e.type === 'ADDED') jobAdds.push(e.object.metadata.name ?? '');
          if (e.type === 'DELETED') jobDeletes.push(e.object.metadata.name ?? '');
        },
      )
      .catch(() => {});

    // A cron spawner that missed three ticks (its watermark says so) and may run two at once.
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner(
        'nightly',
        { cron: { schedule: '* * * * *' } },
        { maxConcurrency: 2 },
        {
          workspaceRef: undefined,
          worker: { type: 'claude-code', credentials: { type: 'none' } },
        },
      ),
    );
    const mark = rfc3339(Date.now() - 210_000);
    await c.mergePatch(
      Resources.TaskSpawner,
      ns,
      'nightly',
      { status: { lastDiscoveryTime: mark } },
      { subresource: 'status' },
    );
    const before = await spawnOperator(ns, [], join(old, 'src/cli/main.ts'));
    stops.push(() => kill9(before.child));

    await create(
      c,
      ns,
      'TaskBudget',
      budget('team-a', { taskSelector: { matchLabels: { team: 'a' } }, maxCostUSD: '100' }),
    );
    await create(c, ns, 'Task', task('done-1', {}, { team: 'a' }));
    await waitForPhase(c, ns, 'done-1', 'Pending');
    await podFinished(c, ns, 'done-1', { message: outputsMessage({ 'cost-usd': '0.5' }) });
    await waitForPhase(c, ns, 'done-1', 'Succeeded');
    await create(c, ns, 'Task', task('running-1', {}, { team: 'a' }));
    await waitForPhase(c, ns, 'running-1', 'Pending');
    await podRunning(c, ns, 'running-1');
    await waitForPhase(c, ns, 'running-1', 'Running');
    await create(c, ns, 'Task', task('after-running', { dependsOn: ['running-1'] }, { team: 'a' }));
    await waitForPhase(c, ns, 'after-running', 'Waiting');

    const spawned = async () =>
      (await c.list<Task>(Resources.Task, { namespace: ns, labelSelector: 'kelos.dev/taskspawner=nightly' }))
        .items;
    await waitFor('the old operator to catch up three ticks', async () => (await spawned()).length >= 3);
    await waitFor(
      'two of them admitted',
      async () => jobAdds.filter((n) => n.startsWith('nightly-')).length === 2,
    );
    await waitFor('the old operator to count its Tasks', async () => {
      const s = await c.get<TaskSpawner>(Resources.TaskSpawner, ns, 'nightly');
      return (s?.status?.totalTasksCreated ?? 0) >= 3;
    });

    // Before the upgrade the cluster runs the previous release: its version (or none, for a
    // release older than the annotation and label), which this CLI's `kelos version` flags.
    const was = previousLabelled ? previous.version : undefined;
    const installed = await installedVersions(oldCrds);
    expect(installed).toHaveLength(oldCrds.length + 1);
    expect(installed).toEqual(installed.map(([what]) => [what, was]));
    expect((await kelosVersion())['mismatch']).toMatch(/^version mismatch: client /);

    // The upgrade, as a rolling update does it: old operator out, new CRDs and bundle, new operator in.
    const exited = new Promise<number | null>((resolve) => before.child.once('exit', resolve));
    before.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await upgrade();
    // Every CRD (old and new kinds) and the operator now carry this version, and `kelos
    // version` finds the client, the operator and the CRDs agreeing on it.
    const newCrds = await crdNames(ROOT);
    const upgraded = await installedVersions(newCrds);
    expect(upgraded).toHaveLength(newCrds.length + 1);
    expect(upgraded).toEqual(upgraded.map(([what]) => [what, current]));
    const reported = await kelosVersion();
    expect([reported['clientVersion'], reported['crdVersion'], reported['mismatch']]).toEqual([
      current,
      current,
      undefined,
    ]);
    expect((reported['operator'] as { version?: string } | undefined)?.version).toBe(current);
    const after = await spawnOperator(ns);
    stops.push(() => kill9(after.child));

    // Work resumes where it was: the dependent starts once its dependency finishes.
    await podFinished(c, ns, 'running-1', { message: outputsMessage({ 'cost-usd': '0.25' }) });
    await waitForPhase(c, ns, 'running-1', 'Succeeded');
    await waitForPhase(c, ns, 'after-running', 'Pending');
    await podFinished(c, ns, 'after-running', { message: outputsMessage({ 'cost-usd': '0.125' }) });
    await waitForPhase(c, ns, 'after-running', 'Succeeded');

    // The spawner's cap holds across the versions: finish its Tasks one at a time.
    const finished = new Set<string>();
    for (let round = 0; round < 20; round++) {
      const open = (await spawned()).filter((t) => !['Succeeded', 'Failed'].includes(t.status?.phase ?? ''));
      const admitted = open.filter((t) => jobAdds.includes(t.metadata.name ?? ''));
      expect(admitted.length, `admitted unfinished spawner Tasks in round ${round}`).toBeLessThanOrEqual(2);
      const next = admitted.find((t) => !finished.has(t.metadata.name ?? ''));
      if (!next) {
        if (open.length === 0) break;
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      const name = next.metadata.name ?? '';
      await podFinished(c, ns, name);
      await waitForPhase(c, ns, name, 'Succeeded');
      finished.add(name);
    }

    // Exactly one Job per Task, never deleted and made again.
    const tasks = (await c.list<Task>(Resources.Task, { namespace: ns })).items;
    const taskNames = tasks.map((t) => t.metadata.name ?? '').sort();
    await waitFor('every Job event', async () => jobAdds.length >= taskNames.length);
    abort.abort();
    await watching;
    expect([...jobAdds].sort()).toEqual(taskNames);
    expect(jobDeletes).toEqual([]);

    // The spawner counted each tick once, across both versions.
    const s = await c.get<TaskSpawner>(Resources.TaskSpawner, ns, 'nightly');
    const cronTasks = await spawned();
    expect(s?.status?.totalTasksCreated).toBe(cronTasks.length);
    expect(cronTasks.length).toBeGreaterThanOrEqual(3);

    // Each finished budgeted Task charged once: 0.5 (old operator) + 0.25 + 0.125 (new one).
    type RecordObject = ApiObject & { spec: { taskRef: { name: string } } };
    await waitFor('a TaskRecord for every finished Task', async () => {
      return (await c.list(Resources.TaskRecord, { namespace: ns })).items.length >= taskNames.length;
    });
    const records = (await c.list<RecordObject>(Resources.TaskRecord, { namespace: ns })).items;
    expect(records.map((r) => r.spec.taskRef.name).sort()).toEqual(taskNames);
    await waitFor('the budget to count the three runs', async () => {
      const b = await c.get<TaskBudget>(Resources.TaskBudget, ns, 'team-a');
      return b?.status?.used?.costUSD === '0.875';
    });

    // Every stored object still validates against this version's schemas and rules.
    const { stdout } = await kubectl(['get', 'tasks,taskspawners,taskbudgets', '-n', ns, '-o', 'json']);
    const objects = (JSON.parse(stdout).items as ApiObject[]).map((o) => {
      const { managedFields: _m, ...metadata } = o.metadata as ApiObject['metadata'] & {
        managedFields?: unknown;
      };
      return { ...o, metadata };
    });
    const file = join(old, 'stored.yaml');
    await writeFile(file, objects.map((o) => stringify(o)).join('---\n'));
    // Rejects (exit 2) with the findings when any object no longer validates.
    const validate = await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'validate', file]);
    expect(validate.stdout).toContain(`${objects.length} objects, 0 errors`);
  }, 300_000);
});
