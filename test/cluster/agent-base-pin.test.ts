/**
 * A release install pins the agent base image by digest: `kelos operator`, run as a real
 * process with the image flags the rendered install gives it (`--image-tag`,
 * `--agent-base-image=<prefix>/agent-base@sha256:…`), puts exactly that reference in the
 * `skills-install` init container of a Task that names no image, and leaves the agent
 * container on its type's image.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../src/api/index.ts';
import type { K8sType } from '../../src/api/k8s/index.ts';
import { renderInstall } from '../../src/cli/cluster/bundle.ts';
import type { ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { freshNamespace } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { create, task, testClient, waitFor } from './operator-helpers.ts';
import { kill9, spawnOperator } from './operator-process.ts';

const DIGEST = `sha256:${'5e'.repeat(32)}`;
type Job = K8sType<'Job'> & ApiObject;

describe('the agent base image a release install pins', () => {
  let c: HttpKubeClient;
  let ns: string;
  let child: ChildProcess | undefined;
  let imageArgs: string[] = [];

  beforeAll(async () => {
    await installCrds();
    ns = await freshNamespace('agent-base-pin');
    c = await testClient();
    const install = await renderInstall({
      namespace: 'kelos-system',
      version: '7.7.7',
      imageTag: 'v7.7.7',
      agentBaseDigest: DIGEST,
    });
    const deployment = install.find((o) => o.kind === 'Deployment') as ApiObject & {
      spec: { template: { spec: { containers: Array<{ args: string[] }> } } };
    };
    // The image flags only: the rest (leader election, addresses) is about running in a Pod.
    imageArgs = deployment.spec.template.spec.containers[0]!.args.filter((a) =>
      /^--(image-tag|image-repository|agent-base-image|agent-image-)/.test(a),
    );
    child = (await spawnOperator(ns, imageArgs)).child;
  }, 120_000);
  afterAll(async () => {
    if (child) await kill9(child);
    c?.close();
  });

  it('runs skills-install in the pinned agent base; the agent keeps its type image', async () => {
    expect(imageArgs).toEqual([
      '--image-tag=v7.7.7',
      `--agent-base-image=ghcr.io/kelos-ts/agent-base@${DIGEST}`,
    ]);
    const skills: AgentConfig = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'AgentConfig',
      metadata: { name: 'skills' },
      spec: { skills: [{ source: 'acme/public' }] },
    };
    await create(c, ns, 'AgentConfig', skills);
    await create(
      c,
      ns,
      'Task',
      task('pinned', {
        worker: { type: 'claude-code', credentials: { type: 'none' }, agentConfigRefs: [{ name: 'skills' }] },
      } as never),
    );
    let job: Job | undefined;
    await waitFor('the Job of the Task', async () => {
      job = await c.get<Job>(Resources.Job, ns, 'pinned');
      return job !== undefined;
    });
    const pod = job!.spec!.template.spec!;
    expect(pod.initContainers?.find((x) => x.name === 'skills-install')?.image).toBe(
      `ghcr.io/kelos-ts/agent-base@${DIGEST}`,
    );
    expect(pod.containers.find((x) => x.name === 'kelos-agent')?.image).toBe(
      'ghcr.io/kelos-ts/claude-code:v7.7.7',
    );
  });
});
