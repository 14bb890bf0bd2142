/**
 * The offline validator: schema (ajv, strict), CEL rules (`@bufbuild/cel` on the CRDs' own rule
 * strings) and bundle checks (references, cycles, duplicates), reported as {@link Diagnostic}s.
 *
 * @packageDocumentation
 */
import { API_VERSION, GROUP, KINDS, kindByName, LEGACY_API_VERSION, UNSERVED_KINDS } from '../api/index.ts';
import { collectRules, evaluateRules, type RuleFinding } from './cel.ts';
import { dataSizeFinding, objectSizeFinding } from './data-size.ts';
import { type Diagnostic, type Finding, parsePointer, type Severity, sortDiagnostics } from './diagnostic.ts';
import { clipName, closest } from './echo.ts';
import { checkGitNames } from './git-refs.ts';
import { checkImageNames } from './image-refs.ts';
import { checkKelosConfigNames } from './kelos-config.ts';
import { documentFromObject, type LoadedDocument, toDiagnostic } from './load.ts';
import { checkPodOverrides } from './pod-overrides.ts';
import { checkSecretKeys } from './secret-keys.ts';

export { type LoadResult, loadManifestPaths } from './manifest-files.ts';

import {
  checkReferences,
  type ReferenceOptions,
  referencedDocument,
  referenceResolver,
} from './references.ts';
import { BLOCKING_CODES, INT64_RANGE_MESSAGE, kelosObjectSchema, validateSchema } from './schema.ts';
import { checkSpawnerSources } from './spawner-sources.ts';
import { checkTaskMetadata } from './task-metadata.ts';
import { checkTemplates, type TemplateFindingAt } from './templates.ts';

export { collectRules, evaluateRules, isTransitionRule, type RuleFinding, type RuleSite } from './cel.ts';
export * from './diagnostic.ts';
export { type BundleObjects, conflictsAcrossBundles } from './kustomization.ts';
export {
  documentFromObject,
  type LoadedDocument,
  type ParseResult,
  parseManifests,
  type ScalarSource,
  type SourcePosition,
} from './load.ts';
export { checkReferences, findCycles, type ReferenceOptions } from './references.ts';
export { kelosObjectSchema, prepareValidators, strictSchema } from './schema.ts';
export {
  checkTemplates,
  nameFromTemplate,
  spawnerTemplateErrors,
  type TemplateFindingAt,
  templateFindings,
} from './templates.ts';

/**
 * Findings already made on an object's spec, with this validator's own rules, by whoever
 * rendered it (a Kelos construct: see `constructs/checked.ts`). A part that is absent was not
 * checked.
 */
export interface CheckedFindings {
  /** Every CEL rule finding of the object (`cel/rule` and `cel/error`). */
  readonly rules?: readonly Pick<RuleFinding, 'code' | 'message' | 'path'>[];
  /** Every template finding of the object, with its template. */
  readonly templates?: readonly TemplateFindingAt[];
}

/** Options of {@link validateDocuments} and {@link validateObject}. */
export interface ValidateOptions extends ReferenceOptions {
  /**
   * Severity of objects of kinds or versions Kelos recognises but does not serve (WorkerPool,
   * Session, anything in kelos.dev/v1alpha1).
   * @default 'error'
   */
  readonly unservedSeverity?: Severity;
  /**
   * What was already checked on an object (by identity), so those rules are not evaluated
   * again; nothing by default.
   */
  readonly checked?: (object: Readonly<Record<string, unknown>>) => CheckedFindings | undefined;
  /**
   * Whether each object's size as JSON is checked: for objects built in memory (an app's, or
   * `kelos run`'s from a prompt file), which nothing bounded before. A document read from a file
   * was bounded as it was parsed, and an object read from the cluster by the API server; sizing
   * them measured 475 ms for 10,000 objects (57 MB of JSON), for nothing.
   * @default false
   */
  readonly boundSize?: boolean;
}

