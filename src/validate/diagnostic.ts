/**
 * The one diagnostic shape every part of Kelos reports in: schema and CEL validation,
 * cross-resource checks, construct validation and policy rules.
 *
 * @packageDocumentation
 */

/** How bad a finding is. Errors fail a command (exit 2); warnings do not unless `--strict`. */
export type Severity = 'error' | 'warning' | 'info';

/** The object a diagnostic is about. */
export interface ResourceRef {
  readonly apiVersion?: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** Where in a source file the diagnostic points. Lines and columns are 1-based. */
export interface SourceLocation {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** Construct path, for objects that came from a cdk8s app. */
  readonly constructPath?: string;
  /**
   * For an object a construct made, where the finding is in the rendered manifest; `file`
   * and `line` then name the line of the app that created the object (for an object a cdk8s
   * `Include` read, the offending node in the YAML file it came from).
   */
  readonly rendered?: { readonly file: string; readonly line?: number; readonly column?: number };
}

/** One finding. */
export interface Diagnostic {
  readonly severity: Severity;
  /** Stable identifier, e.g. `schema/unknown-field`, `cel/rule`, `ref/dangling`, or a policy rule id. */
  readonly code: string;
  /** What is wrong and what was expected, in one sentence. */
  readonly message: string;
  /** JSON pointer into the object, e.g. `/spec/workspaceRef/name`; empty for the whole object. */
  readonly path: string;
  readonly resource?: ResourceRef;
  readonly source?: SourceLocation;
  /** How to fix it, when there is something concrete to say. */
  readonly hint?: string;
}

/**
 * A diagnostic before it is tied to an object and a source position: what checks return, and
 * what the caller completes with `resource` and `source`.
 */
export type Finding = Omit<Diagnostic, 'resource' | 'source'>;

/** Formats a resource as `Kind namespace/name` (or `Kind name` when it has no namespace). */
export const formatResource = (r: ResourceRef): string =>
  `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name || '<unnamed>'}`;

/** Formats a location as `file:line:column`. */
export const formatLocation = (s: SourceLocation): string =>
  [s.file, s.line, s.column].filter((p) => p !== undefined).join(':');

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is its purpose.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * `s` with its control characters (C0, DEL, C1) written as `\u001b` escapes, for text output.
 * Names, keys and file names come from the user's files: printed raw, a newline in a name forges
 * a line of output (a GitHub workflow command, `::error`, in a CI log) and an escape sequence
 * drives the terminal. JSON, SARIF and JUnit escape in their own syntax.
 */
export const printable = (s: string): string =>
  s.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Renders a diagnostic on one line: `file:line:col: error Kind ns/name /path: message [code]`. */
export const formatDiagnostic = (d: Diagnostic): string => {
  const where = d.source ? `${formatLocation(d.source)}: ` : '';
  const what = d.resource ? `${formatResource(d.resource)} ` : '';
  const path = d.path ? `${d.path}: ` : '';
  return printable(`${where}${d.severity} ${what}${path}${d.message} [${d.code}]`);
};

/**
 * A diagnostic in text form as the commands print it: the line of {@link formatDiagnostic},
 * then the construct path, the rendered location and the hint on lines of their own. When
 * nothing was written (`written` false), the rendered location names a file that still holds
 * the previous synth's output, so it is said as where the object would go.
 */
export const formatDiagnosticBlock = (d: Diagnostic, written = true): string =>
  [
    formatDiagnostic(d),
    ...(d.source?.constructPath ? [`    at construct ${printable(d.source.constructPath)}`] : []),
    ...(d.source?.rendered
      ? [
          `    ${written ? 'rendered at' : 'would be rendered at'} ${printable(formatLocation(d.source.rendered))}`,
        ]
      : []),
    ...(d.hint ? [`    hint: ${printable(d.hint)}`] : []),
  ].join('\n');

/**
 * Version of the JSON report `kelos validate` and `kelos check` print with `--format json`:
 * both print `version`, `summary` (with the counts of {@link SeverityCounts} and `objects`) and
 * `diagnostics`, so one reader reads either. Bumped on incompatible changes.
 */
export const JSON_REPORT_VERSION = 1;

/** Diagnostics counted by severity, under the names every report's summary uses. */
export interface SeverityCounts {
  readonly errors: number;
  readonly warnings: number;
  readonly info: number;
}

/** Counts diagnostics by severity. */
export const countSeverities = (diagnostics: readonly Diagnostic[]): SeverityCounts => {
  let errors = 0;
  let warnings = 0;
  let info = 0;
  for (const d of diagnostics) {
    if (d.severity === 'error') errors++;
    else if (d.severity === 'warning') warnings++;
    else info++;
  }
  return { errors, warnings, info };
};

/** Whether any diagnostic is an error (or, with `strict`, a warning). */
export const hasFailures = (diagnostics: readonly Diagnostic[], strict = false): boolean =>
  diagnostics.some((d) => d.severity === 'error' || (strict && d.severity === 'warning'));

/**
 * The diagnostics without the schema findings that only repeat a YAML error at the same key of
 * the same object: a null key (`~:`, `null:`) is the key "" to the schema, so it is refused as
 * a key and its value checked as that key's, while the YAML error already says the document
 * cannot be applied and how to write the key. The YAML error stays; so do schema findings
 * elsewhere in the object, and those beside a YAML warning (a boolean key is a real key the
 * schema may refuse).
 */
export const withoutSchemaRepeats = (diagnostics: readonly Diagnostic[]): Diagnostic[] => {
  const objectOf = (d: Diagnostic) =>
    JSON.stringify([d.source?.file, d.resource?.kind, d.resource?.namespace, d.resource?.name]);
  const keys = new Map<string, string[]>();
  for (const d of diagnostics) {
    // A finding at the document (path "") is about no key: it repeats nothing of the schema's.
    if (d.severity !== 'error' || !d.code.startsWith('yaml/') || !d.resource || d.path === '') continue;
    const object = objectOf(d);
    keys.set(object, [...(keys.get(object) ?? []), d.path]);
  }
  if (keys.size === 0) return [...diagnostics];
  const repeats = (d: Diagnostic) =>
    d.code.startsWith('schema/') &&
    d.resource !== undefined &&
    (keys.get(objectOf(d))?.some((key) => d.path === key || d.path.startsWith(`${key}/`)) ?? false);
  const kept = diagnostics.filter((d) => !repeats(d));
  // The schema errors that kept the CEL rules from running may all be gone: the note then
  // names what is shown instead of errors that are not.
  const stillRefused = new Set(kept.filter((d) => d.code.startsWith('schema/')).map(objectOf));
  return kept.map((d) =>
    d.code === 'cel/skipped' && keys.has(objectOf(d)) && !stillRefused.has(objectOf(d))
      ? {
          ...d,
          message:
            'CEL rules were not checked because the schema refuses the key the YAML error names; fix that to check the rules too',
        }
      : d,
  );
};

/** Sorts diagnostics by file, line, column, resource and path, so output is stable. */
export const sortDiagnostics = (diagnostics: readonly Diagnostic[]): Diagnostic[] =>
  [...diagnostics].sort(
    (a, b) =>
      (a.source?.file ?? '').localeCompare(b.source?.file ?? '') ||
      (a.source?.line ?? 0) - (b.source?.line ?? 0) ||
      (a.source?.column ?? 0) - (b.source?.column ?? 0) ||
      (a.resource ? formatResource(a.resource) : '').localeCompare(
        b.resource ? formatResource(b.resource) : '',
      ) ||
      a.path.localeCompare(b.path) ||
      a.code.localeCompare(b.code),
  );

/** Escapes one JSON-pointer segment (RFC 6901). */
export const escapePointer = (segment: string | number): string => {
  const s = typeof segment === 'string' ? segment : String(segment);
  // Almost no segment needs escaping; validation and policies escape every segment they visit.
  return s.includes('~') || s.includes('/') ? s.replaceAll('~', '~0').replaceAll('/', '~1') : s;
};

/** Splits a JSON pointer into unescaped segments (RFC 6901). */
export const parsePointer = (pointer: string): string[] =>
  pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));

