/**
 * The report formats `kelos check --format` offers.
 *
 * @packageDocumentation
 */
import type { PolicyReport } from '../engine.ts';
import type { ReportOptions } from './common.ts';
import { formatGithub } from './github.ts';
import { formatJson } from './json.ts';
import { formatJunit } from './junit.ts';
import { formatSarif } from './sarif.ts';
import { formatText } from './text.ts';

export type { ReportOptions } from './common.ts';

/** Names of the report formats. */
export const REPORT_FORMATS = ['text', 'json', 'sarif', 'junit', 'github'] as const;
/** One of {@link REPORT_FORMATS}. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const REPORTERS: Readonly<Record<ReportFormat, (report: PolicyReport, options: ReportOptions) => string>> = {
  text: formatText,
  json: formatJson,
  sarif: formatSarif,
  junit: formatJunit,
  github: formatGithub,
};

/** Renders a report in one of the formats. */
export const formatReport = (report: PolicyReport, format: ReportFormat, options: ReportOptions): string =>
  REPORTERS[format](report, options);
