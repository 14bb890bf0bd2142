import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import pkg from '../../../package.json' with { type: 'json' };
import { KINDS } from '../../../src/api/index.ts';
import type { CliIo } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/program.ts';
import { scaffoldFiles } from '../../../src/cli/scaffold/templates.ts';
import { parseConfig } from '../../../src/compiler/config.ts';

/** Runs the CLI in-process and captures what it prints. */
async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: process.cwd(),
    isTTY: false,
    env: {},
    readStdin: async () => '',
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

/** One option's entry in `--help`, its wrapped lines joined by single spaces. */
const optionHelp = (help: string, flags: string): string => {
  const lines = help.split('\n');
  const start = lines.findIndex((l) => l.trimStart().startsWith(flags));
  const end = lines.findIndex((l, i) => i > start && /^\s*-/.test(l));
  return lines
    .slice(start, end)
    .map((l) => l.trim())
    .join(' ')
    .replace(/ {2,}/g, ' ');
};

/** A kubeconfig of one context, `a`, whose API server nothing listens on. */
const unreachableKubeconfig = (): string => {
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'kelos-program-')), 'config');
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\n',
  );
  return kubeconfig;
};

describe('kelos program', () => {
  test('--help lists every command and exits 0', async () => {
    const { code, stdout } = await run('--help');
    expect(code).toBe(0);
    for (const command of ['validate', 'synth', 'check', 'crds', 'operator', 'new']) {
      expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    // --help loads every command module (cdk8s, the operator): seconds on a busy machine.
  }, 30_000);

  test('operator --context picks the kubeconfig context, as every cluster command does', async () => {
    const kubeconfig = unreachableKubeconfig();
    const args = ['operator', '--kubeconfig', kubeconfig, '--metrics-addr', '0', '--health-addr', '0'];
    expect(await run(...args, '--context', 'staging')).toEqual({
      code: 1,
      stdout: '',
      stderr: `kelos: kubeconfig ${kubeconfig}: contexts has no entry named "staging" (it has "a")\n`,
    });
  });

  test('operator --metrics-secure refuses to share its address with the probes, which the kubelet sends over HTTP', async () => {
    const kubeconfig = unreachableKubeconfig();
    const dir = dirname(kubeconfig);
    const shared = ['--metrics-addr', ':18080', '--health-addr', ':18080'];
    for (const flag of [['--metrics-secure'], ['--metrics-cert-path', dir]]) {
      const { code, stderr } = await run('operator', '--kubeconfig', kubeconfig, ...shared, ...flag);
      expect(code).toBe(1);
      expect(stderr).toContain(
        'kelos: --metrics-secure serves /metrics over HTTPS, and --metrics-addr :18080 is also --health-addr, whose probes the kubelet sends over HTTP; give /healthz and /readyz an address of their own',
      );
    }
  });

  test('version -o takes json or yaml only: a typo is exit 1, not text a script cannot parse', async () => {
    const typo = await run('version', '--client', '-o', 'jsno');
    expect(typo).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "error: option '-o, --output <format>' argument 'jsno' is invalid. Allowed choices are json, yaml.\n(run kelos version --help for usage)\n",
    });
    const json = await run('version', '--client', '-o', 'json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ clientVersion: pkg.version });
  });

  test("version --help says -n defaults to where the install's labels are found, as the command looks", async () => {
    const { code, stdout } = await run('version', '--help');
    expect(code).toBe(0);
    expect(optionHelp(stdout, '-n, --namespace')).toBe(
      "-n, --namespace <name> namespace of the operator (default: the one the install's labels are found in, else kelos-system)",
    );
  });

  test("run --help gives the defaults of -t and --credential-type as the run reads them: the config file's first", async () => {
    const { code, stdout } = await run('run', '--help');
    expect(code).toBe(0);
    expect(optionHelp(stdout, '-t, --type')).toBe(
      '-t, --type <agent> agent type (default: the config file\'s type, else claude-code) (choices: "claude-code", "codex", "gemini", "opencode", "cursor")',
    );
    expect(optionHelp(stdout, '--credential-type')).toBe(
      '--credential-type <type> how the agent authenticates (default: the config file\'s credentialType, else oauth with its oauthToken, else api-key) (choices: "api-key", "oauth", "none")',
    );
  });

  test('get and delete --help name every kind with each name resolveKind takes', async () => {
    for (const command of ['get', 'delete']) {
      const { code, stdout } = await run(command, '--help');
      expect(code).toBe(0);
      const help = stdout.replace(/\s+/g, ' ');
      for (const k of KINDS) {
        expect(help, `${command}: ${k.kind}`).toContain(
          `${k.singular}(s)${k.shortNames.map((n) => `/${n}`).join('')}`,
        );
      }
    }
  });

  test('suspend and resume --help name every name of taskspawner that they accept', async () => {
    for (const command of ['suspend', 'resume']) {
      const { code, stdout } = await run(command, '--help');
      expect(code).toBe(0);
      expect(stdout.replace(/\s+/g, ' '), command).toContain('kind: taskspawner(s)/ts/spawner ');
    }
  });

  test('synth --help says which apps a user project renders and what the default of an unset kelos.apps is', async () => {
    const { code, stdout } = await run('synth', '--help');
    expect(code).toBe(0);
    const help = stdout.replace(/\s+/g, ' ');
    expect(help).toContain(
      'render the apps the cdk8s.yaml of the working directory (or the nearest parent up to the git root) lists under kelos.apps (the globs of your app modules: apps/*/main.ts into dist/apps/<app>/ in a project kelos new writes; when cdk8s.yaml sets no kelos.apps, examples/*/main.ts into dist/examples/<app>/) and kelos.bundles',
    );
    // Each default it names is the one synth uses: the project kelos new writes, and no kelos.apps.
    const scaffold = scaffoldFiles({ name: 'x', kelosVersion: '*', repoURL: 'https://example.com/x.git' });
    expect(parseConfig(scaffold.get('cdk8s.yaml') ?? '')).toMatchObject({
      apps: ['apps/*/main.ts'],
      outdir: 'dist/apps',
    });
    expect(parseConfig('kelos: {}\n')).toMatchObject({
      apps: ['examples/*/main.ts'],
      outdir: 'dist/examples',
      crdsDir: 'dist/crds',
    });
  });

  test('operator --help gives the Lease namespace the order the code looks in, as the README does', async () => {
    const { code, stdout } = await run('operator', '--help');
    expect(code).toBe(0);
    expect(stdout.replace(/\s+/g, ' ')).toContain(
      "--lease-namespace <ns> namespace of the Lease (default: $POD_NAMESPACE, else the ServiceAccount's namespace file, else default)",
    );
  });

  test('validate --help says what -n does, not what kubectl or Argo CD might do later', async () => {
    const { code, stdout } = await run('validate', '--help');
    expect(code).toBe(0);
    const help = stdout.replace(/\s+/g, ' ');
    expect(help).toContain(
      '-n, --namespace <namespace> namespace of the objects that set no metadata.namespace (and are in no kustomization, nor Argo CD app directory, that sets one): their references resolve and duplicates collide there, and a reference outside the bundle must exist there (default: "default", where such a reference is said to be needed in whatever namespace the object is applied to)',
    );
    expect(help).not.toContain('unless kubectl -n');
  });

  test('--version prints the package version', async () => {
    const { code, stdout } = await run('--version');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(pkg.version);
  });

  test('an unknown command is a usage error: exit 1 with a hint', async () => {
    const { code, stderr } = await run('deploy');
    expect(code).toBe(1);
    expect(stderr).toContain("error: unknown command 'deploy'");
    expect(stderr).toContain('(run kelos --help for usage)');
  });

  test('a reader that closes the pipe early (| head -1) ends kelos quietly, as SIGPIPE ends other tools (141)', async () => {
    const main = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
    const child = spawn(process.execPath, [main, 'crds'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    // Like head -1: read the first chunk, then close the read end while kelos still writes.
    const first = await new Promise<string>((resolve) =>
      child.stdout.once('data', (d: Buffer) => resolve(d.toString())),
    );
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(first).toMatch(/^apiVersion: apiextensions\.k8s\.io\/v1/);
    expect(stderr).toBe('');
    expect(code).toBe(141);
  }, 30_000);

  test('a write error other than a closed pipe is one line, exit 1', async () => {
    const main = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
    const { openSync } = await import('node:fs');
    const full = openSync('/dev/full', 'w');
    const child = spawn(process.execPath, [main, 'crds'], { stdio: ['ignore', full, 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(stderr).toBe('kelos: cannot write to stdout: ENOSPC: no space left on device, write\n');
    expect(code).toBe(1);
  }, 30_000);

  test('a missing argument is a usage error: exit 1', async () => {
    const { code, stderr } = await run('logs');
    expect(code).toBe(1);
    expect(stderr).toContain("error: missing required argument 'task'");
    expect(stderr).toContain('(run kelos logs --help for usage)');
  });
});
