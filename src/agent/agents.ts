/**
 * What differs between the agent CLIs inside an agent image: the command line that runs
 * one prompt headless with permission prompts disabled (the Pod is the sandbox), and
 * where each reads user-level instructions (agentsMD).
 *
 * @packageDocumentation
 */
import { join } from 'node:path';
import type { AgentType } from '../contract/pod.ts';

/** A command to run. */
export interface Command {
  readonly command: string;
  readonly args: string[];
}

/** What the command line depends on. */
export interface CommandInput {
  readonly prompt: string;
  readonly model?: string;
  readonly effort?: string;
  /** Plugin directories to load (Claude Code `--plugin-dir`). */
  readonly pluginDirs?: readonly string[];
}

/**
 * The command line per agent type (reference §6), printing the agent's JSON stream on
 * stdout. Undefined for an unknown type: a custom image must then bring its own
 * entrypoint.
 */
export const agentCommand = (agentType: string, input: CommandInput): Command | undefined => {
  const { prompt, model, effort } = input;
  const m = model ? ['--model', model] : [];
  switch (agentType as AgentType) {
    case 'claude-code':
      return {
        command: 'claude',
        args: [
          '--dangerously-skip-permissions',
          '--output-format',
          'stream-json',
          '--verbose',
          '-p',
          prompt,
          ...m,
          ...(effort ? ['--effort', effort] : []),
          ...(input.pluginDirs ?? []).flatMap((d) => ['--plugin-dir', d]),
        ],
      };
    case 'codex':
      return {
        command: 'codex',
        args: [
          'exec',
          '--dangerously-bypass-approvals-and-sandbox',
          '--json',
          prompt,
          ...m,
          ...(effort ? ['--config', `model_reasoning_effort="${effort}"`] : []),
        ],
      };
    case 'gemini':
      return { command: 'gemini', args: ['--yolo', '--output-format', 'stream-json', '-p', prompt, ...m] };
    case 'opencode':
      return { command: 'opencode', args: ['run', '--format', 'json', '--auto', prompt, ...m] };
    case 'cursor':
      return {
        command: 'agent',
        args: [
          '-p',
          '--force',
          '--trust',
          '--sandbox',
          'disabled',
          '--output-format',
          'stream-json',
          prompt,
          ...m,
        ],
      };
    default:
      return undefined;
  }
};

/** Where an agent reads user-level instructions, honouring its config-dir variables. */
export const agentsMdPath = (agentType: string, home: string, env: NodeJS.ProcessEnv): string | undefined => {
  switch (agentType as AgentType) {
    case 'claude-code':
      return join(env.CLAUDE_CONFIG_DIR || join(home, '.claude'), 'CLAUDE.md');
    case 'codex':
      return join(env.CODEX_HOME || join(home, '.codex'), 'AGENTS.md');
    case 'gemini':
      return join(home, '.gemini', 'GEMINI.md');
    case 'opencode':
      return join(env.OPENCODE_CONFIG_DIR || join(home, '.config', 'opencode'), 'AGENTS.md');
    case 'cursor':
      return join(home, '.cursor', 'AGENTS.md');
    default:
      return undefined;
  }
};
