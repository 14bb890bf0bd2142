/**
 * `kelos operator`: runs the controller. It uses `--kubeconfig`, else `KUBECONFIG`, else in a
 * Pod its ServiceAccount, else `~/.kube/config`. It stops
 * gracefully on SIGTERM or SIGINT: in-flight reconciles finish, the leader Lease is released.
 *
 * @packageDocumentation
 */
import { existsSync, readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { AGENT_TYPES, type AgentType, DEFAULT_IMAGE_REPOSITORY } from '../../api/index.ts';
import { OPERATOR_NAME, parseNamespaceList } from '../../install/index.ts';
import { CoreResources, HttpKubeClient } from '../../kube/client.ts';
import { deadlineSeconds, formatDuration, parseDuration } from '../../kube/duration.ts';
import { type Connection, connectionSource, resolveConnection } from '../../kube/kubeconfig.ts';
import { batchedWriter, createLogger, type LogLevel, LogLevels } from '../../kube/log.ts';
import { Operator } from '../../operator/main.ts';
import { DEFAULT_CACHE_SYNC_TIMEOUT_MS, DEFAULT_WORKERS } from '../../operator/options.ts';
import { installProcessGuards } from '../../operator/process-guard.ts';
import { LINEAR_API_KEY_ENV } from '../../operator/webhook/linear-api.ts';
import { type SlackTokens, slackTokensFromEnv } from '../../operator/webhook/slack-socket.ts';
import { DEFAULT_IMAGE_TAG, DEFAULT_WORKSPACE_SIZE_LIMIT } from '../../render/input.ts';
import { parseQuantity, quantitySign } from '../../validate/quantity.ts';
import { type InstalledOperator, lookUpOperator } from '../cluster/kelos-objects.ts';
import { unreadableFile } from '../files.ts';
import type { CommandFactory } from '../io.ts';
import { ExitCode, UsageError } from '../io.ts';

/**
 * A duration flag (`10m`, `1h30m`, `45s`, `500ms`; a bare number is seconds) in milliseconds,
 * read with the one Go-duration parser; a usage error when it is not a non-negative duration.
 */
export function durationFlagMs(text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined || seconds < 0) {
    throw new UsageError(`invalid duration "${text}" (expected e.g. 10m, 1h30m, 45s or a number of seconds)`);
  }
  return Math.round(seconds * 1000);
}

/**
 * The argument parser of a duration flag: the text as given, once {@link durationFlagMs} reads
 * it. Checked while the flags are parsed, so `kelos install` refuses a bad one in `extraArgs`
 * (it parses them with this command) instead of rolling out an operator that exits at start-up.
 */
export const durationFlag =
  (flag: string) =>
  (text: string): string => {
    try {
      durationFlagMs(text);
    } catch (err) {
      throw new UsageError(`${flag}: ${(err as Error).message}`);
    }
    return text;
  };

/**
 * `--slack-api-url`: an http(s) URL, checked while the flags are parsed (see
 * {@link durationFlag}), so a typo is refused at start rather than retried for ever.
 */
export function slackApiUrlFlag(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    // Refused below.
  }
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:')
    throw new UsageError(
      `--slack-api-url: "${text}" is not an http(s) URL (expected e.g. https://slack.com/api/)`,
    );
  return text;
}

/**
 * `--default-active-deadline`: a duration of at least 1s, in whole seconds (rounded up, as
 * `activeDeadlineSeconds` takes it); a usage error naming the flag otherwise, so a typo stops
 * the operator at start-up (and `kelos install` refuses it in `extraArgs`).
 */
export function defaultActiveDeadlineFlag(text: string): number {
  const seconds = deadlineSeconds(text);
  if (seconds === undefined)
    throw new UsageError(
      `--default-active-deadline: "${text}" is not a duration of at least 1s (expected e.g. 6h, 90m or a number of seconds)`,
    );
  return seconds;
}

/** `--workers`: a positive integer, checked while the flags are parsed (see {@link durationFlag}). */
export function workersFlag(text: string): string {
  const workers = Number(text);
  if (!Number.isInteger(workers) || workers < 1)
    throw new UsageError(`--workers must be a positive integer; got "${text}"`);
  return text;
}

