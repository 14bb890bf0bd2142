/**
 * How a Claude Code run ended, read from the last `{"type":"result"}` event of its
 * stream-json output. The capture step fails the container on it; `kelos logs` shows it.
 *
 * @packageDocumentation
 */

/**
 * Why a Claude Code `result` event says the run did not complete, per
 * `internal/claudecode/result.go` upstream; undefined for a complete run.
 */
export const claudeFailure = (result: Readonly<Record<string, unknown>>): string | undefined => {
  const subtype = typeof result.subtype === 'string' ? result.subtype : '';
  const isError = result.is_error === true;
  if (isError || subtype !== 'success') {
    const details = [subtype ? `subtype=${subtype}` : '', isError ? 'is_error=true' : '']
      .filter(Boolean)
      .join(', ');
    return details
      ? `Claude Code returned an unsuccessful result (${details})`
      : 'Claude Code returned an unsuccessful result';
  }
  const details: string[] = [];
  if (
    typeof result.terminal_reason === 'string' &&
    result.terminal_reason !== '' &&
    result.terminal_reason !== 'completed'
  ) {
    details.push(`terminal_reason=${result.terminal_reason}`);
  }
  if (
    typeof result.stop_reason === 'string' &&
    result.stop_reason !== '' &&
    result.stop_reason !== 'end_turn'
  ) {
    details.push(`stop_reason=${result.stop_reason}`);
  }
  return details.length > 0 ? `Claude Code run incomplete (${details.join(', ')})` : undefined;
};
