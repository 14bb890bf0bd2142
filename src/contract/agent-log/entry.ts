/**
 * The readable form of an agent's output: entries (assistant text, tool calls, their results,
 * the final summary), the helpers the per-agent parsers share to shorten arguments and
 * results, and how an entry is printed. Colour is the caller's choice, passed in as a
 * {@link Paint}, so this stays pure.
 *
 * @packageDocumentation
 */

/** What an entry is; decides its prefix and colour. */
export type EntryKind =
  /** Session start, context compaction, a plan: status lines of the agent CLI. */
  | 'system'
  /** The prompt the agent was given (first line). */
  | 'prompt'
  /** Assistant text. */
  | 'text'
  /** Reasoning the agent printed. */
  | 'thinking'
  /** A tool call: name and short arguments. */
  | 'tool'
  /** What a tool call returned, truncated. */
  | 'result'
  /** An error the agent CLI reported. */
  | 'error'
  /** How the run ended: duration, turns, cost, tokens. */
  | 'summary'
  /** One `key: value` line of the outputs block the capture step prints. */
  | 'output'
  /** A line that is not part of the JSON stream, passed through unchanged. */
  | 'raw';

/** One readable entry. */
export interface LogEntry {
  readonly kind: EntryKind;
  readonly text: string;
  /** A failed tool result or an unsuccessful run. */
  readonly failed?: boolean;
}

/** A parsed JSON object. */
export type Json = Readonly<Record<string, unknown>>;

/** Parses one stream line as a JSON object; undefined when it is anything else. */
export const parseJsonObject = (line: string): Json | undefined => {
  const t = line.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    return obj(JSON.parse(t));
  } catch {
    return undefined;
  }
};

/** `v` when it is a JSON object. */
export const obj = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;

/** `v` when it is a string. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** `v` when it is a finite, non-negative number. */
export const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;

/** Longest tool-argument summary, in characters. */
export const MAX_ARGS_CHARS = 120;
/** Lines of a tool result shown. */
export const MAX_RESULT_LINES = 5;
/** Longest shown line of a tool result, in characters. */
export const MAX_RESULT_LINE_CHARS = 200;

/** Cuts `text` to `max` characters, marking the cut. */
export const clip = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/** Argument keys that say most about a call, most telling first. */
const TELLING_KEYS = [
  'command',
  'cmd',
  'file_path',
  'filePath',
  'path',
  'pattern',
  'query',
  'url',
  'description',
  'prompt',
] as const;

/**
 * A tool call's arguments on one short line: the most telling string argument (the shell
 * command, the file path, the search pattern) or else the compact JSON.
 */
export const shortArgs = (input: unknown): string => {
  const o = obj(input);
  let text: string;
  if (typeof input === 'string') text = input;
  else if (o) {
    const key = TELLING_KEYS.find((k) => typeof o[k] === 'string' && o[k] !== '');
    text = key ? (o[key] as string) : JSON.stringify(o);
  } else text = input === undefined ? '' : JSON.stringify(input);
  return clip(text.replace(/\s+/g, ' ').trim(), MAX_ARGS_CHARS);
};

/** A tool call entry: `name: args`, or the name alone. */
export const toolEntry = (name: string, input: unknown): LogEntry => {
  const args = shortArgs(input);
  return { kind: 'tool', text: args && args !== '{}' ? `${name}: ${args}` : name };
};

/** A tool result entry: the first lines, each clipped, with a count of what was left out. */
export const resultEntry = (output: string, failed = false): LogEntry => {
  const lines = output.replace(/\s+$/, '').split('\n');
  const shown = lines.slice(0, MAX_RESULT_LINES).map((l) => clip(l, MAX_RESULT_LINE_CHARS));
  const more = lines.length - shown.length;
  if (more > 0) shown.push(`… (${more} more line${more === 1 ? '' : 's'})`);
  const text = shown.join('\n');
  return failed
    ? { kind: 'result', text: text || '(failed)', failed }
    : { kind: 'result', text: text || '(no output)' };
};

/** Reasoning, cut to its first lines: it is context, not the record. */
export const thinkingEntry = (text: string): LogEntry => {
  const lines = text.trim().split('\n');
  const shown = lines.slice(0, MAX_RESULT_LINES);
  return { kind: 'thinking', text: shown.join('\n') + (lines.length > shown.length ? ' …' : '') };
};

/** The first line of a prompt, clipped. */
export const promptEntry = (prompt: string): LogEntry => {
  const first = prompt.trim().split('\n')[0] ?? '';
  return { kind: 'prompt', text: clip(first, MAX_RESULT_LINE_CHARS) };
};

