/**
 * `kelos validate` and the operator's render judge podOverrides' volumeMounts alike: one table,
 * each row run through both, with every object the Task names in the bundle. Offline refuses a
 * subset, never more: the MCP Secret volumes, numbered after the render's merge, are its alone.
 */
import { describe, expect, it } from 'vitest';
import type { AgentConfig, Workspace } from '../../../src/api/object.ts';
import { validateDocuments } from '../../../src/validate/index.ts';
import { documentFromObject } from '../../../src/validate/load.ts';
import { makeAgentConfig, makeWorkspace, render, withWorker } from '../render/fixtures.ts';

/** The offline code of each render code. */
const OFFLINE_CODE: Record<string, string> = {
  'render/volume-mount-unknown': 'pod/volume-mount',
  'render/volume-mount-path': 'pod/mount-path',
};

interface Row {
  readonly name: string;
  readonly worker?: Record<string, unknown>;
  readonly workspace?: Workspace;
  readonly agentConfigs?: AgentConfig[];
  readonly volumes?: { name: string; emptyDir: Record<string, never> }[];
  readonly volumeMounts: { name: string; mountPath: string; subPath?: string }[];
  /** The mounts the render refuses: `<index> <render code>`. */
  readonly refused: string[];
  /**
   * The ones offline refuses too, where it tells less: the MCP Secret volumes an AgentConfig's
   * server gives are numbered by the render's merge (see `podFactsOf`), so offline lets those be.
   *
   * @default refused
   */
  readonly offline?: string[];
}

const ws = { workspaceRef: { name: 'repo' } };
const withConfig = { agentConfigRefs: [{ name: 'cfg' }] };

