/**
 * The operator's Namespace, labelled for the `restricted` Pod Security Standard, which the
 * operator's Pods meet.
 *
 * @packageDocumentation
 */
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { clusterScoped, InstallWaves, installMetadata } from './metadata.ts';
import type { ResolvedInstallProps } from './props.ts';

/** Builds the Namespace into `scope`. */
export const operatorNamespace = (scope: Construct, props: ResolvedInstallProps): kplus.Namespace => {
  const ns = new kplus.Namespace(scope, 'namespace', {
    metadata: installMetadata(props.namespace, props.syncWaves ? InstallWaves.rbac : undefined),
  });
  ns.metadata.addLabel('pod-security.kubernetes.io/enforce', 'restricted');
  clusterScoped(scope, ApiObject.of(ns));
  return ns;
};
