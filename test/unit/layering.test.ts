import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Which top-level modules each module may import (design brief §4). A module may always
 * import itself. `src/cli` is the composition root and may import anything; nothing but
 * tests imports it.
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  'src/api': [],
  'src/crd': ['src/api'],
  'src/validate': ['src/api', 'src/crd'],
  constructs: ['src/api'],
  policies: ['src/api', 'src/validate', 'src/policy'],
  'src/policy': ['src/api', 'src/crd', 'src/validate', 'policies'],
  'src/compiler': ['src/api', 'src/crd', 'src/validate', 'src/policy', 'constructs'],
  'src/operator': ['src/api', 'src/crd', 'src/validate'],
  'src/agent': ['src/api', 'src/operator'],
  examples: ['constructs', 'src/api'],
};

const MODULES = Object.keys(ALLOWED).concat('src/cli');

/** The module a repository path belongs to, if it is one of ours. */
const moduleOf = (path: string): string | undefined =>
  MODULES.find((m) => path === m || path.startsWith(`${m}/`));

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.parentPath.includes('node_modules'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Relative import specifiers of a file (static and dynamic). */
const importsOf = (text: string): string[] =>
  [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);

describe('module layering', () => {
  test.each(Object.keys(ALLOWED))('%s imports only what the design allows', async (module) => {
    const violations: string[] = [];
    for (const file of await sourceFiles(module)) {
      const text = await readFile(join(ROOT, file), 'utf8');
      for (const specifier of importsOf(text)) {
        const target = relative(ROOT, resolve(ROOT, dirname(file), specifier));
        const targetModule = moduleOf(target);
        if (!targetModule || targetModule === module) continue;
        if (!ALLOWED[module]!.includes(targetModule)) violations.push(`${file} imports ${target}`);
      }
    }
    expect(violations).toStrictEqual([]);
  });

  test('nothing outside tests imports the CLI', async () => {
    const violations: string[] = [];
    for (const module of Object.keys(ALLOWED)) {
      for (const file of await sourceFiles(module)) {
        const text = await readFile(join(ROOT, file), 'utf8');
        for (const specifier of importsOf(text)) {
          const target = relative(ROOT, resolve(ROOT, dirname(file), specifier));
          if (moduleOf(target) === 'src/cli') violations.push(`${file} imports ${target}`);
        }
      }
    }
    expect(violations).toStrictEqual([]);
  });
});