/** Joins segments into a JSON pointer. */
export const toPointer = (segments: ReadonlyArray<string | number>): string => {
  let out = '';
  for (const s of segments) out += `/${escapePointer(s)}`;
  return out;
};

/** Diagnostics of one code a command prints before it summarizes the rest. */
export const MAX_PER_CODE = 100;

/**
 * Keeps the first `max` diagnostics of each code (in the given order) and replaces the rest of
 * that code with one diagnostic that counts them, located at the first one left out and as
 * severe as the worst of them, so a pathological input yields bounded output and the same exit
 * code. A 50,000-label object with a bad key pattern prints 101 lines, not 50,000.
 */
export const limitPerCode = (
  diagnostics: readonly Diagnostic[],
  max: number = MAX_PER_CODE,
): Diagnostic[] => {
  const counts = new Map<string, number>();
  for (const d of diagnostics) counts.set(d.code, (counts.get(d.code) ?? 0) + 1);
  if ([...counts.values()].every((n) => n <= max)) return [...diagnostics];
  const rank = { error: 2, warning: 1, info: 0 } as const;
  const worst = new Map<string, Severity>();
  diagnostics.forEach((d) => {
    const w = worst.get(d.code);
    if (!w || rank[d.severity] > rank[w]) worst.set(d.code, d.severity);
  });
  const kept = new Map<string, number>();
  const out: Diagnostic[] = [];
  for (const d of diagnostics) {
    const n = (kept.get(d.code) ?? 0) + 1;
    kept.set(d.code, n);
    if (n <= max) out.push(d);
    else if (n === max + 1) {
      const more = (counts.get(d.code) ?? 0) - max;
      out.push({
        ...d,
        severity: worst.get(d.code) ?? d.severity,
        message: `and ${more} more ${d.code} finding${more === 1 ? '' : 's'}, starting with this one: ${d.message}`,
        hint: `output is limited to ${max} findings per code; fix these and run again to see the rest`,
      });
    }
  }
  return out;
};

/** Renders a JSON pointer as a field path: `/spec/volumes/0/name` → `spec.volumes[0].name`. */
export function fieldPath(pointer: string): string {
  let out = '';
  for (const segment of parsePointer(pointer)) {
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
