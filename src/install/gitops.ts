/**
 * What Argo CD uses to track the objects it manages, and the rule that keeps Tasks created
 * at run time out of it: a spawner builds each Task's metadata from its task template only,
 * without these keys, and never from the TaskSpawner's own metadata (which Argo CD stamps).
 * A Task carrying them would be listed under the Application, reported out of sync and
 * pruned (argo-cd#5792). The spawner runtime calls {@link withoutGitOpsTracking}.
 *
 * @packageDocumentation
 */

/** Argo CD's tracking annotation (the default, `annotation` tracking). */
export const ARGOCD_TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';

/** Argo CD's label in `label` tracking mode. */
export const ARGOCD_INSTANCE_LABEL = 'app.kubernetes.io/instance';

/** Prefix of every Argo CD annotation (sync waves, sync and compare options, tracking). */
export const ARGOCD_ANNOTATION_PREFIX = 'argocd.argoproj.io/';

/** Whether a label or annotation key belongs to Argo CD's bookkeeping. */
export const isGitOpsTrackingKey = (key: string): boolean =>
  key === ARGOCD_INSTANCE_LABEL || key.startsWith(ARGOCD_ANNOTATION_PREFIX);

const strip = (map: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined => {
  if (!map) return undefined;
  const kept = Object.entries(map).filter(([k]) => !isGitOpsTrackingKey(k));
  return kept.length ? Object.fromEntries(kept) : undefined;
};

/** Labels and annotations without Argo CD's tracking keys (a copy; empty maps are dropped). */
export const withoutGitOpsTracking = <
  M extends { labels?: Record<string, string>; annotations?: Record<string, string> },
>(
  metadata: M,
): M => {
  const { labels, annotations, ...rest } = metadata;
  const l = strip(labels);
  const a = strip(annotations);
  return { ...rest, ...(l && { labels: l }), ...(a && { annotations: a }) } as M;
};
