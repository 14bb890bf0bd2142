/**
 * What every cluster command shares: the connection flags, how they resolve to an API server
 * and a namespace, and how a failed request becomes a message saying what to do.
 *
 * Namespace precedence: `-n` over the config file's `namespace` (`~/.kelos/config.yaml`, or
 * `--config`) over the kubeconfig context's namespace over `default`. The connection itself
 * is the operator's (`resolveConnection`): `--kubeconfig`, `$KUBECONFIG`, the in-cluster
 * ServiceAccount, `~/.kube/config`.
 *
 * @packageDocumentation
 */
import { type Command, Option } from 'commander';
import { API_VERSION, GROUP } from '../../api/index.ts';
import {
  ApiError,
  HttpKubeClient,
  isNamespaceTerminating,
  type RequestObserver,
  type ResourceType,
  WRITE_VERBS,
} from '../../kube/client.ts';
import {
  connectionSource,
  KubeconfigError,
  noKubeconfigMessage,
  resolveConnection,
} from '../../kube/kubeconfig.ts';
import { type CliIo, ExitCode, UsageError } from '../io.ts';
import { type KelosConfigFile, loadConfig } from './config.ts';

/** The connection flags as commander parses them. */
export interface ClusterFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
  config?: string;
}

/**
 * Adds the connection flags to `command`: `--kubeconfig`, `--context`, `-n/--namespace`,
 * `--config` (unless `config: false`; upstream does not read it for install and uninstall) and
 * `-A/--all-namespaces` (only with `allNamespaces: true`, for commands that list).
 */
export function addClusterFlags(
  command: Command,
  opts: { allNamespaces?: boolean; config?: boolean; namespace?: boolean } = {},
): Command {
  command
    .option(
      '--kubeconfig <path>',
      'kubeconfig file (default: $KUBECONFIG, the in-cluster ServiceAccount, or ~/.kube/config)',
    )
    .option('--context <name>', 'kubeconfig context to use (default: its current-context)');
  if (opts.namespace !== false) {
    command.option(
      '-n, --namespace <name>',
      'namespace (default: the config file, else the kubeconfig context, else "default")',
    );
  }
  if (opts.config !== false) {
    command.option('--config <path>', 'Kelos config file (default: ~/.kelos/config.yaml)');
  }
  if (opts.allNamespaces) {
    command.addOption(
      new Option('-A, --all-namespaces', 'in every namespace instead of one').conflicts('namespace'),
    );
  }
  return command;
}

/** A connected cluster, with everything error messages need to name. */
export interface Cluster {
  readonly client: HttpKubeClient;
  /** The resolved namespace (see the module comment for its precedence). */
  readonly namespace: string;
  /** Where the namespace came from, for messages. */
  readonly namespaceFrom: 'flag' | 'config' | 'kubeconfig' | 'default';
  readonly allNamespaces: boolean;
  /** API server URL. */
  readonly server: string;
  /** The kubeconfig file, or `in-cluster ServiceAccount`. */
  readonly source: string;
  readonly context?: string;
  /** The Kelos config file, when one was read. */
  readonly config: KelosConfigFile | undefined;
  close(): void;
}

/** Field manager of every write the CLI makes. */
export const CLI_FIELD_MANAGER = 'kelos-cli';

/** Deadline of one request from the CLI: long enough for a slow cluster, short enough for a human. */
const CLI_REQUEST_TIMEOUT_MS = 20_000;

/** How {@link connect} connects. */
export interface ConnectOptions {
  /** Read the Kelos config file (default true). */
  readonly readConfig?: boolean;
  /**
   * The command may need no API server (`--dry-run`): without any kubeconfig it still runs,
   * in the namespace of the flag, the config file or `default`, and a request it does make
   * fails as a missing kubeconfig does.
   */
  readonly offline?: boolean;
}

/**
 * A client for a command that found no kubeconfig but may not need one: every request fails
 * with the error a missing kubeconfig gives.
 */
