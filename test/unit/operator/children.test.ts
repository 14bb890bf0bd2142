import { describe, expect, it } from 'vitest';
import type { ApiObject } from '../../../src/kube/client.ts';
import {
  agentNeverStarted,
  type CachedJob,
  type CachedPod,
  neverStartedObservation,
  newestPod,
  observeJob,
  podProblem,
  storageLimitEviction,
  terminationMessage,
  trimJob,
  trimPod,
} from '../../../src/operator/children.ts';

const job = (status: CachedJob['status'] = {}): CachedJob => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 't', namespace: 'ns' },
  status,
});

const pod = (name: string, status: CachedPod['status'], created = '2026-01-01T00:00:00Z'): CachedPod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', creationTimestamp: created },
  status,
});

describe('observeJob', () => {
  it('is Pending while the Pod does not run, saying why when the kubelet says', () => {
    expect(observeJob(job({ active: 1 }), undefined)).toEqual({
      phase: 'Pending',
      message: 'Job created; waiting for its Pod to run',
    });
    const p = pod('p1', {
      phase: 'Pending',
      containerStatuses: [{ name: 'kelos-agent', state: { waiting: { reason: 'ImagePullBackOff' } } }],
    });
    expect(observeJob(job({ active: 1 }), p)).toEqual({
      phase: 'Pending',
      podName: 'p1',
      message: 'Waiting for the agent container to start: ImagePullBackOff',
    });
  });

  it('is Running once the Pod runs, with the agent container start as startTime', () => {
    const p = pod('p1', {
      phase: 'Running',
      startTime: '2026-01-01T00:00:01Z',
      containerStatuses: [{ name: 'kelos-agent', state: { running: { startedAt: '2026-01-01T00:00:05Z' } } }],
    });
    expect(observeJob(job({ active: 1 }), p)).toEqual({
      phase: 'Running',
      podName: 'p1',
      message: 'Agent is running',
      startTime: '2026-01-01T00:00:05Z',
    });
  });

  it('stays Running when a Pod failed but the Job has not given up (it may retry)', () => {
    const p = pod('p1', { phase: 'Failed', startTime: '2026-01-01T00:00:01Z' });
    expect(
      observeJob(job({ failed: 1, conditions: [{ type: 'FailureTarget', status: 'True' }] }), p).phase,
    ).toBe('Running');
  });

  it('is Succeeded only with the Complete condition', () => {
    const p = pod('p1', { phase: 'Succeeded', startTime: '2026-01-01T00:00:01Z' });
    expect(
      observeJob(job({ succeeded: 1, conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }] }), p)
        .phase,
    ).toBe('Running');
    expect(
      observeJob(
        job({
          succeeded: 1,
          completionTime: '2026-01-01T00:01:00Z',
          conditions: [
            { type: 'SuccessCriteriaMet', status: 'True' },
            { type: 'Complete', status: 'True', lastTransitionTime: '2026-01-01T00:01:01Z' },
          ],
        }),
        p,
      ),
    ).toEqual({
      phase: 'Succeeded',
      podName: 'p1',
      message: 'Task completed successfully',
      startTime: '2026-01-01T00:00:01Z',
      completionTime: '2026-01-01T00:01:00Z',
    });
  });

  it('is Failed with the Job condition’s reason and message', () => {
    expect(
      observeJob(
        job({
          conditions: [
            {
              type: 'Failed',
              status: 'True',
              reason: 'DeadlineExceeded',
              message: 'Job was active longer than specified deadline',
              lastTransitionTime: '2026-01-01T01:00:00Z',
            },
          ],
        }),
        undefined,
      ),
    ).toEqual({
      phase: 'Failed',
      message: 'Task failed: DeadlineExceeded: Job was active longer than specified deadline',
      completionTime: '2026-01-01T01:00:00Z',
    });
  });
});

