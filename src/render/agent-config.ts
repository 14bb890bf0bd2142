/**
 * Merges the AgentConfigs a Task names into one, with upstream's semantics
 * (`internal/controller/agentconfig_merge.go`).
 *
 * @packageDocumentation
 */
import type { AgentConfigSpec, McpServerSpec, PluginSpec, SkillsShSpec } from '../api/agent-config.ts';

/** An entry and the AgentConfig (name and JSON pointer) it came from. */
export type Sourced<T> = T & { readonly config: string; readonly path: string };

/** The merged configuration, with where each plugin and MCP server came from. */
export interface MergedAgentConfig {
  /** Instructions of every AgentConfig that has some, joined by a blank line. */
  readonly agentsMD?: string;
  readonly plugins: ReadonlyArray<Sourced<{ readonly plugin: PluginSpec }>>;
  readonly skills: ReadonlyArray<Sourced<{ readonly skill: SkillsShSpec }>>;
  readonly mcpServers: ReadonlyArray<Sourced<{ readonly server: McpServerSpec }>>;
}

/** An AgentConfig to merge: its name and spec. */
export interface NamedAgentConfig {
  readonly name: string;
  readonly spec: AgentConfigSpec;
}

/**
 * Merges in order: agentsMD joined with `"\n\n"`; plugins and skills appended; MCP servers
 * appended, a later server replacing an earlier one of the same name in its place.
 * Each entry records its AgentConfig and JSON pointer (`/spec/plugins/0`) for diagnostics.
 */
export const mergeAgentConfigs = (configs: readonly NamedAgentConfig[]): MergedAgentConfig => {
  const md: string[] = [];
  const plugins: Sourced<{ plugin: PluginSpec }>[] = [];
  const skills: Sourced<{ skill: SkillsShSpec }>[] = [];
  const mcpServers: Sourced<{ server: McpServerSpec }>[] = [];
  for (const { name: config, spec } of configs) {
    if (spec.agentsMD) md.push(spec.agentsMD);
    (spec.plugins ?? []).forEach((plugin, i) => {
      plugins.push({ plugin, config, path: `/spec/plugins/${i}` });
    });
    (spec.skills ?? []).forEach((skill, i) => {
      skills.push({ skill, config, path: `/spec/skills/${i}` });
    });
    (spec.mcpServers ?? []).forEach((server, i) => {
      const entry = { server, config, path: `/spec/mcpServers/${i}` };
      const at = mcpServers.findIndex((s) => s.server.name === server.name);
      if (at === -1) mcpServers.push(entry);
      else mcpServers[at] = entry;
    });
  }
  return {
    ...(md.length > 0 ? { agentsMD: md.join('\n\n') } : {}),
    plugins,
    skills,
    mcpServers,
  };
};
