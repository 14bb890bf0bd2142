/**
 * `kelos completion bash|zsh|fish` in the real shells, each listing live Task names from the
 * real API server through a real `kelos` process:
 *
 * - bash: the generated script is sourced, COMP_WORDS and COMP_CWORD are set as bash sets
 *   them on TAB, the completion function runs, and COMPREPLY is read;
 * - zsh: the script is sourced in `zsh -f`, `words` and `CURRENT` are set as the completion
 *   system sets them, and `compadd` (a builtin only inside a completion widget) and `_files`
 *   are replaced by functions that print what they are given;
 * - fish: the script is sourced and fish's own completion engine is asked, `complete -C`.
 *
 * zsh and fish are Debian packages `.ci/run` installs; a shell that is missing fails its
 * tests (it never skips them).
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { AGENT_TYPES } from '../../src/api/index.ts';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import { KELOS_MAIN, kelos, unreachableKubeconfig } from './cli-helpers.ts';
import { freshNamespace, kubeconfigPath } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { create, task, testClient } from './operator-helpers.ts';

let c: HttpKubeClient;
let ns: string;
const dir = mkdtempSync(join(tmpdir(), 'kelos-completion-'));
const script = join(dir, 'kelos.bash');

/** The environment each shell runs in: `kelos` on PATH, an empty HOME, the test cluster. */
const shellEnv = (env: Record<string, string>) => ({
  PATH: `${dir}:${process.env['PATH']}`,
  HOME: dir,
  KUBECONFIG: kubeconfigPath(),
  ...env,
});

