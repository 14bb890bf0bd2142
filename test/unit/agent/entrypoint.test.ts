import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import {
  b64,
  baseEnv,
  block,
  git,
  makeWorkspace,
  readText,
  recordedArgv,
  runEntrypoint,
  stream,
  type Workspace,
} from './harness.ts';

const workspaces: Workspace[] = [];
const ws = (): Workspace => {
  const w = makeWorkspace();
  workspaces.push(w);
  return w;
};
afterEach(() => {
  for (const w of workspaces.splice(0)) rmSync(w.dir, { recursive: true, force: true });
});

const PROMPT = 'Fix the failing test in widgets';

/** The placeholder the operator puts in the MCP document for secret env value n. */
const placeholder = (n: number): string => `\${KELOS_MCP_SECRET_${n}}`;

describe('entrypoint: each agent end to end', () => {
  test('claude-code: runs claude headless and reports branch, PR, commit, base branch, cost, tokens, response', () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'claude-code'),
      KELOS_MODEL: 'claude-sonnet-4-5',
      KELOS_EFFORT: 'high',
      STANDIN_PRS: '[{"url":"https://github.com/acme/widgets/pull/42"}]',
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(recordedArgv(w, 'claude-code')).toEqual([
      '--dangerously-skip-permissions',
      '--output-format',
      'stream-json',
      '--verbose',
      '-p',
      PROMPT,
      '--model',
      'claude-sonnet-4-5',
      '--effort',
      'high',
    ]);
    const commit = git(w.repo, 'rev-parse', 'HEAD');
    const lines = [
      'branch: kelos/fix',
      'pr: https://github.com/acme/widgets/pull/42',
      `commit: ${commit}`,
      'base-branch: main',
      'cost-usd: 0.0532',
      'input-tokens: 15230',
      'output-tokens: 4821',
      `response: ${b64('Fixed the test and opened https://github.com/acme/widgets/pull/42.')}`,
    ];
    expect(r.stdout).toBe(stream('claude-code') + block(...lines));
    expect(readText(w.terminationLog)).toBe(block(...lines));
    // The agent's commit reached the remote on its branch.
    expect(git(w.remote, 'rev-parse', 'kelos/fix')).toBe(commit);
  });

  test('codex: sums turns, takes the last agent message, passes effort as a config override', () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'codex'),
      KELOS_MODEL: 'gpt-5-codex',
      KELOS_EFFORT: 'medium',
    });
    expect(r.code).toBe(0);
    expect(recordedArgv(w, 'codex')).toEqual([
      'exec',
      '--dangerously-bypass-approvals-and-sandbox',
      '--json',
      PROMPT,
      '--model',
      'gpt-5-codex',
      '--config',
      'model_reasoning_effort="medium"',
    ]);
    const lines = [
      'branch: kelos/fix',
      `commit: ${git(w.repo, 'rev-parse', 'HEAD')}`,
      'base-branch: main',
      'input-tokens: 2000',
      'output-tokens: 400',
      `response: ${b64('Committed the fix on kelos/fix.')}`,
    ];
    expect(r.stdout).toBe(stream('codex') + block(...lines));
    expect(readText(w.terminationLog)).toBe(block(...lines));
  });

  test('gemini: reads stats of the result event and the final assistant text', () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], baseEnv(w, 'gemini'));
    expect(r.code).toBe(0);
    expect(recordedArgv(w, 'gemini')).toEqual(['--yolo', '--output-format', 'stream-json', '-p', PROMPT]);
    expect(readText(w.terminationLog)).toBe(
      block(
        'branch: kelos/fix',
        `commit: ${git(w.repo, 'rev-parse', 'HEAD')}`,
        'base-branch: main',
        'input-tokens: 8000',
        'output-tokens: 3200',
        `response: ${b64('Fixed the test and committed it.')}`,
      ),
    );
  });

  test('opencode: sums steps, including their cost', () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'opencode'),
      KELOS_MODEL: 'anthropic/claude-sonnet-4-5',
    });
    expect(r.code).toBe(0);
    expect(recordedArgv(w, 'opencode')).toEqual([
      'run',
      '--format',
      'json',
      '--auto',
      PROMPT,
      '--model',
      'anthropic/claude-sonnet-4-5',
    ]);
    expect(readText(w.terminationLog)).toBe(
      block(
        'branch: kelos/fix',
        `commit: ${git(w.repo, 'rev-parse', 'HEAD')}`,
        'base-branch: main',
        'cost-usd: 0.0156',
        'input-tokens: 800',
        'output-tokens: 300',
        `response: ${b64('Fixed the test and committed it.')}`,
      ),
    );
  });

  test('cursor: runs `agent` and reads camelCase usage from the result event', () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], baseEnv(w, 'cursor'));
    expect(r.code).toBe(0);
    expect(recordedArgv(w, 'cursor')).toEqual([
      '-p',
      '--force',
      '--trust',
      '--sandbox',
      'disabled',
      '--output-format',
      'stream-json',
      PROMPT,
    ]);
    expect(readText(w.terminationLog)).toBe(
      block(
        'branch: kelos/fix',
        `commit: ${git(w.repo, 'rev-parse', 'HEAD')}`,
        'base-branch: main',
        'input-tokens: 36067',
        'output-tokens: 227',
        `response: ${b64('Fixed the test and committed it.')}`,
      ),
    );
  });
});

