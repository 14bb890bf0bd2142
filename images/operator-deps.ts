/**
 * Prunes `node_modules` to what `kelos operator` runs, for the operator image, and drops the
 * type declarations from the built `lib/`. Run from the application directory after
 * `npm ci --omit=dev`, with `lib/src` copied in (see operator.Dockerfile):
 *
 *   node images/operator-deps.ts
 *
 * The production dependencies serve the whole CLI (cdk8s for `synth`, ...) and weigh about
 * 41 MB; the operator loads under half of that, and no type declaration or source map. This script imports the
 * operator command (and the program around it) with a resolve hook that records every package
 * a module is loaded from, keeps those and whatever they declare as dependencies (so a package
 * that requires lazily keeps what it needs), and deletes the other packages, plus files Node
 * never loads from `node_modules`: type declarations, TypeScript sources and source maps.
 *
 * Why a resolve hook rather than `npm prune` or a bundler: npm can only drop whole dependency
 * groups, and a bundler would change what runs; the hook asks Node itself what it loads.
 *
 * @packageDocumentation
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const APP = resolve(import.meta.dirname, '..');
const MODULES = join(APP, 'node_modules');

/** The package directory holding `file` (`.../node_modules/[@scope/]name`), if it is in one. */
const packageDirOf = (file: string): string | undefined => {
  const at = file.lastIndexOf(`${sep}node_modules${sep}`);
  if (at < 0) return undefined;
  const rest = file.slice(at + '/node_modules/'.length).split(sep);
  const name = rest[0]?.startsWith('@') ? rest.slice(0, 2) : rest.slice(0, 1);
  return join(file.slice(0, at), 'node_modules', ...name);
};

/** Where Node finds package `name` from `fromDir`: the nearest `node_modules/<name>` upwards. */
const locate = (name: string, fromDir: string): string | undefined => {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
};

const loaded = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    if (result.url.startsWith('file:')) {
      const dir = packageDirOf(fileURLToPath(result.url));
      if (dir) loaded.add(dir);
    }
    return result;
  },
});
// What `kelos operator` imports before it runs, as the image runs it (the JavaScript in lib/):
// the program and the operator command, whose module graph is static (see src/cli/program.ts).
// Specifiers held in variables, so the typecheck does not ask for lib/ to exist.
const built = ['../lib/src/cli/program.js', '../lib/src/cli/commands/operator.js'];
for (const file of built) await import(file);
// What the operator loads on its first object rather than at import: the validators compiled at
// build time (src/validate/schema.ts), and ajv's run-time helpers they require. One object of
// each Kelos kind is validated, as the operator validates what it reads.
const [validate, api] = ['../lib/src/validate/index.js', '../lib/src/api/index.js'];
const { validateObject } = (await import(validate)) as {
  validateObject: (object: Record<string, unknown>) => unknown;
};
const { API_VERSION, KINDS } = (await import(api)) as {
  API_VERSION: string;
  KINDS: ReadonlyArray<{ kind: string }>;
};
for (const { kind } of KINDS) validateObject({ apiVersion: API_VERSION, kind, metadata: { name: 'x' } });

const keep = new Set<string>();
const visit = (dir: string): void => {
  if (keep.has(dir)) return;
  keep.add(dir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
    const found = locate(dep, dir);
    if (found) visit(found);
  }
};
for (const dir of loaded) visit(dir);

/** Package directories under a `node_modules` directory, scoped ones included. */
const packagesIn = (modules: string): string[] =>
  readdirSync(modules).flatMap((entry) => {
    if (entry.startsWith('.')) return [join(modules, entry)];
    const path = join(modules, entry);
    return entry.startsWith('@') ? readdirSync(path).map((name) => join(path, name)) : [path];
  });

const NEVER_LOADED = /\.[cm]?ts$|\.[cm]?(?:js|ts)\.map$|\.tsbuildinfo$/;
let removed = 0;
const prune = (modules: string): void => {
  for (const dir of packagesIn(modules)) {
    if (!keep.has(dir)) {
      rmSync(dir, { recursive: true, force: true });
      removed++;
      continue;
    }
    const nested = join(dir, 'node_modules');
    if (existsSync(nested)) prune(nested);
  }
};
prune(MODULES);
const stripFiles = (dir: string): void => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) stripFiles(path);
    else if (NEVER_LOADED.test(entry.name)) rmSync(path);
  }
};
stripFiles(MODULES);
// tsc writes a declaration next to each module of lib/; nothing loads them at run time.
if (existsSync(join(APP, 'lib'))) stripFiles(join(APP, 'lib'));
process.stdout.write(`operator-deps: kept ${keep.size} packages, removed ${removed}\n`);
