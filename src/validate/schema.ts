/**
 * Schema validation of whole objects with ajv, from the same schemas the CRDs are generated
 * from (Kelos kinds) or the pinned Kubernetes OpenAPI spec (core kinds).
 *
 * Validation is strict: every object schema with `properties` refuses other fields, in a
 * derived copy. The API server would silently prune an unknown field; offline, a typo such as
 * `modle` is an error, with the closest known field suggested.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv, CodeOptions, ErrorObject, ValidateFunction } from 'ajv';
import { API_VERSION, CIDR_PATTERN, kindByName, QUANTITY_PATTERN } from '../api/index.ts';
import { escapePointer, type Finding, fieldPath } from './diagnostic.ts';
import { clipName, clipPointer, closest, extended, isSecretValue, show } from './echo.ts';
import { homesText } from './field-homes.ts';
import { upstreamRename, upstreamRetyped } from './upstream-renames.ts';

export { closest } from './echo.ts';

import { parsePointer } from './diagnostic.ts';

import {
  coreObjectSchema,
  DNS1123_LABEL,
  DNS1123_SUBDOMAIN,
  DNS1123_SUBDOMAIN_WORDS,
  hoistSchemas,
  INT64_MAX,
  INT64_MIN,
  isNode,
  kelosObjectSchema,
  LABEL_VALUE,
  type Node,
  QUALIFIED_NAME,
  strictSchema,
} from './object-schema.ts';

export { hoistSchemas, kelosObjectSchema, strictSchema } from './object-schema.ts';

/** Words for the patterns people hit most, in the API server's phrasing. */
const PATTERN_WORDS: Readonly<Record<string, string>> = {
  [DNS1123_SUBDOMAIN]: DNS1123_SUBDOMAIN_WORDS,
  [DNS1123_LABEL]:
    "a lowercase RFC 1123 label: lower case alphanumeric characters or '-', starting and ending with an alphanumeric character",
  [QUALIFIED_NAME]:
    "a qualified name: an optional DNS subdomain prefix and '/', then at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character",
  [LABEL_VALUE]:
    "a label value: empty, or alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character",
  [CIDR_PATTERN]: 'an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8',
  [QUANTITY_PATTERN]:
    'a Kubernetes quantity: a number such as 50, 12.50 or 1e3, with an optional suffix Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P or E (512Mi, 500m)',
};

/** How a value past the int64 range is refused (the bounds strictSchema gives every int64). */
export const INT64_RANGE_MESSAGE =
  'must be a 64-bit integer, from -9223372036854775808 to 9223372036854775807';

/** Words for formats, so a message says what to write rather than naming a format. */
const FORMAT_WORDS: Readonly<Record<string, string>> = {
  byte: 'base64-encoded data (put plain text in stringData)',
  'date-time': 'an RFC 3339 date-time such as 2026-01-02T15:04:05Z',
  date: 'a date such as 2026-01-02',
  int32: 'a 32-bit integer',
  int64: 'a 64-bit integer',
};

/** The ObjectMeta fields a manifest may carry, with the API server's name and label rules. */
/** A compiled validator and the strict schema (without `$ref`s, for walking) it was built from. */
interface Compiled {
  readonly validate: ValidateFunction;
  readonly schema: Node;
}

const require = createRequire(import.meta.url);

/** An ajv for whole objects; `source` is set only to emit standalone code. */
const newAjv = (source = false): Ajv => {
  // Loaded on first use: with the precompiled validators a Kelos manifest needs neither ajv's
  // compiler nor ajv-formats' plugin (together about 110 modules).
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  const addFormats = require('ajv-formats') as (a: Ajv) => Ajv;
  const code: CodeOptions = {
    // Compiling Pod-sized schemas dominates a CLI run; ajv's code optimizer roughly doubles
    // compile time and buys no measurable validation speed on these schemas.
    optimize: false,
    ...(source && { source: true }),
  };
  return addFormats(
    new AjvClass({
      allErrors: true,
      verbose: true,
      // The schemas carry x-kubernetes-* keywords and defaults inside anyOf, which strict mode refuses.
      strict: false,
      validateSchema: false,
      code,
      // Hoisted sub-schemas (see hoistSchemas) stay separate functions instead of being inlined.
      inlineRefs: false,
    }),
  );
};

