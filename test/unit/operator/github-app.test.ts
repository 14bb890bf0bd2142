import { generateKeyPairSync, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskSpawner } from '../../../src/api/object.ts';
import {
  appCredentialsOf,
  createAppJwt,
  GitHubAppError,
  githubApiBaseUrl,
  mintInstallationToken,
  spawnerSourceRepositories,
  tokenRepositories,
} from '../../../src/operator/github-app.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const NOW = Date.parse('2026-01-01T00:00:00Z');

/** Header and claims of a JWT whose RS256 signature verifies with `key`, else throws. */
function verifyJwt(jwt: string, key = publicKey): { header: unknown; claims: unknown } {
  const [h, c, s] = jwt.split('.');
  if (!h || !c || !s) throw new Error(`not a JWT: ${jwt}`);
  if (!verify('sha256', Buffer.from(`${h}.${c}`), key, Buffer.from(s, 'base64url')))
    throw new Error('bad signature');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    claims: JSON.parse(Buffer.from(c, 'base64url').toString()),
  };
}

describe('createAppJwt', () => {
  it.each([
    ['PKCS#1', pkcs1],
    ['PKCS#8', pkcs8],
  ])('signs RS256 with a %s key: iat now-60s, exp now+9min, iss the App ID', (_, pem) => {
    const { header, claims } = verifyJwt(createAppJwt('12345', pem, NOW));
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(claims).toEqual({ iat: NOW / 1000 - 60, exp: NOW / 1000 + 540, iss: '12345' });
  });

  it('a JWT signed with another key does not verify', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    expect(() => verifyJwt(createAppJwt('1', pkcs8, NOW), other)).toThrow('bad signature');
  });

  it('rejects a key that is not PEM without quoting it', () => {
    expect(() => createAppJwt('1', 'not-a-secret-key', NOW)).toThrow(
      new GitHubAppError('privateKey is not a PEM-encoded RSA private key (PKCS#1 or PKCS#8)'),
    );
  });

  it('rejects a non-RSA key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(() => createAppJwt('1', ec, NOW)).toThrow('privateKey is a ec key; GitHub Apps use RSA keys');
  });
});

describe('githubApiBaseUrl', () => {
  it.each([
    ['https://github.com/o/r.git', 'https://api.github.com'],
    ['git@github.com:o/r.git', 'https://api.github.com'],
    ['https://ghe.example.com/o/r', 'https://ghe.example.com/api/v3'],
    ['git@ghe.example.com:o/r.git', 'https://ghe.example.com/api/v3'],
    // The web server's port is the API's; a default one is left out, an ssh URL's is SSH's.
    ['https://ghe.example.com:8443/o/r.git', 'https://ghe.example.com:8443/api/v3'],
    ['https://ghe.example.com:443/o/r.git', 'https://ghe.example.com/api/v3'],
    ['ssh://git@ghe.example.com:2222/o/r.git', 'https://ghe.example.com/api/v3'],
  ])('%s → %s', (repo, url) => expect(githubApiBaseUrl(repo)).toBe(url));
});

describe('tokenRepositories', () => {
  it("names the Workspace's repository and its remotes of the same owner on the same host, once each", () => {
    expect(
      tokenRepositories('https://github.com/acme/api.git', [
        'git@github.com:ACME/api-fork.git',
        'https://github.com/acme/API',
        'https://github.com/upstream-org/api',
        'https://ghe.example.com/acme/mirror',
      ]),
    ).toEqual(['api', 'api-fork']);
  });

  it('reads a GitHub Enterprise repository alike, and names none for a URL without owner/repository', () => {
    expect(tokenRepositories('ssh://git@ghe.example.com:22/team/svc', [])).toEqual(['svc']);
    // One server whatever the port: its https URL on 8443 and its ssh remote.
    expect(
      tokenRepositories('https://ghe.example.com:8443/team/svc', ['ssh://git@ghe.example.com:2222/team/lib']),
    ).toEqual(['svc', 'lib']);
    expect(tokenRepositories('https://github.com/acme', [])).toBeUndefined();
  });

  it("adds the spawner source's repositories of the same owner on the same host, a bare owner/repo on the Workspace's host", () => {
    const sources = spawnerSourceRepositories({
      githubIssues: { repo: 'acme/issues' },
      githubPullRequests: { repo: 'https://github.com/other/prs' },
      githubWebhook: { events: ['issues'], repository: 'ACME/Hooks' },
    } as TaskSpawner['spec']['when']);
    expect(sources).toEqual(['acme/issues', 'https://github.com/other/prs', 'ACME/Hooks']);
    expect(tokenRepositories('git@github.com:acme/api.git', [], sources)).toEqual(['api', 'issues', 'Hooks']);
    // A bare owner/repo is on the Workspace's host; a clone URL elsewhere is not in the installation.
    expect(
      tokenRepositories('https://ghe.example.com/acme/api', [], ['acme/issues', 'https://github.com/acme/x']),
    ).toEqual(['api', 'issues']);
    expect(
      spawnerSourceRepositories({ cron: { schedule: '* * * * *' } } as TaskSpawner['spec']['when']),
    ).toEqual([]);
  });
});

