/**
 * Structured JSON logs, one object per line: `ts`, `level`, `msg` (starting with a capital,
 * no trailing punctuation), then `controller`, `key` and any other fields.
 *
 * @packageDocumentation
 */

/** Log levels, least severe first. */
export const LogLevels = ['debug', 'info', 'warn', 'error'] as const;
/** One of {@link LogLevels}. */
export type LogLevel = (typeof LogLevels)[number];

/** Extra fields of a log line. Errors are written as their message. */
export type LogFields = Record<string, unknown>;

/** A logger; {@link Logger.child} adds fields to every line it writes. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  /** Whether lines of `level` are written (to skip building expensive fields). */
  enabled(level: LogLevel): boolean;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Receives each line including its newline, and its level. */
  readonly write: (line: string, level: LogLevel) => void;
  /** Lowest level written. Default `info`. */
  readonly level?: LogLevel;
  /** Time source for `ts`. */
  readonly now?: () => number;
}

const serialize = (value: unknown): unknown => {
  if (value instanceof Error) return value.message;
  return value;
};

/** Creates a JSON-lines logger. */
export function createLogger(opts: LoggerOptions, base: LogFields = {}): Logger {
  const min = LogLevels.indexOf(opts.level ?? 'info');
  const now = opts.now ?? Date.now;
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LogLevels.indexOf(level) < min) return;
    const line: LogFields = { ts: new Date(now()).toISOString(), level, msg };
    for (const [k, v] of Object.entries(base)) line[k] = serialize(v);
    if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) line[k] = serialize(v);
    opts.write(`${JSON.stringify(line)}\n`, level);
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger(opts, { ...base, ...fields }),
    enabled: (level) => LogLevels.indexOf(level) >= min,
  };
}

/** What {@link batchedWriter} returns. */
export interface BatchedWriter {
  /** For {@link LoggerOptions.write}. */
  readonly write: (line: string, level: LogLevel) => void;
  /** Writes what is gathered now. */
  readonly flush: () => void;
}

/**
 * Gathers the log lines of one event-loop turn into one write. Node writes to a pipe (a
 * container's stderr) synchronously: in a burst of 1,000 Tasks the operator wrote two lines
 * per Task, each a system call that held the event loop, and held it long whenever the
 * reader lagged. Warnings and errors are written at once, with the lines before them, so a
 * crash loses nothing it logged; call {@link BatchedWriter.flush} before exiting.
 */
export function batchedWriter(write: (text: string) => void): BatchedWriter {
  let lines: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (!lines.length) return;
    const text = lines.join('');
    lines = [];
    write(text);
  };
  return {
    write: (line, level) => {
      lines.push(line);
      if (level === 'warn' || level === 'error') flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

/** A logger that writes nothing. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
  enabled: () => false,
};

/**
 * The steps of one reconcile, in order, so its log line reads as a checklist:
 * `["Finalizer present", "Dependencies: waiting for Task ns/a", ...]`.
 */
export class Checklist {
  readonly steps: string[] = [];
  /** Whether the reconcile wrote anything to the API server. */
  wrote = false;
  /** Whether it wrote something worth an info line (not only routine bookkeeping). */
  notable = false;
  /**
   * Whether it met a failure a person must look at: it recorded a Warning Event, or a step
   * that failed. Set by {@link Checklist.fail}, or directly where the step is recorded apart.
   */
  failed = false;
  /** The steps recorded by {@link Checklist.fail}, so a caller can tell a failure that repeats from a new one. */
  readonly failures: string[] = [];

  /**
   * The level of the reconcile's one log line: `warn` after a failure, so alerting on the log
   * level sees what the Warning Events say; `info` after a notable write; else `debug`. A
   * reconcile that threw is logged at `error` by its caller instead.
   */
  level(): LogLevel {
    if (this.failed) return 'warn';
    return this.notable ? 'info' : 'debug';
  }

  /** Records a step that failed (it comes with a Warning Event, or a person must act). */
  fail(text: string): void {
    this.failed = true;
    this.failures.push(text);
    this.steps.push(text);
  }

  /** Records a step. */
  step(text: string): void {
    this.steps.push(text);
  }

  /** Records a step that wrote to the API server. */
  write(text: string): void {
    this.wrote = true;
    this.notable = true;
    this.steps.push(text);
  }

  /**
   * Records a routine write (a finalizer, a status field other than the phase), which alone
   * is logged at debug level: at a burst of 1,000 Tasks, info lines for those cost real CPU.
   */
  writeRoutine(text: string): void {
    this.wrote = true;
    this.steps.push(text);
  }
}