describe('entrypoint: exit status', () => {
  test('an incomplete Claude Code run fails the Task but still reports what it used', () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'claude-code'),
      STANDIN_STREAM: 'claude-code-incomplete',
      STANDIN_NO_COMMIT: '1',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'kelos-entrypoint: Claude Code run incomplete (terminal_reason=max_turns, stop_reason=tool_use)\n',
    );
    expect(readText(w.terminationLog)).toBe(
      block(
        'branch: main',
        `commit: ${git(w.repo, 'rev-parse', 'HEAD')}`,
        'base-branch: main',
        'cost-usd: 0.91',
        'input-tokens: 90000',
        'output-tokens: 12000',
      ),
    );
  });

  test("the agent's exit code is the entrypoint's, with outputs still reported", () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], { ...baseEnv(w, 'codex'), STANDIN_EXIT: '3' });
    expect(r.code).toBe(3);
    expect(readText(w.terminationLog)).toContain('input-tokens: 2000\n');
  });

  test('a missing agent CLI fails with 127', () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], { ...baseEnv(w, 'gemini'), PATH: '/usr/bin:/bin' });
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('kelos-entrypoint: cannot run gemini: spawn gemini ENOENT');
  });

  test('an unknown agent type is refused', () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], baseEnv(w, 'aider'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'kelos-entrypoint: agent type "aider" has no built-in command; a custom image must provide its own /kelos_entrypoint.sh\n',
    );
  });

  test('no prompt is a usage error', () => {
    const w = ws();
    const r = runEntrypoint(w, [], baseEnv(w, 'codex'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('kelos-entrypoint: missing prompt (the first argument)\n');
  });

  test('with nothing to report, no termination message is written', () => {
    const w = ws();
    const r = runEntrypoint(
      w,
      [PROMPT],
      { ...baseEnv(w, 'codex'), STANDIN_STREAM: 'empty', STANDIN_NO_COMMIT: '1' },
      w.home,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(existsSync(w.terminationLog)).toBe(false);
  });
});

describe('entrypoint: setup command', () => {
  test('runs before the agent in the repository, between banners on stderr', () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'codex'),
      KELOS_SETUP_COMMAND: JSON.stringify(['sh', '-c', 'echo "setup in $(pwd)"; echo prepared > SETUP.txt']),
      STANDIN_NO_COMMIT: '1',
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `---KELOS_SETUP_COMMAND_START---\nsetup in ${w.repo}\n---KELOS_SETUP_COMMAND_DONE---\n`,
    );
    expect(readText(join(w.repo, 'SETUP.txt'))).toBe('prepared\n');
    expect(r.stdout.startsWith(stream('codex'))).toBe(true);
  });

  test('runs without a shell: arguments are passed verbatim', () => {
    const w = ws();
    runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'codex'),
      KELOS_SETUP_COMMAND: JSON.stringify(['touch', '$(echo pwned)', 'a;b']),
      STANDIN_NO_COMMIT: '1',
    });
    expect(existsSync(join(w.repo, '$(echo pwned)'))).toBe(true);
    expect(existsSync(join(w.repo, 'a;b'))).toBe(true);
  });

  test('a failing setup command fails the Task with its exit code and the agent never runs', () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'codex'),
      KELOS_SETUP_COMMAND: '["sh","-c","echo broken >&2; exit 7"]',
    });
    expect(r.code).toBe(7);
    expect(r.stderr).toBe(
      '---KELOS_SETUP_COMMAND_START---\nbroken\n---KELOS_SETUP_COMMAND_FAILED--- exit=7\n',
    );
    expect(existsSync(join(w.log, 'codex.argv'))).toBe(false);
    expect(r.stdout).toBe('');
  });

  test('tools it installs into $HOME/.local/bin are on the PATH of later steps', () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'codex'),
      KELOS_SETUP_COMMAND: JSON.stringify([
        'sh',
        '-c',
        'mkdir -p "$HOME/.local/bin" && printf "#!/bin/sh\\necho from-local-bin\\n" > "$HOME/.local/bin/mytool" && chmod +x "$HOME/.local/bin/mytool"',
      ]),
      STANDIN_NO_COMMIT: '1',
    });
    expect(r.code).toBe(0);
    const second = runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'codex'),
      KELOS_SETUP_COMMAND: '["mytool"]',
      STANDIN_NO_COMMIT: '1',
    });
    expect(second.stderr).toBe(
      '---KELOS_SETUP_COMMAND_START---\nfrom-local-bin\n---KELOS_SETUP_COMMAND_DONE---\n',
    );
  });

  test('a setup command that cannot be started fails with 127', () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'codex'),
      KELOS_SETUP_COMMAND: '["no-such-tool","--x"]',
    });
    expect(r.code).toBe(127);
    expect(r.stderr).toBe(
      '---KELOS_SETUP_COMMAND_START---\nspawn no-such-tool ENOENT\n---KELOS_SETUP_COMMAND_FAILED--- exit=127\n',
    );
  });

  test('a malformed setup command fails', () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], { ...baseEnv(w, 'codex'), KELOS_SETUP_COMMAND: '"make"' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      '---KELOS_SETUP_COMMAND_FAILED--- exit=1\nKELOS_SETUP_COMMAND must be a non-empty JSON array of strings\n',
    );
  });
});

