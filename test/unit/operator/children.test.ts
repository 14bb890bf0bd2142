import { describe, expect, it } from 'vitest';
import {
  type CachedJob,
  type CachedPod,
  newestPod,
  observeJob,
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
