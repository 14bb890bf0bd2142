/**
 * The operator Deployment: replicas that elect a leader through a Lease in the operator's
 * namespace, probes on `/healthz` and `/readyz`, the restricted Pod Security profile, a
 * read-only root filesystem with an `emptyDir` at `/tmp`.
 *
 * The selector is written explicitly (`select: false`): cdk8s-plus would otherwise select on
 * `cdk8s.io/metadata.addr`, derived from the construct path, and a Deployment's selector is
 * immutable, so renaming a construct would make the next sync fail.
 *
 * @packageDocumentation
 */
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { AGENT_TYPES, Labels } from '../../src/api/group.ts';
import { VERSION_LABEL } from '../../src/api/version.ts';
import {
  agentBaseImage,
  DEFAULT_IMAGE_PREFIX,
  INSTALL_LABELS,
  INSTALL_MANAGED_BY,
  LEASE_NAME,
  namespaceListFlag,
  operatorImage,
  Ports,
  SELECTOR_LABELS,
} from '../../src/install/index.ts';
import { InstallWaves, installMetadata } from './metadata.ts';
import { METRICS_CERT_PATH, type ResolvedInstallProps } from './props.ts';

/** `cdk8s.io/metadata.addr`, escaped for a JSON pointer. */
const PATH_LABEL = 'cdk8s.io~1metadata.addr';

/** UID and GID of the operator image's user (distroless `nonroot`). */

/** The optional Secret with the cluster's Slack app tokens, mounted as the operator's environment. */
export const SLACK_SECRET = 'kelos-slack';

/**
 * The optional Secret whose `LINEAR_API_KEY` lets the receiver fetch a Linear Comment's issue
 * labels (upstream's chart: `webhookServer.sources.linear.apiKeySecretName`).
 */
export const LINEAR_SECRET = 'kelos-linear';

export const OPERATOR_UID = 65532;

/** `kelos operator` flags of the install. */
export const operatorArgs = (props: ResolvedInstallProps): string[] => {
  const prefix = props.imagePrefix.replace(/\/+$/, '');
  return [
    'operator',
    '--leader-elect',
    `--lease-name=${LEASE_NAME}`,
    `--lease-namespace=${props.namespace}`,
    `--metrics-addr=:${Ports.metrics}`,
    // Reachable in the cluster, so only for users RBAC allows to get /metrics (METRICS_READER),
    // and over TLS: the scraper's bearer token must not cross the Pod network in clear text.
    '--metrics-auth=kubernetes',
    props.metricsCertSecret ? `--metrics-cert-path=${METRICS_CERT_PATH}` : '--metrics-secure',
    `--health-addr=:${Ports.health}`,
    `--webhook-addr=:${Ports.webhooks}`,
    `--image-tag=${props.imageTag}`,
    // The agent images come from the same registry as the operator's; the operator's default is ours.
    ...(prefix !== DEFAULT_IMAGE_PREFIX ? [`--image-repository=${prefix}`] : []),
    ...(props.agentBaseDigest
      ? [`--agent-base-image=${agentBaseImage(props.imagePrefix, props.imageTag, props.agentBaseDigest)}`]
      : []),
    ...AGENT_TYPES.flatMap((type) => {
      const image = props.agentImages[type];
      return image ? [`--agent-image-${type}=${image}`] : [];
    }),
    ...(props.watchNamespaces ? [namespaceListFlag(props.watchNamespaces)] : []),
    ...(props.defaultActiveDeadline ? [`--default-active-deadline=${props.defaultActiveDeadline}`] : []),
    ...props.extraArgs,
  ];
};

