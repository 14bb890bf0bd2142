/**
 * Cursor CLI `--output-format stream-json`: `system` (init), `user` (the prompt), `thinking`
 * deltas (joined until `completed`), `tool_call` started/completed with one `<name>ToolCall`
 * key holding `args` and, when done, `result.success` or `result.error`, `assistant`
 * messages, and a final `result` with duration and usage.
 *
 * @packageDocumentation
 */
import {
  contentText,
  type EventParser,
  type Json,
  type LogEntry,
  num,
  obj,
  promptEntry,
  resultEntry,
  str,
  summaryEntry,
  thinkingEntry,
  toolEntry,
} from './entry.ts';

/** Parser of Cursor CLI's stream. */
export class CursorEvents implements EventParser {
  private thinking = '';

  event(m: Json): LogEntry[] {
    switch (m.type) {
      case 'system': {
        const model = str(m.model);
        return m.subtype === 'init'
          ? [{ kind: 'system', text: `Cursor session started${model ? ` (model ${model})` : ''}` }]
          : [];
      }
      case 'user': {
        const text = contentText(obj(m.message)?.content).trim();
        return text ? [promptEntry(text)] : [];
      }
      case 'thinking':
        if (m.subtype === 'delta') {
          this.thinking += str(m.text) ?? '';
          return [];
        }
        return this.flushThinking();
      case 'assistant': {
        const text = contentText(obj(m.message)?.content).trim();
        return text ? [{ kind: 'text', text }] : [];
      }
      case 'tool_call':
        return this.toolCall(m);
      case 'result': {
        const usage = obj(m.usage) ?? {};
        const ok = m.is_error !== true && m.subtype === 'success';
        return [
          summaryEntry({
            ok,
            detail: ok ? undefined : str(m.subtype),
            durationMs: num(m.duration_ms),
            inputTokens: num(usage.inputTokens),
            outputTokens: num(usage.outputTokens),
          }),
        ];
      }
      default:
        return [];
    }
  }

  end(): LogEntry[] {
    return this.flushThinking();
  }

  private toolCall(m: Json): LogEntry[] {
    const calls = obj(m.tool_call) ?? {};
    const key = Object.keys(calls)[0];
    if (key === undefined) return [];
    const call = obj(calls[key]) ?? {};
    const name = key.replace(/ToolCall$/, '') || key;
    if (m.subtype === 'started') return [toolEntry(name, call.args)];
    if (m.subtype !== 'completed') return [];
    const result = obj(call.result) ?? {};
    const success = obj(result.success);
    if (success) {
      const code = num(success.exitCode);
      const out =
        str(success.stdout) ?? str(success.content) ?? str(success.output) ?? JSON.stringify(success);
      const failed = code !== undefined && code !== 0;
      return [resultEntry(failed ? `${out}${str(success.stderr) ?? ''}\n(exit code ${code})` : out, failed)];
    }
    const error = obj(result.error) ?? obj(result.failure) ?? result;
    return [resultEntry(str(error.message) ?? str(error.stderr) ?? JSON.stringify(error), true)];
  }

  private flushThinking(): LogEntry[] {
    const text = this.thinking.trim();
    this.thinking = '';
    return text ? [thinkingEntry(text)] : [];
  }
}
