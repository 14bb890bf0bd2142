/**
 * The aggregated ClusterRoles of `src/install/user-roles.ts` (`kelos-edit`, `kelos-view`),
 * unless `aggregateToDefaultRoles` is off: for clusters whose admins forbid aggregation into
 * the built-in roles and grant the kinds by RBAC of their own.
 *
 * @packageDocumentation
 */
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { Labels } from '../../src/api/group.ts';
import { aggregateLabel, USER_ROLES } from '../../src/install/index.ts';
import { clusterScoped, InstallWaves, installMetadata } from './metadata.ts';
import type { ResolvedInstallProps } from './props.ts';

/** Builds the user roles into `scope` (none with `aggregateToDefaultRoles: false`). */
export const userRoles = (scope: Construct, props: ResolvedInstallProps): void => {
  if (!props.aggregateToDefaultRoles) return;
  for (const role of USER_ROLES) {
    const metadata = installMetadata(role.name, props.syncWaves ? InstallWaves.rbac : undefined);
    for (const to of role.aggregateTo) metadata.labels[aggregateLabel(to)] = 'true';
    // Not the operator's permissions: told apart from them by component.
    metadata.labels[Labels.Component] = 'user-roles';
    const object = new kplus.k8s.KubeClusterRole(scope, role.name, {
      metadata,
      rules: role.rules.map((r) => ({ ...r, apiGroups: [...r.apiGroups], resources: [...r.resources] })),
    });
    clusterScoped(scope, object);
  }
};
