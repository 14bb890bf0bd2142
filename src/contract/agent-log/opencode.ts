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
  SummedUsage,
  str,
  thinkingEntry,
  toolEntry,
} from './entry.ts';

/** Parser of OpenCode's stream. */
export class OpenCodeEvents implements EventParser {
  private readonly usage = new SummedUsage();

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
        this.usage.add({ input: num(tokens.input), output: num(tokens.output), cost: num(part.cost) });
        return [];
      }
      case 'error': {
        const error = obj(m.error) ?? {};
        this.usage.failure =
          str(obj(error.data)?.message) ?? str(error.message) ?? str(error.name) ?? 'error';
        return [{ kind: 'error', text: this.usage.failure }];
      }
      default:
        return [];
    }
  }

  end(): LogEntry[] {
    return this.usage.entries('steps');
  }
}
