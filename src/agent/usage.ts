/**
 * Token usage, cost and the final message, read from each agent's JSON-lines stream as it
 * passes through, in O(1) memory (only running sums or the last relevant event are kept).
 *
 * Formats, as the agent CLIs print them:
 * - claude-code `--output-format stream-json`: the last `{"type":"result"}` event carries
 *   `total_cost_usd`, `usage.input_tokens`, `usage.output_tokens`, `result`, and how the
 *   run ended (`subtype`, `is_error`, `stop_reason`, `terminal_reason`).
 * - codex `exec --json`: every `{"type":"turn.completed"}` carries that turn's `usage`
 *   (summed); the response is the last `item.completed` whose item is an `agent_message`.
 * - gemini `--output-format stream-json`: the last `{"type":"result"}` carries
 *   `stats.input_tokens` / `stats.output_tokens` (gemini-cli's StreamStats; the camelCase
 *   form upstream Kelos reads is accepted too); the response is the assistant text after
 *   the last tool call, assembled from `delta` chunks.
 * - opencode `run --format json`: every `{"type":"step_finish"}` carries `part.tokens`
 *   and `part.cost` (summed, so opencode reports cost too); the response is the last `text`.
 * - cursor `--output-format stream-json`: the last `{"type":"result"}` carries
 *   `usage.inputTokens` / `usage.outputTokens` and `result`.
 *
 * @packageDocumentation
 */
import { claudeFailure } from '../contract/claude-result.ts';
import type { AgentType } from '../contract/pod.ts';

/** What a stream reported. Numbers are kept as the decimal strings the outputs carry. */
export interface StreamReport {
  costUSD?: string;
  inputTokens?: string;
  outputTokens?: string;
  /** The agent's final message. */
  response?: string;
  /** Set when the agent reported that its run did not complete (claude-code only). */
  failure?: string;
}

/** Consumes one stream line at a time; `report()` at the end. */
export interface UsageAccumulator {
  addLine(line: string): void;
  report(): StreamReport;
}

type Json = Record<string, unknown>;

const parse = (line: string): Json | undefined => {
  const t = line.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
  } catch {
    return undefined;
  }
};

const obj = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;

/** A non-negative integer count, or undefined. */
const count = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;

/** Formats a JSON number the way it should appear in outputs: no exponent, no float noise. */
export const formatDecimal = (n: number): string | undefined => {
  if (!Number.isFinite(n) || n < 0) return undefined;
  const s = String(n);
  if (!/e/i.test(s)) return s;
  // Tiny or huge values print with an exponent in JS; fixed notation keeps them parseable as a Quantity.
  return n.toFixed(12).replace(/\.?0+$/, '');
};

const withCounts = (r: StreamReport, input: number | undefined, output: number | undefined): StreamReport => {
  if (input !== undefined) r.inputTokens = String(input);
  if (output !== undefined) r.outputTokens = String(output);
  return r;
};

class ClaudeCode implements UsageAccumulator {
  private last: Json | undefined;
  addLine(line: string): void {
    const m = parse(line);
    if (m?.type === 'result') this.last = m;
  }
  report(): StreamReport {
    const m = this.last;
    if (!m) return {};
    const usage = obj(m.usage) ?? {};
    const r = withCounts({}, count(usage.input_tokens), count(usage.output_tokens));
    if (typeof m.total_cost_usd === 'number') {
      const c = formatDecimal(m.total_cost_usd);
      if (c !== undefined) r.costUSD = c;
    }
    if (typeof m.result === 'string' && m.result !== '') r.response = m.result;
    const failure = claudeFailure(m);
    if (failure) r.failure = failure;
    return r;
  }
}

