/**
 * The `argocd-cm` keys that install the health checks. Rendered as a ConfigMap holding only
 * those keys and applied server-side (by hand or by the root Application, through the
 * sync option below), so Argo CD's other settings in the same ConfigMap are untouched; it is
 * never pruned or deleted with the Application.
 *
 * @packageDocumentation
 */
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { healthCheckData } from './health.ts';
import { ArgoAnnotations } from './names.ts';
import { SyncWaves } from './sync.ts';

/** The argocd-cm fragment with our health checks. */
export const healthCheckConfigMap = (scope: Construct, namespace: string): ApiObject =>
  new ApiObject(scope, 'argocd-cm', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'argocd-cm',
      namespace,
      labels: { 'app.kubernetes.io/name': 'argocd-cm', 'app.kubernetes.io/part-of': 'argocd' },
      annotations: {
        [ArgoAnnotations.syncWave]: String(SyncWaves.config),
        [ArgoAnnotations.syncOptions]: 'ServerSideApply=true,Prune=false,Delete=false',
      },
    },
    data: healthCheckData(),
  });
