/**
 * A fake kubelet on loopback, the way kwok plays one: the API server serves `pods/log` by
 * calling the kubelet of the Pod's node at `/containerLogs/<ns>/<pod>/<container>`, so a test
 * registers a Node whose kubelet endpoint is this HTTPS server, binds its Pod to that Node,
 * and streams logs through the real API server.
 *
 * The certificate is self-signed: the test control plane sets no
 * `--kubelet-certificate-authority`, and without one the API server does not verify the
 * kubelet's serving certificate (as on kubeadm clusters), so nothing has to trust it.
 *
 * Logs are written by the test ({@link FakeKubelet.append}); a `follow=true` request streams
 * what is there and then every later append, until the test ends the container
 * ({@link FakeKubelet.finish}). A container the test has not started ({@link FakeKubelet.start}
 * or a first append) answers 400, as the real kubelet does for a container that is waiting.
 * As the kubelet does, it keeps each complete line with the time it was written, and honours
 * `timestamps=true` (each line prefixed by its RFC 3339 time with nanoseconds, trailing zeros
 * trimmed), `sinceTime` (lines at or after it) and `previous=true` (the log of the instance
 * before a {@link FakeKubelet.restart}). {@link FakeKubelet.drop} cuts the open streams while
 * the container runs, as a restarted API server or a broken connection does.
 *
 * Besides logs, {@link FakeKubelet.podReady} plays the kubelet's status reports: a Pod it is
 * given becomes Running and Ready, so Deployments roll out through the real controllers.
 *
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';

const execFileAsync = promisify(execFile);

/** A complete line (newline included) and when it was written. */
interface LogLine {
  at: string;
  text: string;
}

/** An open follow stream and how it was asked for. */
interface Follower {
  res: ServerResponse;
  timestamps: boolean;
}

/** One container's log as the fake holds it. */
interface ContainerLog {
  lines: LogLine[];
  /** Text after the last newline, kept until its line is complete (or the container ends). */
  partial: string;
  finished: boolean;
  followers: Set<Follower>;
  /** The log of the instance before the last restart. */
  previous?: LogLine[];
}

/** Now as the kubelet writes it: RFC 3339 with nanoseconds, trailing zeros trimmed. */
const now = (): string => {
  const iso = new Date().toISOString();
  return iso.replace(/\.(\d{3})Z$/, (_, ms: string) => {
    const fraction = ms.replace(/0+$/, '');
    return fraction ? `.${fraction}Z` : 'Z';
  });
};

const render = (line: LogLine, timestamps: boolean): string =>
  timestamps ? `${line.at} ${line.text}` : line.text;

