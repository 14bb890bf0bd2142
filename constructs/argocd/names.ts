/**
 * Names the Argo CD objects use.
 *
 * @packageDocumentation
 */

/** Namespace Argo CD runs in. */
export const ARGOCD_NAMESPACE = 'argocd';

/** The operator's server-side-apply field manager (`src/operator/resources.ts`). */
export const FIELD_MANAGER_OPERATOR = 'kelos-operator';

/** Argo CD annotations. */
export const ArgoAnnotations = {
  syncWave: 'argocd.argoproj.io/sync-wave',
  syncOptions: 'argocd.argoproj.io/sync-options',
  compareOptions: 'argocd.argoproj.io/compare-options',
  trackingId: 'argocd.argoproj.io/tracking-id',
} as const;

/** Argo CD's label in label tracking mode. */
export const ARGOCD_INSTANCE_LABEL = 'app.kubernetes.io/instance';
