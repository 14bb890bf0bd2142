/**
 * The webhook receiver's GitHub clients follow the TaskSpawners: a pull_request delivery whose
 * filter needs the changed files makes the receiver build a client for the spawner (fake GitHub
 * on loopback), and deleting the spawner drops it, as `kelos_github_clients{holder="receiver"}`
 * shows. No reconciler drives the receiver's pollers, so only the operator's wiring of their
 * deletions keeps a cluster that churns spawners from holding a client (and its ETag cache) for
 * each one it ever saw.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiObject } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import type { FakeGitHub } from '../support/fake-github.ts';
import { fixture } from '../support/webhook-fixtures.ts';
import { githubHeaders, post } from '../support/webhook-payloads.ts';
import { create, type OperatorScenario, waitFor } from './operator-helpers.ts';
import { githubWorkspace, spawner, useGitHubWebhookOperator } from './spawner-helpers.ts';

const SECRET = 'clients-secret';

/** `kelos_github_clients{holder}` as the operator's /metrics would serve it. */
const clientsHeld = async (s: OperatorScenario, holder: string): Promise<number | undefined> => {
  const text = await s.op.operator.metrics.registry.metrics();
  const m = new RegExp(`^kelos_github_clients\\{holder="${holder}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

describe("the webhook receiver's GitHub clients", () => {
  let s: OperatorScenario;
  let gh: FakeGitHub;
  useGitHubWebhookOperator('webhook-gh-clients', SECRET, (x, g) => {
    s = x;
    gh = g;
  });

  it('are dropped when their TaskSpawner is deleted', async () => {
    const { c, ns } = s;
    await githubWorkspace(c, ns);
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner('docs-prs', {
        githubWebhook: {
          events: ['pull_request'],
          filters: [{ event: 'pull_request', filePatterns: { include: ['docs/**'] } }],
        },
      }) as ApiObject,
    );
    await waitFor('the receiver to see the spawner', async () => s.op.operator.caches.spawners!.size >= 1);
    expect(await clientsHeld(s, 'receiver')).toBe(0);

    // The filter needs the pull request's files: the receiver fetches them with the spawner's access.
    const n = gh.addIssue({ pull: { headRef: 'docs-fix' }, files: ['docs/guide.md'] });
    const payload = fixture('github', 'pull_request') as { number: number; pull_request: { number: number } };
    payload.number = n;
    payload.pull_request.number = n;
    const body = JSON.stringify(payload);
    const r = await post(
      s.op.operator.webhookAddress ?? '',
      '/webhook/github',
      body,
      githubHeaders(body, SECRET, 'pull_request', randomUUID()),
    );
    expect(r.status, r.body).toBe(200);
    expect(JSON.stringify(r.json().results)).toContain('"outcome":"created"');
    expect(gh.requests.some((q) => q.path.includes(`/pulls/${n}/files`))).toBe(true);
    expect(await clientsHeld(s, 'receiver')).toBe(1);

    await c.delete(Resources.TaskSpawner, ns, 'docs-prs');
    await waitFor(
      'the spawner to be gone',
      async () => (await c.get(Resources.TaskSpawner, ns, 'docs-prs')) === undefined,
    );
    await waitFor(
      "the receiver to drop the deleted spawner's GitHub client",
      async () => (await clientsHeld(s, 'receiver')) === 0,
    );
    // The spawner controller's own clients follow deletions too (its reconcile of the gone key).
    await waitFor(
      'the spawner controller to drop its client',
      async () => (await clientsHeld(s, 'spawners')) === 0,
    );
  });
});