describe('what keeps a Pod from running the agent', () => {
  const failedJob = job({
    failed: 1,
    conditions: [
      {
        type: 'Failed',
        status: 'True',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
        lastTransitionTime: '2026-01-01T01:00:00Z',
      },
    ],
  });
  const trimmed = (status: Record<string, unknown>): CachedPod =>
    trimPod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p1', namespace: 'ns' },
      status,
    } as ApiObject);

  it('names an init container that waits for a missing Secret, not PodInitializing', () => {
    const p = trimmed({
      phase: 'Pending',
      initContainerStatuses: [
        {
          name: 'git-clone',
          state: {
            waiting: { reason: 'CreateContainerConfigError', message: 'secret "github-token" not found' },
          },
        },
        { name: 'plugin-setup', state: { waiting: { reason: 'PodInitializing' } } },
      ],
      containerStatuses: [{ name: 'kelos-agent', state: { waiting: { reason: 'PodInitializing' } } }],
    });
    expect(observeJob(job({ active: 1 }), p).message).toBe(
      'Waiting for the agent container to start: init container git-clone: CreateContainerConfigError: secret "github-token" not found',
    );
  });

  it('carries the kubelet’s message of an image that cannot be pulled', () => {
    const p = trimmed({
      phase: 'Pending',
      containerStatuses: [
        {
          name: 'kelos-agent',
          state: { waiting: { reason: 'ErrImagePull', message: 'pull access denied for x/agent:v9' } },
        },
      ],
    });
    expect(observeJob(job({ active: 1 }), p).message).toBe(
      'Waiting for the agent container to start: the agent container (kelos-agent): ErrImagePull: pull access denied for x/agent:v9',
    );
  });

  it('says when the scheduler cannot place the Pod', () => {
    expect(
      podProblem({
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/3 nodes are available: 3 Insufficient memory.',
          },
        ],
      }),
    ).toBe('Pod cannot be scheduled: 0/3 nodes are available: 3 Insufficient memory.');
    expect(podProblem({ conditions: [{ type: 'PodScheduled', status: 'True' }] })).toBeUndefined();
  });

  it('fails with the exit code and, when OOM-killed, the field to raise', () => {
    const oom = trimmed({
      phase: 'Failed',
      containerStatuses: [
        { name: 'kelos-agent', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } },
      ],
    });
    expect(observeJob(failedJob, oom).message).toBe(
      'Task failed: BackoffLimitExceeded: Job has reached the specified backoff limit; the agent container (kelos-agent) exited with code 137 (OOMKilled); raise spec.worker.podOverrides.resources.limits.memory',
    );
    const clone = trimmed({
      phase: 'Failed',
      initContainerStatuses: [
        { name: 'git-clone', state: { terminated: { exitCode: 128, reason: 'Error' } } },
      ],
      containerStatuses: [{ name: 'kelos-agent', state: { waiting: { reason: 'PodInitializing' } } }],
    });
    expect(observeJob(failedJob, clone).message).toBe(
      'Task failed: BackoffLimitExceeded: Job has reached the specified backoff limit; init container git-clone exited with code 128',
    );
  });

  it('adds nothing past a deadline (the Job killed the Pod) or when nothing is wrong', () => {
    const killed = trimmed({
      phase: 'Failed',
      containerStatuses: [{ name: 'kelos-agent', state: { terminated: { exitCode: 143, reason: 'Error' } } }],
    });
    const deadline = job({
      conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'too long' }],
    });
    expect(observeJob(deadline, killed).message).toBe('Task failed: DeadlineExceeded: too long');
    expect(
      podProblem({
        initContainerStatuses: [{ name: 'git-clone', state: { terminated: { exitCode: 0 } } }],
        containerStatuses: [{ name: 'kelos-agent', state: { waiting: { reason: 'ContainerCreating' } } }],
      }),
    ).toBeUndefined();
  });
});

