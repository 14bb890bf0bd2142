/**
 * Where the API server is and how to authenticate to it: a kubeconfig file (out of cluster)
 * or the Pod's ServiceAccount (in cluster).
 *
 * Why not `KubeConfig` from `@kubernetes/client-node`: importing that package loads every
 * generated API model and costs about 90 MB of resident memory, more than a third of the
 * operator's 250 MB budget, for what is a small YAML file. This loader covers what an
 * operator needs: client certificates, bearer tokens (inline or from a file, re-read as
 * they rotate), basic auth, `exec` credential plugins (EKS, GKE, AKS), and the in-cluster
 * ServiceAccount. It fails with a message naming the field it cannot use (for example the
 * legacy `auth-provider`, or `proxy-url`).
 *
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const execFileAsync = promisify(execFile);

/** TLS settings of the connection. */
export interface TlsSettings {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

/** A resolved connection to an API server. */
export interface Connection {
  /** Base URL, e.g. `https://127.0.0.1:6443`. */
  readonly server: string;
  readonly tls: TlsSettings;
  /** Auth headers for the next request. Cheap: tokens are cached and re-read when due. */
  headers(): Promise<Record<string, string>>;
  /** Namespace of the kubeconfig context (or the Pod), if any. */
  readonly namespace?: string;
  /** The kubeconfig context it was read from; unset for a Pod's ServiceAccount. */
  readonly context?: string;
}

/** A kubeconfig or in-cluster setting that cannot be used. */
export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** How long a token read from a file is used before the file is read again. */
const TOKEN_FILE_TTL_MS = 60_000;

/** A bearer token read from a file, re-read every minute (kubelet rotates projected tokens). */
const tokenFileAuth = (path: string): (() => Promise<Record<string, string>>) => {
  let cached: { token: string; at: number } | undefined;
  return async () => {
    if (!cached || Date.now() - cached.at > TOKEN_FILE_TTL_MS) {
      cached = { token: readFileSync(path, 'utf8').trim(), at: Date.now() };
    }
    return { authorization: `Bearer ${cached.token}` };
  };
};

/** The connection of a Pod's ServiceAccount. */
export function inClusterConnection(
  env: Readonly<Record<string, string | undefined>> = process.env,
  dir = SA_DIR,
): Connection {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
  if (!host) throw new KubeconfigError('not in a cluster: KUBERNETES_SERVICE_HOST is not set');
  const ns = join(dir, 'namespace');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    tls: { ca: readFileSync(join(dir, 'ca.crt')) },
    headers: tokenFileAuth(join(dir, 'token')),
    ...(existsSync(ns) ? { namespace: readFileSync(ns, 'utf8').trim() } : {}),
  };
}

interface NamedEntry<T> {
  name: string;
  [key: string]: unknown;
  value?: T;
}

type Dict = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Loads the current (or the named) context of a kubeconfig file. */
export async function loadKubeconfigFile(path: string, opts: { context?: string } = {}): Promise<Connection> {
  const file = resolve(path);
  let doc: Dict;
  try {
    doc = (parse(readFileSync(file, 'utf8')) ?? {}) as Dict;
  } catch (err) {
    throw new KubeconfigError(`cannot read kubeconfig ${file}: ${(err as Error).message}`);
  }
  const base = dirname(file);
  const at = (p: string) => (isAbsolute(p) ? p : join(base, p));
  const find = (list: string, name: string, field: string): Dict => {
    const entries = (Array.isArray(doc[list]) ? doc[list] : []) as NamedEntry<unknown>[];
    const entry = entries.find((e) => e?.name === name);
    if (!entry) {
      const names = entries.flatMap((e) => (typeof e?.name === 'string' ? [JSON.stringify(e.name)] : []));
      throw new KubeconfigError(
        `kubeconfig ${file}: ${list} has no entry named "${name}" (${names.length > 0 ? `it has ${names.join(', ')}` : 'it has none'})`,
      );
    }
    return (entry[field] ?? {}) as Dict;
  };
  const contextName = opts.context ?? str(doc['current-context']);
  if (!contextName) throw new KubeconfigError(`kubeconfig ${file}: no current-context (pass a context)`);
  const context = find('contexts', contextName, 'context');
  const clusterName = str(context['cluster']);
  if (!clusterName)
    throw new KubeconfigError(`kubeconfig ${file}: context "${contextName}" names no cluster`);
  const cluster = find('clusters', clusterName, 'cluster');
  const userName = str(context['user']);
  const user = userName ? find('users', userName, 'user') : {};

  const server = str(cluster['server']);
  if (!server) throw new KubeconfigError(`kubeconfig ${file}: cluster "${clusterName}" has no server`);
  if (cluster['proxy-url']) {
    throw new KubeconfigError(
      `kubeconfig ${file}: cluster "${clusterName}" uses proxy-url, which the operator does not support`,
    );
  }
  const bytes = (dataField: unknown, pathField: unknown): Buffer | undefined => {
    const data = str(dataField);
    if (data) return Buffer.from(data, 'base64');
    const p = str(pathField);
    return p ? readFileSync(at(p)) : undefined;
  };
  const tls: TlsSettings = {};
  const ca = bytes(cluster['certificate-authority-data'], cluster['certificate-authority']);
  if (ca) tls.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) tls.rejectUnauthorized = false;
  const servername = str(cluster['tls-server-name']);
  if (servername) tls.servername = servername;
  const cert = bytes(user['client-certificate-data'], user['client-certificate']);
  const key = bytes(user['client-key-data'], user['client-key']);
  if (cert) tls.cert = cert;
  if (key) tls.key = key;

  if (user['auth-provider']) {
    throw new KubeconfigError(
      `kubeconfig ${file}: user "${userName}" uses auth-provider, which Kubernetes removed; use an exec credential plugin`,
    );
  }
  let headers: () => Promise<Record<string, string>> = async () => ({});
  const token = str(user['token']);
  const tokenFile = str(user['tokenFile']);
  const username = str(user['username']);
  if (token) headers = async () => ({ authorization: `Bearer ${token}` });
  else if (tokenFile) headers = tokenFileAuth(at(tokenFile));
  else if (username) {
    const basic = Buffer.from(`${username}:${str(user['password']) ?? ''}`).toString('base64');
    headers = async () => ({ authorization: `Basic ${basic}` });
  } else if (user['exec']) headers = execAuth(user['exec'] as Dict, server, file);
  const namespace = str(context['namespace']);
  return { server, tls, headers, context: contextName, ...(namespace ? { namespace } : {}) };
}

