/**
 * The operator's Services: `kelos-operator-metrics` for Prometheus and `kelos-webhooks`
 * for webhook deliveries (GitHub, Linear, generic). Every replica serves webhooks (no leader
 * needed), so the webhook Service selects all of them; its target port is the receiver's
 * (`kelos operator --webhook-addr :8443`, which the Deployment passes), plain HTTP
 * (`appProtocol: http`): TLS ends at the user's Ingress or Gateway.
 *
 * @packageDocumentation
 */
import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { Labels } from '../../src/api/group.ts';
import { Ports, SELECTOR_LABELS } from '../../src/install/index.ts';
import { InstallWaves, installMetadata } from './metadata.ts';
import type { ResolvedInstallProps } from './props.ts';

/** Names of the Services. */
export const serviceNames = (props: ResolvedInstallProps) => ({
  metrics: `${props.name}-metrics`,
  webhooks: 'kelos-webhooks',
});

/**
 * Selects the operator's Pods by the explicit labels. Not `selector: deployment`: that
 * selects on the path-derived `cdk8s.io/metadata.addr` label.
 */
const selectOperator = (service: kplus.Service): void => {
  for (const [k, v] of Object.entries(SELECTOR_LABELS)) service.selectLabel(k, v);
};

/** Builds both Services into `scope`, selecting the Deployment's Pods. */
export const operatorServices = (
  scope: Construct,
  props: ResolvedInstallProps,
): { metrics: kplus.Service; webhooks: kplus.Service } => {
  const wave = props.syncWaves ? InstallWaves.operator : undefined;
  const names = serviceNames(props);
  const metrics = new kplus.Service(scope, 'metrics-service', {
    metadata: installMetadata(names.metrics, wave, props.namespace),
    type: kplus.ServiceType.CLUSTER_IP,
    ports: [{ name: 'metrics', port: Ports.metrics, targetPort: Ports.metrics }],
  });
  selectOperator(metrics);
  metrics.metadata.addLabel(Labels.Component, 'operator');
  const webhooks = new kplus.Service(scope, 'webhooks-service', {
    metadata: installMetadata(names.webhooks, wave, props.namespace),
    type: kplus.ServiceType.CLUSTER_IP,
    ports: [{ name: 'webhooks', port: 443, targetPort: Ports.webhooks }],
  });
  selectOperator(webhooks);
  // Not `operator`: the ServiceMonitor selects Services by name and component, and this one
  // has no metrics port.
  webhooks.metadata.addLabel(Labels.Component, 'webhooks');
  // The receiver speaks plain HTTP: without this, meshes, GKE Ingress and Gateways take port
  // 443 for TLS and misroute it. The port stays 443, where users' Ingress rules already point.
  // cdk8s-plus's ServicePort has no appProtocol, hence the patch.
  ApiObject.of(webhooks).addJsonPatch(JsonPatch.add('/spec/ports/0/appProtocol', 'http'));
  return { metrics, webhooks };
};
