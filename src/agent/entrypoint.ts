/**
 * The agent image entrypoint (`/kelos_entrypoint.sh` runs it with the prompt as `$1`):
 *
 * 1. runs the Workspace setup command (`KELOS_SETUP_COMMAND`, a JSON array, exec form, no
 *    shell) in the repository, between banners on stderr, failing the Task on non-zero;
 * 2. writes agentsMD where the agent reads user-level instructions;
 * 3. writes MCP servers into the agent's own configuration, secrets resolved here;
 * 4. runs the agent CLI headless with the prompt, its stdout passing through capture;
 * 5. reports branch, commit, pull requests, usage and the final message as the marker
 *    block on stdout and as the termination message.
 *
 * It exits with the agent's exit code, or 1 when Claude Code reported an incomplete run.
 *
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { type AgentType, ENTRYPOINT_PATH, Env } from '../contract/pod.ts';
import { SetupBanners } from '../contract/setup.ts';
import { agentCommand, agentsMdPath } from './agents.ts';
import { finishCapture, StreamTap } from './capture.ts';
import {
  claudeConfig,
  codexConfig,
  cursorConfig,
  geminiSettings,
  type McpServer,
  opencodeConfig,
  resolveMcpServers,
} from './mcp-config.ts';

/** Where the entrypoint runs and writes. */
export interface EntrypointIo {
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

const exitCodeOf = (code: number | null, signal: NodeJS.Signals | null): number => {
  if (code !== null) return code;
  const signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return 128 + (signal ? (signals[signal] ?? 1) : 1);
};

/** PATH with `$HOME/.local/bin` first, so tools a setup command installs there are found. */
export const agentPath = (env: NodeJS.ProcessEnv, home: string): string => {
  const local = join(home, '.local', 'bin');
  const parts = (env.PATH ?? '').split(':').filter((p) => p !== '' && p !== local);
  return [local, ...parts].join(':');
};

/** Parses the setup command (`KELOS_SETUP_COMMAND`): a non-empty JSON array of strings. */
export const parseSetupCommand = (raw: string): string[] => {
  const v: unknown = JSON.parse(raw);
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string')) {
    throw new Error(`${Env.SetupCommand} must be a non-empty JSON array of strings`);
  }
  return v as string[];
};

/** Runs the setup command (if any); returns its exit code (0 when there is none). */
export const runSetupCommand = (io: EntrypointIo, env: NodeJS.ProcessEnv): Promise<number> => {
  const raw = io.env[Env.SetupCommand];
  if (!raw) return Promise.resolve(0);
  let argv: string[];
  try {
    argv = parseSetupCommand(raw);
  } catch (e) {
    io.stderr.write(`${SetupBanners.Failed} exit=1\n${(e as Error).message}\n`);
    return Promise.resolve(1);
  }
  io.stderr.write(`${SetupBanners.Start}\n`);
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: io.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    // The agent's JSON stream owns stdout; setup output goes to stderr.
    child.stdout.on('data', (c: Buffer) => io.stderr.write(c));
    child.stderr.on('data', (c: Buffer) => io.stderr.write(c));
    let failedToStart = false;
    child.on('error', (e) => {
      failedToStart = true;
      io.stderr.write(`${e.message}\n`);
    });
    child.on('close', (code, signal) => {
      const rc = failedToStart ? 127 : exitCodeOf(code, signal);
      io.stderr.write(rc === 0 ? `${SetupBanners.Done}\n` : `${SetupBanners.Failed} exit=${rc}\n`);
      resolve(rc);
    });
  });
};

const readOptional = (path: string | undefined): string | undefined => {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

const writeFile = (path: string, text: string): void => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};

/** Writes agentsMD where the agent reads it; appended after existing user instructions. */
export const writeAgentsMd = (
  agentType: string,
  home: string,
  env: NodeJS.ProcessEnv,
): string | undefined => {
  const content = readOptional(env[Env.AgentsMDFile]) ?? env[Env.AgentsMD];
  const path = agentsMdPath(agentType, home, env);
  if (!content || !path) return undefined;
  const existing = readOptional(path);
  writeFile(path, existing ? `${existing.replace(/\n*$/, '')}\n\n${content}` : content);
  return path;
};

