/**
 * The operator install, on cdk8s-plus-28: Namespace, ServiceAccount and least-privilege
 * RBAC (from the table in `src/install/rbac.ts`), the ClusterRoles aggregated into the
 * built-in `edit` and `view` for developers (`src/install/user-roles.ts`), the Deployment, its Services,
 * PodDisruptionBudget and NetworkPolicy, and an optional ServiceMonitor/PodMonitor.
 * `kelos synth` renders the default install into `dist/install/`.
 *
 * @packageDocumentation
 */
import { ApiObject } from 'cdk8s';
import type * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Labels } from '../../src/api/group.ts';
import { VERSION_LABEL } from '../../src/api/version.ts';
import { INSTALL_MANAGED_BY } from '../../src/install/index.ts';
import { longFlags, ownedFlags, ownedFlagsMessage } from '../../src/install/owned-flags.ts';
import { operatorArgs, operatorDeployment } from './deployment.ts';
import { operatorDisruptionBudget } from './disruption-budget.ts';
import { operatorMonitor } from './monitoring.ts';
import { operatorNamespace } from './namespace.ts';
import { operatorNetworkPolicy } from './network-policy.ts';
import { type KelosInstallProps, type ResolvedInstallProps, resolveInstallProps } from './props.ts';
import { OperatorRbac } from './rbac.ts';
import { operatorServices } from './services.ts';
import { userRoles } from './user-roles.ts';

export { OPERATOR_UID, operatorArgs } from './deployment.ts';
export { InstallWaves, SYNC_WAVE } from './metadata.ts';
export type { KelosInstallProps, MetricsPeer, MonitorKind } from './props.ts';
export { resolveInstallProps } from './props.ts';
export { OperatorRbac } from './rbac.ts';
export type { InstallScheduling, InstallSchedulingProps } from './scheduling.ts';
export { serviceNames } from './services.ts';

/** The whole operator install. */
export class KelosInstall extends Construct {
  readonly settings: ResolvedInstallProps;
  readonly deployment: kplus.Deployment;
  readonly serviceAccount: kplus.ServiceAccount;

  constructor(scope: Construct, id: string, props: KelosInstallProps = {}) {
    super(scope, id);
    this.settings = resolveInstallProps(props);
    // What kelos install refuses in its values, refused here too: synth renders dist/install.
    const own = ownedFlags(operatorArgs({ ...this.settings, extraArgs: [] }).slice(1));
    const owned = [...new Set(longFlags(this.settings.extraArgs))].filter((f) => own.has(f));
    if (owned.length > 0)
      throw new Error(`KelosInstall: extraArgs: ${ownedFlagsMessage(owned)} (values: extraArgs)`);
    if (this.settings.createNamespace) operatorNamespace(this, this.settings);
    this.serviceAccount = new OperatorRbac(this, 'rbac', this.settings).serviceAccount;
    userRoles(this, this.settings);
    this.deployment = operatorDeployment(this, this.settings, this.serviceAccount);
    operatorServices(this, this.settings);
    operatorDisruptionBudget(this, this.settings);
    operatorNetworkPolicy(this, this.settings);
    operatorMonitor(this, this.settings);
    // Every object says which Kelos version it belongs to (`kelos version` reads it back), what
    // renders it and, but the Namespace, which part it is: the operator's unless it says
    // otherwise (the webhook Service, the metrics scraping objects).
    for (const child of this.node.findAll()) {
      if (!(child instanceof ApiObject)) continue;
      child.metadata.addLabel(VERSION_LABEL, this.settings.version);
      child.metadata.addLabel(Labels.ManagedBy, INSTALL_MANAGED_BY);
      if (child.kind !== 'Namespace' && child.metadata.getLabel(Labels.Component) === undefined) {
        child.metadata.addLabel(Labels.Component, 'operator');
      }
    }
  }
}