describe('appCredentialsOf', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  it('needs all three keys', () => {
    expect(appCredentialsOf({ appID: b64('1'), installationID: b64('2'), privateKey: b64(pkcs1) })).toEqual({
      appId: '1',
      installationId: '2',
      privateKey: pkcs1.trim(),
    });
    expect(appCredentialsOf({ appID: b64('1'), installationID: b64('2') })).toBeUndefined();
    expect(appCredentialsOf({ GITHUB_TOKEN: b64('t') })).toBeUndefined();
    expect(appCredentialsOf(undefined)).toBeUndefined();
  });
});

describe('mintInstallationToken against a loopback GitHub', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ method?: string; url?: string; accept?: string; iss?: unknown }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      let iss: unknown;
      try {
        iss = (verifyJwt(auth.replace(/^Bearer /, '')).claims as { iss: unknown }).iss;
      } catch {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'A JSON web token could not be decoded', status: '401' }));
        return;
      }
      seen.push({ method: req.method, url: req.url, accept: req.headers.accept, iss });
      if (req.url === '/app/installations/404/access_tokens') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Not Found' }));
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: 'ghs_minted', expires_at: '2026-01-01T01:00:00Z' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('POSTs a verifiable App JWT and returns the token and its expiry', async () => {
    const token = await mintInstallationToken({
      apiBaseUrl: `${base}/`,
      appId: '777',
      installationId: '42',
      privateKey: pkcs1,
      fetch,
      now: NOW,
    });
    expect(token).toEqual({ token: 'ghs_minted', expiresAt: Date.parse('2026-01-01T01:00:00Z') });
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      url: '/app/installations/42/access_tokens',
      accept: 'application/vnd.github+json',
      iss: '777',
    });
  });

  it('a 401 names the status and GitHub message', async () => {
    const wrongKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const minting = mintInstallationToken({
      apiBaseUrl: base,
      appId: '777',
      installationId: '42',
      privateKey: wrongKey,
      fetch,
      now: NOW,
    });
    await expect(minting).rejects.toThrow(
      `POST ${base}/app/installations/42/access_tokens returned HTTP 401: A JSON web token could not be decoded`,
    );
    await expect(minting).rejects.toMatchObject({ status: 401 });
  });

  it('a 404 (unknown installation) names the status', async () => {
    await expect(
      mintInstallationToken({
        apiBaseUrl: base,
        appId: '1',
        installationId: '404',
        privateKey: pkcs8,
        fetch,
        now: NOW,
      }),
    ).rejects.toThrow(`POST ${base}/app/installations/404/access_tokens returned HTTP 404: Not Found`);
  });

  it('a refused connection names the URL', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(
      mintInstallationToken({
        apiBaseUrl: `http://127.0.0.1:${port}`,
        appId: '1',
        installationId: '2',
        privateKey: pkcs8,
        fetch,
        now: NOW,
      }),
    ).rejects.toThrow(
      `POST http://127.0.0.1:${port}/app/installations/2/access_tokens failed: connect ECONNREFUSED`,
    );
  });
  it('a GitHub that never answers fails the mint at its deadline, naming the URL, even through a plain fetch', async () => {
    const silent = createServer(() => {
      // Reads the request and never answers.
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      await expect(
        mintInstallationToken({
          apiBaseUrl: url,
          appId: '1',
          installationId: '2',
          privateKey: pkcs8,
          fetch,
          now: NOW,
          timeoutMs: 200,
        }),
      ).rejects.toThrow(
        `POST ${url}/app/installations/2/access_tokens failed: The operation was aborted due to timeout`,
      );
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