let ajvInstance: Ajv | undefined;
const ajv = (): Ajv => {
  ajvInstance ??= newAjv();
  return ajvInstance;
};

/** A digest of the strict schema a validator is compiled from, to know a precompiled one fits. */
const schemaKey = (schema: Node): string => createHash('sha256').update(JSON.stringify(schema)).digest('hex');

/** Beside this module in the built package: {@link kindValidatorModule} of each Kelos kind. */
const precompiledFile = (kind: string): URL =>
  new URL(`./validators/${kind.toLowerCase()}.cjs`, import.meta.url);

/** The shape of the module {@link kindValidatorModule} writes. */
interface PrecompiledModule {
  readonly key: string;
  readonly validate: ValidateFunction;
}

/**
 * The CommonJS source of a module holding the validator of a Kelos kind as ajv's standalone
 * code: `npm run build` writes one per kind beside this module's output, so validating a Task
 * needs no compile (about 230 ms for a Task, 320 ms for a TaskSpawner, against 35–40 ms to load
 * the module) and no ajv compiler. The module carries the digest of the schema it was compiled
 * from; a run whose schema differs compiles its own.
 */
export function kindValidatorModule(kind: string): string {
  const def = kindByName(kind);
  if (!def) throw new Error(`${kind} is not a Kelos kind`);
  const schema = strictSchema(kelosObjectSchema(def)) as Node;
  const ajv = newAjv(true);
  const standalone = require('ajv/dist/standalone')
    .default as typeof import('ajv/dist/standalone/index.js').default;
  return [
    "'use strict';",
    '// Generated by `npm run build` (src/validate/schema.ts, kindValidatorModule); do not edit.',
    standalone(ajv, ajv.compile(hoistSchemas(schema))),
    `module.exports = { key: ${JSON.stringify(schemaKey(schema))}, validate: module.exports };`,
    '',
  ].join('\n');
}

/** The precompiled validator of a Kelos kind, when this is the built package and it fits `schema`. */
function precompiledValidator(kind: string, schema: Node): ValidateFunction | undefined {
  const file = precompiledFile(kind);
  if (!existsSync(file)) return undefined;
  const module = require(fileURLToPath(file)) as PrecompiledModule;
  return module.key === schemaKey(schema) ? module.validate : undefined;
}

const compiled = new Map<string, Compiled | null>();

/**
 * The validator for `apiVersion`/`kind`, compiled on first use and cached; `undefined` when no
 * schema is known (not a served Kelos kind, not a bundled core kind).
 */
function validatorFor(apiVersion: string, kind: string): Compiled | undefined {
  const key = `${apiVersion}/${kind}`;
  let entry = compiled.get(key);
  if (entry === undefined) {
    const def = apiVersion === API_VERSION ? kindByName(kind) : undefined;
    const base = def ? kelosObjectSchema(def) : coreObjectSchema(apiVersion, kind);
    if (base) {
      const schema = strictSchema(base) as Node;
      const validate = (def && precompiledValidator(def.kind, schema)) ?? ajv().compile(hoistSchemas(schema));
      entry = { validate, schema };
    } else {
      entry = null;
    }
    compiled.set(key, entry);
  }
  return entry ?? undefined;
}

/**
 * Compiles the validators of these kinds now instead of on first use, for a caller that has
 * time to spare before it validates (synth, while its app runner renders).
 */
export const prepareValidators = (kinds: Iterable<{ apiVersion: string; kind: string }>): void => {
  for (const k of kinds) validatorFor(k.apiVersion, k.kind);
};

/** Whether the offline validator has a schema for `apiVersion`/`kind`. */
export const hasSchema = (apiVersion: string, kind: string): boolean =>
  validatorFor(apiVersion, kind) !== undefined;

/**
 * One member of a field path, as {@link fieldPath} writes it: `.name`, or `["a.b"]` for a key a
 * dot would split (`resources.limits` written as one key is not `resources` then `limits`).
 */