/**
 * The namespaces of every `--namespace` given (each a comma-separated list); a usage error
 * naming the bad value otherwise. Commander calls it once per occurrence.
 */
export function namespacesFlag(value: string, previous: readonly string[] = []): string[] {
  const parsed = parseNamespaceList([...previous, value]);
  if ('problem' in parsed) throw new UsageError(`--namespace: ${parsed.problem}`);
  return parsed.namespaces;
}

/**
 * `--workspace-size-limit`: a non-negative quantity, returned as given; `''` when it turns the
 * limit off (empty or zero). A usage error naming the value otherwise, so a typo stops the
 * operator at start-up instead of making the API server refuse every Job.
 */
export function sizeLimitFlag(text: string): string {
  const value = text.trim();
  if (value === '') return '';
  const q = parseQuantity(value);
  if (q === undefined || quantitySign(q) < 0) {
    throw new UsageError(
      `--workspace-size-limit: "${text}" is not a size (expected a quantity such as 20Gi or 500Mi; 0 turns the limit off)`,
    );
  }
  return quantitySign(q) === 0 ? '' : value;
}

/** What the start-up lookup found of one watched namespace. */
export type NamespaceLookup = 'exists' | 'missing' | 'terminating' | 'unknown';

/**
 * The warnings to log at start for the watched namespaces, from what the lookup found. A
 * missing one is not fatal: GitOps may create it later, and the operator's list and watch of a
 * namespace need it not to exist (the API server serves an empty list and a watch that delivers
 * its objects once they are created), so it keeps running and says so.
 */
export function namespaceWarnings(
  found: ReadonlyMap<string, NamespaceLookup>,
): Array<{ msg: string; fields: Record<string, unknown> }> {
  const out: Array<{ msg: string; fields: Record<string, unknown> }> = [];
  for (const [namespace, state] of found) {
    if (state === 'missing') {
      out.push({
        msg: 'Watched namespace does not exist',
        fields: {
          namespace,
          detail:
            'still watched: the operator keeps running and reconciles what is created there once the namespace exists; if it is a typo, restart with the right --namespace',
          create: `kubectl create namespace ${namespace}`,
        },
      });
    } else if (state === 'terminating') {
      out.push({
        msg: 'Watched namespace is being deleted',
        fields: {
          namespace,
          detail: 'the API server creates nothing new in it, so its Tasks get no Job; it stays watched',
        },
      });
    }
  }
  return out;
}

/** Deadline of the start-up namespace lookup: a slow answer must not hold the operator's start. */
const NAMESPACE_LOOKUP_TIMEOUT_MS = 5_000;

/**
 * Looks up each watched namespace. Through a client of its own: the operator's logs every 403 as
 * an RBAC fault, and a namespaced install grants no `get` on Namespaces (it checked them when
 * it was applied), so there the answer is `unknown` and nothing is said.
 */
async function lookUpNamespaces(
  connection: Connection,
  namespaces: readonly string[],
): Promise<Map<string, NamespaceLookup>> {
  const client = new HttpKubeClient(connection, { timeoutMs: NAMESPACE_LOOKUP_TIMEOUT_MS });
  const state = async (ns: string): Promise<NamespaceLookup> => {
    try {
      const obj = await client.get(CoreResources.Namespace, undefined, ns);
      return !obj ? 'missing' : obj.metadata.deletionTimestamp ? 'terminating' : 'exists';
    } catch {
      // Refused or out of reach: the start that follows reports an API server out of reach.
      return 'unknown';
    }
  };
  try {
    return new Map(await Promise.all(namespaces.map(async (ns) => [ns, await state(ns)] as const)));
  } finally {
    client.close();
  }
}

/**
 * The warning for an operator started without `--leader-elect` beside an installed one that
 * runs and watches some of the same namespaces: both would reconcile every Task and spawner
 * there, each undoing the other's status writes and each spawner polled twice. Undefined when
 * they cannot meet (leader election on, the install scaled to 0, namespaces apart).
 */
