import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'kelos-check-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A module hook that appends every module the process loads to `loaded.txt`. */
const HOOK = join(dir, 'record.mjs');
writeFileSync(
  HOOK,
  `import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
registerHooks({
  resolve(specifier, context, next) {
    const r = next(specifier, context);
    appendFileSync(process.env.LOADED_FILE, r.url + '\\n');
    return r;
  },
});
`,
);

/** Runs `kelos check task.yaml` as its own process in `cwd` and returns what it loaded. */
const checkLoads = (cwd: string) => {
  const loadedFile = join(cwd, 'loaded.txt');
  writeFileSync(loadedFile, '');
  const run = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(HOOK).href, join(ROOT, 'src/cli/main.ts'), 'check', 'task.yaml'],
    { cwd, env: { ...process.env, LOADED_FILE: loadedFile }, encoding: 'utf8' },
  );
  return {
    code: run.status,
    stdout: run.stdout,
    stderr: run.stderr,
    loaded: readFileSync(loadedFile, 'utf8').split('\n'),
  };
};

const project = (name: string) => {
  const cwd = join(dir, name);
  mkdirSync(cwd, { recursive: true });
  copyFileSync(
    join(ROOT, 'test/fixtures/policy/budget-spawner-max-concurrency/fail.yaml'),
    join(cwd, 'task.yaml'),
  );
  return cwd;
};

/**
 * Modules a one-file check does not need: the API schemas (TypeBox, Kubernetes) and ajv (the
 * schemas are `kelos validate`'s), the compiler that synthesizes apps, and the operator.
 */
const HEAVY = [
  '/@sinclair/typebox/',
  '/ajv/',
  '/src/api/k8s/',
  '/src/api/common.ts',
  '/src/validate/schema.ts',
  '/node_modules/cdk8s',
  '/constructs/',
  '/src/compiler/synth.ts',
  '/src/operator/',
];

/**
 * Whether a loaded module is one of {@link HEAVY}, read below the repository: a checkout whose
 * own path holds a pattern (`/work/review/constructs/`) would otherwise match every module.
 */
const isHeavy = (url: string): boolean => {
  const root = pathToFileURL(ROOT).href;
  const inside = url.startsWith(root) ? url.slice(root.length) : url;
  return HEAVY.some((h) => inside.includes(h));
};

describe('kelos check start-up', { timeout: 60_000 }, () => {
  test('a one-file check loads neither the API schemas, ajv, nor the compiler', () => {
    const run = checkLoads(project('plain'));
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('[budget/spawner-max-concurrency]');
    expect(run.loaded.filter(isHeavy)).toStrictEqual([]);
  });

  test('with a policy file, the file is validated with the schema (and its errors reported)', () => {
    const cwd = project('configured');
    writeFileSync(join(cwd, 'kelos.policy.yaml'), 'thresholds:\n  maxConcurrency: -1\n');
    const run = checkLoads(cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'thresholds.maxConcurrency: expected a positive integer up to 2147483647 (a TaskSpawner maxConcurrency is an int32), got -1',
    );
    expect(run.loaded.some((url) => url.includes('/ajv/'))).toBe(true);
    // The file's schema is plain JSON Schema: TypeBox (about 300 ms to load) stays out.
    expect(run.loaded.filter((url) => url.includes('/@sinclair/typebox/'))).toStrictEqual([]);
  });
});
