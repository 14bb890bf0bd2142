/**
 * The policy engine: runs the enabled rules over a bundle of objects, applies per-object
 * opt-outs (`policy.kelos.dev/ignore` with a required `policy.kelos.dev/ignore-reason`), and
 * turns findings into the shared {@link Diagnostic}, located in the source through each
 * document's `locate()`.
 *
 * @packageDocumentation
 */
import {
  Annotations,
  API_VERSION,
  GROUP,
  KIND_NAMES,
  LEGACY_API_VERSION,
  UNSERVED_KINDS,
} from '../api/group.ts';
import type { KubeObject } from '../api/object.ts';
import type { Diagnostic, ResourceRef, Severity, SourceLocation } from '../validate/diagnostic.ts';
import { escapePointer, parsePointer, sortDiagnostics, toPointer } from '../validate/diagnostic.ts';
import { clipName, closest } from '../validate/echo.ts';
import { MAX_IDENTITY } from '../validate/identity.ts';
import type { LoadedDocument } from '../validate/load.ts';
import type { PolicyConfig } from './config.ts';
import type { Bundle, Finding, PolicyRule } from './rule.ts';

/**
 * What a finding at a field the object does not have adds when a key beside it is one typo from
 * it (`maxConcurency` where the rule reads `maxConcurrency`), and where that key is: `kelos check`
 * on paths runs no schema check, so the rule alone would call a field unset that the user set,
 * misspelt.
 */
const misspeltBeside = (
  object: KubeObject,
  path: string,
): { readonly note: string; readonly pointer: string } | undefined => {
  const segments = parsePointer(path);
  const field = segments.pop();
  if (field === undefined) return undefined;
  let parent: unknown = object;
  for (const s of segments) {
    parent = Array.isArray(parent)
      ? parent[Number(s)]
      : typeof parent === 'object' && parent !== null
        ? (parent as Record<string, unknown>)[s]
        : undefined;
  }
  if (typeof parent !== 'object' || parent === null || Array.isArray(parent)) return undefined;
  const siblings = parent as Record<string, unknown>;
  if (siblings[field] !== undefined) return undefined;
  const near = Object.keys(siblings).find((key) => closest(key, [field]) === field);
  return near === undefined
    ? undefined
    : {
        note: `; ${JSON.stringify(clipName(near, MAX_IDENTITY))} is set beside it: a misspelling of ${field}? (kelos validate names unknown fields)`,
        pointer: toPointer([...segments, near]),
      };
};

/** A document the engine checks: a loaded manifest, optionally from a cdk8s construct. */
export type PolicyDocument = Pick<LoadedDocument, 'object' | 'file' | 'line' | 'locate'> & {
  /** Construct path, for objects synthesized from a cdk8s app. */
  readonly constructPath?: string;
};

/** A finding an object opted out of, listed in every report. */
export interface Suppression {
  readonly rule: string;
  readonly resource: ResourceRef;
  /** The `policy.kelos.dev/ignore-reason` the object gives. */
  readonly reason: string;
  /** The message the finding would have had. */
  readonly message: string;
  readonly path: string;
  readonly source?: SourceLocation;
}

/** A rule as it ran: its id, effective severity and documentation. */
export interface RuleSummary {
  readonly id: string;
  readonly severity: Severity;
  readonly description: string;
  readonly rationale: string;
  readonly hint: string;
}

/** What one run of the policies found. */
export interface PolicyReport {
  /** Violations, sorted by file, line, resource and path. */
  readonly diagnostics: readonly Diagnostic[];
  /** Findings that objects opted out of, with their reasons. */
  readonly suppressions: readonly Suppression[];
  /** The rules that ran (enabled ones), in registry order. */
  readonly rules: readonly RuleSummary[];
  /** How many objects were checked. */
  readonly objects: number;
  /**
   * The policy file, as a path from the working directory, when it was found in a parent of it
   * (see `policyFileElsewhere`): the summary line names it, so a run from a subdirectory says
   * whose policy judged it.
   */
  readonly policyFile?: string;
}

