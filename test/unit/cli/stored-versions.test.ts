import { describe, expect, it } from 'vitest';
import { storedVersionsMessage, unservedStoredVersions } from '../../../src/cli/cluster/stored-versions.ts';

const crd = (storedVersions: string[], storage = 'v1alpha2') => ({
  metadata: { name: 'workspaces.kelos.dev' },
  spec: {
    versions: ['v1alpha1', 'v1alpha2'].map((name) => ({ name, served: true, storage: name === storage })),
  },
  status: { storedVersions },
});
const next = { metadata: { name: 'workspaces.kelos.dev' }, spec: { versions: [{ name: 'v1alpha2' }] } };

describe('CRDs that stored a version this Kelos does not serve', () => {
  it('are none when storedVersions holds only served versions', () => {
    expect(unservedStoredVersions(crd(['v1alpha2']), next)).toBeUndefined();
  });

  it('with no object left, only the status patch is printed, and no rewrite is spoken of', () => {
    const problem = unservedStoredVersions(crd(['v1alpha1', 'v1alpha2']), next);
    expect(problem).toEqual({
      name: 'workspaces.kelos.dev',
      unserved: ['v1alpha1'],
      keep: ['v1alpha2'],
      storage: 'v1alpha2',
      storageServed: true,
    });
    expect(storedVersionsMessage([problem!], new Set())).toBe(
      `crd/workspaces.kelos.dev lists v1alpha1 in status.storedVersions (objects were stored at v1alpha1), a version this Kelos does not serve: the API server refuses that CRD until v1alpha1 is dropped from storedVersions. No object of that kind is left, so drop v1alpha1 from storedVersions: kubectl patch crd workspaces.kelos.dev --subresource=status --type=merge -p '{"status":{"storedVersions":["v1alpha2"]}}'; then install again`,
    );
  });
});
