import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { KELOS_VERSION } from '../../../src/api/version.ts';
import { packagedMigrations } from '../../../src/cli/commands/crds.ts';
import { type CustomResourceDefinition, generateCrds } from '../../../src/crd/generate.ts';
import { crdNarrowings } from '../../../src/validate/crd-compat.ts';
import { kelos as runKelos } from './run-cli.ts';

const kelos = (...argv: string[]) => runKelos(argv);

/** How many entries the repository's (and the package's) migrations file lists. */
const MIGRATIONS = (readFileSync('release/crd-migrations.yaml', 'utf8').match(/^ {2}- crd:/gm) ?? []).length;

// biome-ignore lint/suspicious/noExplicitAny: the tests edit generated schema trees by path.
type Schema = Record<string, any>;

/** Today's CRDs twice: `prev` as released, `next` to be changed by a test. */
const pair = () => {
  const prev = generateCrds();
  const next = structuredClone(prev) as CustomResourceDefinition[];
  const task = next.find((c) => c.spec.names.kind === 'Task')!;
  const root = task.spec.versions[0]!.schema.openAPIV3Schema as Schema;
  return { prev, next, task, spec: root['properties']['spec'] as Schema };
};
const BASE = '/spec/versions/0/schema/openAPIV3Schema/properties/spec';
const errors = (ds: ReturnType<typeof crdNarrowings>) =>
  ds.filter((d) => d.severity === 'error').map((d) => ({ code: d.code, path: d.path }));

describe('CRD upgrade check', () => {
  test('identical CRDs have no findings', () => {
    const { prev, next } = pair();
    expect(crdNarrowings(prev, next)).toEqual([]);
  });

  test.each([
    [
      'a newly required field',
      (s: Schema) => s['required'].push('branch'),
      'crd/required-added',
      `${BASE}/required`,
    ],
    [
      'a lowered maxLength',
      (s: Schema) => {
        s['properties']['prompt']['maxLength'] = 10;
      },
      'crd/bound-narrowed',
      `${BASE}/properties/prompt`,
    ],
    [
      'a removed field',
      (s: Schema) => {
        delete s['properties']['branch'];
      },
      'crd/field-removed',
      `${BASE}/properties/branch`,
    ],
    [
      'a changed type',
      (s: Schema) => {
        s['properties']['branch']['type'] = 'integer';
      },
      'crd/type-changed',
      `${BASE}/properties/branch`,
    ],
    [
      'a new CEL rule',
      (s: Schema) => {
        s['x-kubernetes-validations'].push({ rule: 'size(self.prompt) < 5', message: 'short' });
      },
      'crd/rule-added',
      `${BASE}/x-kubernetes-validations/`,
    ],
    [
      'an enum value dropped',
      (s: Schema) => {
        const type = s['properties']['type'];
        type['enum'] = type['enum'].slice(1);
      },
      'crd/enum-narrowed',
      `${BASE}/properties/type`,
    ],
    [
      'a new pattern',
      (s: Schema) => {
        s['properties']['branch']['pattern'] = '^[a-z]+$';
      },
      'crd/pattern-changed',
      `${BASE}/properties/branch`,
    ],
  ])('%s is reported at its pointer', (_name, change, code, path) => {
    const { prev, next, spec } = pair();
    change(spec);
    const found = errors(crdNarrowings(prev, next));
    expect(found).toHaveLength(1);
    expect(found[0]!.code).toBe(code);
    expect(found[0]!.path.startsWith(path)).toBe(true);
  });

  test('widening changes are not reported', () => {
    const { prev, next, spec } = pair();
    spec['properties']['newOptional'] = { type: 'string' };
    spec['required'] = spec['required'].filter((r: string) => r !== 'prompt');
    spec['x-kubernetes-validations'].pop();
    delete spec['properties']['prompt']['minLength'];
    expect(crdNarrowings(prev, next)).toEqual([]);
  });

  test('a removed CRD, a changed scope and an unserved version are errors', () => {
    const { prev, next, task } = pair();
    task.spec.scope = 'Cluster';
    next.find((c) => c.spec.names.kind === 'Workspace')!.spec.versions[0]!.served = false;
    const gone = next.filter((c) => c.spec.names.kind !== 'TaskBudget');
    expect(
      errors(crdNarrowings(prev, gone))
        .map((e) => e.code)
        .sort(),
    ).toEqual(['crd/removed', 'crd/scope-changed', 'crd/version-removed']);
  });

  test('a listed migration turns its finding into info naming the reason', () => {
    const { prev, next, spec } = pair();
    spec['required'].push('branch');
    const [finding] = crdNarrowings(prev, next, [
      { crd: 'tasks.kelos.dev', path: `${BASE}/required`, reason: 'the operator fills branch on start' },
    ]);
    expect(finding).toMatchObject({ severity: 'info', code: 'crd/required-added' });
    expect(finding!.message).toContain('the operator fills branch on start');
  });
});

