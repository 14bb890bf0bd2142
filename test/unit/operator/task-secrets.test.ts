import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/kube/api.ts';
import { FakeClock } from '../../../src/kube/clock.ts';
import {
  requiredSecrets,
  SECRET_SEEN_MS,
  SecretPresence,
  secretRetryMs,
} from '../../../src/operator/reconcilers/task/secrets.ts';
import type { PodSpec } from '../../../src/render/pod-defaults.ts';

describe('requiredSecrets', () => {
  it('lists the Secrets a Pod cannot start without, with the keys read by name, and skips optional ones', () => {
    // GIVEN a Pod reading Secrets through env, envFrom, volumes and projected volumes
    const pod: PodSpec = {
      initContainers: [
        {
          name: 'clone',
          env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'gh', key: 'GITHUB_TOKEN' } } }],
        },
      ],
      containers: [
        {
          name: 'agent',
          env: [
            { name: 'K', valueFrom: { secretKeyRef: { name: 'key', key: 'ANTHROPIC_API_KEY' } } },
            { name: 'O', valueFrom: { secretKeyRef: { name: 'opt', key: 'X', optional: true } } },
          ],
          envFrom: [{ secretRef: { name: 'all' } }, { secretRef: { name: 'opt-all', optional: true } }],
        },
      ],
      volumes: [
        { name: 'a', secret: { secretName: 'vol', items: [{ key: 'k', path: 'k' }] } },
        { name: 'b', secret: { secretName: 'opt-vol', optional: true } },
        {
          name: 'c',
          projected: {
            sources: [{ secret: { name: 'proj' } }, { secret: { name: 'opt-proj', optional: true } }],
          },
        },
      ],
      imagePullSecrets: [{ name: 'pull' }],
    };
    // WHEN its required Secrets are listed
    const needed = Object.fromEntries([...requiredSecrets(pod)].map(([n, keys]) => [n, [...keys]]));
    // THEN only the non-optional references count, and image pull Secrets do not
    expect(needed).toEqual({
      vol: ['k'],
      proj: [],
      gh: ['GITHUB_TOKEN'],
      key: ['ANTHROPIC_API_KEY'],
      all: [],
    });
  });
});

describe('secretRetryMs', () => {
  it('waits as long again as the Task has waited, between 5 s and a minute', () => {
    expect([0, 5_000, 10_000, 40_000, 600_000].map(secretRetryMs)).toEqual([
      5_000, 5_000, 10_000, 40_000, 60_000,
    ]);
  });
});

describe('SecretPresence', () => {
  /** A client whose Secret GETs answer only when `answer` is called, counting them. */
  const slowClient = (exists: () => boolean | 'forbidden') => {
    const waiting: Array<() => void> = [];
    let gets = 0;
    const client = {
      getMetadata: (_type: unknown, _ns: string, name: string) => {
        gets++;
        return new Promise((resolve, reject) =>
          waiting.push(() => {
            const e = exists();
            if (e === 'forbidden') reject(new ApiError(403, 'Forbidden', 'secrets is forbidden'));
            else resolve(e ? { metadata: { name } } : undefined);
          }),
        );
      },
    };
    return {
      o: { client } as never,
      gets: () => gets,
      answer: () => {
        for (const w of waiting.splice(0)) w();
      },
    };
  };

  it('reads a Secret once for the Tasks that ask at the same time, then believes it for a while', async () => {
    const clock = new FakeClock(0);
    const presence = new SecretPresence(clock);
    const api = slowClient(() => true);
    // WHEN three admissions ask about the same Secret before the first GET answers
    const asked = [1, 2, 3].map(() => presence.exists(api.o, 'team', 'anthropic'));
    api.answer();
    // THEN one GET answers all three, and only the first counts it as its read
    expect(await Promise.all(asked)).toEqual([
      { exists: true, read: true },
      { exists: true, read: false },
      { exists: true, read: false },
    ]);
    expect(api.gets()).toBe(1);
    // AND a Secret of another namespace is another read
    const other = presence.exists(api.o, 'other', 'anthropic');
    api.answer();
    expect(await other).toEqual({ exists: true, read: true });
    expect(api.gets()).toBe(2);
    // AND within the window no GET is made; once it has passed, the Secret is read again
    clock.advance(SECRET_SEEN_MS - 1);
    expect(await presence.exists(api.o, 'team', 'anthropic')).toEqual({ exists: true, read: false });
    clock.advance(1);
    const again = presence.exists(api.o, 'team', 'anthropic');
    api.answer();
    expect(await again).toEqual({ exists: true, read: true });
    expect(api.gets()).toBe(3);
  });

  it('never remembers a missing Secret, and tells when RBAC does not allow the read', async () => {
    const clock = new FakeClock(0);
    const presence = new SecretPresence(clock);
    let state: boolean | 'forbidden' = false;
    const api = slowClient(() => state);
    const ask = async () => {
      const p = presence.exists(api.o, 'team', 'anthropic');
      api.answer();
      return p;
    };
    // A missing Secret is read again on the next check, with no time passing
    expect(await ask()).toEqual({ exists: false, read: true });
    state = true;
    expect(await ask()).toEqual({ exists: true, read: true });
    expect(api.gets()).toBe(2);
    // Without get on Secrets, existence is unknown (and not remembered either)
    clock.advance(SECRET_SEEN_MS);
    state = 'forbidden';
    expect(await ask()).toEqual({ exists: undefined, read: true });
    expect(await ask()).toEqual({ exists: undefined, read: true });
  });
});
