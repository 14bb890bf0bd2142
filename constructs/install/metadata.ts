/**
 * Metadata every install object shares, and the fixes for two cdk8s-plus gaps:
 *
 * - a chart's namespace is stamped onto cluster-scoped objects too (cdk8s-plus#4239,
 *   cdk8s#1558), which the API server rejects for a ClusterRole in a kustomization that sets
 *   a namespace and which misleads readers: {@link clusterScoped} removes it;
 * - `ClusterRole` emits `resourceNames: []` on every rule: {@link withoutEmptyResourceNames}.
 *
 * @packageDocumentation
 */
import { type ApiObject, Chart, JsonPatch } from 'cdk8s';
import type { Construct } from 'constructs';
import { ARGOCD_ANNOTATION_PREFIX, INSTALL_LABELS } from '../../src/install/index.ts';

/** Argo CD's sync-wave annotation. */
export const SYNC_WAVE = `${ARGOCD_ANNOTATION_PREFIX}sync-wave`;

/** Sync waves of the install: CRDs, then RBAC, then the operator. */
export const InstallWaves = { crds: -3, rbac: -2, operator: -1 } as const;

/** Labels and (when enabled) the sync wave of an install object. */
export const installMetadata = (
  name: string,
  wave: number | undefined,
  namespace?: string,
): {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
} => ({
  name,
  ...(namespace !== undefined && { namespace }),
  labels: { ...INSTALL_LABELS },
  ...(wave !== undefined && { annotations: { [SYNC_WAVE]: String(wave) } }),
});

/** Removes the namespace a chart stamps onto a cluster-scoped object. */
export const clusterScoped = (scope: Construct, obj: ApiObject): void => {
  if (Chart.of(scope).namespace !== undefined) obj.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
};

/** Removes the empty `resourceNames` cdk8s-plus writes on each of a ClusterRole's `rules`. */
export const withoutEmptyResourceNames = (obj: ApiObject, ruleCount: number): void => {
  for (let i = 0; i < ruleCount; i++) obj.addJsonPatch(JsonPatch.remove(`/rules/${i}/resourceNames`));
};
