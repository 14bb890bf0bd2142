/**
 * Issue 9, finding 2: a tenant's Workspace decides the GitHub App token URL (its repo host),
 * so the reconciler must send that request through the outbound guard. A listener on
 * loopback stands for the internal host a tenant aims at: it must see no connection at all.
 */
import { generateKeyPairSync } from 'node:crypto';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { newTask, startTaskOperator, type TaskOperator } from '../../support/task-operator.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let op: TaskOperator | undefined;
let target: Server | undefined;
afterEach(async () => {
  await op?.stop();
  await new Promise((r) => target?.close(r) ?? r(undefined));
});

describe('GitHub App token request of a tenant Workspace', () => {
  it('is refused before connecting when the repo host is not an allowed outbound host', async () => {
    let connections = 0;
    target = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    // The App API URL is on the repo's port (https://<host>:<port>/api/v3).
    await new Promise<void>((r) => target?.listen(0, '127.0.0.1', r));
    const port = (target.address() as AddressInfo).port;

    op = await startTaskOperator();
    await op.create('Secret', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'app' },
      data: { appID: b64('1'), installationID: b64('2'), privateKey: b64(pem) },
    });
    await op.create('Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'ws' },
      spec: { repo: `https://127.0.0.1:${port}/org/repo.git`, secretRef: { name: 'app' } },
    });
    await op.create('Task', newTask('t', { workspaceRef: { name: 'ws' } } as never));
    // The token request either happens during the reconcile or never.
    await op.settle();
    expect(connections).toBe(0);
    expect(op.events('t').join('\n')).toContain(
      'host 127.0.0.1 is not in the allowed hosts; to allow it, add it to KelosConfig kelos spec.outbound.allowedHosts (now api.github.com, github.com), and set KelosConfig kelos spec.outbound.allowPrivateNetworks: true, since 127.0.0.1 is a private address',
    );
  });
});
