/**
 * Helpers of the TaskSpawner scenarios: the Workspace and Secret a GitHub spawner needs, a
 * fake GitHub for the scenario (and an operator whose webhook receiver takes GitHub deliveries
 * and calls it), spawner builders, waiting on spawner status, the Tasks a spawner owns, and a
 * seeded PRNG for the randomized runs.
 *
 * @module
 */
import { afterAll, beforeAll } from 'vitest';
import type { Task, TaskSpawner } from '../../src/api/index.ts';
import type { ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { FakeGitHub } from '../support/fake-github.ts';
import { create, createSecret, type OperatorScenario, useOperator, waitFor } from './operator-helpers.ts';

/** The issue label of the seed's walkthrough. */
export const LABEL = 'needs-implementation';

/** The GitHub token {@link githubWorkspace} stores by default and {@link useFakeGitHub} accepts. */
export const GITHUB_TOKEN = 't0k';

/** Creates Secret `gh` (GITHUB_TOKEN) and Workspace `repo` for acme/widgets in `ns`. */
export async function githubWorkspace(c: HttpKubeClient, ns: string, token = GITHUB_TOKEN): Promise<void> {
  await createSecret(c, ns, 'gh', { GITHUB_TOKEN: token });
  await create(c, ns, 'Workspace', {
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'Workspace',
    metadata: { name: 'repo' },
    spec: { repo: 'https://github.com/acme/widgets.git', secretRef: { name: 'gh' } },
  } as ApiObject);
}

/**
 * Registers a fake GitHub on loopback for the scenario, accepting {@link GITHUB_TOKEN}, and
 * closes it after the scenario; `ready` receives it before the first test runs. Register it
 * before `useOperator` when the operator's options name its URL.
 */
export function useFakeGitHub(ready: (gh: FakeGitHub) => void): void {
  let gh: FakeGitHub | undefined;
  beforeAll(async () => {
    gh = await FakeGitHub.start();
    gh.tokens.add(GITHUB_TOKEN);
    ready(gh);
  });
  afterAll(async () => {
    await gh?.close();
  });
}

/**
 * Registers a fake GitHub ({@link useFakeGitHub}) and an operator ({@link useOperator}) whose
 * webhook receiver listens on a loopback port, verifies GitHub deliveries with the cluster-wide
 * `secret` (the spawners name none), and calls the fake for the Tasks' status comments and a
 * filter's pull request files. `ready` receives both before the first test runs.
 */
export function useGitHubWebhookOperator(
  prefix: string,
  secret: string,
  ready: (scenario: OperatorScenario, gh: FakeGitHub) => void,
): void {
  let gh: FakeGitHub;
  useFakeGitHub((x) => {
    gh = x;
  });
  useOperator(
    prefix,
    (x) => ready(x, gh),
    () => ({
      githubApiUrl: gh.baseUrl,
      outbound: { allowPrivate: true, allowInsecure: true },
      webhook: { addr: '127.0.0.1:0', clusterSecrets: { github: [secret] } },
    }),
  );
}

/** The comments on issue `n` of acme/widgets, read through the fake's API as a user would. */
export async function issueComments(gh: FakeGitHub, n: number): Promise<Array<{ id: number; body: string }>> {
  const res = await fetch(`${gh.baseUrl}/repos/acme/widgets/issues/${n}/comments`, {
    headers: { authorization: `token ${GITHUB_TOKEN}` },
  });
  return (await res.json()) as Array<{ id: number; body: string }>;
}

/** A TaskSpawner over `when`, with an inline task template on Workspace `repo`. */
export const spawner = (
  name: string,
  when: TaskSpawner['spec']['when'],
  extra: Partial<TaskSpawner['spec']> = {},
  template: Partial<TaskSpawner['spec']['taskTemplate']> = {},
): TaskSpawner =>
  ({
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'TaskSpawner',
    metadata: { name },
    spec: {
      when,
      taskTemplate: {
        worker: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: 'repo' } },
        ...template,
      },
      ...extra,
    },
  }) as TaskSpawner;

/** Reads a spawner. */
export const getSpawner = (c: HttpKubeClient, ns: string, name: string) =>
  c.get<TaskSpawner>(Resources.TaskSpawner, ns, name);

/** Waits until the spawner satisfies `pred`. */
export async function waitForSpawner(
  c: HttpKubeClient,
  ns: string,
  name: string,
  what: string,
  pred: (s: TaskSpawner) => boolean,
  timeoutMs = 30_000,
): Promise<TaskSpawner> {
  let last: TaskSpawner | undefined;
  await waitFor(
    `TaskSpawner ${ns}/${name} ${what}`,
    async () => {
      last = await getSpawner(c, ns, name);
      return last !== undefined && pred(last);
    },
    { timeoutMs, intervalMs: 100 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last status: ${JSON.stringify(last?.status ?? null)}`);
  });
  return last as TaskSpawner;
}

/** Waits for two more discovery passes than now, so an absence is evidence, not a race. */
export async function twoMorePolls(c: HttpKubeClient, ns: string, name: string): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const before = (await getSpawner(c, ns, name))?.status?.lastDiscoveryTime ?? '';
    await waitForSpawner(c, ns, name, 'to poll again', (s) => (s.status?.lastDiscoveryTime ?? '') > before);
  }
}

/** The Tasks in `ns`, by name. */
export async function tasksIn(c: HttpKubeClient, ns: string): Promise<Map<string, Task>> {
  const list = await c.list<Task>(Resources.Task, { namespace: ns });
  return new Map(list.items.map((t) => [t.metadata.name ?? '', t]));
}

/** The Tasks in `ns` that TaskSpawner `spawnerName` owns. */
export async function ownedBy(c: HttpKubeClient, ns: string, spawnerName: string): Promise<Task[]> {
  return [...(await tasksIn(c, ns)).values()].filter((t) =>
    t.metadata.ownerReferences?.some((r) => r.kind === 'TaskSpawner' && r.name === spawnerName),
  );
}

/** The `when` of a generic spawner for `genericAlert` deliveries signed with Secret `secretName`. */
export const alertsWebhook = (secretName: string): TaskSpawner['spec']['when'] => ({
  webhook: {
    source: 'alerts',
    fieldMapping: { id: '$.data.id', title: '$.data.title' },
    secretRef: { name: secretName },
  },
});

/** mulberry32, the fuzz harness's seeded PRNG, so a failing randomized run can be replayed. */
export { prng } from '../fuzz/inputs.ts';

/** The seed of a randomized run: `KELOS_TEST_SEED`, else the clock. Printed by the caller. */
export const testSeed = (): number => Number(process.env.KELOS_TEST_SEED) || Date.now() % 2 ** 31;
