/**
 * Process-level error policy of the long-running operator.
 *
 * Every known source of errors is caught where it arises (endpoint handlers, watch streams,
 * reconciles, timers); these handlers are the last line, for the errors nobody foresaw. The
 * policy, decided deliberately:
 *
 * - `unhandledRejection` is **not fatal**: a promise nobody awaited failed; no synchronous
 *   frame was cut short, so no in-memory structure is half-updated. Log it and count it.
 * - `uncaughtException` is **not fatal** either, once the operator runs: the operator keeps no
 *   state that the API server does not also hold (caches are re-listed, reconciles are
 *   idempotent and carry resourceVersion preconditions), so a callback cut short costs at most
 *   one stale cache entry until the next resync; exiting instead would make any remaining bug
 *   an off switch that anyone who can reach a port, or write an object, can press. Both are
 *   logged at error level with the stack and counted in `kelos_operator_faults_total`, so an
 *   alert on that counter finds them.
 * - Errors while starting (bad flags, unreachable API server, a port in use) stay fatal: they
 *   reject `Operator.start`, never reach these handlers, and the CLI exits 1.
 * - Out-of-memory and stack exhaustion inside V8 cannot be caught; the Pod restarts.
 *
 * @packageDocumentation
 */
import type { Logger } from '../kube/log.ts';

/** Which process-level event fired. */
export type ProcessFault = 'unhandledRejection' | 'uncaughtException';

/**
 * Installs the policy on `proc` (the real `process` in the CLI, an EventEmitter stand-in in
 * tests). Returns a function that removes it.
 */
export function installProcessGuards(
  log: Logger,
  onFault: (fault: ProcessFault) => void,
  proc: Pick<NodeJS.Process, 'on' | 'off'> = process,
): () => void {
  const rejection = (reason: unknown) => {
    onFault('unhandledRejection');
    log.error('Unhandled promise rejection (ignored; the operator keeps running)', { error: reason });
  };
  const exception = (err: unknown) => {
    onFault('uncaughtException');
    log.error('Uncaught exception (ignored; the operator keeps running)', { error: err });
  };
  proc.on('unhandledRejection', rejection);
  proc.on('uncaughtException', exception);
  return () => {
    proc.off('unhandledRejection', rejection);
    proc.off('uncaughtException', exception);
  };
}