/** Runs `shell args…`; the lines it prints, sorted, and its stderr. */
function runShell(
  shell: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ reply: string[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(shell, args, { env: shellEnv(env), timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${shell} failed: ${err.message}\n${stderr}`));
      else resolve({ reply: stdout.split('\n').filter(Boolean).sort(), stderr });
    });
  });
}

/** Fails (never skips) when `shell` is not installed, saying how to get it. */
async function requireShell(shell: string): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    execFile('sh', ['-c', `command -v ${shell}`], (err) =>
      err
        ? reject(
            new Error(
              `${shell} is not installed: the completion tests run it for real (apt-get install -y ${shell}; .ci/run installs it)`,
            ),
          )
        : resolve(),
    ),
  );
}

/** Writes the script `kelos completion <shell>` prints and returns its path. */
async function generated(shell: string): Promise<string> {
  const out = await kelos(['completion', shell]);
  expect(out.code).toBe(0);
  const path = join(dir, `kelos.${shell}`);
  writeFileSync(path, out.stdout);
  return path;
}

const quote = (w: string) => `'${w.replace(/'/g, "'\\''")}'`;

/** Runs the bash completion function for `words` (the last one being completed) and returns COMPREPLY. */
function compreply(
  words: readonly string[],
  env: Record<string, string> = {},
): Promise<{ reply: string[]; stderr: string }> {
  const quoted = words.map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(' ');
  const program = [
    `source '${script}'`,
    `COMP_WORDS=(${quoted})`,
    `COMP_CWORD=${words.length - 1}`,
    '_kelos_complete',
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n');
  return runShell('bash', ['--norc', '--noprofile', '-c', program], env);
}

/** Runs the zsh completion function for `words` (the last one being completed); what it offers. */
async function zshOffers(
  words: readonly string[],
  env: Record<string, string> = {},
): Promise<{ reply: string[]; stderr: string }> {
  const program = [
    `source ${quote(join(dir, 'kelos.zsh'))}`,
    // compadd -a <array>: the candidates; _files: the fallback to file names, marked.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: zsh's parameter expansion, not a template
    'compadd() { if [[ $1 == -a ]]; then print -rl -- "${(@P)2}"; else print -rl -- "${@:#-*}"; fi }',
    "_files() { print -r -- '<files>' }",
    `words=(${words.map(quote).join(' ')})`,
    `CURRENT=${words.length}`,
    '_kelos',
  ].join('\n');
  return runShell('zsh', ['-f', '-c', program], env);
}

/** Asks fish's completion engine for `line` (the command line up to the cursor); the candidates. */
async function fishOffers(
  line: string,
  env: Record<string, string> = {},
): Promise<{ reply: string[]; stderr: string }> {
  const program = `source ${quote(join(dir, 'kelos.fish'))}; complete -C ${quote(line)}`;
  const { reply, stderr } = await runShell('fish', ['--no-config', '-c', program], env);
  // Each candidate may carry a tab and a description.
  return { reply: reply.map((r) => r.split('\t')[0]!), stderr };
}

beforeAll(async () => {
  await installCrds();
  c = await testClient();
  ns = await freshNamespace('cli-completion');
  for (const name of ['alpha-one', 'alpha-two', 'beta']) await create(c, ns, 'Task', task(name));
  // `kelos` on PATH, as the package's bin would be.
  writeFileSync(join(dir, 'kelos'), `#!/bin/sh\nexec '${process.execPath}' '${KELOS_MAIN}' "$@"\n`);
  chmodSync(join(dir, 'kelos'), 0o755);
  expect(await generated('bash')).toBe(script);
});

describe('bash completion', () => {
  test('kelos logs -n <ns> <TAB> lists the live Task names', async () => {
    const { reply, stderr } = await compreply(['kelos', 'logs', '-n', ns, '']);
    expect(reply).toEqual(['alpha-one', 'alpha-two', 'beta']);
    expect(stderr).toBe('');
  });

  test('a prefix narrows them; get <kind> completes names of that kind', async () => {
    expect((await compreply(['kelos', 'logs', '-n', ns, 'al'])).reply).toEqual(['alpha-one', 'alpha-two']);
    expect((await compreply(['kelos', 'get', 'tk', '-n', ns, 'b'])).reply).toEqual(['beta']);
    expect((await compreply(['kelos', 'delete', 'task', '--namespace', ns, 'alpha-t'])).reply).toEqual([
      'alpha-two',
    ]);
  });

  test('a Task created a moment ago completes at once: the names are live', async () => {
    await create(c, ns, 'Task', task('gamma'));
    expect((await compreply(['kelos', 'logs', '-n', ns, 'g'])).reply).toEqual(['gamma']);
  });

  test('commands, kinds, flags and namespaces complete too', async () => {
    expect((await compreply(['kelos', 'lo'])).reply).toEqual(['logs']);
    expect((await compreply(['kelos', 'suspend', ''])).reply).toEqual([
      'spawner',
      'taskspawner',
      'taskspawners',
      'ts',
    ]);
    expect((await compreply(['kelos', 'logs', '--fo'])).reply).toEqual(['--follow']);
    expect((await compreply(['kelos', 'logs', '-n', ns.slice(0, -2)])).reply).toEqual([ns]);
  });

  test('kelos run --type <TAB> offers the agent types; a prefix narrows them', async () => {
    expect(await compreply(['kelos', 'run', '--type', ''])).toEqual({
      reply: [...AGENT_TYPES].sort(),
      stderr: '',
    });
    expect((await compreply(['kelos', 'run', '-p', 'fix it', '-t', 'co'])).reply).toEqual(['codex']);
  });

  test('kelos run --type=<TAB> and --credential-type=<TAB>, which bash splits at the =, offer the values too', async () => {
    // COMP_WORDS as bash splits `kelos run --type=` and `kelos run --credential-type=o`.
    expect(await compreply(['kelos', 'run', '--type', '='])).toEqual({
      reply: [...AGENT_TYPES].sort(),
      stderr: '',
    });
    expect((await compreply(['kelos', 'run', '--credential-type', '=', 'o'])).reply).toEqual(['oauth']);
  });

  test('no reachable cluster: no candidates and nothing printed', async () => {
    const { path } = await unreachableKubeconfig();
    const { reply, stderr } = await compreply(['kelos', 'logs', '-n', ns, ''], { KUBECONFIG: path });
    expect(reply).toEqual([]);
    expect(stderr).toBe('');
  });
});

describe('zsh completion', () => {
  beforeAll(async () => {
    await requireShell('zsh');
    await generated('zsh');
  });

  test('kelos logs -n <ns> <TAB> offers the live Task names; a prefix narrows them', async () => {
    const all = await zshOffers(['kelos', 'logs', '-n', ns, '']);
    expect(all.reply).toEqual(expect.arrayContaining(['alpha-one', 'alpha-two', 'beta']));
    expect(all.reply).not.toContain('<files>');
    expect(all.stderr).toBe('');
    expect((await zshOffers(['kelos', 'logs', '-n', ns, 'al'])).reply).toEqual(['alpha-one', 'alpha-two']);
    expect((await zshOffers(['kelos', 'get', 'tk', '-n', ns, 'b'])).reply).toEqual(['beta']);
  });

  test('kelos run --type <TAB> offers the agent types, not file names', async () => {
    expect(await zshOffers(['kelos', 'run', '--type', ''])).toEqual({
      reply: [...AGENT_TYPES].sort(),
      stderr: '',
    });
  });

  test('kelos run --type=<TAB> and --credential-type=<TAB> offer the whole words, not file names', async () => {
    expect(await zshOffers(['kelos', 'run', '--type='])).toEqual({
      reply: AGENT_TYPES.map((t) => `--type=${t}`).sort(),
      stderr: '',
    });
    expect((await zshOffers(['kelos', 'run', '--credential-type=n'])).reply).toEqual([
      '--credential-type=none',
    ]);
  });

  test('no reachable cluster: no names, the file fallback, nothing printed', async () => {
    const { path } = await unreachableKubeconfig();
    const { reply, stderr } = await zshOffers(['kelos', 'logs', '-n', ns, ''], { KUBECONFIG: path });
    expect(reply).toEqual(['<files>']);
    expect(stderr).toBe('');
  });
});

describe('fish completion', () => {
  beforeAll(async () => {
    await requireShell('fish');
    await generated('fish');
  });

  test("complete -C 'kelos logs -n <ns> ' offers the live Task names; a prefix narrows them", async () => {
    const all = await fishOffers(`kelos logs -n ${ns} `);
    expect(all.reply).toEqual(expect.arrayContaining(['alpha-one', 'alpha-two', 'beta']));
    expect(all.stderr).toBe('');
    expect((await fishOffers(`kelos logs -n ${ns} al`)).reply).toEqual(['alpha-one', 'alpha-two']);
    expect((await fishOffers(`kelos get tk -n ${ns} b`)).reply).toEqual(['beta']);
    expect((await fishOffers('kelos lo')).reply).toEqual(['logs']);
  });

  test("complete -C 'kelos run --type ' offers the agent types", async () => {
    expect(await fishOffers('kelos run --type ')).toEqual({ reply: [...AGENT_TYPES].sort(), stderr: '' });
    expect((await fishOffers('kelos run -t cu')).reply).toEqual(['cursor']);
  });

  test("complete -C 'kelos run --type=' and '--credential-type=a' offer the values in the equals form", async () => {
    expect(await fishOffers('kelos run --type=')).toEqual({
      reply: AGENT_TYPES.map((t) => `--type=${t}`).sort(),
      stderr: '',
    });
    expect((await fishOffers('kelos run --credential-type=a')).reply).toEqual(['--credential-type=api-key']);
  });

  test('no reachable cluster: no candidates and nothing printed', async () => {
    const { path } = await unreachableKubeconfig();
    const { reply, stderr } = await fishOffers(`kelos logs -n ${ns} `, { KUBECONFIG: path });
    expect(reply).toEqual([]);
    expect(stderr).toBe('');
  });
});
