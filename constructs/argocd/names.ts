/**
 * Names the Argo CD objects use.
 *
 * @packageDocumentation
 */

import { ARGOCD_INSTANCE_LABEL, ARGOCD_TRACKING_ANNOTATION } from '../../src/install/index.ts';
import { SYNC_WAVE } from '../install/metadata.ts';

/** Namespace Argo CD runs in. */
export const ARGOCD_NAMESPACE = 'argocd';

/** The operator's server-side-apply field manager (`src/operator/resources.ts`). */
export const FIELD_MANAGER_OPERATOR = 'kelos-operator';

/** Argo CD annotations. */
export const ArgoAnnotations = {
  syncWave: SYNC_WAVE,
  syncOptions: 'argocd.argoproj.io/sync-options',
  compareOptions: 'argocd.argoproj.io/compare-options',
  trackingId: ARGOCD_TRACKING_ANNOTATION,
} as const;

export { ARGOCD_INSTANCE_LABEL };
