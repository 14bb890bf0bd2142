/**
 * Gemini CLI `--output-format stream-json`: `init`, `message` events (the user's prompt, and
 * assistant text, usually as `delta` chunks that are joined here until the next event),
 * `tool_use` / `tool_result`, `error`, and a final `result` with `stats`.
 *
 * @packageDocumentation
 */
import {
  type EventParser,
  type Json,
  type LogEntry,
  num,
  obj,
  promptEntry,
  resultEntry,
  str,
  summaryEntry,
  toolEntry,
} from './entry.ts';

/** Parser of Gemini CLI's stream. */
export class GeminiEvents implements EventParser {
  private text = '';

  event(m: Json): LogEntry[] {
    if (m.type === 'message' && m.role === 'assistant' && m.delta === true) {
      this.text += str(m.content) ?? '';
      return [];
    }
    return [...this.flush(), ...this.other(m)];
  }

  end(): LogEntry[] {
    return this.flush();
  }

  private other(m: Json): LogEntry[] {
    switch (m.type) {
      case 'init': {
        const model = str(m.model);
        return [{ kind: 'system', text: `Gemini session started${model ? ` (model ${model})` : ''}` }];
      }
      case 'message': {
        const content = str(m.content)?.trim();
        if (!content) return [];
        return m.role === 'user' ? [promptEntry(content)] : [{ kind: 'text', text: content }];
      }
      case 'tool_use':
        return [toolEntry(str(m.tool_name) ?? 'tool', m.parameters)];
      case 'tool_result': {
        const failed = m.status !== 'success';
        const out = failed ? (str(obj(m.error)?.message) ?? str(m.output) ?? '') : (str(m.output) ?? '');
        return [resultEntry(out, failed)];
      }
      case 'error':
        return [{ kind: 'error', text: str(m.message) ?? 'error' }];
      case 'result': {
        const stats = obj(m.stats) ?? {};
        const ok = m.status === 'success';
        return [
          summaryEntry({
            ok,
            detail: ok ? undefined : str(obj(m.error)?.message),
            durationMs: num(stats.duration_ms),
            inputTokens: num(stats.input_tokens) ?? num(stats.inputTokens),
            outputTokens: num(stats.output_tokens) ?? num(stats.outputTokens),
          }),
        ];
      }
      default:
        return [];
    }
  }

  /** The assistant text joined from deltas so far. */
  private flush(): LogEntry[] {
    const text = this.text.trim();
    this.text = '';
    return text ? [{ kind: 'text', text }] : [];
  }
}
