/**
 * The Workspace setup command as the agent image runs it: `KELOS_SETUP_COMMAND` holds a
 * JSON array (exec form, no shell), and the entrypoint frames its output on stderr with
 * these banners so a reader of the log can tell setup from agent.
 *
 * @packageDocumentation
 */

/** Banners around the setup command's output, on stderr; a failure line ends in ` exit=<code>`. */
export const SetupBanners = {
  Start: '---KELOS_SETUP_COMMAND_START---',
  Done: '---KELOS_SETUP_COMMAND_DONE---',
  Failed: '---KELOS_SETUP_COMMAND_FAILED---',
} as const;
