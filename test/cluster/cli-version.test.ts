/**
 * `kelos version` against CRDs of another version than the CLI's, on a real API server: the
 * 0.1.0 CRDs (no `kelos.dev/version` annotation, as upstream's have none either), then CRDs
 * annotated with an older version, then with the CLI's own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { VERSION_ANNOTATION } from '../../src/api/version.ts';
import { CRD } from '../../src/cli/cluster/bundle.ts';
import { packageVersion } from '../../src/cli/version.ts';
import type { ApiObject } from '../../src/kube/client.ts';
import { HttpKubeClient } from '../../src/kube/client.ts';
import { loadKubeconfigFile } from '../../src/kube/kubeconfig.ts';
import { kelos } from './cli-helpers.ts';
import { type ControlPlane, startControlPlane } from './control-plane.ts';

const ROOT = join(import.meta.dirname, '../..');

// A control plane of its own: the shared one runs this version's CRDs, which other files need.
let cp: ControlPlane;
let admin: HttpKubeClient;

beforeAll(async () => {
  cp = await startControlPlane();
  admin = new HttpKubeClient(await loadKubeconfigFile(cp.kubeconfigPath));
  // The Tasks CRD of the previous release as it shipped (the one `kelos version` reads).
  const tasks = parseAllDocuments(readFileSync(join(ROOT, 'release/crds/0.1.0.yaml'), 'utf8'))
    .map((d) => d.toJS() as ApiObject)
    .find((crd) => crd.metadata.name === 'tasks.kelos.dev');
  expect(tasks?.metadata.annotations?.[VERSION_ANNOTATION]).toBeUndefined();
  await admin.create(CRD, tasks!);
}, 180_000);
afterAll(async () => {
  admin?.close();
  await cp?.stop();
});

const version = (...args: string[]) => kelos(['version', '--kubeconfig', cp.kubeconfigPath, ...args]);

describe('kelos version with CRDs of another version than the CLI', () => {
  const client = packageVersion();
  const upgrade =
    "upgrade the cluster with `kelos install` (this CLI's version) or, where Argo CD syncs the install, bump kelos-ts in the GitOps repository, `npx kelos synth` and commit dist/";

  it('CRDs without a version annotation (0.1.0, or upstream): unknown for either origin, warned on stderr and in JSON, exit 0', async () => {
    const unversioned =
      'no kelos.dev/version annotation: Kelos-TS 0.1.0 or older, or upstream Kelos, whose CRDs carry none';
    const warning = `version mismatch: client ${client}, CRDs of no known version (${unversioned}); ${upgrade}`;
    const text = await version();
    expect(text.stdout).toContain(`\nCRD Version: unknown (${unversioned})\n`);
    expect(text.stderr).toBe(`warning: ${warning}\n`);
    expect(text.code).toBe(0);

    const json = await version('-o', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      clientVersion: client,
      crdProblem: `unknown (${unversioned})`,
      mismatch: warning,
    });
    expect(json.stderr).toBe(`warning: ${warning}\n`);
    expect(json.code).toBe(0);
  });

  it('CRDs of an older version: warned in text and JSON alike; CRDs of the CLI version: nothing', async () => {
    await admin.mergePatch(CRD, undefined, 'tasks.kelos.dev', {
      metadata: { annotations: { [VERSION_ANNOTATION]: '0.1.5' } },
    });
    const warning = `version mismatch: client ${client}, CRDs 0.1.5; ${upgrade} or use the CLI of the cluster's version (\`npx kelos-ts@<version>\`)`;
    const text = await version();
    expect(text.stdout).toContain('\nCRD Version: 0.1.5\n');
    expect(text.stderr).toBe(`warning: ${warning}\n`);
    const json = await version('-o', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({ crdVersion: '0.1.5', mismatch: warning });
    expect(json.stderr).toBe(`warning: ${warning}\n`);
    expect(json.code).toBe(0);

    await admin.mergePatch(CRD, undefined, 'tasks.kelos.dev', {
      metadata: { annotations: { [VERSION_ANNOTATION]: client } },
    });
    const same = await version('-o', 'json');
    expect(JSON.parse(same.stdout)).not.toHaveProperty('mismatch');
    expect(same.stderr).toBe('');
  });
});
