/**
 * The machine report: the whole {@link PolicyReport} with counts, as stable JSON. Its
 * `version`, `summary` counts and `diagnostics` are those of `kelos validate --format json`;
 * `suppressions` and `rules` are the policies' own.
 *
 * @packageDocumentation
 */
import { JSON_REPORT_VERSION } from '../../validate/diagnostic.ts';
import type { PolicyReport } from '../engine.ts';
import { countReport, displayPath, type ReportOptions } from './common.ts';

export { JSON_REPORT_VERSION } from '../../validate/diagnostic.ts';

/** Renders a report as JSON. */
export function formatJson(report: PolicyReport, options: ReportOptions): string {
  const relative = <T extends { source?: { file: string } }>(x: T): T =>
    x.source ? { ...x, source: { ...x.source, file: displayPath(x.source.file, options.cwd) } } : x;
  return `${JSON.stringify(
    {
      version: JSON_REPORT_VERSION,
      summary: { ...countReport(report), objects: report.objects, rules: report.rules.length },
      diagnostics: report.diagnostics.map(relative),
      suppressions: report.suppressions.map(relative),
      rules: report.rules,
    },
    null,
    2,
  )}\n`;
}
