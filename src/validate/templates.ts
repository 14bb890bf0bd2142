/**
 * Checks, before anything runs, every Go template the operator will render: a Task's prompt
 * when it has `dependsOn` (without, only its reads of `.Deps`, which then reach the agent
 * unrendered), and a TaskSpawner's promptTemplate, branch, nameTemplate,
 * templated metadata and context-source URLs, headers and bodies. Each is typed against the
 * variables its source gives (`src/template/variables.ts`); findings point at the line and
 * column inside the string, mapped to the manifest line.
 *
 * The same findings serve `kelos validate` and synth ({@link checkTemplates}), the
 * constructs and the operator ({@link templateFindings}).
 *
 * @packageDocumentation
 */
import type { TaskSpawner } from '../api/object.ts';
import { type CheckOptions, checkTemplate, type TemplateFinding } from '../template/check.ts';
import { renderTemplate, TemplateError } from '../template/go-template.ts';
import {
  depsVariables,
  SOURCE_TYPES,
  type SourceShape,
  type SourceType,
  sampleData,
  sourceVariables,
  type VarType,
} from '../template/variables.ts';
import { type Diagnostic, type Finding, toPointer } from './diagnostic.ts';
import { clipName, closest } from './echo.ts';
import { type LoadedDocument, toDiagnostic } from './load.ts';
import { DNS1123_SUBDOMAIN as DNS1123_SUBDOMAIN_PATTERN } from './object-schema.ts';
import { valueOffsets } from './scalar-offsets.ts';

/** The longest Task name: it is also the Job's name and a label value. */
export const MAX_TASK_NAME = 63;

const DNS1123_SUBDOMAIN = new RegExp(DNS1123_SUBDOMAIN_PATTERN);

/**
 * Go's `unicode.ToLower` of one code point: the simple case mapping, one code point to one.
 * JavaScript's `toLowerCase` uses the full mapping, where `İ` becomes `i` and a combining dot
 * (two code points); the first of those is the simple mapping.
 */
const goLowerRune = (c: string): string => String.fromCodePoint(c.toLowerCase().codePointAt(0) ?? 0);

const NAME_CHAR = /^[a-z0-9.-]$/;

/**
 * Upstream's Task-name sanitizing, code point by code point as Go's `strings.ToLower` and
 * `regexp.ReplaceAllString` work on runes: each lowered with the simple case mapping, each
 * outside `[a-z0-9.-]` replaced by one `-` (an emoji is one `-`, not one per UTF-16 half).
 * Nothing is collapsed or trimmed. The one definition the operator, the preview and the
 * offline check share, so the names they show are the names upstream gives and dedups on.
 */
export const sanitizeTaskName = (raw: string): string => {
  let out = '';
  for (const c of raw) {
    const lower = goLowerRune(c);
    out += NAME_CHAR.test(lower) ? lower : '-';
  }
  return out;
};

/**
 * The Task name a rendered nameTemplate gives, as upstream makes it: {@link sanitizeTaskName},
 * cut to 63; `valid` says whether that is a DNS-1123 subdomain.
 */
export const nameFromTemplate = (rendered: string): { readonly name: string; readonly valid: boolean } => {
  const name = sanitizeTaskName(rendered).slice(0, MAX_TASK_NAME);
  return { name, valid: DNS1123_SUBDOMAIN.test(name) };
};

/** One template of an object: where it is, its text, and what it is rendered over. */
export interface TemplateSite {
  /** JSON pointer of the string. */
  readonly path: string;
  readonly text: string;
  readonly check: CheckOptions;
  /** Set for a spawner's nameTemplate: the sample data its rendered name is checked with. */
  readonly nameSample?: { readonly source: SourceType; readonly data: ReturnType<typeof sampleData> };
  /**
   * Set for the prompt of a Task without dependsOn, which is no template at run time (its
   * braces may be anything): only its reads of `.Deps`, which reach the agent unrendered.
   */
  readonly depsOnly?: true;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s) => typeof s === 'string') : []);

