/**
 * The install's RBAC, proven on a real API server: `dist/install` applied server-side, the
 * operator connected with a TokenRequest token of the install's ServiceAccount, and one
 * scenario that takes every path of the operator that touches the API (rbac-scenario.ts).
 * Every request must be granted, and every granted permission must have been used, unless
 * the table names the server-side mechanism that uses it instead (`indirect`).
 *
 * The namespaced install (Roles in the watched namespaces only) is rendered from the same
 * constructs with `watchNamespaces` (two namespaces), and the operator runs as its
 * ServiceAccount with `namespaces` (what `--namespace a,b` gives): the same scenario in one
 * watched namespace, a Task in the other, and a Task in a third namespace it must leave alone.
 */

import type { Server } from 'node:http';
import { App, Chart } from 'cdk8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KelosInstall } from '../../constructs/install/index.ts';
import { CLUSTER_ROLE_BINDING } from '../../src/cli/cluster/bundle.ts';
import { INSTALL_NAMESPACE, LEASE_NAME, SELECTOR_LABELS } from '../../src/install/index.ts';
import { type ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { freshNamespace, waitFor } from './helpers.ts';
import {
  applyManifest,
  installIdentity,
  type RecordedRequest,
  serviceAccountConnection,
} from './install-identity.ts';
import {
  create,
  getTask,
  jobNames,
  outputsMessage,
  podFinished,
  startOperator,
  type TestOperator,
  task,
  testClient,
  waitForPhase,
} from './operator-helpers.ts';
import { everyApiPath, type GrantReport, grantReport, scenarioGitHub } from './rbac-scenario.ts';

/** The grants the API server checks on the operator's behalf (never requested by its client). */
const INDIRECT = [
  'update kelos.dev/tasks/finalizers',
  'update kelos.dev/taskspawners/finalizers',
  'create networking.k8s.io/networkpolicies',
];

/** Every request granted; every grant used, or explained (indirect, race). */
const expectTightGrants = (report: GrantReport): void => {
  expect(report.ungranted, 'requests the table does not grant').toEqual([]);
  expect(report.unused, 'granted but never used').toEqual([]);
  expect(report.indirect).toEqual(INDIRECT);
};

describe('install RBAC: cluster-wide', () => {
  let c: HttpKubeClient;
  let ns: string;
  let op: TestOperator;
  let github: Server;
  const requests: RecordedRequest[] = [];

  beforeAll(async () => {
    await installIdentity();
    c = await testClient();
    ns = await freshNamespace('rbac');
    const gh = await scenarioGitHub();
    github = gh.server;
    op = await startOperator(ns, {
      githubApiUrl: gh.url,
      webhook: { addr: '127.0.0.1:0' },
      metricsAddr: '127.0.0.1:0',
      metricsAuth: 'kubernetes',
      // As the install runs it (--metrics-secure); the namespaced install below scrapes plain HTTP.
      metricsTls: {},
      // The install's own Lease, which its Role names (no Pod of dist/install runs here).
      leaderElection: { namespace: INSTALL_NAMESPACE, name: LEASE_NAME, retryPeriodMs: 500 },
    });
  });
  afterAll(async () => {
    await op?.stop();
    c?.close();
    await new Promise<void>((r) => github?.close(() => r()));
  });

  it('the Deployment passes the restricted Pod Security level of its namespace: its Pods are created', async () => {
    const selector = Object.entries(SELECTOR_LABELS)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    let pods: ApiObject[] = [];
    await waitFor('Pods of the operator Deployment', async () => {
      pods = (await c.list(Resources.Pod, { namespace: INSTALL_NAMESPACE, labelSelector: selector })).items;
      // Created at all is what Pod Security decides. How many there are depends on earlier
      // files: a rollout they started never finishes here (no kubelet makes a Pod Ready), so
      // the Deployment can hold Pods of two ReplicaSets.
      return pods.length > 0;
    });
    for (const pod of pods) {
      const spec = (
        pod as unknown as { spec: { serviceAccountName: string; automountServiceAccountToken: boolean } }
      ).spec;
      expect(spec.serviceAccountName).toBe('kelos-operator');
      expect(spec.automountServiceAccountToken).toBe(true);
    }
  });

  it('runs every API path of the operator as the install’s ServiceAccount', async () => {
    await everyApiPath(c, ns, op);
    requests.push(...op.rbac.requests);
    expect(op.rbac.forbiddenSummary()).toEqual([]);
  }, 240_000);

  it('every request is granted by the table, and every granted permission was used', () => {
    expect(requests.length).toBeGreaterThan(0);
    expectTightGrants(grantReport('cluster-wide', requests));
  });
});

describe('install RBAC: namespaced, two watched namespaces', () => {
  let admin: HttpKubeClient;
  let sa: HttpKubeClient;
  let watched: string;
  let second: string;
  let other: string;
  let installNs: string;
  let op: TestOperator;
  let github: Server;
  let bindings: ApiObject[] = [];

  beforeAll(async () => {
    await installIdentity(); // the CRDs
    admin = await testClient();
    watched = await freshNamespace('rbac-watched');
    second = await freshNamespace('rbac-second');
    other = await freshNamespace('rbac-other');
    installNs = `kelos-ns-${watched.slice(-8)}`;
    const chart = new Chart(new App(), 'install');
    new KelosInstall(chart, 'kelos', {
      namespace: installNs,
      watchNamespaces: [watched, second],
      monitor: 'PodMonitor',
      // Only Prometheus of the monitoring namespace scrapes: the API server must take the peer.
      networkPolicy: {
        metrics: {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
        },
      },
    });
    // This cluster has no Prometheus Operator CRDs: everything but the PodMonitor itself.
    const objects = (chart.toJson() as ApiObject[]).filter((o) => o.kind !== 'PodMonitor');
    bindings = objects.filter((o) => o.kind === 'ClusterRoleBinding');
    await applyManifest(objects.map((o) => JSON.stringify(o)).join('\n'));
    const conn = await serviceAccountConnection(installNs, 'kelos-operator');
    sa = new HttpKubeClient(conn);
    const gh = await scenarioGitHub();
    github = gh.server;
    op = await startOperator(watched, {
      connection: conn,
      namespaces: [watched, second],
      githubApiUrl: gh.url,
      webhook: { addr: '127.0.0.1:0' },
      metricsAddr: '127.0.0.1:0',
      metricsAuth: 'kubernetes',
      leaderElection: { namespace: installNs, name: 'kelos-operator-leader', retryPeriodMs: 500 },
    });
  }, 300_000);
  afterAll(async () => {
    await op?.stop();
    // Its ClusterRoleBindings bind a ServiceAccount of its own namespace: left, a later file's
    // `kelos install` would take this cluster for one another install runs in.
    for (const b of bindings) await admin?.delete(CLUSTER_ROLE_BINDING, undefined, b.metadata.name ?? '');
    admin?.close();
    sa?.close();
    await new Promise<void>((r) => github?.close(() => r()));
  });

  it('reconciles Tasks in both watched namespaces, and leaves the unwatched one’s alone', async () => {
    await create(admin, other, 'Task', task('elsewhere'));
    for (const ns of [watched, second]) await create(admin, ns, 'Task', task('here'));
    for (const ns of [watched, second]) {
      await waitForPhase(admin, ns, 'here', 'Pending');
      expect(await jobNames(admin, ns)).toEqual(['here']);
      await podFinished(admin, ns, 'here', { message: outputsMessage({ branch: `kelos/${ns}` }) });
      const done = await waitForPhase(admin, ns, 'here', 'Succeeded');
      expect(done.status?.results).toEqual({ branch: `kelos/${ns}` });
    }
    await op.operator.idle();
    const untouched = await getTask(admin, other, 'elsewhere');
    expect(untouched?.status).toBeUndefined();
    expect(untouched?.metadata.finalizers).toBeUndefined();
    expect(await jobNames(admin, other)).toEqual([]);
  });

  it('runs every API path of the operator in a watched namespace as the namespaced install’s ServiceAccount', async () => {
    await everyApiPath(admin, watched, op);
    expect(op.rbac.forbiddenSummary()).toEqual([]);
  }, 240_000);

  it('every request stays in the watched namespaces (the Lease in its own), is granted, and every grant was used', () => {
    const requests = op.rbac.requests;
    expect(requests.length).toBeGreaterThan(0);
    const where = [...new Set(requests.map((r) => `${r.resource} in ${r.namespace ?? '(cluster)'}`))];
    const outside = where.filter(
      (w) =>
        !w.endsWith(` in ${watched}`) &&
        !w.endsWith(` in ${second}`) &&
        w !== `leases in ${installNs}` &&
        // The API server's addresses, for the agent NetworkPolicy (the `apiserver` scope).
        w !== 'endpointslices in default' &&
        w !== 'kelosconfigs in (cluster)' &&
        // /metrics' reviews of a scraper's token (--metrics-auth kubernetes): cluster-scoped, read nothing.
        w !== 'tokenreviews in (cluster)' &&
        w !== 'subjectaccessreviews in (cluster)',
    );
    expect(outside, 'requests outside the watched namespaces').toEqual([]);
    expect(where.filter((w) => w.endsWith(` in ${other}`))).toEqual([]);
    expectTightGrants(grantReport('namespaced', requests));
  });

  it('the PodMonitor scrapes /metrics with the token the API server writes into the install’s own Secret', async () => {
    let token = '';
    await waitFor('the token controller to fill kelos-metrics-token', async () => {
      const secret = await admin.get<ApiObject & { data?: Record<string, string> }>(
        Resources.Secret,
        installNs,
        'kelos-metrics-token',
      );
      token = Buffer.from(secret?.data?.['token'] ?? '', 'base64').toString();
      return token !== '';
    });
    const [address] = op.operator.addresses;
    const res = await fetch(`http://${address}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('kelos_reconcile_total');
    // The scraper's token reads /metrics and nothing else.
    const scraper = new HttpKubeClient({
      ...(await serviceAccountConnection(installNs, 'kelos-operator')),
      headers: async () => ({ authorization: `Bearer ${token}` }),
    });
    await expect(scraper.list(Resources.Secret, { namespace: installNs })).rejects.toMatchObject({
      status: 403,
    });
    scraper.close();
  });

  it('the NetworkPolicy admits /metrics from the scraper its selectors name only, probes and webhooks from anywhere', async () => {
    const policy = await admin.get<ApiObject & { spec: { ingress: unknown[] } }>(
      Resources.NetworkPolicy,
      installNs,
      'kelos-operator',
    );
    expect(policy?.spec.ingress).toEqual([
      {
        ports: [
          { port: 8081, protocol: 'TCP' },
          { port: 8443, protocol: 'TCP' },
        ],
      },
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
          },
        ],
        ports: [{ port: 8080, protocol: 'TCP' }],
      },
    ]);
  });

  it('grants nothing outside the watched namespaces: no Secrets, no Tasks, no cluster-wide lists', async () => {
    await create(admin, other, 'Secret', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'elsewhere' },
      stringData: { token: 'x' },
    } as ApiObject);
    await expect(sa.get(Resources.Secret, other, 'elsewhere')).rejects.toMatchObject({ status: 403 });
    await expect(sa.list(Resources.Task, { namespace: other })).rejects.toMatchObject({ status: 403 });
    await expect(sa.list(Resources.Task)).rejects.toMatchObject({ status: 403 });
    await expect(sa.list(Resources.Secret)).rejects.toMatchObject({ status: 403 });
    await expect(sa.get(Resources.Lease, watched, 'any')).rejects.toMatchObject({ status: 403 });
    // In its own namespace, only the Lease it elects with: not another controller's.
    await expect(sa.get(Resources.Lease, installNs, 'another-controller')).rejects.toMatchObject({
      status: 403,
    });
    await expect(
      sa.mergePatch(Resources.Lease, installNs, 'another-controller', { spec: { holderIdentity: 'x' } }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(sa.get(Resources.Lease, installNs, 'kelos-operator-leader')).resolves.toBeDefined();
    // …and what it needs where it works.
    for (const ns of [watched, second]) {
      await expect(sa.get(Resources.Secret, ns, 'missing')).resolves.toBeUndefined();
    }
  });
});

describe('install RBAC: the indirect grant', () => {
  it('update tasks/finalizers is what lets the operator own its Jobs with blockOwnerDeletion', async () => {
    await installIdentity();
    const admin = await testClient();
    const ns = await freshNamespace('rbac-owner');
    const owner = await create(admin, ns, 'Task', task('owner'));
    const role = (withFinalizers: boolean) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'jobs-only', namespace: ns },
      rules: [
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create'] },
        ...(withFinalizers
          ? [{ apiGroups: ['kelos.dev'], resources: ['tasks/finalizers'], verbs: ['update'] }]
          : []),
      ],
    });
    await applyManifest(
      [
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'jobs-only', namespace: ns },
        }),
        JSON.stringify(role(false)),
        JSON.stringify({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'jobs-only', namespace: ns },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'jobs-only' },
          subjects: [{ kind: 'ServiceAccount', name: 'jobs-only', namespace: ns }],
        }),
      ].join('\n'),
    );
    const sa = new HttpKubeClient(await serviceAccountConnection(ns, 'jobs-only'));
    const job = (name: string) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: ns,
        ownerReferences: [
          {
            apiVersion: 'kelos.dev/v1alpha2',
            kind: 'Task',
            name: 'owner',
            uid: owner.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'busybox' }] } } },
    });
    await expect(sa.create(Resources.Job, job('refused') as ApiObject)).rejects.toMatchObject({
      status: 403,
    });
    await applyManifest(JSON.stringify(role(true)));
    await waitFor('the Role to allow it', async () => {
      const created = await sa.create(Resources.Job, job('allowed') as ApiObject).catch(() => undefined);
      return created !== undefined;
    });
    sa.close();
    admin.close();
  });
});
