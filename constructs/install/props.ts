/**
 * Settings of the operator install and their defaults.
 *
 * @packageDocumentation
 */
import type { K8sType } from '../../src/api/k8s/index.ts';
import { KELOS_VERSION, versionTag } from '../../src/api/version.ts';
import {
  DEFAULT_IMAGE_PREFIX,
  IMAGE_DIGEST,
  INSTALL_NAMESPACE,
  namespaceNameProblem,
  OPERATOR_NAME,
} from '../../src/install/index.ts';
import { DEFAULT_DNS } from '../../src/render/agent-network-policy.ts';
import { validateObject } from '../../src/validate/index.ts';
import { parsePointer } from '../../src/validate/load.ts';
import { DNS1123_SUBDOMAIN, isLabelValue, isQualifiedName } from '../../src/validate/object-schema.ts';

const DNS1123_SUBDOMAIN_RE = new RegExp(DNS1123_SUBDOMAIN);

/** Which monitoring object to render for the Prometheus Operator, if any. */
export type MonitorKind = 'none' | 'ServiceMonitor' | 'PodMonitor';

/** Settings of {@link KelosInstall}. */
export interface KelosInstallProps {
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
     * Where the cluster DNS runs: the only destination of the operator's port 53 traffic.
     * @default `kube-system`, Pods labelled `k8s-app: kube-dns` (as for agent Pods)
     */
    readonly dns?: {
      readonly namespace: string;
      readonly podSelector: { matchLabels: Record<string, string> };
    };
  };
  /** Argo CD sync-wave annotations (RBAC before the operator). @default true */
  readonly syncWaves?: boolean;
  /**
   * Secrets in the operator's namespace to pull its image with, for a private registry or
   * mirror. Agent Pods pull with what their Task's `podOverrides.imagePullSecrets` names.
   * @default none
   */
  readonly imagePullSecrets?: readonly string[];
  /** The operator Pods' `nodeSelector`. @default none */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** The operator Pods' `tolerations`, e.g. to run on tainted infrastructure nodes. @default none */
  readonly tolerations?: readonly K8sType<'Toleration'>[];
  /** The operator Pods' `affinity`. @default none (replicas are spread over nodes by a topology constraint) */
  readonly affinity?: K8sType<'Affinity'>;
  /** The operator Pods' `priorityClassName`. @default none */
  readonly priorityClassName?: string;
}

/** Where the operator's Pods run and how they pull their image: fields of the Pod spec as written. */
export interface InstallScheduling {
  readonly imagePullSecrets?: ReadonlyArray<{ readonly name: string }>;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly K8sType<'Toleration'>[];
  readonly affinity?: K8sType<'Affinity'>;
  readonly priorityClassName?: string;
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
  readonly replicas: number;
  readonly cpuRequestMillis: number;
  readonly memoryRequestMiB: number;
  readonly memoryLimitMiB: number;
  readonly monitor: MonitorKind;
  readonly extraArgs: readonly string[];
  /** The operator's NetworkPolicy, or undefined when not rendered. */
  readonly networkPolicy:
    | {
        readonly egressPorts: readonly number[];
        readonly dns: {
          readonly namespace: string;
          readonly podSelector: { matchLabels: Record<string, string> };
        };
      }
    | undefined;
  readonly syncWaves: boolean;
  /** Pod spec fields set only when a prop sets them. */
  readonly scheduling: InstallScheduling;
  /** Name of the ServiceAccount, Deployment, roles and bindings. */
  readonly name: string;
}

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
  const memoryRequestMiB = props.resources?.memoryRequestMiB ?? 256;
  const memoryLimitMiB = props.resources?.memoryLimitMiB ?? 512;
  if (memoryRequestMiB > memoryLimitMiB) {
    throw new Error(
      `KelosInstall: the operator's memory request (${memoryRequestMiB}Mi) is above its limit (${memoryLimitMiB}Mi); the API server refuses such a Pod (values: controller.resources.requests.memory, controller.resources.limits.memory)`,
    );
  }
  const egressPorts = [...new Set(props.networkPolicy?.egressPorts ?? [])].sort((a, b) => a - b);
  const badPort = egressPorts.find((p) => !Number.isInteger(p) || p < 1 || p > 65535);
  if (badPort !== undefined) {
    throw new Error(
      `KelosInstall: networkPolicy.egressPorts must hold TCP ports from 1 to 65535; got ${badPort} (values: networkPolicy.egressPorts)`,
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
    replicas,
    cpuRequestMillis: props.resources?.cpuRequestMillis ?? 100,
    memoryRequestMiB,
    memoryLimitMiB,
    monitor: props.monitor ?? 'none',
    extraArgs: props.extraArgs ?? [],
    networkPolicy:
      props.networkPolicy?.enabled === false
        ? undefined
        : { egressPorts, dns: structuredClone(props.networkPolicy?.dns ?? DEFAULT_DNS) },
    syncWaves: props.syncWaves ?? true,
    scheduling,
    name: OPERATOR_NAME,
  };
};

