/**
 * The webhook receiver as the operator wires it, over a FakeKube, for the unit tests of the
 * receiver, its enrichment and Slack start-up: a Task informer indexed by owning spawner, a
 * spawner informer, the receiver with the options every such test passes, and more spawners
 * beside its own.
 *
 * @module
 */
import { vi } from 'vitest';
import type { Task, TaskSpawner, When } from '../../src/api/index.ts';
import type { ApiObject, KubeClient } from '../../src/kube/client.ts';
import { type Clock, FakeClock } from '../../src/kube/clock.ts';
import { EventRecorder } from '../../src/kube/events.ts';
import { Informer } from '../../src/kube/informer.ts';
import { silentLogger } from '../../src/kube/log.ts';
import { addSpawnerIndexes } from '../../src/operator/reconcilers/task.ts';
import { REPORTING_CONTROLLER, Resources } from '../../src/operator/resources.ts';
import { type ReceiverOptions, WebhookReceiver } from '../../src/operator/webhook/receiver.ts';
import { FakeKube } from './fake-kube.ts';
import { spawnerWith } from './webhook-fixtures.ts';

/**
 * A Task informer over `client` with the indexes the receiver reads (Tasks, and those waiting
 * for room, by the uid of the TaskSpawner that owns them, as the operator registers them);
 * not started.
 */
export function spawnerIndexedTasks(client: KubeClient, clock: Clock): Informer<Task> {
  const tasks = new Informer<Task>({ client, clock, log: silentLogger, type: Resources.Task });
  addSpawnerIndexes(tasks);
  return tasks;
}

/** What {@link receiverOver} built. */
export interface TestReceiver {
  readonly kube: FakeKube;
  readonly clock: FakeClock;
  readonly tasks: Informer<Task>;
  readonly spawners: Informer<TaskSpawner>;
  /** The receiver's Event recorder (flush it before reading Events). */
  readonly events: EventRecorder;
  readonly receiver: WebhookReceiver;
}

/**
 * A FakeKube holding spawner `team-a/s` with `when`, synced Task and TaskSpawner informers over
 * it, and a receiver over those (not listening yet: the caller listens or hands it to Slack).
 * `extra` adds to or overrides the receiver's options; the clock starts at `now`. What has to be
 * stopped afterwards is pushed on `stops`.
 */
export async function receiverOver(
  when: When,
  stops: Array<() => Promise<void> | void>,
  extra: Partial<ReceiverOptions> = {},
  now = Date.now(),
): Promise<TestReceiver> {
  const clock = new FakeClock(now);
  const kube = new FakeKube({ clock, statusSubresources: [Resources.Task, Resources.TaskSpawner] });
  const tasks = spawnerIndexedTasks(kube, clock);
  const spawners = new Informer<TaskSpawner>({
    client: kube,
    clock,
    log: silentLogger,
    type: Resources.TaskSpawner,
  });
  await kube.create(Resources.TaskSpawner, spawnerWith(when));
  tasks.start();
  spawners.start();
  stops.push(
    () => tasks.stop(),
    () => spawners.stop(),
  );
  await Promise.all([tasks.waitForSync(), spawners.waitForSync()]);
  const events = new EventRecorder(kube, clock, silentLogger, 'test', REPORTING_CONTROLLER);
  const receiver = new WebhookReceiver({
    client: kube,
    spawners,
    tasks,
    allowUnsigned: () => false,
    events,
    clock,
    log: silentLogger,
    ...extra,
  });
  stops.push(() => receiver.close());
  return { kube, clock, tasks, spawners, events, receiver };
}

/**
 * {@link receiverOver} with Secret `team-a/hook` holding `secret` as `WEBHOOK_SECRET` (what a
 * spawner's `secretRef: {name: hook}` reads), listening on a loopback port; and its address.
 */
export async function listeningReceiver(
  when: When,
  stops: Array<() => Promise<void> | void>,
  secret: string,
  extra: Partial<ReceiverOptions> = {},
): Promise<{ r: TestReceiver; addr: string }> {
  const r = await receiverOver(when, stops, extra);
  await r.kube.create(Resources.Secret, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'hook', namespace: 'team-a' },
    data: { WEBHOOK_SECRET: Buffer.from(secret).toString('base64') },
  } as ApiObject);
  return { r, addr: (await r.receiver.listen('127.0.0.1:0')) ?? '' };
}

/**
 * Creates spawner `namespace/name` with `when` beside the one {@link receiverOver} made, and
 * waits until the receiver's spawner informer holds it (a delivery sent sooner would miss it).
 */
export async function addSpawner(
  r: TestReceiver,
  when: When,
  namespace: string,
  name: string,
): Promise<void> {
  await r.kube.create(Resources.TaskSpawner, { ...spawnerWith(when), metadata: { name, namespace } });
  await vi.waitFor(
    () => {
      if (!r.spawners.get(namespace, name))
        throw new Error(`the informer has no TaskSpawner ${namespace}/${name}`);
    },
    { timeout: 5_000, interval: 10 },
  );
}