const memberText = (name: string, after: boolean): string =>
  /^[A-Za-z_$][\w$-]*$/.test(name)
    ? `${after ? '.' : ''}${clipName(name)}`
    : `[${JSON.stringify(clipName(name))}]`;

const typeName = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'array'
      : Number.isInteger(value)
        ? 'integer'
        : typeof value;

const article = (word: string) => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

/** Whether the value at a JSON pointer must not be quoted. */
type SecretTest = (pointer: string) => boolean;

/** Turns one ajv error into a finding; `undefined` for errors that another error already explains. */
function toFinding(
  error: ErrorObject,
  secret: SecretTest = () => false,
  root?: Node,
  object?: unknown,
): Finding | undefined {
  const params = error.params as Record<string, unknown>;
  const at = error.instancePath;
  // What the input held here, quoted unless it is a Secret's value.
  const got = (value: unknown) => (secret(at) ? '(not shown: Secret data)' : show(value));
  const child = (name: unknown) => `${at}/${escapePointer(String(name))}`;
  const finding = (code: string, path: string, message: string, hint?: string): Finding => ({
    severity: 'error',
    code,
    path,
    message,
    ...(hint ? { hint } : {}),
  });
  // An error inside propertyNames is about a map key, not a value.
  const key = (error as ErrorObject & { propertyName?: string }).propertyName;
  // The outer propertyNames error only repeats that an inner one failed.
  if (error.keyword === 'propertyNames') return undefined;
  if (key !== undefined) {
    const inner = toFinding({ ...error, propertyName: undefined, data: key } as ErrorObject);
    return inner && finding('schema/key', child(key), `key ${show(key)} ${inner.message}`);
  }
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(params['additionalProperty']);
      const path = child(name);
      const known = Object.keys((error.parentSchema?.['properties'] as Node | undefined) ?? {});
      // A field upstream renamed between versions is no typo: say what it became.
      const renamed = upstreamRename(object, parsePointer(at), name);
      const guess = renamed ? undefined : (closest(name, known) ?? extended(name, known));
      // No near miss here: maybe the right field in the wrong place (indented too little).
      const homes = !renamed && !guess && root ? homesText(root, parsePointer(at), name, object) : '';
      return finding(
        'schema/unknown-field',
        path,
        `unknown field "${fieldPath(at)}${memberText(name, at !== '')}"${renamed ?? (guess ? `; did you mean "${guess}"?` : homes)}`,
        known.length > 0 ? `known fields here: ${known.join(', ')}` : undefined,
      );
    }
    case 'required': {
      const path = child(params['missingProperty']);
      return finding('schema/required', path, `missing required field "${fieldPath(path)}"`);
    }
    case 'enum': {
      const values = params['allowedValues'] as unknown[];
      // An empty string some enums accept (upstream's "unset") reads as a typo in a list.
      const allowed = values.map((v) => (v === '' ? '"" (unset)' : show(v))).join(', ');
      const named = values.filter((v): v is string => typeof v === 'string' && v !== '');
      const guess = typeof error.data === 'string' ? closest(error.data, named) : undefined;
      return finding(
        'schema/enum',
        at,
        `must be one of ${allowed}; got ${got(error.data)}${guess ? `; did you mean "${guess}"?` : ''}`,
      );
    }
    case 'const':
      return finding('schema/enum', at, `must be ${show(params['allowedValue'])}; got ${got(error.data)}`);
    case 'type': {
      const expected = String(params['type']).split(',').map(article).join(' or ');
      return finding(
        'schema/type',
        at,
        `must be ${expected}; got ${error.data === null ? 'null' : `${article(typeName(error.data))} ${got(error.data)}`}${upstreamRetyped(object, parsePointer(at)) ?? ''}`,
      );
    }
    case 'pattern': {
      const pattern = String(params['pattern']);
      const words = PATTERN_WORDS[pattern];
      return finding(
        'schema/pattern',
        at,
        words
          ? `must be ${words}; got ${got(error.data)}`
          : `must match the pattern ${pattern}; got ${got(error.data)}`,
      );
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      // The int64 range strictSchema adds: the API server says the value is no int64.
      if (params['limit'] === INT64_MAX || params['limit'] === INT64_MIN)
        return finding(
          'schema/format',
          at,
          // The float a parser made of the digits is not what was written; say which side it is.
          `${INT64_RANGE_MESSAGE}; got a number ${params['limit'] === INT64_MAX ? 'above' : 'below'} that range (${(error.data as number).toPrecision(3)})`,
        );
      return finding(
        error.keyword === 'minimum' || error.keyword === 'exclusiveMinimum'
          ? 'schema/minimum'
          : 'schema/maximum',
        at,
        `must be ${String(params['comparison'])} ${String(params['limit'])}; got ${got(error.data)}`,
      );
    case 'minLength':
      return finding(
        'schema/min-length',
        at,
        `must be at least ${String(params['limit'])} characters long; got ${got(error.data)}`,
      );
    case 'maxLength':
      return finding(
        'schema/max-length',
        at,
        `must be at most ${String(params['limit'])} characters long; got ${String((error.data as string).length)}`,
      );
    case 'minItems':
      return finding(
        'schema/min-items',
        at,
        `must have at least ${String(params['limit'])} items; got ${String((error.data as unknown[]).length)}`,
      );
    case 'maxItems':
      return finding(
        'schema/max-items',
        at,
        `must have at most ${String(params['limit'])} items; got ${String((error.data as unknown[]).length)}`,
      );
    case 'format': {
      const format = String(params['format']);
      return finding(
        'schema/format',
        at,
        `must be ${FORMAT_WORDS[format] ?? `a valid ${format}`}; got ${got(error.data)}`,
      );
    }
    default:
      return finding(`schema/${error.keyword}`, at, error.message ?? `is invalid (${error.keyword})`);
  }
}

