/**
 * Builds the npm package: `tsc -p tsconfig.build.json` emits JavaScript and .d.ts for the CLI,
 * the constructs, the API and the policy engine into `lib/`, mirroring the source tree (so
 * paths relative to `import.meta.url` hold in both), then copies the data files the code reads
 * at run time, writes the precompiled validators (the policy file's, each Kelos kind's), then
 * bundles the CLI into `lib/cli/` and the constructs with the app runner into
 * `lib/constructs/bundle/`. `npm pack` runs it (`prepack`); the repository itself runs from
 * source.
 *
 * Why a bundle: a pre-commit `kelos check` of one file spent most of its start-up resolving
 * and compiling about 160 modules (72 of them the `yaml` library), then 370 (TypeBox, the CEL
 * library with protobuf and RE2). The bundle is the CLI's own code and its dependencies in a few
 * files, each command still loaded only when named. Only cdk8s, `constructs` and
 * cdk8s-plus-28 stay imports of `node_modules` in both bundles ({@link SHARED_WITH_APPS}).
 * `bench/README.md` has the figures.
 *
 * Why a second one: every synth forks the app runner, which with the app's `import 'kelos-ts'`
 * resolved and compiled about 660 modules (200 of them TypeBox's, 130 the CEL library's with
 * protobuf and RE2) before the app made its first object: 450–500 ms of a 10,000-object synth's
 * 2.4 s runner, and most of a small one's. The runner and the package's main export (what apps
 * import) are one bundle with two entries, so they share one copy of the constructs (the
 * runner reads what they record on each object) and load it from three files; only cdk8s,
 * `constructs` and cdk8s-plus-28 stay imports, since the app's objects and ours must be one
 * tree of one copy of each. The runner then reached the app 250 ms after the fork.
 *
 * Usage: `node scripts/build.ts`
 *
 * @packageDocumentation
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'rolldown';
import { BUILTIN_RULE_IDS } from '../policies/index.ts';
import { KINDS } from '../src/api/index.ts';
import { configValidatorModule } from '../src/policy/config.ts';
import { kindValidatorModule } from '../src/validate/schema.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'lib');
/** Where the bundled CLI goes; `bin/kelos.js` imports its `kelos.js`. */
const CLI_OUT = join(OUT, 'cli');
/**
 * Where the constructs bundle goes: the package's main export and the app runner
 * (`src/compiler/run-apps.ts` forks its `runner.js`). Inside `lib/constructs/`, so a stack
 * frame in it counts as the constructs' own, never as the app line that made an object.
 */
const APP_BUNDLE_OUT = join(OUT, 'constructs/bundle');
/**
 * Packages the bundles leave to `node_modules`: an app's objects live in their trees, and the
 * install bundle is made of the same constructs. Everything else is plain JavaScript with no
 * state to share, inlined.
 */
const SHARED_WITH_APPS = new Set(['cdk8s', 'constructs', 'cdk8s-plus-28']);

/** Files read with `readFileSync(new URL(…, import.meta.url))`, which tsc does not copy. */
export const DATA_FILES: readonly string[] = [
  'src/api/k8s/openapi.json',
  ...readdirSync(join(ROOT, 'constructs/argocd/health'))
    .filter((f) => f.endsWith('.lua'))
    .map((f) => `constructs/argocd/health/${f}`),
];

/**
 * Gives each module of ours bundled into `dir` the `import.meta.url` of its tsc-emitted twin in
 * `lib/`, so what it finds relative to itself (the OpenAPI data, the app runner it spawns, the
 * constructs directory) is where it is without the bundle.
 */
const twinMetaUrl = (dir: string): Plugin => ({
  name: 'kelos-twin-meta-url',
  transform(code, id) {
    if (id.includes('/node_modules/') || !id.startsWith(ROOT) || !code.includes('import.meta.url'))
      return null;
    const twin = join(OUT, relative(ROOT, id)).replace(/\.ts$/, '.js');
    const href = `new URL(${JSON.stringify(relative(dir, twin))}, import.meta.url).href`;
    return { code: code.replaceAll('import.meta.url', href) };
  },
});

/** What a bundle imports instead of inlining: Node's modules, and {@link SHARED_WITH_APPS}. */
const leftToNodeModules = (id: string): boolean => {
  if (id.startsWith('.') || id.startsWith('/') || id.startsWith('\0')) return false;
  if (id.startsWith('node:')) return true;
  const name = id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0];
  return SHARED_WITH_APPS.has(name ?? id);
};

rmSync(OUT, { recursive: true, force: true });
execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: ROOT,
  stdio: 'inherit',
});
for (const file of DATA_FILES) {
  mkdirSync(dirname(join(OUT, file)), { recursive: true });
  copyFileSync(join(ROOT, file), join(OUT, file));
}
// The policy file's validator, compiled now rather than on every `kelos check` with a policy file.
writeFileSync(join(OUT, 'src/policy/config-validator.cjs'), configValidatorModule(BUILTIN_RULE_IDS));
// The Kelos kinds' validators, compiled now rather than in every `kelos validate` and synth.
mkdirSync(join(OUT, 'src/validate/validators'), { recursive: true });
for (const { kind } of KINDS) {
  writeFileSync(join(OUT, `src/validate/validators/${kind.toLowerCase()}.cjs`), kindValidatorModule(kind));
}
await build({
  input: join(ROOT, 'src/cli/main.ts'),
  platform: 'node',
  plugins: [twinMetaUrl(CLI_OUT)],
  external: leftToNodeModules,
  output: {
    dir: CLI_OUT,
    format: 'esm',
    entryFileNames: 'kelos.js',
    chunkFileNames: '[name]-[hash].js', // Beside the entry: the twin URLs are relative to this directory.
  },
  logLevel: 'warn',
});
await build({
  input: { index: join(ROOT, 'constructs/index.ts'), runner: join(ROOT, 'src/compiler/runner.ts') },
  platform: 'node',
  plugins: [twinMetaUrl(APP_BUNDLE_OUT)],
  external: leftToNodeModules,
  output: {
    dir: APP_BUNDLE_OUT,
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
  },
  logLevel: 'warn',
});
