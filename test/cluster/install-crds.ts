/**
 * Installs the generated CRDs into the run's control plane. Idempotent (server-side apply),
 * so every cluster test file may call it in `beforeAll`.
 *
 * @module
 */
import { stringify } from 'yaml';
import { generateCrds } from '../../src/crd/generate.ts';
import { kubectl, waitFor } from './helpers.ts';

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
    await waitForEstablished(crds.map((c) => c.metadata.name));
  })();
  return installed;
}

/**
 * Waits until every named CRD is Established. Not `kubectl wait`: right after an apply a
 * CRD may have no status yet, which it reports as an error instead of waiting.
 */
export async function waitForEstablished(names: readonly string[]): Promise<void> {
  await waitFor(`CRDs Established: ${names.join(', ')}`, async () => {
    const { stdout } = await kubectl(['get', 'crd', ...names, '-o', 'json']);
    const items = JSON.parse(stdout).items as {
      status?: { conditions?: { type: string; status: string }[] };
    }[];
    return items.every((i) =>
      i.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'),
    );
  });
}
