/**
 * An agent Pod in a namespace whose ResourceQuota counts requests and limits, against the real
 * API server's quota admission: the Pod the Job of a Task with `podOverrides.resources` makes
 * must be admitted, its built-in init containers included (the quota refuses a Pod any container
 * of which lacks a counted resource).
 *
 * No quota controller runs here, so the test writes the quota's status itself, as that
 * controller would; admission then judges the Pod as it does in a real cluster.
 */
import { describe, expect, it } from 'vitest';
import { renderTaskJob } from '../../src/render/task-job.ts';
import { makeTask, makeWorkspace } from '../unit/render/fixtures.ts';
import { freshNamespace, kubectl } from './helpers.ts';

const HARD = { 'requests.cpu': '4', 'requests.memory': '8Gi', 'limits.memory': '16Gi' };

describe('agent Pods under a ResourceQuota', () => {
  it('a Task with podOverrides.resources: every container of its Pod, init containers too, is admitted', async () => {
    const ns = await freshNamespace('quota');
    await kubectl(['apply', '-n', ns, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'compute' },
        spec: { hard: HARD },
      }),
    });
    const used = Object.fromEntries(Object.keys(HARD).map((k) => [k, '0']));
    await kubectl([
      'patch',
      'resourcequota',
      'compute',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { hard: HARD, used } }),
    ]);

    const resources = { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } };
    const task = makeTask(
      {
        worker: {
          type: 'claude-code',
          credentials: { type: 'api-key', secretRef: { name: 'claude-key' } },
          workspaceRef: { name: 'repo' },
          podOverrides: { resources },
        },
        branch: 'fix/quota',
      },
      { namespace: ns },
    );
    const { job, errors } = renderTaskJob({
      task,
      agentConfigs: [],
      prompt: 'Fix the bug',
      workspace: makeWorkspace(),
    });
    expect(errors).toEqual([]);
    const spec = job!.spec!.template.spec!;
    expect(spec.initContainers?.map((c) => c.name)).toEqual(['git-clone', 'branch-setup']);

    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'agent' }, spec };
    const result = await kubectl(['create', '-n', ns, '--dry-run=server', '-o', 'name', '-f', '-'], {
      input: JSON.stringify(pod),
    });
    expect(result.stdout.trim()).toBe('pod/agent');
  });
});