/** The source a spawner's `spec.when` sets, and what else shapes its data. */
export const sourceShape = (spec: Record<string, unknown>): SourceShape | undefined => {
  const when = isObject(spec['when']) ? spec['when'] : {};
  const source = SOURCE_TYPES.find((s) => isObject(when[s]));
  if (!source) return undefined;
  const options = when[source] as Record<string, unknown>;
  const template = isObject(spec['taskTemplate']) ? spec['taskTemplate'] : {};
  const contexts = Array.isArray(template['contextSources']) ? template['contextSources'] : [];
  return {
    source,
    events: strings(options['events']),
    fieldMapping: isObject(options['fieldMapping']) ? Object.keys(options['fieldMapping']) : [],
    contextSources: contexts.flatMap((c) =>
      isObject(c) && typeof c['name'] === 'string' ? [c['name']] : [],
    ),
  };
};

/**
 * For a GitHub webhook spawner of several events, the data of some of them, so a template's
 * `{{if eq .Event "issues"}}` is checked over what those events give.
 */
const byEvent = (shape: SourceShape, context: boolean): Pick<CheckOptions, 'events'> => {
  const all = shape.events ?? [];
  if (shape.source !== 'githubWebhook' || all.length < 2) return {};
  const seen = new Map<string, VarType>();
  const data = (events: readonly string[]): VarType => {
    const key = events.join(',');
    let t = seen.get(key);
    if (!t) {
      t = sourceVariables({ ...shape, events: [...events] }, { context });
      seen.set(key, t);
    }
    return t;
  };
  return { events: { all, data } };
};

const CONTEXT_IN_NAME =
  'nameTemplate must not reference .Context: the Task is named before its context sources are fetched';

/** Every template of a Task or TaskSpawner object, with the data each is rendered over. */
export const templateSites = (object: Record<string, unknown>): TemplateSite[] => {
  const spec = isObject(object['spec']) ? object['spec'] : undefined;
  if (!spec) return [];
  if (object['kind'] === 'Task') {
    const deps = strings(spec['dependsOn']);
    const prompt = spec['prompt'];
    if (typeof prompt !== 'string') return [];
    const site = { path: '/spec/prompt', text: prompt, check: { data: depsVariables(deps) } };
    if (deps.length > 0) return [site];
    return prompt.includes('Deps') ? [{ ...site, depsOnly: true }] : [];
  }
  if (object['kind'] !== 'TaskSpawner') return [];
  const shape = sourceShape(spec);
  const t = spec['taskTemplate'];
  if (!shape || !isObject(t)) return [];
  const withContext = { data: sourceVariables(shape), ...byEvent(shape, true) };
  const withoutContext = { data: sourceVariables(shape, { context: false }), ...byEvent(shape, false) };
  const sites: TemplateSite[] = [];
  const add = (segments: (string | number)[], value: unknown, check: CheckOptions) => {
    if (typeof value === 'string')
      sites.push({ path: toPointer(['spec', 'taskTemplate', ...segments]), text: value, check });
  };
  add(['promptTemplate'], t['promptTemplate'], withContext);
  add(['branch'], t['branch'], withContext);
  if (typeof t['nameTemplate'] === 'string') {
    sites.push({
      path: '/spec/taskTemplate/nameTemplate',
      text: t['nameTemplate'],
      check: { ...withoutContext, forbidden: { Context: CONTEXT_IN_NAME } },
      nameSample: { source: shape.source, data: sampleData(shape, { context: false }) },
    });
  }
  const metadata = isObject(t['metadata']) ? t['metadata'] : {};
  for (const field of ['labels', 'annotations']) {
    const map = isObject(metadata[field]) ? metadata[field] : {};
    for (const [k, value] of Object.entries(map)) add(['metadata', field, k], value, withContext);
  }
  const contexts = Array.isArray(t['contextSources']) ? t['contextSources'] : [];
  for (const [i, c] of contexts.entries()) {
    const http = isObject(c) && isObject(c['http']) ? c['http'] : {};
    // Context sources are fetched with the item's variables, before `.Context` exists.
    add(['contextSources', i, 'http', 'url'], http['url'], withoutContext);
    add(['contextSources', i, 'http', 'body'], http['body'], withoutContext);
    const headers = isObject(http['headers']) ? http['headers'] : {};
    for (const [k, value] of Object.entries(headers))
      add(['contextSources', i, 'http', 'headers', k], value, withoutContext);
  }
  return sites;
};