/** What a run's summary line may say. */
export interface RunSummary {
  readonly ok: boolean;
  /** Why it is not ok. */
  readonly detail?: string;
  readonly durationMs?: number;
  readonly turns?: number;
  /** Label of `turns`: `turns` or `steps`. */
  readonly turnsLabel?: string;
  readonly costUSD?: number;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
}

/** The summary entry of a run: `done · 5 turns · 48.2s · $0.0532 · tokens 15230 in / 4821 out`. */
export const summaryEntry = (s: RunSummary): LogEntry => {
  const parts = [s.ok ? 'done' : `failed${s.detail ? `: ${s.detail}` : ''}`];
  if (s.turns !== undefined) parts.push(`${s.turns} ${s.turnsLabel ?? 'turns'}`);
  if (s.durationMs !== undefined) parts.push(`${(s.durationMs / 1000).toFixed(1)}s`);
  if (s.costUSD !== undefined) parts.push(`$${Number(s.costUSD.toPrecision(4))}`);
  if (s.inputTokens !== undefined || s.outputTokens !== undefined) {
    parts.push(`tokens ${s.inputTokens ?? '?'} in / ${s.outputTokens ?? '?'} out`);
  }
  return { kind: 'summary', text: parts.join(' · '), ...(s.ok ? {} : { failed: true }) };
};

/**
 * Usage summed over a run's turns, for agents that report it per turn (Codex) or per step
 * (OpenCode); the summary entry comes at the end of the stream.
 */
export class SummedUsage {
  private turns = 0;
  private input = 0;
  private output = 0;
  private cost = 0;
  /** Why the run failed, once an error event said so. */
  failure: string | undefined;

  /** Adds one turn's usage. */
  add(usage: { input?: number; output?: number; cost?: number }): void {
    this.turns++;
    this.input += usage.input ?? 0;
    this.output += usage.output ?? 0;
    this.cost += usage.cost ?? 0;
  }

  /** The summary, or nothing when the stream reported neither usage nor failure. */
  entries(turnsLabel = 'turns'): LogEntry[] {
    if (this.turns === 0 && this.failure === undefined) return [];
    return [
      summaryEntry({
        ok: this.failure === undefined,
        detail: this.failure,
        turns: this.turns,
        turnsLabel,
        costUSD: this.cost > 0 ? this.cost : undefined,
        inputTokens: this.input,
        outputTokens: this.output,
      }),
    ];
  }
}

/** Text styles the printer asks for; the caller maps them to colours or to nothing. */
export type Style = 'dim' | 'cyan' | 'red' | 'green' | 'yellow';

/** Applies a style to text (for example ANSI colour on a terminal). */
export type Paint = (style: Style, text: string) => string;

/** No styling. */
export const plain: Paint = (_style, text) => text;

/** Prefixes `rest` lines with `indent`, the first with `first`. */
const hang = (text: string, first: string, indent: string): string =>
  text
    .split('\n')
    .map((l, i) => (i === 0 ? first : indent) + l)
    .join('\n');

/** One entry as printed, without a trailing newline. */
export const renderEntry = (e: LogEntry, paint: Paint = plain): string => {
  switch (e.kind) {
    case 'system':
      return paint('dim', hang(e.text, '» ', '  '));
    case 'prompt':
      return paint('dim', `> ${e.text}`);
    case 'thinking':
      return paint('dim', hang(e.text, '(thinking) ', '  '));
    case 'tool':
      return paint('cyan', `→ ${e.text}`);
    case 'result':
      return paint(e.failed ? 'red' : 'dim', hang(e.text, '  ← ', '    '));
    case 'error':
      return paint('red', hang(e.text, '✗ ', '  '));
    case 'summary':
      return paint(e.failed ? 'red' : 'green', `${e.failed ? '✗' : '✓'} ${e.text}`);
    case 'output':
      return paint('yellow', `◆ ${e.text}`);
    default:
      return e.text;
  }
};

/** Reads one agent's JSON events; one implementation per agent CLI. */
export interface EventParser {
  /** Entries for one JSON event; unknown events yield none. */
  event(m: Json): LogEntry[];
  /** Entries held back until the stream ends (buffered text deltas, summed usage). */
  end(): LogEntry[];
}

/** Text of a message `content` that is a string or an array of `{type: 'text', text}` blocks. */
export const contentText = (content: unknown): string => {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((c) => {
      const block = obj(c);
      if (block?.type === 'text') return str(block.text) ?? '';
      return block?.type === 'image' ? '[image]' : '';
    })
    .filter((t) => t !== '')
    .join('\n');
};
