import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, test } from 'vitest';
import { AGENT_TYPES } from '../../../src/api/index.ts';
import type { ClusterFlags } from '../../../src/cli/cluster/connection.ts';
import {
  completeMain,
  completeWords,
  liveNames,
  type NameLister,
} from '../../../src/cli/completion/complete.ts';
import { COMPLETE_COMMAND, completionScript, SHELLS } from '../../../src/cli/completion/scripts.ts';
import type { CliIo } from '../../../src/cli/io.ts';
import { buildProgram } from '../../../src/cli/program.ts';
import type { ResourceType } from '../../../src/kube/client.ts';

const io = (out: string[] = []): CliIo => ({
  stdout: (t) => {
    out.push(t);
  },
  stderr: () => {},
  cwd: process.cwd(),
  isTTY: false,
  env: { HOME: '/nonexistent' },
  readStdin: async () => '',
});

/** A lister that records what it was asked and answers `kind:<plural>` names. */
const recording = () => {
  const calls: Array<{ type: ResourceType; flags: ClusterFlags }> = [];
  const list: NameLister = async (type, flags) => {
    calls.push({ type, flags });
    return [`${type.plural}-a`, `${type.plural}-b`];
  };
  return { calls, list };
};

/** Completes `current` after `words` with the program of `words[0]`. */
async function complete(
  words: string[],
  current: string,
  list: NameLister = recording().list,
): Promise<string[]> {
  return completeWords(await buildProgram(io(), () => {}, words[0]), words, current, list);
}

