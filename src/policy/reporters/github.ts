/**
 * GitHub Actions workflow commands: one `::error`, `::warning` or `::notice` line per diagnostic,
 * which the runner turns into annotations on the pull request's files.
 *
 * @see https://docs.github.com/actions/reference/workflow-commands-for-github-actions
 * @packageDocumentation
 */
import { formatResource, printable } from '../../validate/diagnostic.ts';
import type { PolicyReport } from '../engine.ts';
import { hasFile, type ReportOptions, repositoryFilePath, summaryLine } from './common.ts';

/** Escapes a workflow command's message: its newlines as the runner reads them, other control characters as text. */
export const escapeData = (s: string): string =>
  printable(s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A'));
/** Escapes a workflow command's property value. */
export const escapeProperty = (s: string): string =>
  escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');

const COMMAND = { error: 'error', warning: 'warning', info: 'notice' } as const;

/** Renders a report as workflow commands, then the summary as a plain line. */
export function formatGithub(report: PolicyReport, options: ReportOptions): string {
  const lines = report.diagnostics.map((d) => {
    const props: string[] = [];
    if (d.source && hasFile(d)) {
      props.push(`file=${escapeProperty(repositoryFilePath(d.source.file, options))}`);
      if (d.source.line) props.push(`line=${d.source.line}`);
      if (d.source.column) props.push(`col=${d.source.column}`);
    }
    props.push(`title=${escapeProperty(d.code)}`);
    const what = d.resource ? `${formatResource(d.resource)}${d.path ? ` ${d.path}` : ''}: ` : '';
    return `::${COMMAND[d.severity]} ${props.join(',')}::${escapeData(`${what}${d.message}${d.hint ? ` (hint: ${d.hint})` : ''}`)}`;
  });
  lines.push(options.summary ?? summaryLine(report));
  return `${lines.join('\n')}\n`;
}
