/**
 * Issue 9, finding 6: a leader whose connection to the API server hangs must stop writing
 * before the standby's first write. The leader talks to the API server through a TCP proxy on
 * loopback that the test freezes (it stops forwarding bytes, as a dead network path does); the
 * standby talks to the API server directly. Before the fix the leader's renew hung for ever
 * (no request timeout, deadline checked only after the renew returned): it kept leading, and
 * kept writing, after the standby took over.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTALL_NAMESPACE } from '../../src/install/index.ts';
import { ApiError, type HttpKubeClient } from '../../src/kube/client.ts';
import type { Lease } from '../../src/kube/leader-election.ts';
import { Resources } from '../../src/operator/resources.ts';
import { freshNamespace } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { grantTestLease, installIdentity } from './install-identity.ts';
import { startOperator, type TestOperator, testClient, waitFor } from './operator-helpers.ts';

/** A TCP proxy that can stop forwarding without closing anything. */
class FreezableProxy {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  frozen = false;
  constructor(target: { host: string; port: number }) {
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('error', () => {});
      client.on('close', () => this.sockets.delete(client));
      if (this.frozen) {
        client.pause();
        return;
      }
      const upstream = connect(target.port, target.host);
      this.sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => this.sockets.delete(upstream));
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }
  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as { port: number }).port;
  }
  freeze(): void {
    this.frozen = true;
    for (const s of this.sockets) {
      s.unpipe();
      s.pause();
    }
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

// The Lease lives in the install's namespace (the only one the install lets the operator
// write Leases in); a name of its own keeps it apart from other test files' Leases.
const LEASE = 'kelos-operator-leader-hang';
const lastLine = (logs: string[], msg: string) => logs.filter((l) => l.includes(`"msg":"${msg}"`)).at(-1);

describe('operator: a leader whose API connection hangs', () => {
  let c: HttpKubeClient;
  let ns: string;
  let proxy: FreezableProxy;
  let leader: TestOperator;
  let standby: TestOperator | undefined;

  beforeAll(async () => {
    await installCrds();
    ns = await freshNamespace('op-leader-hang');
    c = await testClient();
    // Both replicas run as the install's ServiceAccount; applying the install also creates
    // its namespace, where the Lease lives (before, the proxied replica used the admin
    // kubeconfig, nothing had created kelos-system yet, and its Lease create got 404).
    const sa = await installIdentity();
    await grantTestLease(LEASE);
    const api = new URL(sa.server);
    proxy = new FreezableProxy({ host: api.hostname, port: Number(api.port) });
    const port = await proxy.listen();
    const election = (identity: string) => ({
      namespace: INSTALL_NAMESPACE,
      name: LEASE,
      identity,
      leaseDurationMs: 3000,
      renewDeadlineMs: 2000,
      retryPeriodMs: 300,
    });
    leader = await startOperator(ns, {
      connection: { ...sa, server: `${api.protocol}//127.0.0.1:${port}` },
      leaderElection: election('hung-leader'),
    });
    await waitFor('the proxied replica to lead', async () => leader.operator.elector?.isLeader === true);
    standby = await startOperator(ns, { leaderElection: election('standby') });
  });
  afterAll(async () => {
    await standby?.stop();
    await proxy?.close();
    await leader?.stop();
    c?.close();
  });

  it('stops leading, and refuses writes, before the standby acquires the Lease', async () => {
    proxy.freeze();
    const frozenAt = Date.now();
    await waitFor('the standby to lead', async () => standby?.operator.elector?.isLeader === true, {
      timeoutMs: 20_000,
    });
    const lease = await c.get<Lease>(Resources.Lease, INSTALL_NAMESPACE, LEASE);
    expect(lease?.spec?.holderIdentity).toBe('standby');
    // The standby's first write is its takeover of the Lease, stamped when it decided.
    const takeover = Date.parse(lease?.spec?.acquireTime ?? '');
    const lost = lastLine(leader.logs, 'Lost leader Lease: could not renew it in time');
    expect(lost, 'the hung leader never stepped down').toBeDefined();
    const steppedDown = Date.parse((JSON.parse(lost as string) as { ts: string }).ts);
    expect(steppedDown).toBeGreaterThan(frozenAt);
    expect(steppedDown).toBeLessThan(takeover);
    expect(leader.operator.active).toBe(false);

    // A reconcile still running on the old leader cannot write any more: the fence refuses
    // before a byte is sent.
    const before = leader.operator.writes;
    const refused = await leader.operator.client
      .create(Resources.ConfigMap, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'late', namespace: ns },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).reason).toBe('NotLeader');
    expect(leader.operator.writes).toBe(before);
  });
});
