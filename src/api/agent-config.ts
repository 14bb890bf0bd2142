/**
 * AgentConfig: reusable instructions, plugins, skills and MCP servers for agents.
 *
 * The .d.ts of this file writes TypeBox's symbol keys ({@link Kind}, {@link Hint},
 * {@link OptionalKind}, {@link ReadonlyKind}); declaration emit can only name the ones imported here.
 *
 * @packageDocumentation
 */
// biome-ignore lint/correctness/noUnusedImports: declaration emit names TypeBox's symbol keys through these
import type { Hint, Kind, OptionalKind, ReadonlyKind } from '@sinclair/typebox';
import { SecretReferenceSchema } from './common.ts';
import type { AgentConfigSpec, McpServerSpec, PluginSpec, SkillsShSpec } from './generated/types.ts';
import { CATEGORY } from './group.ts';
import { k8sTypeSchema } from './k8s/index.ts';
import { type KindDefinition, list, obj, opt, str, strEnum, strList, strMap } from './schema.ts';

const namedContent = (what: string, path: string) =>
  obj(
    {
      name: str(`name of the ${what}; it becomes ${path}.`, { minLength: 1 }),
      content: str(`content of the ${what} in Markdown.`),
    },
    `A ${what} inside a plugin.`,
  );

export const PluginSpecSchema = obj(
  {
    name: str('name of the plugin directory; Claude Code namespaces its skills as <name>:<skill>.', {
      minLength: 1,
    }),
    skills: opt(list(namedContent('skill', '<plugin>/skills/<name>/SKILL.md'), 'skills in the plugin.')),
    agents: opt(
      list(namedContent('sub-agent', '<plugin>/agents/<name>.md'), 'agents (sub-agents) in the plugin.'),
    ),
  },
  'PluginSpec is a plugin of skills and sub-agents, written into the Pod before the agent starts.',
);

export const SkillsShSpecSchema = obj(
  {
    source: str('source is a skills package: owner/repo on skills.sh, or an HTTPS git URL.', {
      minLength: 1,
    }),
    skill: opt(str('skill installs one skill of the package instead of all of them.')),
    secretRef: opt({
      ...SecretReferenceSchema,
      description: 'secretRef names a Secret with GITHUB_TOKEN, for private packages.',
    }),
  },
  'SkillsShSpec is a skills package installed before the agent starts.',
);

const secretValues = (description: string) =>
  obj(
    {
      secretRef: {
        ...SecretReferenceSchema,
        description: 'secretRef names the Secret whose keys become the values.',
      },
    },
    description,
  );

export const McpServerSpecSchema = obj(
  {
    name: str(
      'name of the server in the agent configuration. A later AgentConfig replaces an earlier server of the same name.',
      {
        minLength: 1,
      },
    ),
    type: strEnum(
      ['stdio', 'http', 'sse'] as const,
      'type is the transport: stdio runs a command; http and sse connect to a URL.',
    ),
    command: opt(str('command runs the server (stdio only).')),
    args: opt(strList('args are passed to command (stdio only).')),
    url: opt(str('url of the server (http and sse only).')),
    headers: opt(strMap('headers are sent to the server (http and sse only). Use headersFrom for secrets.')),
    headersFrom: opt(
      secretValues(
        'headersFrom turns every key of a Secret into a header; it wins over headers. Values are mounted, never inlined.',
      ),
    ),
    env: opt(
      list(
        k8sTypeSchema('EnvVar'),
        'env is set for the server process. Only value and valueFrom.secretKeyRef or configMapKeyRef are honoured; secret values are referenced, never copied.',
      ),
    ),
    envFrom: opt(secretValues('envFrom turns every key of a Secret into an env var; it wins over env.')),
  },
  'McpServerSpec is a Model Context Protocol server made available to the agent.',
  {
    'x-kubernetes-validations': [
      {
        rule: "self.type != 'stdio' || (has(self.command) && size(self.command) > 0)",
        message: 'command is required when type is stdio',
      },
      {
        rule: "!(self.type == 'http' || self.type == 'sse') || (has(self.url) && size(self.url) > 0)",
        message: 'url is required when type is http or sse',
      },
    ],
  },
);

export const AgentConfigSpecSchema = obj(
  {
    agentsMD: opt(
      str(
        'agentsMD holds user-level instructions written where each agent reads them (~/.claude/CLAUDE.md, ~/.codex/AGENTS.md, …). Repository files are left alone.',
      ),
    ),
    plugins: opt(list(PluginSpecSchema, 'plugins are written into the Pod and loaded by the agent.')),
    skills: opt(
      list(SkillsShSpecSchema, 'skills are packages installed with the skills CLI before the agent starts.'),
    ),
    mcpServers: opt(list(McpServerSpecSchema, 'mcpServers are the MCP servers the agent may use.')),
    networkAllowances: opt(
      strList(
        'networkAllowances names in-cluster destinations (MCP servers, context sources) the agent may reach: each must be one of the cluster admin’s KelosConfig networkIsolation.inClusterAllowances granted to this namespace, or the Task fails. A Kelos extension; upstream has no such field.',
        { maxItems: 16, 'x-kubernetes-list-type': 'set' },
        { pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 40 },
      ),
    ),
  },
  'AgentConfigSpec is reusable configuration for agents.',
);

/** The AgentConfig kind. */
export const AGENT_CONFIG: KindDefinition<typeof AgentConfigSpecSchema> = {
  kind: 'AgentConfig',
  listKind: 'AgentConfigList',
  plural: 'agentconfigs',
  singular: 'agentconfig',
  shortNames: ['ac'],
  categories: [CATEGORY],
  spec: AgentConfigSpecSchema,
  specRequired: true,
  description: 'AgentConfig is reusable agent configuration: instructions, plugins, skills and MCP servers.',
  printerColumns: [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
};

/** The documented types of this file's schemas, generated by scripts/generate-api-types.ts. */
export type { AgentConfigSpec, McpServerSpec, PluginSpec, SkillsShSpec };
