/**
 * Settings of the operator install and their defaults.
 *
 * @packageDocumentation
 */
import { AGENT_TYPES, type AgentType } from '../../src/api/group.ts';
import { KELOS_VERSION, versionTag } from '../../src/api/version.ts';
import {
  DEFAULT_IMAGE_PREFIX,
  IMAGE_DIGEST,
  INSTALL_NAMESPACE,
  isNamespaceName,
  NAMESPACE_NAME_RULE,
  namespaceNameProblem,
  OPERATOR_NAME,
} from '../../src/install/index.ts';
import { deadlineSeconds } from '../../src/kube/duration.ts';
import { IMAGE_TAG, isImagePrefix } from '../../src/kube/image-reference.ts';
import { DEFAULT_DNS } from '../../src/render/agent-network-policy.ts';
import {
  isLabelValue,
  isQualifiedName,
  LABEL_VALUE_RULE,
  QUALIFIED_NAME_RULE,
} from '../../src/validate/object-schema.ts';
import {
  type InstallScheduling,
  type InstallSchedulingProps,
  isObjectName,
  resolveScheduling,
} from './scheduling.ts';

/** Where the operator's Pod mounts {@link KelosInstallProps.metricsCertSecret}. */
export const METRICS_CERT_PATH = '/etc/kelos/metrics-tls';

/** Which monitoring object to render for the Prometheus Operator, if any. */
export type MonitorKind = 'none' | 'ServiceMonitor' | 'PodMonitor';

/** Label selectors of the peer allowed to scrape the operator's metrics. */
export interface MetricsPeer {
  /** Namespaces labelled so (e.g. `kubernetes.io/metadata.name: monitoring`). */
  readonly namespaceSelector?: { readonly matchLabels: Readonly<Record<string, string>> };
  /** Pods labelled so (e.g. `app.kubernetes.io/name: prometheus`). */
  readonly podSelector?: { readonly matchLabels: Readonly<Record<string, string>> };
}