/** A `client.authentication.k8s.io` exec plugin: runs it for a token, cached until it expires. */
function execAuth(exec: Dict, server: string, file: string): () => Promise<Record<string, string>> {
  const command = str(exec['command']);
  if (!command) throw new KubeconfigError(`kubeconfig ${file}: exec has no command`);
  const args = Array.isArray(exec['args']) ? (exec['args'] as unknown[]).map(String) : [];
  const extraEnv: Record<string, string> = {};
  for (const e of (exec['env'] ?? []) as Array<{ name?: string; value?: string }>) {
    if (e?.name) extraEnv[e.name] = e.value ?? '';
  }
  const apiVersion = str(exec['apiVersion']) ?? 'client.authentication.k8s.io/v1';
  let cached: { token: string; until: number } | undefined;
  return async () => {
    if (!cached || Date.now() >= cached.until) {
      const info = { apiVersion, kind: 'ExecCredential', spec: { interactive: false, cluster: { server } } };
      const { stdout } = await execFileAsync(command, args, {
        env: { ...process.env, ...extraEnv, KUBERNETES_EXEC_INFO: JSON.stringify(info) },
        timeout: 60_000,
      });
      const status = (JSON.parse(stdout) as { status?: { token?: string; expirationTimestamp?: string } })
        .status;
      if (!status?.token) {
        throw new KubeconfigError(`kubeconfig ${file}: exec plugin ${command} returned no status.token`);
      }
      const expires = Date.parse(status.expirationTimestamp ?? '');
      cached = {
        token: status.token,
        until: Number.isNaN(expires) ? Date.now() + 10 * 60_000 : expires - 60_000,
      };
    }
    return { authorization: `Bearer ${cached.token}` };
  };
}

/**
 * Where {@link resolveConnection} takes the connection from: `--kubeconfig`, else `$KUBECONFIG`
 * (the first file of the list that exists), else the in-cluster ServiceAccount, else
 * `~/.kube/config`. Undefined when there is none. Exported so a CLI can name the file in its
 * error messages.
 */
export function connectionSource(
  opts: { kubeconfig?: string },
  env: Readonly<Record<string, string | undefined>> = process.env,
): { kubeconfig: string } | { inCluster: true } | undefined {
  if (opts.kubeconfig) return { kubeconfig: resolve(opts.kubeconfig) };
  const fromEnv = (env['KUBECONFIG'] ?? '').split(':').filter((p) => p && existsSync(p));
  if (fromEnv[0]) return { kubeconfig: resolve(fromEnv[0]) };
  if (env['KUBERNETES_SERVICE_HOST']) return { inCluster: true };
  const home = join(env['HOME'] || homedir(), '.kube', 'config');
  return existsSync(home) ? { kubeconfig: home } : undefined;
}

/**
 * Why {@link connectionSource} found nothing, in words: a `KUBECONFIG` whose files are all
 * missing is named, since the user set it and expects it to be read.
 */
export function noKubeconfigMessage(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const listed = (env['KUBECONFIG'] ?? '').split(':').filter(Boolean);
  return listed.length > 0
    ? `no kubeconfig: KUBECONFIG names ${listed.length === 1 ? 'a file that does not exist' : 'no file that exists'} (${listed.join(', ')}); pass --kubeconfig, correct KUBECONFIG, or run in a cluster`
    : `no kubeconfig: KUBECONFIG is not set and ${join(env['HOME'] || homedir(), '.kube', 'config')} does not exist; pass --kubeconfig, set KUBECONFIG, or run in a cluster`;
}

/** The connection `kelos operator` and the cluster commands use; see {@link connectionSource}. */
export async function resolveConnection(
  opts: { kubeconfig?: string; context?: string },
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Connection> {
  const source = connectionSource(opts, env);
  if (source === undefined) {
    throw new KubeconfigError(noKubeconfigMessage(env));
  }
  return 'inCluster' in source ? inClusterConnection(env) : loadKubeconfigFile(source.kubeconfig, opts);
}
