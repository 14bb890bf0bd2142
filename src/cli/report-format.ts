/**
 * `--format` and `-o` of `kelos validate` and `kelos check`, defined once so the two commands
 * read them alike. A report written to `results.sarif` without `--format` is SARIF: a CI step
 * that uploads the file as SARIF should not get the text report under that name.
 *
 * @packageDocumentation
 */
import { extname } from 'node:path';
import { Option } from 'commander';
import { REPORT_FORMATS, type ReportFormat } from '../policy/reporters/index.ts';

/** The format each `-o` extension names when `--format` is not given. */
const BY_EXTENSION: Readonly<Record<string, ReportFormat>> = {
  '.sarif': 'sarif',
  '.json': 'json',
  '.xml': 'junit',
};

/** `--format`, without a commander default: {@link reportFormat} picks it from `-o` first. */
export const reportFormatOption = (): Option =>
  new Option(
    '--format <format>',
    'report format (default: what -o names by its extension, .sarif, .json or .xml for junit; else text)',
  ).choices(REPORT_FORMATS);

/** `-o`, the file the report goes to. */
export const reportOutputOption = (): Option =>
  new Option('-o, --output <file>', 'write the report to a file (the summary still goes to stdout)');

/** The format asked for: `--format`, else the one `-o`'s extension names, else text. */
export const reportFormat = (format: ReportFormat | undefined, output: string | undefined): ReportFormat =>
  format ?? (output === undefined ? undefined : BY_EXTENSION[extname(output).toLowerCase()]) ?? 'text';
