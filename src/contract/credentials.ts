/**
 * Which env var carries an agent's model-provider credential, per agent type and
 * credential type (reference §3.2). The Secret key read has the same name as the variable.
 *
 * @packageDocumentation
 */
import type { AgentType } from '../api/group.ts';

/** Env var per agent type for `api-key` and `oauth` credentials. */
export const CREDENTIAL_ENV: Readonly<
  Record<AgentType, { readonly 'api-key': string; readonly oauth: string }>
> = {
  'claude-code': { 'api-key': 'ANTHROPIC_API_KEY', oauth: 'CLAUDE_CODE_OAUTH_TOKEN' },
  codex: { 'api-key': 'CODEX_API_KEY', oauth: 'CODEX_AUTH_JSON' },
  gemini: { 'api-key': 'GEMINI_API_KEY', oauth: 'GEMINI_API_KEY' },
  opencode: { 'api-key': 'OPENCODE_API_KEY', oauth: 'OPENCODE_API_KEY' },
  cursor: { 'api-key': 'CURSOR_API_KEY', oauth: 'CURSOR_API_KEY' },
};

/**
 * The env var for a credential, or undefined for `none` (nothing injected: the user
 * supplies env through podOverrides) and for unknown agent types.
 */
export const credentialEnvName = (agentType: string, credentialType: string): string | undefined => {
  if (credentialType !== 'api-key' && credentialType !== 'oauth') return undefined;
  return (CREDENTIAL_ENV as Record<string, Record<string, string>>)[agentType]?.[credentialType];
};
