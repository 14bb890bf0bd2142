/**
 * A real Kubernetes control plane for the cluster test tier: etcd, kube-apiserver and
 * kube-controller-manager, built from the Go module proxy by `build-binaries.sh` and run as
 * local processes on loopback.
 *
 * No kubelet, scheduler or container runtime runs, so Pods stay Pending until a test writes
 * their status. The controller-manager runs only the controllers whose behaviour our
 * operator depends on (see {@link CONTROLLERS}).
 *
 * @module
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readlinkSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify as toYaml } from 'yaml';

const execFileAsync = promisify(execFile);

/** The phase of bringing a control plane up (or down) that an error belongs to. */
export type ControlPlaneStep =
  | 'setup'
  | 'build'
  | 'pki'
  | 'etcd'
  | 'apiserver'
  | 'controller-manager'
  | 'readiness'
  | 'stop';

/** Thrown by every failure of the harness; `step` names the phase, the message carries the log tail. */
export class ControlPlaneError extends Error {
  /** The phase that failed. */
  readonly step: ControlPlaneStep;

  constructor(step: ControlPlaneStep, message: string, options?: { cause?: unknown }) {
    super(`control plane step '${step}' failed: ${message}`, options);
    this.name = 'ControlPlaneError';
    this.step = step;
  }
}

/** The processes the harness runs, in start order. */
export type ProcessName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager';

/** One started process, as recorded in the state file. */
export interface RecordedProcess {
  name: ProcessName;
  pid: number;
  /** Absolute binary path; checked against /proc/<pid>/exe before signalling so a reused PID is never hit. */
  binary: string;
  logPath: string;
}

/** The on-disk record of a control plane, enough for another process to stop it. */
export interface ControlPlaneState {
  version: 1;
  stateDir: string;
  kubeconfigPath: string;
  server: string;
  k8sVersion: string;
  etcdVersion: string;
  /** etcd's data dir, usually on /dev/shm, outside `stateDir`. */
  etcdDataDir: string;
  processes: RecordedProcess[];
  startedAt: string;
}

/** Versions and location of the built binaries, as reported by `build-binaries.sh --print-env`. */
export interface Binaries {
  k8sVersion: string;
  etcdVersion: string;
  goVersion: string;
  binDir: string;
}

/** Wall-clock milliseconds spent in each phase of {@link startControlPlane}. */
export interface StartTimings {
  build: number;
  pki: number;
  etcd: number;
  apiserver: number;
  controllerManager: number;
  total: number;
}

/** Options for {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /**
   * Directory for the PKI, kubeconfigs, logs and `state.json`. It must not hold a running
   * control plane. Default: a fresh temp dir.
   */
  stateDir?: string;
  /**
   * Start the processes in their own process group so they outlive this Node process
   * (`cluster:up`). Leave false in test runs: then a Ctrl-C in the terminal reaches them too.
   */
  detached?: boolean;
  /** How long each component may take to become ready. Default 90 s (2-core machines are slow). */
  readyTimeoutMs?: number;
  /** Progress lines (build output, phase timings). Default: silent. */
  log?: (line: string) => void;
  /** Extra flags appended per component, e.g. a short `--min-request-timeout` for watch tests. */
  extraArgs?: {
    etcd?: readonly string[];
    apiserver?: readonly string[];
    controllerManager?: readonly string[];
  };
}

/** A running control plane. */
export interface ControlPlane {
  /** Absolute path of an admin (system:masters) kubeconfig. */
  kubeconfigPath: string;
  /** The API server URL, `https://127.0.0.1:<port>`. */
  server: string;
  stateDir: string;
  k8sVersion: string;
  etcdVersion: string;
  binDir: string;
  processes: readonly RecordedProcess[];
  timings: StartTimings;
  /** Stops the processes by their recorded PIDs and removes the state and data dirs. */
  stop(): Promise<void>;
}

