/**
 * What Argo CD does with an app directory of `dist/examples` under the ApplicationSet of
 * dist/argocd: kustomize (the real one, in kubectl) builds it with the Application's
 * patches, and every Kelos object gets the sync wave of its kind while keeping its name,
 * namespace and own annotations.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { kubectl } from './helpers.ts';

const DIST = join(import.meta.dirname, '../../dist');
const tmp: string[] = [];
afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

describe('Argo CD apps: sync waves by kind through kustomize patches', () => {
  it('every app directory builds with the ApplicationSet’s patches and its objects get their waves', async () => {
    const set = parse(await readFile(join(DIST, 'argocd/applicationset-kelos-apps.yaml'), 'utf8'));
    const patches = set.spec.template.spec.source.kustomize.patches as {
      target: { kind: string };
      patch: string;
    }[];
    const expected: Record<string, string> = Object.fromEntries(
      patches.map((p) => [p.target.kind, (p.patch.match(/sync-wave: "(-?\d+)"/) ?? [])[1] as string]),
    );
    const apps = (await readdir(join(DIST, 'examples'), { withFileTypes: true })).filter((e) =>
      e.isDirectory(),
    );
    expect(apps.length).toBeGreaterThan(10);
    let spawners = 0;
    for (const app of apps) {
      const dir = join(DIST, 'examples', app.name);
      const work = await mkdtemp(join(tmpdir(), 'kelos-argocd-'));
      tmp.push(work);
      await writeFile(
        join(work, 'kustomization.yaml'),
        stringify({ resources: [relative(work, dir)], patches }),
      );
      const built = parseAllDocuments((await kubectl(['kustomize', work])).stdout).map((d) => d.toJS());
      const plain = parseAllDocuments((await kubectl(['kustomize', dir])).stdout).map((d) => d.toJS());
      expect(
        built.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`),
        app.name,
      ).toEqual(plain.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`));
      built.forEach((o, i) => {
        const { 'argocd.argoproj.io/sync-wave': ownWave, ...plainRest } = plain[i].metadata.annotations ?? {};
        // The patches wave Kelos kinds; anything else keeps the wave its app gave it (an
        // AppNamespace's, one before the app's objects), or none.
        const want = o.apiVersion.startsWith('kelos.dev/') ? expected[o.kind] : ownWave;
        const annotations = o.metadata.annotations ?? {};
        expect(annotations['argocd.argoproj.io/sync-wave'], `${app.name} ${o.kind}/${o.metadata.name}`).toBe(
          want,
        );
        const { 'argocd.argoproj.io/sync-wave': _, ...rest } = annotations;
        expect(rest).toEqual(plainRest);
        if (o.kind === 'TaskSpawner') spawners++;
      });
    }
    expect(spawners).toBeGreaterThan(0);
  });
});
