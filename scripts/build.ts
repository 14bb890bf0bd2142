/**
 * Builds the npm package: `tsc -p tsconfig.build.json` emits JavaScript and .d.ts for the CLI,
 * the constructs, the API and the policy engine into `lib/`, mirroring the source tree (so
 * paths relative to `import.meta.url` hold in both), then copies the data files the code reads
 * at run time. `npm pack` runs it (`prepack`); the repository itself runs from source.
 *
 * Usage: `node scripts/build.ts`
 *
 * @packageDocumentation
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'lib');

/** Files read with `readFileSync(new URL(…, import.meta.url))`, which tsc does not copy. */
export const DATA_FILES: readonly string[] = [
  'src/api/k8s/openapi.json',
  ...readdirSync(join(ROOT, 'constructs/argocd/health'))
    .filter((f) => f.endsWith('.lua'))
    .map((f) => `constructs/argocd/health/${f}`),
];

rmSync(OUT, { recursive: true, force: true });
execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: ROOT,
  stdio: 'inherit',
});
for (const file of DATA_FILES) {
  mkdirSync(dirname(join(OUT, file)), { recursive: true });
  copyFileSync(join(ROOT, file), join(OUT, file));
}
