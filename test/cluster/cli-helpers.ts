/**
 * Helpers for the `kelos` cluster-command tests: the CLI in-process with captured output, or
 * as a real process from a fresh shell; kubeconfigs for a token, and for an API server that is
 * not there.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { DEPLOYMENT, INSTALL_DEFAULTS } from '../../src/cli/cluster/bundle.ts';
import { runCli } from '../../src/cli/program.ts';
import { INSTALL_LABELS } from '../../src/install/index.ts';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import { loadKubeconfigFile } from '../../src/kube/kubeconfig.ts';

/** Where the `kelos` executable's source is. */
export const KELOS_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** What one CLI run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI run in progress, its output readable while it runs (`logs -f`). */
export interface StartedRun {
  stdout(): string;
  stderr(): string;
  readonly done: Promise<CliRun>;
}

/** Starts `kelos <args>` in-process with `env` (HOME defaults to an empty temp dir). */
export function startKelos(
  args: readonly string[],
  opts: { env?: Record<string, string>; stdin?: string; cwd?: string } = {},
): StartedRun {
  let stdout = '';
  let stderr = '';
  const done = runCli(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: opts.cwd ?? process.cwd(),
    isTTY: false,
    env: { HOME: mkdtempSync(join(tmpdir(), 'kelos-home-')), ...opts.env },
    readStdin: async () => opts.stdin ?? '',
  }).then((code) => ({ code, stdout, stderr }));
  return { stdout: () => stdout, stderr: () => stderr, done };
}

/** Runs `kelos <args>` in-process to its end; see {@link startKelos}. */
export function kelos(
  args: readonly string[],
  opts: { env?: Record<string, string>; stdin?: string; cwd?: string } = {},
): Promise<CliRun> {
  return startKelos(args, opts).done;
}

/** Runs `kelos <args>` as a real process with exactly `env` (plus PATH), as from a fresh shell. */
export function kelosProcess(
  args: readonly string[],
  env: Record<string, string>,
  opts: { onStdout?: (text: string) => void; timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KELOS_MAIN, ...args], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      opts.onStdout?.(d.toString());
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kelos ${args.join(' ')} did not end in time:\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Writes a kubeconfig of one cluster, user and context into a fresh directory; returns its path. */
function writeKubeconfig(
  cluster: Record<string, unknown>,
  user: Record<string, unknown>,
  namespace?: string,
): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kelos-kubeconfig-')), 'config');
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', ...(namespace ? { namespace } : {}) } }],
      'current-context': 'ctx',
    }),
  );
  return path;
}

/** Writes a kubeconfig for `server` with a bearer token (and the CA of `adminKubeconfig`). */
export async function tokenKubeconfig(
  adminKubeconfig: string,
  token: string,
  namespace?: string,
): Promise<string> {
  const admin = await loadKubeconfigFile(adminKubeconfig);
  return writeKubeconfig(
    { server: admin.server, 'certificate-authority-data': admin.tls.ca?.toString('base64') },
    { token },
    namespace,
  );
}

/** A kubeconfig whose server is a loopback port nothing listens on. */
export async function unreachableKubeconfig(): Promise<{ path: string; server: string }> {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const server = `https://127.0.0.1:${port}`;
  const path = writeKubeconfig({ server, 'insecure-skip-tls-verify': true }, { token: 'x' });
  return { path, server };
}

/** A request the {@link interposingProxy} is about to forward. */
export interface ProxiedRequest {
  readonly method: string;
  /** Path and query, e.g. `/apis/kelos.dev/v1alpha2/namespaces/a/taskspawners/b?fieldManager=kelos-cli`. */
  readonly url: string;
}

/**
 * A plain-HTTP proxy on loopback in front of the run's API server, and a kubeconfig that points
 * at it: each request is forwarded with the admin client certificate, after `before` has run.
 * `before` may write to the cluster itself, so a test can make another writer win a race at an
 * exact point (between a CLI's read and its write) against the real API server.
 */
export async function interposingProxy(
  adminKubeconfig: string,
  before: (req: ProxiedRequest) => Promise<void>,
): Promise<{ kubeconfig: string; close(): Promise<void> }> {
  const admin = await loadKubeconfigFile(adminKubeconfig);
  const upstream = new URL(admin.server);
  const server = createHttpServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    before({ method, url })
      .then(async () => {
        const headers = { ...req.headers, ...(await admin.headers()), host: upstream.host };
        const out = httpsRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method,
            path: url,
            headers,
            ca: admin.tls.ca,
            cert: admin.tls.cert,
            key: admin.tls.key,
            timeout: 30_000,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        out.on('timeout', () => out.destroy(new Error('no answer from the API server within 30 s')));
        out.on('error', (err) => {
          if (!res.headersSent) res.writeHead(502);
          res.end(String(err));
        });
        req.pipe(out);
      })
      .catch((err: unknown) => {
        res.writeHead(500);
        res.end(`interposingProxy: before() failed: ${String(err)}`);
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  const path = writeKubeconfig({ server: `http://127.0.0.1:${port}` }, {});
  return {
    kubeconfig: path,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Plays an installed operator's part for `kelos run`, which warns when none is installed: a
 * Deployment of the operator's name and install labels (`replicas` of them, none by default, and
 * none ever ready: this API server has no kubelet) in `namespace`, found as
 * the install's is, so a file's runs on the shared control plane do not depend on whether
 * another file left an operator installed. Resolves to its removal, for `afterAll`: left
 * behind, `kelos install`'s tests would take it for another install.
 */
export async function standInOperator(
  client: HttpKubeClient,
  namespace: string,
  replicas = 0,
): Promise<() => Promise<void>> {
  const labels = { ...INSTALL_LABELS };
  await client.create(DEPLOYMENT, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: INSTALL_DEFAULTS.deployment, namespace, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'operator', image: 'kelos-operator:stand-in' }] },
      },
    },
  });
  return async () => {
    await client.delete(DEPLOYMENT, namespace, INSTALL_DEFAULTS.deployment);
  };
}
