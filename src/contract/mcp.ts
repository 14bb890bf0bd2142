/**
 * The MCP server document the operator writes (`KELOS_MCP_SERVERS`, or the file
 * `KELOS_MCP_SERVERS_FILE` names) and the agent entrypoint turns into each agent's own
 * configuration.
 *
 * @packageDocumentation
 */
import { MCP_SECRET_ENV_PREFIX } from './pod.ts';

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

const PLACEHOLDER = new RegExp(`^\\$\\{(${MCP_SECRET_ENV_PREFIX}[0-9]+)\\}$`);

/**
 * The env var whose value replaces `value`, when `value` is a secret placeholder written
 * by {@link mcpPlaceholder}; undefined for a plain value.
 */
export const mcpPlaceholderVar = (value: string): string | undefined => PLACEHOLDER.exec(value)?.[1];
