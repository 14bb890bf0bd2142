import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  inClusterConnection,
  KubeconfigError,
  loadKubeconfigFile,
  resolveConnection,
} from '../../../src/kube/kubeconfig.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'kelos-kubeconfig-'));

const write = (
  d: string,
  user: object,
  cluster: object = { server: 'https://127.0.0.1:6443' },
  extra: object = {},
) => {
  const path = join(d, 'config');
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'ctx',
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'team' } }],
      clusters: [{ name: 'c', cluster }],
      users: [{ name: 'u', user }],
      ...extra,
    }),
  );
  return path;
};

describe('loadKubeconfigFile', () => {
  it('reads inline certificate data and a bearer token', async () => {
    const d = dir();
    const path = write(
      d,
      { token: 'abc', 'client-certificate-data': Buffer.from('CERT').toString('base64') },
      { server: 'https://10.0.0.1:6443', 'certificate-authority-data': Buffer.from('CA').toString('base64') },
    );
    const conn = await loadKubeconfigFile(path);
    expect(conn.server).toBe('https://10.0.0.1:6443');
    expect(conn.tls.ca?.toString()).toBe('CA');
    expect(conn.tls.cert?.toString()).toBe('CERT');
    expect(conn.namespace).toBe('team');
    expect(await conn.headers()).toEqual({ authorization: 'Bearer abc' });
  });

  it('reads certificate files relative to the kubeconfig and honours insecure-skip-tls-verify', async () => {
    const d = dir();
    writeFileSync(join(d, 'ca.crt'), 'CAFILE');
    writeFileSync(join(d, 'client.key'), 'KEYFILE');
    const path = write(
      d,
      { 'client-key': 'client.key', username: 'admin', password: 'secret' },
      {
        server: 'https://h:1',
        'certificate-authority': 'ca.crt',
        'insecure-skip-tls-verify': true,
        'tls-server-name': 'api',
      },
    );
    const conn = await loadKubeconfigFile(path);
    expect(conn.tls).toEqual({
      ca: Buffer.from('CAFILE'),
      key: Buffer.from('KEYFILE'),
      rejectUnauthorized: false,
      servername: 'api',
    });
    expect(await conn.headers()).toEqual({
      authorization: `Basic ${Buffer.from('admin:secret').toString('base64')}`,
    });
  });

  it('reads a token file each time it is due, so rotated tokens are picked up', async () => {
    const d = dir();
    writeFileSync(join(d, 'token'), 'first\n');
    const conn = await loadKubeconfigFile(write(d, { tokenFile: 'token' }));
    expect(await conn.headers()).toEqual({ authorization: 'Bearer first' });
  });

  it('runs an exec credential plugin and caches its token until it expires', async () => {
    const d = dir();
    const plugin = join(d, 'plugin.sh');
    const counter = join(d, 'count');
    writeFileSync(
      plugin,
      `#!/bin/sh\necho x >> ${counter}\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"'$MY_TOKEN'","expirationTimestamp":"2999-01-01T00:00:00Z"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    const conn = await loadKubeconfigFile(
      write(d, {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: plugin,
          env: [{ name: 'MY_TOKEN', value: 'from-exec' }],
        },
      }),
    );
    expect(await conn.headers()).toEqual({ authorization: 'Bearer from-exec' });
    expect(await conn.headers()).toEqual({ authorization: 'Bearer from-exec' });
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(counter, 'utf8')).toBe('x\n');
  });

  it('names what it cannot use', async () => {
    const d = dir();
    await expect(loadKubeconfigFile(write(d, { 'auth-provider': { name: 'gcp' } }))).rejects.toThrow(
      new KubeconfigError(
        `kubeconfig ${join(d, 'config')}: user "u" uses auth-provider, which Kubernetes removed; use an exec credential plugin`,
      ),
    );
    await expect(
      loadKubeconfigFile(write(d, {}, { server: 'https://h', 'proxy-url': 'http://proxy' })),
    ).rejects.toThrow('cluster "c" uses proxy-url, which the operator does not support');
    // The contexts it has are named, since a misspelt --context is the usual cause.
    await expect(loadKubeconfigFile(write(d, {}), { context: 'nope' })).rejects.toThrow(
      /contexts has no entry named "nope" \(it has "[^"]+"\)$/,
    );
  });
});

describe('in-cluster and resolution order', () => {
  it('uses the ServiceAccount token, CA and namespace of the Pod', async () => {
    const d = dir();
    writeFileSync(join(d, 'token'), 'sa-token');
    writeFileSync(join(d, 'ca.crt'), 'SACA');
    writeFileSync(join(d, 'namespace'), 'kelos-system\n');
    const conn = inClusterConnection(
      { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
      d,
    );
    expect(conn.server).toBe('https://10.96.0.1:443');
    expect(conn.namespace).toBe('kelos-system');
    expect(conn.tls.ca?.toString()).toBe('SACA');
    expect(await conn.headers()).toEqual({ authorization: 'Bearer sa-token' });
    expect(inClusterConnection({ KUBERNETES_SERVICE_HOST: 'fd00::1' }, d).server).toBe(
      'https://[fd00::1]:443',
    );
  });

  it('prefers --kubeconfig, then the first existing KUBECONFIG entry', async () => {
    const a = write(dir(), { token: 'from-flag' });
    const b = write(dir(), { token: 'from-env' });
    const viaFlag = await resolveConnection({ kubeconfig: a }, { KUBECONFIG: b });
    expect(await viaFlag.headers()).toEqual({ authorization: 'Bearer from-flag' });
    const viaEnv = await resolveConnection({}, { KUBECONFIG: `/does/not/exist:${b}` });
    expect(await viaEnv.headers()).toEqual({ authorization: 'Bearer from-env' });
  });
});
