/**
 * The Task reconciler's own writes that the Task cache has not shown yet. A reconcile that
 * starts while the cache still holds the Task as it was before our last write would decide
 * on stale data and write again, guarded by a stale resourceVersion: a 409 Conflict, a wasted
 * request and a retry (in a burst, about one per Task). So the reconcile waits for the watch
 * event of its own write instead, which brings the key back anyway (client-go controllers
 * keep "expectations" for the same reason).
 *
 * Only a write's resourceVersion is compared, for equality (they are opaque); an entry is
 * dropped when the cache shows that version, when the Task goes or is replaced (uid), or after
 * {@link OWN_WRITE_WAIT_MS} (a relist may skip the version: then the cache is newer anyway).
 *
 * @packageDocumentation
 */
import type { ApiObject, KubeClient, PatchOptions, ResourceType } from '../../../kube/client.ts';
import type { Clock } from '../../../kube/clock.ts';
import { Resources } from '../../resources.ts';
import { keyOf } from './options.ts';

/** Longest a reconcile waits for the cache to show our own write. */
export const OWN_WRITE_WAIT_MS = 5_000;

/** Our Task writes not yet seen in the cache, by key. */
export class OwnWrites {
  readonly #clock: Clock;
  readonly #pending = new Map<string, { uid: string | undefined; rv: string; at: number }>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Remembers a Task as the API server returned it from our write. */
  wrote(task: ApiObject): void {
    const rv = task.metadata.resourceVersion;
    if (rv) this.#pending.set(keyOf(task), { uid: task.metadata.uid, rv, at: this.#clock.now() });
  }

  /** The cache now holds `task` (an informer event); `undefined` when it is gone. */
  observed(key: string, task: ApiObject | undefined): void {
    const p = this.#pending.get(key);
    if (p && (!task || task.metadata.uid !== p.uid || task.metadata.resourceVersion === p.rv))
      this.#pending.delete(key);
  }

  /** Milliseconds to wait before reconciling the cached `task` (0: it is not behind our writes). */
  behind(task: ApiObject): number {
    const key = keyOf(task);
    const p = this.#pending.get(key);
    if (!p) return 0;
    const left = p.at + OWN_WRITE_WAIT_MS - this.#clock.now();
    if (task.metadata.uid !== p.uid || task.metadata.resourceVersion === p.rv || left <= 0) {
      this.#pending.delete(key);
      return 0;
    }
    return left;
  }
}

/** `client`, with every Task it patches remembered in `writes`. */
export function recordingTaskWrites(client: KubeClient, writes: OwnWrites): KubeClient {
  return {
    get: (type, namespace, name) => client.get(type, namespace, name),
    getMetadata: (type, namespace, name) => client.getMetadata(type, namespace, name),
    list: (type, opts) => client.list(type, opts),
    watch: (type, opts, onEvent) => client.watch(type, opts, onEvent),
    create: (type, obj) => client.create(type, obj),
    createMetadataOnly: (type, obj) => client.createMetadataOnly(type, obj),
    apply: (type, obj, opts) => client.apply(type, obj, opts),
    async mergePatch<T extends ApiObject>(
      type: ResourceType,
      namespace: string | undefined,
      name: string,
      patch: Record<string, unknown>,
      opts?: PatchOptions,
    ): Promise<T> {
      const written = await client.mergePatch<T>(type, namespace, name, patch, opts);
      if (type === Resources.Task) writes.wrote(written);
      return written;
    },
    delete: (type, namespace, name, opts) => client.delete(type, namespace, name, opts),
    getText: (path) => client.getText(path),
    get requests() {
      return client.requests;
    },
  };
}
