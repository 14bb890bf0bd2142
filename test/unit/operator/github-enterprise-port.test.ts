import { generateKeyPairSync } from 'node:crypto';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskSpawner } from '../../../src/api/index.ts';
import type { ApiObject } from '../../../src/kube/client.ts';
import { selfSignedCertificate } from '../../../src/kube/self-signed.ts';
import { createOutboundFetch } from '../../../src/operator/outbound.ts';
import { Resources } from '../../../src/operator/resources.ts';
import { FakeGitHub } from '../../support/fake-github.ts';
import { NS, startTaskOperator, type TaskOperator } from '../../support/task-operator.ts';

const LABEL = 'needs-implementation';
const b64 = (v: string) => Buffer.from(v).toString('base64');

// A GitHub Enterprise server on a port of its own, over real HTTPS on loopback: the operator is
// given no --github-api-url, so every URL it calls comes from the Workspace's spec.repo.
describe('GitHub Enterprise on a non-default port', () => {
  let op: TaskOperator;
  let gh: FakeGitHub;
  let agent: Agent;
  const called: string[] = [];
  beforeEach(async () => {
    const tls = selfSignedCertificate({ commonName: 'ghe', altNames: ['127.0.0.1'], now: Date.now() });
    gh = await FakeGitHub.start({ prefix: '/api/v3', tls });
    agent = new Agent({ connect: { ca: tls.cert } });
    const outbound = createOutboundFetch({
      allowPrivate: true,
      fetch: (url, init) => {
        called.push(String(url));
        return globalThis.fetch(url, { ...init, dispatcher: agent } as RequestInit);
      },
    });
    op = await startTaskOperator({
      spawners: { fetch: outbound },
      reconciler: { fetch: (url, init) => outbound(url as string, init) },
    });
  });
  afterEach(async () => {
    await op.stop();
    await gh.close();
    await agent.close();
    called.length = 0;
  });

  it('polls and mints GitHub App tokens at https://<host>:<port>/api/v3, the port of spec.repo', async () => {
    const origin = new URL(gh.baseUrl).origin;
    expect(new URL(origin).port).not.toBe('');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await op.create('Secret', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'app' },
      data: { appID: b64('42'), installationID: b64('7'), privateKey: b64(pem) },
    } as ApiObject);
    await op.create('Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'repo' },
      spec: { repo: `${origin}/acme/widgets.git`, secretRef: { name: 'app' } },
    } as ApiObject);
    const n = gh.addIssue({ labels: [LABEL] });
    await op.create('TaskSpawner', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      metadata: { name: 'ghe' },
      spec: {
        when: { githubIssues: { labels: [LABEL], pollInterval: '1m' } },
        taskTemplate: {
          worker: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: 'repo' } },
          promptTemplate: 'Fix #{{.Number}}',
        },
      },
    } as TaskSpawner);
    await op.settle();

    const status = op.kube.peek<TaskSpawner>(Resources.TaskSpawner, NS, 'ghe')?.status;
    expect(status?.message).toBeUndefined();
    expect(op.task(`ghe-${n}`)).toBeDefined();
    // One token for the spawner's polls, one for the Task's Job, both from the server on its port.
    expect(gh.count({ path: '/app/installations/7/access_tokens', status: 201 })).toBe(2);
    expect(gh.count({ path: /^\/repos\/acme\/widgets\/issues/, status: 200 })).toBeGreaterThan(0);
    expect(called.length).toBeGreaterThan(0);
    expect(called.filter((u) => !u.startsWith(`${origin}/api/v3/`))).toEqual([]);
  });
});
