/**
 * The fake kubelet serves container logs through the real API server: `kubectl logs` (and
 * `-f`) reach it via the Node it registered, for a Pod bound to that Node.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakeKubelet } from '../support/fake-kubelet.ts';
import { freshNamespace, kubeconfigPath, kubectl, loadKubeConfig, waitFor } from './helpers.ts';

let kubelet: FakeKubelet;
let ns: string;
const node = `fake-kubelet-${randomBytes(3).toString('hex')}`;

const pod = (name: string, nodeName?: string) => ({
  metadata: { name },
  spec: {
    ...(nodeName ? { nodeName } : {}),
    containers: [{ name: 'main', image: 'busybox' }],
    initContainers: [{ name: 'setup', image: 'busybox' }],
  },
});

beforeAll(async () => {
  kubelet = await FakeKubelet.start();
  await kubelet.registerNode(loadKubeConfig(), node);
  ns = await freshNamespace('fake-kubelet');
});

afterAll(async () => {
  await kubelet?.close();
});

describe('fake kubelet behind the real API server', () => {
  test('kubectl logs reads what the test wrote, per container', async () => {
    await loadKubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespacedPod({ namespace: ns, body: pod('a', node) });
    kubelet.append(ns, 'a', 'setup', 'cloned\n');
    kubelet.append(ns, 'a', 'main', 'hello\nworld\n');
    expect((await kubectl(['logs', '-n', ns, 'a', '-c', 'main'])).stdout).toBe('hello\nworld\n');
    expect((await kubectl(['logs', '-n', ns, 'a', '-c', 'setup'])).stdout).toBe('cloned\n');
    expect(kubelet.requests).toContain(`/containerLogs/${ns}/a/main`);
  });

  test('a Pod bound through the binding subresource is served too; -f streams until the container ends', async () => {
    const core = loadKubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedPod({ namespace: ns, body: pod('b') });
    await FakeKubelet.bindPod(loadKubeConfig(), ns, 'b', node);
    kubelet.append(ns, 'b', 'main', 'first\n');
    const child = spawn('kubectl', [
      '--kubeconfig',
      kubeconfigPath(),
      'logs',
      '-f',
      '-n',
      ns,
      'b',
      '-c',
      'main',
    ]);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor('the follower to receive the first line', async () => out === 'first\n');
    kubelet.append(ns, 'b', 'main', 'second\n');
    await waitFor('the follower to receive the appended line', async () => out === 'first\nsecond\n');
    kubelet.finish(ns, 'b', 'main');
    expect(await exited).toBe(0);
  });

  test('a container that has not started is an error carrying the kubelet’s message', async () => {
    await loadKubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespacedPod({ namespace: ns, body: pod('c', node) });
    await expect(kubectl(['logs', '-n', ns, 'c', '-c', 'main'])).rejects.toThrow(/waiting to start/);
  });
});
