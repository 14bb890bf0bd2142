/**
 * Policy configuration: thresholds, allowlists, bot identities, model rates, and per-rule
 * enable/disable and severity overrides. Read from `kelos.policy.yaml` or the `policy:` section
 * of `cdk8s.yaml`, validated against a JSON Schema with ajv, and merged over
 * {@link DEFAULT_POLICY_CONFIG}. Problems are reported per key, in words the schema carries
 * (`expected`), rather than as ajv's keyword messages, and in the order of the file.
 *
 * The built package validates with code ajv generated at build time ({@link configValidatorModule});
 * from source, the schema is compiled on first use. Both report the same problems (the package
 * test compares them).
 *
 * @packageDocumentation
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv, CodeOptions, ErrorObject, ValidateFunction } from 'ajv';
import { AGENT_TYPES, DEFAULT_IMAGE_REPOSITORY } from '../api/group.ts';
import { DEFAULT_MODEL_RATES, type ModelRates } from '../api/model-rates.ts';
import { formatDuration, parseDuration } from '../kube/duration.ts';
import { parsePointer, type Severity } from '../validate/diagnostic.ts';
import { closest } from '../validate/echo.ts';
import { BUILTIN_MODEL_ALLOWLISTS, misspeltModel } from '../validate/model-names.ts';

/** Per-rule settings. */
export interface RuleSettings {
  /** Whether the rule runs. @default true */
  readonly enabled?: boolean;
  /** Severity that replaces the rule's own. @default - the rule's severity */
  readonly severity?: Severity;
}

/** Numeric limits the rules compare against. */
export interface PolicyThresholds {
  /** Highest `maxConcurrency` a TaskSpawner may set. */
  readonly maxConcurrency: number;
  /** Highest `podOverrides.activeDeadlineSeconds` a Task or task template may set. */
  readonly maxActiveDeadlineSeconds: number;
  /** Lowest polling interval, in seconds (written in the file as a Go duration or a bare number of seconds). */
  readonly minPollIntervalSeconds: number;
}

/** Values the rules accept. */
export interface PolicyAllowlists {
  /** Models allowed per agent type; an agent type without an entry may use any model. */
  readonly models: Readonly<Record<string, readonly string[]>>;
  /** Allowed `effort` values; empty allows any. */
  readonly efforts: readonly string[];
  /** Registries (prefixes such as `ghcr.io/kelos-ts`) custom images must come from. */
  readonly imageRegistries: readonly string[];
  /** Secrets (`namespace/name`, or `name` for any namespace) allowed to carry literal data. */
  readonly literalSecrets: readonly string[];
}

/** The effective policy configuration. */
export interface PolicyConfig {
  /** File the configuration was read from; absent for the built-in defaults. */
  readonly file?: string;
  readonly rules: Readonly<Record<string, RuleSettings>>;
  readonly thresholds: PolicyThresholds;
  readonly allowlists: PolicyAllowlists;
  /** GitHub logins the agents act as; spawners must exclude them as authors. */
  readonly botIdentities: readonly string[];
  /**
   * Secrets that live outside git (sealed-secrets, external-secrets, kubectl) and are known to
   * exist in the cluster, as `namespace/name` or `name` (any namespace). A reference to one is
   * not reported as `ref/secret-external`; a reference to any other Secret outside the bundle is.
   */
  readonly externalSecrets: readonly string[];
  /**
   * Namespaces created outside this project (by a platform team, another repository, a
   * namespace controller): apps may deploy into them though nothing here creates them (see
   * `argocd/namespace-missing`).
   */
  readonly externalNamespaces: readonly string[];
  /**
   * Worst-case cost of one running agent, in USD per hour, per agent type and model. The key
   * `default` is the rate of models not listed (and of Tasks that leave the model unset).
   */
  readonly rates: ModelRates;
  /**
   * How `kelos synth` treats policy errors: `enforce` fails synth (nothing is written);
   * `report` lists them as warnings. `kelos check` always enforces.
   * @default 'enforce'
   */
  readonly synth: 'enforce' | 'report';
  /**
   * Model names the file lists (under `allowlists.models` or as `rates` keys) that are one or
   * two letters off a model their agent type is known to run: `kelos check` warns of each
   * (`hygiene/model-name`). Unset when there are none.
   */
  readonly misspeltModels?: readonly MisspeltModel[];
}