describe('agentNeverStarted', () => {
  const deadline = job({
    failed: 1,
    startTime: '2026-01-01T00:00:00Z',
    conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }],
  });
  const unscheduled = pod('t-1', {
    phase: 'Pending',
    problem: 'Pod cannot be scheduled: 0/1 nodes are available',
  });
  const waited = { phase: 'Pending', podName: 't-1' };

  it('says why from a Pod the cache still holds whose agent container never started', () => {
    expect(agentNeverStarted(deadline, [unscheduled], waited)).toBe(
      'Pod cannot be scheduled: 0/1 nodes are available',
    );
    const creating = pod('t-1', {
      phase: 'Pending',
      containerStatuses: [{ name: 'kelos-agent', state: { waiting: { reason: 'ContainerCreating' } } }],
    });
    expect(agentNeverStarted(deadline, [creating], {})).toBe('ContainerCreating');
  });

  it('says why from the Task status the operator wrote last when the Pod is gone', () => {
    expect(
      agentNeverStarted(deadline, [], {
        ...waited,
        message: 'Waiting for the agent container to start: Pod cannot be scheduled: 0/1 nodes are available',
      }),
    ).toBe('Pod cannot be scheduled: 0/1 nodes are available');
    expect(
      agentNeverStarted(deadline, [], { ...waited, message: 'Job created; waiting for its Pod to run' }),
    ).toBe('its Pod never ran');
  });

  it('says no Pod was created when the Job counts none ended and none active', () => {
    const noPod = job({ startTime: '2026-01-01T00:00:00Z', conditions: deadline.status?.conditions });
    expect(agentNeverStarted(noPod, [], { phase: 'Pending' })).toBe('no Pod was created');
  });

  it('is undefined when the agent ran: a start on the Task, a started container, a Job that succeeded', () => {
    expect(agentNeverStarted(deadline, [], { ...waited, startTime: '2026-01-01T00:00:05Z' })).toBeUndefined();
    const killed = pod('t-1', {
      phase: 'Failed',
      containerStatuses: [
        {
          name: 'kelos-agent',
          state: { terminated: { exitCode: 137, startedAt: '2026-01-01T00:00:05Z' } },
        },
      ],
    });
    expect(agentNeverStarted(deadline, [unscheduled, killed], waited)).toBeUndefined();
    const running = pod('t-1', {
      phase: 'Running',
      containerStatuses: [{ name: 'kelos-agent', state: { running: { startedAt: '2026-01-01T00:00:05Z' } } }],
    });
    expect(agentNeverStarted(deadline, [running], waited)).toBeUndefined();
    expect(agentNeverStarted(job({ succeeded: 1 }), [], waited)).toBeUndefined();
  });

  it('counts a container that failed to run (zero start time) as never started', () => {
    const cannotRun = pod('t-1', {
      phase: 'Failed',
      containerStatuses: [
        {
          name: 'kelos-agent',
          state: { terminated: { exitCode: 128, reason: 'StartError', startedAt: '1970-01-01T00:00:00Z' } },
        },
      ],
    });
    expect(agentNeverStarted(deadline, [cannotRun], waited)).toBe('its Pod never ran');
  });

  it('adds the reason to a finished observation unless its message says it already, and drops the Job start', () => {
    const failed = (message: string) => ({
      phase: 'Failed' as const,
      message,
      startTime: '2026-01-01T00:00:00Z',
      completionTime: '2026-01-01T00:00:06Z',
    });
    expect(
      neverStartedObservation(failed('Task failed: DeadlineExceeded: too long'), 'its Pod never ran'),
    ).toStrictEqual({
      phase: 'Failed',
      message: 'Task failed: DeadlineExceeded: too long; the agent never started (its Pod never ran)',
      completionTime: '2026-01-01T00:00:06Z',
    });
    const pull = 'the agent container (kelos-agent): ImagePullBackOff: no such image';
    expect(neverStartedObservation(failed(`Task failed: BackoffLimitExceeded; ${pull}`), pull).message).toBe(
      `Task failed: BackoffLimitExceeded; ${pull}; the agent never started`,
    );
  });

  it('is undefined when it cannot be told: the Pod went unseen by the operator', () => {
    expect(agentNeverStarted(deadline, [], {})).toBeUndefined();
    expect(agentNeverStarted(deadline, [], { phase: 'Pending' })).toBeUndefined();
  });
});

