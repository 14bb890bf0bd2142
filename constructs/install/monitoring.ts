/**
 * An optional ServiceMonitor or PodMonitor (Prometheus Operator, `monitoring.coreos.com/v1`)
 * for the operator's `/metrics`. Off by default: the CRDs exist only where the Prometheus
 * Operator is installed, and applying the install elsewhere must not fail.
 *
 * `/metrics` answers only users RBAC lets `get` it (`--metrics-auth kubernetes`), so the
 * monitor sends a bearer token. The ServiceMonitor sends Prometheus' own ServiceAccount token
 * (bind the ClusterRole `kelos-metrics-reader`, rbac.ts, to that ServiceAccount). The
 * PodMonitor, which cannot name a token file, sends the key `token` of the Secret
 * {@link METRICS_TOKEN_SECRET}, which the admin creates with a token of a ServiceAccount bound
 * to that ClusterRole.
 *
 * @packageDocumentation
 */
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { SELECTOR_LABELS } from '../../src/install/index.ts';
import { InstallWaves, installMetadata } from './metadata.ts';
import type { ResolvedInstallProps } from './props.ts';

/** The Secret whose `token` the PodMonitor sends; the admin creates it (see the module comment). */
export const METRICS_TOKEN_SECRET = 'kelos-metrics-token';

/** Builds the monitor `props.monitor` asks for, or nothing. */
export const operatorMonitor = (scope: Construct, props: ResolvedInstallProps): ApiObject | undefined => {
  if (props.monitor === 'none') return undefined;
  const endpoint = { port: 'metrics', path: '/metrics', interval: '30s' };
  const serviceAccountToken = '/var/run/secrets/kubernetes.io/serviceaccount/token';
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
          endpoints: [{ ...endpoint, bearerTokenFile: serviceAccountToken }],
        },
      })
    : new ApiObject(scope, 'monitor', {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PodMonitor',
        metadata,
        spec: {
          selector: { matchLabels: { ...SELECTOR_LABELS } },
          podMetricsEndpoints: [
            {
              ...endpoint,
              authorization: { type: 'Bearer', credentials: { name: METRICS_TOKEN_SECRET, key: 'token' } },
            },
          ],
        },
      });
};