/**
 * Folds the errors under each failed `anyOf` into one finding (“must be an integer or a
 * string”), so an int-or-string field with a wrong value gives one line, not three.
 */
function foldAnyOf(errors: readonly ErrorObject[]): ErrorObject[] {
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf');
  if (anyOfs.length === 0) return [...errors];
  const inside = (e: ErrorObject) =>
    anyOfs.some(
      (a) =>
        e !== a && e.instancePath.startsWith(a.instancePath) && e.schemaPath.startsWith(`${a.schemaPath}/`),
    );
  const out: ErrorObject[] = [];
  for (const e of errors) {
    if (inside(e)) continue;
    if (e.keyword !== 'anyOf') {
      out.push(e);
      continue;
    }
    // A value of a branch's type that the branch refused for another reason (a quantity string
    // that does not parse): that reason is the finding, not the list of types.
    const refused = errors.find(
      (x) => x !== e && inside(x) && x.instancePath === e.instancePath && x.keyword !== 'type',
    );
    if (refused) {
      out.push(refused);
      continue;
    }
    const branches = (e.schema as Node[])
      .map((b) => b['type'])
      .filter((t): t is string => typeof t === 'string');
    if (branches.length === (e.schema as unknown[]).length) {
      out.push({ ...e, keyword: 'type', params: { type: branches.join(',') } });
    } else {
      // Branches that are not plain types: report what the closest branch said.
      out.push(
        ...errors.filter((x) => x !== e && inside(x) && x.instancePath === e.instancePath).slice(0, 1),
      );
    }
  }
  return out;
}

/** Findings with this code stop CEL rules from running, as the API server's blocking errors do. */
export const BLOCKING_CODES: ReadonlySet<string> = new Set([
  'schema/required',
  'schema/enum',
  'schema/type',
  'schema/max-length',
  'schema/max-items',
]);

/**
 * Validates a whole object against the schema of its apiVersion and kind.
 *
 * @returns The findings (empty when valid), or `undefined` when there is no schema for the kind.
 */
