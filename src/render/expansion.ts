/**
 * Kubernetes expands `$(VAR)` in a container's `command`, `args` and env `value`s, and turns
 * `$$` into `$`. Every literal the render writes there (the prompt, the setup command,
 * AGENTS.md, scripts, repo URLs and branch names) is escaped, so the process receives exactly
 * the text the Task holds: a prompt with `$(HOME)` reaches the agent as `$(HOME)`. The user's
 * own `podOverrides.env` keeps Kubernetes' semantics (a reference such as `$(POD_NAME)` there
 * is meant).
 *
 * @packageDocumentation
 */

/** `text` as a literal under Kubernetes' `$(VAR)` expansion. */
export const literal = (text: string): string => text.replaceAll('$', '$$$$');