/** A template finding with the place and text of its template, before it is located in a file. */
export interface TemplateFindingAt {
  readonly site: Pick<TemplateSite, 'path' | 'text'>;
  /** Offset in the template text; `undefined` for findings about the whole template. */
  readonly offset?: number;
  readonly finding: Finding;
}

/** A template finding tied to its site, before it is located in a file. */
export interface LocatedTemplateFinding extends TemplateFindingAt {
  readonly site: TemplateSite;
}

/** Names a hint lists before it counts the rest. */
const MAX_KNOWN = 24;

/**
 * Whether a Task of the bundle (or deployed beside it) has a name, in the namespace of the
 * object whose templates are checked; unknown when not given.
 */
export type TaskExists = (name: string) => boolean;

/**
 * The suggestion for a `.Deps` key that is not in dependsOn, when the typo is dependsOn's:
 * the entry one edit from the key (`guess`) names no Task, and the key names one. Copying the
 * entry into the template would make both wrong.
 */
const dependsOnTypo = (f: TemplateFinding, guess: string, taskExists?: TaskExists): string | undefined => {
  if (f.code !== 'unknown-key' || f.unknown?.map !== 'Deps' || !taskExists) return undefined;
  const key = f.unknown.name;
  if (taskExists(guess) || !taskExists(key)) return undefined;
  return `; did you mean dependsOn "${clipName(key)}"? The dependsOn entry "${clipName(guess)}" names no Task here, while Task "${clipName(key)}" exists`;
};

const describe = (f: TemplateFinding, taskExists?: TaskExists): Finding => {
  const guess = f.unknown ? closest(f.unknown.name, f.unknown.known) : undefined;
  const prefix = f.code === 'unknown-function' ? '' : `${f.unknown?.parent ?? ''}.`;
  const suggestion =
    guess === undefined ? '' : (dependsOnTypo(f, guess, taskExists) ?? `; did you mean "${prefix}${guess}"?`);
  // No near miss: name what there is, as an unknown field of a manifest does.
  const known =
    f.unknown && !guess && f.code !== 'unknown-function' && f.unknown.known.length > 0
      ? f.unknown.known.map((k) => `${prefix}${k}`)
      : [];
  return {
    severity: f.severity,
    code: `template/${f.code}`,
    message: `${f.message} (template line ${f.line}, column ${f.column})${suggestion}`,
    path: '',
    ...(known.length > 0 && {
      hint: `known here: ${known.length > MAX_KNOWN ? `${known.slice(0, MAX_KNOWN).join(', ')} and ${known.length - MAX_KNOWN} more` : known.join(', ')}`,
    }),
  };
};

const nameFinding = (site: TemplateSite): Finding | undefined => {
  const sample = site.nameSample;
  if (!sample) return undefined;
  let out: string;
  try {
    out = renderTemplate(site.text, sample.data, { name: 'nameTemplate', missingKey: 'error' });
  } catch (e) {
    if (e instanceof TemplateError) return undefined;
    throw e;
  }
  const { name, valid } = nameFromTemplate(out);
  if (valid && !out.includes('<no value>')) return undefined;
  return {
    severity: 'error',
    code: 'template/invalid-name',
    message: `nameTemplate renders ${JSON.stringify(out)} for a sample ${sample.source} item, which gives the Task name ${JSON.stringify(name)}: not a valid Kubernetes name (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit)`,
    path: '',
  };
};