describe('entrypoint: instructions and MCP servers', () => {
  test('writes agentsMD where Claude Code reads it, after existing instructions', () => {
    const w = ws();
    mkdirSync(join(w.home, '.claude'));
    writeFileSync(join(w.home, '.claude', 'CLAUDE.md'), 'Image defaults.\n');
    runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'claude-code'),
      KELOS_AGENTS_MD: 'Be brief.',
      STANDIN_NO_COMMIT: '1',
    });
    expect(readText(join(w.home, '.claude', 'CLAUDE.md'))).toBe('Image defaults.\n\nBe brief.');
  });

  test('prefers the agentsMD file from the ConfigMap', () => {
    const w = ws();
    writeFileSync(join(w.dir, 'agents.md'), 'From the file.');
    runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'codex'),
      KELOS_AGENTS_MD: 'From env.',
      KELOS_AGENTS_MD_FILE: join(w.dir, 'agents.md'),
      STANDIN_NO_COMMIT: '1',
    });
    expect(readText(join(w.home, '.codex', 'AGENTS.md'))).toBe('From the file.');
  });

  test.each([
    ['gemini', '.gemini/GEMINI.md'],
    ['opencode', '.config/opencode/AGENTS.md'],
    ['cursor', '.cursor/AGENTS.md'],
  ])('writes agentsMD for %s to ~/%s', (agent, path) => {
    const w = ws();
    runEntrypoint(w, [PROMPT], { ...baseEnv(w, agent), KELOS_AGENTS_MD: 'Rules.', STANDIN_NO_COMMIT: '1' });
    expect(readText(join(w.home, path))).toBe('Rules.');
  });

  test('writes MCP servers into ~/.claude.json with secrets resolved from env and mounted files', () => {
    const w = ws();
    const headers = join(w.dir, 'mcp-0-headers');
    mkdirSync(headers);
    writeFileSync(join(headers, 'Authorization'), 'Bearer from-secret\n');
    writeFileSync(
      join(w.home, '.claude.json'),
      JSON.stringify({ numStartups: 3, mcpServers: { keep: { type: 'stdio', command: 'x' } } }),
    );
    const doc = {
      mcpServers: {
        github: {
          type: 'stdio',
          command: 'github-mcp',
          args: ['--stdio'],
          env: { TOKEN: placeholder(0), MODE: 'ro', OPT: placeholder(1) },
        },
        docs: {
          type: 'http',
          url: 'https://mcp.example/docs',
          headers: { Authorization: 'inline', 'X-Team': 'a' },
          headersFrom: headers,
        },
      },
    };
    const r = runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'claude-code'),
      KELOS_MCP_SERVERS: JSON.stringify(doc),
      KELOS_MCP_SECRET_0: 'ghp_secret',
      STANDIN_NO_COMMIT: '1',
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(readText(join(w.home, '.claude.json')))).toEqual({
      numStartups: 3,
      mcpServers: {
        keep: { type: 'stdio', command: 'x' },
        github: {
          type: 'stdio',
          command: 'github-mcp',
          args: ['--stdio'],
          env: { TOKEN: 'ghp_secret', MODE: 'ro' },
        },
        docs: {
          type: 'http',
          url: 'https://mcp.example/docs',
          headers: { Authorization: 'Bearer from-secret', 'X-Team': 'a' },
        },
      },
    });
  });

  test('leaves a broken agent configuration file alone and still runs the agent', () => {
    const w = ws();
    writeFileSync(join(w.home, '.claude.json'), '{broken');
    const r = runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'claude-code'),
      KELOS_MCP_SERVERS: JSON.stringify({ mcpServers: { fs: { type: 'stdio', command: 'x' } } }),
      STANDIN_NO_COMMIT: '1',
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^kelos-entrypoint: cannot add MCP servers to .*\.claude\.json: /);
    expect(readText(join(w.home, '.claude.json'))).toBe('{broken');
  });

  test('writes MCP servers into codex config.toml', () => {
    const w = ws();
    runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'codex'),
      KELOS_MCP_SERVERS: JSON.stringify({
        mcpServers: {
          fs: { type: 'stdio', command: 'npx', args: ['-y', '@mcp/fs'], env: { ROOT: '/workspace' } },
        },
      }),
      STANDIN_NO_COMMIT: '1',
    });
    expect(readText(join(w.home, '.codex', 'config.toml'))).toBe(
      '[mcp_servers."fs"]\ncommand = "npx"\nargs = ["-y", "@mcp/fs"]\nenv = { "ROOT" = "/workspace" }\n',
    );
  });

  test('loads every plugin directory into Claude Code', () => {
    const w = ws();
    const plugins = join(w.dir, 'plugin');
    mkdirSync(join(plugins, 'review', 'skills', 'lint'), { recursive: true });
    mkdirSync(join(plugins, 'skills-sh', 'skills'), { recursive: true });
    mkdirSync(join(plugins, '.skills-home'), { recursive: true });
    runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'claude-code'),
      KELOS_PLUGIN_DIR: plugins,
      STANDIN_NO_COMMIT: '1',
    });
    expect(recordedArgv(w, 'claude-code').slice(6)).toEqual([
      '--plugin-dir',
      join(plugins, 'review'),
      '--plugin-dir',
      join(plugins, 'skills-sh'),
    ]);
  });

  test('copies plugin skills into $CODEX_HOME/skills for codex', () => {
    const w = ws();
    const plugins = join(w.dir, 'plugin');
    mkdirSync(join(plugins, 'review', 'skills', 'lint'), { recursive: true });
    writeFileSync(join(plugins, 'review', 'skills', 'lint', 'SKILL.md'), 'Lint.');
    const codexHome = join(w.dir, 'codex-home');
    runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'codex'),
      KELOS_PLUGIN_DIR: plugins,
      CODEX_HOME: codexHome,
      STANDIN_NO_COMMIT: '1',
    });
    expect(readFileSync(join(codexHome, 'skills', 'lint', 'SKILL.md'), 'utf8')).toBe('Lint.');
  });
});