describe('kelos crds --check-against', () => {
  test("this version's CRDs accept everything the previous release's accepted", async () => {
    const { code, stderr } = await kelos(
      'crds',
      '--check-against',
      'release/crds/0.1.0.yaml',
      '--migrations',
      'release/crd-migrations.yaml',
    );
    expect(stderr.split('\n')).toStrictEqual([
      `migrations: release/crd-migrations.yaml (--migrations), ${MIGRATIONS} entries`,
      '7 CRDs checked against release/crds/0.1.0.yaml: 12 incompatible changes, all listed migrations (release/crd-migrations.yaml): an object that uses one of those fields is refused or pruned, as each reason explains; every other object they accept is still accepted',
      '',
    ]);
    expect(code).toBe(0);
  });

  test('without --migrations, the CRDs a cluster runs are checked with the migrations the package ships, and the summary says so', async () => {
    // What a user of the npm package has: no clone, only the CRDs read back from the cluster.
    const dir = await mkdtemp(join(tmpdir(), 'kelos-compat-'));
    await copyFile('release/crds/0.1.0.yaml', join(dir, 'installed.yaml'));
    const { code, stdout, stderr } = await runKelos(['crds', '--check-against', 'installed.yaml'], {
      cwd: dir,
    });
    expect(stdout).not.toMatch(/^error /m);
    expect(stdout.match(/^info /gm)).toHaveLength(12);
    expect(stdout).toContain(
      'extraAllowedDestinations[].host: field removed; the API server prunes it from stored objects (listed migration: networkIsolation was reserved',
    );
    expect(stderr.split('\n')).toStrictEqual([
      `migrations: ${packagedMigrations()} (kelos-ts ${KELOS_VERSION}'s; --migrations <file> uses another), ${MIGRATIONS} entries`,
      `7 CRDs checked against installed.yaml: 12 incompatible changes, all listed migrations (${packagedMigrations()}): an object that uses one of those fields is refused or pruned, as each reason explains; every other object they accept is still accepted`,
      '',
    ]);
    expect(code).toBe(0);
    expect(packagedMigrations()).toBe(resolve('release/crd-migrations.yaml'));
  });

  test('an older CRD that accepted more fails the check with exit 2, as kubectl writes it', async () => {
    const [prev] = pair().prev.filter((c) => c.spec.names.kind === 'Task');
    const spec = (prev!.spec.versions[0]!.schema.openAPIV3Schema as Schema)['properties']['spec'];
    spec['properties']['legacyField'] = { type: 'string' };
    const dir = await mkdtemp(join(tmpdir(), 'kelos-compat-'));
    const file = join(dir, 'installed.yaml');
    await writeFile(file, stringify({ apiVersion: 'v1', kind: 'List', items: [prev] }));
    const { code, stdout, stderr } = await kelos('crds', '--check-against', file);
    expect(code).toBe(2);
    expect(stdout).toContain('spec.legacyField: field removed');
    expect(stdout).toContain('[crd/field-removed]');
    expect(stderr).toContain(
      `1 CRD checked against ${file}: 1 incompatible change not listed in release/crd-migrations.yaml: objects the older CRDs accept may be refused or pruned`,
    );
  });

  test('a file nested too deep to parse, or an alias bomb, is a usage error naming the file, not a stack overflow', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-compat-'));
    const deep = join(dir, 'deep.yaml');
    await writeFile(deep, `a: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`);
    expect(await kelos('crds', '--check-against', deep)).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: `kelos: ${deep}:1:132: the file nests mappings and lists more than 128 levels deep (too deep to parse); no Kubernetes object does\n`,
    });
    const bomb = join(dir, 'bomb.yaml');
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [i, name] of [...'bcdefgh'].entries())
      levels.push(`${name}: &${name} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`);
    await writeFile(bomb, `${levels.join('\n')}\n`);
    expect((await kelos('crds', '--check-against', bomb)).stderr).toBe(
      `kelos: ${bomb}: cannot be read: its aliases expand beyond the bound on alias expansion (maxAliasCount: 100), which keeps a small file from expanding into a huge one (Excessive alias count indicates a resource exhaustion attack)\n`,
    );
  });

  test('a malformed migrations file is a usage error naming the entry', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-compat-'));
    const file = join(dir, 'migrations.yaml');
    await writeFile(file, 'migrations:\n  - crd: tasks.kelos.dev\n');
    const { code, stderr } = await kelos(
      'crds',
      '--check-against',
      'release/crds/0.1.0.yaml',
      '--migrations',
      file,
    );
    expect(code).toBe(1);
    expect(stderr).toContain('/migrations/0: expected crd, path and reason');
  });
});
