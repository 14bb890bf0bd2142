import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  besideInstalled,
  defaultActiveDeadlineFlag,
  durationFlagMs,
  namespacesFlag,
  sizeLimitFlag,
  startupFields,
} from '../../../src/cli/commands/operator.ts';
import type { CliIo } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/program.ts';
import { namespaceListFlag } from '../../../src/install/index.ts';

const io = (env: Record<string, string> = {}) => {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    cwd: process.cwd(),
    isTTY: false,
    env,
    readStdin: async () => '',
  };
  return { cli, out, err };
};

describe('kelos operator flags', () => {
  it('reads Go-style durations', () => {
    expect(durationFlagMs('10m')).toBe(600_000);
    expect(durationFlagMs('1h30m')).toBe(5_400_000);
    expect(durationFlagMs('45s')).toBe(45_000);
    expect(durationFlagMs('500ms')).toBe(500);
    expect(durationFlagMs('90')).toBe(90_000);
    expect(() => durationFlagMs('10 minutes')).toThrow(
      'invalid duration "10 minutes" (expected e.g. 10m, 1h30m, 45s or a number of seconds)',
    );
    expect(() => durationFlagMs('')).toThrow('invalid duration ""');
  });

  it('reads --namespace as a comma-separated list, repeatable, each namespace once', () => {
    expect(namespacesFlag('team-a')).toEqual(['team-a']);
    expect(namespacesFlag('team-a,team-b')).toEqual(['team-a', 'team-b']);
    expect(namespacesFlag(' team-a , team-b ')).toEqual(['team-a', 'team-b']);
    // Commander hands the previous occurrences' result back: -n team-a,team-b -n team-c -n team-a
    expect(namespacesFlag('team-a', namespacesFlag('team-c', namespacesFlag('team-a,team-b')))).toEqual([
      'team-a',
      'team-b',
      'team-c',
    ]);
    expect(() => namespacesFlag('team-a,,team-b')).toThrow(
      '--namespace: "team-a,,team-b" has an empty namespace name',
    );
    expect(() => namespacesFlag('team-a,')).toThrow('has an empty namespace name');
    expect(() => namespacesFlag('Team_A')).toThrow(
      `--namespace: "Team_A" is not a namespace name (a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)`,
    );
    expect(() => namespacesFlag('a'.repeat(64))).toThrow('is not a namespace name');
  });

  it('reads back the --namespace flag the install renders', () => {
    const flag = namespaceListFlag(['team-a', 'team-b', 'team-c']);
    expect(flag).toBe('--namespace=team-a,team-b,team-c');
    expect(namespacesFlag(flag.slice('--namespace='.length))).toEqual(['team-a', 'team-b', 'team-c']);
  });

  it('checks every --namespace occurrence before connecting anywhere', async () => {
    const bad = io();
    expect(await runCli(['operator', '-n', 'team-a', '--namespace', 'team-b,Bad'], bad.cli)).toBe(1);
    expect(bad.err.join('')).toBe(
      `kelos: --namespace: "Bad" is not a namespace name (a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)\n`,
    );
    // A good list passes the flags and fails only at the (missing) kubeconfig.
    const good = io({ KUBECONFIG: '/does/not/exist', HOME: '/does/not/exist' });
    expect(
      await runCli(
        ['operator', '-n', 'team-a,team-b', '-n', 'team-c', '--kubeconfig', '/does/not/exist/k'],
        good.cli,
      ),
    ).toBe(1);
    expect(good.err.join('')).toMatch(/^kelos: cannot read kubeconfig \/does\/not\/exist\/k/);
  });

  it('reads --workspace-size-limit as a quantity; empty or zero turns the limit off', () => {
    expect(sizeLimitFlag('50Gi')).toBe('50Gi');
    expect(sizeLimitFlag(' 500Mi ')).toBe('500Mi');
    expect(sizeLimitFlag('')).toBe('');
    expect(sizeLimitFlag('0')).toBe('');
    expect(sizeLimitFlag('0Gi')).toBe('');
    for (const bad of ['20GB', '-1Gi', 'lots']) {
      expect(() => sizeLimitFlag(bad)).toThrow(
        `--workspace-size-limit: "${bad}" is not a size (expected a quantity such as 20Gi or 500Mi; 0 turns the limit off)`,
      );
    }
  });

  it('refuses a --workspace-size-limit that is not a size, before connecting anywhere', async () => {
    const { cli, err } = io({ KUBECONFIG: '/does/not/exist', HOME: '/does/not/exist' });
    expect(await runCli(['operator', '--workspace-size-limit', '20GB'], cli)).toBe(1);
    expect(err.join('')).toBe(
      'kelos: --workspace-size-limit: "20GB" is not a size (expected a quantity such as 20Gi or 500Mi; 0 turns the limit off)\n',
    );
  });

  it('reads --default-active-deadline as whole seconds of at least 1s', () => {
    expect(defaultActiveDeadlineFlag('6h')).toBe(21_600);
    expect(defaultActiveDeadlineFlag('90m')).toBe(5_400);
    expect(defaultActiveDeadlineFlag('3600')).toBe(3_600);
    // activeDeadlineSeconds is whole seconds: a fraction is rounded up, never to a shorter deadline.
    expect(defaultActiveDeadlineFlag('1.5s')).toBe(2);
    for (const bad of ['0', '500ms', '-1h', '6 hours', '']) {
      expect(() => defaultActiveDeadlineFlag(bad)).toThrow(
        `--default-active-deadline: "${bad}" is not a duration of at least 1s (expected e.g. 6h, 90m or a number of seconds)`,
      );
    }
  });

  it('refuses a --default-active-deadline that is not a duration, before connecting anywhere', async () => {
    const { cli, err } = io({ KUBECONFIG: '/does/not/exist', HOME: '/does/not/exist' });
    expect(await runCli(['operator', '--default-active-deadline', '6 hours'], cli)).toBe(1);
    expect(err.join('')).toBe(
      'kelos: --default-active-deadline: "6 hours" is not a duration of at least 1s (expected e.g. 6h, 90m or a number of seconds)\n',
    );
  });

  it('refuses a worker count that is not a positive integer, before connecting anywhere', async () => {
    const { cli, err } = io();
    expect(await runCli(['operator', '--workers', '0'], cli)).toBe(1);
    expect(err.join('')).toBe('kelos: --workers must be a positive integer; got "0"\n');
  });

  it('refuses a --slack-api-url that is not an http(s) URL, before connecting anywhere', async () => {
    const { cli, err } = io({ KUBECONFIG: '/does/not/exist', HOME: '/does/not/exist' });
    expect(await runCli(['operator', '--slack-api-url', 'slack.com/api'], cli)).toBe(1);
    expect(err.join('')).toBe(
      'kelos: --slack-api-url: "slack.com/api" is not an http(s) URL (expected e.g. https://slack.com/api/)\n',
    );
  });

  it('names the duration flag it refuses, before connecting anywhere', async () => {
    for (const flag of ['--resync', '--cache-sync-timeout']) {
      const { cli, err } = io({ KUBECONFIG: '/does/not/exist', HOME: '/does/not/exist' });
      expect(await runCli(['operator', flag, 'abc'], cli)).toBe(1);
      expect(err.join('')).toBe(
        `kelos: ${flag}: invalid duration "abc" (expected e.g. 10m, 1h30m, 45s or a number of seconds)\n`,
      );
    }
  });

  it('fails with exit 1 and names the problem when there is no kubeconfig', async () => {
    const { cli, err } = io({ KUBECONFIG: '/does/not/exist', HOME: '/does/not/exist' });
    expect(await runCli(['operator', '--kubeconfig', '/does/not/exist/config'], cli)).toBe(1);
    expect(err.join('')).toMatch(/^kelos: cannot read kubeconfig \/does\/not\/exist\/config: ENOENT/);
  });

  it('names the flag whose file it cannot read (a Secret not mounted), before connecting anywhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-operator-flags-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\nusers: [{name: u, user: {token: x}}]\n',
    );
    for (const flag of [
      '--webhook-github-secret-file',
      '--webhook-linear-secret-file',
      '--metrics-token-file',
    ]) {
      const { cli, err } = io();
      const path = join(dir, 'not-mounted', 'secret');
      expect(await runCli(['operator', '--kubeconfig', kubeconfig, flag, path], cli)).toBe(1);
      expect(err.join('')).toBe(
        `kelos: ${flag} ${path}: does not exist; expected a file (ENOENT: no such file or directory, open '${path}'); in a cluster, mount the Secret that holds it into the operator's Pod\n`,
      );
    }
  });
});

