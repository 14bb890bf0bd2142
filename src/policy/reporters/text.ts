/**
 * The human report: diagnostics grouped by resource, then suppressions, then a summary line.
 * Colour only when asked (the CLI asks as FORCE_COLOR, NO_COLOR, TERM and a terminal say).
 *
 * @packageDocumentation
 */
import { type Diagnostic, formatLocation, formatResource, printable } from '../../validate/diagnostic.ts';
import type { PolicyReport } from '../engine.ts';
import { displayPath, type ReportOptions, summaryLine } from './common.ts';

const STYLES = { red: [31, 39], yellow: [33, 39], cyan: [36, 39], bold: [1, 22], dim: [2, 22] } as const;
type Style = keyof typeof STYLES;

/** Renders a report as text. */
export function formatText(report: PolicyReport, options: ReportOptions): string {
  // Every text painted is escaped first (see printable): only the paint's own codes go out raw.
  const paint = (style: Style, text: string) =>
    options.color
      ? `\u001b[${STYLES[style][0]}m${printable(text)}\u001b[${STYLES[style][1]}m`
      : printable(text);
  const severityText = (d: Diagnostic) =>
    paint(
      d.severity === 'error' ? 'red' : d.severity === 'warning' ? 'yellow' : 'cyan',
      d.severity.padEnd(7),
    );
  const where = (d: Pick<Diagnostic, 'source'>) =>
    d.source ? formatLocation({ ...d.source, file: displayPath(d.source.file, options.cwd) }) : '';

  // Group in first-seen order; diagnostics are already sorted by file and line. An object that
  // sets no namespace lands in the default one, as `check` reads it: a copy that writes
  // `namespace: default` is the same object, under the same heading, the namespaced one.
  const groups = new Map<string, { title: string; diagnostics: Diagnostic[] }>();
  for (const d of report.diagnostics) {
    const r = d.resource;
    const key = r
      ? `${r.kind}\u0000${r.namespace ?? 'default'}\u0000${r.name}`
      : d.source
        ? displayPath(d.source.file, options.cwd)
        : '(input)';
    const title = r ? formatResource(r) : key;
    const group = groups.get(key);
    if (!group) groups.set(key, { title, diagnostics: [d] });
    else {
      group.diagnostics.push(d);
      if (r?.namespace) group.title = title;
    }
  }

  const lines: string[] = [];
  for (const { title, diagnostics } of groups.values()) {
    lines.push(paint('bold', title));
    for (const d of diagnostics) {
      lines.push(
        `  ${severityText(d)} ${printable(`${d.path ? `${d.path}: ` : ''}${d.message}`)} ${paint('dim', `[${d.code}]`)}`,
      );
      const at = where(d);
      if (at)
        lines.push(
          `          ${paint('dim', `at ${at}${d.source?.constructPath ? ` (${d.source.constructPath})` : ''}`)}`,
        );
      if (d.hint) lines.push(`          ${paint('dim', `hint: ${d.hint}`)}`);
    }
    lines.push('');
  }
  if (report.suppressions.length > 0) {
    lines.push(paint('bold', `Suppressed (${report.suppressions.length})`));
    for (const s of report.suppressions) {
      lines.push(printable(`  ${formatResource(s.resource)} ${s.rule}: ${s.reason}`));
      lines.push(
        `          ${paint('dim', `${s.path ? `${s.path}: ` : ''}${s.message}${s.source ? ` at ${where(s)}` : ''}`)}`,
      );
    }
    lines.push('');
  }
  lines.push(options.summary ?? summaryLine(report));
  return `${lines.join('\n')}\n`;
}
