/**
 * The agent NetworkPolicy controller's `ensure` against the in-memory API server: admission
 * calls it before every Job, so it skips the render when nothing it reads changed since the
 * policies were last found in place. These tests pin that it still notices every change that
 * matters: a hand edit of the policy, a Workspace that opens another port, a new admin config.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentConfig, KelosConfig, Task, Workspace } from '../../../src/api/index.ts';
import type { K8sType } from '../../../src/api/k8s/index.ts';
import type { ApiObject } from '../../../src/kube/client.ts';
import { Informer } from '../../../src/kube/informer.ts';
import { createLogger, type Logger, silentLogger } from '../../../src/kube/log.ts';
import { type AdminConfig, resolveAdminConfig } from '../../../src/operator/admin-config.ts';
import type { CachedPod } from '../../../src/operator/children.ts';
import { AgentNetworkReconciler, API_SERVER_SLICE } from '../../../src/operator/reconcilers/agent-network.ts';
import { Resources } from '../../../src/operator/resources.ts';
import { AGENT_POLICY_NAME } from '../../../src/render/agent-network-policy.ts';
import { FakeKube } from '../../support/fake-kube.ts';

type NetworkPolicy = K8sType<'NetworkPolicy'> & ApiObject;
const NS = 'team';

const apiServerSlice = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: API_SERVER_SLICE.name, namespace: API_SERVER_SLICE.namespace },
  endpoints: [{ addresses: ['10.0.0.1'] }],
} as ApiObject;

async function setup(
  admin: { current: AdminConfig },
  o: { slice?: boolean; log?: Logger; clock?: { now: () => number } } = {},
) {
  const kube = new FakeKube();
  if (o.slice !== false) await kube.create(Resources.EndpointSlice, apiServerSlice);
  const base = { client: kube, log: o.log ?? silentLogger };
  const informers = {
    tasks: new Informer<Task>({ ...base, type: Resources.Task }),
    pods: new Informer<CachedPod>({ ...base, type: Resources.Pod }),
    workspaces: new Informer<Workspace>({ ...base, type: Resources.Workspace }),
    agentConfigs: new Informer<AgentConfig>({ ...base, type: Resources.AgentConfig }),
    policies: new Informer<NetworkPolicy>({ ...base, type: Resources.NetworkPolicy }),
    configs: new Informer<KelosConfig>({ ...base, type: Resources.KelosConfig }),
  };
  for (const i of Object.values(informers)) i.start();
  await Promise.all(Object.values(informers).map((i) => i.waitForSync()));
  const network = new AgentNetworkReconciler({
    ...base,
    ...informers,
    admin: () => admin.current,
    clock: (o.clock ?? { now: () => Date.now() }) as never,
  });
  const applies = () => kube.calls.filter((c) => c.verb === 'apply').length;
  /** The policy as the cache shows it, once it shows `rv` or later than `after`. */
  const cached = async (after?: string): Promise<NetworkPolicy> => {
    for (;;) {
      await kube.flush();
      const p = informers.policies.get(NS, AGENT_POLICY_NAME);
      if (p && p.metadata.resourceVersion !== after) return p;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const stop = () => Promise.all(Object.values(informers).map((i) => i.stop()));
  return { kube, informers, network, applies, cached, stop };
}

describe('AgentNetworkReconciler.ensure', () => {
  let stop: (() => Promise<unknown>) | undefined;
  afterEach(async () => {
    await stop?.();
  });

  it('writes nothing again while nothing changed, and takes back a hand edit after that', async () => {
    const env = await setup({ current: resolveAdminConfig(undefined) });
    stop = env.stop;
    await env.network.ensure(NS);
    expect(env.applies()).toBe(1);
    const first = await env.cached();
    for (let i = 0; i < 5; i++) await env.network.ensure(NS);
    expect(env.applies()).toBe(1);

    await env.kube.mergePatch(Resources.NetworkPolicy, NS, AGENT_POLICY_NAME, { spec: { egress: [] } });
    await env.cached(first.metadata.resourceVersion);
    await env.network.ensure(NS);
    expect(env.applies()).toBe(2);
  });

  it('renders again when a Workspace or the admin config changes', async () => {
    const admin = { current: resolveAdminConfig(undefined) };
    const env = await setup(admin);
    stop = env.stop;
    await env.network.ensure(NS);
    const first = await env.cached();
    await env.network.ensure(NS);
    expect(env.applies()).toBe(1);

    await env.kube.create(Resources.Workspace, {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'ws', namespace: NS },
      spec: { repo: 'https://git.example.com:8443/team/repo.git' },
    } as ApiObject);
    for (;;) {
      await env.kube.flush();
      if (env.informers.workspaces.get(NS, 'ws')) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await env.network.ensure(NS);
    expect(env.applies()).toBe(2);
    const second = await env.cached(first.metadata.resourceVersion);
    expect(JSON.stringify(second.spec)).toContain('8443');

    admin.current = resolveAdminConfig({
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'KelosConfig',
      metadata: { name: 'kelos' },
      spec: { networkIsolation: { egressPorts: [443, 8443, 9418] } },
    } as unknown as KelosConfig);
    await env.network.ensure(NS);
    expect(env.applies()).toBe(3);
  });

  it('warns once per admin config about the cluster ranges it leaves open, naming the fields', async () => {
    const lines: string[] = [];
    const admin = { current: resolveAdminConfig(undefined) };
    const env = await setup(admin, { log: createLogger({ write: (l) => lines.push(l) }) });
    stop = env.stop;
    const warned = () =>
      lines
        .map((l) => JSON.parse(l) as { level: string; msg: string; unset?: string[]; reason?: string })
        .filter((l) => l.msg === 'Agent NetworkPolicies leave cluster ranges open');
    for (let i = 0; i < 3; i++) await env.network.ensure(NS);
    expect(warned()).toEqual([
      expect.objectContaining({
        level: 'warn',
        unset: [
          'KelosConfig spec.networkIsolation.podCIDRs',
          'KelosConfig spec.networkIsolation.serviceCIDRs',
          'KelosConfig spec.networkIsolation.nodeCIDRs',
        ],
        reason:
          "agent Pods may reach the cluster's Pods, Services, nodes on their egress ports (443 unless egressPorts says otherwise): set the cluster's ranges in the KelosConfig",
      }),
    ]);
    const config = (networkIsolation: Record<string, string[]>) =>
      resolveAdminConfig({
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'KelosConfig',
        metadata: { name: 'kelos' },
        spec: { networkIsolation },
      } as unknown as KelosConfig);
    admin.current = config({ podCIDRs: ['10.244.0.0/16'] });
    await env.network.ensure(NS);
    expect(warned().at(-1)?.unset).toEqual([
      'KelosConfig spec.networkIsolation.serviceCIDRs',
      'KelosConfig spec.networkIsolation.nodeCIDRs',
    ]);
    admin.current = config({
      podCIDRs: ['10.244.0.0/16'],
      serviceCIDRs: ['10.96.0.0/12'],
      nodeCIDRs: ['192.168.0.0/16'],
    });
    await env.network.ensure(NS);
    expect(warned()).toHaveLength(2);
  });

  it('warns when the API server has no address to exclude, and says so when it has one again', async () => {
    const lines: string[] = [];
    let now = Date.now();
    const env = await setup(
      { current: resolveAdminConfig(undefined) },
      { slice: false, log: createLogger({ write: (l) => lines.push(l) }), clock: { now: () => now } },
    );
    stop = env.stop;
    const about = () =>
      lines
        .map(
          (l) =>
            JSON.parse(l) as { level: string; msg: string; endpointSlice?: string; addresses?: string[] },
        )
        .filter((l) => l.msg.includes('the API server'));
    await env.network.ensure(NS);
    await env.network.ensure(NS);
    expect(about()).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'Agent NetworkPolicies cannot exclude the API server',
        endpointSlice: 'default/kubernetes',
      }),
    ]);
    await env.kube.create(Resources.EndpointSlice, apiServerSlice);
    now += 61_000;
    await env.network.ensure(NS);
    expect(about().at(-1)).toEqual(
      expect.objectContaining({
        level: 'info',
        msg: 'Agent NetworkPolicies exclude the API server again',
        addresses: ['10.0.0.1'],
      }),
    );
    expect(about()).toHaveLength(2);
  });
});
