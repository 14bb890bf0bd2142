/**
 * The Argo CD health checks in dist/argocd, run by the Lua Argo CD embeds (gopher-lua
 * v1.1.2, built from the Go module proxy) the way Argo CD runs them, over Argo CD's own
 * test layout exactly as `util/lua/health_test.go` walks it. In the cluster tier because it
 * builds from the Go module proxy, like the control plane; it needs no API server.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { healthTestLayout } from '../../constructs/argocd/index.ts';
import { ConditionTypes, TaskPhase } from '../../src/api/index.ts';
import { buildLuaRunner, luaRunnerDeps, runHealth } from '../support/lua-runner.ts';

const ARGOCD = join(import.meta.dirname, '../../dist/argocd');
const LAYOUT = join(ARGOCD, 'resource_customizations');

interface TestCase {
  healthStatus: { status: string; message: string };
  inputPath: string;
}

interface CheckDir {
  key: string;
  script: string;
  cases: (TestCase & { object: Record<string, unknown> })[];
}

/** Every `<group>/<kind>` directory of the layout with its script and cases, from disk. */
async function readLayout(): Promise<CheckDir[]> {
  const out: CheckDir[] = [];
  for (const group of (await readdir(LAYOUT)).sort()) {
    for (const kind of (await readdir(join(LAYOUT, group))).sort()) {
      const dir = join(LAYOUT, group, kind);
      const tests = parse(await readFile(join(dir, 'health_test.yaml'), 'utf8')) as { tests: TestCase[] };
      out.push({
        key: `${group}/${kind}`,
        script: await readFile(join(dir, 'health.lua'), 'utf8'),
        cases: await Promise.all(
          tests.tests.map(async (t) => ({
            ...t,
            object: parse(await readFile(join(dir, t.inputPath), 'utf8')) as Record<string, unknown>,
          })),
        ),
      });
    }
  }
  return out;
}

let layout: CheckDir[] = [];

beforeAll(async () => {
  await buildLuaRunner();
  layout = await readLayout();
}, 600_000);

const statusOf = (c: CheckDir['cases'][number]) =>
  (c.object['status'] as Record<string, unknown> | undefined) ?? {};

describe('Argo CD health checks under gopher-lua', () => {
  it('runs the Lua Argo CD embeds: gopher-lua v1.1.2', async () => {
    expect(await luaRunnerDeps()).toContain('github.com/yuin/gopher-lua v1.1.2');
  });

  it('the layout on disk is what the constructs generate', async () => {
    const generated = healthTestLayout();
    for (const f of generated) expect(await readFile(join(LAYOUT, f.path), 'utf8'), f.path).toBe(f.content);
  });

  for (const openLibs of [false, true]) {
    it(`gives the expected status and message for every case (${openLibs ? 'with' : 'without'} the standard libraries)`, async () => {
      expect(layout.map((d) => d.key)).toEqual([
        'argoproj.io/Application',
        'kelos.dev/Task',
        'kelos.dev/TaskBudget',
        'kelos.dev/TaskSpawner',
      ]);
      for (const dir of layout) {
        const results = await runHealth(
          dir.script,
          dir.cases.map((c) => c.object),
          openLibs,
        );
        expect(
          results.map((r, i) => ({ input: dir.cases[i]?.inputPath, ...r })),
          dir.key,
        ).toEqual(dir.cases.map((c) => ({ input: c.inputPath, ...c.healthStatus })));
      }
    });
  }

  it('covers at least 20 cases, every Task phase and gate, and every spawner phase and condition', () => {
    const all = layout.flatMap((d) => d.cases);
    expect(all.length).toBeGreaterThanOrEqual(20);
    const task = layout.find((d) => d.key === 'kelos.dev/Task')?.cases ?? [];
    const taskPhases = new Set(task.map((c) => statusOf(c)['phase']));
    for (const phase of Object.values(TaskPhase)) expect(taskPhases, phase).toContain(phase);
    expect(taskPhases).toContain(undefined); // not yet admitted
    const gates = [
      ConditionTypes.BudgetBlocked,
      ConditionTypes.BranchLocked,
      ConditionTypes.DependenciesReady,
      ConditionTypes.ReferencesResolved,
    ];
    const waitingMessages = task
      .filter((c) => c.healthStatus.status === 'Suspended')
      .map((c) => c.healthStatus.message);
    for (const gate of gates)
      expect(
        waitingMessages.some((m) => m.startsWith(`${gate}: `)),
        gate,
      ).toBe(true);

    const spawner = layout.find((d) => d.key === 'kelos.dev/TaskSpawner')?.cases ?? [];
    const spawnerPhases = new Set(spawner.map((c) => statusOf(c)['phase']));
    for (const phase of ['Pending', 'Running', 'Failed', 'Suspended'])
      expect(spawnerPhases, phase).toContain(phase);
    const spawnerConditions = new Set(
      spawner.flatMap((c) =>
        ((statusOf(c)['conditions'] as { type: string }[] | undefined) ?? []).map((x) => x.type),
      ),
    );
    for (const t of [
      ConditionTypes.Suspended,
      'DiscoveryError',
      ConditionTypes.MaxTotalTasksReached,
      ConditionTypes.TaskBudgetExhausted,
    ])
      expect(spawnerConditions, t).toContain(t);

    const budget = layout.find((d) => d.key === 'kelos.dev/TaskBudget')?.cases ?? [];
    expect(budget.map((c) => c.healthStatus.status)).toContain('Degraded');

    const statuses = new Set(all.map((c) => c.healthStatus.status));
    for (const s of ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Unknown'])
      expect(statuses, s).toContain(s);
  });

  it('argocd-cm holds the same scripts under resource.customizations.health.<group>_<kind>', async () => {
    const cm = parse(await readFile(join(ARGOCD, 'configmap-argocd-cm.yaml'), 'utf8')) as {
      data: Record<string, string>;
    };
    const expected = Object.fromEntries(
      layout.map((d) => [`resource.customizations.health.${d.key.replace('/', '_')}`, d.script]),
    );
    expect(cm.data).toEqual(expected);
  });

  it('turns a status Argo CD does not know into Unknown, as Argo CD does', async () => {
    const [r] = await runHealth('local hs = {} hs.status = "Fine" return hs', [{}]);
    expect(r).toEqual({ status: 'Unknown', message: 'Lua returned an invalid health status' });
  });

  it('has no string library without openLibs, as in Argo CD (so our scripts must not need it)', async () => {
    const [r] = await runHealth('return { status = string.upper("healthy") }', [{}]);
    expect(r?.error).toMatch(/string/);
  });
});
