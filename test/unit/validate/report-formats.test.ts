import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { kelos } from './run-cli.ts';

/** A directory of `n` files, each a Task with one unknown field. */
const brokenTasks = (n: number): string => {
  const dir = mkdtempSync(join(tmpdir(), 'kelos-validate-formats-'));
  for (let i = 0; i < n; i++)
    writeFileSync(
      join(dir, `task-${String(i).padStart(3, '0')}.yaml`),
      `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata: {name: t${i}, namespace: team}\nspec:\n  prompt: p\n  promtp: typo\n  worker: {type: codex, credentials: {type: none}}\n`,
    );
  return dir;
};

describe('kelos validate report formats', () => {
  test('json lists every finding, past 100 of one code; text lists 100 and counts the rest', async () => {
    const dir = brokenTasks(150);
    const json = await kelos(['validate', '.', '--format', 'json'], { cwd: dir });
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout);
    expect(report.summary.errors).toBe(150);
    const unknown = report.diagnostics.filter((d: { code: string }) => d.code === 'schema/unknown-field');
    expect(unknown).toHaveLength(150);
    expect(unknown.every((d: { message: string }) => !d.message.includes('more schema/unknown-field'))).toBe(
      true,
    );
    const text = await kelos(['validate', '.'], { cwd: dir });
    expect(text.stdout).toContain('and 50 more schema/unknown-field findings');
    expect(text.stdout).toContain('150 errors');
  });
});