/** A self-signed certificate for 127.0.0.1, made with openssl. */
async function selfSignedCert(): Promise<{ cert: Buffer; key: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-kubelet-'));
  try {
    await execFileAsync('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1'],
      ...['-subj', '/CN=fake-kubelet', '-addext', 'subjectAltName=IP:127.0.0.1'],
    ]);
    return { cert: await readFile(join(dir, 'cert.pem')), key: await readFile(join(dir, 'key.pem')) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The fake kubelet's HTTPS server and the logs it serves. */
export class FakeKubelet {
  /** Every request path (with query) the API server sent, in order. */
  readonly requests: string[] = [];
  readonly #server: Server;
  readonly #logs = new Map<string, ContainerLog>();

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Starts the server on a free loopback port. */
  static async start(): Promise<FakeKubelet> {
    const { cert, key } = await selfSignedCert();
    let kubelet: FakeKubelet | undefined;
    const server = createServer({ cert, key }, (req, res) => kubelet?.serve(req.url ?? '/', res));
    kubelet = new FakeKubelet(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return kubelet;
  }

  /** The port the server listens on (the Node's kubelet endpoint). */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** The container starts: its log exists (empty) and can be followed. */
  start(namespace: string, pod: string, container: string): void {
    this.#log(namespace, pod, container);
  }

  /** Appends to a container's log (starting it); followers receive each complete line at once. */
  append(namespace: string, pod: string, container: string, text: string): void {
    const log = this.#log(namespace, pod, container);
    const parts = (log.partial + text).split('\n');
    log.partial = parts.pop() ?? '';
    for (const part of parts) this.#write(log, { at: now(), text: `${part}\n` });
  }

  /** The container exits: its followers' streams end, and later follows end after the log. */
  finish(namespace: string, pod: string, container: string): void {
    const log = this.#log(namespace, pod, container);
    if (log.partial !== '') this.#write(log, { at: now(), text: log.partial });
    log.partial = '';
    log.finished = true;
    for (const f of log.followers) f.res.end();
    log.followers.clear();
  }

  /**
   * Cuts the container's open follow streams while it keeps running: `end` closes them as
   * a server that stops streaming does, `destroy` breaks the connection.
   */
  drop(namespace: string, pod: string, container: string, how: 'end' | 'destroy'): void {
    const log = this.#log(namespace, pod, container);
    for (const f of log.followers) how === 'end' ? f.res.end() : f.res.destroy();
    log.followers.clear();
  }

  /** The container restarts: its log so far becomes the previous one, the new log starts empty. */
  restart(namespace: string, pod: string, container: string): void {
    const log = this.#log(namespace, pod, container);
    for (const f of log.followers) f.res.end();
    log.followers.clear();
    log.previous = log.lines;
    log.lines = [];
    log.partial = '';
    log.finished = false;
  }

  #write(log: ContainerLog, line: LogLine): void {
    log.lines.push(line);
    for (const f of log.followers) f.res.write(render(line, f.timestamps));
  }

  /** Number of open follow streams of a container (to wait until a follower is attached). */
  followers(namespace: string, pod: string, container: string): number {
    return this.#logs.get(`${namespace}/${pod}/${container}`)?.followers.size ?? 0;
  }

  /**
   * Registers Node `name` with this server as its kubelet: InternalIP 127.0.0.1 and
   * `daemonEndpoints.kubeletEndpoint.Port`, Ready.
   */
  async registerNode(kc: KubeConfig, name: string): Promise<void> {
    const core = kc.makeApiClient(CoreV1Api);
    const node = await core.createNode({
      body: { metadata: { name, labels: { 'kelos.dev/fake-kubelet': 'true' } } },
    });
    node.status = {
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: this.port } },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'fake kubelet',
          lastHeartbeatTime: new Date(),
          lastTransitionTime: new Date(),
        },
      ],
    };
    await core.replaceNodeStatus({ name, body: node });
  }

  /** Binds Pod `namespace/pod` to Node `node`, as the scheduler does. */
  static async bindPod(kc: KubeConfig, namespace: string, pod: string, node: string): Promise<void> {
    await kc.makeApiClient(CoreV1Api).createNamespacedPodBinding({
      name: pod,
      namespace,
      body: { metadata: { name: pod }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
    });
  }

  /**
   * Plays the kubelet starting Pod `namespace/pod` on Node `node`: binds it there when it is
   * not bound yet (no scheduler runs in the test cluster), then reports it Running with every
   * container started and ready, and the Ready condition the ReplicaSet controller counts as
   * available.
   */
  static async podReady(kc: KubeConfig, namespace: string, pod: string, node: string): Promise<void> {
    const core = kc.makeApiClient(CoreV1Api);
    if (!(await core.readNamespacedPod({ name: pod, namespace })).spec?.nodeName) {
      await FakeKubelet.bindPod(kc, namespace, pod, node);
    }
    const body = await core.readNamespacedPod({ name: pod, namespace });
    const at = new Date();
    const condition = (type: string) => ({ type, status: 'True', lastTransitionTime: at });
    body.status = {
      ...body.status,
      phase: 'Running',
      hostIP: '127.0.0.1',
      startTime: at,
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(condition),
      containerStatuses: (body.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: at } },
      })),
    };
    await core.replaceNamespacedPodStatus({ name: pod, namespace, body });
  }

  /** Ends every stream and stops the server. */
  async close(): Promise<void> {
    for (const log of this.#logs.values()) for (const f of log.followers) f.res.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #log(namespace: string, pod: string, container: string): ContainerLog {
    const key = `${namespace}/${pod}/${container}`;
    let log = this.#logs.get(key);
    if (!log) {
      log = { lines: [], partial: '', finished: false, followers: new Set() };
      this.#logs.set(key, log);
    }
    return log;
  }

  private serve(url: string, res: ServerResponse): void {
    this.requests.push(url);
    const u = new URL(url, 'https://127.0.0.1');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(u.pathname);
    if (!m) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`fake kubelet: no handler for ${u.pathname}`);
      return;
    }
    const [, namespace, pod, container] = m.map(decodeURIComponent) as [string, string, string, string];
    const log = this.#logs.get(`${namespace}/${pod}/${container}`);
    if (!log) {
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end(`container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
      return;
    }
    const previous = u.searchParams.get('previous') === 'true';
    if (previous && !log.previous) {
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end(`previous terminated container "${container}" in pod "${pod}" not found`);
      return;
    }
    const timestamps = u.searchParams.get('timestamps') === 'true';
    const since = u.searchParams.get('sinceTime');
    const sinceMs = since === null ? undefined : Date.parse(since);
    res.writeHead(200, { 'content-type': 'text/plain' });
    for (const line of (previous ? log.previous : log.lines) ?? []) {
      // Compared to the millisecond: the fake writes no finer times.
      if (sinceMs === undefined || Date.parse(line.at) >= sinceMs) res.write(render(line, timestamps));
    }
    if (previous || u.searchParams.get('follow') !== 'true' || log.finished) {
      res.end();
      return;
    }
    const follower: Follower = { res, timestamps };
    log.followers.add(follower);
    res.on('close', () => log.followers.delete(follower));
  }
}
