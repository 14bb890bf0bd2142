import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { TaskSpawner, Workspace } from '../../../../src/api/index.ts';
import { FakeClock } from '../../../../src/kube/clock.ts';
import { Informer } from '../../../../src/kube/informer.ts';
import { silentLogger } from '../../../../src/kube/log.ts';
import { createOutboundFetch } from '../../../../src/operator/outbound.ts';
import type { TaskSpawnerReconcilerOptions } from '../../../../src/operator/reconcilers/task-spawner/options.ts';
import { Pollers } from '../../../../src/operator/reconcilers/task-spawner/source.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import { GitHubClient, REPORT_CACHE_LIMITS } from '../../../../src/operator/spawner/github-client.ts';
import { FakeGitHub } from '../../../support/fake-github.ts';
import { FakeKube } from '../../../support/fake-kube.ts';

// A client that never polls (a webhook spawner's, used to report and to enrich) never reaches
// endPoll, the sweep of a polling one: its ETag cache is bounded by its limits alone.
let gh: FakeGitHub;
const stops: Array<() => Promise<void>> = [];
beforeEach(async () => {
  gh = await FakeGitHub.start();
});
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  await gh.close();
});

const fetch = createOutboundFetch({ allowPrivate: true, allowInsecure: true });

/** Pollers over a fake API server holding a webhook spawner and its Workspace, as the receiver builds them. */
const webhookPollers = async () => {
  const clock = new FakeClock(Date.parse('2026-03-02T09:00:00Z'));
  const kube = new FakeKube({ clock });
  const base = { client: kube, clock, log: silentLogger };
  const spawners = new Informer<TaskSpawner>({ ...base, type: Resources.TaskSpawner });
  const workspaces = new Informer<Workspace>({ ...base, type: Resources.Workspace });
  await kube.create(Resources.Workspace, {
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'Workspace',
    metadata: { name: 'ws', namespace: 'team' },
    spec: { repo: 'https://github.com/acme/widgets.git' },
  } as Workspace);
  await kube.create(Resources.TaskSpawner, {
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'TaskSpawner',
    metadata: { name: 'hooks', namespace: 'team' },
    spec: {
      when: { githubWebhook: { events: ['pull_request'] } },
      taskTemplate: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: 'ws' } },
    },
  } as unknown as TaskSpawner);
  const pollers = new Pollers({
    ...base,
    caches: { spawners, workspaces },
    fetch,
    githubApiUrl: gh.baseUrl,
  } as unknown as TaskSpawnerReconcilerOptions);
  pollers.forgetDeleted(spawners);
  for (const i of [spawners, workspaces]) {
    i.start();
    stops.push(() => i.stop());
    await i.waitForSync();
  }
  const spawner = spawners.get('team', 'hooks')!;
  return { kube, spawners, pollers, spawner };
};

describe('the GitHub ETag cache of a client that never polls', () => {
  test('a webhook spawner’s client keeps at most REPORT_CACHE_LIMITS entries, however many issues it reads', async () => {
    const { pollers, spawner } = await webhookPollers();
    const { client } = (await pollers.get(spawner)).github!;
    const n = REPORT_CACHE_LIMITS.entries + 50;
    const numbers = Array.from({ length: n }, () => gh.addIssue({ pull: {}, files: ['docs/a.md'] }));
    for (const i of numbers) {
      // What reporting reads for each Task, and what enrichment reads for each delivery.
      await client.list(`/repos/acme/widgets/issues/${i}/comments?per_page=100`);
      await client.list(`/repos/acme/widgets/pulls/${i}/files?per_page=100`);
    }
    expect(client.cacheSize).toBe(REPORT_CACHE_LIMITS.entries);
    // The most recent reads are the ones kept: reading again costs a 304.
    const last = await client.list(`/repos/acme/widgets/pulls/${numbers.at(-1)}/files?per_page=100`);
    expect(last.changed).toBe(false);
    const first = await client.list(`/repos/acme/widgets/pulls/${numbers[0]}/files?per_page=100`);
    expect(first.changed).toBe(true);
  });

  test('the cached response text stays within the character limit, the least recent dropped first', async () => {
    const client = new GitHubClient({
      baseUrl: gh.baseUrl,
      fetch,
      cacheLimits: { entries: 1000, chars: 5000 },
    });
    const numbers = Array.from({ length: 40 }, () => gh.addIssue({}));
    for (const i of numbers) gh.comment(i, 'octocat', 'x'.repeat(400));
    for (const i of numbers) await client.list(`/repos/acme/widgets/issues/${i}/comments`);
    expect(client.cacheChars).toBeGreaterThan(0);
    expect(client.cacheChars).toBeLessThanOrEqual(5000);
    expect(client.cacheSize).toBeLessThan(40);
    expect((await client.list(`/repos/acme/widgets/issues/${numbers.at(-1)}/comments`)).changed).toBe(false);
    expect((await client.list(`/repos/acme/widgets/issues/${numbers[0]}/comments`)).changed).toBe(true);
  });

  test('the receiver’s pollers drop a deleted spawner’s client and token', async () => {
    const { kube, pollers, spawner, spawners } = await webhookPollers();
    await pollers.get(spawner);
    expect(pollers.githubRepoOf(spawner.metadata.uid!)).toBe('acme/widgets');
    await kube.delete(Resources.TaskSpawner, 'team', 'hooks');
    await kube.flush();
    await expect.poll(() => spawners.get('team', 'hooks')).toBeUndefined();
    expect(pollers.githubRepoOf(spawner.metadata.uid!)).toBeUndefined();
  });
});
