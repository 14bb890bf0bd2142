/**
 * A leader whose shared connection pool is full (watches hold connections for minutes, a burst
 * of reconciles takes the rest) must still renew its Lease: the elector has a client of its
 * own. Before, its GET queued behind the workload past the renew deadline and the leader
 * stepped down mid-burst.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTALL_NAMESPACE } from '../../src/install/index.ts';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import type { Lease } from '../../src/kube/leader-election.ts';
import { Resources } from '../../src/operator/resources.ts';
import { freshNamespace } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { grantTestLease, testLeaseName } from './install-identity.ts';
import { startOperator, type TestOperator, testClient, waitFor } from './operator-helpers.ts';

describe('operator: Lease renewal while the shared connection pool is full', () => {
  let c: HttpKubeClient;
  let ns: string;
  let op: TestOperator;
  const lease = testLeaseName();

  beforeAll(async () => {
    await installCrds();
    ns = await freshNamespace('op-lease-pool');
    // The install's Role grants its own Lease only: this file elects with one of its own.
    await grantTestLease(lease);
    c = await testClient();
    op = await startOperator(ns, {
      workers: 1,
      leaderElection: {
        namespace: INSTALL_NAMESPACE,
        name: lease,
        identity: 'only',
        leaseDurationMs: 4000,
        renewDeadlineMs: 3000,
        retryPeriodMs: 500,
      },
    });
  });
  afterAll(async () => {
    await op?.stop();
    c?.close();
  });

  const renewTime = async () =>
    (await c.get<Lease>(Resources.Lease, INSTALL_NAMESPACE, lease))?.spec?.renewTime ?? '';

  it('keeps renewing, and leading, while watches hold every connection of the shared pool', async () => {
    await waitFor('leading', async () => op.operator.elector?.isLeader === true);
    // More watches than the shared pool has connections (about 30 with one worker), each held
    // for 8 s: every request of the workload waits for one of them to end.
    const held = Array.from({ length: 40 }, () =>
      op.operator.client
        .watch(Resources.Task, { namespace: ns, timeoutSeconds: 8 }, () => {})
        .catch(() => {}),
    );
    const before = await renewTime();
    const lost: number[] = [];
    const started = Date.now();
    while (Date.now() - started < 6000) {
      if (!op.operator.elector?.isLeader) lost.push(Date.now() - started);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(lost, 'ms into the saturation at which the replica was not leading').toEqual([]);
    expect(await renewTime()).not.toBe(before);
    expect(op.logs.some((l) => l.includes('Lost leader Lease'))).toBe(false);
    await Promise.all(held);
  }, 40_000);
});
