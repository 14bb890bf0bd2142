import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KINDS } from '../../src/api/index.ts';
import { generateCrds } from '../../src/crd/generate.ts';
import { installArgoCdCrds } from './argocd-crds.ts';
import { freshNamespace, kubectl } from './helpers.ts';
import { installCrds } from './install-crds.ts';

const DIST = join(import.meta.dirname, '../../dist');

/** Argo CD's test layout of our health checks: Lua and test data, not objects to apply. */
const HEALTH_LAYOUT = join(DIST, 'argocd/resource_customizations');

/** Every YAML file under a directory, recursively, sorted (not the health-check test layout). */
async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name) && e.name !== 'kustomization.yaml')
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => !f.startsWith(`${HEALTH_LAYOUT}/`))
    .sort();
}

describe('CRDs on a real API server', () => {
  // dist/argocd holds Argo CD Applications: their CRDs come from Argo CD's module.
  beforeAll(async () => {
    await installCrds();
    await installArgoCdCrds();
  }, 600_000);

  it('dist/crds applies cleanly and every CRD becomes Established', async () => {
    await kubectl([
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=kelos-dist',
      '-k',
      join(DIST, 'crds'),
    ]);
    const { stdout } = await kubectl(['get', 'crd', '-l', 'app.kubernetes.io/part-of=kelos', '-o', 'json']);
    const items = JSON.parse(stdout).items as Array<{
      metadata: { name: string };
      status: { conditions: Array<{ type: string; status: string }> };
    }>;
    expect(items.map((i) => i.metadata.name).sort()).toStrictEqual(
      generateCrds()
        .map((c) => c.metadata.name)
        .sort(),
    );
    for (const item of items) {
      expect(item.status.conditions.find((c) => c.type === 'Established')?.status, item.metadata.name).toBe(
        'True',
      );
      expect(item.status.conditions.find((c) => c.type === 'NonStructuralSchema')).toBeUndefined();
    }
  });

  it('kubectl explain shows our field descriptions', async () => {
    const { stdout } = await kubectl(['explain', 'task.spec.worker.model']);
    expect(stdout).toContain('model is passed to the agent as KELOS_MODEL');
    const spawner = await kubectl(['explain', 'taskspawner.spec.maxConcurrency']);
    expect(spawner.stdout).toContain('maxConcurrency caps the spawned Tasks that are not finished');
    const budget = await kubectl(['explain', 'tb.spec.period.timezone']);
    expect(budget.stdout).toContain('timezone is the IANA time zone');
  });

  it("kubectl explain of a webhook's secretRef says a delivery sent again within the window is a duplicate, not refused", async () => {
    const { stdout } = await kubectl(['explain', 'taskspawner.spec.when.webhook.secretRef']);
    // kubectl wraps the description at its own width.
    const text = stdout.replace(/\s+/g, ' ');
    expect(text).toContain(
      'Unsigned or stale deliveries are refused with 401; one sent again within the window (the same body, timestamp and signature: a retry after a lost answer, or a captured request replayed) is answered 200 as a duplicate and creates no second Task',
    );
    expect(text).not.toContain('replayed deliveries are refused');
  });

  it('short names, the kelos category and printer columns work through the server', async () => {
    const namespace = await freshNamespace('crd');
    await kubectl(['apply', '-n', namespace, '-f', '-'], {
      input: `apiVersion: kelos.dev/v1alpha2
kind: Task
metadata:
  name: hello
spec:
  prompt: say hello
  worker:
    type: claude-code
    credentials: {type: none}
    workspaceRef: {name: repo}
  branch: feature/x
---
apiVersion: kelos.dev/v1alpha2
kind: TaskBudget
metadata:
  name: daily
spec:
  taskSelector: {}
  period: {type: Daily}
  maxCostUSD: "12.5"
`,
    });
    const byShortName = await kubectl(['get', 'tk', '-n', namespace, '-o', 'name']);
    expect(byShortName.stdout.trim()).toBe('task.kelos.dev/hello');

    const category = await kubectl(['get', 'kelos', '-n', namespace, '-o', 'name']);
    expect(category.stdout.trim().split('\n').sort()).toStrictEqual([
      'task.kelos.dev/hello',
      'taskbudget.kelos.dev/daily',
    ]);

    const wide = await kubectl(['get', 'tasks', '-n', namespace, '-o', 'wide']);
    const [header, row] = wide.stdout.trim().split('\n');
    expect(header?.split(/\s{2,}/)).toStrictEqual([
      'NAME',
      'TYPE',
      'PHASE',
      'BRANCH',
      'WORKSPACE',
      'DEPENDS ON',
      'COST',
      'AGE',
    ]);
    // kubectl leaves a column blank when its field is unset (no phase yet, no cost).
    expect(row).toMatch(/^hello\s+claude-code\s+feature\/x\s+repo\s+\d+s$/);

    const budgets = await kubectl(['get', 'tb', '-n', namespace]);
    expect(budgets.stdout).toMatch(/^daily\s+Daily\s+12\.5\s+\d+s$/m);
  });

  it('every kind is listed by its plural and by every short name', async () => {
    for (const kind of KINDS) {
      for (const name of [kind.plural, ...kind.shortNames]) {
        await expect(kubectl(['get', name, '-A', '-o', 'name'])).resolves.toBeDefined();
      }
    }
  });

  it('every kustomization in dist/ builds', async () => {
    // dist/preview is for review only and on purpose outside every kustomization.
    const dirs = [...new Set((await yamlFiles(DIST)).map((f) => dirname(f)))].filter(
      (d) => !d.split('/').includes('preview'),
    );
    for (const dir of dirs) {
      const { stdout } = await kubectl(['kustomize', dir]);
      expect(stdout.length, dir).toBeGreaterThan(0);
    }
  });

  it('every manifest in dist/ passes server-side dry-run', async () => {
    const namespace = await freshNamespace('dryrun');
    const files = (await yamlFiles(DIST)).filter((f) => !f.includes('/crds/'));
    expect(files.length).toBeGreaterThan(0);
    // The install and the Argo CD objects are among them.
    for (const dir of ['install', 'argocd']) {
      expect(files.filter((f) => f.startsWith(join(DIST, dir, '/'))).length, dir).toBeGreaterThanOrEqual(5);
    }
    const failures: string[] = [];
    for (const file of files) {
      // Examples name their own namespaces; each object moves into the fresh one, so the
      // dry-run judges the object and not whether its namespace exists yet.
      const items = parseAllDocuments(await readFile(file, 'utf8')).map((d) => {
        const object = d.toJS() as { metadata?: { namespace?: string } };
        if (object.metadata?.namespace) object.metadata.namespace = namespace;
        return object;
      });
      const input = JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
      const result = await kubectl(
        // --force-conflicts: other tests of the run apply the install for real, under their own
        // field manager; a dry run checks that the server accepts the object, not who owns it.
        ['apply', '--dry-run=server', '--server-side', '--force-conflicts', '-n', namespace, '-f', '-'],
        {
          input,
        },
      ).catch((err: Error) => err);
      if (result instanceof Error) failures.push(`${file}: ${result.message}`);
    }
    expect(failures).toStrictEqual([]);
  }, 240_000);
});