/** Builds the operator Deployment into `scope`. */
export const operatorDeployment = (
  scope: Construct,
  props: ResolvedInstallProps,
  serviceAccount: kplus.IServiceAccount,
): kplus.Deployment => {
  const wave = props.syncWaves ? InstallWaves.operator : undefined;
  const deployment = new kplus.Deployment(scope, 'deployment', {
    metadata: installMetadata(props.name, wave, props.namespace),
    replicas: props.replicas,
    select: false,
    // The version on the Pods too: during a rollout `kubectl get pods -L app.kubernetes.io/version`
    // tells the old ReplicaSet's Pods from the new (not in the selector, which cannot change).
    podMetadata: {
      labels: {
        ...SELECTOR_LABELS,
        ...INSTALL_LABELS,
        [VERSION_LABEL]: props.version,
        [Labels.ManagedBy]: INSTALL_MANAGED_BY,
      },
    },
    serviceAccount,
    automountServiceAccountToken: true,
    strategy: kplus.DeploymentStrategy.rollingUpdate({
      maxSurge: kplus.PercentOrAbsolute.absolute(1),
      maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
    }),
    securityContext: {
      ensureNonRoot: true,
      user: OPERATOR_UID,
      group: OPERATOR_UID,
      fsGroup: OPERATOR_UID,
    },
    containers: [
      {
        name: 'operator',
        image: operatorImage(props.imagePrefix, props.imageTag, props.imageDigest),
        // The image's entrypoint is `node <V8 flags> lib/src/cli/main.js`; these are its args.
        args: operatorArgs(props),
        ports: [
          { name: 'metrics', number: Ports.metrics },
          { name: 'health', number: Ports.health },
          { name: 'webhooks', number: Ports.webhooks },
        ],
        envVariables: {
          POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
          // Optional: the Pod starts without the Secret, and Linear label filters on Comments
          // are then refused as `invalid`.
          LINEAR_API_KEY: kplus.EnvValue.fromSecretValue(
            {
              secret: kplus.Secret.fromSecretName(scope, 'linear-secret', LINEAR_SECRET),
              key: 'LINEAR_API_KEY',
            },
            { optional: true },
          ),
        },
        liveness: kplus.Probe.fromHttpGet('/healthz', {
          port: Ports.health,
          initialDelaySeconds: Duration.seconds(5),
          periodSeconds: Duration.seconds(10),
          failureThreshold: 3,
        }),
        readiness: kplus.Probe.fromHttpGet('/readyz', {
          port: Ports.health,
          periodSeconds: Duration.seconds(5),
          failureThreshold: 3,
        }),
        resources: {
          cpu: { request: kplus.Cpu.millis(props.cpuRequestMillis) },
          memory: {
            request: Size.mebibytes(props.memoryRequestMiB),
            limit: Size.mebibytes(props.memoryLimitMiB),
          },
        },
        securityContext: {
          ensureNonRoot: true,
          user: OPERATOR_UID,
          group: OPERATOR_UID,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          privileged: false,
          capabilities: { drop: [kplus.Capability.ALL] },
          seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
        },
        volumeMounts: [
          {
            path: '/tmp',
            volume: kplus.Volume.fromEmptyDir(scope, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(64) }),
          },
          ...(props.metricsCertSecret
            ? [
                {
                  path: METRICS_CERT_PATH,
                  readOnly: true,
                  volume: kplus.Volume.fromSecret(
                    scope,
                    'metrics-tls',
                    kplus.Secret.fromSecretName(scope, 'metrics-tls-secret', props.metricsCertSecret),
                    { name: 'metrics-tls' },
                  ),
                },
              ]
            : []),
        ],
      },
    ],
  });
  deployment.select(kplus.LabelSelector.of({ labels: { ...SELECTOR_LABELS } }));
  // cdk8s-plus labels the Pods with their construct path even with `select: false`; nothing
  // selects on it, and a label that changes when a construct is renamed restarts every Pod.
  ApiObject.of(deployment).addJsonPatch(JsonPatch.remove(`/spec/template/metadata/labels/${PATH_LABEL}`));
  // Replicas on different nodes where there are several, so one node's loss leaves a receiver
  // and a standby leader running; ScheduleAnyway keeps a one-node cluster installable.
  ApiObject.of(deployment).addJsonPatch(
    JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { ...SELECTOR_LABELS } },
      },
    ]),
  );
  // Slack's tokens (SLACK_APP_TOKEN, SLACK_BOT_TOKEN) from the Secret `kelos-slack`, when the
  // admin creates one; `optional` keeps the Pod starting without it. cdk8s-plus's EnvFrom has
  // no `optional`, hence the patch.
  ApiObject.of(deployment).addJsonPatch(
    JsonPatch.add('/spec/template/spec/containers/0/envFrom', [
      { secretRef: { name: SLACK_SECRET, optional: true } },
    ]),
  );
  // As written by the user, so they read in the Deployment as in their values: cdk8s-plus
  // models these one call per term and takes one pull secret.
  for (const [field, value] of Object.entries(props.scheduling)) {
    ApiObject.of(deployment).addJsonPatch(JsonPatch.add(`/spec/template/spec/${field}`, value));
  }
  return deployment;
};