/** Codes of diagnostics the engine itself reports, documented like rules. */
export const ENGINE_RULES: readonly RuleSummary[] = [
  {
    id: 'policy/ignore-reason',
    severity: 'error',
    description: `An object that sets ${Annotations.PolicyIgnore} also sets a non-empty ${Annotations.PolicyIgnoreReason}.`,
    rationale: 'An opt-out without a reason cannot be reviewed; it is not honoured.',
    hint: `Add ${Annotations.PolicyIgnoreReason} saying why the rule does not apply.`,
  },
  {
    id: 'policy/ignore-unknown-rule',
    severity: 'warning',
    description: `Every id in ${Annotations.PolicyIgnore} names a known rule.`,
    rationale: 'A misspelt id suppresses nothing, so the opt-out the author meant does not happen.',
    hint: 'Use the ids kelos check --list-rules prints.',
  },
  {
    id: 'policy/ignore-unknown-annotation',
    severity: 'warning',
    description: `No annotation key is a near miss of ${Annotations.PolicyIgnore} or ${Annotations.PolicyIgnoreReason}.`,
    rationale:
      'A misspelt annotation key is an annotation like any other: the opt-out the author meant does not happen, and nothing said so.',
    hint: `Spell the key ${Annotations.PolicyIgnore} (and ${Annotations.PolicyIgnoreReason}).`,
  },
  {
    id: 'policy/unknown-kind',
    severity: 'warning',
    description: `Every object of the ${GROUP} API group has a kind Kelos serves.`,
    rationale:
      'No rule reads a kind it does not know: a misspelt kind (Taks) would pass every policy unjudged, and the cluster refuses it.',
    hint: 'Spell the kind as Kelos serves it (kelos validate reports it too).',
  },
  {
    id: 'policy/unknown-version',
    severity: 'warning',
    description: `Every object of the ${GROUP} API group is at ${API_VERSION}, the version the rules read.`,
    rationale:
      'The rules read the fields where v1alpha2 has them: on an object of another version (upstream v1alpha1, whose fields v1alpha2 renamed and moved) they would report settings it has under other names, at places it does not have; the cluster refuses it anyway.',
    hint: `Change apiVersion to ${API_VERSION}; kelos validate names each field v1alpha2 moved and where it went.`,
  },
  {
    id: 'policy/rule-failed',
    severity: 'error',
    description: 'Every rule runs to completion.',
    rationale: 'A rule that throws checked nothing; the bundle is not known to comply.',
    hint: 'Report the failure with the object that caused it.',
  },
];

/** How grave each severity is, so a finding may be milder than its rule but never graver. */
const RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, error: 2 };

/** What to do about an object of a kind upstream Kelos serves and this version does not. */
const UNSERVED_KIND_HINT =
  "The kind is spelt right: it is upstream Kelos's, which this version of Kelos does not serve (the cluster has no CRD for it and refuses the object). Take it out of the manifests applied to this cluster, and move what it did onto the kinds Kelos serves (kelos validate reports it too).";

const engineHint = (id: string): string => ENGINE_RULES.find((r) => r.id === id)?.hint ?? '';

/** Options of {@link runPolicies}. */
export interface RunPoliciesOptions {
  readonly config: PolicyConfig;
  /** Rules in order; every rule is subject to the config's enable/disable and overrides. */
  readonly rules: readonly PolicyRule[];
  /**
   * Ids an opt-out annotation may name without a warning.
   * @default - the ids of `rules`
   */
  readonly knownRuleIds?: readonly string[];
  /**
   * Objects deployed beside these documents (see {@link Bundle.alongside}); one with the kind,
   * namespace and name of a document's object is that object, and is left out.
   */
  readonly alongside?: readonly unknown[];
  /**
   * The objects of `alongside` no bundle of the check reports on (read from `--beside` paths),
   * each with where it is defined, `file:line` (see {@link Bundle.definedBeside}).
   */
  readonly besideOnly?: ReadonlyMap<unknown, string>;
}

const isObject = (v: unknown): v is KubeObject =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  typeof (v as { kind?: unknown }).kind === 'string';

/** Kelos kinds, which the rules read from the Kelos API group only. */
const KELOS_KINDS: ReadonlySet<string> = new Set(KIND_NAMES);