describe('entrypoint: pull requests', () => {
  test('asks gh on origin and on the upstream repository', () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'codex'),
      KELOS_UPSTREAM_REPO: 'upstream-org/widgets',
      STANDIN_PRS: '[]',
      STANDIN_UPSTREAM_PRS: '[{"url":"https://github.com/upstream-org/widgets/pull/7"}]',
    });
    expect(r.code).toBe(0);
    expect(readText(join(w.log, 'gh.calls'))).toBe(
      'pr list --head kelos/fix --json url\npr list --head kelos/fix --json url --repo upstream-org/widgets\n',
    );
    expect(readText(w.terminationLog)).toContain(
      'branch: kelos/fix\npr: https://github.com/upstream-org/widgets/pull/7\ncommit: ',
    );
  });

  test('when gh cannot answer, keeps PR URLs of this repository that the agent printed', () => {
    const w = ws();
    git(w.repo, 'remote', 'set-url', 'origin', `file://${w.remote}`);
    const r = runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'claude-code'),
      STANDIN_GH_FAIL: '1',
      KELOS_UPSTREAM_REPO: 'acme/widgets',
    });
    expect(r.code).toBe(0);
    expect(readText(w.terminationLog)).toContain(
      'branch: kelos/fix\npr: https://github.com/acme/widgets/pull/42\ncommit: ',
    );
  });

  test('ignores PR URLs of other repositories when gh cannot answer', () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], {
      ...baseEnv(w, 'claude-code'),
      STANDIN_GH_FAIL: '1',
      KELOS_UPSTREAM_REPO: 'other/repo',
    });
    expect(r.code).toBe(0);
    expect(readText(w.terminationLog)).not.toContain('pr: ');
  });
});

describe('entrypoint: outside a repository', () => {
  test('reports only usage and the base branch from the environment', () => {
    const w = ws();
    const r = runEntrypoint(w, [PROMPT], { ...baseEnv(w, 'gemini'), KELOS_BASE_BRANCH: 'develop' }, w.home);
    expect(r.code).toBe(0);
    expect(readText(w.terminationLog)).toBe(
      block(
        'base-branch: develop',
        'input-tokens: 8000',
        'output-tokens: 3200',
        `response: ${b64('Fixed the test and committed it.')}`,
      ),
    );
  });
});