export function besideInstalled(
  installed: InstalledOperator | undefined,
  namespaces: readonly string[] | undefined,
  leaderElect: boolean,
): { msg: string; fields: Record<string, unknown> } | undefined {
  if (leaderElect || !installed || installed.ready === 0) return undefined;
  const shared =
    installed.watched === undefined
      ? namespaces
      : (namespaces?.filter((ns) => installed.watched?.includes(ns)) ?? installed.watched);
  if (shared?.length === 0) return undefined;
  return {
    msg: 'An installed operator reconciles the same namespaces, and this one elects no leader',
    fields: {
      installed: `deployment/${OPERATOR_NAME} in ${installed.namespace}, ${installed.ready} ready`,
      namespaces: shared === undefined ? 'all' : shared.join(','),
      detail: `both reconcile every object there: each undoes the other's status writes and each spawner is polled twice; scale the install to 0 (kubectl scale deployment/${OPERATOR_NAME} -n ${installed.namespace} --replicas=0), watch other namespaces (-n), or take turns with it (--leader-elect --lease-namespace ${installed.namespace})`,
    },
  };
}

/**
 * The installed operator, through a client of its own with the lookup's deadline; undefined
 * when there is none or it cannot be told (RBAC, an API server out of reach: the start that
 * follows says so).
 */
async function lookUpInstall(connection: Connection): Promise<InstalledOperator | undefined> {
  const client = new HttpKubeClient(connection, { timeoutMs: NAMESPACE_LOOKUP_TIMEOUT_MS });
  try {
    const found = await lookUpOperator({ client });
    return found.state === 'installed' ? found.operator : undefined;
  } catch {
    return undefined;
  } finally {
    client.close();
  }
}

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/**
 * Namespace of the Lease when none is given: `$POD_NAMESPACE` (the install sets it to the Pod's
 * namespace), else the ServiceAccount's namespace file, else `default`.
 */
const defaultLeaseNamespace = (env: Readonly<Record<string, string | undefined>>): string => {
  if (env['POD_NAMESPACE']) return env['POD_NAMESPACE'];
  if (existsSync(SA_NAMESPACE_FILE)) return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim();
  return 'default';
};

interface OperatorFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string[];
  leaderElect: boolean;
  leaseName: string;
  leaseNamespace?: string;
  metricsAddr: string;
  healthAddr: string;
  metricsTokenFile?: string;
  metricsAuth: 'none' | 'kubernetes';
  metricsSecure: boolean;
  metricsCertPath?: string;
  workers: string;
  cacheSyncTimeout: string;
  resync: string;
  logLevel: string;
  imageTag: string;
  imageRepository: string;
  agentBaseImage?: string;
  gitImage?: string;
  workspaceSizeLimit: string;
  defaultActiveDeadline?: number;
  githubApiUrl?: string;
  slackApiUrl?: string;
  webhookAddr: string;
  webhookGithubSecretFile?: string;
  webhookLinearSecretFile?: string;
  [image: `agentImage${string}`]: string | undefined;
}

/** `--agent-image-claude-code` → `agentImageClaudeCode`, as commander names it. */
const imageFlagKey = (type: AgentType): `agentImage${string}` =>
  `agentImage${type
    .split('-')
    .map((p) => p[0]?.toUpperCase() + p.slice(1))
    .join('')}`;

/**
 * What `kelos operator` logs at start-up of where it connects: the API server (without any
 * user:password in its URL), the kubeconfig file and context or the Pod's ServiceAccount,
 * and the namespaces it watches. Never a credential: tokens, certificates and keys stay in
 * the connection.
 */
export function startupFields(
  connection: Pick<Connection, 'server' | 'context'>,
  source: { kubeconfig: string } | { inCluster: true } | undefined,
  namespaces: readonly string[] | undefined,
): Record<string, unknown> {
  let server = connection.server;
  try {
    const url = new URL(server);
    if (url.username || url.password) {
      url.username = '';
      url.password = '';
      server = url.toString().replace(/\/$/, '');
    }
  } catch {
    // Not a URL: the client fails on it with its own message; logged as given.
  }
  return {
    server,
    ...(source && 'kubeconfig' in source
      ? { kubeconfig: source.kubeconfig, ...(connection.context ? { context: connection.context } : {}) }
      : { inCluster: true }),
    namespaces: namespaces ?? '(all)',
  };
}