/**
 * Controllers run by kube-controller-manager. Job, garbage collector and namespace deletion are
 * what the operator relies on; the service-account trio makes Pods admissible (the
 * ServiceAccount admission plugin stays on, so Pods look as they would in a real cluster);
 * ttl-after-finished, clusterrole aggregation, deployment and replicaset let install manifests
 * (aggregated edit/view roles, the operator Deployment) and Job TTLs behave; the
 * ValidatingAdmissionPolicy status controller type-checks policies (the compiled `kelos check`
 * policies are asserted to type-check cleanly).
 * Left out on purpose: pod GC (it deletes Pods bound to the fake node names tests write) and
 * everything node- or cloud-related.
 */
export const CONTROLLERS: readonly string[] = [
  'job-controller',
  'garbage-collector-controller',
  'namespace-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'ttl-after-finished-controller',
  'clusterrole-aggregation-controller',
  'deployment-controller',
  'replicaset-controller',
  'validatingadmissionpolicy-status-controller',
];

const BUILD_SCRIPT = fileURLToPath(new URL('./build-binaries.sh', import.meta.url));
const STATE_FILE = 'state.json';
const TEMP_PREFIX = 'kelos-testenv-';
/** A run younger than this may still be starting (or retrying a port), so it is never swept. */
const SWEEP_MIN_AGE_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const LOG_TAIL_LINES = 40;

/**
 * Builds the binaries if the cache lacks them (minutes when cold, about a second when warm) and
 * returns where they are.
 */
export async function ensureBinaries(
  opts: { log?: (line: string) => void; logPath?: string } = {},
): Promise<Binaries> {
  const env = await printEnv();
  const logPath = opts.logPath;
  const code = await new Promise<{ code: number | null; stdout: string }>((resolveRun, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let pending = '';
    const logFd = logPath === undefined ? undefined : openSync(logPath, 'a');
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (logFd !== undefined) writeFd(logFd, chunk);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) opts.log?.(line);
    });
    child.on('error', (err) => {
      if (logFd !== undefined) closeSync(logFd);
      reject(new ControlPlaneError('build', `could not run ${BUILD_SCRIPT}: ${err.message}`, { cause: err }));
    });
    child.on('close', (exitCode) => {
      if (pending) opts.log?.(pending);
      if (logFd !== undefined) closeSync(logFd);
      resolveRun({ code: exitCode, stdout });
    });
  });
  if (code.code !== 0) {
    const tail = logPath === undefined ? '' : `\n--- tail of ${logPath} ---\n${tailOf(logPath)}`;
    throw new ControlPlaneError('build', `${BUILD_SCRIPT} exited with ${code.code}${tail}`);
  }
  const binDir = code.stdout.trim().split('\n').pop() ?? '';
  if (binDir !== env.binDir) {
    throw new ControlPlaneError('build', `${BUILD_SCRIPT} reported '${binDir}', expected '${env.binDir}'`);
  }
  return env;
}

/** Reads the pinned versions and binary dir from the build script without building anything. */
export async function printEnv(): Promise<Binaries> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('bash', [BUILD_SCRIPT, '--print-env']));
  } catch (err) {
    throw new ControlPlaneError('build', `${BUILD_SCRIPT} --print-env failed: ${errorText(err)}`, {
      cause: err,
    });
  }
  const vars = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) vars.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const get = (key: string): string => {
    const value = vars.get(key);
    if (!value) throw new ControlPlaneError('build', `${BUILD_SCRIPT} --print-env did not print ${key}`);
    return value;
  };
  return {
    k8sVersion: get('K8S_VERSION'),
    etcdVersion: get('ETCD_VERSION'),
    goVersion: get('GO_VERSION'),
    binDir: get('BIN_DIR'),
  };
}