describe('kelos operator start-up line', () => {
  it('names the server without a user:password in its URL, the kubeconfig and context, or the ServiceAccount', () => {
    expect(
      startupFields(
        { server: 'https://admin:s3cret@api.example:6443', context: 'prod' },
        { kubeconfig: '/home/u/.kube/config' },
        ['team-a', 'team-b'],
      ),
    ).toEqual({
      server: 'https://api.example:6443',
      kubeconfig: '/home/u/.kube/config',
      context: 'prod',
      namespaces: ['team-a', 'team-b'],
    });
    expect(startupFields({ server: 'https://10.96.0.1:443' }, { inCluster: true }, undefined)).toEqual({
      server: 'https://10.96.0.1:443',
      inCluster: true,
      namespaces: '(all)',
    });
  });
});

describe('kelos operator beside an installed one', () => {
  const installed = (watched: string[] | undefined, ready = 2) => ({
    namespace: 'kelos-system',
    watched,
    ready,
    replicas: 2,
  });
  it('warns without --leader-elect when the running install watches a namespace this one does, naming the three ways out', () => {
    expect(besideInstalled(installed(['team-a', 'team-b']), ['team-b', 'team-c'], false)).toStrictEqual({
      msg: 'An installed operator reconciles the same namespaces, and this one elects no leader',
      fields: {
        installed: 'deployment/kelos-operator in kelos-system, 2 ready',
        namespaces: 'team-b',
        detail:
          "both reconcile every object there: each undoes the other's status writes and each spawner is polled twice; scale the install to 0 (kubectl scale deployment/kelos-operator -n kelos-system --replicas=0), watch other namespaces (-n), or take turns with it (--leader-elect --lease-namespace kelos-system)",
      },
    });
    expect(besideInstalled(installed(undefined), undefined, false)?.fields['namespaces']).toBe('all');
    expect(besideInstalled(installed(undefined), ['team-a'], false)?.fields['namespaces']).toBe('team-a');
    expect(besideInstalled(installed(['team-a']), undefined, false)?.fields['namespaces']).toBe('team-a');
  });
  it('says nothing with --leader-elect, with the install scaled to 0 or none, or with namespaces apart', () => {
    expect(besideInstalled(installed(undefined), undefined, true)).toBeUndefined();
    expect(besideInstalled(installed(undefined, 0), undefined, false)).toBeUndefined();
    expect(besideInstalled(undefined, undefined, false)).toBeUndefined();
    expect(besideInstalled(installed(['team-a']), ['team-b'], false)).toBeUndefined();
  });
});