export const operatorCommand: CommandFactory = (io, done) => {
  const cmd = new Command('operator')
    .description(
      'run the Kelos operator: reconcile Tasks into Jobs, enforce dependencies, branch locks and TaskBudgets',
    )
    .option(
      '--kubeconfig <path>',
      'kubeconfig to use (default: $KUBECONFIG, the in-cluster ServiceAccount, or ~/.kube/config)',
    )
    .option('--context <name>', 'kubeconfig context to use (default: its current-context)')
    .option(
      '-n, --namespace <ns[,ns...]>',
      'watch and reconcile these namespaces only, comma-separated or repeated (default: all namespaces)',
      namespacesFlag,
    )
    .option(
      '--leader-elect',
      'run only while holding a coordination.k8s.io Lease, so several replicas can run',
      false,
    )
    .option('--lease-name <name>', 'name of the leader election Lease', 'kelos-operator-leader')
    .option(
      '--lease-namespace <ns>',
      "namespace of the Lease (default: $POD_NAMESPACE, else the ServiceAccount's namespace file, else default)",
    )
    // /metrics shows cost by namespace, spawner and model: loopback unless the install opens it.
    .option(
      '--metrics-addr <addr>',
      'listen address of /metrics (loopback by default; use :8080 with --metrics-auth kubernetes or --metrics-token-file to let Prometheus scrape); 0 turns it off',
      '127.0.0.1:8080',
    )
    .addOption(
      new Option(
        '--metrics-auth <mode>',
        'who may read /metrics: kubernetes = a bearer token the API server accepts (TokenReview) for a user allowed to get the non-resource URL /metrics (SubjectAccessReview); none = anyone who reaches the address',
      )
        .choices(['none', 'kubernetes'])
        .default('none'),
    )
    .option(
      '--metrics-token-file <path>',
      'file holding a bearer token that /metrics requires (Authorization: Bearer <token>)',
    )
    .option(
      '--metrics-secure',
      'serve /metrics over HTTPS, with a self-signed certificate made at start-up unless --metrics-cert-path names one: scrapers send a bearer token, which TLS keeps off the Pod network',
      false,
    )
    .option(
      '--metrics-cert-path <dir>',
      'directory holding tls.crt and tls.key (a mounted kubernetes.io/tls Secret, e.g. one cert-manager renews), read again every minute; implies --metrics-secure',
    )
    // The kubelet probes the Pod IP, so health must listen beyond loopback; it reveals nothing.
    .option('--health-addr <addr>', 'listen address of /healthz and /readyz; 0 turns it off', ':8081')
    .option(
      '--workers <n>',
      'Tasks reconciled concurrently (reconciles mostly wait for the API server)',
      workersFlag,
      String(DEFAULT_WORKERS),
    )
    .option(
      '--resync <duration>',
      'period of the full resync of every cached object',
      durationFlag('--resync'),
      '10m',
    )
    .option(
      '--cache-sync-timeout <duration>',
      'how long the caches may take to list before the operator exits (stopping, the Lease released); 0 waits for ever',
      durationFlag('--cache-sync-timeout'),
      formatDuration(DEFAULT_CACHE_SYNC_TIMEOUT_MS / 1000),
    )
    .option('--image-tag <tag>', 'tag of the bundled agent images', DEFAULT_IMAGE_TAG)
    .option(
      '--image-repository <prefix>',
      'registry and repository of the bundled agent images (<prefix>/<type>:<tag>)',
      DEFAULT_IMAGE_REPOSITORY,
    )
    .option(
      '--agent-base-image <image>',
      'image of the skills-install init container, e.g. pinned by digest (default: <prefix>/agent-base:<tag>)',
    )
    .option(
      '--git-image <image>',
      'image of the git init containers (clone, branch, remotes, files); it needs sh and git (default: the agent base image)',
    )
    .option(
      '--workspace-size-limit <quantity>',
      'sizeLimit of the workspace emptyDir of agent Pods (the clone and what the agent builds in it), so a runaway agent is evicted alone instead of filling the node; 0 turns it off; a Task that sets podOverrides.resources.limits.ephemeral-storage gets none',
      sizeLimitFlag,
      DEFAULT_WORKSPACE_SIZE_LIMIT,
    )
    .option(
      '--default-active-deadline <duration>',
      'activeDeadlineSeconds of the Job of a Task that sets no podOverrides.activeDeadlineSeconds, e.g. 6h, so a hung agent stops running and billing; TaskBudgets reserve for it (default: none, the agent runs until it exits)',
      defaultActiveDeadlineFlag,
    )
    .option(
      '--github-api-url <url>',
      'GitHub REST API base URL for GitHub App tokens and every TaskSpawner (default: from the Workspace repo host)',
    )
    .option(
      '--slack-api-url <url>',
      'Slack Web API base URL of the Socket Mode connection and its replies, e.g. https://slack-gov.com/api/ for GovSlack (default: https://slack.com/api/); the tokens come from SLACK_APP_TOKEN and SLACK_BOT_TOKEN in the environment',
      slackApiUrlFlag,
    )
    .option(
      '--webhook-addr <addr>',
      'listen address of the webhook receiver (POST /webhook/github, /webhook/linear, /webhook/<source>), e.g. :8443; every replica serves it, leader or not; 0 turns it off',
      '0',
    )
    .option(
      '--webhook-github-secret-file <path>',
      'cluster-wide secret for githubWebhook spawners without secretRef: the first line is the current secret, a second line the previous one (accepted during a rotation)',
    )
    .option(
      '--webhook-linear-secret-file <path>',
      'cluster-wide secret for linearWebhook spawners without secretRef (same format)',
    )
    .addOption(
      new Option('--log-level <level>', 'lowest log level written').choices([...LogLevels]).default('info'),
    );
  for (const type of AGENT_TYPES) {
    cmd.option(`--agent-image-${type} <image>`, `default image of ${type} agents`);
  }
  return cmd.action(async (flags: OperatorFlags) => {
    const workers = Number(flags.workers);
    const resyncMs = durationFlagMs(flags.resync);
    const cacheSyncTimeoutMs = durationFlagMs(flags.cacheSyncTimeout);
    const agentImages: Partial<Record<AgentType, string>> = {};
    for (const type of AGENT_TYPES) {
      const image = flags[imageFlagKey(type)];
      if (image) agentImages[type] = image;
    }
    const connection = await resolveConnection(
      {
        ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
        ...(flags.context ? { context: flags.context } : {}),
      },
      io.env,
    );
    // Flushed on warnings and errors, when the operator stops, and when start-up fails.
    const lines = batchedWriter(io.stderr);
    const log = createLogger({ write: lines.write, level: flags.logLevel as LogLevel });
    let metricsToken: string | undefined;
    const metricsSecure = flags.metricsSecure || flags.metricsCertPath !== undefined;
    if (metricsSecure && flags.metricsAddr === flags.healthAddr && !['', '0'].includes(flags.metricsAddr))
      throw new UsageError(
        `--metrics-secure serves /metrics over HTTPS, and --metrics-addr ${flags.metricsAddr} is also --health-addr, whose probes the kubelet sends over HTTP; give /healthz and /readyz an address of their own`,
      );
    if (flags.metricsTokenFile && flags.metricsAuth === 'kubernetes')
      throw new UsageError(
        '--metrics-token-file and --metrics-auth kubernetes cannot be combined; choose one',
      );
    // A flag's file the Pod does not have (a Secret not mounted) is named with the flag.
    const readFlagFile = (flag: string, path: string): string => {
      try {
        return readFileSync(path, 'utf8');
      } catch (err) {
        throw new UsageError(
          `${unreadableFile(flag, path, err).message}; in a cluster, mount the Secret that holds it into the operator's Pod`,
        );
      }
    };
    if (flags.metricsTokenFile) {
      metricsToken = readFlagFile('--metrics-token-file', flags.metricsTokenFile).trim();
      if (!metricsToken) throw new UsageError(`--metrics-token-file ${flags.metricsTokenFile} is empty`);
    }
    const secretLines = (path: string | undefined, flag: string): string[] | undefined => {
      if (!path) return undefined;
      const lines = readFlagFile(flag, path)
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '');
      if (lines.length === 0) throw new UsageError(`${flag} ${path} is empty`);
      return lines;
    };
    const github = secretLines(flags.webhookGithubSecretFile, '--webhook-github-secret-file');
    const linear = secretLines(flags.webhookLinearSecretFile, '--webhook-linear-secret-file');
    let slack: SlackTokens | undefined;
    try {
      slack = slackTokensFromEnv(io.env);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    // Upstream's variable: the webhook server fetches a Linear Comment's issue labels with it.
    const linearApiKey = io.env[LINEAR_API_KEY_ENV]?.trim();
    // Before start, so a SIGTERM while the caches list (a list RBAC refuses, an API server out
    // of reach) stops the start and releases a Lease it won, instead of killing the process.
    const stopping = new AbortController();
    const signal = new Promise<string>((resolve) => {
      const on = (name: string) => () => {
        resolve(name);
        stopping.abort();
      };
      process.once('SIGTERM', on('SIGTERM'));
      process.once('SIGINT', on('SIGINT'));
    });
    // Installed before start so a fault during start-up is counted too; see process-guard.ts.
    let operatorRef: Operator | undefined;
    const faultsBeforeStart: string[] = [];
    const removeGuards = installProcessGuards(log, (fault) => {
      if (operatorRef) operatorRef.metrics.faults.inc({ source: fault });
      else faultsBeforeStart.push(fault);
    });

    // First, so an operator that cannot list, or that reconciles the wrong cluster, has said
    // which one it was pointed at before anything else goes wrong.
    log.info(
      'Connecting to the API server',
      startupFields(
        connection,
        connectionSource(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}, io.env),
        flags.namespace,
      ),
    );
    if (!flags.leaderElect) {
      const beside = besideInstalled(await lookUpInstall(connection), flags.namespace, flags.leaderElect);
      if (beside) log.warn(beside.msg, beside.fields);
    }
    if (flags.namespace) {
      const found = await lookUpNamespaces(connection, flags.namespace);
      for (const w of namespaceWarnings(found)) log.warn(w.msg, w.fields);
      const unknown = [...found].filter(([, state]) => state === 'unknown').map(([ns]) => ns);
      if (unknown.length > 0)
        log.debug('Could not check that the watched namespaces exist', { namespaces: unknown });
    }
    const operator = await Operator.start({
      connection,
      ...(flags.namespace ? { namespaces: flags.namespace } : {}),
      ...(flags.leaderElect
        ? {
            leaderElection: {
              name: flags.leaseName,
              namespace: flags.leaseNamespace ?? defaultLeaseNamespace(io.env),
            },
          }
        : {}),
      metricsAddr: flags.metricsAddr,
      healthAddr: flags.healthAddr,
      ...(metricsToken ? { metricsToken } : {}),
      ...(flags.metricsAuth === 'kubernetes' ? { metricsAuth: 'kubernetes' as const } : {}),
      ...(metricsSecure
        ? { metricsTls: flags.metricsCertPath ? { certPath: flags.metricsCertPath } : {} }
        : {}),
      workers,
      resyncMs,
      cacheSyncTimeoutMs,
      agentImages,
      imageTag: flags.imageTag,
      imageRepository: flags.imageRepository,
      ...(flags.agentBaseImage ? { agentBaseImage: flags.agentBaseImage } : {}),
      ...(flags.gitImage ? { gitImage: flags.gitImage } : {}),
      workspaceSizeLimit: flags.workspaceSizeLimit,
      ...(flags.defaultActiveDeadline !== undefined
        ? { defaultActiveDeadlineSeconds: flags.defaultActiveDeadline }
        : {}),
      ...(flags.githubApiUrl ? { githubApiUrl: flags.githubApiUrl } : {}),
      webhook: {
        addr: flags.webhookAddr,
        clusterSecrets: { ...(github ? { github } : {}), ...(linear ? { linear } : {}) },
        ...(slack ? { slack } : {}),
        ...(flags.slackApiUrl ? { slackApiUrl: flags.slackApiUrl } : {}),
        ...(linearApiKey ? { linearApiKey } : {}),
      },
      log,
      signal: stopping.signal,
    }).catch((err: unknown) => {
      lines.flush();
      throw err;
    });
    operatorRef = operator;
    for (const source of faultsBeforeStart) operator.metrics.faults.inc({ source });
    if (!stopping.signal.aborted) {
      log.info('Operator running', {
        namespaces: flags.namespace ?? '(all)',
        endpoints: operator.addresses,
        ...(operator.webhookAddress ? { webhook: operator.webhookAddress } : {}),
        workers,
      });
    }
    log.info('Shutting down', { signal: await signal });
    await operator.stop();
    removeGuards();
    lines.flush();
    done(ExitCode.Ok);
  });
};
