/**
 * Codex `exec --json`: `thread.started`, then per turn `item.started` / `item.completed`
 * events whose item is an `agent_message`, `reasoning`, `command_execution`, `file_change`,
 * `mcp_tool_call`, `web_search`, `todo_list` or `error`, and `turn.completed` with that
 * turn's usage (summed into the summary at the end) or `turn.failed`.
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
  resultEntry,
  SummedUsage,
  str,
  thinkingEntry,
  toolEntry,
} from './entry.ts';

/** Parser of Codex's stream. */
export class CodexEvents implements EventParser {
  private readonly started = new Set<string>();
  private readonly usage = new SummedUsage();

  event(m: Json): LogEntry[] {
    const item = obj(m.item);
    switch (m.type) {
      case 'thread.started':
        return [{ kind: 'system', text: 'Codex session started' }];
      case 'item.started':
        if (!item) return [];
        this.started.add(str(item.id) ?? '');
        return this.call(item);
      case 'item.completed':
        return item ? this.completed(item) : [];
      case 'turn.completed': {
        const usage = obj(m.usage) ?? {};
        this.usage.add({ input: num(usage.input_tokens), output: num(usage.output_tokens) });
        return [];
      }
      case 'turn.failed':
        this.usage.failure = str(obj(m.error)?.message) ?? 'turn failed';
        return [{ kind: 'error', text: this.usage.failure }];
      case 'error':
        return [{ kind: 'error', text: str(m.message) ?? 'error' }];
      default:
        return [];
    }
  }

  end(): LogEntry[] {
    return this.usage.entries();
  }

  /** The tool-call entry of an item, if it is a call. */
  private call(item: Json): LogEntry[] {
    switch (item.type) {
      case 'command_execution':
        return [toolEntry('shell', str(item.command))];
      case 'mcp_tool_call':
        return [toolEntry(`${str(item.server) ?? 'mcp'}.${str(item.tool) ?? 'tool'}`, item.arguments)];
      case 'web_search':
        return [toolEntry('web_search', str(item.query))];
      case 'file_change': {
        const changes = Array.isArray(item.changes) ? item.changes.map(obj) : [];
        const files = changes.map((c) => `${str(c?.kind) ?? 'edit'} ${str(c?.path) ?? '?'}`);
        return [toolEntry('apply_patch', files.join(', '))];
      }
      default:
        return [];
    }
  }

  private completed(item: Json): LogEntry[] {
    const text = str(item.text)?.trim();
    switch (item.type) {
      case 'agent_message':
        return text ? [{ kind: 'text', text }] : [];
      case 'reasoning':
        return text ? [thinkingEntry(text)] : [];
      case 'error':
        return [{ kind: 'error', text: str(item.message) ?? 'error' }];
      case 'todo_list': {
        const items = Array.isArray(item.items) ? item.items.map(obj) : [];
        const lines = items.map((t) => `[${t?.completed === true ? 'x' : ' '}] ${str(t?.text) ?? ''}`);
        return lines.length > 0 ? [{ kind: 'system', text: `plan:\n${lines.join('\n')}` }] : [];
      }
      default:
        break;
    }
    // A call seen only when it completed is announced now, before its result.
    const call = this.started.delete(str(item.id) ?? '') ? [] : this.call(item);
    if (item.type === 'command_execution') {
      const code = num(item.exit_code);
      const out = str(item.aggregated_output) ?? '';
      const failed = (code !== undefined && code !== 0) || item.status === 'failed';
      return [
        ...call,
        resultEntry(code ? `${out.replace(/\s+$/, '')}\n(exit code ${code})`.trim() : out, failed),
      ];
    }
    if (item.type === 'mcp_tool_call') {
      const error = str(obj(item.error)?.message);
      const result = obj(item.result);
      const out =
        error ?? (result?.content !== undefined ? contentText(result.content) : JSON.stringify(result ?? ''));
      return [...call, resultEntry(out, error !== undefined || item.status === 'failed')];
    }
    if (item.type === 'file_change') {
      return [...call, resultEntry(str(item.status) ?? 'completed', item.status === 'failed')];
    }
    return call;
  }
}
