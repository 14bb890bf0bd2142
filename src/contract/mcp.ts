/**
 * The MCP server document the operator writes (`KELOS_MCP_SERVERS`, or the file
 * `KELOS_MCP_SERVERS_FILE` names) and the agent entrypoint turns into each agent's own
 * configuration.
 *
 * @packageDocumentation
 */

/** One server as the agent image reads it from `KELOS_MCP_SERVERS`. */
export interface McpServerDocument {
  type: string;
  command?: string;
  args?: string[];
  url?: string;
  headers?: Record<string, string>;
  env?: Record<string, string>;
  /** Directory of a mounted Secret: one header per file. Wins over `headers`. */
  headersFrom?: string;
  /** Directory of a mounted Secret: one env var per file. Wins over `env`. */
  envFrom?: string;
}

/** Placeholder the document holds for a value carried by env var `name`. */
export const mcpPlaceholder = (name: string): string => `\${${name}}`;
