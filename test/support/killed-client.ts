/**
 * The API server as seen by a process SIGKILLed right after its first Task create succeeds:
 * that create reaches the server, nothing after it does (its requests hang forever). For the
 * webhook receiver's crash tests, unit (over FakeKube) and cluster (over the real apiserver).
 */
import type { Task } from '../../src/api/index.ts';
import type { KubeClient } from '../../src/kube/client.ts';

export const killedAfterTaskCreate = (kube: KubeClient): { client: KubeClient; killed: () => boolean } => {
  let dead = false;
  const client = new Proxy(kube, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (dead) return new Promise(() => {});
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        const creates = prop === 'create' || prop === 'createMetadataOnly';
        if (creates && (args[1] as Task | undefined)?.kind === 'Task')
          return (r as Promise<unknown>).then((x) => {
            dead = true;
            return x;
          });
        return r;
      };
    },
  });
  return { client, killed: () => dead };
};
