/**
 * Issue 18: the app runner hands over an app's kinds as soon as its tree is built and its
 * objects in batches as they render, so synth works on its other core meanwhile; objects of an
 * app that then fails are dropped, as before.
 */
import { describe, expect, test } from 'vitest';
import type { AppObject, ObjectKind } from '../../../src/compiler/app-run.ts';
import { runModuleApps } from '../../../src/compiler/run-apps.ts';
import { runModuleApp } from '../../../src/compiler/runner.ts';
import { synthesize } from '../../../src/compiler/synth.ts';
import { appSource, CDK8S, projectsDisposedAfterEach, taskSource } from './project.ts';

const make = projectsDisposedAfterEach();

/** An app of `n` ConfigMaps and one Task (which the validator compiles a schema for). */
const manyObjects = (n: number): string =>
  `import { ApiObject } from '${CDK8S}';\n${appSource(
    [
      taskSource('t'),
      `  for (let i = 0; i < ${n}; i++) new ApiObject(scope, 'cm' + i, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-' + i } });`,
    ].join('\n'),
  )}`;

const nameOf = (o: AppObject): string => (o.object['metadata'] as { name: string }).name;

describe('the runner hands over kinds, then objects in batches', { timeout: 60_000 }, () => {
  test('in-process: kinds first, then batches of 500 in render order, and the run lists none', async () => {
    const p = make({ many: manyObjects(1200) });
    const events: Array<{ kinds: ObjectKind[] } | { batch: string[] }> = [];
    const run = await runModuleApp(
      p.root,
      { name: 'many', file: 'apps/many/main.ts' },
      {
        onKinds: (kinds) => events.push({ kinds }),
        onObjects: (objects) => events.push({ batch: objects.map(nameOf) }),
      },
    );
    expect(run.failures).toStrictEqual([]);
    expect(run.objects).toStrictEqual([]);
    expect(events[0]).toStrictEqual({
      kinds: [
        { apiVersion: 'kelos.dev/v1alpha2', kind: 'Task' },
        { apiVersion: 'v1', kind: 'ConfigMap' },
      ],
    });
    const batches = events.slice(1).map((e) => ('batch' in e ? e.batch : []));
    expect(batches.map((b) => b.length)).toStrictEqual([500, 500, 201]);
    expect(batches.flat()).toStrictEqual(['t', ...Array.from({ length: 1200 }, (_, i) => `cm-${i}`)]);
  });

  test('without hooks the run lists its objects, as before', async () => {
    const p = make({ many: manyObjects(3) });
    const run = await runModuleApp(p.root, { name: 'many', file: 'apps/many/main.ts' });
    expect(run.objects.map(nameOf)).toStrictEqual(['t', 'cm-0', 'cm-1', 'cm-2']);
  });

  test('forked: the parent is told the kinds and each batch before the run, which then has every object', async () => {
    const p = make({ many: manyObjects(700) });
    const told: string[] = [];
    const [run] = await runModuleApps(p.root, [{ name: 'many', file: 'apps/many/main.ts' }], {
      onKinds: (kinds) => told.push(`kinds ${kinds.map((k) => k.kind).join(',')}`),
      onObjects: (objects) => told.push(`objects ${objects.length}`),
    });
    expect(told).toStrictEqual(['kinds Task,ConfigMap', 'objects 500', 'objects 201']);
    expect(run?.objects.map(nameOf)).toStrictEqual([
      't',
      ...Array.from({ length: 700 }, (_, i) => `cm-${i}`),
    ]);
  });

  test('a hook that throws does not stop the run', async () => {
    const p = make({ many: manyObjects(2) });
    const [run] = await runModuleApps(p.root, [{ name: 'many', file: 'apps/many/main.ts' }], {
      onKinds: () => {
        throw new Error('hook');
      },
      onObjects: () => {
        throw new Error('hook');
      },
    });
    expect(run?.objects.map(nameOf)).toStrictEqual(['t', 'cm-0', 'cm-1']);
  });

  test('objects already handed over are dropped when the app fails after returning', async () => {
    const p = make({
      late: appSource(`${taskSource('t')}\n  setTimeout(() => { throw new Error('late'); }, 0);`),
      zz: appSource(taskSource('z')),
    });
    const streamed: string[] = [];
    const runs = await runModuleApps(
      p.root,
      [
        { name: 'late', file: 'apps/late/main.ts' },
        { name: 'zz', file: 'apps/zz/main.ts' },
      ],
      { onObjects: (objects) => streamed.push(...objects.map(nameOf)) },
    );
    expect(streamed).toStrictEqual(['t', 'z']);
    expect(runs.map((r) => [r.name, r.objects.map(nameOf), r.failures.length])).toStrictEqual([
      ['late', [], 1],
      ['zz', ['z'], 0],
    ]);
    const result = await synthesize({ root: p.root });
    expect(result.objects.map((o) => o.app)).toStrictEqual(['zz']);
    expect(result.files.filter((f) => f.path.includes('/late/')).map((f) => f.path)).toStrictEqual([
      'dist/apps/late/kustomization.yaml',
    ]);
  });

  test("the runner's young generation is capped, unless NODE_OPTIONS sizes it; Node's experimental warnings are off", async () => {
    const flagsApp = `import { ApiObject } from '${CDK8S}';\nexport default function build(scope) {\n  new ApiObject(scope, 'f', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flags' }, data: { execArgv: process.execArgv.join(' '), options: process.env.NODE_OPTIONS ?? '' } });\n}\n`;
    const p = make({ flags: flagsApp });
    const dataOf = async () => {
      const [run] = await runModuleApps(p.root, [{ name: 'flags', file: 'apps/flags/main.ts' }]);
      return run?.objects[0]?.object['data'];
    };
    const options = process.env['NODE_OPTIONS'];
    try {
      delete process.env['NODE_OPTIONS'];
      expect(await dataOf()).toStrictEqual({
        execArgv: '--disable-warning=ExperimentalWarning --max-semi-space-size=16',
        options: '',
      });
      process.env['NODE_OPTIONS'] = '--max-semi-space-size=8';
      expect(await dataOf()).toStrictEqual({
        execArgv: '--disable-warning=ExperimentalWarning',
        options: '--max-semi-space-size=8',
      });
    } finally {
      if (options === undefined) delete process.env['NODE_OPTIONS'];
      else process.env['NODE_OPTIONS'] = options;
    }
  });
});
