/**
 * Helpers of the TaskSpawner scenarios: the Workspace and Secret a GitHub spawner needs, a
 * spawner builder, waiting on spawner status, and a seeded PRNG for the randomized runs.
 *
 * @module
 */
import type { Task, TaskSpawner } from '../../src/api/index.ts';
import type { ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { create, waitFor } from './operator-helpers.ts';

/** The issue label of the seed's walkthrough. */
export const LABEL = 'needs-implementation';

/** Creates Secret `gh` (GITHUB_TOKEN) and Workspace `repo` for acme/widgets in `ns`. */
export async function githubWorkspace(c: HttpKubeClient, ns: string, token = 't0k'): Promise<void> {
  await create(c, ns, 'Secret', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'gh' },
    data: { GITHUB_TOKEN: Buffer.from(token).toString('base64') },
  } as ApiObject);
  await create(c, ns, 'Workspace', {
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'Workspace',
    metadata: { name: 'repo' },
    spec: { repo: 'https://github.com/acme/widgets.git', secretRef: { name: 'gh' } },
  } as ApiObject);
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

/** mulberry32: a small seeded PRNG, so a failing randomized run can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of a randomized run: `KELOS_TEST_SEED`, else the clock. Printed by the caller. */
export const testSeed = (): number => Number(process.env.KELOS_TEST_SEED) || Date.now() % 2 ** 31;
