/**
 * The install's RBAC, proven on a real API server: `dist/install` applied server-side, the
 * operator connected with a TokenRequest token of the install's ServiceAccount, and one
 * scenario that takes every path of the operator that touches the API (admission with a
 * Workspace, AgentConfig, GitHub App token and budget; the kubelet's part; log fallback; TTL
 * deletion; TaskRecord retention; name conflicts; leader election). Every request must be
 * granted, and every granted permission must have been used, unless the table names the
 * server-side mechanism that uses it instead (`indirect`).
 *
 * The namespaced install (Roles in the watched namespaces only) is rendered from the same
 * constructs with `watchNamespaces`, and shown to work there and nowhere else.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, Chart } from 'cdk8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KelosInstall } from '../../constructs/install/index.ts';
import {
  INSTALL_NAMESPACE,
  OPERATOR_RBAC_RULES,
  type OperatorRbacRule,
  rulesGranting,
  SELECTOR_LABELS,
} from '../../src/install/index.ts';
import { type ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { tickId } from '../../src/operator/spawner/sources/cron.ts';
import { allowanceLabel, allowancePolicyName, POLICY_LABELS } from '../../src/render/agent-network-policy.ts';
import { freshNamespace, waitFor } from './helpers.ts';
import {
  applyManifest,
  installIdentity,
  type RecordedRequest,
  serviceAccountConnection,
  testLeaseName,
} from './install-identity.ts';
import {
  budget,
  create,
  outputsMessage,
  podFinished,
  podRunning,
  startOperator,
  type TestOperator,
  task,
  testClient,
  waitForPhase,
} from './operator-helpers.ts';
import { spawner, waitForSpawner } from './spawner-helpers.ts';

/** A loopback GitHub that hands out installation tokens living `lifetimeMs`. */
function fakeGitHub(lifetimeMs: number): Server {
  let n = 0;
  return createServer((req, res) => {
    n++;
    res.writeHead(req.method === 'POST' ? 201 : 404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ token: `ghs_${n}`, expires_at: new Date(Date.now() + lifetimeMs).toISOString() }),
    );
  });
}

const listen = async (s: Server): Promise<string> => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};

/** `verb group/resource` of each permission of `rules`. */
const permissions = (rules: readonly OperatorRbacRule[]) =>
  rules.flatMap((r) =>
    r.apiGroups.flatMap((g) =>
      r.resources.flatMap((res) => r.verbs.map((verb) => ({ rule: r, verb, apiGroup: g, resource: res }))),
    ),
  );

const key = (p: { verb: string; apiGroup: string; resource: string }) =>
  `${p.verb} ${p.apiGroup || 'core'}/${p.resource}`;

const PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();

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
    // Tokens are due for a refresh 10 minutes before they expire: this one 2 s after minting.
    github = fakeGitHub(10 * 60_000 + 2_000);
    const apiUrl = await listen(github);
    op = await startOperator(ns, {
      githubApiUrl: apiUrl,
      leaderElection: { namespace: INSTALL_NAMESPACE, name: testLeaseName(), retryPeriodMs: 500 },
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
      return pods.length === 2;
    });
    const spec = (
      pods[0] as unknown as { spec: { serviceAccountName: string; automountServiceAccountToken: boolean } }
    ).spec;
    expect(spec.serviceAccountName).toBe('kelos-operator');
    expect(spec.automountServiceAccountToken).toBe(true);
  });

  it('runs every API path of the operator as the install’s ServiceAccount', async () => {
    await create(c, ns, 'Secret', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'app-keys' },
      stringData: { appID: '1', installationID: '2', privateKey: PRIVATE_KEY },
    } as ApiObject);
    await create(c, ns, 'Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'repo' },
      spec: { repo: 'https://github.com/example/repo.git', secretRef: { name: 'app-keys' } },
    });
    await create(c, ns, 'AgentConfig', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'AgentConfig',
      metadata: { name: 'style' },
      spec: { agentsMD: 'Write tests first.' },
    });
    await create(
      c,
      ns,
      'TaskBudget',
      budget('team', { taskSelector: { matchLabels: { team: 'a' } }, maxCostUSD: '100' }),
    );
    // An agent NetworkPolicy of an allowance no AgentConfig names any more: the first Task's
    // admission applies the namespace's policies and removes this one.
    await create(c, ns, 'NetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: allowancePolicyName('stale'), labels: { ...POLICY_LABELS } },
      spec: { podSelector: { matchLabels: { [allowanceLabel('stale')]: 'true' } }, policyTypes: ['Egress'] },
    } as ApiObject);
    // A ConfigMap in the way of the Task's own: the operator reads it and finds it is not its.
    await create(c, ns, 'ConfigMap', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'full-agent-config' },
      data: {},
    } as ApiObject);
    await create(
      c,
      ns,
      'Task',
      task(
        'full',
        {
          worker: {
            type: 'claude-code',
            credentials: { type: 'none' },
            workspaceRef: { name: 'repo' },
            agentConfigRefs: [{ name: 'style' }],
          },
          ttlSecondsAfterFinished: 1,
        } as never,
        { team: 'a' },
      ),
    );
    await waitForPhase(c, ns, 'full', 'Pending');
    await waitFor('the stale agent NetworkPolicy removed', async () =>
      op.rbac.requests.some((r) => r.verb === 'delete' && r.resource === 'networkpolicies'),
    );
    await podRunning(c, ns, 'full');
    await waitForPhase(c, ns, 'full', 'Running');
    // The token is refreshed (a patch of its Secret) while the Task runs.
    await waitFor('the token Secret refreshed', async () =>
      op.rbac.requests.some((r) => r.verb === 'patch' && r.resource === 'secrets'),
    );
    // No termination message: the operator falls back to the log.
    await podFinished(c, ns, 'full');
    await waitForPhase(c, ns, 'full', 'Succeeded');
    await waitFor(
      'Task full deleted by its TTL',
      async () => (await c.get(Resources.Task, ns, 'full')) === undefined,
      {
        timeoutMs: 15_000,
      },
    );

    // A Task that reports usage leaves a TaskRecord.
    await create(c, ns, 'Task', task('paid'));
    await waitForPhase(c, ns, 'paid', 'Pending');
    await podFinished(c, ns, 'paid', {
      message: outputsMessage({ 'cost-usd': '0.5', 'input-tokens': '10' }),
    });
    await waitFor('the TaskRecord of paid', async () =>
      op.rbac.requests.some((r) => r.verb === 'create' && r.resource === 'taskrecords' && r.status === 201),
    );

    // A Task deleted while it runs takes its Job with it.
    await create(c, ns, 'Task', task('doomed'));
    await waitForPhase(c, ns, 'doomed', 'Pending');
    await c.delete(Resources.Task, ns, 'doomed');
    await waitFor('Job doomed gone', async () => (await c.get(Resources.Job, ns, 'doomed')) === undefined);

    // A Job of someone else's with the Task's name: the operator reads it and gives up.
    await create(c, ns, 'Job', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'taken' },
      spec: {
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'busybox' }] },
        },
      },
    } as ApiObject);
    await create(c, ns, 'Task', task('taken'));
    await waitForPhase(c, ns, 'taken', 'Failed');

    // A TaskRecord past its retention is deleted.
    await c.create(Resources.TaskRecord, {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskRecord',
      metadata: { name: 'expired', namespace: ns },
      spec: {
        taskRef: { name: 'gone' },
        phase: 'Succeeded',
        completionTime: new Date(Date.now() - 5000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        ttlSecondsAfterCompletion: 1,
      },
    } as ApiObject);
    await waitFor(
      'TaskRecord expired deleted',
      async () => (await c.get(Resources.TaskRecord, ns, 'expired')) === undefined,
    );

    // A TaskSpawner creates its Tasks and writes its status: a cron spawner whose watermark is
    // three minutes old catches up on the ticks it missed. A Task of someone else's holds the
    // name of its first tick, so the spawner reads it (and reports the collision).
    const watermark = Date.now() - 180_000;
    const firstTick = new Date(Math.floor(watermark / 60_000) * 60_000 + 60_000);
    await create(c, ns, 'Task', task(`ticks-${tickId(firstTick)}`));
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner(
        'ticks',
        { cron: { schedule: '* * * * *' } },
        {},
        { workspaceRef: undefined, worker: { type: 'claude-code', credentials: { type: 'none' } } },
      ),
    );
    await c.mergePatch(
      Resources.TaskSpawner,
      ns,
      'ticks',
      {
        status: { lastDiscoveryTime: new Date(Date.now() - 120_000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
      },
      { subresource: 'status' },
    );
    await waitForSpawner(
      c,
      ns,
      'ticks',
      'to create its Tasks',
      (sp) => (sp.status?.totalTasksCreated ?? 0) > 0,
      90_000,
    );

    await op.operator.idle();
    await op.operator.events.flush();
    requests.push(...op.rbac.requests);
    expect(op.rbac.forbiddenSummary()).toEqual([]);
  }, 240_000);

  it('every request is granted by the table, and every granted permission was used', () => {
    expect(requests.length).toBeGreaterThan(0);
    const ungranted = [...new Set(requests.filter((r) => rulesGranting(r).length === 0).map(key))];
    expect(ungranted, 'requests the table does not grant').toEqual([]);

    const used = new Set(requests.map(key));
    const unused = permissions(OPERATOR_RBAC_RULES).filter((p) => !used.has(key(p)));
    const explained = unused.filter((p) => p.rule.indirect || p.rule.race);
    // The report: which grants no request used, and why the table keeps the explained ones.
    console.info(
      `install RBAC: ${used.size} permissions used; granted but unused: ${
        unused.length
          ? unused
              .map(
                (p) =>
                  `${key(p)}${p.rule.indirect ? ` (indirect: ${p.rule.indirect})` : ''}${p.rule.race ? ` (on a race: ${p.rule.race})` : ''}`,
              )
              .join('; ')
          : 'none'
      }`,
    );
    expect(unused.filter((p) => !p.rule.indirect && !p.rule.race).map(key), 'granted but never used').toEqual(
      [],
    );
    // The indirect grants are never requested by the client; the race grant may or may not be.
    expect(explained.filter((p) => p.rule.indirect).map(key)).toEqual([
      'update kelos.dev/tasks/finalizers',
      'update kelos.dev/taskspawners/finalizers',
      'create networking.k8s.io/networkpolicies',
    ]);
  });
});