/** Whether a JSON value holds a null member anywhere (null array items are kept). */
function hasNullMember(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (const v of value) if (hasNullMember(v)) return true;
    return false;
  }
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (v === null || hasNullMember(v)) return true;
  }
  return false;
}

/** Drops null members of objects, as the API server prunes them before validating. */
function withoutNulls(value: unknown): unknown {
  // Most objects have none: find that out without copying anything.
  return hasNullMember(value) ? pruneNulls(value) : value;
}

function pruneNulls(value: unknown): unknown {
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((v) => {
      const w = pruneNulls(v);
      if (w !== v) changed = true;
      return w;
    });
    return changed ? items : value;
  }
  if (typeof value !== 'object' || value === null) return value;
  let out: Record<string, unknown> | undefined;
  for (const [key, v] of Object.entries(value)) {
    const w = v === null ? undefined : pruneNulls(v);
    if (w !== v && !out) out = { ...(value as Record<string, unknown>) };
    if (out) {
      if (w === undefined) delete out[key];
      else out[key] = w;
    }
  }
  return out ?? value;
}

const celSchemas = new Map<string, object>();

/** The (non-strict) whole-object schema CEL rules are walked with, per Kelos kind. */
function celSchemaFor(kind: string): object | undefined {
  let schema = celSchemas.get(kind);
  if (!schema) {
    const def = kindByName(kind);
    if (!def) return undefined;
    schema = kelosObjectSchema(def);
    celSchemas.set(kind, schema);
  }
  return schema;
}

/**
 * The CEL rules of a Kelos object on their own: what `kelos validate` evaluates for one object
 * once its schema holds. The constructs run this at construction so they enforce the very
 * rules (and say the very messages) the validator and the API server do.
 *
 * @param object An object of a served Kelos kind; other kinds have no rules here.
 */
export function evaluateObjectRules(object: Readonly<Record<string, unknown>>): RuleFinding[] {
  const schema = celSchemaFor(String(object['kind']));
  return schema ? evaluateRules(schema, withoutNulls(object)) : [];
}

const SERVED = KINDS.map((k) => k.kind);

/**
 * Code of the info on an object whose kind has no bundled schema (a CustomResourceDefinition,
 * an Argo CD Application, a cert-manager Certificate): the API server validates it, offline
 * nothing does. The served Kelos kinds and the core kinds with a bundled schema (Deployment,
 * ConfigMap, Job, RBAC, …) are validated strictly instead, whatever tree they come in.
 */
export const NOT_VALIDATED = 'kind/not-validated';

/**
 * Replaces the {@link NOT_VALIDATED} info of each object with one info, last, that counts them
 * by kind: `7 apiextensions.k8s.io/v1 CustomResourceDefinition, 3 argoproj.io/v1alpha1
 * Application`. A rendered tree holds such objects by the dozen (every CRD of `dist/crds`), and
 * a line each buried what needs reading; what the count says holds for every object of a kind.
 * The same rule for every kind, and the same list in text and JSON.
 */