/** Settings of {@link KelosInstall}. */
export interface KelosInstallProps extends InstallSchedulingProps {
  /** Namespace of the operator. @default `kelos-system` */
  readonly namespace?: string;
  /** Whether to render the Namespace object. @default true */
  readonly createNamespace?: boolean;
  /**
   * Namespaces the operator watches. Unset: every namespace, with a ClusterRole. Set: a Role
   * (and RoleBinding) in each of them only, so Secrets are readable there and nowhere else,
   * and the operator runs with `--namespace=<the list>`.
   */
  readonly watchNamespaces?: readonly string[];
  /** Registry and repository prefix of the operator image. @default `ghcr.io/kelos-ts` */
  readonly imagePrefix?: string;
  /**
   * Kelos version of the install: the `app.kubernetes.io/version` label of every object and
   * the default image tag (`v<version>`).
   * @default - this package's version
   */
  readonly version?: string;
  /** Tag of the operator image, also passed as `--image-tag` for the bundled agent images. @default `v<version>` */
  readonly imageTag?: string;
  /**
   * Digest (`sha256:…`) of the operator image: the Deployment then runs
   * `<imagePrefix>/kelos-operator@<digest>`, as a release pins it.
   * @default - none (the image is named by its tag)
   */
  readonly imageDigest?: string;
  /**
   * Digest (`sha256:…`) of the agent base image: the operator then runs `--agent-base-image=
   * <imagePrefix>/agent-base@<digest>` for the `skills-install` init container of agent Jobs.
   * @default - none (the operator names `<prefix>/agent-base:<tag>` from its image flags)
   */
  readonly agentBaseDigest?: string;
  /**
   * Default image of each agent type (the operator's `--agent-image-<type>`), e.g. one pinned
   * by digest: `{ 'claude-code': 'registry.example/claude-code@sha256:…' }`. A Task's
   * `spec.worker.image` still wins.
   * @default - `<imagePrefix>/<type>:<imageTag>`, as the operator names them
   */
  readonly agentImages?: Readonly<Partial<Record<AgentType, string>>>;
  /** Operator replicas; they elect a leader through a Lease. @default 2 */
  readonly replicas?: number;
  /** Container resources. */
  readonly resources?: {
    /** @default 100 */
    readonly cpuRequestMillis?: number;
    /** @default 256 */
    readonly memoryRequestMiB?: number;
    /** No CPU limit (throttling slows reconciles); memory is limited. @default 512 */
    readonly memoryLimitMiB?: number;
  };
  /** A ServiceMonitor or PodMonitor for the metrics endpoint. @default `none` */
  readonly monitor?: MonitorKind;
  /**
   * A `kubernetes.io/tls` Secret in the operator's namespace (one a cert-manager Certificate
   * keeps, say) whose certificate `/metrics` serves: mounted read-only at
   * {@link METRICS_CERT_PATH} and read again every minute, so a renewal needs no restart.
   * @default - a self-signed certificate the operator makes at start-up (`--metrics-secure`)
   */
  readonly metricsCertSecret?: string;
  /**
   * `activeDeadlineSeconds` of the Job of a Task that sets no
   * `podOverrides.activeDeadlineSeconds`, as a duration (`6h`, `90m`, a number of seconds):
   * the operator's `--default-active-deadline`, so a hung agent stops running and billing.
   * @default - none, as upstream (an agent runs until it exits)
   */
  readonly defaultActiveDeadline?: string;
  /** Extra `kelos operator` flags. */
  readonly extraArgs?: readonly string[];
  /** The operator's own NetworkPolicy. */
  readonly networkPolicy?: {
    /** Render it; off for clusters whose admins write the operator's policy themselves. @default true */
    readonly enabled?: boolean;
    /**
     * TCP ports the operator may reach besides 443 and 6443: a Jira, GitHub Enterprise or
     * proxy on another port.
     * @default none
     */
    readonly egressPorts?: readonly number[];
    /**
     * Where the cluster DNS runs: the only destination of the operator's port 53 traffic
     * (`kelos install` values: `networkPolicy.dns.namespace` and
     * `networkPolicy.dns.podSelector.matchLabels`).
     * @default `kube-system`, Pods labelled `k8s-app: kube-dns` (as for agent Pods)
     */
    readonly dns?: {
      readonly namespace: string;
      readonly podSelector: { matchLabels: Record<string, string> };
      /**
       * Ports the DNS Pods serve on, as the Pods see them (a NetworkPolicy matches after the
       * Service's port mapping: OpenShift's DNS Pods serve on 5353), each for UDP and TCP
       * (`kelos install` values: `networkPolicy.dns.ports`, which alone keeps the default Pods).
       * @default [53]
       */
      readonly ports?: readonly number[];
    };
    /**
     * Who may scrape `/metrics` (8080): one `from` peer of these selectors, which Kubernetes
     * ANDs (Pods labelled `podSelector` in namespaces labelled `namespaceSelector`). A
     * `podSelector` alone selects those Pods in every namespace, as Prometheus seldom runs in
     * the operator's (`kelos install` values: `networkPolicy.metrics.namespaceSelector.matchLabels`
     * and `networkPolicy.metrics.podSelector.matchLabels`). The probe port 8081 stays open:
     * the kubelet's probes are node traffic, which no Pod or namespace selector matches.
     * @default - from anywhere
     */
    readonly metrics?: MetricsPeer;
  };
  /**
   * The ClusterRoles `kelos-edit` and `kelos-view`, aggregated into Kubernetes' built-in
   * `admin`, `edit` and `view`, so whoever is bound to them in a namespace may work with
   * Tasks, Workspaces, AgentConfigs, TaskSpawners and TaskBudgets there (`kelos install`
   * values: `rbac.aggregateToDefaultRoles`). Off for clusters whose admins forbid aggregation.
   * @default true
   */
  readonly aggregateToDefaultRoles?: boolean;
  /** Argo CD sync-wave annotations (RBAC before the operator). @default true */
  readonly syncWaves?: boolean;
}

/** {@link KelosInstallProps} with every default applied. */
export interface ResolvedInstallProps {
  readonly namespace: string;
  readonly createNamespace: boolean;
  readonly watchNamespaces: readonly string[] | undefined;
  readonly version: string;
  readonly imagePrefix: string;
  readonly imageTag: string;
  readonly imageDigest: string | undefined;
  readonly agentBaseDigest: string | undefined;
  readonly agentImages: Readonly<Partial<Record<AgentType, string>>>;
  readonly replicas: number;
  readonly cpuRequestMillis: number;
  readonly memoryRequestMiB: number;
  readonly memoryLimitMiB: number;
  readonly monitor: MonitorKind;
  readonly metricsCertSecret: string | undefined;
  readonly defaultActiveDeadline: string | undefined;
  readonly extraArgs: readonly string[];
  /** The operator's NetworkPolicy, or undefined when not rendered. */
  readonly networkPolicy:
    | {
        readonly egressPorts: readonly number[];
        readonly dns: {
          readonly namespace: string;
          readonly podSelector: { matchLabels: Record<string, string> };
          readonly ports: readonly number[];
        };
        /** Who may scrape metrics; undefined: anyone. */
        readonly metrics: MetricsPeer | undefined;
      }
    | undefined;
  readonly aggregateToDefaultRoles: boolean;
  readonly syncWaves: boolean;
  /** Pod spec fields set only when a prop sets them. */
  readonly scheduling: InstallScheduling;
  /** Name of the ServiceAccount, Deployment, roles and bindings. */
  readonly name: string;
}

