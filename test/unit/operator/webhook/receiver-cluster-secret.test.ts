// The cluster-wide GitHub secret verifies the deliveries of every spawner without a secretRef,
// whatever repository it names: on a cluster tenants share, the admin lists the namespaces
// trusted with it, and a spawner elsewhere receives nothing signed with it.
import { afterEach, describe, expect, it } from 'vitest';
import type { When } from '../../../../src/api/index.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import { SecretCache } from '../../../../src/operator/webhook/secrets.ts';
import { webhookSetupCheck } from '../../../../src/operator/webhook/verify.ts';
import { fixture, spawnerWith } from '../../../support/webhook-fixtures.ts';
import { githubHeaders, post } from '../../../support/webhook-payloads.ts';
import { addSpawner, receiverOver } from '../../../support/webhook-receiver.ts';

const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

const ORG_SECRET = 'org-secret';

describe('the cluster-wide webhook secret', () => {
  it('verifies only for spawners in the namespaces the KelosConfig trusts with it', async () => {
    const when = { githubWebhook: { events: ['issues'], repository: 'acme/b-private' } } as When;
    // team-a's spawner (receiverOver's) names team-b's repository; team-b is trusted.
    const r = await receiverOver(when, stops, {
      clusterSecrets: { github: [ORG_SECRET] },
      clusterSecretAllowed: (ns) => ns === 'team-b',
    });
    await addSpawner(r, when, 'team-b', 'issues');
    const addr = (await r.receiver.listen('127.0.0.1:0')) ?? '';
    const issue = fixture('github', 'issues') as { repository: Record<string, unknown> };
    issue.repository = { ...issue.repository, full_name: 'acme/b-private', name: 'b-private' };
    const body = JSON.stringify(issue);
    const answer = await post(
      addr,
      '/webhook/github',
      body,
      githubHeaders(body, ORG_SECRET, 'issues', 'd-1'),
    );
    expect(answer.status, answer.body).toBe(200);
    expect(JSON.parse(answer.body).results).toEqual([
      expect.objectContaining({ taskSpawner: 'team-b/issues', outcome: 'created' }),
    ]);
    const tasks = async (namespace: string) => (await r.kube.list(Resources.Task, { namespace })).items;
    expect((await tasks('team-a')).length).toBe(0);
    // team-a's spawner status says why it receives nothing (the TaskSpawner reconciler's check).
    const check = webhookSetupCheck(
      new SecretCache(r.kube, r.clock, { github: [ORG_SECRET] }, (ns) => ns === 'team-b'),
      () => false,
      false,
    );
    expect(await check(spawnerWith(when))).toEqual({
      problem:
        'webhook deliveries are refused with 401: no secretRef, and KelosConfig spec.webhooks.clusterSecretNamespaces does not list namespace team-a, so the cluster-wide github secret is not for its spawners: give the spawner a secretRef',
    });
  });
});
