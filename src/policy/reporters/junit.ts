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
import { type ReportOptions, repositoryFilePath } from './common.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters XML 1.0 cannot hold.
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/**
 * Escapes text for XML content. A character XML 1.0 cannot hold (ESC, BEL, NUL, ...) is written
 * as the text report writes it, `\u001b`, rather than dropped: the message then says what the
 * file holds, not something else. A carriage return is a character reference, as a parser turns
 * a raw one into a line feed.
 */
export const escapeXml = (text: string): string =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
    .replaceAll('\r', '&#13;')
    .replace(NOT_XML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * Escapes text for an XML attribute: as {@link escapeXml}, and a line break or tab as a character
 * reference, since a parser normalises a raw one in an attribute to a space.
 */
export const escapeXmlAttribute = (text: string): string =>
  escapeXml(text).replaceAll('\n', '&#10;').replaceAll('\t', '&#9;');

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
        `    <testcase classname="${escapeXmlAttribute(id)}" name="no objects">\n      <skipped message="no object was read, so nothing was checked"/>\n    </testcase>`,
      );
    else if (diagnostics.length === 0)
      cases.push(`    <testcase classname="${escapeXmlAttribute(id)}" name="all objects comply"/>`);
    for (const d of diagnostics) {
      const name = `${d.resource ? formatResource(d.resource) : 'input'}${d.path ? ` ${d.path}` : ''}`;
      const file = d.source ? repositoryFilePath(d.source.file, options) : undefined;
      const attrs = `classname="${escapeXmlAttribute(id)}" name="${escapeXmlAttribute(name)}"${file ? ` file="${escapeXmlAttribute(file)}"` : ''}${d.source?.line ? ` line="${d.source.line}"` : ''}`;
      const detail = [
        d.source && file ? `${formatLocation({ ...d.source, file })}: ${d.message}` : d.message,
        d.hint ? `hint: ${d.hint}` : '',
      ]
        .filter(Boolean)
        .join('\n');
      if (fails(d)) {
        suiteFailures++;
        cases.push(
          `    <testcase ${attrs}>\n      <failure type="${d.severity}" message="${escapeXmlAttribute(d.message)}">${escapeXml(detail)}</failure>\n    </testcase>`,
        );
      } else {
        cases.push(
          `    <testcase ${attrs}>\n      <system-out>${escapeXml(`${d.severity}: ${detail}`)}</system-out>\n    </testcase>`,
        );
      }
    }
    for (const s of report.suppressions.filter((x) => x.rule === id)) {
      cases.push(
        `    <testcase classname="${escapeXmlAttribute(id)}" name="${escapeXmlAttribute(`${formatResource(s.resource)}${s.path ? ` ${s.path}` : ''}`)}">\n      <skipped message="${escapeXmlAttribute(`suppressed: ${s.reason}`)}"/>\n    </testcase>`,
      );
    }
    total += cases.length;
    failures += suiteFailures;
    const skipped = report.suppressions.filter((x) => x.rule === id).length + (nothingRead ? 1 : 0);
    body.push(
      `  <testsuite name="${escapeXmlAttribute(id)}" tests="${cases.length}" failures="${suiteFailures}" errors="0" skipped="${skipped}">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${escapeXmlAttribute(options.tool ?? 'kelos check')}" tests="${total}" failures="${failures}" errors="0">\n${body.join('\n')}\n</testsuites>\n`;
}