/**
 * Whether `object` has a Kelos kind's name in another API (a Tekton `tekton.dev/v1` Task): the
 * rules do not read it, as the admission policies, which match the `kelos.dev` group, never see
 * it. Without an apiVersion it is still read: a Kelos object missing one is the validator's to report.
 */
const isOtherApisKind = (object: KubeObject): boolean => {
  if (!KELOS_KINDS.has(object.kind)) return false;
  const apiVersion: unknown = object.apiVersion;
  if (typeof apiVersion !== 'string' || apiVersion === '') return false;
  return !apiVersion.startsWith(`${GROUP}/`);
};

/** Whether `object` claims the Kelos API group at a version other than the one the rules read. */
const isOtherKelosVersion = (object: KubeObject): boolean =>
  typeof object.apiVersion === 'string' &&
  object.apiVersion.startsWith(`${GROUP}/`) &&
  object.apiVersion !== API_VERSION;

/** Whether `object` claims the Kelos API group with a kind it does not serve (`Taks`). */
const isUnknownKelosKind = (object: KubeObject): boolean =>
  !KELOS_KINDS.has(object.kind) &&
  typeof object.apiVersion === 'string' &&
  object.apiVersion.startsWith(`${GROUP}/`);

/** The resource a diagnostic names, from an object's identity. */
export const resourceOf = (object: KubeObject): ResourceRef => ({
  apiVersion: object.apiVersion,
  // Clipped: an invalid object may carry a megabyte name, and every finding names it.
  kind: clipName(String(object.kind), MAX_IDENTITY),
  ...(object.metadata?.namespace
    ? { namespace: clipName(String(object.metadata.namespace), MAX_IDENTITY) }
    : {}),
  name: clipName(String(object.metadata?.name ?? ''), MAX_IDENTITY),
});

/** The rule ids an object opts out of, and why; `reason` is empty when it gives none. */
export function readSuppressions(object: KubeObject): { ids: string[]; reason: string } | undefined {
  const annotations = object.metadata?.annotations;
  const value = annotations?.[Annotations.PolicyIgnore];
  if (typeof value !== 'string') return undefined;
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const reason = annotations?.[Annotations.PolicyIgnoreReason];
  return { ids, reason: typeof reason === 'string' ? reason.trim() : '' };
}

const ANNOTATIONS_POINTER = '/metadata/annotations';
const ignorePointer = `${ANNOTATIONS_POINTER}/${escapePointer(Annotations.PolicyIgnore)}`;

const OPT_OUT_KEYS: readonly string[] = [Annotations.PolicyIgnore, Annotations.PolicyIgnoreReason];

/**
 * The annotation keys of an object that are a near miss of an opt-out key
 * (`policy.kelos.dev/ignor`), each with the key meant. Keys are compared as the API server and
 * the admission policies compare them, case and all, so `policy.kelos.dev/Ignore` is a miss
 * too. Only near misses: other keys of the domain are ours as well (the compiled admission
 * policies carry `policy.kelos.dev/rule`).
 */
export function misspeltOptOuts(object: KubeObject): Array<{ key: string; near: string }> {
  const annotations = object.metadata?.annotations;
  if (typeof annotations !== 'object' || annotations === null) return [];
  const out: Array<{ key: string; near: string }> = [];
  for (const key of Object.keys(annotations)) {
    if (OPT_OUT_KEYS.includes(key)) continue;
    const near = closest(key, OPT_OUT_KEYS);
    if (near !== undefined) out.push({ key, near });
  }
  return out;
}

/**
 * Runs the enabled rules over the documents and reports every finding once.
 *
 * Objects without a string `kind` are skipped (the validator reports them). A rule that throws
 * becomes a `policy/rule-failed` error; the other rules still run.
 */
