/**
 * An optional ServiceMonitor or PodMonitor (Prometheus Operator, `monitoring.coreos.com/v1`)
 * for the operator's `/metrics`. Off by default: the CRDs exist only where the Prometheus
 * Operator is installed, and applying the install elsewhere must not fail.
 *
 * `/metrics` answers only users RBAC lets `get` it (`--metrics-auth kubernetes`), so the
 * monitor sends a bearer token. The ServiceMonitor sends Prometheus' own ServiceAccount token
 * (bind the ClusterRole `kelos-metrics-reader`, rbac.ts, to that ServiceAccount). The
 * PodMonitor cannot name a token file, only a Secret in its own namespace, so the install
 * brings the identity it scrapes as: the ServiceAccount {@link METRICS_SCRAPER}, bound to
 * that ClusterRole and to nothing else, and the Secret {@link METRICS_TOKEN_SECRET} of type
 * `kubernetes.io/service-account-token`, whose `token` the API server's token controller
 * fills. The token can read `/metrics` and nothing more. Argo CD compares only the fields the
 * manifest sets, so the filled-in data is no drift.
 *
 * @packageDocumentation
 */
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { Labels } from '../../src/api/group.ts';
import { SELECTOR_LABELS } from '../../src/install/index.ts';
import { clusterScoped, InstallWaves, installMetadata } from './metadata.ts';
import type { ResolvedInstallProps } from './props.ts';
import { METRICS_READER } from './rbac.ts';
import { serviceNames } from './services.ts';

/** The Secret whose `token` the PodMonitor sends (a ServiceAccount token the API server fills). */
export const METRICS_TOKEN_SECRET = 'kelos-metrics-token';

/** The ServiceAccount the PodMonitor scrapes as: bound to {@link METRICS_READER} only. */
export const METRICS_SCRAPER = 'kelos-metrics-scraper';

/** The PodMonitor's identity: its ServiceAccount, the binding to the reader role, its token. */
const scraperIdentity = (scope: Construct, props: ResolvedInstallProps): void => {
  const wave = props.syncWaves ? InstallWaves.rbac : undefined;
  const account = new kplus.k8s.KubeServiceAccount(scope, 'metrics-scraper', {
    metadata: installMetadata(METRICS_SCRAPER, wave, props.namespace),
    automountServiceAccountToken: false,
  });
  const binding = new kplus.k8s.KubeClusterRoleBinding(scope, 'metrics-scraper-binding', {
    // Named after the install, so two installs in one cluster do not share it.
    metadata: installMetadata(`${props.name}-metrics-scraper`, wave),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: METRICS_READER },
    subjects: [{ kind: 'ServiceAccount', name: METRICS_SCRAPER, namespace: props.namespace }],
  });
  clusterScoped(scope, binding);
  const metadata = installMetadata(METRICS_TOKEN_SECRET, wave, props.namespace);
  const token = new ApiObject(scope, 'metrics-token', {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/service-account-token',
    metadata: {
      ...metadata,
      annotations: { ...metadata.annotations, 'kubernetes.io/service-account.name': METRICS_SCRAPER },
    },
  });
  for (const o of [account, binding, token]) o.metadata.addLabel(Labels.Component, 'metrics');
};

/**
 * How the monitor checks the operator's certificate. A mounted one (`metricsCertSecret`) is
 * verified with the `ca.crt` its Secret holds, as cert-manager writes it, for the metrics
 * Service's name, which the certificate must carry. A self-signed one (`--metrics-secure`)
 * cannot be: the scrape then encrypts the token without verifying the server, as
 * controller-runtime's scaffold does.
 */
export const metricsTlsConfig = (props: ResolvedInstallProps): Record<string, unknown> =>
  props.metricsCertSecret
    ? {
        ca: { secret: { name: props.metricsCertSecret, key: 'ca.crt' } },
        serverName: `${serviceNames(props).metrics}.${props.namespace}.svc`,
      }
    : { insecureSkipVerify: true };

/** Builds the monitor `props.monitor` asks for, or nothing. */
export const operatorMonitor = (scope: Construct, props: ResolvedInstallProps): ApiObject | undefined => {
  if (props.monitor === 'none') return undefined;
  const endpoint = {
    port: 'metrics',
    path: '/metrics',
    interval: '30s',
    scheme: 'https',
    tlsConfig: metricsTlsConfig(props),
  };
  const serviceAccountToken = '/var/run/secrets/kubernetes.io/serviceaccount/token';
  const metadata = installMetadata(
    props.name,
    props.syncWaves ? InstallWaves.operator : undefined,
    props.namespace,
  );
  const monitor =
    props.monitor === 'ServiceMonitor'
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
      : podMonitor(scope, props, metadata, endpoint);
  monitor.metadata.addLabel(Labels.Component, 'metrics');
  return monitor;
};

const podMonitor = (
  scope: Construct,
  props: ResolvedInstallProps,
  metadata: ReturnType<typeof installMetadata>,
  endpoint: Record<string, unknown>,
): ApiObject => {
  scraperIdentity(scope, props);
  return new ApiObject(scope, 'monitor', {
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
