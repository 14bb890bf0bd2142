/**
 * The GitHub App private key in a Workspace Secret signs the operator's token requests and
 * never reaches an agent Pod: a Task that asks for that Secret in its podOverrides (a volume,
 * an env var, an extra container's envFrom) fails instead of getting the key.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Task } from '../../../src/api/index.ts';
import { newTask, startTaskOperator, type TaskOperator } from '../../support/task-operator.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

const fetch = (async () =>
  new Response(
    JSON.stringify({ token: 'ghs_minted', expires_at: new Date(Date.now() + 3_600_000).toISOString() }),
    { status: 201 },
  )) as typeof globalThis.fetch;

let op: TaskOperator | undefined;
afterEach(async () => {
  await op?.stop();
  op = undefined;
});

const setup = async () => {
  op = await startTaskOperator({ reconciler: { fetch } });
  await op.create('Secret', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'app-keys' },
    data: { appID: b64('1'), installationID: b64('2'), privateKey: b64(pem) },
  });
  for (const name of ['ws', 'other']) {
    await op.create('Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name },
      spec: {
        repo: 'https://github.com/org/repo.git',
        ...(name === 'ws' ? { secretRef: { name: 'app-keys' } } : {}),
      },
    });
  }
  return op;
};

const task = (name: string, workspace: string, podOverrides?: Record<string, unknown>) =>
  newTask(name, {
    worker: {
      type: 'claude-code',
      credentials: { type: 'none' },
      workspaceRef: { name: workspace },
      ...(podOverrides ? { podOverrides } : {}),
    },
  } as Partial<Task['spec']>);

describe('GitHub App keys and podOverrides', () => {
  it('runs a Task of the App Workspace with the minted token only', async () => {
    const o = await setup();
    await o.create('Task', task('ok', 'ws'));
    const job = o.job('ok');
    expect(job).toBeDefined();
    expect(JSON.stringify(job)).not.toContain('app-keys');
  });

  it.each([
    {
      what: 'an env var of its own Workspace Secret',
      workspace: 'ws',
      overrides: {
        env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'app-keys', key: 'privateKey' } } }],
      },
    },
    {
      what: 'a volume of the App Secret of another Workspace',
      workspace: 'other',
      overrides: {
        volumes: [{ name: 'k', secret: { secretName: 'app-keys', optional: true } }],
        volumeMounts: [{ name: 'k', mountPath: '/keys' }],
      },
    },
    {
      what: "an extra container's envFrom",
      workspace: 'other',
      overrides: {
        extraContainers: [{ name: 'side', image: 'busybox', envFrom: [{ secretRef: { name: 'app-keys' } }] }],
      },
    },
  ])('fails a Task that asks for $what, without a Job', async ({ workspace, overrides }) => {
    const o = await setup();
    await o.create('Task', task('bad', workspace, overrides));
    const status = o.task('bad')?.status;
    expect(status?.phase).toBe('Failed');
    expect(status?.message).toContain('Secret team/app-keys, which holds GitHub App keys');
    expect(o.job('bad')).toBeUndefined();
  });
});