export function runPolicies(documents: readonly PolicyDocument[], options: RunPoliciesOptions): PolicyReport {
  const { config } = options;
  const docOf = new Map<KubeObject, PolicyDocument>();
  const objects: KubeObject[] = [];
  const byKind = new Map<string, KubeObject[]>();
  // Reported, never judged: its fields are not where the rules look (v1alpha1 renamed them).
  const otherVersions: KubeObject[] = [];
  for (const doc of documents) {
    if (!isObject(doc.object) || isOtherApisKind(doc.object)) continue;
    const object = doc.object;
    docOf.set(object, doc);
    if (isOtherKelosVersion(object)) {
      otherVersions.push(object);
      continue;
    }
    objects.push(object);
    const list = byKind.get(object.kind);
    if (list) list.push(object);
    else byKind.set(object.kind, [object]);
  }
  const identity = (o: KubeObject) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  const own = new Set(objects.map(identity));
  const besideByKind = new Map<string, KubeObject[]>();
  for (const object of options.alongside ?? []) {
    if (!isObject(object) || isOtherApisKind(object) || own.has(identity(object))) continue;
    const list = besideByKind.get(object.kind);
    if (list) list.push(object);
    else besideByKind.set(object.kind, [object]);
  }
  const bundle: Bundle = {
    objects,
    ofKind: (kind) => byKind.get(kind) ?? [],
    alongside: (kind) => besideByKind.get(kind) ?? [],
    definedBeside: (object) => options.besideOnly?.get(object),
  };

  const sourceOf = (object: KubeObject, path: string): SourceLocation | undefined => {
    const doc = docOf.get(object);
    if (!doc) return undefined;
    const at = doc.locate(path);
    return {
      file: doc.file,
      line: at?.line ?? doc.line,
      ...(at ? { column: at.column } : {}),
      ...(doc.constructPath ? { constructPath: doc.constructPath } : {}),
    };
  };

  const diagnostics: Diagnostic[] = [];
  const suppressions: Suppression[] = [];
  const knownIds = new Set(options.knownRuleIds ?? options.rules.map((r) => r.id));

  for (const object of otherVersions) {
    const version = clipName(String(object.apiVersion), MAX_IDENTITY);
    diagnostics.push({
      severity: 'warning',
      code: 'policy/unknown-version',
      message: `${version} is not the version the rules read (${API_VERSION})${object.apiVersion === LEGACY_API_VERSION ? ', and v1alpha2 renamed and moved its fields' : ''}, so no rule judged this object`,
      path: '/apiVersion',
      resource: resourceOf(object),
      source: sourceOf(object, '/apiVersion'),
      hint: engineHint('policy/unknown-version'),
    });
  }
  // Opt-outs are read once per object; one without a reason is reported and not honoured.
  const optOuts = new Map<KubeObject, { ids: Set<string>; reason: string }>();
  for (const object of objects) {
    if (isUnknownKelosKind(object)) {
      const near = closest(object.kind, KIND_NAMES);
      const upstream = UNSERVED_KINDS[object.kind];
      diagnostics.push({
        severity: 'warning',
        code: 'policy/unknown-kind',
        message: upstream
          ? `${upstream}, so no rule judged this object`
          : `kind ${JSON.stringify(clipName(object.kind, MAX_IDENTITY))} is no kind of ${GROUP}, so no rule judged this object${near ? `; did you mean ${JSON.stringify(near)}?` : ''}`,
        path: '/kind',
        resource: resourceOf(object),
        source: sourceOf(object, '/kind'),
        // Spelt right, an upstream kind needs no respelling: it needs to leave the bundle.
        hint: upstream ? UNSERVED_KIND_HINT : engineHint('policy/unknown-kind'),
      });
    }
    for (const { key, near } of misspeltOptOuts(object)) {
      const path = `${ANNOTATIONS_POINTER}/${escapePointer(key)}`;
      diagnostics.push({
        severity: 'warning',
        code: 'policy/ignore-unknown-annotation',
        message: `annotation ${JSON.stringify(clipName(key, MAX_IDENTITY))} is not an opt-out annotation, so it opts out of nothing; did you mean ${JSON.stringify(near)}?`,
        path,
        resource: resourceOf(object),
        source: sourceOf(object, path),
        hint: engineHint('policy/ignore-unknown-annotation'),
      });
    }
    const s = readSuppressions(object);
    if (!s) continue;
    const resource = resourceOf(object);
    // Each id is checked with or without a reason: a typo is worth saying either way.
    for (const id of s.ids) {
      if (!knownIds.has(id)) {
        const near = closest(id, [...knownIds]);
        diagnostics.push({
          severity: 'warning',
          code: 'policy/ignore-unknown-rule',
          message: `${Annotations.PolicyIgnore} names ${JSON.stringify(id)}, which is not a rule id${near ? `; did you mean ${JSON.stringify(near)}?` : ''}`,
          path: ignorePointer,
          resource,
          source: sourceOf(object, ignorePointer),
          hint: engineHint('policy/ignore-unknown-rule'),
        });
      }
    }
    if (s.reason === '') {
      diagnostics.push({
        severity: 'error',
        code: 'policy/ignore-reason',
        message: `${Annotations.PolicyIgnore} opts out of ${s.ids.join(', ') || 'no rule'} without ${Annotations.PolicyIgnoreReason}; the opt-out is not honoured until it says why`,
        path: ignorePointer,
        resource,
        source: sourceOf(object, ignorePointer),
        hint: engineHint('policy/ignore-reason'),
      });
      continue;
    }
    optOuts.set(object, { ids: new Set(s.ids), reason: s.reason });
  }

  const ran: RuleSummary[] = [];
  for (const rule of options.rules) {
    const settings = config.rules[rule.id];
    if (settings?.enabled === false) continue;
    const severity = settings?.severity ?? rule.severity;
    ran.push({
      id: rule.id,
      severity,
      description: rule.description,
      rationale: rule.rationale,
      hint: rule.hint,
    });

    const report = (findings: readonly Finding[], current: KubeObject | undefined) => {
      for (const f of findings) {
        const object = f.object ?? current;
        if (!object) throw new Error(`rule ${rule.id} returned a finding without an object`);
        const resource = resourceOf(object);
        const source = sourceOf(object, f.path);
        const optOut = optOuts.get(object);
        if (optOut?.ids.has(rule.id)) {
          suppressions.push({
            rule: rule.id,
            resource,
            reason: optOut.reason,
            message: f.message,
            path: f.path,
            ...(source ? { source } : {}),
          });
          continue;
        }
        const misspelt = misspeltBeside(object, f.path);
        const at = misspelt ? sourceOf(object, misspelt.pointer) : source;
        diagnostics.push({
          severity: f.severity && RANK[f.severity] < RANK[severity] ? f.severity : severity,
          code: rule.id,
          message: f.message + (misspelt?.note ?? ''),
          path: f.path,
          resource,
          ...(at ? { source: at } : {}),
          hint: f.hint ?? rule.hint,
        });
      }
    };
    const failed = (err: unknown, object: KubeObject | undefined) => {
      diagnostics.push({
        severity: 'error',
        code: 'policy/rule-failed',
        message: `rule ${rule.id} failed: ${err instanceof Error ? err.message : String(err)}`,
        path: '',
        ...(object ? { resource: resourceOf(object), source: sourceOf(object, '') } : {}),
      });
    };

    if (rule.scope === 'object') {
      for (const kind of rule.kinds) {
        for (const object of bundle.ofKind(kind)) {
          try {
            report(rule.check({ config, bundle, object }), object);
          } catch (err) {
            failed(err, object);
          }
        }
      }
    } else {
      try {
        report(rule.check({ config, bundle }), undefined);
      } catch (err) {
        failed(err, undefined);
      }
    }
  }

  return { diagnostics: sortDiagnostics(diagnostics), suppressions, rules: ran, objects: objects.length };
}

/** Whether `inner` is the JSON pointer `outer` or a pointer below it. */
const within = (inner: string, outer: string): boolean => inner === outer || inner.startsWith(`${outer}/`);

/**
 * Policy findings, without those at a field whose value the schema refused (a `schema/*` error
 * of `validation` on the same object, at or above the field): the policy could not read that
 * value and would call it unset, contradicting the schema error beside it.
 */
export function besideSchemaErrors(
  policy: readonly Diagnostic[],
  validation: readonly Diagnostic[],
): Diagnostic[] {
  const refused = validation.filter(
    (d) => d.severity === 'error' && d.code.startsWith('schema/') && d.path !== '' && d.resource,
  );
  if (refused.length === 0) return [...policy];
  return policy.filter(
    (p) =>
      !refused.some(
        (f) =>
          f.source?.file === p.source?.file &&
          f.resource?.kind === p.resource?.kind &&
          f.resource?.name === p.resource?.name &&
          within(p.path, f.path),
      ),
  );
}
