/**
 * Helpers for cluster-tier tests: the run's kubeconfig, uniquely named namespaces, a real
 * kubectl, and polling. Only usable inside the `cluster` vitest project, whose globalSetup
 * provides the kubeconfig.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';

/** Absolute path of the run's admin kubeconfig. */
export function kubeconfigPath(): string {
  return inject('kubeconfig');
}

/** A KubeConfig loaded from the run's admin kubeconfig (client certificate, system:masters). */
export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  return kc;
}

/** True when `err` is an API error with the given HTTP status (e.g. 404). */
export function isApiStatus(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code;
}

/**
 * Creates a uniquely named namespace and waits until its `default` ServiceAccount exists, so
 * Pods (which the ServiceAccount admission plugin checks) can be created in it right away.
 * Namespaces are not deleted afterwards: the whole control plane is thrown away after the run.
 */
export async function freshNamespace(prefix = 'test'): Promise<string> {
  const core = loadKubeConfig().makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(4).toString('hex')}`.slice(0, 63);
  await core.createNamespace({
    body: { metadata: { name, labels: { 'kelos.dev/test-namespace': 'true' } } },
  });
  await waitFor(`ServiceAccount ${name}/default`, async () => {
    try {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: name });
      return true;
    } catch (err) {
      if (isApiStatus(err, 404)) return false;
      throw err;
    }
  });
  return name;
}

/** Result of a {@link kubectl} run. */
export interface KubectlResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs the real kubectl against the run's control plane (`KUBECTL` overrides the binary) and
 * rejects with its stderr when it exits non-zero.
 */
export function kubectl(args: readonly string[], opts: { input?: string } = {}): Promise<KubectlResult> {
  const bin = process.env['KUBECTL'] || 'kubectl';
  return new Promise((resolveRun, reject) => {
    const child = execFile(
      bin,
      ['--kubeconfig', kubeconfigPath(), ...args],
      { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`kubectl ${args.join(' ')} failed: ${err.message}\n${stderr}`, { cause: err }));
        } else {
          resolveRun({ stdout, stderr });
        }
      },
    );
    // kubectl exits without reading stdin for most commands: the EPIPE that may follow says
    // nothing its exit status does not (see test/support/lua-runner.ts).
    child.stdin?.on('error', () => {});
    child.stdin?.end(opts.input ?? '');
  });
}

/**
 * Polls `check` until it returns true, rethrowing its errors; fails with `what` after the
 * timeout. Controllers react in well under a second on an idle control plane, so the default
 * 30 s only matters on an overloaded machine.
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}

/**
 * Runs `attempt` until `accept` takes its result, and returns that result: for a command whose
 * answer changes once the cluster has caught up (a Role bound, a namespace being deleted).
 */
export async function eventually<T>(
  what: string,
  attempt: () => Promise<T>,
  accept: (result: T) => boolean,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  let result: T | undefined;
  await waitFor(
    what,
    async () => {
      result = await attempt();
      return accept(result);
    },
    opts,
  );
  return result as T;
}
