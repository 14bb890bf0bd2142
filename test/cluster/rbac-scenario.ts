/**
 * The install-RBAC scenario: one run through every path of the operator that touches the API
 * (admission with a Workspace, AgentConfig, GitHub App token and budget; the kubelet's part;
 * log fallback; TTL deletion; TaskRecord retention; name conflicts; a TaskSpawner), and the
 * comparison of the requests it made with the grants of the RBAC table. Run by
 * install-rbac.test.ts against the cluster-wide install and the namespaced one.
 *
 * @module
 */

import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { expect } from 'vitest';
import { OPERATOR_RBAC_RULES, type OperatorRbacRule, rulesGranting } from '../../src/install/index.ts';
import type { ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { tickId } from '../../src/operator/spawner/sources/cron.ts';
import { ENTRIES_KEY, ledgerName } from '../../src/operator/webhook/ledger-format.ts';
import { allowanceLabel, allowancePolicyName, POLICY_LABELS } from '../../src/render/agent-network-policy.ts';
import { genericAlert, kelosHeaders, post } from '../support/webhook-payloads.ts';
import { kubectl, waitFor } from './helpers.ts';
import type { RecordedRequest } from './install-identity.ts';
import {
  budget,
  create,
  outputsMessage,
  podFinished,
  podRunning,
  type TestOperator,
  task,
  waitForPhase,
} from './operator-helpers.ts';
import { spawner, waitForSpawner } from './spawner-helpers.ts';

/** A loopback GitHub that hands out installation tokens living `lifetimeMs`; stop it with `close`. */
export async function fakeGitHub(lifetimeMs: number): Promise<{ server: Server; url: string }> {
  let n = 0;
  const server = createServer((req, res) => {
    n++;
    res.writeHead(req.method === 'POST' ? 201 : 404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ token: `ghs_${n}`, expires_at: new Date(Date.now() + lifetimeMs).toISOString() }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * GitHub for the scenario: tokens are due for a refresh 10 minutes before they expire, so
 * these are refreshed 2 s after minting, while the Task runs.
 */
export const scenarioGitHub = (): Promise<{ server: Server; url: string }> => fakeGitHub(10 * 60_000 + 2_000);

const PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();

/**
 * Takes every API path of the operator `op` in namespace `ns` (admin client `c`), and waits
 * until the operator is idle. `op` must have been started with the {@link scenarioGitHub} URL.
 */
export async function everyApiPath(c: HttpKubeClient, ns: string, op: TestOperator): Promise<void> {
  await scrapeMetrics(ns, op);
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
        // Long enough that a poll on a loaded machine still sees Succeeded before the TTL.
        ttlSecondsAfterFinished: 5,
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

  // A webhook delivery: the receiver keeps its ledger (processed deliveries, serial numbers)
  // in a ConfigMap it creates and patches, and creates the spawner's Task. With
  // maxTotalTasks the number is reserved before the create (the ConfigMap's create) and
  // confirmed after it (a patch).
  const address = op.operator.webhookAddress;
  if (!address) throw new Error('the scenario needs the operator started with a webhook address');
  await create(c, ns, 'Secret', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'hook' },
    data: { WEBHOOK_SECRET: Buffer.from('rbac-hook-secret').toString('base64') },
  } as ApiObject);
  await create(
    c,
    ns,
    'TaskSpawner',
    spawner(
      'alerts',
      { webhook: { source: 'alerts', fieldMapping: { id: '$.data.id' }, secretRef: { name: 'hook' } } },
      { maxTotalTasks: 5 },
      { workspaceRef: undefined, worker: { type: 'claude-code', credentials: { type: 'none' } } },
    ),
  );
  await waitFor('the receiver to see spawner alerts', async () =>
    (op.operator.caches.spawners?.list(ns) ?? []).some((sp) => sp.metadata.name === 'alerts'),
  );
  const delivery = JSON.stringify(genericAlert('rbac-1'));
  const answer = await post(address, '/webhook/alerts', delivery, kelosHeaders(delivery, 'rbac-hook-secret'));
  if (answer.status !== 200) throw new Error(`webhook delivery answered ${answer.status}: ${answer.body}`);
  await waitForPhase(c, ns, 'alerts-rbac-1', 'Pending');
  await waitFor('the ledger to confirm the delivery', async () => {
    const ledger = await c.get<ApiObject & { data?: Record<string, string> }>(
      Resources.ConfigMap,
      ns,
      ledgerName('alerts'),
    );
    return / c \d+$/m.test(ledger?.data?.[ENTRIES_KEY] ?? '');
  });

  await op.operator.idle();
  await op.operator.events.flush();
}

/** `verb group/resource` of each permission of `rules`. */
const permissions = (rules: readonly OperatorRbacRule[]) =>
  rules.flatMap((r) =>
    r.apiGroups.flatMap((g) =>
      r.resources.flatMap((res) => r.verbs.map((verb) => ({ rule: r, verb, apiGroup: g, resource: res }))),
    ),
  );

/** `verb group/resource`. */
export const permissionKey = (p: { verb: string; apiGroup: string; resource: string }): string =>
  `${p.verb} ${p.apiGroup || 'core'}/${p.resource}`;

/** What the requests of a run used of the table's grants. */
export interface GrantReport {
  /** Requests no rule of the table grants. */
  readonly ungranted: string[];
  /** Grants no request used, and no `indirect` or `race` reason explains. */
  readonly unused: string[];
  /** Grants no request used that the API server checks on the operator's behalf. */
  readonly indirect: string[];
}

/** Compares `requests` with the table, and prints the unused grants under `label`. */
export function grantReport(label: string, requests: readonly RecordedRequest[]): GrantReport {
  const ungranted = [...new Set(requests.filter((r) => rulesGranting(r).length === 0).map(permissionKey))];
  const used = new Set(requests.map(permissionKey));
  const unused = permissions(OPERATOR_RBAC_RULES).filter((p) => !used.has(permissionKey(p)));
  // The report: which grants no request used, and why the table keeps the explained ones.
  console.info(
    `install RBAC (${label}): ${used.size} permissions used; granted but unused: ${
      unused.length
        ? unused
            .map(
              (p) =>
                `${permissionKey(p)}${p.rule.indirect ? ` (indirect: ${p.rule.indirect})` : ''}${p.rule.race ? ` (on a race: ${p.rule.race})` : ''}`,
            )
            .join('; ')
        : 'none'
    }`,
  );
  return {
    ungranted,
    unused: unused.filter((p) => !p.rule.indirect && !p.rule.race).map(permissionKey),
    indirect: unused.filter((p) => p.rule.indirect).map(permissionKey),
  };
}

/**
 * `/metrics` under `--metrics-auth kubernetes`, scraped with real ServiceAccount tokens: none
 * (401), one whose ServiceAccount has no grant (403), one bound to the install's
 * `kelos-metrics-reader` ClusterRole (200). The operator's TokenReviews and
 * SubjectAccessReviews are what the install's ClusterRole must grant.
 */
export async function scrapeMetrics(ns: string, op: TestOperator): Promise<void> {
  const [address] = op.operator.addresses;
  // As the install's monitors scrape: over TLS, without verifying the self-signed certificate.
  const https = op.logs.some((l) => l.includes('"msg":"Serving /metrics over HTTPS"'));
  const dispatcher = https ? new Agent({ connect: { rejectUnauthorized: false } }) : undefined;
  if (!address) throw new Error('the operator serves no /metrics; start it with metricsAddr');
  const token = async (sa: string) => {
    await kubectl(['create', 'serviceaccount', sa, '-n', ns]);
    return (await kubectl(['create', 'token', sa, '-n', ns])).stdout.trim();
  };
  const reader = await token('metrics-reader');
  await kubectl([
    'create',
    'clusterrolebinding',
    `${ns}-metrics-reader`,
    '--clusterrole=kelos-metrics-reader',
    `--serviceaccount=${ns}:metrics-reader`,
  ]);
  const stranger = await token('stranger');
  const scrape = async (bearer?: string) => {
    const res = await undiciFetch(`${https ? 'https' : 'http'}://${address}/metrics`, {
      headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
      ...(dispatcher ? { dispatcher } : {}),
    });
    return [res.status, await res.text()] as const;
  };
  expect(await scrape()).toEqual([401, 'unauthorized\n']);
  expect(await scrape('not-a-token')).toEqual([401, 'unauthorized\n']);
  expect(await scrape(stranger)).toEqual([
    403,
    `forbidden: system:serviceaccount:${ns}:stranger may not get /metrics\n`,
  ]);
  const [status, body] = await scrape(reader);
  expect(status).toBe(200);
  expect(body).toContain('kelos_reconcile_total');
  await kubectl(['delete', 'clusterrolebinding', `${ns}-metrics-reader`]);
  await dispatcher?.close();
}
