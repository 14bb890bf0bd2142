import { BatchV1Api, CoreV1Api, type V1Pod, VersionApi } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { freshNamespace, isApiStatus, kubectl, loadKubeConfig, waitFor } from './helpers.ts';

// Proves the harness gives tests a real control plane: the pinned apiserver, plus the
// controller-manager loops (Job, namespace, garbage collector) the operator depends on.
describe('control plane', () => {
  const kc = loadKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const batch = kc.makeApiClient(BatchV1Api);

  const gone = (read: () => Promise<unknown>) => async (): Promise<boolean> => {
    try {
      await read();
      return false;
    } catch (err) {
      if (isApiStatus(err, 404)) return true;
      throw err;
    }
  };

  it('serves /version with the pinned release', async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(inject('k8sVersion'));
    expect(version.gitTreeState).toBe('clean');

    const { stdout } = await kubectl(['version', '-o', 'json']);
    expect(JSON.parse(stdout).serverVersion.gitVersion).toBe(inject('k8sVersion'));
  });

  it('runs the Job controller: a Job gets Pods, and completes when the test plays the kubelet', async () => {
    const namespace = await freshNamespace('job');
    const job = await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'hello' },
        spec: {
          completions: 2,
          parallelism: 2,
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'main', image: 'busybox:1.36', command: ['true'] }],
            },
          },
        },
      },
    });

    let pods: V1Pod[] = [];
    await waitFor('2 Pods of Job hello', async () => {
      const list = await core.listNamespacedPod({
        namespace,
        labelSelector: 'batch.kubernetes.io/job-name=hello',
      });
      pods = list.items;
      return pods.length === 2;
    });
    for (const pod of pods) {
      const owner = pod.metadata?.ownerReferences?.find((r) => r.controller);
      expect(owner).toMatchObject({ kind: 'Job', name: 'hello', uid: job.metadata?.uid });
      // The ServiceAccount admission plugin is on, as in a real cluster.
      expect(pod.spec?.serviceAccountName).toBe('default');
    }

    // No kubelet runs: write the terminal status a kubelet would.
    const finishedAt = new Date();
    for (const pod of pods) {
      const name = pod.metadata!.name!;
      const current = await core.readNamespacedPod({ name, namespace });
      current.status = {
        ...current.status,
        phase: 'Succeeded',
        containerStatuses: [
          {
            name: 'main',
            image: 'busybox:1.36',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: finishedAt, finishedAt } },
          },
        ],
      };
      await core.replaceNamespacedPodStatus({ name, namespace, body: current });
    }

    await waitFor('Job hello Complete', async () => {
      const j = await batch.readNamespacedJob({ name: 'hello', namespace });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ?? false;
    });
    const done = await batch.readNamespacedJob({ name: 'hello', namespace });
    expect(done.status?.succeeded).toBe(2);
  });

  it('runs the namespace controller: deleting a namespace completes', async () => {
    const namespace = await freshNamespace('ns-delete');
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'data' }, data: { a: '1' } },
    });
    await core.deleteNamespace({ name: namespace });
    await waitFor(
      `namespace ${namespace} gone`,
      gone(() => core.readNamespace({ name: namespace })),
    );
  });

  it('runs the garbage collector: a dependent goes when its owner is deleted', async () => {
    const namespace = await freshNamespace('gc');
    const owner = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'owner' } } });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: {
          name: 'dependent',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! },
          ],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace });
    await waitFor(
      'ConfigMap dependent collected',
      gone(() => core.readNamespacedConfigMap({ name: 'dependent', namespace })),
    );
  });
});
