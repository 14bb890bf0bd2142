import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTALL_NAMESPACE } from '../../src/install/index.ts';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import type { Lease } from '../../src/kube/leader-election.ts';
import { createLogger } from '../../src/kube/log.ts';
import { Operator } from '../../src/operator/main.ts';
import type { OperatorOptions } from '../../src/operator/options.ts';
import { Resources } from '../../src/operator/resources.ts';
import { freshNamespace } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { applyManifest, serviceAccountConnection, testLeaseName } from './install-identity.ts';
import { testClient, waitFor } from './operator-helpers.ts';

// A replica whose lists never complete (here: RBAC grants it the Lease and nothing else) wins
// the Lease while it starts. Asked to stop then, it must let the Lease go, not hold it until
// it is killed and leave the standby waiting out the lease duration.
describe('operator: stopped while its caches list', () => {
  let c: HttpKubeClient;
  let ns: string;
  const lease = testLeaseName();

  beforeAll(async () => {
    await installCrds();
    ns = await freshNamespace('op-start');
    c = await testClient();
    await applyManifest(`
apiVersion: v1
kind: Namespace
metadata: {name: ${INSTALL_NAMESPACE}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: lease-only, namespace: ${ns}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${ns}-lease-only, namespace: ${INSTALL_NAMESPACE}}
rules:
  - {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, create, update, patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${ns}-lease-only, namespace: ${INSTALL_NAMESPACE}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${ns}-lease-only}
subjects:
  - {kind: ServiceAccount, name: lease-only, namespace: ${ns}}
`);
  });
  afterAll(() => c?.close());
  /** Starts an operator as the Lease-only ServiceAccount, whose lists never complete. */
  const startStuck = async (identity: string, logs: string[], extra: Partial<OperatorOptions>) =>
    Operator.start({
      connection: await serviceAccountConnection(ns, 'lease-only'),
      namespaces: [ns],
      metricsAddr: '',
      healthAddr: '',
      processMetrics: false,
      resyncMs: 0,
      leaderElection: {
        namespace: INSTALL_NAMESPACE,
        name: lease,
        identity,
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 500,
      },
      log: createLogger({ write: (l) => logs.push(l), level: 'debug' }),
      ...extra,
    });
  const holder = async () =>
    (await c.get<Lease>(Resources.Lease, INSTALL_NAMESPACE, lease))?.spec?.holderIdentity ?? '';

  it('stops the start and releases the Lease it won', async () => {
    const logs: string[] = [];
    const stopping = new AbortController();
    const starting = startStuck('never-synced', logs, { signal: stopping.signal });
    await waitFor('the starting replica to win the Lease', async () => (await holder()) === 'never-synced');

    stopping.abort();
    const operator = await starting;
    expect(operator.active).toBe(false);
    expect(await holder()).toBe('');
    const stoppedEarly = logs
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'Stopping before the caches synced');
    expect(stoppedEarly?.pending).toContain('Task');
    expect(logs.some((l) => l.includes('"msg":"Released leader Lease"'))).toBe(true);
  }, 60_000);

  it('gives up after the cache sync timeout: names the kinds still listing and releases the Lease', async () => {
    const logs: string[] = [];
    const starting = startStuck('timed-out', logs, { cacheSyncTimeoutMs: 3_000 });
    await expect(starting).rejects.toThrow(
      /^the caches of Task, .* did not sync within 3 s: a list the operator's RBAC refuses/,
    );
    expect(await holder()).toBe('');
    expect(logs.some((l) => l.includes('"msg":"Released leader Lease"'))).toBe(true);
  }, 60_000);
});
