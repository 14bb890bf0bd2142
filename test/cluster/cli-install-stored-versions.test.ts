import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CRD } from '../../src/cli/cluster/bundle.ts';
import type { ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { kelos } from './cli-helpers.ts';
import type { ControlPlane } from './control-plane.ts';
import { waitFor } from './helpers.ts';
import { useOwnControlPlane } from './own-control-plane.ts';

const run = promisify(execFile);

// A control plane of its own: the CRDs here are an older Kelos's, which other files cannot share.
let cp: ControlPlane;
let admin: HttpKubeClient;
useOwnControlPlane((own) => {
  ({ cp, admin } = own);
});

/** A CRD as an older Kelos served it: every version listed, `storage` the one stored at. */
function legacyCrd(plural: string, kind: string, storage: string): ApiObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.kelos.dev` },
    spec: {
      group: 'kelos.dev',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      scope: 'Namespaced',
      versions: ['v1alpha1', 'v1alpha2'].map((name) => ({
        name,
        served: true,
        storage: name === storage,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      })),
    },
  } as ApiObject;
}

const storedVersions = async (name: string) =>
  ((await admin.get(CRD, undefined, name)) as { status?: { storedVersions?: string[] } } | undefined)?.status
    ?.storedVersions;

const install = () => kelos(['install', '--kubeconfig', cp.kubeconfigPath]);

describe('kelos install over CRDs that stored kelos.dev/v1alpha1', () => {
  it('names them before applying anything, and the commands it prints clear the way', async () => {
    // Tasks stored at v1alpha1 and still stored there; Workspaces once were, with none left.
    await admin.create(CRD, legacyCrd('tasks', 'Task', 'v1alpha1'));
    await admin.create(CRD, legacyCrd('workspaces', 'Workspace', 'v1alpha1'));
    await waitFor('the Task CRD to serve v1alpha1', () =>
      admin.getText('/apis/kelos.dev/v1alpha1/namespaces/default/tasks').then(
        () => true,
        () => false,
      ),
    );
    await admin.create(
      { group: 'kelos.dev', version: 'v1alpha1', plural: 'tasks', kind: 'Task', namespaced: true },
      {
        apiVersion: 'kelos.dev/v1alpha1',
        kind: 'Task',
        metadata: { name: 'old', namespace: 'default' },
        spec: {
          type: 'claude-code',
          prompt: 'hello',
          credentials: { type: 'api-key', secretRef: { name: 'x' } },
        },
      } as ApiObject,
    );

    expect(await storedVersions('workspaces.kelos.dev')).toEqual(['v1alpha1']);
    // Still storing at v1alpha1: a rewrite would store at v1alpha1 again.
    const early = await install();
    expect(early.code).toBe(1);
    expect(early.stderr).toContain(
      'crd/tasks.kelos.dev, crd/workspaces.kelos.dev list v1alpha1 in status.storedVersions',
    );
    expect(early.stderr).toContain(', and they still store new objects at v1alpha1: first upgrade');
    expect(early.stderr).toContain('first upgrade the Kelos that installed those CRDs');
    expect(early.stderr).toMatch(/nothing was applied\n$/);

    // The older Kelos upgraded: it stores at v1alpha2, and storedVersions keeps v1alpha1.
    for (const [plural, kind] of [
      ['tasks', 'Task'],
      ['workspaces', 'Workspace'],
    ] as const) {
      await admin.apply(CRD, legacyCrd(plural, kind, 'v1alpha2'), { force: true });
      expect(await storedVersions(`${plural}.kelos.dev`)).toEqual(['v1alpha1', 'v1alpha2']);
    }
    const refused = await install();
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/nothing was applied\n$/);
    // Nothing of this install reached the cluster: no namespace, no other CRD.
    expect(
      await admin.get(
        { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
        undefined,
        'kelos-system',
      ),
    ).toBeUndefined();
    expect(await admin.get(CRD, undefined, 'agentconfigs.kelos.dev')).toBeUndefined();
    // Only the kind that holds objects is rewritten (`kubectl replace` of an empty list fails).
    const steps = /run it again\): (.*); then install again/.exec(refused.stderr)?.[1]?.split('; ');
    expect(steps).toEqual([
      `kubectl get tasks.kelos.dev -A -o json | kubectl replace -f - && kubectl patch crd tasks.kelos.dev --subresource=status --type=merge -p '{"status":{"storedVersions":["v1alpha2"]}}'`,
      `kubectl patch crd workspaces.kelos.dev --subresource=status --type=merge -p '{"status":{"storedVersions":["v1alpha2"]}}'`,
    ]);

    for (const step of steps ?? [])
      await run('sh', ['-c', step], {
        env: { ...process.env, KUBECONFIG: cp.kubeconfigPath },
        timeout: 60_000,
      });
    const installed = await install();
    expect(installed.stderr).toBe('');
    expect(installed.code).toBe(0);
    expect(await storedVersions('tasks.kelos.dev')).toEqual(['v1alpha2']);
    // The Task written back is still there, served at v1alpha2.
    expect(
      JSON.parse(await admin.getText('/apis/kelos.dev/v1alpha2/namespaces/default/tasks/old')).metadata.name,
    ).toBe('old');
  }, 120_000);
});
