/**
 * The operator's identity and permissions, rendered from the one table in
 * `src/install/rbac.ts` (which the operator checks its own requests against):
 *
 * - cluster-wide: a ClusterRole with the `watched` rules, bound cluster-wide;
 * - namespaced: a Role with the same rules in each watched namespace only, bound there;
 * - either way, the ClusterRole {@link METRICS_READER} (get `/metrics`) for the cluster admin
 *   to bind to a scraper, a Role with the `own` rules (the leader-election Lease) in the operator's
 *   namespace: no mode grants Leases anywhere else; and a Role with the `apiserver` rules (the
 *   `kubernetes` Service's EndpointSlice) in `default`.
 *
 * @packageDocumentation
 */
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Labels } from '../../src/api/group.ts';
import {
  API_SERVER_NAMESPACE,
  OPERATOR_RBAC_RULES,
  type OperatorRbacRule,
  type RbacScope,
} from '../../src/install/index.ts';
import { clusterScoped, InstallWaves, installMetadata, withoutEmptyResourceNames } from './metadata.ts';
import type { ResolvedInstallProps } from './props.ts';

/**
 * The ClusterRole a scraper needs to read the operator's `/metrics`, which the operator checks
 * with a SubjectAccessReview (`--metrics-auth kubernetes`).
 */
export const METRICS_READER = 'kelos-metrics-reader';

/** One object of a resource type, as a Role (an `IApiResource`) and a ClusterRole (an `IApiEndpoint`) take it. */
const named = (resource: Required<kplus.IApiResource>): kplus.IApiResource & kplus.IApiEndpoint => ({
  ...resource,
  asApiResource: () => resource,
  asNonApiResource: () => undefined,
});

/**
 * Every (verb list, resource) pair of a scope, as cdk8s-plus takes them; a rule with
 * `resourceNames` as one endpoint per name (cdk8s-plus renders each into the rule's list).
 */
const grantsOf = (scope: RbacScope, rules: readonly OperatorRbacRule[]) =>
  rules
    .filter((r) => r.scope === scope)
    .flatMap((r) =>
      r.apiGroups.flatMap((apiGroup) =>
        r.resources.flatMap((resourceType) =>
          (r.resourceNames ?? [undefined]).map((resourceName) => ({
            verbs: [...r.verbs],
            resource:
              resourceName === undefined
                ? kplus.ApiResource.custom({ apiGroup, resourceType })
                : named({ apiGroup, resourceType, resourceName }),
          })),
        ),
      ),
    );

/** The ServiceAccount, roles and bindings of the operator. */
export class OperatorRbac extends Construct {
  readonly serviceAccount: kplus.ServiceAccount;

  constructor(scope: Construct, id: string, props: ResolvedInstallProps, rules = OPERATOR_RBAC_RULES) {
    super(scope, id);
    const wave = props.syncWaves ? InstallWaves.rbac : undefined;
    this.serviceAccount = new kplus.ServiceAccount(this, 'service-account', {
      metadata: installMetadata(props.name, wave, props.namespace),
      // The operator mounts a token explicitly in its Pod spec; nothing else should.
      automountToken: false,
    });

    const watched = grantsOf('watched', rules);
    const cluster = grantsOf('cluster', rules);
    if (props.watchNamespaces === undefined) {
      watched.push(...cluster);
      const role = new kplus.ClusterRole(this, 'cluster-role', {
        metadata: installMetadata(props.name, wave),
      });
      for (const g of watched) role.allow(g.verbs, g.resource);
      // Not role.bind(): its binding is named after the construct path; ours is stable.
      const binding = new kplus.ClusterRoleBinding(this, 'cluster-role-binding', {
        metadata: installMetadata(props.name, wave),
        role,
      });
      binding.addSubjects(this.serviceAccount);
      const roleObject = ApiObject.of(role);
      withoutEmptyResourceNames(roleObject, watched.length);
      clusterScoped(this, roleObject);
      clusterScoped(this, ApiObject.of(binding));
    } else {
      for (const ns of props.watchNamespaces) this.#role(`role-${ns}`, ns, watched, props, wave);
      // Cluster-scoped kinds (the admin's KelosConfig) can only be granted by a ClusterRole.
      const role = new kplus.ClusterRole(this, 'cluster-scoped-role', {
        metadata: installMetadata(`${props.name}-cluster-scoped`, wave),
      });
      for (const g of cluster) role.allow(g.verbs, g.resource);
      const binding = new kplus.ClusterRoleBinding(this, 'cluster-scoped-role-binding', {
        metadata: installMetadata(`${props.name}-cluster-scoped`, wave),
        role,
      });
      binding.addSubjects(this.serviceAccount);
      withoutEmptyResourceNames(ApiObject.of(role), cluster.length);
      clusterScoped(this, ApiObject.of(role));
      clusterScoped(this, ApiObject.of(binding));
    }
    // The `kubernetes` Service's EndpointSlice lives in `default`; no mode grants more there.
    this.#role(
      'apiserver-endpoints',
      API_SERVER_NAMESPACE,
      grantsOf('apiserver', rules),
      props,
      wave,
      `${props.name}-apiserver-endpoints`,
    );
    // The cluster admin binds it to Prometheus' ServiceAccount; a PodMonitor install binds its
    // own scraper to it (monitoring.ts).
    const reader = new kplus.k8s.KubeClusterRole(this, 'metrics-reader', {
      metadata: installMetadata(METRICS_READER, wave),
      rules: [{ nonResourceUrLs: ['/metrics'], verbs: ['get'] }],
    });
    reader.metadata.addLabel(Labels.Component, 'metrics');
    clusterScoped(this, reader);
    this.#role(
      'leader-election',
      props.namespace,
      grantsOf('own', rules),
      props,
      wave,
      `${props.name}-leader-election`,
    );
  }

  #role(
    id: string,
    namespace: string,
    grants: ReturnType<typeof grantsOf>,
    props: ResolvedInstallProps,
    wave: number | undefined,
    name = props.name,
  ): void {
    const role = new kplus.Role(this, id, { metadata: installMetadata(name, wave, namespace) });
    for (const g of grants) role.allow(g.verbs, g.resource);
    // Not role.bind(): the binding must live in the Role's namespace, not the chart's (cdk8s#2796).
    const binding = new kplus.RoleBinding(this, `${id}-binding`, {
      metadata: installMetadata(name, wave, namespace),
      role,
    });
    binding.addSubjects(this.serviceAccount);
  }
}
