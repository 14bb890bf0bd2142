/**
 * OpenCode `run --format json`: events carrying a `part`: `text`, `reasoning`, `tool_use`
 * (the call with its state: input, output or error), `step_start` / `step_finish` (with the
 * step's tokens and cost, summed into the summary at the end), and `error`.
 *
 * @packageDocumentation
 */
import {
  type EventParser,
  type Json,
  type LogEntry,
  num,
  obj,
  resultEntry,
  str,
  summaryEntry,
  thinkingEntry,
  toolEntry,
} from './entry.ts';

/** Parser of OpenCode's stream. */
export class OpenCodeEvents implements EventParser {
  private steps = 0;
  private cost = 0;
  private input = 0;
  private output = 0;
  private failure: string | undefined;

  event(m: Json): LogEntry[] {
    const part = obj(m.part) ?? {};
    switch (m.type) {
      case 'text': {
        const text = (str(part.text) ?? str(m.text))?.trim();
        return text ? [{ kind: 'text', text }] : [];
      }
      case 'reasoning': {
        const text = str(part.text)?.trim();
        return text ? [thinkingEntry(text)] : [];
      }
      case 'tool_use': {
        const state = obj(part.state) ?? {};
        const call = toolEntry(str(part.tool) ?? 'tool', state.input);
        if (state.status === 'error') return [call, resultEntry(str(state.error) ?? '', true)];
        return state.status === 'completed' ? [call, resultEntry(str(state.output) ?? '')] : [call];
      }
      case 'step_finish': {
        const tokens = obj(part.tokens) ?? {};
        this.steps++;
        this.cost += num(part.cost) ?? 0;
        this.input += num(tokens.input) ?? 0;
        this.output += num(tokens.output) ?? 0;
        return [];
      }
      case 'error': {
        const error = obj(m.error) ?? {};
        this.failure = str(obj(error.data)?.message) ?? str(error.message) ?? str(error.name) ?? 'error';
        return [{ kind: 'error', text: this.failure }];
      }
      default:
        return [];
    }
  }

  end(): LogEntry[] {
    if (this.steps === 0 && this.failure === undefined) return [];
    return [
      summaryEntry({
        ok: this.failure === undefined,
        detail: this.failure,
        turns: this.steps,
        turnsLabel: 'steps',
        costUSD: this.cost > 0 ? this.cost : undefined,
        inputTokens: this.input,
        outputTokens: this.output,
      }),
    ];
  }
}
