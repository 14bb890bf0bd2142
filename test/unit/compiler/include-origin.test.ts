import { cpSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Include, Yaml } from 'cdk8s';
import { describe, expect, test } from 'vitest';
import type { AppObject } from '../../../src/compiler/app-run.ts';
import { includedDocumentLines } from '../../../src/compiler/include-origin.ts';
import { runModuleApp } from '../../../src/compiler/runner.ts';
import { appSource, CDK8S, projectsDisposedAfterEach, REPO, taskSource } from './project.ts';

const make = projectsDisposedAfterEach();

/** A comment, an empty document, a ConfigMap (line 4) and a Task (line 11). */
const LEGACY = [
  '# Kept from before the TypeScript app.',
  '---',
  '---',
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata:',
  '  name: notes',
  'data:',
  '  a: b',
  '---',
  'apiVersion: kelos.dev/v1alpha2',
  'kind: Task',
  'metadata:',
  '  name: legacy-fix',
  'spec:',
  '  type: codex',
  '  prompt: fix the bugs',
  '  credentials:',
  '    type: none',
  '',
].join('\n');

/**
 * An app module that imports cdk8s from `cdk8s` before running `body`, where `legacy/` is the
 * project's directory of that name: an app runs in-process here, in the working directory of
 * the tests, not of the project (synth forks the runner in the project root).
 */
const includeApp = (body: string, cdk8s = CDK8S): string =>
  `import { ApiObject, Include, Yaml } from '${cdk8s}';\nconst legacy = (f) => new URL('../../legacy/' + f, import.meta.url).pathname;\n${appSource(body)}`;

/** Each object's `included`, by kind and name. */
const origins = (objects: readonly AppObject[]): Record<string, AppObject['included']> =>
  Object.fromEntries(
    objects.map((o) => [
      `${o.object['kind']}/${(o.object['metadata'] as { name: string }).name}`,
      o.included,
    ]),
  );

describe('includedDocumentLines', () => {
  test('is the first line of each document Yaml.load makes an object of, skipping the empty ones', () => {
    const text = [
      '---',
      'a: 1',
      '--- null',
      '--- {}',
      '--- []',
      '---',
      '# only a comment',
      '---',
      'b: 2',
      '',
    ].join('\n');
    expect(includedDocumentLines(text, 2)).toStrictEqual([2, 9]);
  });

  test('is undefined when the text does not yield as many documents as were loaded', () => {
    expect(includedDocumentLines('a: 1\n---\nb: 2\n', 3)).toBeUndefined();
  });
});

describe('the runner and cdk8s Include', { timeout: 60_000 }, () => {
  test('an object an Include read from a project file names the file and the line its document starts on', async () => {
    const p = make({
      legacy: includeApp(
        `  new Include(scope, 'legacy', { url: legacy('tasks.yaml') });\n${taskSource('typed')}`,
      ),
    });
    p.write('legacy/tasks.yaml', LEGACY);
    const run = await runModuleApp(p.root, { name: 'legacy', file: 'apps/legacy/main.ts' });
    expect(run.failures).toStrictEqual([]);
    expect(origins(run.objects)).toStrictEqual({
      'ConfigMap/notes': { file: 'legacy/tasks.yaml', line: 4 },
      'Task/legacy-fix': { file: 'legacy/tasks.yaml', line: 11 },
      'Task/typed': undefined,
    });
  });

  test("cdk8s's own Yaml.load is back once the app has run", async () => {
    const load = Yaml.load;
    const p = make({ legacy: includeApp(`  new Include(scope, 'legacy', { url: legacy('tasks.yaml') });`) });
    p.write('legacy/tasks.yaml', LEGACY);
    const run = await runModuleApp(p.root, { name: 'legacy', file: 'apps/legacy/main.ts' });
    expect(run.objects.map((o) => o.included?.file)).toStrictEqual([
      'legacy/tasks.yaml',
      'legacy/tasks.yaml',
    ]);
    expect(Yaml.load).toBe(load);
  });

  test('objects an app makes from a Yaml.load of its own are not taken for an Include', async () => {
    const p = make({
      legacy: includeApp(
        [
          "  for (const o of Yaml.load(legacy('tasks.yaml'))) new ApiObject(scope, 'own-' + o.metadata.name, o);",
          "  new Include(scope, 'legacy', { url: legacy('more.yaml') });",
        ].join('\n'),
      ),
    });
    p.write('legacy/tasks.yaml', LEGACY);
    p.write('legacy/more.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: more\n');
    const run = await runModuleApp(p.root, { name: 'legacy', file: 'apps/legacy/main.ts' });
    expect(origins(run.objects)).toStrictEqual({
      'ConfigMap/notes': undefined,
      'Task/legacy-fix': undefined,
      'ConfigMap/more': { file: 'legacy/more.yaml', line: 1 },
    });
  });

  test('an Include whose children the app changed names no origin for an object that no longer lines up', async () => {
    const p = make({
      legacy: includeApp(
        [
          "  const included = new Include(scope, 'legacy', { url: legacy('tasks.yaml') });",
          "  included.node.tryRemoveChild('notes-configmap');",
        ].join('\n'),
      ),
    });
    p.write('legacy/tasks.yaml', LEGACY);
    const run = await runModuleApp(p.root, { name: 'legacy', file: 'apps/legacy/main.ts' });
    expect(origins(run.objects)).toStrictEqual({ 'Task/legacy-fix': undefined });
  });

  test('an Include from a copy of cdk8s the app resolves itself is recorded too', async () => {
    const p = make({
      legacy: includeApp(`  new Include(scope, 'legacy', { url: legacy('tasks.yaml') });`, 'cdk8s'),
    });
    p.write('legacy/tasks.yaml', LEGACY);
    cpSync(join(REPO, 'node_modules/cdk8s'), join(p.root, 'node_modules/cdk8s'), { recursive: true });
    symlinkSync(join(REPO, 'node_modules/constructs'), join(p.root, 'node_modules/constructs'));
    const run = await runModuleApp(p.root, { name: 'legacy', file: 'apps/legacy/main.ts' });
    const theirs = createRequire(join(p.root, 'apps/legacy/main.ts'))('cdk8s') as { Include: unknown };
    expect(theirs.Include).not.toBe(Include);
    expect(origins(run.objects)).toStrictEqual({
      'ConfigMap/notes': { file: 'legacy/tasks.yaml', line: 4 },
      'Task/legacy-fix': { file: 'legacy/tasks.yaml', line: 11 },
    });
  });
});