const noClient = (env: Readonly<Record<string, string | undefined>>): HttpKubeClient =>
  new Proxy({} as HttpKubeClient, {
    // Not a thenable (were `then` a rejecting method like the others, `await` on it would
    // hang), and inspecting or printing it finds no methods behind symbols.
    get: (_target, prop) =>
      prop === 'then' || typeof prop === 'symbol'
        ? undefined
        : prop === 'close'
          ? () => {}
          : () =>
              Promise.reject(
                new KubeconfigError(
                  `${noKubeconfigMessage(env)} (this command reads the cluster even with --dry-run)`,
                ),
              ),
  });

/**
 * An observer printing the API server's warnings on the CLI's writes as kubectl does
 * (`Warning: <text>`, each text once per command): a `Warn` admission policy speaks only
 * through them, and a user who never sees them learns of the policy when it turns to `Deny`.
 */
export const printWriteWarnings = (stderr: (text: string) => void): RequestObserver => {
  const seen = new Set<string>();
  return (verb, _type, _status, _ms, detail) => {
    if (!WRITE_VERBS.has(verb)) return;
    for (const text of detail.warnings ?? []) {
      if (seen.has(text)) continue;
      seen.add(text);
      stderr(`Warning: ${text}\n`);
    }
  };
};

/**
 * Resolves the flags, reads the config file (unless `readConfig` is false) and connects. With
 * `io.stderr`, the API server's warnings on writes are printed there.
 */
export async function connect(
  flags: ClusterFlags,
  io: Pick<CliIo, 'env' | 'cwd'> & Partial<Pick<CliIo, 'stderr'>>,
  opts: ConnectOptions = {},
): Promise<Cluster> {
  const config = opts.readConfig === false ? undefined : loadConfig(flags.config, io.env, io.cwd);
  const where = flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {};
  const found = connectionSource(where, io.env);
  if (found === undefined && opts.offline) {
    const [namespace, namespaceFrom] = flags.namespace
      ? ([flags.namespace, 'flag'] as const)
      : config?.namespace
        ? ([config.namespace, 'config'] as const)
        : (['default', 'default'] as const);
    return {
      client: noClient(io.env),
      namespace,
      namespaceFrom,
      allNamespaces: Boolean(flags.allNamespaces),
      server: 'no API server (no kubeconfig)',
      source: 'no kubeconfig',
      config,
      close: () => {},
    };
  }
  const source =
    found === undefined
      ? 'no kubeconfig'
      : 'kubeconfig' in found
        ? found.kubeconfig
        : 'in-cluster ServiceAccount';
  const conn = await resolveConnection(
    { ...where, ...(flags.context ? { context: flags.context } : {}) },
    io.env,
  );
  const [namespace, namespaceFrom] = flags.namespace
    ? ([flags.namespace, 'flag'] as const)
    : config?.namespace
      ? ([config.namespace, 'config'] as const)
      : conn.namespace
        ? ([conn.namespace, 'kubeconfig'] as const)
        : (['default', 'default'] as const);
  const client = new HttpKubeClient(conn, {
    fieldManager: CLI_FIELD_MANAGER,
    timeoutMs: CLI_REQUEST_TIMEOUT_MS,
    maxSockets: 8,
    // As kubectl: a 429 (a CRD's storage still initializing just after kelos install) is
    // waited out for a few seconds, not printed.
    busyRetries: 5,
  });
  if (io.stderr) client.observe(printWriteWarnings(io.stderr));
  return {
    client,
    namespace,
    namespaceFrom,
    allNamespaces: Boolean(flags.allNamespaces),
    server: conn.server,
    source,
    ...(flags.context ? { context: flags.context } : {}),
    config,
    close: () => client.close(),
  };
}

/** A named object that does not exist. */
export class ObjectNotFound extends Error {
  override readonly name = 'ObjectNotFound';
  readonly kind: string;
  readonly objectName: string;
  readonly namespace: string | undefined;
  /** Plural of the kind, for the `kelos get` hint. */
  readonly plural: string;
  constructor(kind: string, objectName: string, namespace: string | undefined, plural: string) {
    super(
      `${kind.toLowerCase()} "${objectName}" not found${namespace ? ` in namespace "${namespace}"` : ''}`,
    );
    this.kind = kind;
    this.objectName = objectName;
    this.namespace = namespace;
    this.plural = plural;
  }
}

