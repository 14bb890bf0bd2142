import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { watchSynth } from '../../../src/compiler/watch.ts';

const until = async (check: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('watchSynth', { timeout: 20_000 }, () => {
  test('runs once at start, then once per batch of changes, naming the changed files', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kelos-watch-'));
    mkdirSync(join(root, 'examples/a'), { recursive: true });
    writeFileSync(join(root, 'examples/a/main.ts'), '// v1\n');
    const runs: string[][] = [];
    const handle = watchSynth({
      root,
      paths: ['examples'],
      debounceMs: 50,
      run: async (changed) => {
        runs.push([...changed]);
      },
    });
    try {
      await handle.ready;
      await until(() => runs.length === 1);
      writeFileSync(join(root, 'examples/a/main.ts'), '// v2\n');
      writeFileSync(join(root, 'examples/a/other.ts'), '// new\n');
      await until(() => runs.length === 2);
      expect(runs[0]).toStrictEqual([]);
      expect(runs[1]).toStrictEqual(['examples/a/main.ts', 'examples/a/other.ts']);
    } finally {
      await handle.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a failing run does not stop watching', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kelos-watch-'));
    mkdirSync(join(root, 'examples'), { recursive: true });
    let count = 0;
    const handle = watchSynth({
      root,
      paths: ['examples'],
      debounceMs: 50,
      run: async () => {
        count++;
        throw new Error('broken app');
      },
    });
    try {
      await handle.ready;
      await until(() => count === 1);
      writeFileSync(join(root, 'examples/x.ts'), '1');
      await until(() => count === 2);
    } finally {
      await handle.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('by default the whole project: the apps, what they import, cdk8s.yaml and kelos.policy.yaml; never outputs, dependencies or other files', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kelos-watch-'));
    for (const d of ['apps/a', 'lib', 'node_modules/kelos-ts', 'out/apps/a', 'dist/crds'])
      mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'apps/a/main.ts'), '// v1\n');
    const runs: string[][] = [];
    const handle = watchSynth({
      root,
      outputs: ['out/apps', 'dist/crds'],
      debounceMs: 50,
      run: async (changed) => {
        runs.push([...changed]);
      },
    });
    try {
      await handle.ready;
      await until(() => runs.length === 1);
      // Written first, so that a run they wrongly caused would include them in its batch.
      writeFileSync(join(root, 'out/apps/a/task.yaml'), 'x: 1\n');
      writeFileSync(join(root, 'dist/crds/tasks.yaml'), 'x: 1\n');
      writeFileSync(join(root, 'node_modules/kelos-ts/index.js'), '// dep\n');
      writeFileSync(join(root, 'README.md'), '# notes\n');
      writeFileSync(join(root, 'apps/a/main.ts'), '// v2\n');
      writeFileSync(join(root, 'lib/shared.ts'), '// shared\n');
      writeFileSync(join(root, 'cdk8s.yaml'), 'kelos: {}\n');
      writeFileSync(join(root, 'kelos.policy.yaml'), 'synth: report\n');
      await until(() => runs.length === 2);
      await new Promise((r) => setTimeout(r, 300));
      expect(runs).toStrictEqual([
        [],
        ['apps/a/main.ts', 'cdk8s.yaml', 'kelos.policy.yaml', 'lib/shared.ts'],
      ]);
    } finally {
      await handle.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a link to itself or back up the tree neither ends nor hangs the watch; it is reported', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kelos-watch-'));
    mkdirSync(join(root, 'apps/a'), { recursive: true });
    symlinkSync('..', join(root, 'apps/a/up'));
    symlinkSync('self', join(root, 'self'));
    const runs: string[][] = [];
    const errors: unknown[] = [];
    const handle = watchSynth({
      root,
      debounceMs: 50,
      onError: (err) => errors.push(err),
      run: async (changed) => {
        runs.push([...changed]);
      },
    });
    try {
      await handle.ready;
      await until(() => runs.length === 1);
      writeFileSync(join(root, 'apps/a/main.ts'), '// v1\n');
      await until(() => runs.length === 2);
      expect(runs[1]).toStrictEqual(['apps/a/main.ts']);
    } finally {
      await handle.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