/**
 * Builds (if needed) and starts etcd, kube-apiserver and kube-controller-manager, and resolves
 * once the API server is ready, namespace `default` exists and the controller-manager has
 * created its `default` ServiceAccount. On failure everything started so far is stopped and a
 * {@link ControlPlaneError} names the step; logs are kept in `stateDir` for inspection.
 */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = opts.log ?? (() => {});
  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
  const detached = opts.detached ?? false;
  const t0 = performance.now();
  if (opts.stateDir === undefined) await sweepStaleRuns();
  const stateDir = resolve(opts.stateDir ?? (await mkdtemp(join(tmpdir(), TEMP_PREFIX))));
  await mkdir(stateDir, { recursive: true });
  if (existsSync(join(stateDir, STATE_FILE))) {
    throw new ControlPlaneError('setup', `${stateDir} already holds a control plane; stop it first`);
  }
  const logsDir = join(stateDir, 'logs');
  const pkiDir = join(stateDir, 'pki');
  await mkdir(logsDir, { recursive: true });

  const timings: StartTimings = { build: 0, pki: 0, etcd: 0, apiserver: 0, controllerManager: 0, total: 0 };
  let mark = performance.now();
  const lap = (key: Exclude<keyof StartTimings, 'total'>): void => {
    const now = performance.now();
    timings[key] = Math.round(now - mark);
    mark = now;
    log(`[control-plane] ${key}: ${(timings[key] / 1000).toFixed(1)}s`);
  };

  const bins = await ensureBinaries({ log, logPath: join(logsDir, 'build.log') });
  lap('build');

  let pki: Pki;
  try {
    pki = await makePki(pkiDir);
  } catch (err) {
    throw new ControlPlaneError('pki', `openssl failed in ${pkiDir}: ${errorText(err)}`, { cause: err });
  }
  lap('pki');

  const etcdDataDir = await mkdtemp(
    join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'kelos-testenv-etcd-'),
  );
  const state: ControlPlaneState = {
    version: 1,
    stateDir,
    kubeconfigPath: join(stateDir, 'kubeconfig'),
    server: '',
    k8sVersion: bins.k8sVersion,
    etcdVersion: bins.etcdVersion,
    etcdDataDir,
    processes: [],
    startedAt: new Date().toISOString(),
  };
  const ctx: StartContext = {
    bins,
    pki,
    state,
    logsDir,
    detached,
    readyTimeoutMs,
    extraArgs: opts.extraArgs ?? {},
  };

  try {
    await writeState(state);
    const etcdUrl = await startEtcd(ctx);
    lap('etcd');
    await startApiserver(ctx, etcdUrl);
    lap('apiserver');
    await startControllerManager(ctx);
    lap('controllerManager');
  } catch (err) {
    // Leave nothing running, but keep the logs: they are what the error points at.
    await stopProcesses(state.processes).catch(() => {});
    await rm(etcdDataDir, { recursive: true, force: true });
    await rm(join(stateDir, STATE_FILE), { force: true });
    if (err instanceof ControlPlaneError) {
      err.message += `\n(logs kept in ${logsDir})`;
      throw err;
    }
    throw new ControlPlaneError('readiness', `${errorText(err)} (logs kept in ${logsDir})`, { cause: err });
  }
  timings.total = Math.round(performance.now() - t0);
  log(`[control-plane] ready in ${(timings.total / 1000).toFixed(1)}s: ${state.server}`);

  return {
    kubeconfigPath: state.kubeconfigPath,
    server: state.server,
    stateDir,
    k8sVersion: bins.k8sVersion,
    etcdVersion: bins.etcdVersion,
    binDir: bins.binDir,
    processes: state.processes,
    timings,
    stop: () => stopControlPlane(stateDir),
  };
}

/** Reads the state file of a control plane, or undefined when there is none. */
export async function readState(stateDir: string): Promise<ControlPlaneState | undefined> {
  let text: string;
  try {
    text = await readFile(join(stateDir, STATE_FILE), 'utf8');
  } catch {
    return undefined;
  }
  return JSON.parse(text) as ControlPlaneState;
}

/**
 * Stops the control plane recorded in `stateDir` (SIGTERM, then SIGKILL after a timeout, by
 * recorded PID only) and removes its data and state dirs. A no-op when nothing is recorded.
 */
export async function stopControlPlane(stateDir: string): Promise<void> {
  const state = await readState(stateDir);
  if (state === undefined) return;
  await stopProcesses(state.processes);
  await rm(state.etcdDataDir, { recursive: true, force: true });
  await rm(stateDir, { recursive: true, force: true });
}

