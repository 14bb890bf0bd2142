/**
 * Colours of the cluster commands: ANSI escapes on a terminal, plain text anywhere else (a
 * pipe, a file, a test), as `FORCE_COLOR`, `NO_COLOR` (https://no-color.org) and `TERM=dumb` say
 * (see {@link colourOutput}).
 *
 * Why not a library (chalk, picocolors): five escapes do not justify a dependency, and the
 * decision must follow the invocation's `CliIo`, not the process's own streams.
 *
 * @packageDocumentation
 */
import { type CliIo, colourOutput } from '../io.ts';

/** Styling functions; identity functions when colour is off. */
export interface Colours {
  readonly enabled: boolean;
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
}

const wrap = (on: boolean, open: number, close: number) => (s: string) =>
  on ? `\u001b[${open}m${s}\u001b[${close}m` : s;

/** Colours for `io`: on as {@link colourOutput} decides. */
export function colours(io: Pick<CliIo, 'isTTY' | 'env'>): Colours {
  const on = colourOutput(io);
  return {
    enabled: on,
    bold: wrap(on, 1, 22),
    dim: wrap(on, 2, 22),
    red: wrap(on, 31, 39),
    green: wrap(on, 32, 39),
    yellow: wrap(on, 33, 39),
  };
}

/** The colour of a phase: green when it succeeded, red when it failed, yellow while waiting. */
export function phaseColour(c: Colours, phase: string): string {
  if (phase === 'Succeeded' || phase === 'Ready') return c.green(phase);
  if (phase === 'Failed') return c.red(phase);
  if (phase === 'Pending' || phase === 'Waiting' || phase === 'Suspended') return c.yellow(phase);
  return phase;
}
