/**
 * SARIF 2.1.0, for GitHub code scanning and other SARIF viewers: one run, the rules that ran as
 * the driver's rules, every diagnostic as a result with its file:line location, and every
 * suppression as a result carrying an in-source suppression with its reason.
 *
 * @see https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
 * @packageDocumentation
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KELOS_HOME } from '../../api/version.ts';
import {
  formatResource,
  type ResourceRef,
  type Severity,
  type SourceLocation,
} from '../../validate/diagnostic.ts';
import { ENGINE_RULES, type PolicyReport, type RuleSummary } from '../engine.ts';
import { ruleCategory } from '../rule.ts';
import { hasFile, type ReportOptions } from './common.ts';

/** The schema URI SARIF files declare. */
export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

const LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
};

/**
 * Where a file is, as SARIF says it: relative to `%SRCROOT%` (`base`: the repository's root, else
 * the working directory) when it is inside it, else an absolute `file:` URI. A relative
 * reference that climbs out (`../x`) or an absolute path under the base is no location code
 * scanning can place.
 */
const artifactLocation = (file: string, cwd: string, base: string): { uri: string; uriBaseId?: string } => {
  const abs = resolve(cwd, file);
  const rel = relative(base, abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return { uri: pathToFileURL(abs).href };
  return { uri: rel.split(sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
};

/** Renders a report as a SARIF 2.1.0 log. */
export function formatSarif(report: PolicyReport, options: ReportOptions): string {
  // Code scanning resolves a relative URI from the checkout's root, whatever the step's directory.
  const base = options.root ?? options.cwd;
  // Codes that are not rules (parse errors, engine checks) still get a rule entry, so every
  // result's ruleIndex resolves.
  const rules: RuleSummary[] = [...report.rules];
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const ruleFor = (code: string, severity: Severity): number => {
    const known = index.get(code);
    if (known !== undefined) return known;
    const engine = ENGINE_RULES.find((r) => r.id === code);
    rules.push(engine ?? { id: code, severity, description: code, rationale: '', hint: '' });
    index.set(code, rules.length - 1);
    return rules.length - 1;
  };

  const locations = (resource: ResourceRef | undefined, path: string, source: SourceLocation | undefined) => {
    const logical = resource
      ? [{ fullyQualifiedName: `${formatResource(resource)}${path}`, kind: 'resource' }]
      : undefined;
    const physical =
      source && hasFile({ source })
        ? {
            artifactLocation: artifactLocation(source.file, options.cwd, base),
            region: {
              startLine: Math.max(1, source.line ?? 1),
              ...(source.column ? { startColumn: source.column } : {}),
            },
          }
        : undefined;
    if (!logical && !physical) return undefined;
    return [
      {
        ...(physical ? { physicalLocation: physical } : {}),
        ...(logical ? { logicalLocations: logical } : {}),
      },
    ];
  };

  const results = [
    ...report.diagnostics.map((d) => {
      const loc = locations(d.resource, d.path, d.source);
      const ruleIndex = ruleFor(d.code, d.severity);
      // A hint of this finding's own (validate's "did you mean"), not the rule's help, is kept.
      const hint = d.hint && d.hint !== rules[ruleIndex]?.hint ? ` (hint: ${d.hint})` : '';
      return {
        ruleId: d.code,
        ruleIndex,
        level: LEVEL[d.severity],
        message: {
          text: `${d.resource ? `${formatResource(d.resource)}${d.path ? ` ${d.path}` : ''}: ` : ''}${d.message}${hint}`,
        },
        ...(loc ? { locations: loc } : {}),
      };
    }),
    ...report.suppressions.map((s) => {
      const ruleIndex = ruleFor(s.rule, 'warning');
      const loc = locations(s.resource, s.path, s.source);
      return {
        ruleId: s.rule,
        ruleIndex,
        level: LEVEL[rules[ruleIndex]!.severity],
        message: { text: `${formatResource(s.resource)}${s.path ? ` ${s.path}` : ''}: ${s.message}` },
        ...(loc ? { locations: loc } : {}),
        suppressions: [{ kind: 'inSource', justification: s.reason }],
      };
    }),
  ];

  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: options.tool ?? 'kelos check',
            ...(options.toolVersion ? { version: options.toolVersion } : {}),
            // This package, not upstream's Go project: the rules and their ids are ours.
            informationUri: KELOS_HOME,
            rules: rules.map((r) => ({
              id: r.id,
              name: r.id.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) =>
                c ? c.toUpperCase() : '',
              ),
              shortDescription: { text: r.description },
              ...(r.rationale ? { fullDescription: { text: `${r.description} ${r.rationale}` } } : {}),
              ...(r.hint ? { help: { text: r.hint } } : {}),
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { category: ruleCategory(r.id) },
            })),
          },
        },
        originalUriBaseIds: {
          '%SRCROOT%': { uri: pathToFileURL(base).href.replace(/\/?$/, '/') },
        },
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
