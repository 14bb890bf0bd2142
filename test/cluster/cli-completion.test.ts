/**
 * `kelos completion bash` in a real bash: the generated script is sourced, COMP_WORDS and
 * COMP_CWORD are set as bash sets them on TAB, the completion function runs, and COMPREPLY
 * is read, listing live Task names from the real API server through a real `kelos` process.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import { KELOS_MAIN, kelos, unreachableKubeconfig } from './cli-helpers.ts';
import { freshNamespace, kubeconfigPath } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { create, task, testClient } from './operator-helpers.ts';

let c: HttpKubeClient;
let ns: string;
const dir = mkdtempSync(join(tmpdir(), 'kelos-completion-'));
const script = join(dir, 'kelos.bash');

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
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['--norc', '--noprofile', '-c', program],
      {
        env: { PATH: `${dir}:${process.env['PATH']}`, HOME: dir, KUBECONFIG: kubeconfigPath(), ...env },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`bash failed: ${err.message}\n${stderr}`));
        else resolve({ reply: stdout.split('\n').filter(Boolean).sort(), stderr });
      },
    );
  });
}

beforeAll(async () => {
  await installCrds();
  c = await testClient();
  ns = await freshNamespace('cli-completion');
  for (const name of ['alpha-one', 'alpha-two', 'beta']) await create(c, ns, 'Task', task(name));
  // `kelos` on PATH, as the package's bin would be.
  writeFileSync(join(dir, 'kelos'), `#!/bin/sh\nexec '${process.execPath}' '${KELOS_MAIN}' "$@"\n`);
  chmodSync(join(dir, 'kelos'), 0o755);
  const generated = await kelos(['completion', 'bash']);
  expect(generated.code).toBe(0);
  writeFileSync(script, generated.stdout);
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

  test('no reachable cluster: no candidates and nothing printed', async () => {
    const { path } = await unreachableKubeconfig();
    const { reply, stderr } = await compreply(['kelos', 'logs', '-n', ns, ''], { KUBECONFIG: path });
    expect(reply).toEqual([]);
    expect(stderr).toBe('');
  });
});
