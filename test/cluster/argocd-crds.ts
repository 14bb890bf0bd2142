/**
 * Argo CD's own CRDs (Application, ApplicationSet, AppProject), taken from the Argo CD Go
 * module on the module proxy (its `manifests/crds/`), so `dist/argocd` can be dry-run
 * against the real schemas. Pinned to the release whose Lua (gopher-lua v1.1.2) the health
 * test runs.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { kubectl } from './helpers.ts';
import { waitForEstablished } from './install-crds.ts';

/** The Argo CD release. */
export const ARGOCD_MODULE = 'github.com/argoproj/argo-cd/v3@v3.5.8';

const goModDir = (module: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' };
    const go = process.env['GO'] ?? '/usr/local/go/bin/go';
    // Outside any module, so no go.mod of ours can interfere.
    execFile(
      go,
      ['mod', 'download', '-json', module],
      { cwd: '/', env, timeout: 600_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`go mod download ${module} failed: ${err.message}\n${stderr}${stdout}`));
        else resolve((JSON.parse(stdout) as { Dir: string }).Dir);
      },
    );
  });

let installed: Promise<void> | undefined;

/** Installs Argo CD's CRDs (server-side) and waits until they are Established. */
export function installArgoCdCrds(): Promise<void> {
  installed ??= (async () => {
    const dir = join(await goModDir(ARGOCD_MODULE), 'manifests/crds');
    await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=kelos-tests', '-k', dir]);
    await waitForEstablished(['applications.argoproj.io', 'applicationsets.argoproj.io']);
  })();
  return installed;
}
