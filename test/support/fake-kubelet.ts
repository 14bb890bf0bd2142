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

/** One container's log as the fake holds it. */
interface ContainerLog {
  text: string;
  finished: boolean;
  followers: Set<ServerResponse>;
}

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

  /** Appends to a container's log (starting it); followers receive it at once. */
  append(namespace: string, pod: string, container: string, text: string): void {
    const log = this.#log(namespace, pod, container);
    log.text += text;
    for (const res of log.followers) res.write(text);
  }

  /** The container exits: its followers' streams end, and later follows end after the log. */
  finish(namespace: string, pod: string, container: string): void {
    const log = this.#log(namespace, pod, container);
    log.finished = true;
    for (const res of log.followers) res.end();
    log.followers.clear();
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

  /** Ends every stream and stops the server. */
  async close(): Promise<void> {
    for (const log of this.#logs.values()) for (const res of log.followers) res.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #log(namespace: string, pod: string, container: string): ContainerLog {
    const key = `${namespace}/${pod}/${container}`;
    let log = this.#logs.get(key);
    if (!log) {
      log = { text: '', finished: false, followers: new Set() };
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
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write(log.text);
    if (u.searchParams.get('follow') !== 'true' || log.finished) {
      res.end();
      return;
    }
    log.followers.add(res);
    res.on('close', () => log.followers.delete(res));
  }
}
