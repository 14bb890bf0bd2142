/**
 * Claude Code `--output-format stream-json --verbose`: `system` (init), `assistant` messages
 * whose content holds text, thinking and `tool_use` blocks, `user` messages carrying the
 * `tool_result` blocks, and a final `result` with duration, turns, cost and usage.
 *
 * @packageDocumentation
 */
import { claudeFailure } from '../claude-result.ts';
import {
  contentText,
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

/** Parser of Claude Code's stream. */
export class ClaudeCodeEvents implements EventParser {
  event(m: Json): LogEntry[] {
    switch (m.type) {
      case 'system':
        if (m.subtype === 'init') {
          const model = str(m.model);
          return [{ kind: 'system', text: `Claude Code session started${model ? ` (model ${model})` : ''}` }];
        }
        return m.subtype === 'compact_boundary' ? [{ kind: 'system', text: 'context compacted' }] : [];
      case 'assistant':
        return blocks(m).flatMap((b): LogEntry[] => {
          if (b.type === 'text') {
            const text = str(b.text)?.trim();
            return text ? [{ kind: 'text', text }] : [];
          }
          if (b.type === 'thinking') {
            const text = str(b.thinking)?.trim();
            return text ? [thinkingEntry(text)] : [];
          }
          return b.type === 'tool_use' ? [toolEntry(str(b.name) ?? 'tool', b.input)] : [];
        });
      case 'user':
        return blocks(m)
          .filter((b) => b.type === 'tool_result')
          .map((b) => resultEntry(contentText(b.content), b.is_error === true));
      case 'result': {
        const failure = claudeFailure(m);
        const usage = obj(m.usage) ?? {};
        return [
          summaryEntry({
            ok: failure === undefined,
            detail: failure,
            durationMs: num(m.duration_ms),
            turns: num(m.num_turns),
            costUSD: num(m.total_cost_usd),
            inputTokens: num(usage.input_tokens),
            outputTokens: num(usage.output_tokens),
          }),
        ];
      }
      default:
        return [];
    }
  }

  end(): LogEntry[] {
    return [];
  }
}

/** The content blocks of an `assistant` or `user` event. */
const blocks = (m: Json): Json[] => {
  const content = obj(m.message)?.content;
  return Array.isArray(content) ? content.map(obj).filter((b): b is Json => b !== undefined) : [];
};
