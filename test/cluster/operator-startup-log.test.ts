/**
 * `kelos operator` as a real process, as the install's ServiceAccount through a kubeconfig with
 * a bearer token: its first line says which API server, kubeconfig and context it talks to and
 * which namespaces it watches, and no line carries the token.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTALL_NAMESPACE, OPERATOR_NAME } from '../../src/install/index.ts';
import { loadKubeconfigFile } from '../../src/kube/kubeconfig.ts';
import { tokenKubeconfig } from './cli-helpers.ts';
import { freshNamespace, kubeconfigPath, kubectl } from './helpers.ts';
import { installIdentity } from './install-identity.ts';
import { kill9, spawnOperator } from './operator-process.ts';

describe('operator: the start-up line', () => {
  let ns: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    await installIdentity();
    ns = await freshNamespace('op-startup');
  });
  afterAll(async () => {
    for (const child of children) await kill9(child);
  });

  it('names the API server, kubeconfig, context and watched namespaces, and never the token', async () => {
    const { stdout } = await kubectl([
      'create',
      'token',
      OPERATOR_NAME,
      '-n',
      INSTALL_NAMESPACE,
      '--duration=1h',
    ]);
    const token = stdout.trim();
    const kubeconfig = await tokenKubeconfig(kubeconfigPath(), token);
    const op = await spawnOperator(ns, ['--kubeconfig', kubeconfig, '--context', 'ctx']);
    children.push(op.child);
    const lines = op
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({
      ts: expect.any(String),
      level: 'info',
      msg: 'Connecting to the API server',
      server: (await loadKubeconfigFile(kubeconfigPath())).server,
      kubeconfig,
      context: 'ctx',
      namespaces: [ns],
    });
    expect(op.output()).not.toContain(token);
  });
});
