/**
 * SARIF 2.1.0, for GitHub code scanning and other SARIF viewers: one run, the rules that ran as
 * the driver's rules, every diagnostic as a result with its file:line location, and every
 * suppression as a result carrying an in-source suppression with its reason.
 *
 * @see https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
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
import { hasFile, type ReportOptions, repositoryFilePath } from './common.ts';

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

/** Index in the run's `artifacts` of standard input, the only artifact listed there. */
const STDIN_ARTIFACT = 0;

/** The `partialFingerprints` key of a finding's identity; versioned, as SARIF asks (3.27.17). */
export const FINGERPRINT_KEY = 'kelosFinding/v1';

/**
 * A function giving each result its `partialFingerprints`: a hash of the rule, the file (as the
 * SARIF location names it, from the repository's root), the resource and the JSON pointer, never
 * the line, so a finding keeps its alert when lines above it move. GitHub reserves
 * `primaryLocationLineHash` for its own hash of the line's text. A second finding with the same
 * identity (two messages at one field) is told apart by its rank among them, in report order.
 */
const fingerprints = (options: ReportOptions) => {
  const seen = new Map<string, number>();
  return (
    rule: string,
    file: string | undefined,
    resource: ResourceRef | undefined,
    path: string,
  ): Record<string, string> => {
    const where =
      file === undefined || file === '-' || file.startsWith('<')
        ? (file ?? '')
        : repositoryFilePath(file, options);
    const identity = [
      rule,
      where,
      resource ? `${resource.kind}\u0000${resource.namespace ?? ''}\u0000${resource.name}` : '',
      path,
    ].join('\u0000');
    const n = (seen.get(identity) ?? 0) + 1;
    seen.set(identity, n);
    const hash = createHash('sha256')
      .update(n === 1 ? identity : `${identity}\u0000${n}`)
      .digest('hex');
    return { [FINGERPRINT_KEY]: hash };
  };
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

  // Standard input is an artifact with no URI: the run's `artifacts` describe it, and a result
  // points at it by index, keeping its line and column (SARIF 3.4.5, 3.24.2).
  let stdinRead = false;
  const locations = (resource: ResourceRef | undefined, path: string, source: SourceLocation | undefined) => {
    const logical = resource
      ? [{ fullyQualifiedName: `${formatResource(resource)}${path}`, kind: 'resource' }]
      : undefined;
    const stdin = source?.file === '-';
    if (stdin) stdinRead = true;
    const physical =
      source && (stdin || hasFile({ source }))
        ? {
            artifactLocation: stdin
              ? { index: STDIN_ARTIFACT }
              : artifactLocation(source.file, options.cwd, base),
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

  const fingerprint = fingerprints(options);
  const results = [
    ...report.diagnostics.map((d) => {
      const loc = locations(d.resource, d.path, d.source);
      const ruleIndex = ruleFor(d.code, d.severity);
      // A hint of this finding's own (validate's "did you mean"), not the rule's help, is kept.
      const hint = d.hint && d.hint !== rules[ruleIndex]?.hint ? ` (hint: ${d.hint})` : '';
      // With --strict a warning fails the run, so it fails code scanning's check too, which
      // fails on errors; the severity the rule gave it stays in the properties.
      const raised = options.strict === true && d.severity === 'warning';
      return {
        ruleId: d.code,
        ruleIndex,
        level: raised ? 'error' : LEVEL[d.severity],
        message: {
          text: `${d.resource ? `${formatResource(d.resource)}${d.path ? ` ${d.path}` : ''}: ` : ''}${d.message}${hint}`,
        },
        ...(loc ? { locations: loc } : {}),
        partialFingerprints: fingerprint(d.code, d.source?.file, d.resource, d.path),
        ...(raised ? { properties: { severity: d.severity, strict: true } } : {}),
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
        partialFingerprints: fingerprint(s.rule, s.source?.file, s.resource, s.path),
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
        ...(stdinRead
          ? { artifacts: [{ description: { text: 'standard input (-)' }, roles: ['analysisTarget'] }] }
          : {}),
        originalUriBaseIds: {
          '%SRCROOT%': { uri: pathToFileURL(base).href.replace(/\/?$/, '/') },
        },
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
