/**
 * `kelos install --wait` against the real Deployment and ReplicaSet controllers of
 * kube-controller-manager. No kubelet runs, so no Pod would ever be Ready: the fake kubelet
 * binds the operator's Pods to its Node and reports them Ready when the test says so. The
 * Deployment's status (observedGeneration, updatedReplicas, availableReplicas) is written by
 * the controllers alone, and the CLI runs as a real process, as from a shell.
 *
 * That the CLI kept waiting is read from its progress lines: it prints what it waits for
 * each time that changes, after reading that state from the API server, so no test has to
 * sleep and hope the CLI polled in between.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENT } from '../../src/cli/cluster/bundle.ts';
import { packageVersion } from '../../src/cli/version.ts';
import { CoreResources } from '../../src/kube/api.ts';
import { type ApiObject, HttpKubeClient, type ResourceType } from '../../src/kube/client.ts';
import { loadKubeconfigFile } from '../../src/kube/kubeconfig.ts';
import { FakeKubelet } from '../support/fake-kubelet.ts';
import { type CliRun, kelosProcess } from './cli-helpers.ts';
import { type ControlPlane, startControlPlane } from './control-plane.ts';
import { waitFor } from './helpers.ts';

// A control plane of its own: the run's shared one already holds dist/install's operator
// Deployment in kelos-system, whose Pods nobody reports Ready.
let cp: ControlPlane;
let admin: HttpKubeClient;
let kc: KubeConfig;
let kubelet: FakeKubelet;
const NODE = 'rollout-node';
const NS = 'kelos-system';
const NAME = 'kelos-operator';
const home = mkdtempSync(join(tmpdir(), 'kelos-wait-home-'));

beforeAll(async () => {
  cp = await startControlPlane();
  admin = new HttpKubeClient(await loadKubeconfigFile(cp.kubeconfigPath));
  kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  kubelet = await FakeKubelet.start();
  await kubelet.registerNode(kc, NODE);
}, 180_000);
afterAll(async () => {
  await kubelet?.close();
  admin?.close();
  await cp?.stop();
});

const REPLICA_SET: ResourceType = {
  group: 'apps',
  version: 'v1',
  plural: 'replicasets',
  kind: 'ReplicaSet',
  namespaced: true,
};

interface Deployment extends ApiObject {
  metadata: ApiObject['metadata'] & { managedFields?: Array<{ manager?: string; subresource?: string }> };
  spec: { replicas: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
  };
}

interface ReplicaSet extends ApiObject {
  spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number };
}

interface Pod extends ApiObject {
  status?: { conditions?: Array<{ type: string; status: string }> };
}

const image = (tag: string) => `ghcr.io/kelos-ts/kelos-operator:${tag}`;

const deployment = async (): Promise<Deployment> => {
  const d = await admin.get<Deployment>(DEPLOYMENT, NS, NAME);
  if (!d) throw new Error(`deployment/${NAME} -n ${NS} does not exist`);
  return d;
};

/** The operator ReplicaSet whose Pods run `img`, as the Deployment controller made it. */
async function replicaSetOf(img: string): Promise<ReplicaSet> {
  const all = (await admin.list<ReplicaSet>(REPLICA_SET, { namespace: NS })).items;
  const found = all.filter((rs) => rs.spec.template.spec.containers[0]?.image === img);
  if (found.length !== 1) throw new Error(`${found.length} ReplicaSets run ${img}`);
  return found[0] as ReplicaSet;
}

/** The Pods of `rs` that are not being deleted. */
async function podsOf(rs: ReplicaSet): Promise<Pod[]> {
  const hash = rs.metadata.labels?.['pod-template-hash'];
  const pods = await admin.list<Pod>(CoreResources.Pod, {
    namespace: NS,
    labelSelector: `pod-template-hash=${hash}`,
  });
  return pods.items.filter((p) => !p.metadata.deletionTimestamp);
}

const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

const podReady = (p: Pod) => FakeKubelet.podReady(kc, NS, p.metadata.name ?? '', NODE);

/** `kelos install <args>` as a real process, its stdout readable and its end known while it runs. */
function install(args: readonly string[]) {
  let stdout = '';
  let ended = false;
  const done: Promise<CliRun> = kelosProcess(
    ['install', ...args],
    { HOME: home, KUBECONFIG: cp.kubeconfigPath },
    {
      onStdout: (t) => {
        stdout += t;
      },
    },
  ).finally(() => {
    ended = true;
  });
  return {
    done,
    ended: () => ended,
    /** Resolves once the CLI has read a state it waits in for `reason` (and said so). */
    saidWaiting: (reason: string) =>
      waitFor(`kelos install to wait for "${reason}"`, async () => {
        if (stdout.includes(`deployment/${NAME} -n ${NS}: ${reason}\n`)) return true;
        if (ended) throw new Error(`kelos install ended without waiting for "${reason}":\n${stdout}`);
        return false;
      }),
  };
}

