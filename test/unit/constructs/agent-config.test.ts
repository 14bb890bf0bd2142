import { describe, expect, test } from 'vitest';
import { AgentConfig } from '../../../constructs/index.ts';
import { chart, synth, thrown } from './helpers.ts';

describe('AgentConfig', () => {
  test('renders its spec', () => {
    const c = chart();
    new AgentConfig(c, 'cfg', {
      metadata: { name: 'cfg' },
      agentsMD: '- be brief',
      plugins: [{ name: 'review', skills: [{ name: 'review', content: 'Review the diff.' }] }],
      skills: [{ source: 'acme/skills', skill: 'lint' }],
      mcpServers: [
        { name: 'fs', type: 'stdio', command: 'mcp-fs', args: ['/workspace'] },
        {
          name: 'docs',
          type: 'http',
          url: 'https://mcp.example.com',
          headersFrom: { secretRef: { name: 'docs-mcp' } },
        },
      ],
    });
    expect(synth(c)).toStrictEqual([
      {
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'AgentConfig',
        metadata: { name: 'cfg' },
        spec: {
          agentsMD: '- be brief',
          mcpServers: [
            { args: ['/workspace'], command: 'mcp-fs', name: 'fs', type: 'stdio' },
            {
              headersFrom: { secretRef: { name: 'docs-mcp' } },
              name: 'docs',
              type: 'http',
              url: 'https://mcp.example.com',
            },
          ],
          plugins: [{ name: 'review', skills: [{ content: 'Review the diff.', name: 'review' }] }],
          skills: [{ skill: 'lint', source: 'acme/skills' }],
        },
      },
    ]);
  });

  test('an empty AgentConfig renders an empty spec', () => {
    const c = chart();
    new AgentConfig(c, 'cfg', { metadata: { name: 'cfg' } });
    expect(synth(c)[0]?.['spec']).toStrictEqual({});
  });

  test('fromAgentConfigName stands in for an external AgentConfig', () => {
    const ref = AgentConfig.fromAgentConfigName(chart(), 'ext', 'shared');
    expect({ kind: ref.kind, name: ref.name }).toStrictEqual({ kind: 'AgentConfig', name: 'shared' });
  });

  test('rejects MCP servers without a command or url', () => {
    expect(
      thrown(
        () =>
          new AgentConfig(chart(), 'cfg', {
            metadata: { name: 'cfg' },
            mcpServers: [
              { name: 'a', type: 'stdio' },
              { name: 'b', type: 'sse' },
            ],
          }),
      ),
    ).toBe(
      [
        'AgentConfig cfg /spec/mcpServers/0: command is required when type is stdio',
        'AgentConfig cfg /spec/mcpServers/1: url is required when type is http or sse',
      ].join('\n'),
    );
  });
});