describe('install RBAC: namespaced', () => {
  let admin: HttpKubeClient;
  let sa: HttpKubeClient;
  let watched: string;
  let other: string;
  let installNs: string;
  let op: TestOperator;

  beforeAll(async () => {
    await installIdentity(); // the CRDs
    admin = await testClient();
    watched = await freshNamespace('rbac-watched');
    other = await freshNamespace('rbac-other');
    installNs = `kelos-ns-${watched.slice(-8)}`;
    const app = new App();
    new KelosInstall(new Chart(app, 'install'), 'kelos', {
      namespace: installNs,
      watchNamespaces: [watched],
    });
    await applyManifest(app.synthYaml());
    const conn = await serviceAccountConnection(installNs, 'kelos-operator');
    sa = new HttpKubeClient(conn);
    op = await startOperator(watched, {
      connection: conn,
      leaderElection: { namespace: installNs, name: 'kelos-operator-leader', retryPeriodMs: 500 },
    });
  }, 300_000);
  afterAll(async () => {
    await op?.stop();
    admin?.close();
    sa?.close();
  });

  it('reconciles Tasks in the watched namespace', async () => {
    await create(admin, watched, 'Task', task('here'));
    await waitForPhase(admin, watched, 'here', 'Pending');
    await podFinished(admin, watched, 'here', {
      message: '---KELOS_OUTPUTS_START---\nbranch: b\n---KELOS_OUTPUTS_END---\n',
    });
    await waitForPhase(admin, watched, 'here', 'Succeeded');
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
    // …and what it needs where it works.
    await expect(sa.get(Resources.Secret, watched, 'missing')).resolves.toBeUndefined();
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
