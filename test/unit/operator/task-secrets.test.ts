import { describe, expect, it } from 'vitest';
import { requiredSecrets, secretRetryMs } from '../../../src/operator/reconcilers/task/secrets.ts';
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
