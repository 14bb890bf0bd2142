/**
 * JUnit XML, for CI systems that show test reports: one test suite per rule, one failing test
 * case per violation, and one passing case for a rule nothing violated (a skipped one when no
 * object was read). Warnings fail only with
 * `--strict`, matching the exit code.
 *
 * @packageDocumentation
 */
import { type Diagnostic, formatLocation, formatResource } from '../../validate/diagnostic.ts';
import type { PolicyReport } from '../engine.ts';
import { displayPath, type ReportOptions } from './common.ts';

/** Escapes text for XML attributes and content; drops characters XML 1.0 cannot carry. */
export const escapeXml = (text: string): string =>
  text
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');

/** Renders a report as JUnit XML. */
export function formatJunit(report: PolicyReport, options: ReportOptions): string {
  const fails = (d: Diagnostic) =>
    d.severity === 'error' || (options.strict === true && d.severity === 'warning');
  const suites = new Map<string, Diagnostic[]>(report.rules.map((r) => [r.id, []]));
  for (const d of report.diagnostics) {
    const suite = suites.get(d.code);
    if (suite) suite.push(d);
    else suites.set(d.code, [d]);
  }

  let total = 0;
  let failures = 0;
  const body: string[] = [];
  for (const [id, diagnostics] of suites) {
    const cases: string[] = [];
    let suiteFailures = 0;
    // With no object read (a file that did not parse), a rule checked nothing: it did not pass.
    const nothingRead = diagnostics.length === 0 && report.objects === 0;
    if (nothingRead)
      cases.push(
        `    <testcase classname="${escapeXml(id)}" name="no objects">\n      <skipped message="no object was read, so nothing was checked"/>\n    </testcase>`,
      );
    else if (diagnostics.length === 0)
      cases.push(`    <testcase classname="${escapeXml(id)}" name="all objects comply"/>`);
    for (const d of diagnostics) {
      const name = `${d.resource ? formatResource(d.resource) : 'input'}${d.path ? ` ${d.path}` : ''}`;
      const file = d.source ? displayPath(d.source.file, options.cwd) : undefined;
      const attrs = `classname="${escapeXml(id)}" name="${escapeXml(name)}"${file ? ` file="${escapeXml(file)}"` : ''}${d.source?.line ? ` line="${d.source.line}"` : ''}`;
      const detail = [
        d.source && file ? `${formatLocation({ ...d.source, file })}: ${d.message}` : d.message,
        d.hint ? `hint: ${d.hint}` : '',
      ]
        .filter(Boolean)
        .join('\n');
      if (fails(d)) {
        suiteFailures++;
        cases.push(
          `    <testcase ${attrs}>\n      <failure type="${d.severity}" message="${escapeXml(d.message)}">${escapeXml(detail)}</failure>\n    </testcase>`,
        );
      } else {
        cases.push(
          `    <testcase ${attrs}>\n      <system-out>${escapeXml(`${d.severity}: ${detail}`)}</system-out>\n    </testcase>`,
        );
      }
    }
    for (const s of report.suppressions.filter((x) => x.rule === id)) {
      cases.push(
        `    <testcase classname="${escapeXml(id)}" name="${escapeXml(`${formatResource(s.resource)}${s.path ? ` ${s.path}` : ''}`)}">\n      <skipped message="${escapeXml(`suppressed: ${s.reason}`)}"/>\n    </testcase>`,
      );
    }
    total += cases.length;
    failures += suiteFailures;
    const skipped = report.suppressions.filter((x) => x.rule === id).length + (nothingRead ? 1 : 0);
    body.push(
      `  <testsuite name="${escapeXml(id)}" tests="${cases.length}" failures="${suiteFailures}" errors="0" skipped="${skipped}">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="kelos check" tests="${total}" failures="${failures}" errors="0">\n${body.join('\n')}\n</testsuites>\n`;
}