/** Why `labels` (the prop `prop`) are not labels the API server takes, or undefined. */
const labelsProblem = (prop: string, labels: Readonly<Record<string, unknown>>): string | undefined => {
  for (const [key, value] of Object.entries(labels)) {
    if (!isQualifiedName(key) || typeof value !== 'string' || !isLabelValue(value)) {
      return `${prop} must hold labels (each key ${QUALIFIED_NAME_RULE}; each value ${LABEL_VALUE_RULE}); got ${JSON.stringify(key)}: ${JSON.stringify(value)}`;
    }
  }
  return undefined;
};

/**
 * Why `dns` cannot select the cluster DNS Pods as the API server would take it, or undefined:
 * a bad namespace or label would otherwise be refused only after the CRDs were applied.
 * `kelos install` refuses the same values before rendering (as values errors, naming their
 * source), so each message names the prop once.
 */
const dnsSelectorProblem = (
  dns: NonNullable<KelosInstallProps['networkPolicy']>['dns'],
): string | undefined => {
  if (!dns) return undefined;
  if (typeof dns.namespace !== 'string' || !isNamespaceName(dns.namespace))
    return `networkPolicy.dns.namespace must be ${NAMESPACE_NAME_RULE}; got ${JSON.stringify(dns.namespace)}`;
  return labelsProblem('networkPolicy.dns.podSelector.matchLabels', dns.podSelector?.matchLabels ?? {});
};

/**
 * The metrics peer with its empty selectors dropped, or undefined when none is left (scraping
 * from anywhere, as without the prop: an empty selector would select everything anyway).
 *
 * @throws Error naming the selector whose labels the API server would refuse.
 */
const resolveMetricsPeer = (peer: MetricsPeer | undefined): MetricsPeer | undefined => {
  const out: { -readonly [K in keyof MetricsPeer]: MetricsPeer[K] } = {};
  for (const key of ['namespaceSelector', 'podSelector'] as const) {
    const labels = peer?.[key]?.matchLabels ?? {};
    const problem = labelsProblem(`networkPolicy.metrics.${key}.matchLabels`, labels);
    if (problem) throw new Error(`KelosInstall: ${problem}`);
    if (Object.keys(labels).length > 0) out[key] = { matchLabels: { ...labels } };
  }
  return Object.keys(out).length > 0 ? out : undefined;
};

/**
 * Applies the defaults and checks the settings.
 *
 * @throws Error naming the setting that is wrong and what was expected.
 */
