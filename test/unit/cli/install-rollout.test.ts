import { describe, expect, test } from 'vitest';
import { type DeploymentRolloutFields, rolloutState } from '../../../src/cli/cluster/rollout.ts';

const deployment = (
  status: DeploymentRolloutFields['status'],
  generation = 2,
  replicas = 2,
): DeploymentRolloutFields => ({
  metadata: { name: 'kelos-operator', generation },
  spec: { replicas },
  status,
});

describe('rolloutState (kubectl rollout status)', () => {
  test('old Pods that are still available do not make a rolling update pass', () => {
    // The new ReplicaSet's Pod cannot pull its image; the two old ones serve on.
    expect(
      rolloutState(
        deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 1, availableReplicas: 2 }),
      ),
    ).toEqual({ state: 'waiting', reason: '1 of 2 new replicas have been updated' });
    expect(
      rolloutState(
        deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 2 }),
      ),
    ).toEqual({ state: 'waiting', reason: '1 old replicas are pending termination' });
    expect(
      rolloutState(
        deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }),
      ),
    ).toEqual({ state: 'waiting', reason: '1 of 2 updated replicas are available' });
  });

  test('a status the controller wrote for an older spec is not read', () => {
    expect(
      rolloutState(
        deployment({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
      ),
    ).toEqual({ state: 'waiting', reason: 'the Deployment controller has not seen the new spec yet' });
  });

  test('every replica updated and available: done', () => {
    expect(
      rolloutState(
        deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
      ),
    ).toEqual({ state: 'done' });
  });

  test("ProgressDeadlineExceeded fails it with the Deployment's message", () => {
    expect(
      rolloutState(
        deployment({
          observedGeneration: 2,
          replicas: 3,
          updatedReplicas: 1,
          availableReplicas: 2,
          conditions: [
            {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: 'ReplicaSet "kelos-operator-7d9" has timed out progressing.',
            },
          ],
        }),
      ),
    ).toEqual({
      state: 'failed',
      reason:
        'it exceeded its progress deadline (ProgressDeadlineExceeded: ReplicaSet "kelos-operator-7d9" has timed out progressing.)',
    });
  });

  test('no Deployment yet: waiting', () => {
    expect(rolloutState(undefined).state).toBe('waiting');
  });
});
