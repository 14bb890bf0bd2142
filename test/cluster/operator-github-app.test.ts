import { generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { freshNamespace } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import {
  create,
  podRunning,
  startOperator,
  type TestOperator,
  task,
  testClient,
  waitFor,
  waitForPhase,
  waitForTask,
} from './operator-helpers.ts';

interface Secret extends ApiObject {
  data?: Record<string, string>;
}

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_KEY = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

/**
 * A loopback GitHub: verifies the App JWT (RS256, iss = App ID) and hands out numbered
 * installation tokens whose lifetime the test chooses; `failWith` makes it answer 401. The
 * installation covers the repositories in `covered`: a request narrowed to another one is
 * refused with 422, as GitHub refuses it. `bodies` keeps every request body.
 */
class FakeGitHub {
  readonly server: Server;
  mints = 0;
  failWith: string | undefined;
  lifetimeMs = 60 * 60_000;
  readonly covered = ['repo', 'fork', 'issues'];
  readonly bodies: string[] = [];
  constructor() {
    this.server = createServer(async (req, res) => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      let body = '';
      for await (const chunk of req) body += chunk;
      this.bodies.push(body);
      const [h, c, s] = (req.headers.authorization ?? '').replace(/^Bearer /, '').split('.');
      const signed =
        h && c && s && verify('sha256', Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s, 'base64url'));
      const iss = signed
        ? (JSON.parse(Buffer.from(c, 'base64url').toString()) as { iss?: string }).iss
        : undefined;
      if (
        this.failWith ||
        iss !== '1001' ||
        req.method !== 'POST' ||
        req.url !== '/app/installations/2002/access_tokens'
      ) {
        reply(401, { message: this.failWith ?? 'A JSON web token could not be decoded' });
        return;
      }
      const asked = body ? ((JSON.parse(body) as { repositories?: string[] }).repositories ?? []) : [];
      if (asked.some((r) => !this.covered.includes(r))) {
        reply(422, {
          message:
            'There is at least one repository that does not exist or is not accessible to the parent installation.',
        });
        return;
      }
      this.mints++;
      reply(201, {
        token: `ghs_token_${this.mints}`,
        expires_at: new Date(Date.now() + this.lifetimeMs).toISOString(),
      });
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

/** The operator here reads a KelosConfig of its own name: the API server is shared with other files. */
const CONFIG_NAME = `ghapp-${randomBytes(3).toString('hex')}`;

const decode = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString();

// A Workspace whose Secret holds GitHub App keys: the operator mints the installation token,
// keeps it in a Secret owned by the Task, and the Job sees only that Secret.
describe('operator: GitHub App workspace credentials', () => {
  let ns: string;
  let c: HttpKubeClient;
  let op: TestOperator;
  let apiUrl: string;
  const github = new FakeGitHub();

  beforeAll(async () => {
    await installCrds();
    ns = await freshNamespace('op-ghapp');
    c = await testClient();
    apiUrl = await github.listen();
    op = await startOperator(ns, { githubApiUrl: apiUrl, configName: CONFIG_NAME });
    await create(c, ns, 'Secret', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'app-keys' },
      stringData: { appID: '1001', installationID: '2002', privateKey: PRIVATE_KEY },
    } as ApiObject);
    await create(c, ns, 'Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'app-repo' },
      spec: {
        repo: 'https://github.com/example/repo.git',
        secretRef: { name: 'app-keys' },
        // A remote of the same owner joins the token; one of another owner cannot be in the installation.
        remotes: [
          { name: 'fork', url: 'git@github.com:Example/fork.git' },
          { name: 'upstream', url: 'https://github.com/other/repo' },
        ],
      },
    });
    await create(c, ns, 'Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name: 'uncovered' },
      spec: { repo: 'https://github.com/example/elsewhere', secretRef: { name: 'app-keys' } },
    });
  });
  afterAll(async () => {
    await c?.delete(Resources.KelosConfig, undefined, CONFIG_NAME);
    await op?.stop();
    c?.close();
    await new Promise<void>((r) => github.server.close(() => r()));
  });

  const appTask = (name: string, workspace = 'app-repo') =>
    task(name, {
      worker: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: workspace } },
    });

  it('waits with a condition naming the Secret and the HTTP error, then starts once GitHub answers', async () => {
    github.failWith = 'Bad credentials';
    await create(c, ns, 'Task', appTask('flaky'));
    const waiting = await waitForTask(
      c,
      ns,
      'flaky',
      'waiting for its token',
      (t) => t.status?.phase === 'Waiting',
    );
    const error = `POST ${apiUrl}/app/installations/2002/access_tokens returned HTTP 401: Bad credentials`;
    expect(waiting.status?.message).toBe(`Waiting for the GitHub App token: ${error}`);
    expect(waiting.status?.conditions).toEqual([
      expect.objectContaining({
        type: 'GitHubTokenReady',
        status: 'False',
        reason: 'TokenMintFailed',
        message: `Secret ${ns}/flaky-github-token not written: ${error}`,
      }),
    ]);
    expect(await c.get(Resources.Job, ns, 'flaky')).toBeUndefined();

    github.failWith = undefined;
    const admitted = await waitForPhase(c, ns, 'flaky', 'Pending');
    expect(admitted.status?.conditions).toEqual([
      expect.objectContaining({ type: 'GitHubTokenReady', status: 'True', reason: 'TokenMinted' }),
    ]);
  });

  it('mints the token into <task>-github-token owned by the Task; the Job mounts it, never the App key', async () => {
    const before = github.mints;
    await create(c, ns, 'Task', appTask('minted'));
    const pending = await waitForPhase(c, ns, 'minted', 'Pending');

    const secret = await c.get<Secret>(Resources.Secret, ns, 'minted-github-token');
    expect(decode(secret?.data?.['GITHUB_TOKEN'])).toBe(`ghs_token_${before + 1}`);
    // Narrowed to the Workspace's repository and its same-owner remote, not the installation.
    expect(JSON.parse(github.bodies.at(-1) ?? '')).toEqual({ repositories: ['repo', 'fork'] });
    expect(Object.keys(secret?.data ?? {})).toEqual(['GITHUB_TOKEN']);
    expect(
      Date.parse(secret?.metadata.annotations?.['kelos.dev/github-token-expires-at'] ?? ''),
    ).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(secret?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Task', name: 'minted', uid: pending.metadata.uid, controller: true }),
    ]);

    const job = await c.get(Resources.Job, ns, 'minted');
    const text = JSON.stringify(job);
    expect(text).toContain('"secretName":"minted-github-token"');
    expect(text).toContain('"name":"minted-github-token","key":"GITHUB_TOKEN"');
    expect(text).not.toContain('app-keys');
    expect(text).not.toContain('privateKey');
    expect(text).not.toContain('BEGIN RSA PRIVATE KEY');
    expect(op.logs.join('\n')).not.toContain('BEGIN RSA PRIVATE KEY');
  });

  it("adds the repository its TaskSpawner's source names, of the Workspace's owner, to a spawned Task's token", async () => {
    // A webhook source polls nothing (a suspended spawner would hold the Task), so the only
    // token requests are the Task's; its repository is read as githubIssues.repo is.
    const owner = await create(c, ns, 'TaskSpawner', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      metadata: { name: 'central' },
      spec: {
        when: { githubWebhook: { events: ['issues'], repository: 'Example/issues' } },
        taskTemplate: {
          worker: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: 'app-repo' } },
        },
      },
    } as ApiObject);
    await waitFor(
      'the operator to cache the TaskSpawner',
      async () => !!op.operator.caches.spawners?.get(ns, 'central'),
      {
        timeoutMs: 10_000,
        intervalMs: 100,
      },
    );
    const spawned = appTask('spawned');
    spawned.metadata.labels = { 'kelos.dev/taskspawner': 'central' };
    spawned.metadata.ownerReferences = [
      {
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'TaskSpawner',
        name: 'central',
        uid: owner.metadata.uid ?? '',
        controller: true,
      },
    ];
    await create(c, ns, 'Task', spawned);
    await waitForPhase(c, ns, 'spawned', 'Pending');
    expect(JSON.parse(github.bodies.at(-1) ?? '')).toEqual({ repositories: ['repo', 'fork', 'issues'] });
  });

  it('re-mints the token of a running Task before it expires', async () => {
    // 10 min is the refresh margin: this token is due for refresh about 3 s after it is minted.
    github.lifetimeMs = 10 * 60_000 + 3_000;
    await create(c, ns, 'Task', appTask('refreshed'));
    await waitForPhase(c, ns, 'refreshed', 'Pending');
    const first = decode(
      (await c.get<Secret>(Resources.Secret, ns, 'refreshed-github-token'))?.data?.['GITHUB_TOKEN'],
    );
    github.lifetimeMs = 60 * 60_000;
    await podRunning(c, ns, 'refreshed');
    await waitForPhase(c, ns, 'refreshed', 'Running');
    let latest = first;
    await waitFor(
      'the token Secret to hold a newer token',
      async () => {
        const s = await c.get<Secret>(Resources.Secret, ns, 'refreshed-github-token');
        latest = decode(s?.data?.['GITHUB_TOKEN']);
        return latest !== first;
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(latest).toMatch(/^ghs_token_\d+$/);
    expect(Number(latest.slice('ghs_token_'.length))).toBeGreaterThan(
      Number(first.slice('ghs_token_'.length)),
    );
  });

  it('names the repositories it asked for when the installation does not cover them, and mints for the installation when the KelosConfig says so', async () => {
    await create(c, ns, 'Task', appTask('narrowed', 'uncovered'));
    const waiting = await waitForTask(
      c,
      ns,
      'narrowed',
      'waiting for its token',
      (t) => t.status?.phase === 'Waiting',
    );
    expect(waiting.status?.message).toBe(
      `Waiting for the GitHub App token: POST ${apiUrl}/app/installations/2002/access_tokens returned HTTP 422: There is at least one repository that does not exist or is not accessible to the parent installation. (the token is narrowed to "elsewhere", as KelosConfig spec.githubApp.tokenScope Repository, the default, asks: install the App on it, or set tokenScope: Installation)`,
    );
    expect(await c.get(Resources.Job, ns, 'narrowed')).toBeUndefined();

    await c.apply(Resources.KelosConfig, {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'KelosConfig',
      metadata: { name: CONFIG_NAME },
      spec: { githubApp: { tokenScope: 'Installation' } },
    } as ApiObject);
    // The Task retries its token with backoff; the retry after the operator reads the config asks for no repositories.
    await waitForPhase(c, ns, 'narrowed', 'Pending', 60_000);
    expect(github.bodies.at(-1)).toBe('');
  });
});
