/**
 * Builds the npm package: `tsc -p tsconfig.build.json` emits JavaScript and .d.ts for the CLI,
 * the constructs, the API and the policy engine into `lib/`, mirroring the source tree (so
 * paths relative to `import.meta.url` hold in both), then copies the data files the code reads
 * at run time, writes the precompiled validators (the policy file's, each Kelos kind's), then
 * bundles the CLI into `lib/cli/`. `npm pack` runs it (`prepack`); the repository itself runs
 * from source.
 *
 * Why a bundle: a pre-commit `kelos check` of one file spent most of its start-up resolving
 * and compiling about 160 modules (72 of them the `yaml` library). The bundle is the CLI's own
 * code plus `yaml` and `commander` in a few files, each command still loaded only when named;
 * every other dependency stays an import of `node_modules`, so one instance of each is shared
 * with the user's apps. `bench/README.md` has the figures.
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
/** Packages inlined into the bundle: pure JavaScript, many modules, no state shared with apps. */
const BUNDLED_PACKAGES = new Set(['yaml', 'commander']);

/** Files read with `readFileSync(new URL(…, import.meta.url))`, which tsc does not copy. */
export const DATA_FILES: readonly string[] = [
  'src/api/k8s/openapi.json',
  ...readdirSync(join(ROOT, 'constructs/argocd/health'))
    .filter((f) => f.endsWith('.lua'))
    .map((f) => `constructs/argocd/health/${f}`),
];

/**
 * Gives each bundled module of ours the `import.meta.url` of its tsc-emitted twin in `lib/`,
 * so what it finds relative to itself (the OpenAPI data, the app runner it spawns, the
 * constructs directory) is where it is without the bundle.
 */
const twinMetaUrl: Plugin = {
  name: 'kelos-twin-meta-url',
  transform(code, id) {
    if (id.includes('/node_modules/') || !id.startsWith(ROOT) || !code.includes('import.meta.url'))
      return null;
    const twin = join(OUT, relative(ROOT, id)).replace(/\.ts$/, '.js');
    const href = `new URL(${JSON.stringify(relative(CLI_OUT, twin))}, import.meta.url).href`;
    return { code: code.replaceAll('import.meta.url', href) };
  },
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
  plugins: [twinMetaUrl],
  external: (id) => {
    if (id.startsWith('.') || id.startsWith('/') || id.startsWith('\0')) return false;
    if (id.startsWith('node:')) return true;
    const name = id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0];
    return !BUNDLED_PACKAGES.has(name ?? id);
  },
  output: {
    dir: CLI_OUT,
    format: 'esm',
    entryFileNames: 'kelos.js',
    chunkFileNames: '[name]-[hash].js', // Beside the entry: the twin URLs are relative to this directory.
  },
  logLevel: 'warn',
});
