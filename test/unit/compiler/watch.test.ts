import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
});
