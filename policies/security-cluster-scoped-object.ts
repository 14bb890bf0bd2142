/**
 * security/cluster-scoped-object: an app renders no cluster-scoped object. The scaffold's
 * ApplicationSet and Applications use Argo CD's `default` project, which lets an app directory
 * sync any kind, cluster-scoped included: a ClusterRoleBinding to cluster-admin in one app
 * directory would be synced as readily as a Task. The operator install needs its ClusterRoles
 * and ClusterRoleBindings and the Kelos CRDs, so a bundle that deploys the operator (a
 * Deployment running `kelos operator`), the `kelos.dev` CRDs and what Kelos renders for the
 * cluster (labelled `app.kubernetes.io/managed-by: kelos` and `part-of: kelos`: the install, the
 * admission policies `kelos check --emit-admission-policies` writes) are left alone, as is a
 * Namespace (an app renders its own with `AppNamespace`).
 *
 * Kinds are the built-in cluster-scoped kinds of Kubernetes (by API group) and Kelos's
 * KelosConfig; a custom resource's scope is in its CRD, which the rules do not read.
 *
 * @packageDocumentation
 */
import { CLUSTER_SCOPED_KINDS } from '../src/api/cluster-scoped.ts';
import { GROUP } from '../src/api/group.ts';
import type { KubeObject } from '../src/api/object.ts';
import type { ObjectRule } from '../src/policy/rule.ts';
import { arr, get, isRecord, str } from './lib/access.ts';

/** KelosConfig, Kelos's own cluster-scoped kind, beside the built-in ones. */
const KELOS_CONFIG = {
  group: GROUP,
  why: "it is the cluster's Kelos configuration: admission exemptions and the network isolation of every namespace",
};

/** The kinds this rule reports: a Namespace is an app's own (AppNamespace). */
const REPORTED = [...Object.keys(CLUSTER_SCOPED_KINDS).filter((k) => k !== 'Namespace'), 'KelosConfig'];

/** API group of an apiVersion (`rbac.authorization.k8s.io/v1` → its group, `v1` → `''`). */
const groupOf = (apiVersion: unknown): string | undefined => {
  if (typeof apiVersion !== 'string') return undefined;
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
};

/** Whether `o` is a Deployment whose Pods run `kelos operator` (KelosInstall's operator). */
const runsOperator = (o: KubeObject): boolean =>
  groupOf(o.apiVersion) === 'apps' &&
  arr(get(o, 'spec', 'template', 'spec', 'containers')).some(
    (c) => isRecord(c) && arr(c['args'])[0] === 'operator',
  );

export const clusterScopedObject: ObjectRule = {
  id: 'security/cluster-scoped-object',
  scope: 'object',
  severity: 'warning',
  kinds: REPORTED,
  description:
    'No app renders a cluster-scoped object (ClusterRole, ClusterRoleBinding, CustomResourceDefinition, webhook configurations, PriorityClass, StorageClass, PersistentVolume, KelosConfig, …); a Namespace, the bundle that deploys the operator, the kelos.dev CRDs and what Kelos renders for the cluster (labelled app.kubernetes.io/managed-by: kelos and part-of: kelos) are left alone.',
  rationale:
    "The scaffold's Applications use Argo CD's default project, which syncs any kind an app directory holds: a ClusterRoleBinding to cluster-admin merged into one app would be applied to the cluster as readily as a Task.",
  hint: 'Move the object out of the app into a bundle a cluster admin reviews (or leave it to whoever runs the cluster), or restrict the apps with an Argo CD AppProject whose clusterResourceWhitelist leaves the kind out; if the app must render it, opt out with policy.kelos.dev/ignore and say why.',
  check({ object, bundle }) {
    const scoped =
      object.kind === 'KelosConfig'
        ? KELOS_CONFIG
        : object.kind === 'Namespace'
          ? undefined
          : CLUSTER_SCOPED_KINDS[object.kind];
    if (!scoped || groupOf(object.apiVersion) !== scoped.group) return [];
    // The Kelos CRDs and the install's cluster-wide RBAC are what the operator needs.
    if (object.kind === 'CustomResourceDefinition' && str(get(object, 'spec', 'group')) === GROUP) return [];
    if (bundle.ofKind('Deployment').some(runsOperator)) return [];
    // What Kelos renders for the cluster itself: the install, the admission policies that
    // `kelos check --emit-admission-policies` writes.
    const labels = object.metadata?.labels ?? {};
    if (labels['app.kubernetes.io/managed-by'] === 'kelos' && labels['app.kubernetes.io/part-of'] === 'kelos')
      return [];
    return [
      {
        path: '',
        message: `${object.kind} ${object.metadata?.name ?? ''} is cluster-scoped, and ${scoped.why}: an app's Argo CD Application (project default) syncs it to the whole cluster, not to the app's namespace`,
      },
    ];
  },
};
