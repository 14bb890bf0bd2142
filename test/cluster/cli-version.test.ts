/**
 * `kelos version` against CRDs of another version than the CLI's, on a real API server: the
 * 0.1.0 CRDs (no `kelos.dev/version` annotation, as upstream's have none either), then CRDs
 * annotated with an older version, then with the CLI's own, then CRDs that disagree with one
 * another (a half-applied upgrade).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { VERSION_ANNOTATION } from '../../src/api/version.ts';
import { CRD } from '../../src/cli/cluster/bundle.ts';
import { packageVersion } from '../../src/cli/version.ts';
import { generateCrds } from '../../src/crd/generate.ts';
import type { ApiObject } from '../../src/kube/client.ts';
import { HttpKubeClient } from '../../src/kube/client.ts';
import { loadKubeconfigFile } from '../../src/kube/kubeconfig.ts';
import { kelos } from './cli-helpers.ts';
import { type ControlPlane, startControlPlane } from './control-plane.ts';
import { eventually } from './helpers.ts';

const ROOT = join(import.meta.dirname, '../..');
const NAMES = generateCrds().map((crd) => crd.metadata.name);

// A control plane of its own: the shared one runs this version's CRDs, which other files need.
let cp: ControlPlane;
let admin: HttpKubeClient;

beforeAll(async () => {
  cp = await startControlPlane();
  admin = new HttpKubeClient(await loadKubeconfigFile(cp.kubeconfigPath));
  // The CRDs of the previous release as they shipped (every one of which `kelos version` reads).
  const crds = parseAllDocuments(readFileSync(join(ROOT, 'release/crds/0.1.0.yaml'), 'utf8')).map(
    (d) => d.toJS() as ApiObject,
  );
  expect(crds.map((crd) => crd.metadata.name).sort()).toEqual([...NAMES].sort());
  for (const crd of crds) {
    expect(crd.metadata.annotations?.[VERSION_ANNOTATION]).toBeUndefined();
    await admin.create(CRD, crd);
  }
}, 180_000);
afterAll(async () => {
  admin?.close();
  await cp?.stop();
});

const version = (...args: string[]) => kelos(['version', '--kubeconfig', cp.kubeconfigPath, ...args]);
const annotate = (name: string, v: string) =>
  admin.mergePatch(CRD, undefined, name, { metadata: { annotations: { [VERSION_ANNOTATION]: v } } });

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
    for (const name of NAMES) await annotate(name, '0.1.5');
    const warning = `version mismatch: client ${client}, CRDs 0.1.5; ${upgrade} or use the CLI of the cluster's version (\`npx kelos-ts@<version>\`)`;
    const text = await version();
    expect(text.stdout).toContain('\nCRD Version: 0.1.5\n');
    expect(text.stderr).toBe(`warning: ${warning}\n`);
    const json = await version('-o', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({ crdVersion: '0.1.5', mismatch: warning });
    expect(json.stderr).toBe(`warning: ${warning}\n`);
    expect(json.code).toBe(0);

    for (const name of NAMES) await annotate(name, client);
    const same = await version('-o', 'json');
    expect(JSON.parse(same.stdout)).not.toHaveProperty('mismatch');
    expect(same.stderr).toBe('');
  });

  it('CRDs that disagree with one another (a half-applied upgrade): each version is named with its CRDs, and a missing CRD as not installed', async () => {
    // Every CRD is of the CLI's version (the test before), but two.
    await annotate('tasks.kelos.dev', '0.1.5');
    await admin.delete(CRD, undefined, 'workspaces.kelos.dev');
    await eventually(
      'the Workspace CRD to be gone',
      () => admin.get(CRD, undefined, 'workspaces.kelos.dev'),
      (crd) => crd === undefined,
    );
    const others = NAMES.filter((n) => n !== 'tasks.kelos.dev' && n !== 'workspaces.kelos.dev');
    const mixed = `${client} on ${others.join(', ')}; 0.1.5 on tasks.kelos.dev; not installed: workspaces.kelos.dev`;
    const warning = `version mismatch: client ${client}, CRDs of different versions (${mixed}); ${upgrade}`;
    const text = await version();
    expect(text.stdout).toContain(`\nCRD Version: mixed, a half-applied install or upgrade: ${mixed}\n`);
    expect(text.stderr).toBe(`warning: ${warning}\n`);
    expect(text.code).toBe(0);
    const json = await version('-o', 'json');
    const doc = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ mismatch: warning });
    expect(doc).not.toHaveProperty('crdVersion');
    expect(json.stderr).toBe(`warning: ${warning}\n`);
  });
});
