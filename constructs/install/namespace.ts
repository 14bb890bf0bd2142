/**
 * The operator's Namespace, labelled for the `restricted` Pod Security Standard, which the
 * operator's Pods meet. Rendered for Argo CD (sync waves on), Argo CD never prunes or deletes it
 * (`Prune=false,Delete=false`), as an app's `AppNamespace`: it holds Secrets made outside git
 * (the webhook and Slack secrets, `kelos-linear`), which pruning the namespace after a rename, or
 * deleting the install's Application, would delete with it.
 *
 * @packageDocumentation
 */
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { ArgoAnnotations } from '../argocd/names.ts';
import { clusterScoped, InstallWaves, installMetadata } from './metadata.ts';
import type { ResolvedInstallProps } from './props.ts';

/** Builds the Namespace into `scope`. */
export const operatorNamespace = (scope: Construct, props: ResolvedInstallProps): kplus.Namespace => {
  const metadata = installMetadata(props.namespace, props.syncWaves ? InstallWaves.rbac : undefined);
  const ns = new kplus.Namespace(scope, 'namespace', {
    metadata: props.syncWaves
      ? {
          ...metadata,
          annotations: { ...metadata.annotations, [ArgoAnnotations.syncOptions]: 'Prune=false,Delete=false' },
        }
      : metadata,
  });
  ns.metadata.addLabel('pod-security.kubernetes.io/enforce', 'restricted');
  clusterScoped(scope, ApiObject.of(ns));
  return ns;
};