/**
 * Removes the temp dirs of earlier runs that died without teardown (a Ctrl-C reaches the
 * processes but vitest never runs teardown), so etcd data does not pile up in /dev/shm. Only
 * runs with a state file whose recorded processes are all gone are touched; runs that failed
 * to start keep their logs on purpose.
 */
export async function sweepStaleRuns(): Promise<void> {
  let names: string[];
  try {
    names = await readdir(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    if (!/^kelos-testenv-[A-Za-z0-9]{6}$/.test(name)) continue;
    const dir = join(tmpdir(), name);
    let state: ControlPlaneState | undefined;
    try {
      state = await readState(dir);
    } catch {
      continue;
    }
    if (state === undefined || state.processes.length === 0) continue;
    if (Date.now() - Date.parse(state.startedAt) < SWEEP_MIN_AGE_MS) continue;
    if (state.processes.some(isRunning)) continue;
    // The state file is just a file in /tmp: only ever delete a data dir we could have made.
    if (/\/kelos-testenv-etcd-[A-Za-z0-9]{6}$/.test(state.etcdDataDir)) {
      await rm(state.etcdDataDir, { recursive: true, force: true });
    }
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Sends SIGKILL to every recorded process that is still ours, synchronously. For `process.on('exit')`
 * safety nets, where nothing asynchronous can run.
 */
export function killRecordedProcessesSync(processes: readonly RecordedProcess[]): void {
  for (const p of processes) {
    if (isRunning(p)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

/** True when the recorded process still runs and is the binary we started (not a reused PID). */
export function isRunning(p: RecordedProcess): boolean {
  try {
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    const procState = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (procState === 'Z' || procState === 'X') return false;
    // A binary replaced by a rebuild shows as "<path> (deleted)"; it is still our process.
    const exe = readlinkSync(`/proc/${p.pid}/exe`).replace(/ \(deleted\)$/, '');
    return exe === p.binary;
  } catch {
    return false;
  }
}

/** Returns the last lines of a log file, for error messages. */
export function tailOf(path: string, lines = LOG_TAIL_LINES): string {
  try {
    const text = readFileSync(path, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(could not read ${path}: ${errorText(err)})`;
  }
}

interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  controllerManagerCert: string;
  controllerManagerKey: string;
  saKey: string;
  saPub: string;
}

interface StartContext {
  bins: Binaries;
  pki: Pki;
  state: ControlPlaneState;
  logsDir: string;
  detached: boolean;
  readyTimeoutMs: number;
  extraArgs: NonNullable<ControlPlaneOptions['extraArgs']>;
}

// Own config so the result does not depend on the distro's openssl.cnf defaults.
const OPENSSL_CNF = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = kelos-testenv
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, IP:10.0.0.1
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;

/**
 * A throwaway PKI: one CA for serving and client certificates, and a separate keypair for
 * service-account tokens. EC P-256 keys keep it fast; the certificates live a week.
 */
async function makePki(dir: string): Promise<Pki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const f = (name: string): string => join(dir, name);
  const pki: Pki = {
    dir,
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    servingCert: f('apiserver.crt'),
    servingKey: f('apiserver.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    controllerManagerCert: f('controller-manager.crt'),
    controllerManagerKey: f('controller-manager.key'),
    saKey: f('sa.key'),
    saPub: f('sa.pub'),
  };
  const cnf = f('openssl.cnf');
  await writeFile(cnf, OPENSSL_CNF);
  const openssl = async (...args: string[]): Promise<void> => {
    await execFileAsync('openssl', args, { cwd: dir });
  };
  const ecKey = (out: string): Promise<void> =>
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out);

  await ecKey(pki.caKey);
  await openssl(
    ...['req', '-x509', '-new', '-config', cnf, '-extensions', 'ca', '-key', pki.caKey],
    ...['-subj', '/O=kelos-testenv/CN=kelos-testenv-ca', '-days', '7', '-out', pki.caCert],
  );
  const leaf = async (
    cert: string,
    key: string,
    subject: string,
    section: 'server' | 'client',
  ): Promise<void> => {
    await ecKey(key);
    const csr = `${cert}.csr`;
    await openssl('req', '-new', '-config', cnf, '-key', key, '-subj', subject, '-out', csr);
    await openssl(
      ...['x509', '-req', '-in', csr, '-CA', pki.caCert, '-CAkey', pki.caKey],
      ...['-set_serial', `0x${randomBytes(12).toString('hex')}`, '-days', '7'],
      ...['-extfile', cnf, '-extensions', section, '-out', cert],
    );
    await rm(csr);
  };
  await Promise.all([
    leaf(pki.servingCert, pki.servingKey, '/CN=localhost', 'server'),
    leaf(pki.adminCert, pki.adminKey, '/O=system:masters/CN=kelos-admin', 'client'),
    // The real controller-manager identity, plus system:masters: without
    // --use-service-account-credentials every controller acts as this user, and the bootstrap
    // role of system:kube-controller-manager alone cannot, for example, create Pods for Jobs.
    leaf(
      pki.controllerManagerCert,
      pki.controllerManagerKey,
      '/O=system:masters/CN=system:kube-controller-manager',
      'client',
    ),
    (async () => {
      await ecKey(pki.saKey);
      await openssl('pkey', '-in', pki.saKey, '-pubout', '-out', pki.saPub);
    })(),
  ]);
  return pki;
}

async function startEtcd(ctx: StartContext): Promise<string> {
  const { bins, state, logsDir } = ctx;
  const binary = join(bins.binDir, 'etcd');
  const logPath = join(logsDir, 'etcd.log');
  return withPortRetry('etcd', logPath, async () => {
    const [clientPort, peerPort] = await freePorts(2);
    const clientUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const proc = await launch(ctx, 'etcd', binary, logPath, [
      '--name=kelos-testenv',
      `--data-dir=${state.etcdDataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=kelos-testenv=${peerUrl}`,
      // Test data is disposable; fsync would make every write wait on the disk.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
      ...(ctx.extraArgs.etcd ?? []),
    ]);
    await waitUntil(ctx, 'etcd', proc, 'GET /health = 200', async () => {
      const res = await get(`${clientUrl}/health`);
      return res.status === 200;
    });
    return clientUrl;
  });
}

async function startApiserver(ctx: StartContext, etcdUrl: string): Promise<void> {
  const { bins, pki, state, logsDir } = ctx;
  const binary = join(bins.binDir, 'kube-apiserver');
  const logPath = join(logsDir, 'kube-apiserver.log');
  const certDir = join(state.stateDir, 'apiserver-certs');
  await mkdir(certDir, { recursive: true });
  await withPortRetry('apiserver', logPath, async () => {
    const [port] = await freePorts(1);
    const server = `https://127.0.0.1:${port}`;
    state.server = server;
    await writeKubeconfig(state.kubeconfigPath, server, pki, pki.adminCert, pki.adminKey, 'kelos-admin');
    const proc = await launch(ctx, 'kube-apiserver', binary, logPath, [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      // Without these it picks the default-route address and manages the `kubernetes`
      // Service endpoints, which fails where there is no default route.
      '--advertise-address=127.0.0.1',
      '--endpoint-reconciler-type=none',
      // A writable cert dir: the default /var/run/kubernetes is not.
      `--cert-dir=${certDir}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      '--authorization-mode=RBAC',
      // As hardened clusters (and OpenShift) run it: setting blockOwnerDeletion on an owner
      // reference needs `update` on the owner's finalizers, which the install grants for Tasks.
      '--enable-admission-plugins=OwnerReferencesPermissionEnforcement',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      // No server-side throttling: scale runs must measure the operator, not these limits.
      '--max-requests-inflight=0',
      '--max-mutating-requests-inflight=0',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      ...(ctx.extraArgs.apiserver ?? []),
    ]);
    const tls = { ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey };
    await waitUntil(ctx, 'apiserver', proc, 'GET /readyz = 200', async () => {
      const res = await get(`${server}/readyz`, tls);
      return res.status === 200;
    });
    await waitUntil(ctx, 'readiness', proc, 'namespace "default" exists', async () => {
      const res = await get(`${server}/api/v1/namespaces/default`, tls);
      return res.status === 200;
    });
  });
  await writeState(state);
}

async function startControllerManager(ctx: StartContext): Promise<void> {
  const { bins, pki, state, logsDir } = ctx;
  const binary = join(bins.binDir, 'kube-controller-manager');
  const logPath = join(logsDir, 'kube-controller-manager.log');
  const kubeconfig = join(state.stateDir, 'controller-manager.kubeconfig');
  await writeKubeconfig(
    kubeconfig,
    state.server,
    pki,
    pki.controllerManagerCert,
    pki.controllerManagerKey,
    'system:kube-controller-manager',
  );
  const certDir = join(state.stateDir, 'controller-manager-certs');
  await mkdir(certDir, { recursive: true });
  await withPortRetry('controller-manager', logPath, async () => {
    const [port] = await freePorts(1);
    const proc = await launch(ctx, 'kube-controller-manager', binary, logPath, [
      // No --authentication-kubeconfig: delegated auth would look up a requestheader CA the
      // apiserver does not have, and only /healthz (always allowed) is ever scraped here.
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      `--controllers=${CONTROLLERS.join(',')}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${certDir}`,
      // Signs the legacy token Secrets that the serviceaccount-token controller fills in.
      `--service-account-private-key-file=${pki.saKey}`,
      // Published into every namespace as the kube-root-ca.crt ConfigMap.
      `--root-ca-file=${pki.caCert}`,
      // Client-side throttling would cap Job and GC throughput in scale runs.
      '--kube-api-qps=1000',
      '--kube-api-burst=2000',
      ...(ctx.extraArgs.controllerManager ?? []),
    ]);
    await waitUntil(ctx, 'controller-manager', proc, 'GET /healthz = 200', async () => {
      const res = await get(`https://127.0.0.1:${port}/healthz`, { insecure: true });
      return res.status === 200;
    });
  });
  await writeState(state);
  // Proves the controllers actually run (not just that the process serves /healthz), and makes
  // Pods admissible in `default` before the first test creates one.
  const kcm = state.processes.find((p) => p.name === 'kube-controller-manager')!;
  const tls = { ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey };
  await waitUntil(ctx, 'readiness', kcm, 'ServiceAccount default/default exists', async () => {
    const res = await get(`${state.server}/api/v1/namespaces/default/serviceaccounts/default`, tls);
    return res.status === 200;
  });
}

/**
 * Free-port selection races with every other process on the machine: the port is released
 * before the component binds it. Retry the component on a bind failure.
 */
async function withPortRetry<T>(
  step: ControlPlaneStep,
  logPath: string,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      const bindFailure = /address already in use/i.test(tailOf(logPath, 200));
      if (!(err instanceof ControlPlaneError) || err.step !== step || !bindFailure || i >= 3) throw err;
    }
  }
}

async function launch(
  ctx: StartContext,
  name: ProcessName,
  binary: string,
  logPath: string,
  args: readonly string[],
): Promise<RecordedProcess> {
  const step = stepOf(name);
  const fd = openSync(logPath, 'a');
  writeFd(fd, `\n=== ${new Date().toISOString()} ${binary} ${args.join(' ')}\n`);
  let pid: number | undefined;
  try {
    const child = spawn(binary, args, { detached: ctx.detached, stdio: ['ignore', fd, fd] });
    child.on('error', () => {});
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(fd);
  }
  if (pid === undefined) throw new ControlPlaneError(step, `could not start ${binary}\n${tailOf(logPath)}`);
  const proc: RecordedProcess = { name, pid, binary, logPath };
  // Replace an earlier failed attempt of the same component.
  ctx.state.processes = [...ctx.state.processes.filter((p) => p.name !== name), proc];
  await writeState(ctx.state);
  return proc;
}

async function waitUntil(
  ctx: StartContext,
  step: ControlPlaneStep,
  proc: RecordedProcess,
  what: string,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = performance.now() + ctx.readyTimeoutMs;
  let lastError = '';
  for (;;) {
    if (!isRunning(proc)) {
      throw new ControlPlaneError(
        step,
        `${proc.name} (pid ${proc.pid}) exited while waiting for ${what}\n--- tail of ${proc.logPath} ---\n${tailOf(proc.logPath)}`,
      );
    }
    try {
      if (await check()) return;
      lastError = '';
    } catch (err) {
      lastError = errorText(err);
    }
    if (performance.now() > deadline) {
      throw new ControlPlaneError(
        step,
        `timed out after ${ctx.readyTimeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}\n--- tail of ${proc.logPath} ---\n${tailOf(proc.logPath)}`,
      );
    }
    await sleep(200);
  }
}

async function stopProcesses(processes: readonly RecordedProcess[]): Promise<void> {
  // Reverse start order: clients first, so nothing logs storms of connection errors.
  const failures: string[] = [];
  for (const p of [...processes].reverse()) {
    if (!isRunning(p)) continue;
    signal(p, 'SIGTERM');
    if (await waitForExit(p, STOP_TIMEOUT_MS)) continue;
    signal(p, 'SIGKILL');
    if (!(await waitForExit(p, 5_000))) failures.push(`${p.name} (pid ${p.pid})`);
  }
  if (failures.length > 0) {
    throw new ControlPlaneError('stop', `still running after SIGKILL: ${failures.join(', ')}`);
  }
}

function signal(p: RecordedProcess, sig: NodeJS.Signals): void {
  try {
    process.kill(p.pid, sig);
  } catch {
    // Exited between the check and the signal.
  }
}

async function waitForExit(p: RecordedProcess, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!isRunning(p)) return true;
    await sleep(100);
  }
  return !isRunning(p);
}

function stepOf(name: ProcessName): ControlPlaneStep {
  if (name === 'etcd') return 'etcd';
  if (name === 'kube-apiserver') return 'apiserver';
  return 'controller-manager';
}

async function writeState(state: ControlPlaneState): Promise<void> {
  const path = join(state.stateDir, STATE_FILE);
  await writeFile(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  // Rename so a concurrent `cluster:down` never reads half a file.
  await rename(`${path}.tmp`, path);
}

async function writeKubeconfig(
  path: string,
  server: string,
  pki: Pki,
  cert: string,
  key: string,
  user: string,
): Promise<void> {
  const b64 = (file: string): string => readFileSync(file).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kelos-testenv', cluster: { server, 'certificate-authority-data': b64(pki.caCert) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(cert), 'client-key-data': b64(key) } }],
    contexts: [{ name: 'kelos-testenv', context: { cluster: 'kelos-testenv', user } }],
    'current-context': 'kelos-testenv',
  };
  await writeFile(path, toYaml(config), { mode: 0o600 });
}

/** `n` distinct free TCP ports on the loopback interface. */
export async function freePorts(n: number): Promise<number[]> {
  // Hold all listeners open together so the n ports are distinct.
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolveListen, reject) => {
          const srv = createServer();
          srv.once('error', reject);
          srv.listen(0, '127.0.0.1', () => resolveListen(srv));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  /** Skip server verification: the controller-manager serves a self-signed certificate. */
  insecure?: boolean;
}

function get(url: string, tls?: TlsFiles): Promise<{ status: number; body: string }> {
  return new Promise((resolveGet, reject) => {
    const u = new URL(url);
    const options =
      u.protocol === 'https:'
        ? {
            ca: tls?.ca === undefined ? undefined : readFileSync(tls.ca),
            cert: tls?.cert === undefined ? undefined : readFileSync(tls.cert),
            key: tls?.key === undefined ? undefined : readFileSync(tls.key),
            rejectUnauthorized: !tls?.insecure,
          }
        : {};
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      { ...options, method: 'GET', timeout: 5_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout GET ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

function writeFd(fd: number, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const stderr = (err as { stderr?: unknown }).stderr;
    return typeof stderr === 'string' && stderr.trim() ? `${err.message}\n${stderr.trim()}` : err.message;
  }
  return String(err);
}
