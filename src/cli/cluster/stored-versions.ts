/**
 * Whether a cluster's CRDs still hold objects at a version this Kelos does not serve, and what
 * to run first. Upstream served `kelos.dev/v1alpha1` beside v1alpha2 (and stored it, once): a
 * CRD whose `status.storedVersions` names a version missing from the new `spec.versions` is
 * refused by the API server ("must remain in spec.versions until a storage migration …"),
 * part-way through `kelos install`, after the CRDs before it were applied. Named up front
 * instead, with the migration Kubernetes documents (read and write back every object, then
 * drop the version from storedVersions), while the Kelos that serves the old version runs.
 *
 * @packageDocumentation
 */
import type { ApiObject } from '../../kube/client.ts';

/** What {@link unservedStoredVersions} reads of a CRD. */
export interface CrdVersions extends ApiObject {
  spec?: {
    group?: string;
    names?: { plural: string; kind: string };
    scope?: string;
    versions?: ReadonlyArray<{ name: string; served?: boolean; storage?: boolean }>;
  };
  status?: { storedVersions?: readonly string[] };
}

/** A live CRD with objects stored at versions the CRD this CLI applies would not list. */
export interface StoredVersionsProblem {
  /** The CRD's name, e.g. `tasks.kelos.dev`. */
  readonly name: string;
  /** Stored versions the new CRD drops, e.g. `['v1alpha1']`. */
  readonly unserved: readonly string[];
  /** storedVersions once they are gone: what the status patch sets. */
  readonly keep: readonly string[];
  /** The live CRD's storage version, which a rewrite of each object stores it at. */
  readonly storage: string | undefined;
  /** Whether that storage version is one the new CRD serves (else the rewrite migrates nothing). */
  readonly storageServed: boolean;
}

/**
 * The live CRD's stored versions that `next` (the CRD about to be applied) does not list;
 * undefined when there are none.
 */
export function unservedStoredVersions(
  live: CrdVersions,
  next: CrdVersions,
): StoredVersionsProblem | undefined {
  const listed = new Set((next.spec?.versions ?? []).map((v) => v.name));
  const stored = live.status?.storedVersions ?? [];
  const unserved = stored.filter((v) => !listed.has(v));
  if (unserved.length === 0) return undefined;
  const storage = live.spec?.versions?.find((v) => v.storage)?.name;
  return {
    name: live.metadata.name ?? '',
    unserved,
    // The API server adds a CRD's storage version to storedVersions when it becomes one.
    keep: stored.filter((v) => listed.has(v)),
    storage,
    storageServed: storage !== undefined && listed.has(storage),
  };
}

/**
 * The preflight problem for the CRDs in `problems`: what the API server would refuse and the
 * commands that clear it, per CRD. `withObjects` names the CRDs that hold objects (only those
 * need the rewrite; `kubectl replace` of an empty list fails).
 */
export function storedVersionsMessage(
  problems: readonly StoredVersionsProblem[],
  withObjects: ReadonlySet<string>,
): string {
  const versions = [...new Set(problems.flatMap((p) => p.unserved))].join(', ');
  const names = problems.map((p) => `crd/${p.name}`).join(', ');
  const one = problems.length === 1;
  const head = `${names} ${one ? 'lists' : 'list'} ${versions} in status.storedVersions (objects were stored at ${versions}), a version this Kelos does not serve: the API server refuses ${one ? 'that CRD' : 'those CRDs'} until ${versions} is dropped from storedVersions`;
  const oldStorage = problems.filter((p) => !p.storageServed);
  if (oldStorage.length > 0) {
    const storages = new Set(oldStorage.map((p) => p.storage ?? 'no version'));
    const still =
      oldStorage.length === problems.length && storages.size === 1
        ? `${one ? 'it still stores' : 'they still store'} new objects at ${[...storages][0]}`
        : oldStorage
            .map((p) => `crd/${p.name} still stores new objects at ${p.storage ?? 'no version'}`)
            .join(', ');
    return `${head}, and ${still}: first upgrade the Kelos that installed ${oldStorage.length === 1 ? 'that CRD' : 'those CRDs'} to a release whose CRDs store the versions this one serves, then install again`;
  }
  const steps = problems.map((p) => {
    const patch = `kubectl patch crd ${p.name} --subresource=status --type=merge -p '${JSON.stringify({ status: { storedVersions: p.keep } })}'`;
    return withObjects.has(p.name)
      ? `kubectl get ${p.name} -A -o json | kubectl replace -f - && ${patch}`
      : patch;
  });
  if (withObjects.size === 0)
    return `${head}. No object of ${one ? 'that kind' : 'those kinds'} is left, so drop ${versions} from storedVersions: ${steps.join('; ')}; then install again`;
  return `${head}. With the Kelos that serves ${versions} still installed, write every object back, so the API server stores it at the current storage version, then drop ${versions} from storedVersions (a replace refused with a conflict met a concurrent write: run it again): ${steps.join('; ')}; then install again`;
}