describe('kelos __complete', () => {
  test('the command word: every command starting with what was typed, without loading them all', async () => {
    const out: string[] = [];
    const built: Array<string | undefined> = [];
    await completeMain(
      ['--current=s'],
      io(out),
      async (c) => {
        built.push(c);
        return buildProgram(io(), () => {}, c);
      },
      ['synth', 'suspend', 'get'],
    );
    expect(out.join('')).toBe('synth\nsuspend\n');
    expect(built).toEqual([]);
  });

  test('kinds after get and delete; only the TaskSpawner names after suspend and resume', async () => {
    expect(await complete(['get'], '')).toEqual(
      expect.arrayContaining(['tasks', 'task', 'tk', 'workspaces', 'ws']),
    );
    expect(await complete(['delete'], 'tas')).toEqual(
      expect.arrayContaining(['task', 'tasks', 'taskspawner']),
    );
    expect(await complete(['suspend'], '')).toEqual(['taskspawner', 'taskspawners', 'ts', 'spawner']);
    expect(await complete(['resume'], 't')).toEqual(['taskspawner', 'taskspawners', 'ts']);
  });

  test('names live from the cluster, of the kind typed before, in the namespace and kubeconfig typed', async () => {
    const { calls, list } = recording();
    expect(await complete(['delete', 'ws', '-n', 'team', '--kubeconfig=/k'], 'workspaces-', list)).toEqual([
      'workspaces-a',
      'workspaces-b',
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.type.kind).toBe('Workspace');
    expect(calls[0]!.flags).toMatchObject({ namespace: 'team', kubeconfig: '/k' });
  });

  test('logs completes Task names; get completes the names of its kind, then nothing more', async () => {
    const { calls, list } = recording();
    expect(await complete(['logs', '-f'], 'tasks-a', list)).toEqual(['tasks-a']);
    expect(await complete(['get', 'taskspawners'], '', list)).toEqual(['taskspawners-a', 'taskspawners-b']);
    expect(calls.map((c) => c.type.kind)).toEqual(['Task', 'TaskSpawner']);
    expect(await complete(['get', 'tasks', 'x'], '', list)).toEqual([]);
    expect(await complete(['get', 'widgets'], '', list)).toEqual([]);
  });

  test('flags of the command, and flag values: namespaces, workspaces, spawners, choices', async () => {
    expect(await complete(['logs'], '--f')).toEqual(['--follow']);
    expect(await complete(['delete'], '-')).toEqual(
      expect.arrayContaining(['--all', '-A', '-n', '--namespace']),
    );
    expect(await complete(['logs', 'x', '-n'], '')).toEqual(['namespaces-a', 'namespaces-b']);
    expect(await complete(['run', '--workspace'], '')).toEqual(['workspaces-a', 'workspaces-b']);
    expect(await complete(['run', '--from'], 'task')).toEqual([
      'taskspawner/taskspawners-a',
      'taskspawner/taskspawners-b',
    ]);
    expect(await complete(['completion'], '')).toEqual([...SHELLS]);
  });

  test('run --type offers the agent types of the API; --credential-type its credential types', async () => {
    expect(await complete(['run', '--type'], '')).toEqual([...AGENT_TYPES]);
    expect(await complete(['run', '-p', 'x', '-t'], 'c')).toEqual(['claude-code', 'codex', 'cursor']);
    expect(await complete(['run', '--credential-type'], '')).toEqual(['api-key', 'oauth', 'none']);
  });

  test('the equals form --type= and --credential-type= completes as the space form does, as each shell hands it over', async () => {
    /** What `kelos __complete <args>` prints, through the command's own entry. */
    const main = async (args: string[]) => {
      const out: string[] = [];
      await completeMain(args, io(out), (c) => buildProgram(io(), () => {}, c), ['run']);
      return out.join('');
    };
    // zsh, fish and PowerShell pass the word as typed; the whole word is what the shell replaces.
    expect(await main(['--current=--type=', 'run', '-p', 'x'])).toBe(
      `${AGENT_TYPES.map((t) => `--type=${t}`).join('\n')}\n`,
    );
    expect(await main(['--current=--type=c', 'run'])).toBe(
      '--type=claude-code\n--type=codex\n--type=cursor\n',
    );
    expect(await main(['--current=--credential-type=o', 'run'])).toBe('--credential-type=oauth\n');
    expect(await main(['--current=--credential-type=', 'run'])).toBe(
      '--credential-type=api-key\n--credential-type=oauth\n--credential-type=none\n',
    );
    // bash splits the word at `=`: the value after `--type` `=`, as after `--type`.
    expect(await main(['--current=', 'run', '--type'])).toBe(`${AGENT_TYPES.join('\n')}\n`);
    expect(await main(['--current=c', 'run', '--type', '='])).toBe('claude-code\ncodex\ncursor\n');
    expect(await main(['--current=', 'run', '--credential-type', '='])).toBe('api-key\noauth\nnone\n');
    // A flag set in the equals form earlier, as bash splits it, is no positional argument.
    const { calls, list } = recording();
    expect(
      await complete(['delete', 'ws', '--kubeconfig', '=', '/k', '-n', 'team'], 'workspaces-', list),
    ).toEqual(['workspaces-a', 'workspaces-b']);
    expect(calls[0]!.flags).toMatchObject({ namespace: 'team', kubeconfig: '/k' });
    // A flag that takes no value offers nothing after `=`.
    expect(await main(['--current=--watch=', 'run'])).toBe('');
  });

  test('subcommands of create, and nothing for the new name', async () => {
    expect(await complete(['create'], '')).toEqual(expect.arrayContaining(['workspace', 'agentconfig']));
    expect(await complete(['create', 'workspace'], '')).toEqual([]);
  });
});

describe('liveNames', () => {
  const sockets: Socket[] = [];
  let silent: Server | undefined;
  afterAll(() => {
    for (const s of sockets) s.destroy();
    silent?.close();
  });

  test('no kubeconfig to be found: no names, no error', async () => {
    const list = liveNames({ ...io(), env: { HOME: '/nonexistent', KUBECONFIG: '/nonexistent/config' } });
    expect(
      await list(
        { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
        {},
      ),
    ).toEqual([]);
  });

  test('an API server that never answers: no names once the deadline passes', async () => {
    silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent!.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const path = join(mkdtempSync(join(tmpdir(), 'kelos-complete-')), 'config');
    writeFileSync(
      path,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}` } }],
        users: [{ name: 'u', user: {} }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const list = liveNames(io(), 200);
    expect(
      await list(
        { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
        { kubeconfig: path },
      ),
    ).toEqual([]);
    expect(sockets.length).toBeGreaterThan(0);
  });
});

describe('completion scripts', () => {
  test.each(SHELLS)(
    '%s: hands the words to the hidden command with the current word as --current=',
    (shell) => {
      const script = completionScript(shell);
      expect(script).toMatch(new RegExp(`kelos'? ${COMPLETE_COMMAND} "--current=`));
    },
  );
});

// No pwsh on the test machines (not a Debian package; it needs .NET): the PowerShell script is
// checked for its shape here, not run.
describe('the PowerShell script (shape only)', () => {
  const script = completionScript('powershell', 'kelos-dev');

  test('registers a native completer for the executable named', () => {
    expect(script).toContain("Register-ArgumentCompleter -Native -CommandName 'kelos-dev' -ScriptBlock {");
    expect(script).toContain('param($wordToComplete, $commandAst, $cursorPosition)');
  });

  test('passes the words before the cursor, without the command, and the current word as --current=', () => {
    expect(script).toContain('Where-Object { $_.Extent.EndOffset -lt $cursorPosition }');
    expect(script).toContain('Select-Object -Skip 1');
    expect(script).toContain(`& 'kelos-dev' ${COMPLETE_COMMAND} "--current=$wordToComplete" @words 2>$null`);
  });

  test('offers each non-empty line as a completion result; braces balance', () => {
    expect(script).toContain("Where-Object { $_ -ne '' }");
    expect(script).toContain('[System.Management.Automation.CompletionResult]::new($_, $_,');
    expect(script.split('{').length).toBe(script.split('}').length);
  });
});
