/**
 * `validateApp` reads rendered objects in memory, located by the positions the writer
 * recorded. It must report exactly what it reported when it parsed every rendered file back:
 * the same codes, messages, paths, resources, file:line:column and construct paths.
 */
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { AppObject } from '../../../src/compiler/app-run.ts';
import { type RenderedApp, renderApp, renderingOf } from '../../../src/compiler/render.ts';
import { synthesize, validateApp } from '../../../src/compiler/synth.ts';
import type { Diagnostic } from '../../../src/validate/diagnostic.ts';
import { type ValidateOptions, validateDocuments } from '../../../src/validate/index.ts';
import { parseManifests } from '../../../src/validate/load.ts';
import { fleetObjects } from './fixtures.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

/** `validateApp` as it was: every rendered file parsed back for its objects and positions. */
const validateByParsing = (app: RenderedApp, options: ValidateOptions = {}): Diagnostic[] => {
  const byFile = new Map(app.files.map((f) => [f.path, f.content]));
  const paths = new Map(app.objects.map((o) => [o.file, o.constructPath]));
  const docs = [];
  const diagnostics: Diagnostic[] = [];
  for (const o of app.objects) {
    const parsed = parseManifests(byFile.get(o.file) ?? '', o.file);
    docs.push(...parsed.documents);
    diagnostics.push(...parsed.diagnostics);
  }
  diagnostics.push(...validateDocuments(docs, options));
  return diagnostics.map((d) => {
    const constructPath = d.source ? paths.get(d.source.file) : undefined;
    return constructPath && d.source ? { ...d, source: { ...d.source, constructPath } } : d;
  });
};

type Json = Record<string, unknown>;
const at = (o: AppObject, ...keys: string[]): Json =>
  keys.reduce((v: Json, k) => v[k] as Json, o.object as Json);

/** A fleet with deliberate errors, some in objects only the `yaml` library can write. */
const brokenFleet = (): AppObject[] => {
  const objects = fleetObjects(400);
  const tasks = objects.filter((o) => o.object['kind'] === 'Task');
  const ns = (o: AppObject) => at(o, 'metadata')['namespace'];
  const team = tasks.filter((t) => ns(t) === ns(tasks[0]!));
  const name = (o: AppObject) => at(o, 'metadata')['name'] as string;
  const [unknown, cel, dangling, cycleA, cycleB, bell, merge, typeError, deep, duplicate] = team;
  // An unknown field, at the top of the spec and in a list item.
  at(unknown!, 'spec')['bogus'] = 'x';
  (at(deep!, 'spec', 'worker', 'podOverrides', 'env') as unknown as Json[])[0]!['bogus'] = 1;
  // A CEL rule: api-key credentials need a secretRef.
  at(cel!, 'spec', 'worker')['credentials'] = { type: 'api-key' };
  // A reference to a Workspace that is nowhere.
  at(dangling!, 'spec', 'worker', 'workspaceRef')['name'] = 'missing';
  // A dependsOn cycle.
  at(cycleA!, 'spec')['dependsOn'] = [name(cycleB!)];
  at(cycleB!, 'spec')['dependsOn'] = [name(cycleA!)];
  // Strings the fast writer leaves to the library, so these files are parsed back.
  at(bell!, 'spec')['prompt'] = 'ring the bell\x07';
  at(bell!, 'spec')['bogus'] = true;
  at(merge!, 'metadata')['labels'] = { '<<': '<<' };
  // A type error, which also skips the CEL rules.
  at(typeError!, 'spec')['ttlSecondsAfterFinished'] = 'soon';
  return [
    ...objects,
    // The same object twice.
    structuredClone(duplicate!),
    // An object without a name, which parsing reports and leaves out.
    { object: { apiVersion: 'kelos.dev/v1alpha2', kind: 'Task', metadata: { namespace: 'x' }, spec: {} } },
  ];
};

describe('validateApp', { timeout: 120_000 }, () => {
  test('reports what parsing the rendered files back reports, for a fleet with errors', () => {
    const app = renderApp(
      { name: 'fleet', source: 'fleet/main.ts', objects: brokenFleet(), failures: [], millis: 0 },
      'dist',
    );
    // Most objects take the in-memory path; the two with library-only strings are parsed.
    expect(app.objects.filter((o) => !renderingOf(o)?.positions)).toHaveLength(2);
    for (const options of [{}, { requireRefs: true }, { externalRefs: 'error' as const }]) {
      const diagnostics = validateApp(app, options);
      expect(diagnostics).toStrictEqual(validateByParsing(app, options));
      const codes = new Set(diagnostics.map((d) => d.code));
      for (const code of [
        'schema/unknown-field',
        'cel/rule',
        'cel/skipped',
        'ref/cycle',
        'bundle/duplicate',
      ]) {
        expect(codes).toContain(code);
      }
      expect(codes).toContain('requireRefs' in options ? 'ref/dangling' : 'ref/external');
      expect(codes).toContain('manifest/name');
    }
  });

  test('reports what parsing the rendered files back reports, for every example', async () => {
    const result = await synthesize({ root: ROOT });
    let count = 0;
    for (const app of result.apps) {
      const diagnostics = validateApp(app, { requireRefs: true });
      expect(diagnostics).toStrictEqual(validateByParsing(app, { requireRefs: true }));
      count += diagnostics.length;
    }
    expect(count).toBeGreaterThan(0);
  });
});
