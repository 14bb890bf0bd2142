/**
 * An agent container's log made readable: each agent CLI's JSON stream (Claude Code, Codex,
 * Gemini, OpenCode, Cursor) turned into assistant text, tool calls with short arguments,
 * truncated tool results and a final summary of cost and usage. Lines that are not JSON
 * (the entrypoint's own messages, a custom image's output) pass through unchanged; the
 * outputs block the capture step prints becomes `key: value` entries, without the base64
 * final message (already shown as text).
 *
 * Pure and incremental, so `kelos logs -f` can print as lines arrive. It lives in the agent
 * image contract because it reads what the image prints; the CLI and anything else (a
 * dashboard, the operator's events) may import it.
 *
 * @packageDocumentation
 */
import type { AgentType } from '../../api/group.ts';
import { OUTPUTS_END, OUTPUTS_START, OutputKeys } from '../outputs.ts';
import { ClaudeCodeEvents } from './claude-code.ts';
import { CodexEvents } from './codex.ts';
import { CursorEvents } from './cursor.ts';
import { type EventParser, type LogEntry, type Paint, parseJsonObject, plain, renderEntry } from './entry.ts';
import { GeminiEvents } from './gemini.ts';
import { OpenCodeEvents } from './opencode.ts';

export { type EntryKind, type LogEntry, type Paint, plain, renderEntry, type Style } from './entry.ts';

/** The event parser of an agent type; undefined for a type without a known format. */
const eventParser = (agentType: string): EventParser | undefined => {
  switch (agentType as AgentType) {
    case 'claude-code':
      return new ClaudeCodeEvents();
    case 'codex':
      return new CodexEvents();
    case 'gemini':
      return new GeminiEvents();
    case 'opencode':
      return new OpenCodeEvents();
    case 'cursor':
      return new CursorEvents();
    default:
      return undefined;
  }
};

/**
 * Reads an agent container's log line by line. Feed it complete lines (without the newline)
 * with {@link AgentLogReader.line}, then call {@link AgentLogReader.end} once when the log ends.
 * For an unknown agent type every line passes through unchanged.
 */
export class AgentLogReader {
  private readonly events: EventParser | undefined;
  private inOutputs = false;
  /** Whether the parser's held-back entries were already taken (at the outputs block). */
  private flushed = false;

  constructor(agentType: string) {
    this.events = eventParser(agentType);
  }

  /** Entries for one line of the log. */
  line(line: string): LogEntry[] {
    const trimmed = line.trim();
    if (trimmed === OUTPUTS_START) {
      this.inOutputs = true;
      // The summary belongs before the outputs block, which the capture step prints last.
      return this.end();
    }
    if (trimmed === OUTPUTS_END && this.inOutputs) {
      this.inOutputs = false;
      return [];
    }
    if (this.inOutputs) {
      return trimmed === '' || trimmed.startsWith(`${OutputKeys.Response}:`)
        ? []
        : [{ kind: 'output', text: trimmed }];
    }
    const event = this.events ? parseJsonObject(line) : undefined;
    if (event === undefined) return [{ kind: 'raw', text: line }];
    this.flushed = false;
    return this.events?.event(event) ?? [];
  }

  /** Entries held back until the end (buffered text, summed usage). */
  end(): LogEntry[] {
    if (this.flushed) return [];
    this.flushed = true;
    return this.events?.end() ?? [];
  }
}

/** A whole log made readable, one entry per paragraph, ending in a newline when not empty. */
export const formatAgentLog = (agentType: string, log: string, paint: Paint = plain): string => {
  const reader = new AgentLogReader(agentType);
  const lines = log.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const entries = [...lines.flatMap((l) => reader.line(l)), ...reader.end()];
  return entries.map((e) => `${renderEntry(e, paint)}\n`).join('');
};
