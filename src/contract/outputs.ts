/**
 * Reads what an agent reported: `key: value` lines (branch, commit, pr, base-branch,
 * cost-usd, input-tokens, output-tokens, …) from the agent container's termination message,
 * or, as a fallback, from the marker block at the end of its log.
 *
 * Both sources are untrusted text: the parser keeps the last complete marker block, drops
 * lines that are not `key: value`, caps sizes, and accepts usage numbers only in their
 * plain decimal forms.
 *
 * @packageDocumentation
 */
import type { TaskUsage } from '../api/common.ts';

/** First line of the output block the agent prints (upstream's marker). */
export const OUTPUTS_START = '---KELOS_OUTPUTS_START---';
/** Last line of the output block. */
export const OUTPUTS_END = '---KELOS_OUTPUTS_END---';

/** Kubernetes truncates a container termination message to this many bytes. */
export const TERMINATION_MESSAGE_MAX_BYTES = 4096;

/** Most output lines kept; more than this is junk, not a report. */
export const MAX_OUTPUT_LINES = 200;
/** Longest output line kept, in characters. */
export const MAX_OUTPUT_LINE_LENGTH = 8192;

/** The output keys the bundled capture step reports (an image may report any other key too). */
export const OutputKeys = {
  Branch: 'branch',
  /** One line per pull request. */
  PR: 'pr',
  Commit: 'commit',
  BaseBranch: 'base-branch',
  CostUSD: 'cost-usd',
  InputTokens: 'input-tokens',
  OutputTokens: 'output-tokens',
  /** Base64 of the agent's final message. */
  Response: 'response',
} as const;

/** Keys whose values feed `status.usage`. */
export const UsageKeys = {
  CostUSD: OutputKeys.CostUSD,
  InputTokens: OutputKeys.InputTokens,
  OutputTokens: OutputKeys.OutputTokens,
} as const;

/** What an agent reported. */
export interface ParsedOutputs {
  /** The `key: value` lines, trimmed, in order (`status.outputs`). */
  readonly outputs: string[];
  /** The lines as a map; a later line wins over an earlier one with the same key (`status.results`). */
  readonly results: Record<string, string>;
  /** Cost and tokens, when reported with valid positive values (`status.usage`). */
  readonly usage?: TaskUsage;
}

/** Options for {@link parseOutputs}. */
export interface ParseOutputsOptions {
  /**
   * Accept bare `key: value` lines when the text has no marker block. True for termination
   * messages (custom images may write the lines alone), false for logs, where unmarked
   * lines are the agent's chatter. Bare text is accepted only when every non-empty line is
   * a `key: value` line, so a log tail that Kubernetes put in the termination message
   * (FallbackToLogsOnError) is not mistaken for a report.
   * @default false
   */
  readonly allowBare?: boolean;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const DECIMAL = /^(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,18})?$/;
const COUNT = /^[1-9][0-9]{0,15}$/;

/** Lines of the last complete marker block, or undefined when there is none. */
const lastBlock = (lines: readonly string[]): string[] | undefined => {
  const end = lines.findLastIndex((l) => l.trim() === OUTPUTS_END);
  if (end === -1) return undefined;
  const start = lines.findLastIndex((l, i) => i < end && l.trim() === OUTPUTS_START);
  if (start === -1) return undefined;
  return lines.slice(start + 1, end);
};

/** Splits `key: value` on the first `": "`, as upstream does; undefined for anything else. */
export const splitOutputLine = (line: string): [key: string, value: string] | undefined => {
  const i = line.indexOf(': ');
  if (i <= 0) return undefined;
  const key = line.slice(0, i);
  const value = line.slice(i + 2).trim();
  if (!KEY.test(key) || value === '') return undefined;
  return [key, value];
};

/** Cost and tokens from results, each only when it is a positive plain number. */
export const usageFromResults = (results: Readonly<Record<string, string>>): TaskUsage | undefined => {
  const usage: { costUSD?: string; inputTokens?: number; outputTokens?: number } = {};
  const cost = results[UsageKeys.CostUSD];
  if (cost !== undefined && DECIMAL.test(cost) && Number(cost) > 0) usage.costUSD = cost;
  for (const [key, field] of [
    [UsageKeys.InputTokens, 'inputTokens'],
    [UsageKeys.OutputTokens, 'outputTokens'],
  ] as const) {
    const v = results[key];
    if (v !== undefined && COUNT.test(v) && Number.isSafeInteger(Number(v))) usage[field] = Number(v);
  }
  return Object.keys(usage).length > 0 ? usage : undefined;
};

/**
 * Parses agent outputs from a termination message or a log. Uses the last complete
 * `---KELOS_OUTPUTS_START---` … `---KELOS_OUTPUTS_END---` block; without one, bare lines
 * only when {@link ParseOutputsOptions.allowBare} is set. Returns undefined when nothing
 * was reported.
 */
export const parseOutputs = (text: string, options: ParseOutputsOptions = {}): ParsedOutputs | undefined => {
  const lines = text.split(/\r?\n/);
  let block = lastBlock(lines);
  if (block === undefined && options.allowBare) {
    const nonEmpty = lines.map((l) => l.trim()).filter((l) => l !== '');
    if (nonEmpty.every((l) => splitOutputLine(l) !== undefined)) block = nonEmpty;
  }
  if (block === undefined) return undefined;
  const outputs: string[] = [];
  const results: Record<string, string> = {};
  for (const raw of block) {
    if (outputs.length >= MAX_OUTPUT_LINES) break;
    const line = raw.trim();
    if (line === '' || line.length > MAX_OUTPUT_LINE_LENGTH) continue;
    const kv = splitOutputLine(line);
    if (kv === undefined) continue;
    outputs.push(`${kv[0]}: ${kv[1]}`);
    results[kv[0]] = kv[1];
  }
  if (outputs.length === 0) return undefined;
  const usage = usageFromResults(results);
  return usage === undefined ? { outputs, results } : { outputs, results, usage };
};

/** Parses a container termination message (block or bare lines). */
export const parseTerminationMessage = (message: string): ParsedOutputs | undefined =>
  parseOutputs(message, { allowBare: true });

/** Parses the agent container's log (marker block only). */
export const parseLogOutputs = (log: string): ParsedOutputs | undefined => parseOutputs(log);

/**
 * Chooses what to record: the termination message when it reported anything, else the
 * log. Either may be missing (no termination message, logs not readable).
 */
export const captureOutputs = (source: {
  readonly terminationMessage?: string;
  readonly log?: string;
}): (ParsedOutputs & { readonly source: 'termination-message' | 'log' }) | undefined => {
  const fromMessage = source.terminationMessage
    ? parseTerminationMessage(source.terminationMessage)
    : undefined;
  if (fromMessage) return { ...fromMessage, source: 'termination-message' };
  const fromLog = source.log ? parseLogOutputs(source.log) : undefined;
  return fromLog ? { ...fromLog, source: 'log' } : undefined;
};
