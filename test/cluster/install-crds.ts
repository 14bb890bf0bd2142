/**
 * Installs the generated CRDs into the run's control plane. Idempotent (server-side apply),
 * so every cluster test file may call it in `beforeAll`.
 *
 * @module
 */
import { stringify } from 'yaml';
import { generateCrds } from '../../src/crd/generate.ts';
import { kubectl } from './helpers.ts';

let installed: Promise<void> | undefined;

/**
 * Applies the CRDs the code generates now (not `dist/crds`, which may lag behind while a
 * change is being written; `kelos synth --check` keeps the two equal) and waits until they
 * are Established. Server-side apply, because the Task CRD is far above the 256 KiB
 * last-applied annotation client-side apply would write.
 */
export function installCrds(): Promise<void> {
  installed ??= (async () => {
    const crds = generateCrds();
    await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=kelos-tests', '-f', '-'], {
      input: crds.map((c) => stringify(c)).join('---\n'),
    });
    await kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      ...crds.map((c) => `crd/${c.metadata.name}`),
    ]);
  })();
  return installed;
}
