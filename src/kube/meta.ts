/**
 * The object metadata every Kubernetes object carries, as far as a controller needs it
 * (metav1.ObjectMeta, metav1.OwnerReference). This is the machinery layer's own vocabulary,
 * like `k8s.io/apimachinery`: the Kelos kinds in `src/api` build on it, never the reverse.
 *
 * @packageDocumentation
 */

/** The subset of metav1.ObjectMeta that controllers read and write. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

/** metav1.OwnerReference. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Any Kubernetes object, as far as a controller needs to know. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}
