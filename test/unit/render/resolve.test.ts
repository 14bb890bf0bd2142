import { describe, expect, test } from 'vitest';
import { mergeAgentConfigs } from '../../../src/render/agent-config.ts';
import {
  resolveAgentConfigRefs,
  resolveAgentType,
  resolveCredentials,
  resolveEffort,
  resolveImage,
  resolveModel,
  resolvePodOverrides,
  resolveWorkspaceRef,
} from '../../../src/render/resolve.ts';
import { makeTask } from './fixtures.ts';

describe('resolve helpers', () => {
  test('prefer spec.worker over the deprecated top-level field and say where the value came from', () => {
    const task = makeTask({
      worker: { type: 'codex', model: 'worker-model', credentials: { type: 'none' } },
      model: 'legacy-model',
      effort: 'legacy-effort',
    });
    expect(resolveModel(task)).toEqual({ value: 'worker-model', path: '/spec/worker/model' });
    expect(resolveEffort(task)).toEqual({ value: 'legacy-effort', path: '/spec/effort' });
    expect(resolveAgentType(task)).toEqual({ value: 'codex', path: '/spec/worker/type' });
  });

  test('treat empty strings and empty lists as unset', () => {
    const task = makeTask({
      worker: { type: '', image: '', agentConfigRefs: [] },
      type: 'gemini',
      image: 'legacy/image',
      agentConfigRefs: [{ name: 'a' }],
    });
    expect(resolveAgentType(task)?.value).toBe('gemini');
    expect(resolveImage(task)).toEqual({ value: 'legacy/image', path: '/spec/image' });
    expect(resolveAgentConfigRefs(task)).toEqual({ value: [{ name: 'a' }], path: '/spec/agentConfigRefs' });
  });

  test('return undefined when neither form is set', () => {
    const task = makeTask({ worker: { type: 'cursor', credentials: { type: 'none' } } });
    expect([
      resolveWorkspaceRef(task),
      resolvePodOverrides(task),
      resolveImage(task),
      resolveModel(task),
    ]).toEqual([undefined, undefined, undefined, undefined]);
    expect(resolveCredentials(task)).toEqual({ value: { type: 'none' }, path: '/spec/worker/credentials' });
  });
});

describe('mergeAgentConfigs', () => {
  test('joins instructions, appends plugins and skills, replaces MCP servers by name in place', () => {
    const merged = mergeAgentConfigs([
      {
        name: 'a',
        spec: {
          agentsMD: 'A',
          plugins: [{ name: 'p1' }],
          skills: [{ source: 's/1' }],
          mcpServers: [
            { name: 'x', type: 'stdio', command: 'old' },
            { name: 'y', type: 'stdio', command: 'y' },
          ],
        },
      },
      { name: 'empty', spec: {} },
      {
        name: 'b',
        spec: {
          agentsMD: 'B',
          plugins: [{ name: 'p2' }],
          mcpServers: [{ name: 'x', type: 'http', url: 'https://new' }],
        },
      },
    ]);
    expect(merged.agentsMD).toBe('A\n\nB');
    expect(merged.plugins.map((p) => [p.plugin.name, p.config, p.path])).toEqual([
      ['p1', 'a', '/spec/plugins/0'],
      ['p2', 'b', '/spec/plugins/0'],
    ]);
    expect(merged.skills.map((s) => s.skill.source)).toEqual(['s/1']);
    expect(merged.mcpServers.map((m) => [m.server.name, m.config, m.server.type])).toEqual([
      ['x', 'b', 'http'],
      ['y', 'a', 'stdio'],
    ]);
  });

  test('has no agentsMD when no config has instructions', () => {
    expect(mergeAgentConfigs([{ name: 'a', spec: { plugins: [] } }]).agentsMD).toBeUndefined();
  });
});
