/**
 * Agent network isolation against a real API server: the operator writes each namespace's
 * agent NetworkPolicies with server-side apply before the first Job, keeps them as Workspaces,
 * AgentConfigs and the admin's KelosConfig change, takes back hand edits, refuses Tasks whose
 * podOverrides labels would widen them, and removes them with the last Task.
 *
 * There is no CNI here (no kubelet, no Pod network), so nothing enforces the policies: these
 * tests prove what the operator writes and that the API server accepts it, not that packets
 * are dropped. The README's "Verify isolation in your cluster" is the check for a real one.
 *
 * The KelosConfig is cluster-scoped and other test files share this API server, so the
 * operator here reads one of its own name (`configName`).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfig, KelosConfig, Workspace } from '../../src/api/index.ts';
import type { K8sType } from '../../src/api/k8s/index.ts';
import type { ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { matches, parseSelector } from '../../src/kube/label-selector.ts';
import { sameSpec } from '../../src/operator/reconcilers/agent-network.ts';
import { Resources } from '../../src/operator/resources.ts';
import {
  AGENT_POLICY_NAME,
  allowanceLabel,
  allowancePolicyName,
  renderAgentNetworkPolicies,
} from '../../src/render/agent-network-policy.ts';
import { freshNamespace } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import {
  create,
  getTask,
  startOperator,
  type TestOperator,
  task,
  testClient,
  waitFor,
  waitForPhase,
  waitForTask,
} from './operator-helpers.ts';

type NetworkPolicy = K8sType<'NetworkPolicy'> & ApiObject;

const CONFIG_NAME = `netpol-${randomBytes(3).toString('hex')}`;
const API_SERVER_IP = '192.0.2.10';

describe('operator: agent NetworkPolicies', () => {
  let c: HttpKubeClient;
  let op: TestOperator;
  let ns: string;
  let mcpNs: string;
  let createdSlice = false;

  const policy = (name: string) => c.get<NetworkPolicy>(Resources.NetworkPolicy, ns, name);
  const policyApplies = () =>
    op.rbac.requests.filter((r) => r.verb === 'patch' && r.resource === 'networkpolicies').length;
  const isolation = (): KelosConfig['spec']['networkIsolation'] => ({
    podCIDRs: ['10.244.0.0/16'],
    serviceCIDRs: ['10.96.0.0/12'],
    nodeCIDRs: ['172.16.0.0/12'],
    inClusterAllowances: [
      {
        name: 'search-mcp',
        namespace: mcpNs,
        podSelector: { matchLabels: { app: 'search-mcp' } },
        ports: [{ port: 8080 }],
        tenantNamespaces: [ns],
      },
    ],
  });
  const setConfig = (networkIsolation: KelosConfig['spec']['networkIsolation']) =>
    c.apply(Resources.KelosConfig, {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'KelosConfig',
      metadata: { name: CONFIG_NAME },
      spec: { networkIsolation },
    } as ApiObject);
  /** What the operator should have written, from the pure render and the live EndpointSlice. */
  const expected = async (over: { agentConfigs?: AgentConfig[] } = {}) => {
    const slice = await c.get<ApiObject & { endpoints?: Array<{ addresses?: string[] }> }>(
      Resources.EndpointSlice,
      'default',
      'kubernetes',
    );
    const config = await c.get<KelosConfig>(Resources.KelosConfig, undefined, CONFIG_NAME);
    return renderAgentNetworkPolicies({
      namespace: ns,
      isolation: config?.spec.networkIsolation,
      workspaces: (await c.list<Workspace>(Resources.Workspace, { namespace: ns })).items,
      agentConfigs:
        over.agentConfigs ?? (await c.list<AgentConfig>(Resources.AgentConfig, { namespace: ns })).items,
      apiServerAddresses: (slice?.endpoints ?? []).flatMap((e) => e.addresses ?? []),
    });
  };
  const eventsOf = async (name: string) =>
    (
      await c.list<ApiObject & { regarding?: { name?: string }; reason?: string; note?: string }>(
        Resources.Event,
        {
          namespace: ns,
        },
      )
    ).items.filter((e) => e.regarding?.name === name);

  beforeAll(async () => {
    await installCrds();
    ns = await freshNamespace('netpol');
    mcpNs = await freshNamespace('netpol-mcp');
    c = await testClient();
    // The test API server runs without its endpoint reconciler; give the `kubernetes` Service
    // the EndpointSlice a real cluster has, so the policy's API server block is shown.
    if (!(await c.get(Resources.EndpointSlice, 'default', 'kubernetes'))) {
      await c.create(Resources.EndpointSlice, {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: 'kubernetes',
          namespace: 'default',
          labels: { 'kubernetes.io/service-name': 'kubernetes' },
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: [API_SERVER_IP] }],
        ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
      } as ApiObject);
      createdSlice = true;
    }
    await setConfig(isolation());
    op = await startOperator(ns, { configName: CONFIG_NAME });
  });
  afterAll(async () => {
    await op?.stop();
    await c?.delete(Resources.KelosConfig, undefined, CONFIG_NAME);
    if (createdSlice) await c?.delete(Resources.EndpointSlice, 'default', 'kubernetes');
    c?.close();
  });

  it('writes the policy with server-side apply before the first Job, and the API server accepts it', async () => {
    expect(await policy(AGENT_POLICY_NAME)).toBeUndefined();
    await create(c, ns, 'Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'ssh-repo' },
      spec: { repo: 'git@github.com:acme/widgets.git' },
    });
    await create(
      c,
      ns,
      'Task',
      task('first', {
        worker: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: 'ssh-repo' } },
      } as never),
    );
    await waitForPhase(c, ns, 'first', 'Pending');
    const live = await policy(AGENT_POLICY_NAME);
    const want = (await expected()).policies[0];
    expect(sameSpec(live?.spec, want?.spec)).toBe(true);
    // The API server stores no empty ingress list: no rule, no ingress.
    expect(live?.spec?.ingress).toBeUndefined();
    expect(live?.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    // The API server's address from its EndpointSlice is blocked.
    const slice = await c.get<ApiObject & { endpoints?: Array<{ addresses?: string[] }> }>(
      Resources.EndpointSlice,
      'default',
      'kubernetes',
    );
    for (const a of slice?.endpoints?.flatMap((e) => e.addresses ?? []) ?? [])
      expect(live?.spec?.egress?.[1]?.to?.[0]?.ipBlock?.except).toContain(`${a}/32`);
    // SSH adds port 22 next to 443.
    expect(live?.spec?.egress?.[1]?.ports).toEqual([
      { port: 22, protocol: 'TCP' },
      { port: 443, protocol: 'TCP' },
    ]);
    expect(live?.metadata.managedFields?.map((f) => [f.manager, f.operation])).toEqual([
      ['kelos-operator', 'Apply'],
    ]);
    // The policy selects the agent Pod the Job will create.
    const job = await c.get<K8sType<'Job'> & ApiObject>(Resources.Job, ns, 'first');
    const sel = parseSelector(live?.spec?.podSelector);
    expect(sel.ok && matches(sel.selector, job?.spec?.template.metadata?.labels)).toBe(true);
    // Its log says so, and an isolated Task carries no network condition. (It may carry
    // ReferencesResolved: when the operator's cache meets the Task before the Workspace created
    // just before it, the Task waits for it first, and says so once it is resolved.)
    expect(
      op.logs.some((l) => l.includes(`NetworkPolicies ${AGENT_POLICY_NAME} in ${ns} select the agent Pod`)),
    ).toBe(true);
    const conditions = (await getTask(c, ns, 'first'))?.status?.conditions ?? [];
    expect(conditions.filter((cond) => cond.type !== 'ReferencesResolved')).toEqual([]);
  });

  it('a second Task costs no policy write', async () => {
    await op.operator.idle();
    const before = policyApplies();
    await create(c, ns, 'Task', task('second'));
    await waitForPhase(c, ns, 'second', 'Pending');
    await op.operator.idle();
    expect(policyApplies()).toBe(before);
  });

  it('a Task cannot widen it: labels joining a more permissive policy, or an allowance by hand, are refused', async () => {
    await c.create(Resources.NetworkPolicy, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-db', namespace: ns },
      spec: {
        podSelector: { matchLabels: { role: 'backend' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: { matchLabels: { app: 'postgres' } } }] }],
      },
    } as ApiObject);
    await waitFor(
      'the operator sees allow-db',
      async () => op.operator.caches.networkPolicies?.get(ns, 'allow-db') !== undefined,
    );
    const before = await policy(AGENT_POLICY_NAME);
    await create(c, ns, 'Task', task('sneaky', { podOverrides: { labels: { role: 'backend' } } } as never));
    const sneaky = await waitForPhase(c, ns, 'sneaky', 'Failed');
    expect(sneaky.status?.message).toBe(
      "podOverrides.labels would widen the agent Pod's network isolation: labels role would make the agent Pod match NetworkPolicy allow-db, which allows traffic the agent isolation policy does not",
    );
    await create(
      c,
      ns,
      'Task',
      task('self-granted', { podOverrides: { labels: { [allowanceLabel('search-mcp')]: 'true' } } } as never),
    );
    const granted = await waitForPhase(c, ns, 'self-granted', 'Failed');
    expect(granted.status?.message).toContain(
      `label ${allowanceLabel('search-mcp')} is reserved for the operator`,
    );
    expect(await c.get(Resources.Job, ns, 'sneaky')).toBeUndefined();
    expect(await c.get(Resources.Job, ns, 'self-granted')).toBeUndefined();
    expect((await policy(AGENT_POLICY_NAME))?.spec).toEqual(before?.spec);
    // Deleted by hand: back again.
    await c.delete(Resources.NetworkPolicy, ns, AGENT_POLICY_NAME);
    await waitFor('the policy re-created', async () => (await policy(AGENT_POLICY_NAME)) !== undefined);
    expect((await policy(AGENT_POLICY_NAME))?.spec).toEqual(before?.spec);
  });

  it('a hand edit of the policy is taken back', async () => {
    const before = await policy(AGENT_POLICY_NAME);
    await c.mergePatch(Resources.NetworkPolicy, ns, AGENT_POLICY_NAME, { spec: { ingress: [{}] } });
    await waitFor(
      'the edit undone',
      async () => (await policy(AGENT_POLICY_NAME))?.spec?.ingress === undefined,
    );
    expect((await policy(AGENT_POLICY_NAME))?.spec).toEqual(before?.spec);
    // Deleted by hand: back again.
    await c.delete(Resources.NetworkPolicy, ns, AGENT_POLICY_NAME);
    await waitFor('the policy re-created', async () => (await policy(AGENT_POLICY_NAME)) !== undefined);
    expect((await policy(AGENT_POLICY_NAME))?.spec).toEqual(before?.spec);
  });

  it('an in-cluster MCP server the admin allows gets its own policy; an unknown allowance fails the Task', async () => {
    const tools: AgentConfig = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'AgentConfig',
      metadata: { name: 'tools' },
      spec: { networkAllowances: ['search-mcp'] },
    };
    await create(c, ns, 'AgentConfig', tools);
    await create(
      c,
      ns,
      'Task',
      task('with-mcp', {
        worker: { type: 'claude-code', credentials: { type: 'none' }, agentConfigRefs: [{ name: 'tools' }] },
      } as never),
    );
    await waitForPhase(c, ns, 'with-mcp', 'Pending');
    const allow = await policy(allowancePolicyName('search-mcp'));
    const want = (await expected()).policies.find(
      (p) => p.metadata?.name === allowancePolicyName('search-mcp'),
    );
    expect(sameSpec(allow?.spec, want?.spec)).toBe(true);
    const job = await c.get<K8sType<'Job'> & ApiObject>(Resources.Job, ns, 'with-mcp');
    expect(job?.spec?.template.metadata?.labels?.[allowanceLabel('search-mcp')]).toBe('true');
    // The Task without the AgentConfig does not match the allowance's policy.
    const other = await c.get<K8sType<'Job'> & ApiObject>(Resources.Job, ns, 'second');
    const sel = parseSelector(allow?.spec?.podSelector);
    expect(sel.ok && matches(sel.selector, other?.spec?.template.metadata?.labels)).toBe(false);

    await create(c, ns, 'AgentConfig', {
      ...tools,
      metadata: { name: 'unknown' },
      spec: { networkAllowances: ['db'] },
    });
    await create(
      c,
      ns,
      'Task',
      task('with-db', {
        worker: {
          type: 'claude-code',
          credentials: { type: 'none' },
          agentConfigRefs: [{ name: 'unknown' }],
        },
      } as never),
    );
    const failed = await waitForPhase(c, ns, 'with-db', 'Failed');
    expect(failed.status?.message).toBe(
      'AgentConfig spec.networkAllowances: network allowance "db" is not in KelosConfig spec.networkIsolation.inClusterAllowances',
    );
  });

  it('follows the admin’s KelosConfig: a new blocked range and DNS port are written into the policy', async () => {
    await setConfig({
      ...isolation(),
      blockedCIDRs: ['192.168.0.0/16'],
      dns: { namespace: 'openshift-dns', podSelector: { matchLabels: { app: 'dns' } }, ports: [5353] },
    });
    await waitFor('192.168.0.0/16 blocked', async () =>
      ((await policy(AGENT_POLICY_NAME))?.spec?.egress?.[1]?.to?.[0]?.ipBlock?.except ?? []).includes(
        '192.168.0.0/16',
      ),
    );
    expect((await policy(AGENT_POLICY_NAME))?.spec?.egress?.[0]?.ports).toEqual([
      { port: 5353, protocol: 'UDP' },
      { port: 5353, protocol: 'TCP' },
    ]);
    expect(sameSpec((await policy(AGENT_POLICY_NAME))?.spec, (await expected()).policies[0]?.spec)).toBe(
      true,
    );
  });

  it('the admin’s opt-out removes the policies, and each Task admitted without them says so', async () => {
    await setConfig({ ...isolation(), enabled: false });
    await waitFor('policies removed', async () => (await policy(AGENT_POLICY_NAME)) === undefined);
    await create(c, ns, 'Task', task('open'));
    await waitForPhase(c, ns, 'open', 'Pending');
    const open = await waitForTask(c, ns, 'open', 'the NetworkIsolated condition', (t) =>
      (t.status?.conditions ?? []).some((x) => x.type === 'NetworkIsolated'),
    );
    expect(open.status?.conditions?.find((x) => x.type === 'NetworkIsolated')).toMatchObject({
      status: 'False',
      reason: 'IsolationDisabled',
      message:
        "The agent Pod runs without the operator's NetworkPolicy: KelosConfig spec.networkIsolation.enabled is false",
    });
    await op.operator.events.flush();
    await waitFor('the NetworkIsolationDisabled Event', async () =>
      (await eventsOf('open')).some((e) => e.reason === 'NetworkIsolationDisabled'),
    );
    expect(await policy(allowancePolicyName('search-mcp'))).toBeUndefined();
    await setConfig(isolation());
    await waitFor('policy back', async () => (await policy(AGENT_POLICY_NAME)) !== undefined);
  });

  it('removes the policies once the namespace has no Tasks and no agent Pods left', async () => {
    for (const t of (await c.list<ApiObject>(Resources.Task, { namespace: ns })).items)
      await c.delete(Resources.Task, ns, t.metadata.name ?? '');
    await waitFor(
      'no agent NetworkPolicies left',
      async () =>
        (await c.list<NetworkPolicy>(Resources.NetworkPolicy, { namespace: ns })).items
          .map((p) => p.metadata.name)
          .join() === 'allow-db',
      { timeoutMs: 60_000 },
    );
    expect(op.rbac.forbiddenSummary()).toEqual([]);
  }, 90_000);
});