describe('kelos install --wait, with the real Deployment and ReplicaSet controllers', () => {
  it('does not return while the Pods are not Ready, and exits 0 once the kubelet reports both Ready', async () => {
    const run = install(['--wait', '--timeout', '50s']);
    // The controllers created the two Pods; nothing runs them yet.
    await run.saidWaiting('0 of 2 updated replicas are available');
    const [a, b, ...more] = await podsOf(await replicaSetOf(image(`v${packageVersion()}`)));
    expect(more).toEqual([]);
    expect(run.ended()).toBe(false);
    await podReady(a as Pod);
    await run.saidWaiting('1 of 2 updated replicas are available');
    expect(run.ended()).toBe(false);
    await podReady(b as Pod);
    const r = await run.done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('waiting for the operator to be rolled out…\n');
    expect(r.stdout).toContain(`in namespace ${NS}, watching every namespace, rolled out\n`);
    const d = await deployment();
    expect(d.status).toMatchObject({
      observedGeneration: d.metadata.generation,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    });
    // Only the controller-manager wrote the status the CLI judged.
    const statusWriters = (d.metadata.managedFields ?? [])
      .filter((f) => f.subresource === 'status')
      .map((f) => f.manager);
    expect(statusWriters).toEqual(['kube-controller-manager']);
  });

  it('an upgrade waits for the new ReplicaSet: the old Pods, all still available, do not count', async () => {
    const old = await replicaSetOf(image(`v${packageVersion()}`));
    const run = install(['--wait', '--timeout', '50s', '--image-tag', 'v0.0.0-next']);
    // maxSurge 1, maxUnavailable 0: one new Pod next to the two old ones, which serve on.
    await run.saidWaiting('1 of 2 new replicas have been updated');
    const next = await replicaSetOf(image('v0.0.0-next'));
    expect(next.metadata.name).not.toBe(old.metadata.name);
    expect((await deployment()).status).toMatchObject({
      replicas: 3,
      updatedReplicas: 1,
      availableReplicas: 2,
    });
    expect(run.ended()).toBe(false);
    const [first, ...others] = await podsOf(next);
    expect(others).toEqual([]);
    await podReady(first as Pod);
    // With the first new Pod available, the controllers scale the old ReplicaSet down to one
    // and the new one up to two; the second new Pod is not Ready yet.
    await run.saidWaiting('1 old replicas are pending termination');
    expect((await deployment()).status).toMatchObject({
      replicas: 3,
      updatedReplicas: 2,
      availableReplicas: 2,
    });
    expect(run.ended()).toBe(false);
    const second = (await podsOf(next)).filter((p) => !isReady(p));
    expect(second).toHaveLength(1);
    await podReady(second[0] as Pod);
    const r = await run.done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('deployment/kelos-operator -n kelos-system configured\n');
    expect(r.stdout).toContain(`operator: ${image('v0.0.0-next')} in namespace ${NS}`);
    expect(r.stdout).toContain(', rolled out\n');
    expect((await admin.get<ReplicaSet>(REPLICA_SET, NS, next.metadata.name ?? ''))?.status).toMatchObject({
      replicas: 2,
      availableReplicas: 2,
    });
    const left = await admin.get<ReplicaSet>(REPLICA_SET, NS, old.metadata.name ?? '');
    expect(left?.spec.replicas).toBe(0);
    expect(left?.status?.replicas ?? 0).toBe(0);
  });

  it('--timeout with a Pod that never becomes Ready: exit 1 naming the Deployment and what it waits for', async () => {
    const flags = ['--image-tag', 'v0.0.0-next', '--replicas', '3'];
    const scaled = await install(flags).done;
    expect(scaled.code).toBe(0);
    const generation = (await deployment()).metadata.generation;
    await waitFor('the controllers to count the third Pod, not Ready', async () => {
      const s = (await deployment()).status ?? {};
      return (
        s.observedGeneration === generation &&
        s.replicas === 3 &&
        s.updatedReplicas === 3 &&
        s.availableReplicas === 2
      );
    });
    // Nothing to apply: the wait alone decides the outcome.
    const r = await install([...flags, '--wait', '--timeout', '2s']).done;
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kelos: deployment/${NAME} -n ${NS} was not rolled out within 2s (2 of 3 updated replicas are available); check: kubectl -n ${NS} describe deployment ${NAME}\n`,
    );
    expect(r.stdout).toContain(`deployment/${NAME} -n ${NS} unchanged\n`);
    expect(r.stdout).toContain(`deployment/${NAME} -n ${NS}: 2 of 3 updated replicas are available\n`);
    expect(r.stdout).not.toContain('Kelos installed');
  });
});