/** A model name in the policy file one typo from a known model of its agent type. */
export interface MisspeltModel {
  /** `allowlists.models` (an entry of the agent type's list) or `rates` (a key). */
  readonly under: 'allowlists.models' | 'rates';
  readonly agent: string;
  readonly model: string;
  /** The known model it is most likely a typo of. */
  readonly near: string;
  /** The file, and where the name is in it when the file was parsed with positions. */
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * The built-in defaults. `kelos.policy.yaml` at the repository root documents the same values;
 * a test holds the two together.
 */
export const DEFAULT_POLICY_CONFIG: PolicyConfig = {
  rules: {},
  thresholds: { maxConcurrency: 10, maxActiveDeadlineSeconds: 14_400, minPollIntervalSeconds: 60 },
  allowlists: {
    models: BUILTIN_MODEL_ALLOWLISTS,
    efforts: ['minimal', 'low', 'medium', 'high'],
    imageRegistries: [DEFAULT_IMAGE_REPOSITORY],
    literalSecrets: [],
  },
  botIdentities: [],
  externalSecrets: [],
  externalNamespaces: [],
  // One price list, shared with the operator's run-time estimates (src/api/rates.ts).
  rates: DEFAULT_MODEL_RATES,
  synth: 'enforce',
};

/** The configuration file `kelos check` reads from the working directory when it exists. */
export { POLICY_CONFIG_FILE } from '../validate/manifest-files.ts';

/**
 * A configuration that does not validate (every problem names the file and the key), or that
 * could not be read (`headline` says so).
 */
export class PolicyConfigError extends Error {
  override readonly name = 'PolicyConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[], headline = 'invalid policy configuration') {
    super(`${headline}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

const require = createRequire(import.meta.url);

const SEVERITIES = ['error', 'warning', 'info'] as const;
const RULE_SWITCHES = ['off', 'on', false, true] as const;

/**
 * `expected` says, in words, what a key takes: a failing value is reported as `expected …,
 * got …` at the nearest key that has one. `unknownKey` replaces "unknown key" for a mapping
 * whose keys are ids rather than field names.
 */
interface Annotations {
  readonly expected?: string;
  readonly unknownKey?: string;
}
type Schema = Record<string, unknown> & Annotations;

// The schema is written as JSON Schema rather than with TypeBox, as the API kinds are: it is
// twenty keys, and loading TypeBox cost a pre-commit `kelos check` in a project with a policy
// file about 300 ms, more than the rest of the check (bench/README.md, `check`).
const mapping = (properties: Record<string, Schema>, expected: string): Schema => ({
  type: 'object',
  properties,
  additionalProperties: false,
  expected,
});
const record = (value: Schema, expected: string): Schema => ({
  type: 'object',
  patternProperties: { '^.*$': value },
  expected,
});
/**
 * A mapping keyed by the agent types the API runs. Any other key would configure nothing (a
 * rate for `claude-cod` prices no Task, a model list for it allows none), so a typo would
 * silently leave the built-in values in force: it is an unknown key, with a suggestion.
 */
const byAgentType = (value: Schema, expected: string): Schema => ({
  type: 'object',
  properties: Object.fromEntries(AGENT_TYPES.map((type) => [type, value])),
  additionalProperties: false,
  expected,
  unknownKey: `unknown agent type (${AGENT_TYPES.join(', ')})`,
});
const strings = (): Schema => ({
  type: 'array',
  items: { type: 'string', minLength: 1 },
  expected: 'a list of non-empty strings',
});
/**
 * A positive integer no larger than the field it bounds can hold. YAML reads
 * 99999999999999999999 as a number that is an integer to JSON Schema but not exactly one to
 * JavaScript, and the ceiling goes verbatim into messages and admission CEL (whose int is 64
 * bits), so an unbounded one would be refused by the API server or compared wrongly.
 */
const positiveInt = (maximum: number, why: string): Schema => ({
  type: 'integer',
  minimum: 1,
  maximum,
  expected: `a positive integer up to ${maximum} (${why})`,
});
/** The largest value of a Kubernetes int32 field (replicas, maxConcurrency). */
export const INT32_MAX = 2_147_483_647;
const values = (vals: readonly (string | boolean)[], expected: string): Schema => ({
  enum: [...vals],
  expected,
});

/**
 * The file's schema. `rules:` takes the known rule ids only, so it is built per rule set.
 * Each entry is a switch or a severity, or `{enabled, severity}`.
 */
const configSchema = (knownRules: readonly string[]): Schema => {
  const settings = mapping(
    {
      enabled: { type: 'boolean', expected: 'true or false' },
      severity: values(SEVERITIES, 'error, warning or info'),
    },
    'a mapping with enabled and severity',
  );
  const entry: Schema = {
    if: { type: 'object' },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else; this object is never awaited.
    then: settings,
    else: values([...RULE_SWITCHES, ...SEVERITIES], 'off, on, error, warning, info, or {enabled, severity}'),
  };
  return mapping(
    {
      rules: {
        type: 'object',
        properties: Object.fromEntries(knownRules.map((id) => [id, entry])),
        additionalProperties: false,
        expected: 'a mapping from rule id to settings',
        unknownKey: 'unknown rule id (kelos check --list-rules lists them)',
      },
      thresholds: mapping(
        {
          maxConcurrency: positiveInt(INT32_MAX, 'a TaskSpawner maxConcurrency is an int32'),
          maxActiveDeadlineSeconds: positiveInt(
            Number.MAX_SAFE_INTEGER,
            'the largest integer a number holds exactly',
          ),
          minPollInterval: {
            anyOf: [
              { type: 'number', minimum: 0 },
              { type: 'string', format: 'go-duration' },
            ],
            expected: 'a duration such as 1m or 30s',
          },
        },
        'a mapping',
      ),
      allowlists: mapping(
        {
          models: byAgentType(strings(), 'a mapping from agent type to a list of models'),
          efforts: strings(),
          imageRegistries: strings(),
          literalSecrets: strings(),
        },
        'a mapping',
      ),
      botIdentities: strings(),
      // A name no Secret can have matches no reference (each is a ref/invalid-name error).
      externalSecrets: {
        type: 'array',
        items: {
          type: 'string',
          pattern:
            '^([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
          maxLength: 317,
        },
        expected:
          'a list of Secret names or namespace/name pairs (a name: lowercase letters, digits, "-" and ".", at most 253 characters; a namespace: lowercase letters, digits and "-", at most 63)',
      },
      externalNamespaces: {
        type: 'array',
        items: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
        expected:
          'a list of namespace names (DNS-1123 labels: lowercase letters, digits and "-", at most 63 characters; no patterns)',
      },
      rates: byAgentType(
        record(
          { type: 'number', minimum: 0, expected: 'a non-negative number of USD per hour' },
          'a mapping from model (or default) to USD per hour',
        ),
        'a mapping from agent type to {model: USD per hour}',
      ),
      synth: values(['enforce', 'report'], 'enforce or report'),
    },
    'a mapping with keys rules, thresholds, allowlists, botIdentities, externalSecrets, externalNamespaces, rates, synth',
  );
};

/** One `rules:` entry as written. */
type RuleEntry = (typeof RULE_SWITCHES)[number] | Severity | { enabled?: boolean; severity?: Severity };
/** The file as written, once it validates against {@link configSchema} (every key optional). */
interface ConfigDocument {
  readonly rules?: Readonly<Record<string, RuleEntry>>;
  readonly thresholds?: {
    readonly maxConcurrency?: number;
    readonly maxActiveDeadlineSeconds?: number;
    readonly minPollInterval?: number | string;
  };
  readonly allowlists?: {
    readonly models?: Readonly<Record<string, string[]>>;
    readonly efforts?: string[];
    readonly imageRegistries?: string[];
    readonly literalSecrets?: string[];
  };
  readonly botIdentities?: string[];
  readonly externalSecrets?: string[];
  readonly externalNamespaces?: string[];
  readonly rates?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly synth?: 'enforce' | 'report';
}

/** Formats the schema names, shared by the run-time compiler and the precompiled validator. */
const FORMATS = { 'go-duration': (text: string) => (parseDuration(text) ?? -1) >= 0 };

/** An ajv for the file's schema; `code` is set only to emit standalone source. */
const newAjv = (code?: CodeOptions): Ajv => {
  // Loaded on first use: a check without a policy file does not need it.
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  const ajv = new AjvClass({
    allErrors: true,
    verbose: true, // problemsOf reads parentSchema
    strict: true,
    keywords: ['expected', 'unknownKey'],
    ...(code && { code }),
  });
  for (const [name, check] of Object.entries(FORMATS)) ajv.addFormat(name, check);
  return ajv;
};

/** Beside this module in the built package: {@link configValidatorModule} for the built-in rules. */
const PRECOMPILED = './config-validator.cjs';

/** The shape of the module {@link configValidatorModule} writes. */
interface PrecompiledModule {
  readonly rules: readonly string[];
  create(formats: typeof FORMATS): ValidateFunction;
}

/**
 * The CommonJS source of a module holding the file's validator for `knownRules` as ajv's
 * standalone code, so a run needs neither ajv's compiler (106 modules, 60–80 ms to load) nor
 * the compile itself (about 100 ms): `npm run build` writes it for the built-in rules beside
 * this module's output, and {@link parsePolicyConfig} uses it when the rule set matches.
 *
 * @param knownRules Rule ids that `rules:` may name.
 */
export function configValidatorModule(knownRules: readonly string[]): string {
  const { _ } = require('ajv') as typeof import('ajv');
  const standalone = require('ajv/dist/standalone')
    .default as typeof import('ajv/dist/standalone/index.js').default;
  const ajv = newAjv({ source: true, formats: _`formats` });
  const code = standalone(ajv, ajv.compile(configSchema(knownRules)));
  // The standalone code assigns `module.exports` and reads a free `formats`; a factory gives it both.
  return [
    "'use strict';",
    '// Generated by `npm run build` (src/policy/config.ts, configValidatorModule); do not edit.',
    `exports.rules = ${JSON.stringify(knownRules)};`,
    'exports.create = (formats) => {',
    '  const module = { exports: {} };',
    `  ${code}`,
    '  return module.exports;',
    '};',
    '',
  ].join('\n');
}

/** The precompiled validator, when this is the built package and it was built for `knownRules`. */
function precompiledValidator(knownRules: readonly string[]): ValidateFunction | undefined {
  if (!existsSync(new URL(PRECOMPILED, import.meta.url))) return undefined;
  const module = require(PRECOMPILED) as PrecompiledModule;
  return module.rules.join('\n') === knownRules.join('\n') ? module.create(FORMATS) : undefined;
}

/** Validators and their schemas by rule set: the CLI asks for the same set every time. */
const validators = new Map<string, { validate: ValidateFunction; schema: Schema }>();
const validatorFor = (knownRules: readonly string[]) => {
  const key = knownRules.join('\n');
  let entry = validators.get(key);
  if (!entry) {
    const schema = configSchema(knownRules);
    entry = { validate: precompiledValidator(knownRules) ?? newAjv().compile(schema), schema };
    validators.set(key, entry);
  }
  return entry;
};

/** A value as YAML wrote it: `.inf`, `-.inf` and `.nan` are numbers JSON has no text for (it says null). */
const show = (v: unknown): string =>
  typeof v === 'number' && !Number.isFinite(v)
    ? Number.isNaN(v)
      ? '.nan'
      : v > 0
        ? '.inf'
        : '-.inf'
    : typeof v === 'string'
      ? JSON.stringify(v)
      : (JSON.stringify(v) ?? String(v));

const choice = (keys: readonly string[]): string =>
  keys.length === 2 ? `${keys[0]} or ${keys[1]}` : `one of ${keys.join(', ')}`;

/** `unknown key; did you mean "externalSecrets"? expected one of …`. */
const unknownKey = (key: string, known: readonly string[]): string => {
  const near = closest(key, known);
  return `unknown key;${near ? ` did you mean ${near}?` : ''} expected ${choice(known)}`;
};

/** Unescaped segments of a JSON pointer. */
/**
 * The schema nodes an error's `schemaPath` passes through, each with the depth in the
 * document it applies at, so a failure deep inside (an item of a list) is reported at the key
 * that says what it expects (the list).
 */
function schemaTrail(
  root: object,
  schemaPath: string,
): Array<{ node: Record<string, unknown>; depth: number }> {
  const trail = [{ node: root as Record<string, unknown>, depth: 0 }];
  const parts = parsePointer(schemaPath.replace(/^#/, '')).map(decodeURIComponent);
  let node = root as Record<string, unknown>;
  let depth = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    let next: unknown;
    if (part === 'properties' || part === 'patternProperties') {
      next = (node[part] as Record<string, unknown> | undefined)?.[parts[++i] as string];
      depth++;
    } else if (part === 'items' || part === 'additionalProperties') {
      next = node[part];
      depth++;
    } else if (part === 'anyOf' || part === 'allOf' || part === 'oneOf') {
      next = (node[part] as unknown[] | undefined)?.[Number(parts[++i])];
    } else if (part === 'then' || part === 'else') {
      next = node[part];
    } else break;
    if (typeof next !== 'object' || next === null) break;
    node = next as Record<string, unknown>;
    trail.push({ node, depth });
  }
  return trail;
}

/** Reads the value at `path` of `doc`. */
const valueAt = (doc: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], doc);

/** Where a key path is in the file, when the caller parsed it with positions. */
export type LocateKey = (path: readonly string[]) => { line: number; column: number } | undefined;

/** One problem with the file: what is wrong at a key path. */
interface Problem {
  readonly path: readonly string[];
  readonly what: string;
}

/** Indices of a key path's keys among their siblings: the order the file writes them in. */
const documentOrder = (raw: unknown, path: readonly string[]): number[] => {
  const out: number[] = [];
  let node = raw;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) break;
    out.push(Object.keys(node).indexOf(key));
    node = (node as Record<string, unknown>)[key];
  }
  return out;
};

const byIndices = (a: readonly number[], b: readonly number[]): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
};

/**
 * One line per problem, `file[:line:column]: key.path: what`, deduplicated, in the order the
 * file reads: by line and column when the file was parsed with positions, else by where each key
 * stands among its siblings. ajv reports in the schema's order, which sent a reader who fixes
 * the file top-down back and forth (3:1, then 2:1, then 1:1).
 */
function problemLines(
  problems: readonly Problem[],
  raw: unknown,
  file: string,
  locate?: LocateKey,
  section?: string,
): string[] {
  const placed = problems.map((p) => {
    const path = section === undefined ? p.path : [section, ...p.path];
    return { what: p.what, path, pos: locate?.(path), order: documentOrder(raw, p.path) };
  });
  // A problem of the whole file (no key, so no position) comes first.
  const sorted = locate
    ? placed.sort(
        (a, b) =>
          (a.pos?.line ?? 0) - (b.pos?.line ?? 0) ||
          (a.pos?.column ?? 0) - (b.pos?.column ?? 0) ||
          byIndices(a.order, b.order),
      )
    : placed.sort((a, b) => byIndices(a.order, b.order));
  const lines = sorted.map(({ path, what, pos }) => {
    const where = pos ? `${file}:${pos.line}:${pos.column}` : file;
    return path.length > 0 ? `${where}: ${path.join('.')}: ${what}` : `${where}: ${what}`;
  });
  return [...new Set(lines)];
}

/** The problems ajv found, each at the key that says what it expects. */
function problemsOf(errors: readonly ErrorObject[], raw: unknown, root: object): Problem[] {
  const out: Problem[] = [];
  const at = (path: readonly string[], what: string) => out.push({ path, what });
  for (const e of errors) {
    // An `if` only picks the branch, and a failed union is reported once, as the union.
    if (e.keyword === 'if' || /\/(anyOf|oneOf)\/\d+\//.test(e.schemaPath)) continue;
    const path = parsePointer(e.instancePath);
    if (e.keyword === 'additionalProperties') {
      const schema = e.parentSchema as Record<string, unknown> & Annotations;
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys(schema['properties'] ?? {});
      const near = schema.unknownKey ? closest(key, known) : undefined;
      at(
        [...path, key],
        schema.unknownKey
          ? `${schema.unknownKey}${near ? `; did you mean ${near}?` : ''}`
          : unknownKey(key, known),
      );
      continue;
    }
    const trail = schemaTrail(root, e.schemaPath);
    const described = [...trail].reverse().find((t) => typeof t.node['expected'] === 'string');
    const where = path.slice(0, described?.depth ?? path.length);
    at(
      where,
      `expected ${String(described?.node['expected'] ?? e.message)}, got ${show(valueAt(raw, where))}`,
    );
  }
  return out;
}

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Model keys of `rates` that are a near miss of `default` (`defualt`, `Default`, `defaults`),
 * which the schema cannot see: model names are free-form, so any key is a model to it, and the
 * typo silently leaves the agent type's default rate as it was. They are errors rather than
 * warnings: the file promises that a key it does not know is an error, and no model is named
 * within two letters of `default`. A model that really is can still be priced: one the agent
 * type's `allowlists.models` (or the built-in rates) lists is not a near miss but that model.
 */
function rateModelProblems(raw: unknown): Problem[] {
  if (!isMapping(raw) || !isMapping(raw['rates'])) return [];
  const listed = isMapping(raw['allowlists']) ? raw['allowlists']['models'] : undefined;
  const out: Problem[] = [];
  for (const [agent, models] of Object.entries(raw['rates'])) {
    if (!isMapping(models)) continue;
    const own = isMapping(listed) && Array.isArray(listed[agent]) ? listed[agent] : undefined;
    const known = new Set<unknown>([
      ...(own ?? DEFAULT_POLICY_CONFIG.allowlists.models[agent] ?? []),
      ...Object.keys(DEFAULT_MODEL_RATES[agent] ?? {}),
    ]);
    for (const model of Object.keys(models)) {
      if (model === 'default' || known.has(model) || closest(model, ['default']) === undefined) continue;
      out.push({
        path: ['rates', agent, model],
        what: 'unknown model key, a near miss of default (the rate of models not listed); did you mean default?',
      });
    }
  }
  return out;
}

/**
 * The model names of a valid file that are one or two letters off a known model of their agent
 * type, in the file's order: a warning, not a problem, since a new model may be one letter from
 * an old one (the shape of version numbers aside, see {@link misspeltModel}).
 */
function misspeltModelsOf(
  doc: ConfigDocument,
  file: string,
  locate: LocateKey | undefined,
  section: string | undefined,
): MisspeltModel[] {
  const out: MisspeltModel[] = [];
  const add = (under: MisspeltModel['under'], agent: string, model: string, path: readonly string[]) => {
    const near = misspeltModel(agent, model);
    if (near === undefined) return;
    const at = locate?.(section === undefined ? path : [section, ...path]);
    out.push({ under, agent, model, near, file, ...(at && { line: at.line, column: at.column }) });
  };
  for (const [agent, models] of Object.entries(doc.allowlists?.models ?? {}))
    (models ?? []).forEach((model, i) => {
      add('allowlists.models', agent, model, ['allowlists', 'models', agent, String(i)]);
    });
  for (const [agent, perModel] of Object.entries(doc.rates ?? {}))
    for (const model of Object.keys(perModel ?? {}))
      if (model !== 'default') add('rates', agent, model, ['rates', agent, model]);
  return out;
}

/**
 * Validates a parsed configuration document against the file's schema and merges it over
 * the defaults.
 *
 * @param raw The parsed YAML (the whole file, or the `policy:` section of `cdk8s.yaml`).
 * @param file Name used in messages, e.g. `kelos.policy.yaml` or `cdk8s.yaml`.
 * @param knownRules Rule ids that `rules:` may name.
 * @param locate Where a key path is in the file, so each problem names its line and column.
 * @param section The key `raw` sits under in `file` (`policy` in `cdk8s.yaml`): problems name
 *   their keys from the file's root, and `locate` is asked for those paths.
 * @throws PolicyConfigError listing every problem found.
 */
export function parsePolicyConfig(
  raw: unknown,
  file: string,
  knownRules: readonly string[],
  locate?: LocateKey,
  section?: string,
): PolicyConfig {
  if (raw === null || raw === undefined) return { ...DEFAULT_POLICY_CONFIG, file };
  const { validate, schema } = validatorFor(knownRules);
  const valid = validate(raw);
  const problems = [
    ...(valid ? [] : problemsOf(validate.errors ?? [], raw, schema)),
    ...rateModelProblems(raw),
  ];
  if (problems.length > 0) throw new PolicyConfigError(problemLines(problems, raw, file, locate, section));
  const doc = raw as ConfigDocument;

  const rules: Record<string, RuleSettings> = {};
  for (const [id, entry] of Object.entries(doc.rules ?? {}) as Array<[string, RuleEntry | undefined]>) {
    if (entry === 'off' || entry === false) rules[id] = { enabled: false };
    else if (entry === 'on' || entry === true) rules[id] = { enabled: true };
    else if (typeof entry === 'string') rules[id] = { enabled: true, severity: entry };
    else if (entry) rules[id] = { ...entry };
  }

  const t = doc.thresholds ?? {};
  const poll = t.minPollInterval;
  const thresholds: PolicyThresholds = {
    maxConcurrency: t.maxConcurrency ?? DEFAULT_POLICY_CONFIG.thresholds.maxConcurrency,
    maxActiveDeadlineSeconds:
      t.maxActiveDeadlineSeconds ?? DEFAULT_POLICY_CONFIG.thresholds.maxActiveDeadlineSeconds,
    minPollIntervalSeconds:
      poll === undefined
        ? DEFAULT_POLICY_CONFIG.thresholds.minPollIntervalSeconds
        : typeof poll === 'number'
          ? poll
          : (parseDuration(poll) ?? 0),
  };

  const a = doc.allowlists ?? {};
  const defaults = DEFAULT_POLICY_CONFIG.allowlists;
  const misspelt = misspeltModelsOf(doc, file, locate, section);
  const rates: Record<string, Readonly<Record<string, number>>> = { ...DEFAULT_POLICY_CONFIG.rates };
  for (const [agent, perModel] of Object.entries(doc.rates ?? {}))
    rates[agent] = { ...rates[agent], ...perModel };

  return {
    file,
    rules,
    thresholds,
    allowlists: {
      // The file's models replace the defaults per agent type it names.
      models: { ...defaults.models, ...a.models },
      efforts: a.efforts ?? defaults.efforts,
      imageRegistries: a.imageRegistries ?? defaults.imageRegistries,
      literalSecrets: a.literalSecrets ?? defaults.literalSecrets,
    },
    botIdentities: doc.botIdentities ?? DEFAULT_POLICY_CONFIG.botIdentities,
    externalSecrets: doc.externalSecrets ?? DEFAULT_POLICY_CONFIG.externalSecrets,
    externalNamespaces: doc.externalNamespaces ?? DEFAULT_POLICY_CONFIG.externalNamespaces,
    rates,
    synth: doc.synth ?? DEFAULT_POLICY_CONFIG.synth,
    ...(misspelt.length > 0 && { misspeltModels: misspelt }),
  };
}

/**
 * Renders a configuration back to the YAML-shaped object `parsePolicyConfig` reads, so a
 * config can be printed (`kelos check --print-config`) and compared.
 */
export function policyConfigToDocument(config: PolicyConfig): Record<string, unknown> {
  return {
    rules: config.rules,
    thresholds: {
      maxConcurrency: config.thresholds.maxConcurrency,
      maxActiveDeadlineSeconds: config.thresholds.maxActiveDeadlineSeconds,
      minPollInterval: formatDuration(config.thresholds.minPollIntervalSeconds),
    },
    allowlists: config.allowlists,
    botIdentities: config.botIdentities,
    externalSecrets: config.externalSecrets,
    externalNamespaces: config.externalNamespaces,
    rates: config.rates,
    synth: config.synth,
  };
}