const ROWS: Row[] = [
  {
    name: 'no Workspace: no token volume',
    volumeMounts: [{ name: 'kelos-github-token', mountPath: '/t' }],
    refused: ['0 render/volume-mount-unknown'],
  },
  {
    name: 'a Workspace without credentials: no token volume',
    worker: ws,
    workspace: makeWorkspace(),
    volumeMounts: [{ name: 'kelos-github-token', mountPath: '/t' }],
    refused: ['0 render/volume-mount-unknown'],
  },
  {
    name: 'a Workspace with credentials: the token volume, at its own path taken',
    worker: ws,
    workspace: makeWorkspace({ secretRef: { name: 'gh' } }),
    volumeMounts: [
      { name: 'kelos-github-token', mountPath: '/t' },
      { name: 'kelos-tmp', mountPath: '/kelos/github-token' },
    ],
    refused: ['1 render/volume-mount-path'],
  },
  {
    name: 'a Workspace: its mount path taken, below it free, no ConfigMap without files',
    worker: ws,
    workspace: makeWorkspace(),
    volumeMounts: [
      { name: 'workspace', mountPath: '/workspace', subPath: 'x' },
      { name: 'workspace', mountPath: '/workspace/cache', subPath: 'cache' },
      { name: 'kelos-config', mountPath: '/c' },
    ],
    refused: ['0 render/volume-mount-path', '2 render/volume-mount-unknown'],
  },
  {
    name: 'Workspace files: the ConfigMap volume',
    worker: ws,
    workspace: makeWorkspace({ files: [{ path: 'a.txt', content: 'a' }] }),
    volumeMounts: [
      { name: 'kelos-config', mountPath: '/c' },
      { name: 'kelos-tmp', mountPath: '/kelos/config' },
    ],
    refused: ['1 render/volume-mount-path'],
  },
  {
    name: 'no Workspace, no AgentConfigs: /workspace is free, the termination message is not',
    volumes: [{ name: 'v', emptyDir: {} }],
    volumeMounts: [
      { name: 'v', mountPath: '/workspace' },
      { name: 'v', mountPath: '/dev/termination-log', subPath: 'x' },
      { name: 'kelos-plugin', mountPath: '/p' },
      { name: 'kelos-tmp', mountPath: '/t' },
    ],
    refused: ['1 render/volume-mount-path', '2 render/volume-mount-unknown', '3 render/volume-mount-unknown'],
  },
  {
    name: 'an AgentConfig with agentsMD only: config, no plugin directory, no init containers',
    worker: withConfig,
    agentConfigs: [makeAgentConfig('cfg', { agentsMD: 'Be brief.' })],
    volumeMounts: [
      { name: 'kelos-config', mountPath: '/c' },
      { name: 'kelos-plugin', mountPath: '/p' },
      { name: 'kelos-tmp', mountPath: '/t' },
    ],
    refused: ['1 render/volume-mount-unknown', '2 render/volume-mount-unknown'],
  },
  {
    name: 'a plugin with a skill: the plugin directory and init containers',
    worker: withConfig,
    agentConfigs: [
      makeAgentConfig('cfg', { plugins: [{ name: 'team', skills: [{ name: 'review', content: 'x' }] }] }),
    ],
    volumeMounts: [
      { name: 'kelos-tmp', mountPath: '/kelos/plugin' },
      { name: 'kelos-plugin', mountPath: '/p' },
    ],
    refused: ['0 render/volume-mount-path'],
  },
  {
    name: 'skills in one AgentConfig, agentsMD in another: the plugin directory and the ConfigMap',
    worker: { agentConfigRefs: [{ name: 'cfg' }, { name: 'more' }] },
    agentConfigs: [
      makeAgentConfig('cfg', { skills: [{ source: 'acme/skills' }] }),
      makeAgentConfig('more', { agentsMD: 'Be brief.' }),
    ],
    volumeMounts: [
      { name: 'kelos-plugin', mountPath: '/p' },
      { name: 'kelos-tmp', mountPath: '/kelos/config' },
      { name: 'kelos-config', mountPath: '/c' },
      { name: 'kelos-github-token', mountPath: '/t' },
    ],
    refused: ['1 render/volume-mount-path', '3 render/volume-mount-unknown'],
  },
  {
    name: 'MCP servers that read no Secret: the ConfigMap, no MCP Secret volume',
    worker: withConfig,
    agentConfigs: [
      makeAgentConfig('cfg', {
        mcpServers: [{ name: 'a', type: 'http', url: 'https://a.example', headers: { x: 'y' } }],
      }),
    ],
    volumeMounts: [
      { name: 'kelos-mcp-0-headers', mountPath: '/h' },
      { name: 'kelos-tmp', mountPath: '/t' },
      { name: 'kelos-config', mountPath: '/c' },
    ],
    refused: ['0 render/volume-mount-unknown', '1 render/volume-mount-unknown'],
  },
  {
    name: 'a built-in path spelt otherwise is the same path: the runtime cleans it',
    worker: ws,
    workspace: makeWorkspace(),
    volumes: [{ name: 'v', emptyDir: {} }],
    volumeMounts: [
      { name: 'v', mountPath: '/workspace/' },
      { name: 'v', mountPath: '/workspace/.' },
      { name: 'v', mountPath: '//workspace' },
      { name: 'v', mountPath: '/workspace/../dev/termination-log' },
      { name: 'v', mountPath: '/workspace/repo/' },
    ],
    refused: [
      '0 render/volume-mount-path',
      '1 render/volume-mount-path',
      '2 render/volume-mount-path',
      '3 render/volume-mount-path',
    ],
  },
  {
    name: 'the plugin directory with a trailing slash',
    worker: withConfig,
    agentConfigs: [
      makeAgentConfig('cfg', { plugins: [{ name: 'team', skills: [{ name: 'review', content: 'x' }] }] }),
    ],
    volumeMounts: [{ name: 'kelos-tmp', mountPath: '/kelos/plugin/' }],
    refused: ['0 render/volume-mount-path'],
  },
  {
    name: "two of the user's own mounts that clean to one path",
    volumes: [{ name: 'v', emptyDir: {} }],
    volumeMounts: [
      { name: 'v', mountPath: '/data' },
      { name: 'v', mountPath: '/data/', subPath: 'x' },
      { name: 'v', mountPath: '/srv/./data' },
      { name: 'v', mountPath: '/srv//data/', subPath: 'y' },
    ],
    refused: ['1 render/volume-mount-path', '3 render/volume-mount-path'],
  },
  {
    name: 'MCP servers: a Secret volume per headersFrom and envFrom, numbered by place',
    worker: withConfig,
    agentConfigs: [
      makeAgentConfig('cfg', {
        mcpServers: [
          { name: 'a', type: 'http', url: 'https://a.example', headersFrom: { secretRef: { name: 'h' } } },
          { name: 'b', type: 'stdio', command: 'b', envFrom: { secretRef: { name: 'e' } } },
        ],
      }),
    ],
    volumeMounts: [
      { name: 'kelos-mcp-0-headers', mountPath: '/h' },
      { name: 'kelos-mcp-1-env', mountPath: '/kelos/mcp/0/headers' },
      { name: 'kelos-mcp-0-env', mountPath: '/e' },
    ],
    refused: ['1 render/volume-mount-path', '2 render/volume-mount-unknown'],
    offline: [],
  },
];

describe('offline and the render agree on podOverrides volumeMounts', () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const task = withWorker({
        ...row.worker,
        podOverrides: { ...(row.volumes ? { volumes: row.volumes } : {}), volumeMounts: row.volumeMounts },
      });
      const rendered = render({
        task,
        ...(row.workspace ? { workspace: row.workspace } : {}),
        agentConfigs: row.agentConfigs ?? [],
      });
      const renderSide = rendered.errors.map((e) => ({
        at: `${e.path.split('/')[5]} ${e.code}`,
        code: OFFLINE_CODE[e.code] ?? e.code,
        path: e.path,
        message: e.message,
      }));
      expect(renderSide.map((e) => e.at)).toEqual(row.refused);
      const offlineSide = renderSide.filter((e) => (row.offline ?? row.refused).includes(e.at));

      const bundle = [task, ...(row.workspace ? [row.workspace] : []), ...(row.agentConfigs ?? [])];
      const offline = validateDocuments(
        bundle.map((o, i) => documentFromObject(o as unknown as Record<string, unknown>, 'b.yaml', i)),
      ).filter((d) => d.code.startsWith('pod/'));
      expect(offline.map((d) => [d.code, d.path]).sort()).toEqual(
        offlineSide.map((e) => [e.code, e.path]).sort(),
      );
      // The same words: offline says what the render says, then what it means at run time.
      for (const e of offlineSide) {
        expect(offline.find((d) => d.path === e.path)?.message).toMatch(
          new RegExp(`^${e.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; `),
        );
      }
    });
  }
});