const TOLERATION_OPERATORS = ['Exists', 'Equal'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/**
 * What the API server refuses in a toleration beyond its schema (which types the fields but
 * lists no enums), in its words.
 */
const tolerationProblem = (t: K8sType<'Toleration'>): string | undefined => {
  if (t.operator && !TOLERATION_OPERATORS.includes(t.operator))
    return `operator must be Exists or Equal; got "${t.operator}"`;
  if (t.effect && !TAINT_EFFECTS.includes(t.effect))
    return `effect must be NoSchedule, PreferNoSchedule or NoExecute; got "${t.effect}"`;
  if (t.operator === 'Exists' && t.value) return 'value must be empty when operator is Exists';
  if (!t.key && t.operator !== 'Exists') return 'operator must be Exists when key is empty';
  if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute')
    return 'tolerationSeconds applies only to effect NoExecute';
  return undefined;
};

/**
 * The scheduling props as Pod spec fields, checked as the API server checks a Pod: against the
 * Pod schema of the pinned Kubernetes release first (cdk8s-plus renders a Deployment through
 * converters that drop a field they do not know, so a misspelt `tolerationSeconds` would
 * vanish, not fail), then what the schema leaves to the server's code (names, toleration
 * operators and effects).
 *
 * @throws Error with every problem, each naming its prop as a path (`tolerations[0].effect`).
 */
const resolveScheduling = (props: KelosInstallProps): InstallScheduling => {
  const priority = props.priorityClassName;
  const scheduling: InstallScheduling = {
    ...(props.imagePullSecrets?.length && {
      imagePullSecrets: [...new Set(props.imagePullSecrets)].map((name) => ({ name })),
    }),
    ...(props.nodeSelector &&
      Object.keys(props.nodeSelector).length > 0 && { nodeSelector: { ...props.nodeSelector } }),
    ...(props.tolerations?.length && { tolerations: structuredClone([...props.tolerations]) }),
    ...(props.affinity && { affinity: structuredClone(props.affinity) }),
    ...(priority !== undefined && { priorityClassName: priority }),
  };
  if (Object.keys(scheduling).length === 0) return scheduling;
  const problems = schemaProblems(scheduling);
  if (problems.length === 0) {
    for (const name of props.imagePullSecrets ?? []) {
      if (!isObjectName(name))
        problems.push(['imagePullSecrets', `must name Secrets (lowercase DNS subdomains); got "${name}"`]);
    }
    for (const [key, value] of Object.entries(props.nodeSelector ?? {})) {
      if (!isQualifiedName(key) || !isLabelValue(value))
        problems.push(['nodeSelector', `must map label keys to label values; got "${key}": "${value}"`]);
    }
    (props.tolerations ?? []).forEach((t, i) => {
      const problem = tolerationProblem(t);
      if (problem) problems.push([`tolerations[${i}]`, problem]);
    });
    if (priority !== undefined && !isObjectName(priority))
      problems.push([
        'priorityClassName',
        `must name a PriorityClass (a lowercase DNS subdomain); got "${priority}"`,
      ]);
  }
  if (problems.length === 0) return scheduling;
  const keys = new Set(problems.map(([at]) => /^[^[.]+/.exec(at)?.[0]));
  throw new Error(
    `KelosInstall: ${problems.map(([at, problem]) => `${at}: ${problem}`).join('; ')} (values: ${[...keys].join(', ')})`,
  );
};

const isObjectName = (name: string): boolean => name.length <= 253 && DNS1123_SUBDOMAIN_RE.test(name);

/** The errors `kelos validate` finds in a Pod with these fields, as [prop path, message]. */
const schemaProblems = (fields: InstallScheduling): Array<[string, string]> => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: OPERATOR_NAME },
    spec: { containers: [{ name: 'operator', image: 'operator' }], ...fields },
  };
  return validateObject(pod)
    .filter((d) => d.severity === 'error')
    .map((d) => {
      const [field = '', ...rest] = parsePointer(d.path ?? '').slice(1);
      const at = `${field}${rest.map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('')}`;
      return [at, `${d.message}${d.hint ? ` (${d.hint})` : ''}`];
    });
};
