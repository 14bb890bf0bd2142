/**
 * Each app is deployed as its own bundle (one Argo CD Application per directory), beside the
 * others: two apps rendering one object with different content would have their Applications
 * fight over it, which `kelos validate dist/` reports and synth reports too, before it writes;
 * and a TaskBudget one app deploys covers the spawners another deploys into its namespace.
 */
import { describe, expect, test } from 'vitest';
import { synthPolicyStep } from '../../../src/cli/commands/synth.ts';
import { synthesize } from '../../../src/compiler/synth.ts';
import { appSource, CDK8S, kelos, projectsDisposedAfterEach } from './project.ts';

const make = projectsDisposedAfterEach();

const workspace = (ref?: string) =>
  appSource(
    `  new K.Workspace(scope, 'ws', { metadata: { name: 'my-repo' }, repo: 'https://github.com/a/b.git'${ref ? `, ref: '${ref}'` : ''} });`,
  );

describe('objects two apps render', { timeout: 60_000 }, () => {
  test('with different content: a bundle/conflict error at the app line, naming the other app line, nothing written', async () => {
    const p = make({ api: workspace('main'), nightly: workspace() });
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(
      /apps\/nightly\/main\.ts:3:3: error Workspace my-repo \/spec\/ref: also rendered by dist\/apps\/api \(apps\/api\/main\.ts:3:3\) with different content; the two Applications syncing dist\/apps\/nightly and dist\/apps\/api would fight over it \[bundle\/conflict\]/,
    );
    expect(p.files('dist')).toStrictEqual([]);
  });

  test('an object no Kelos construct made: the rendered file is named at the differing field, line and column', async () => {
    const configMap = (value: string) =>
      `import { ApiObject } from '${CDK8S}';\nexport default function build(scope) {\n  new ApiObject(scope, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: '${value}' } });\n}\n`;
    const p = make({ api: configMap('1'), nightly: configMap('2') });
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(
      'apps/nightly/main.ts:3:102: error ConfigMap x /data/a: also rendered by dist/apps/api (apps/api/main.ts:3:3) with different content; the two Applications syncing dist/apps/nightly and dist/apps/api would fight over it [bundle/conflict]\n    would be rendered at dist/apps/nightly/configmap-x.yaml:7:3\n',
    );
  });

  test('with the same content: no finding', async () => {
    const p = make({ api: workspace('main'), nightly: workspace('main') });
    const run = await kelos(['synth'], p.root);
    expect(run.stdout).not.toContain('bundle/conflict');
    expect(run.code).toBe(0);
  });
});

const SPAWNER = appSource(
  "  new K.TaskSpawner(scope, 's', { metadata: { name: 's' }, maxConcurrency: 1, maxTotalTasks: 10, when: { cron: { schedule: '0 9 * * *' } }, taskTemplate: { worker: { type: 'codex', credentials: { type: 'api-key', secretRef: { name: 'key' } }, podOverrides: { activeDeadlineSeconds: 3600 } }, promptTemplate: 'x' } });",
);
const BUDGET = appSource(
  "  new K.TaskBudget(scope, 'b', { metadata: { name: 'b' }, taskSelector: { matchLabels: { 'kelos.dev/taskspawner': 's' } }, period: { type: 'Daily' }, maxCostUSD: '100' });",
);

describe('a TaskBudget of another app', { timeout: 60_000 }, () => {
  test('covers the spawners it selects in its namespace; without it the spawner is uncovered', async () => {
    const covered = (root: string) =>
      synthesize({ root, policyStep: synthPolicyStep(root) }).then((r) =>
        r.diagnostics.filter((d) => d.code === 'budget/namespace-covered').map((d) => d.message),
      );
    const p = make({ work: SPAWNER, budgets: BUDGET });
    expect(await covered(p.root)).toStrictEqual([]);
    p.remove('apps/budgets');
    expect(await covered(p.root)).toStrictEqual([
      expect.stringMatching(/^no TaskBudget in namespace default covers this spawner's Tasks/),
    ]);
  });
});