/** Writes the MCP servers into the agent's configuration; returns the files written. */
export const writeMcpConfig = (
  agentType: string,
  home: string,
  env: NodeJS.ProcessEnv,
  stderr: Writable,
): string[] => {
  const raw = readOptional(env[Env.McpServersFile]) ?? env[Env.McpServers];
  if (!raw) return [];
  let servers: McpServer[];
  try {
    servers = resolveMcpServers(JSON.parse(raw), env);
  } catch (e) {
    stderr.write(`kelos-entrypoint: ignoring unreadable MCP server document: ${(e as Error).message}\n`);
    return [];
  }
  if (servers.length === 0) return [];
  const merge = (path: string, fn: (existing: string | undefined) => string): string[] => {
    try {
      writeFile(path, fn(readOptional(path)));
      return [path];
    } catch (e) {
      // A configuration file the image ships broken is left as it is; the agent runs without our servers.
      stderr.write(`kelos-entrypoint: cannot add MCP servers to ${path}: ${(e as Error).message}\n`);
      return [];
    }
  };
  switch (agentType as AgentType) {
    case 'claude-code':
      return merge(join(env.CLAUDE_CONFIG_DIR || home, '.claude.json'), (t) => claudeConfig(t, servers));
    case 'gemini':
      return merge(join(home, '.gemini', 'settings.json'), (t) => geminiSettings(t, servers));
    case 'cursor':
      return merge(join(home, '.cursor', 'mcp.json'), (t) => cursorConfig(t, servers));
    case 'opencode':
      return merge(join(env.OPENCODE_CONFIG_DIR || join(home, '.config', 'opencode'), 'opencode.json'), (t) =>
        opencodeConfig(t, servers),
      );
    case 'codex': {
      const path = join(env.CODEX_HOME || join(home, '.codex'), 'config.toml');
      const { text, skipped } = codexConfig(readOptional(path), servers);
      for (const s of skipped)
        stderr.write(`kelos-entrypoint: MCP server ${s.name} not added for codex: ${s.reason}\n`);
      writeFile(path, text);
      return [path];
    }
    default:
      return [];
  }
};

/** Plugin directories under `$KELOS_PLUGIN_DIR` (hidden ones, such as the skills CLI home, excluded). */
export const pluginDirs = (env: NodeJS.ProcessEnv): string[] => {
  const root = env[Env.PluginDir];
  if (!root || !existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => !n.startsWith('.'))
    .sort()
    .map((n) => join(root, n))
    .filter((p) => statSync(p).isDirectory());
};

/** Codex reads skills from `$CODEX_HOME/skills`; copies every plugin's skills there. */
export const installCodexSkills = (home: string, env: NodeJS.ProcessEnv): void => {
  const target = join(env.CODEX_HOME || join(home, '.codex'), 'skills');
  for (const dir of pluginDirs(env)) {
    const skills = join(dir, 'skills');
    if (existsSync(skills)) cpSync(skills, target, { recursive: true, dereference: true });
  }
};

/** Runs the whole entrypoint; resolves with the exit code. */
export const runEntrypoint = async (io: EntrypointIo): Promise<number> => {
  const prompt = io.argv[0];
  const agentType = io.env[Env.AgentType] ?? '';
  if (prompt === undefined) {
    io.stderr.write('kelos-entrypoint: missing prompt (the first argument)\n');
    return 1;
  }
  const home = io.env.HOME || homedir();
  const env: NodeJS.ProcessEnv = { ...io.env, HOME: home, PATH: agentPath(io.env, home) };

  const setup = await runSetupCommand(io, env);
  if (setup !== 0) return setup;

  writeAgentsMd(agentType, home, env);
  writeMcpConfig(agentType, home, env, io.stderr);
  if (agentType === ('codex' satisfies AgentType)) installCodexSkills(home, env);

  const cmd = agentCommand(agentType, {
    prompt,
    ...(env[Env.Model] ? { model: env[Env.Model] } : {}),
    ...(env[Env.Effort] ? { effort: env[Env.Effort] } : {}),
    pluginDirs: agentType === ('claude-code' satisfies AgentType) ? pluginDirs(env) : [],
  });
  if (!cmd) {
    io.stderr.write(
      `kelos-entrypoint: agent type ${JSON.stringify(agentType)} has no built-in command; a custom image must provide its own ${ENTRYPOINT_PATH}\n`,
    );
    return 1;
  }

  const tap = new StreamTap(agentType, io.stdout);
  const agentExit = await new Promise<number>((resolve) => {
    const child = spawn(cmd.command, cmd.args, { cwd: io.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const onTerm = forward('SIGTERM');
    const onInt = forward('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    child.stdout.on('data', (c: Buffer) => tap.write(c));
    child.stderr.on('data', (c: Buffer) => io.stderr.write(c));
    let failedToStart = false;
    child.on('error', (e) => {
      // The command could not be started (ENOENT, EACCES): the shell convention is 127.
      failedToStart = true;
      io.stderr.write(`kelos-entrypoint: cannot run ${cmd.command}: ${e.message}\n`);
    });
    child.on('close', (code, signal) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(failedToStart ? 127 : exitCodeOf(code, signal));
    });
  });
  const report = tap.end();
  await finishCapture({
    cwd: io.cwd,
    env,
    report,
    streamPrUrls: tap.prUrls,
    stdout: io.stdout,
    stderr: io.stderr,
  });
  if (agentExit !== 0) return agentExit;
  if (report.failure) {
    io.stderr.write(`kelos-entrypoint: ${report.failure}\n`);
    return 1;
  }
  return 0;
};

if (import.meta.main) {
  process.exitCode = await runEntrypoint({
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
  });
}