export function validateSchema(object: Record<string, unknown>): Finding[] | undefined {
  const apiVersion = String(object['apiVersion']);
  const kind = String(object['kind']);
  const entry = validatorFor(apiVersion, kind);
  if (!entry) return undefined;
  const findings: Finding[] = [];
  if (!entry.validate(object)) {
    const seen = new Set<string>();
    for (const error of foldAnyOf(entry.validate.errors ?? [])) {
      const f = toFinding(error, (pointer) => isSecretValue(apiVersion, kind, pointer), entry.schema, object);
      if (!f) continue;
      const id = `${f.code}\u0000${f.path}\u0000${f.message}`;
      if (seen.has(id)) continue;
      seen.add(id);
      findings.push({ ...f, path: clipPointer(f.path) });
    }
  }
  findings.push(...listFindings(entry.schema, object, ''));
  // A value of the wrong type fails its format too (1.5 is no int64); the API server reports
  // the type alone.
  const mistyped = new Set(findings.filter((f) => f.code === 'schema/type').map((f) => f.path));
  return mistyped.size === 0
    ? findings
    : findings.filter((f) => f.code !== 'schema/format' || !mistyped.has(f.path));
}

const listCache = new WeakMap<object, boolean>();

/** Whether a schema has any `x-kubernetes-list-type: map|set` below it. */
function hasListTypes(schema: Node): boolean {
  const cached = listCache.get(schema);
  if (cached !== undefined) return cached;
  listCache.set(schema, false);
  let found = schema['x-kubernetes-list-type'] === 'map' || schema['x-kubernetes-list-type'] === 'set';
  const visit = (s: unknown) => {
    if (!found && isNode(s) && hasListTypes(s)) found = true;
  };
  if (isNode(schema['properties'])) for (const s of Object.values(schema['properties'])) visit(s);
  visit(schema['items']);
  visit(schema['additionalProperties']);
  listCache.set(schema, found);
  return found;
}

/**
 * The API server's list semantics: in a `map` list no two items have the same keys, in a `set`
 * list no two items are equal.
 */
function listFindings(schema: unknown, value: unknown, at: string): Finding[] {
  if (!isNode(schema) || value === null || typeof value !== 'object' || !hasListTypes(schema)) return [];
  const out: Finding[] = [];
  if (Array.isArray(value)) {
    const listType = schema['x-kubernetes-list-type'];
    if (listType === 'map' || listType === 'set') {
      const keys = (schema['x-kubernetes-list-map-keys'] as string[] | undefined) ?? [];
      // The API server defaults an item before it compares keys: two ports of 80, one with
      // `protocol: TCP` and one without, are the same port.
      const itemProperties = isNode(schema['items']) ? schema['items']['properties'] : undefined;
      const keyOf = (item: Node, k: string): unknown =>
        item[k] ??
        (isNode(itemProperties) && isNode(itemProperties[k]) ? itemProperties[k]['default'] : undefined);
      const first = new Map<string, number>();
      value.forEach((item, i) => {
        const id =
          listType === 'map' && isNode(item)
            ? JSON.stringify(keys.map((k) => keyOf(item, k)))
            : JSON.stringify(item);
        const earlier = first.get(id);
        if (earlier === undefined) {
          first.set(id, i);
          return;
        }
        const what =
          listType === 'map' && isNode(item)
            ? keys
                .map((k) => {
                  const key = keyOf(item, k);
                  return `${k} ${show(key)}${item[k] === undefined && key !== undefined ? ' (its default)' : ''}`;
                })
                .join(', ')
            : `value ${show(item)}`;
        out.push({
          severity: 'error',
          code: 'schema/duplicate',
          path: `${at}/${i}`,
          message: `duplicate entry with ${what}; the same as item ${earlier}`,
        });
      });
    }
    const items = schema['items'];
    if (isNode(items) && hasListTypes(items)) {
      value.forEach((item, i) => {
        out.push(...listFindings(items, item, `${at}/${i}`));
      });
    }
    return out;
  }
  const properties = isNode(schema['properties']) ? schema['properties'] : {};
  for (const [key, child] of Object.entries(value)) {
    const childSchema = properties[key] ?? schema['additionalProperties'];
    if (isNode(childSchema) && hasListTypes(childSchema)) {
      out.push(...listFindings(childSchema, child, `${at}/${escapePointer(key)}`));
    }
  }
  return out;
}
