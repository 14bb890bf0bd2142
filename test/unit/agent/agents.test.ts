import { describe, expect, test } from 'vitest';
import { agentCommand, agentsMdPath } from '../../../src/agent/agents.ts';

describe('agentsMdPath', () => {
  test.each([
    ['claude-code', {}, '/h/.claude/CLAUDE.md'],
    ['claude-code', { CLAUDE_CONFIG_DIR: '/cfg' }, '/cfg/CLAUDE.md'],
    ['codex', {}, '/h/.codex/AGENTS.md'],
    ['codex', { CODEX_HOME: '/codex' }, '/codex/AGENTS.md'],
    ['gemini', {}, '/h/.gemini/GEMINI.md'],
    ['opencode', {}, '/h/.config/opencode/AGENTS.md'],
    ['opencode', { OPENCODE_CONFIG_DIR: '/oc' }, '/oc/AGENTS.md'],
    ['cursor', {}, '/h/.cursor/AGENTS.md'],
    ['aider', {}, undefined],
  ])('%s with %o → %s', (type, env, want) => {
    expect(agentsMdPath(type, '/h', env)).toBe(want);
  });
});

describe('agentCommand', () => {
  test('keeps the prompt one argument, whatever it contains', () => {
    const prompt = '--model evil; $(rm -rf /) "quoted"\nnext line';
    for (const type of ['claude-code', 'codex', 'gemini', 'opencode', 'cursor']) {
      expect(agentCommand(type, { prompt })?.args.filter((a) => a === prompt)).toHaveLength(1);
    }
  });

  test('omits model and effort flags when unset', () => {
    expect(agentCommand('gemini', { prompt: 'p' })).toEqual({
      command: 'gemini',
      args: ['--yolo', '--output-format', 'stream-json', '-p', 'p'],
    });
  });

  test('has no command for unknown agent types', () => {
    expect(agentCommand('aider', { prompt: 'p' })).toBeUndefined();
  });
});
