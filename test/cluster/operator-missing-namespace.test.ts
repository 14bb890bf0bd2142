/**
 * `kelos operator -n <a namespace that does not exist yet>`, run by hand with cluster-admin
 * credentials: it says so at start, in a structured warning naming the namespace, keeps
 * running, and reconciles what is created there once the namespace exists (GitOps creating
 * it later), as its log promises.
 */

import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import { freshNamespace, kubectl } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { create, task, testClient, waitForPhase } from './operator-helpers.ts';
import { kill9, spawnOperator } from './operator-process.ts';

describe('operator: a watched namespace that does not exist', () => {
  let c: HttpKubeClient;
  let present: string;
  const later = `op-later-${randomBytes(4).toString('hex')}`;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    await installCrds();
    present = await freshNamespace('op-present');
    c = await testClient();
  });
  afterAll(async () => {
    for (const child of children) await kill9(child);
    c?.close();
  });

  it('warns at start naming it, keeps running, and reconciles its Tasks once it is created', async () => {
    const op = await spawnOperator(`${present},${later}`);
    children.push(op.child);
    // One line, for the missing namespace only.
    const warnings = op
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => String(l['msg']).startsWith('Watched namespace'));
    expect(warnings).toEqual([
      {
        ts: expect.any(String),
        level: 'warn',
        msg: 'Watched namespace does not exist',
        namespace: later,
        detail:
          'still watched: the operator keeps running and reconciles what is created there once the namespace exists; if it is a typo, restart with the right --namespace',
        create: `kubectl create namespace ${later}`,
      },
    ]);

    // What the warning says comes true: the namespace created afterwards is reconciled.
    await kubectl(['create', 'namespace', later]);
    await kubectl(['label', 'namespace', later, 'kelos.dev/test-namespace=true']);
    await create(c, later, 'Task', task('after'));
    await waitForPhase(c, later, 'after', 'Pending');
    expect(op.child.exitCode).toBeNull();
  });
});
