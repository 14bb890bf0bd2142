/**
 * What every reporter shares: options, counts, and paths relative to the working directory (or,
 * in the CI formats, the repository's root).
 *
 * @packageDocumentation
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { countSeverities, type Diagnostic, type SeverityCounts } from '../../validate/diagnostic.ts';
import type { PolicyReport } from '../engine.ts';

/** Options every reporter accepts. */
export interface ReportOptions {
  /** Directory file paths are made relative to, so reports do not leak a machine's layout. */
  readonly cwd: string;
  /**
   * The git repository's root, when the report is made inside one: SARIF, GitHub and JUnit paths
   * are relative to it, as GitHub resolves them from the checkout's root (GITHUB_WORKSPACE)
   * whatever directory the step ran in. Text and JSON keep paths as the user typed them.
   */
  readonly root?: string;
  /** Whether to colour the text report (as FORCE_COLOR, NO_COLOR, TERM and a terminal say). @default false */
  readonly color?: boolean;
  /** Whether warnings fail the check (`--strict`); JUnit then reports them as failures. @default false */
  readonly strict?: boolean;
  /** Version of Kelos, recorded by SARIF. */
  readonly toolVersion?: string;
  /**
   * The command that made the report, as SARIF's driver and JUnit's test suites name it: code
   * scanning keeps one analysis per tool, so `kelos validate`'s upload must not replace
   * `kelos check`'s. @default 'kelos check'
   */
  readonly tool?: string;
  /** The closing line of the text and GitHub reports. @default the policy summary, {@link summaryLine} */
  readonly summary?: string;
}

/** Counts by severity, as `kelos validate` counts them, and the findings objects opted out of. */
export interface ReportCounts extends SeverityCounts {
  readonly suppressed: number;
}

/** Counts a report's diagnostics by severity. */
export const countReport = (report: PolicyReport): ReportCounts => ({
  ...countSeverities(report.diagnostics),
  suppressed: report.suppressions.length,
});

/** A file path as reports show it: relative to `cwd` when below it, with forward slashes. */
export function displayPath(file: string, cwd: string): string {
  const rel = isAbsolute(file) ? relative(cwd, file) : file;
  const shown = rel.startsWith('..') ? file : rel;
  return shown.split(sep).join('/');
}

/**
 * A file path as the CI formats (GitHub, JUnit) show it: relative to the repository root when
 * below it, else absolute; outside a repository (no `root`), as {@link displayPath} shows it.
 */
export function repositoryFilePath(file: string, options: Pick<ReportOptions, 'cwd' | 'root'>): string {
  if (options.root === undefined) return displayPath(file, options.cwd);
  const abs = resolve(options.cwd, file);
  const rel = relative(options.root, abs);
  return (rel === '' || rel.startsWith('..') || isAbsolute(rel) ? abs : rel).split(sep).join('/');
}

/** Whether a diagnostic points into a real file (not standard input or an in-memory object). */
export const hasFile = (d: Pick<Diagnostic, 'source'>): boolean =>
  d.source !== undefined && d.source.file !== '-' && !d.source.file.startsWith('<');

/** `n thing` or `n things`. */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One-line summary shared by the text and GitHub reporters. */
export const summaryLine = (report: PolicyReport): string => {
  const c = countReport(report);
  return `${plural(c.errors, 'error')}, ${plural(c.warnings, 'warning')}, ${c.info} info in ${plural(report.objects, 'object')} (${plural(report.rules.length, 'rule')}); ${c.suppressed} suppressed${report.policyFile === undefined ? '' : `; policy from ${report.policyFile}`}`;
};