class Codex implements UsageAccumulator {
  private input = 0;
  private output = 0;
  private seen = false;
  private response: string | undefined;
  addLine(line: string): void {
    const m = parse(line);
    if (!m) return;
    if (m.type === 'turn.completed') {
      const u = obj(m.usage) ?? {};
      this.input += count(u.input_tokens) ?? 0;
      this.output += count(u.output_tokens) ?? 0;
      this.seen = true;
    } else if (m.type === 'item.completed') {
      const item = obj(m.item);
      if (item?.type === 'agent_message' && typeof item.text === 'string' && item.text !== '')
        this.response = item.text;
    }
  }
  report(): StreamReport {
    const r = this.seen ? withCounts({}, this.input || undefined, this.output || undefined) : {};
    if (this.response) r.response = this.response;
    return r;
  }
}

class Gemini implements UsageAccumulator {
  private last: Json | undefined;
  private segment = '';
  private response: string | undefined;
  addLine(line: string): void {
    const m = parse(line);
    if (!m) return;
    if (m.type === 'result') this.last = m;
    else if (m.type === 'message' && m.role === 'assistant' && typeof m.content === 'string') {
      this.segment = m.delta === true ? this.segment + m.content : m.content;
      if (this.segment !== '') this.response = this.segment;
    } else if (
      m.type === 'tool_use' ||
      m.type === 'tool_result' ||
      (m.type === 'message' && m.role === 'user')
    ) {
      // The final message is the assistant text after the last tool call.
      this.segment = '';
    }
  }
  report(): StreamReport {
    const stats = obj(this.last?.stats) ?? {};
    const r = withCounts(
      {},
      count(stats.input_tokens) ?? count(stats.inputTokens),
      count(stats.output_tokens) ?? count(stats.outputTokens),
    );
    if (this.response) r.response = this.response;
    return r;
  }
}

class OpenCode implements UsageAccumulator {
  private input = 0;
  private output = 0;
  private cost = 0;
  private seen = false;
  private costSeen = false;
  private response: string | undefined;
  addLine(line: string): void {
    const m = parse(line);
    if (!m) return;
    const part = obj(m.part);
    if (m.type === 'step_finish' && part) {
      const t = obj(part.tokens) ?? {};
      this.input += count(t.input) ?? 0;
      this.output += count(t.output) ?? 0;
      if (typeof part.cost === 'number' && Number.isFinite(part.cost) && part.cost >= 0) {
        this.cost += part.cost;
        this.costSeen = true;
      }
      this.seen = true;
    } else if (m.type === 'text') {
      const text = typeof part?.text === 'string' ? part.text : typeof m.text === 'string' ? m.text : '';
      if (text !== '') this.response = text;
    }
  }
  report(): StreamReport {
    const r = this.seen ? withCounts({}, this.input || undefined, this.output || undefined) : {};
    if (this.costSeen && this.cost > 0) {
      const c = formatDecimal(Number(this.cost.toFixed(12)));
      if (c !== undefined) r.costUSD = c;
    }
    if (this.response) r.response = this.response;
    return r;
  }
}

class Cursor implements UsageAccumulator {
  private last: Json | undefined;
  addLine(line: string): void {
    const m = parse(line);
    if (m?.type === 'result') this.last = m;
  }
  report(): StreamReport {
    const m = this.last;
    if (!m) return {};
    const u = obj(m.usage) ?? {};
    const r = withCounts({}, count(u.inputTokens), count(u.outputTokens));
    if (typeof m.result === 'string' && m.result !== '') r.response = m.result;
    return r;
  }
}

/** The accumulator for an agent type, or undefined for a type without a known format. */
export const createUsageAccumulator = (agentType: string): UsageAccumulator | undefined => {
  switch (agentType as AgentType) {
    case 'claude-code':
      return new ClaudeCode();
    case 'codex':
      return new Codex();
    case 'gemini':
      return new Gemini();
    case 'opencode':
      return new OpenCode();
    case 'cursor':
      return new Cursor();
    default:
      return undefined;
  }
};

/** Reads a whole stream at once (for tests and small inputs). */
export const reportFromStream = (agentType: string, text: string): StreamReport => {
  const acc = createUsageAccumulator(agentType);
  if (!acc) return {};
  for (const line of text.split('\n')) acc.addLine(line);
  return acc.report();
};
