import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Which top-level modules each module may import: the table in the README's architecture
 * section. A module may always import itself. `src/cli` is the composition root and may
 * import anything; nothing but tests imports it. The order is bottom-up: a module lists
 * only modules above it in this table, which is what keeps the module graph acyclic.
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  // Kubernetes machinery with no Kelos knowledge: object meta, client, informers, queue,
  // leader election, events, HTTP endpoints, logs, clock, label selectors, durations.
  'src/kube': [],
  'src/api': ['src/kube'],
  // What the operator and its install share: the RBAC table, install names, ports, image.
  'src/install': ['src/kube', 'src/api'],
  'src/template': ['src/api'],
  'src/contract': ['src/api'],
  'src/crd': ['src/api'],
  'src/validate': ['src/kube', 'src/api', 'src/contract', 'src/crd', 'src/template'],
  'src/render': ['src/kube', 'src/api', 'src/template', 'src/contract', 'src/validate'],
  constructs: ['src/kube', 'src/api', 'src/install', 'src/template', 'src/validate', 'src/render'],
  'src/policy': ['src/kube', 'src/api', 'src/crd', 'src/validate'],
  policies: ['src/kube', 'src/api', 'src/validate', 'src/policy'],
  'src/compiler': [
    'src/kube',
    'src/api',
    'src/install',
    'src/crd',
    'src/template',
    'src/validate',
    'src/render',
    'src/policy',
    'policies',
    'constructs',
  ],
  'src/operator': [
    'src/kube',
    'src/api',
    'src/install',
    'src/crd',
    'src/template',
    'src/contract',
    'src/validate',
    'src/render',
  ],
  'src/agent': ['src/contract'],
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

/** Relative import specifiers of a file (static and dynamic, `import type` included). */
const importsOf = (text: string): string[] =>
  [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);

/** Every source file of ours with the repository paths it imports. */
async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const module of MODULES) {
    for (const file of await sourceFiles(module)) {
      const text = await readFile(join(ROOT, file), 'utf8');
      graph.set(
        file,
        importsOf(text).map((s) => relative(ROOT, resolve(ROOT, dirname(file), s))),
      );
    }
  }
  return graph;
}

/** Import cycles between files, each as the path around it (Tarjan's strongly connected components). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
}

describe('module layering', () => {
  test('the table itself is bottom-up: every module imports only modules listed before it', () => {
    const order = Object.keys(ALLOWED);
    const upward = order.flatMap((m, i) =>
      ALLOWED[m]!.filter((dep) => order.indexOf(dep) >= i).map((dep) => `${m} -> ${dep}`),
    );
    expect(upward).toStrictEqual([]);
  });

  test.each(Object.keys(ALLOWED))('%s imports only what the table allows', async (module) => {
    const graph = await importGraph();
    const violations: string[] = [];
    for (const [file, targets] of graph) {
      if (moduleOf(file) !== module) continue;
      for (const target of targets) {
        const targetModule = moduleOf(target);
        if (!targetModule || targetModule === module) continue;
        if (!ALLOWED[module]!.includes(targetModule)) violations.push(`${file} imports ${target}`);
      }
    }
    expect(violations).toStrictEqual([]);
  });

  test('nothing outside tests imports the CLI', async () => {
    const graph = await importGraph();
    const violations = [...graph].flatMap(([file, targets]) =>
      moduleOf(file) === 'src/cli'
        ? []
        : targets.filter((t) => moduleOf(t) === 'src/cli').map((t) => `${file} imports ${t}`),
    );
    expect(violations).toStrictEqual([]);
  });

  test('no import cycles between files anywhere', async () => {
    expect(cycles(await importGraph())).toStrictEqual([]);
  });

  test('the controller runtime names nothing of Kelos', async () => {
    const offending: string[] = [];
    for (const file of await sourceFiles('src/kube')) {
      const text = await readFile(join(ROOT, file), 'utf8');
      const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      if (/kelos/i.test(code)) offending.push(file);
    }
    expect(offending).toStrictEqual([]);
  });
});
