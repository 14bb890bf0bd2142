/**
 * An optional ServiceMonitor or PodMonitor (Prometheus Operator, `monitoring.coreos.com/v1`)
 * for the operator's `/metrics`. Off by default: the CRDs exist only where the Prometheus
 * Operator is installed, and applying the install elsewhere must not fail.
 *
 * @packageDocumentation
 */
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { SELECTOR_LABELS } from '../../src/install/index.ts';
import { InstallWaves, installMetadata } from './metadata.ts';
import type { ResolvedInstallProps } from './props.ts';

/** Builds the monitor `props.monitor` asks for, or nothing. */
export const operatorMonitor = (scope: Construct, props: ResolvedInstallProps): ApiObject | undefined => {
  if (props.monitor === 'none') return undefined;
  const endpoint = { port: 'metrics', path: '/metrics', interval: '30s' };
  const metadata = installMetadata(
    props.name,
    props.syncWaves ? InstallWaves.operator : undefined,
    props.namespace,
  );
  return props.monitor === 'ServiceMonitor'
    ? new ApiObject(scope, 'monitor', {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata,
        spec: {
          selector: {
            matchLabels: { 'app.kubernetes.io/name': 'kelos', 'app.kubernetes.io/component': 'operator' },
          },
          endpoints: [endpoint],
        },
      })
    : new ApiObject(scope, 'monitor', {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PodMonitor',
        metadata,
        spec: { selector: { matchLabels: { ...SELECTOR_LABELS } }, podMetricsEndpoints: [endpoint] },
      });
};