export function aggregateNotValidated(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const byKind = new Map<string, number>();
  const rest: Diagnostic[] = [];
  for (const d of diagnostics) {
    if (d.code !== NOT_VALIDATED) {
      rest.push(d);
      continue;
    }
    const kind = [d.resource?.apiVersion, d.resource?.kind].filter(Boolean).join(' ') || 'unknown kind';
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  if (byKind.size === 0) return rest;
  const objects = [...byKind.values()].reduce((a, b) => a + b, 0);
  const kinds = [...byKind.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  return [
    ...rest,
    {
      severity: 'info',
      code: NOT_VALIDATED,
      path: '',
      message: `${objects === 1 ? '1 object is' : `${objects} objects are`} not validated offline, since no schema is bundled for ${objects === 1 ? 'its kind' : byKind.size === 1 ? 'their kind' : 'their kinds'} (the API server will validate ${objects === 1 ? 'it' : 'them'}): ${kinds}`,
    },
  ];
}

const ruledMembers = new Map<string, ReadonlySet<string>>();

/**
 * Whether the CEL rules of an object that apply outside its spec are none: then the rules'
 * findings depend on the spec alone, and findings made on the spec hold for the whole object.
 * Rules sit in the spec and, for some kinds, in the status, which a rendered object lacks.
 */
function rulesOnlyInSpec(object: Readonly<Record<string, unknown>>, schema: object): boolean {
  const kind = String(object['kind']);
  let members = ruledMembers.get(kind);
  if (members === undefined) {
    // The top-level member each rule sits in; '' for a rule on the whole object.
    members = new Set(collectRules(schema).map((r) => r.pointer.split('/')[1] ?? ''));
    ruledMembers.set(kind, members);
  }
  for (const member of members) if (member !== 'spec' && (member === '' || member in object)) return false;
  return true;
}

/** Findings for one object on its own: kind and version, schema, CEL rules. */
function objectFindings(object: Record<string, unknown>, options: ValidateOptions): Finding[] {
  const apiVersion = String(object['apiVersion']);
  const kind = String(object['kind']);
  const unserved = options.unservedSeverity ?? 'error';

  if (apiVersion === LEGACY_API_VERSION) {
    // A kind v1alpha2 serves is also read as v1alpha2, so a team migrating learns in one run
    // what else to change (renamed fields, each with its fix), not one finding per round.
    const asServed =
      UNSERVED_KINDS[kind] === undefined && kindByName(kind)
        ? objectFindings({ ...object, apiVersion: API_VERSION }, options)
        : [];
    return [
      {
        severity: unserved,
        code: 'version/unserved',
        path: '/apiVersion',
        message: `${LEGACY_API_VERSION} is deprecated upstream and not served by this version of Kelos; use ${API_VERSION}`,
        hint:
          UNSERVED_KINDS[kind] ??
          (!kindByName(kind)
            ? `change apiVersion to ${API_VERSION} and check the fields against the v1alpha2 API`
            : asServed.some((f) => f.severity === 'error')
              ? `change apiVersion to ${API_VERSION} and fix what the other findings on this object say v1alpha2 refuses`
              : `change apiVersion to ${API_VERSION}: the fields are valid there as written`),
      },
      ...asServed,
    ];
  }
  if (apiVersion.startsWith(`${GROUP}/`) && apiVersion !== API_VERSION) {
    return [
      {
        severity: 'error',
        code: 'version/unknown',
        path: '/apiVersion',
        message: `unknown Kelos API version "${clipName(apiVersion)}"; this version of Kelos serves ${API_VERSION}`,
      },
    ];
  }
  if (apiVersion === API_VERSION) {
    const unservedReason = UNSERVED_KINDS[kind];
    if (unservedReason) {
      return [{ severity: unserved, code: 'kind/unserved', path: '/kind', message: unservedReason }];
    }
    if (!kindByName(kind)) {
      const guess = closest(kind, SERVED);
      return [
        {
          severity: 'error',
          code: 'kind/unknown',
          path: '/kind',
          message: `unknown kind "${clipName(kind)}" in ${API_VERSION}${guess ? `; did you mean "${guess}"?` : ''}`,
          hint: `served kinds: ${SERVED.join(', ')}`,
        },
      ];
    }
  }

  const clean = withoutNulls(object) as Record<string, unknown>;
  // Not validated further, as a document too large in a file is not.
  const tooLarge = options.boundSize ? objectSizeFinding(clean) : undefined;
  if (tooLarge) return [tooLarge];
  const schemaFindings = validateSchema(clean);
  if (schemaFindings === undefined) {
    return [
      {
        severity: 'info',
        code: NOT_VALIDATED,
        path: '',
        message: `${clipName(apiVersion)} ${clipName(kind)} is not validated offline (no schema is bundled for it); the API server will validate it`,
      },
    ];
  }
  const celSchema = apiVersion === API_VERSION ? celSchemaFor(kind) : undefined;
  if (!celSchema) {
    const size = dataSizeFinding(apiVersion, kind, clean);
    return size ? [...schemaFindings, size] : schemaFindings;
  }
  // Like the API server, skip CEL rules when the object does not even have the right shape:
  // rules assume the types, enums and required fields the schema guarantees.
  if (schemaFindings.some((f) => BLOCKING_CODES.has(f.code))) {
    return [
      ...schemaFindings,
      {
        severity: 'info',
        code: 'cel/skipped',
        path: '',
        message:
          'CEL rules were not checked because the object has schema errors; fix those to check the rules too',
      },
    ];
  }
  const checked = options.checked?.(object)?.rules;
  const rules = checked && rulesOnlyInSpec(clean, celSchema) ? checked : evaluateObjectRules(clean);
  return [
    ...schemaFindings,
    ...rules.map(({ code, message, path }): Finding => {
      const hint = code === 'cel/error' ? zoneHint(message) : undefined;
      return { severity: 'error', code, message, path, ...(hint && { hint }) };
    }),
  ];
}

/**
 * The zone meant, for a rule that could not evaluate on a time zone name the runtime does not
 * know (`Europe/Pariss`): the API server's words say only that it is unknown.
 */
function zoneHint(message: string): string | undefined {
  const zone = /^unknown time zone (\S+) evaluating rule/.exec(message)?.[1];
  if (zone === undefined) return undefined;
  const meant = closest(zone, Intl.supportedValuesOf('timeZone'));
  return meant === undefined
    ? 'time zones are named as in the IANA database (Europe/Berlin, America/New_York, UTC)'
    : `did you mean ${meant}?`;
}

/**
 * Validates one object on its own (no bundle checks): kind and version, strict schema and CEL
 * rules. The operator uses this to decode objects it reads from the cluster.
 *
 * @param object Any object with `apiVersion`, `kind` and `metadata`.
 */
export function validateObject(object: Record<string, unknown>, options: ValidateOptions = {}): Diagnostic[] {
  const doc = documentFromObject(object);
  return sortDiagnostics(
    objectFindings(object, options)
      .filter((f) => !int64Ambiguous(object, f))
      .map((f) => withoutSource(toDiagnostic(doc, f))),
  );
}

/** Whether `finding` is the int64 range strictSchema gives every int64 refusing a value. */
const isInt64Range = (finding: Finding): boolean =>
  finding.code === 'schema/format' && finding.message.startsWith(INT64_RANGE_MESSAGE);

/**
 * Whether `finding` is the int64 bound refusing the number 2^63, which an object read from the
 * API server (JSON, parsed into numbers) holds for its largest int64, 9223372036854775807: the
 * server stored it, so it was in range. With no text to read the digits from, 2^63 passes here.
 */
function int64Ambiguous(object: Record<string, unknown>, finding: Finding): boolean {
  if (!isInt64Range(finding)) return false;
  let value: unknown = object;
  for (const key of parsePointer(finding.path)) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value === 2 ** 63;
}

const withoutSource = (d: Diagnostic): Diagnostic => {
  const { source: _source, ...rest } = d;
  return rest;
};

/**
 * A type error on a boolean the user wrote as `no`, `on`, `y`…, or on a number where a string
 * belongs, says why it is one: the value is right (kubectl reads it the same way), the surprise
 * is that it is not a string.
 */
function withBooleanWordHint(doc: LoadedDocument, finding: Finding): Finding {
  if (finding.code !== 'schema/type' || finding.hint) return finding;
  // A message that holds back a Secret's value (schema.ts) gets a hint that does not quote it.
  if (finding.message.includes('(not shown: ')) {
    const written = doc.scalar?.(finding.path);
    if (written?.style !== 'PLAIN' || !/; got (?:a boolean|an integer|a number) /.test(finding.message))
      return finding;
    return {
      ...finding,
      hint: 'the value is written unquoted, which YAML reads as a boolean or a number, as kubectl does; quote it to keep it a string',
    };
  }
  // A number where a string belongs: `ref: 0755` is the integer 493 to kubectl (YAML 1.1
  // octal), `ref: 0o17` 15 (Go's prefixes); the number alone does not say why.
  const number = /^must be a string; got (?:an integer|a number) (.+)$/.exec(finding.message)?.[1];
  if (number !== undefined) {
    const written = doc.scalar?.(finding.path);
    // `prompt: 3` needs no telling; `0755` read as 493 does.
    if (written?.style !== 'PLAIN' || written.raw === number) return finding;
    return {
      ...finding,
      hint: `${written.raw} is written unquoted, which kubectl reads as the number ${number}; quote it ("${written.raw}") to keep it a string`,
    };
  }
  if (!finding.message.includes('; got a boolean ')) return finding;
  const written = doc.scalar?.(finding.path);
  // A plain boolean not spelt true or false is one of YAML 1.1's words (as yaml-limits.ts tells
  // boolean keys).
  if (written?.style !== 'PLAIN' || /^(true|false)$/i.test(written.raw)) return finding;
  return {
    ...finding,
    hint: `${written.raw} is written unquoted, which YAML 1.1 reads as a boolean, as kubectl does; quote it ("${written.raw}") to keep it a string`,
  };
}

/**
 * Whether `finding` is the int64 bound refusing 2^63 where the manifest has the largest int64,
 * 9223372036854775807, written in digits: the number the parser makes of it is 2^63, which the
 * bound must refuse for what apps render (see INT64_MAX), while the API server takes the digits.
 */
function int64WrittenInRange(doc: LoadedDocument, finding: Finding): boolean {
  if (!isInt64Range(finding)) return false;
  const written = doc.scalar?.(finding.path);
  if (written?.style !== 'PLAIN' || !/^[+]?\d+$/.test(written.raw)) return false;
  return BigInt(written.raw) <= 9223372036854775807n;
}

/**
 * Validates a bundle: every document on its own, then references, `dependsOn` cycles and
 * duplicates across them, templates, what each TaskSpawner's source must mean to run, the
 * keys and label values of the metadata it gives its Tasks, the git names the agent uses, and
 * the name of a KelosConfig.
 * Diagnostics are sorted by file, line and column.
 */
export function validateDocuments(
  docs: readonly LoadedDocument[],
  options: ValidateOptions = {},
): Diagnostic[] {
  const out: Diagnostic[] = [];
  // Objects with an error of their own: other checks do not read what they say.
  const unsound = new Set<LoadedDocument>();
  for (const doc of docs) {
    for (const finding of objectFindings(doc.object, options)) {
      if (int64WrittenInRange(doc, finding)) continue;
      if (finding.severity === 'error') unsound.add(doc);
      out.push(toDiagnostic(doc, withBooleanWordHint(doc, finding)));
    }
  }
  out.push(...checkReferences(docs, options));
  const resolves = referenceResolver(docs, options);
  out.push(
    ...checkTemplates(
      docs,
      (doc) => options.checked?.(doc.object)?.templates,
      (doc, name) => resolves(doc, 'Task', name),
    ),
  );
  out.push(...checkSpawnerSources(docs));
  const referenced = referencedDocument(docs, options);
  const sound = (doc: LoadedDocument, kind: string, name: string) => {
    const found = referenced(doc, kind, name);
    return found && !unsound.has(found) ? found.object : undefined;
  };
  out.push(...checkPodOverrides(docs, sound));
  out.push(...checkSecretKeys(docs, sound));
  out.push(...checkTaskMetadata(docs));
  out.push(...checkGitNames(docs));
  out.push(...checkImageNames(docs));
  out.push(...checkKelosConfigNames(docs));
  return sortDiagnostics(out);
}
