import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTALL_NAMESPACE } from '../../src/install/index.ts';
import { type HttpKubeClient, WRITE_VERBS } from '../../src/kube/client.ts';
import type { Lease } from '../../src/kube/leader-election.ts';
import { Resources } from '../../src/operator/resources.ts';
import { freshNamespace } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { grantTestLease, testLeaseName } from './install-identity.ts';
import {
  create,
  jobNames,
  startOperator,
  type TestOperator,
  task,
  testClient,
  waitFor,
  waitForPhase,
} from './operator-helpers.ts';

// Two replicas with leader election: only the one holding the Lease writes; when it steps
// down, the standby takes over with a warm cache.
describe('operator: leader election', () => {
  let c: HttpKubeClient;
  let ns: string;
  const replicas: Array<{ name: string; op: TestOperator; writes: number }> = [];
  const lease = testLeaseName();

  beforeAll(async () => {
    await installCrds();
    await grantTestLease(lease);
    ns = await freshNamespace('op-leader');
    c = await testClient();
    for (const name of ['replica-a', 'replica-b']) {
      const op = await startOperator(ns, {
        leaderElection: {
          // The install grants Leases in its own namespace only.
          namespace: INSTALL_NAMESPACE,
          name: lease,
          identity: name,
          leaseDurationMs: 4000,
          renewDeadlineMs: 3000,
          retryPeriodMs: 500,
        },
      });
      const replica = { name, op, writes: 0 };
      // Count every write except the Lease itself.
      op.operator.client.observe((verb, type) => {
        if (WRITE_VERBS.has(verb) && type.kind !== 'Lease') replica.writes++;
      });
      replicas.push(replica);
    }
  });
  afterAll(async () => {
    for (const r of replicas) await r.op.stop();
    c?.close();
  });

  const holder = async (): Promise<string> => {
    const current = await c.get<Lease>(Resources.Lease, INSTALL_NAMESPACE, lease);
    return current?.spec?.holderIdentity ?? '';
  };

  it('lets only the Lease holder reconcile', async () => {
    await waitFor('a leader', async () => replicas.some((r) => r.op.operator.elector?.isLeader));
    const leader = replicas.find((r) => r.op.operator.elector?.isLeader);
    const standby = replicas.find((r) => r !== leader);
    expect(await holder()).toBe(leader?.name);
    expect(standby?.op.operator.active).toBe(false);

    for (let i = 0; i < 5; i++) await create(c, ns, 'Task', task(`led-${i}`));
    for (let i = 0; i < 5; i++) await waitForPhase(c, ns, `led-${i}`, 'Pending');
    // The standby saw every Task (its cache is warm) but wrote nothing.
    await waitFor('standby cache', async () => (standby?.op.operator.caches.tasks.size ?? 0) === 5);
    expect(standby?.writes).toBe(0);
    expect(leader?.writes).toBeGreaterThanOrEqual(5 * 3);
  });

  it('hands over to the standby when the leader stops, and the new leader carries on', async () => {
    const leader = replicas.find((r) => r.op.operator.elector?.isLeader);
    const standby = replicas.find((r) => r !== leader);
    if (!leader || !standby) throw new Error('no leader');
    await leader.op.stop();
    // The Lease is released on shutdown, so the takeover does not wait for it to expire.
    await waitFor('the standby to lead', async () => standby.op.operator.elector?.isLeader === true, {
      timeoutMs: 10_000,
    });
    expect(await holder()).toBe(standby.name);
    const writesBefore = leader.writes;

    await create(c, ns, 'Task', task('after-handover'));
    await waitForPhase(c, ns, 'after-handover', 'Pending');
    expect(await jobNames(c, ns)).toContain('after-handover');
    expect(standby.writes).toBeGreaterThan(0);
    expect(leader.writes).toBe(writesBefore);
  });

  it('stops reconciling when it cannot renew the Lease, and resumes once it wins it back', async () => {
    const current = replicas.find((r) => r.op.operator.elector?.isLeader);
    if (!current) throw new Error('no leader');
    // Another party takes the Lease and keeps renewing it: the leader's renewals fail.
    const steal = async () => {
      const now = new Date().toISOString().replace('Z', '000Z');
      await c.mergePatch(Resources.Lease, INSTALL_NAMESPACE, lease, {
        spec: { holderIdentity: 'intruder', renewTime: now, leaseDurationSeconds: 4 },
      });
    };
    await steal();
    const keepStealing = setInterval(() => void steal().catch(() => {}), 300);
    try {
      await waitFor('the leader to step down', async () => current.op.operator.elector?.isLeader === false, {
        timeoutMs: 10_000,
      });
      expect(current.op.operator.active).toBe(false);
      await create(c, ns, 'Task', task('while-leaderless'));
      await new Promise((r) => setTimeout(r, 1500));
      expect(await jobNames(c, ns)).not.toContain('while-leaderless');
    } finally {
      clearInterval(keepStealing);
    }
    // The intruder stops renewing; after the lease duration a replica takes over.
    await waitForPhase(c, ns, 'while-leaderless', 'Pending', 20_000);
    expect(await holder()).toBe(current.name);
  });
});