export const resolveInstallProps = (props: KelosInstallProps = {}): ResolvedInstallProps => {
  const namespace = props.namespace ?? INSTALL_NAMESPACE;
  for (const ns of [namespace, ...(props.watchNamespaces ?? [])]) {
    const problem = namespaceNameProblem(ns);
    if (problem) throw new Error(`KelosInstall: ${problem}`);
  }
  if (props.watchNamespaces && props.watchNamespaces.length === 0) {
    throw new Error('KelosInstall: watchNamespaces is empty; leave it unset to watch every namespace');
  }
  if (props.watchNamespaces && new Set(props.watchNamespaces).size !== props.watchNamespaces.length) {
    throw new Error('KelosInstall: watchNamespaces lists a namespace twice');
  }
  const replicas = props.replicas ?? 2;
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new Error(`KelosInstall: replicas must be a positive integer; got ${replicas}`);
  }
  for (const key of ['imageDigest', 'agentBaseDigest'] as const) {
    const digest = props[key];
    if (digest !== undefined && !IMAGE_DIGEST.test(digest)) {
      throw new Error(`KelosInstall: ${key} must be sha256: and 64 hex digits; got "${digest}"`);
    }
  }
  // The kubelet would refuse the image (InvalidImageName) once the install is applied.
  if (props.imageTag !== undefined && !IMAGE_TAG.test(props.imageTag)) {
    throw new Error(
      `KelosInstall: imageTag must be an image tag (letters, digits, "_", "." and "-", not starting with "." or "-", at most 128); got ${JSON.stringify(props.imageTag)} (values: image.tag)`,
    );
  }
  if (props.imagePrefix !== undefined && !isImagePrefix(props.imagePrefix)) {
    throw new Error(
      `KelosInstall: imagePrefix must be a registry and repository prefix an image can start with (e.g. ghcr.io/kelos-ts or localhost:5000/team: a registry host, then lowercase path components); got ${JSON.stringify(props.imagePrefix)} (values: image.repository)`,
    );
  }
  const memoryRequestMiB = props.resources?.memoryRequestMiB ?? 256;
  const memoryLimitMiB = props.resources?.memoryLimitMiB ?? 512;
  if (memoryRequestMiB > memoryLimitMiB) {
    throw new Error(
      `KelosInstall: the operator's memory request (${memoryRequestMiB}Mi) is above its limit (${memoryLimitMiB}Mi); the API server refuses such a Pod (values: controller.resources.requests.memory, controller.resources.limits.memory)`,
    );
  }
  const egressPorts = [...new Set(props.networkPolicy?.egressPorts ?? [])].sort((a, b) => a - b);
  const isPort = (p: number) => Number.isInteger(p) && p >= 1 && p <= 65535;
  const badPort = egressPorts.find((p) => !isPort(p));
  if (badPort !== undefined) {
    throw new Error(
      `KelosInstall: networkPolicy.egressPorts must hold TCP ports from 1 to 65535; got ${badPort} (values: networkPolicy.egressPorts)`,
    );
  }
  const dnsPorts = [...new Set(props.networkPolicy?.dns?.ports ?? [53])];
  const badDnsPort = dnsPorts.length === 0 ? '[]' : dnsPorts.find((p) => !isPort(p));
  if (badDnsPort !== undefined) {
    throw new Error(
      `KelosInstall: networkPolicy.dns.ports must hold at least one port from 1 to 65535; got ${badDnsPort} (values: networkPolicy.dns.ports)`,
    );
  }
  for (const [type, image] of Object.entries(props.agentImages ?? {})) {
    if (!(AGENT_TYPES as readonly string[]).includes(type)) {
      throw new Error(
        `KelosInstall: agentImages has no agent type ${JSON.stringify(type)}; the types are ${AGENT_TYPES.join(', ')} (values: agentImages.<type>)`,
      );
    }
    // The operator would start with it and every Job of that type would fail to pull.
    if (typeof image !== 'string' || image === '' || /\s/.test(image)) {
      throw new Error(
        `KelosInstall: agentImages.${type} must be an image reference (registry/repository:tag or @sha256:…) without spaces; got ${JSON.stringify(image)} (values: agentImages.${type})`,
      );
    }
  }
  const dnsProblem = props.networkPolicy?.dns && dnsSelectorProblem(props.networkPolicy.dns);
  if (dnsProblem) throw new Error(`KelosInstall: ${dnsProblem}`);
  if (props.metricsCertSecret !== undefined && !isObjectName(props.metricsCertSecret)) {
    throw new Error(
      `KelosInstall: metricsCertSecret must name a Secret (a lowercase DNS subdomain); got ${JSON.stringify(props.metricsCertSecret)} (values: metricsCertSecret)`,
    );
  }
  // The operator refuses it at start-up: every replica would crash-loop after the apply.
  if (
    props.defaultActiveDeadline !== undefined &&
    deadlineSeconds(props.defaultActiveDeadline) === undefined
  ) {
    throw new Error(
      `KelosInstall: defaultActiveDeadline must be a duration of at least 1s such as 6h or 90m (or a number of seconds); got ${JSON.stringify(props.defaultActiveDeadline)} (values: defaultActiveDeadline)`,
    );
  }
  const version = (props.version ?? KELOS_VERSION).replace(/^v/, '');
  const scheduling = resolveScheduling(props);
  return {
    namespace,
    createNamespace: props.createNamespace ?? true,
    watchNamespaces: props.watchNamespaces ? [...props.watchNamespaces].sort() : undefined,
    imagePrefix: props.imagePrefix ?? DEFAULT_IMAGE_PREFIX,
    version,
    imageTag: props.imageTag ?? versionTag(version),
    imageDigest: props.imageDigest,
    agentBaseDigest: props.agentBaseDigest,
    agentImages: { ...props.agentImages },
    replicas,
    cpuRequestMillis: props.resources?.cpuRequestMillis ?? 100,
    memoryRequestMiB,
    memoryLimitMiB,
    monitor: props.monitor ?? 'none',
    metricsCertSecret: props.metricsCertSecret,
    defaultActiveDeadline: props.defaultActiveDeadline,
    extraArgs: props.extraArgs ?? [],
    networkPolicy:
      props.networkPolicy?.enabled === false
        ? undefined
        : {
            egressPorts,
            dns: {
              ...structuredClone(props.networkPolicy?.dns ?? DEFAULT_DNS),
              ports: dnsPorts,
            },
            metrics: resolveMetricsPeer(props.networkPolicy?.metrics),
          },
    aggregateToDefaultRoles: props.aggregateToDefaultRoles ?? true,
    syncWaves: props.syncWaves ?? true,
    scheduling,
    name: OPERATOR_NAME,
  };
};