describe('Pods and trimming', () => {
  it('picks the newest Pod by creation time, then name', () => {
    const pods = [
      pod('a', {}, '2026-01-01T00:00:00Z'),
      pod('c', {}, '2026-01-01T00:00:05Z'),
      pod('b', {}, '2026-01-01T00:00:05Z'),
    ];
    expect(newestPod(pods)?.metadata.name).toBe('c');
    expect(newestPod([])).toBeUndefined();
  });

  it('reads the termination message of the agent container only', () => {
    const p = pod('p', {
      containerStatuses: [
        { name: 'sidecar', state: { terminated: { exitCode: 0, message: 'not me' } } },
        { name: 'kelos-agent', state: { terminated: { exitCode: 0, message: 'branch: main\n' } } },
      ],
    });
    expect(terminationMessage(p)).toBe('branch: main\n');
    expect(
      terminationMessage(
        pod('q', {
          containerStatuses: [{ name: 'kelos-agent', state: { terminated: { exitCode: 0, message: '' } } }],
        }),
      ),
    ).toBeUndefined();
  });

  it('drops the Pod spec, managed fields and other containers when caching', () => {
    const full = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p',
        namespace: 'ns',
        uid: 'u',
        resourceVersion: '5',
        labels: { 'batch.kubernetes.io/job-name': 't' },
        managedFields: [{ manager: 'x' }],
        annotations: { big: 'x'.repeat(1000) },
      },
      spec: { containers: [{ name: 'kelos-agent', image: 'img' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready' }],
        containerStatuses: [
          { name: 'sidecar', state: { running: {} } },
          { name: 'kelos-agent', image: 'img', state: { running: { startedAt: 'x' } } },
        ],
      },
    };
    expect(trimPod(full)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p',
        namespace: 'ns',
        uid: 'u',
        resourceVersion: '5',
        labels: { 'batch.kubernetes.io/job-name': 't' },
      },
      status: {
        phase: 'Running',
        reason: undefined,
        message: undefined,
        startTime: undefined,
        containerStatuses: [{ name: 'kelos-agent', state: { running: { startedAt: 'x' } } }],
      },
    });
    const j = trimJob({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 't',
        namespace: 'ns',
        ownerReferences: [
          {
            apiVersion: 'kelos.dev/v1alpha2',
            kind: 'Task',
            name: 't',
            uid: 'tu',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { template: {} },
    } as Parameters<typeof trimJob>[0]);
    expect(j).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 't',
        namespace: 'ns',
        uid: undefined,
        resourceVersion: undefined,
        ownerReferences: [
          { apiVersion: 'kelos.dev/v1alpha2', kind: 'Task', name: 't', uid: 'tu', controller: true },
        ],
      },
    });
  });
});

describe('storageLimitEviction', () => {
  const evicted = (message: string) => pod('p', { phase: 'Failed', reason: 'Evicted', message });

  it('finds the kubelet evicting a Pod for its own storage: an emptyDir, the Pod or one container over its limit', () => {
    for (const message of [
      'Usage of EmptyDir volume "workspace" exceeds the limit "20Gi". ',
      'Pod ephemeral local storage usage exceeds the total limit of containers 10Gi. ',
      'Container kelos-agent exceeded its local ephemeral storage limit "5Gi". ',
    ]) {
      expect(storageLimitEviction([pod('ok', { phase: 'Running' }), evicted(message)])).toBe(message.trim());
    }
  });

  it('ignores node-pressure evictions, other failures and running Pods', () => {
    expect(
      storageLimitEviction([evicted('The node was low on resource: ephemeral-storage. ')]),
    ).toBeUndefined();
    expect(
      storageLimitEviction([
        pod('p', {
          phase: 'Failed',
          reason: 'Error',
          message: 'Usage of EmptyDir volume "x" exceeds the limit "1Gi".',
        }),
        pod('q', { phase: 'Running' }),
      ]),
    ).toBeUndefined();
  });
});