/** The Kelos API (or one of its kinds) is not served: the CRDs are not installed. */
export class CrdsMissing extends Error {
  override readonly name = 'CrdsMissing';
  /** Plural of the missing kind; undefined when the whole API version is missing. */
  readonly resource: string | undefined;
  constructor(resource: string | undefined) {
    super(
      resource
        ? `the cluster does not serve ${resource}.${GROUP}: its CRD is not installed or is out of date`
        : `the cluster does not serve ${API_VERSION}: the Kelos CRDs are not installed`,
    );
    this.resource = resource;
  }
}

/**
 * Fails with {@link CrdsMissing} unless the cluster serves `type` (or, without a type, the
 * Kelos API version). One discovery request.
 */
export async function ensureServed(cluster: Cluster, type?: ResourceType): Promise<void> {
  let text: string;
  try {
    text = await cluster.client.getText(`/apis/${GROUP}/${type?.version ?? API_VERSION.split('/')[1]}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new CrdsMissing(type?.plural);
    throw err;
  }
  if (!type) return;
  const list = JSON.parse(text) as { resources?: Array<{ name: string }> };
  if (!list.resources?.some((r) => r.name === type.plural)) throw new CrdsMissing(type.plural);
}

/**
 * Reads one object, or fails: {@link ObjectNotFound} when it does not exist, {@link CrdsMissing}
 * when its kind is not served (a GET of an unserved kind is a 404 too).
 */
export async function getOrThrow<T extends { metadata: { name?: string } }>(
  cluster: Cluster,
  type: ResourceType,
  name: string,
  namespace: string | undefined = type.namespaced ? cluster.namespace : undefined,
): Promise<T> {
  const obj = await cluster.client.get<T & { metadata: Record<string, unknown> }>(type, namespace, name);
  if (obj) return obj;
  if (type.group === GROUP) await ensureServed(cluster, type);
  throw new ObjectNotFound(type.kind, name, namespace, type.plural);
}

const FORBIDDEN =
  /User "([^"]*)" cannot ([\w-]+) resource "([^"]*)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]*)"| at the cluster scope)?/;

/** The parts of a 403's message: who tried which verb on what, where. */
export function parseForbidden(
  message: string,
): { user: string; verb: string; resource: string; group: string; namespace?: string } | undefined {
  const m = FORBIDDEN.exec(message);
  if (!m) return undefined;
  return {
    user: m[1]!,
    verb: m[2]!,
    resource: m[3]!,
    group: m[4] ?? '',
    ...(m[5] ? { namespace: m[5] } : {}),
  };
}

/** Node's codes for a server certificate that failed verification: the server answered. */
const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const networkCause = (err: ApiError): string => {
  const cause = err.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? err.message;
};

/** What is said of a namespace the API server does not have, wherever a command meets one. */
export function missingNamespaceText(
  name: string,
  cluster?: Pick<Cluster, 'server' | 'source' | 'context'>,
): string {
  const via = cluster
    ? ` (kubeconfig: ${cluster.source}${cluster.context ? `, context "${cluster.context}"` : ''})`
    : '';
  return (
    `namespace "${name}" does not exist on the API server at ${cluster?.server ?? '?'}${via}. ` +
    `Create it (kubectl create namespace ${name}) or pass -n an existing namespace.`
  );
}

/**
 * Turns any error of a cluster command into one message that says what went wrong and what to
 * do: no API server reachable, credentials refused, RBAC denied, CRDs not installed, an object
 * not found, or a bad kubeconfig. Anything else keeps its own message.
 */
export function explainError(err: unknown, cluster?: Pick<Cluster, 'server' | 'source' | 'context'>): string {
  const via = cluster
    ? ` (kubeconfig: ${cluster.source}${cluster.context ? `, context "${cluster.context}"` : ''})`
    : '';
  if (err instanceof ObjectNotFound) {
    const ns = err.namespace ? ` -n ${err.namespace}` : '';
    return `${err.message}; list what exists with: kelos get ${err.plural}${ns}`;
  }
  if (err instanceof CrdsMissing) {
    return `${err.message} at ${cluster?.server ?? 'the API server'}; run: kelos install`;
  }
  if (err instanceof KubeconfigError) {
    if (err.message.startsWith('no kubeconfig')) return err.message;
    // A context the kubeconfig lacks is most often a misspelt --context, not a bad file.
    return / contexts has no entry named /.test(err.message)
      ? `${err.message}; pass --context one of them (kubectl config get-contexts)`
      : `${err.message}; point --kubeconfig (or KUBECONFIG) at a usable kubeconfig`;
  }
  if (err instanceof UsageError) return err.message;
  if (err instanceof ApiError) {
    if (err.status === 0 && err.reason === 'NetworkError' && TLS_VERIFY_CODES.has(networkCause(err))) {
      return (
        `the API server at ${cluster?.server ?? '?'}${via} presented a certificate the kubeconfig does not let kelos trust: ${networkCause(err)}. ` +
        "Check the cluster's certificate-authority-data (or certificate-authority) in the kubeconfig, and that --context names the right cluster."
      );
    }
    if (err.status === 0 && (err.reason === 'NetworkError' || err.reason === 'Timeout')) {
      return (
        `cannot reach the Kubernetes API server at ${cluster?.server ?? '?'}${via}: ${networkCause(err)}. ` +
        'Check that the cluster is running and that --kubeconfig/--context name it (kubectl cluster-info).'
      );
    }
    if (err.status === 401) {
      return (
        `the API server at ${cluster?.server ?? '?'} refused the credentials${via} (401 Unauthorized). ` +
        'Log in again or refresh the token in the kubeconfig.'
      );
    }
    // A write into a namespace that is gone or going is the API server's 404 or 403, which
    // alone reads as a missing kind or a missing grant: name the namespace instead.
    const missingNamespace =
      err.status === 404 ? /: namespaces "([^"]+)" not found$/.exec(err.message) : null;
    if (missingNamespace) return missingNamespaceText(missingNamespace[1]!, cluster);
    if (isNamespaceTerminating(err)) {
      const name = /in namespace (\S+) because it is being terminated/.exec(err.message)?.[1] ?? '?';
      return (
        `namespace "${name}" is being deleted: the API server creates nothing new in it. ` +
        `Pass -n another namespace, or wait until it is gone and create it again (kubectl get namespace ${name}).`
      );
    }
    if (err.status === 403) {
      const f = parseForbidden(err.message);
      if (!f) return `permission denied: ${err.message}`;
      const what = f.group ? `${f.resource}.${f.group}` : f.resource;
      const where = f.namespace ? ` in namespace "${f.namespace}"` : ' at the cluster scope';
      const ns = f.namespace ? ` -n ${f.namespace}` : '';
      return (
        `permission denied: ${f.user} may not ${f.verb} ${what}${where}. ` +
        `Ask a cluster admin for a ${f.namespace ? 'Role' : 'ClusterRole'} granting "${f.verb}" on "${f.resource}"` +
        `${f.group ? ` in API group "${f.group}"` : ''} (check with: kubectl auth can-i ${f.verb} ${what}${ns} --as ${f.user}).`
      );
    }
    // A 404 on a Kelos collection, or one that is not an object's NotFound Status (the API
    // server answers "404 page not found" for a group it does not serve), means no CRD.
    const unserved = err.reason !== 'NotFound' || /could not find the requested resource/.test(err.message);
    if (err.status === 404 && unserved) {
      const m = new RegExp(`/apis/${GROUP.replace('.', '\\.')}/[^/]+/(?:namespaces/[^/]+/)?([a-z]+)`).exec(
        err.message,
      );
      if (m) return explainError(new CrdsMissing(m[1]), cluster);
    }
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs a cluster command's action: connects, runs `action`, and reports any error through
 * {@link explainError} on stderr with exit code 1. The action may resolve to an exit code
 * (default 0). The connection is closed afterwards.
 */
export async function withCluster(
  io: CliIo,
  done: (code: ExitCode) => void,
  flags: ClusterFlags,
  action: (cluster: Cluster) => Promise<ExitCode | undefined> | Promise<void>,
  opts: ConnectOptions = {},
): Promise<void> {
  let cluster: Cluster | undefined;
  try {
    cluster = await connect(flags, io, opts);
    const code = await action(cluster);
    done(typeof code === 'number' ? code : ExitCode.Ok);
  } catch (err) {
    io.stderr(`kelos: ${explainError(err, cluster)}\n`);
    if (io.env['KELOS_DEBUG'] && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
    done(ExitCode.Error);
  } finally {
    cluster?.close();
  }
}