/** Why a Task without dependsOn may not read `.Deps`: its prompt is no template at run time. */
const DEPS_UNRENDERED =
  'the Task has no dependsOn, so its prompt is not rendered (upstream renders only the prompts of Tasks with dependsOn): the agent gets the template as written';

/**
 * Findings for every template of one object, each with its site and offset.
 *
 * @param taskExists Which Tasks exist beside the object, to tell a typo in `dependsOn` from
 *   one in the prompt; without it a `.Deps` key is held against `dependsOn` alone.
 */
export const locatedTemplateFindings = (
  object: Record<string, unknown>,
  taskExists?: TaskExists,
): LocatedTemplateFinding[] => {
  const out: LocatedTemplateFinding[] = [];
  for (const site of templateSites(object)) {
    let found = checkTemplate(site.text, site.check).filter(
      (f) => !site.depsOnly || f.unknown?.map === 'Deps',
    );
    // `.Deps` read whole (`{{range .Deps}}`, `{{$d := .Deps}}`) names no dependency to miss.
    if (site.depsOnly && found.length === 0)
      found = checkTemplate(site.text, { ...site.check, forbidden: { Deps: DEPS_UNRENDERED } }).filter(
        (f) => f.code === 'forbidden-field',
      );
    for (const f of found)
      out.push({ site, offset: f.offset, finding: { ...describe(f, taskExists), path: site.path } });
    if (found.some((f) => f.severity === 'error')) continue;
    const named = nameFinding(site);
    if (named) out.push({ site, finding: { ...named, path: site.path } });
  }
  return out;
};

/**
 * Findings for every template of one object (a Task or TaskSpawner), pathed at the string.
 * Constructs throw on the errors; the operator refuses to render a template that has any.
 */
export const templateFindings = (object: Record<string, unknown>): Finding[] =>
  locatedTemplateFindings(object).map((f) => f.finding);

/** The template errors of a TaskSpawner, one line each as `spec.taskTemplate.branch: …`, for the operator's status. */
export const spawnerTemplateErrors = (spawner: TaskSpawner): string[] =>
  templateFindings(spawner as unknown as Record<string, unknown>)
    .filter((f) => f.severity === 'error')
    .map((f) => `${f.path.slice(1).replaceAll('/', '.')}: ${f.message}`);

/**
 * Diagnostics for the templates of a bundle, each pointing at the line and column inside
 * the string when the manifest has YAML source, else at the field.
 *
 * @param checked The findings of a document's templates when they were already made.
 * @param taskExists Whether a Task a document's `dependsOn` could name exists (in the bundle or
 *   beside it), to point a `.Deps` key that misses at a misspelt `dependsOn` entry.
 */
export const checkTemplates = (
  docs: readonly LoadedDocument[],
  checked: (doc: LoadedDocument) => readonly TemplateFindingAt[] | undefined = () => undefined,
  taskExists?: (doc: LoadedDocument, name: string) => boolean,
): Diagnostic[] => {
  const out: Diagnostic[] = [];
  for (const doc of docs) {
    const exists = taskExists && ((name: string) => taskExists(doc, name));
    for (const { site, offset, finding } of checked(doc) ?? locatedTemplateFindings(doc.object, exists)) {
      const base = toDiagnostic(doc, finding);
      const scalar = offset === undefined ? undefined : doc.scalar?.(site.path);
      if (!scalar || offset === undefined || !base.source) {
        out.push(base);
        continue;
      }
      const offsets = valueOffsets(scalar.raw, scalar.style, site.text);
      const at = scalar.at(offsets[Math.min(offset, offsets.length - 1)] ?? 0);
      out.push({ ...base, source: { ...base.source, line: at.line, column: at.column } });
    }
  }
  return out;
};
