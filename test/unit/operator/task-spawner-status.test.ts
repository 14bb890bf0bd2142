import { describe, expect, it } from 'vitest';
import type { TaskSpawner } from '../../../src/api/index.ts';
import { nextStatus, type PassOutcome } from '../../../src/operator/reconcilers/task-spawner/status.ts';

const spawner = {
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'TaskSpawner',
  metadata: { name: 'issues', namespace: 'team', generation: 1 },
  spec: {},
} as unknown as TaskSpawner;

const pass = (p: Partial<PassOutcome> = {}): PassOutcome => ({
  suspended: false,
  active: 0,
  totalCreated: 0,
  maxTotalReached: false,
  ...p,
});

const NOW = Date.parse('2026-03-02T09:00:00Z');

describe('nextStatus of a TaskSpawner', () => {
  it('shows the message of a discovery that keeps failing while the spawner stays Running', () => {
    // GIVEN a pass whose discovery failed
    const message = 'GET https://api.github.com/repos/o/r/issues returned HTTP 502';
    // WHEN its status is computed
    const status = nextStatus(spawner, pass({ problem: { reason: 'DiscoveryFailed', message } }), NOW);
    // THEN the phase stays Running and the message says why no Task comes
    expect(status.phase).toBe('Running');
    expect(status.message).toBe(message);
    expect(status.conditions?.find((c) => c.type === 'DiscoveryError')).toMatchObject({
      status: 'True',
      reason: 'DiscoveryFailed',
      message,
    });
  });

  it('prefers a setup error, which fails the spawner, over the problem’s message', () => {
    const status = nextStatus(
      spawner,
      pass({ setupError: 'Workspace team/repo does not exist', problem: { reason: 'X', message: 'other' } }),
      NOW,
    );
    expect(status.phase).toBe('Failed');
    expect(status.message).toBe('Workspace team/repo does not exist');
  });

  it('drops the message once a pass has no problem', () => {
    const failing = { ...spawner, status: { phase: 'Running', message: 'HTTP 502' } } as TaskSpawner;
    const status = nextStatus(failing, pass(), NOW);
    expect(status.phase).toBe('Running');
    expect(status.message).toBeUndefined();
  });
});
