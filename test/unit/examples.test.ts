/**
 * Every example under examples/ synthesizes and validates with zero errors, and the
 * committed dist/examples and dist/crds are exactly what synth writes (the CI gate
 * `kelos synth --check`, held here too so a stale dist/ fails the unit tier).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { compareOutput } from '../../src/compiler/output.ts';
import { type SynthResult, synthesize } from '../../src/compiler/synth.ts';

const ROOT = resolve(import.meta.dirname, '../..');

const exampleDirs = readdirSync(join(ROOT, 'examples'), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe('examples', { timeout: 120_000 }, () => {
  let result: SynthResult;
  beforeAll(async () => {
    result = await synthesize({ root: ROOT });
  }, 120_000);

  test('every example directory is an app', () => {
    // The bundles of cdk8s.yaml (the install, the Argo CD objects) render too; they are not examples.
    expect(result.apps.map((a) => a.source).filter((s) => s.startsWith('examples/'))).toStrictEqual(
      exampleDirs.map((d) => `examples/${d}/main.ts`),
    );
  });

  test.each(exampleDirs)('%s synthesizes and validates with zero errors', (dir) => {
    const app = result.apps.find((a) => a.source === `examples/${dir}/main.ts`);
    expect(app?.objects.length).toBeGreaterThan(0);
    const errors = result.diagnostics.filter(
      (d) =>
        d.severity === 'error' &&
        (d.source?.file.startsWith(`${app?.dir}/`) || d.source?.file === app?.source),
    );
    expect(errors).toStrictEqual([]);
  });

  test('every Task an example renders is kept in Git with no TTL, as Argo CD self-heal syncs it', () => {
    // A TTL would delete the Task, Argo CD would create it again and its agent would run again.
    const tasks = result.objects
      .filter((o) => o.object['kind'] === 'Task')
      .map((o) => {
        const metadata = o.object['metadata'] as { name: string; annotations?: Record<string, string> };
        const spec = o.object['spec'] as { ttlSecondsAfterFinished?: number };
        return [metadata.name, metadata.annotations?.['kelos.dev/lifecycle'], spec.ttlSecondsAfterFinished];
      });
    expect(tasks.length).toBeGreaterThan(0);
    expect(tasks.filter(([, lifecycle, ttl]) => lifecycle !== 'git' || ttl !== undefined)).toStrictEqual([]);
  });

  test.each(exampleDirs)('%s: a TTL its README names is the one its code sets', (dir) => {
    const readme = readFileSync(join(ROOT, 'examples', dir, 'README.md'), 'utf8');
    const code = readFileSync(join(ROOT, 'examples', dir, 'main.ts'), 'utf8');
    for (const [claim] of readme.matchAll(/ttlSecondsAfterFinished: \d+/g)) expect(code).toContain(claim);
  });

  test('no example renders a Secret', () => {
    expect(result.objects.filter((o) => o.object['kind'] === 'Secret')).toStrictEqual([]);
  });

  test('the committed dist/ is what synth writes', async () => {
    expect(result.status).toBe('ok');
    expect(await compareOutput(ROOT, result.files, result.owned)).toStrictEqual([]);
  });
});
