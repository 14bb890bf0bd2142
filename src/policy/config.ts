/**
 * Policy configuration: thresholds, allowlists, bot identities, model rates, and per-rule
 * enable/disable and severity overrides. Read from `kelos.policy.yaml` or the `policy:` section
 * of `cdk8s.yaml`, validated key by key, and merged over {@link DEFAULT_POLICY_CONFIG}.
 *
 * @packageDocumentation
 */
import { DEFAULT_MODEL_RATES, type ModelRates } from '../api/rates.ts';
import { formatDuration, parseDuration } from '../kube/duration.ts';
import type { Severity } from '../validate/diagnostic.ts';

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
  /** Lowest polling interval, in seconds (written as a Go duration in the file). */
  readonly minPollIntervalSeconds: number;
}

/** Values the rules accept. */
export interface PolicyAllowlists {
  /** Models allowed per agent type; an agent type without an entry may use any model. */
  readonly models: Readonly<Record<string, readonly string[]>>;
  /** Allowed `effort` values; empty allows any. */
  readonly efforts: readonly string[];
  /** Registries (prefixes such as `ghcr.io/kelos-dev`) custom images must come from. */
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
}

/**
 * The built-in defaults. `kelos.policy.yaml` at the repository root documents the same values;
 * a test holds the two together.
 */
export const DEFAULT_POLICY_CONFIG: PolicyConfig = {
  rules: {},
  thresholds: { maxConcurrency: 10, maxActiveDeadlineSeconds: 14_400, minPollIntervalSeconds: 60 },
  allowlists: {
    models: {
      'claude-code': [
        'claude-opus-4-1',
        'claude-opus-4-5',
        'claude-sonnet-4-5',
        'claude-haiku-4-5',
        'opus',
        'sonnet',
        'haiku',
      ],
      codex: ['gpt-5', 'gpt-5-codex', 'gpt-5-mini'],
      gemini: ['gemini-2.5-pro', 'gemini-2.5-flash'],
    },
    efforts: ['minimal', 'low', 'medium', 'high'],
    imageRegistries: ['ghcr.io/kelos-dev'],
    literalSecrets: [],
  },
  botIdentities: [],
  // One definition of the default prices, shared with the operator's run-time estimates.
  rates: DEFAULT_MODEL_RATES,
  synth: 'enforce',
};

/** The configuration file `kelos check` reads from the working directory when it exists. */
export const POLICY_CONFIG_FILE = 'kelos.policy.yaml';

/** A configuration that does not validate; every problem names the file and the key. */
export class PolicyConfigError extends Error {
  override readonly name = 'PolicyConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid policy configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];
const TOP_KEYS = ['rules', 'thresholds', 'allowlists', 'botIdentities', 'rates', 'synth'];
const THRESHOLD_KEYS = ['maxConcurrency', 'maxActiveDeadlineSeconds', 'minPollInterval'];
const ALLOWLIST_KEYS = ['models', 'efforts', 'imageRegistries', 'literalSecrets'];

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));

/**
 * Validates a parsed configuration document and merges it over the defaults.
 *
 * @param raw The parsed YAML (the whole file, or the `policy:` section of `cdk8s.yaml`).
 * @param file Name used in messages, e.g. `kelos.policy.yaml` or `cdk8s.yaml#policy`.
 * @param knownRules Rule ids that `rules:` may name.
 * @throws PolicyConfigError listing every problem found.
 */
export function parsePolicyConfig(raw: unknown, file: string, knownRules: readonly string[]): PolicyConfig {
  const problems: string[] = [];
  const bad = (key: string, expected: string, got: unknown) =>
    problems.push(`${file}: ${key}: expected ${expected}, got ${show(got)}`);
  if (raw === null || raw === undefined) return { ...DEFAULT_POLICY_CONFIG, file };
  if (!isRecord(raw)) {
    problems.push(`${file}: expected a mapping with keys ${TOP_KEYS.join(', ')}, got ${show(raw)}`);
    throw new PolicyConfigError(problems);
  }
  for (const key of Object.keys(raw)) {
    if (!TOP_KEYS.includes(key))
      problems.push(`${file}: ${key}: unknown key; expected one of ${TOP_KEYS.join(', ')}`);
  }

  const stringList = (key: string, v: unknown): string[] | undefined => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s.length === 0)) {
      bad(key, 'a list of non-empty strings', v);
      return undefined;
    }
    return v as string[];
  };

  const rules: Record<string, RuleSettings> = {};
  if (raw['rules'] !== undefined) {
    if (!isRecord(raw['rules'])) bad('rules', 'a mapping from rule id to settings', raw['rules']);
    else {
      for (const [id, value] of Object.entries(raw['rules'])) {
        const key = `rules.${id}`;
        if (!knownRules.includes(id)) {
          problems.push(`${file}: ${key}: unknown rule id; run kelos check --list-rules for the ids`);
          continue;
        }
        if (value === 'off' || value === false) rules[id] = { enabled: false };
        else if (value === 'on' || value === true) rules[id] = { enabled: true };
        else if (typeof value === 'string' && (SEVERITIES as string[]).includes(value)) {
          rules[id] = { enabled: true, severity: value as Severity };
        } else if (isRecord(value)) {
          const settings: { enabled?: boolean; severity?: Severity } = {};
          for (const k of Object.keys(value)) {
            if (k !== 'enabled' && k !== 'severity')
              problems.push(`${file}: ${key}.${k}: unknown key; expected enabled or severity`);
          }
          if (value['enabled'] !== undefined) {
            if (typeof value['enabled'] === 'boolean') settings.enabled = value['enabled'];
            else bad(`${key}.enabled`, 'true or false', value['enabled']);
          }
          if (value['severity'] !== undefined) {
            if ((SEVERITIES as unknown[]).includes(value['severity']))
              settings.severity = value['severity'] as Severity;
            else bad(`${key}.severity`, 'error, warning or info', value['severity']);
          }
          rules[id] = settings;
        } else bad(key, 'off, on, error, warning, info, or {enabled, severity}', value);
      }
    }
  }

  const thresholds = { ...DEFAULT_POLICY_CONFIG.thresholds };
  const t = raw['thresholds'];
  if (t !== undefined) {
    if (!isRecord(t)) bad('thresholds', 'a mapping', t);
    else {
      for (const k of Object.keys(t)) {
        if (!THRESHOLD_KEYS.includes(k))
          problems.push(
            `${file}: thresholds.${k}: unknown key; expected one of ${THRESHOLD_KEYS.join(', ')}`,
          );
      }
      const positiveInt = (k: 'maxConcurrency' | 'maxActiveDeadlineSeconds') => {
        const v = t[k];
        if (v === undefined) return;
        if (typeof v === 'number' && Number.isInteger(v) && v > 0) thresholds[k] = v;
        else bad(`thresholds.${k}`, 'a positive integer', v);
      };
      positiveInt('maxConcurrency');
      positiveInt('maxActiveDeadlineSeconds');
      const poll = t['minPollInterval'];
      if (poll !== undefined) {
        const seconds =
          typeof poll === 'number' ? poll : typeof poll === 'string' ? parseDuration(poll) : undefined;
        if (seconds === undefined || seconds < 0)
          bad('thresholds.minPollInterval', 'a duration such as 1m or 30s', poll);
        else thresholds.minPollIntervalSeconds = seconds;
      }
    }
  }

  const defaults = DEFAULT_POLICY_CONFIG.allowlists;
  let models: Record<string, readonly string[]> = { ...defaults.models };
  let efforts = defaults.efforts;
  let imageRegistries = defaults.imageRegistries;
  let literalSecrets = defaults.literalSecrets;
  const a = raw['allowlists'];
  if (a !== undefined) {
    if (!isRecord(a)) bad('allowlists', 'a mapping', a);
    else {
      for (const k of Object.keys(a)) {
        if (!ALLOWLIST_KEYS.includes(k))
          problems.push(
            `${file}: allowlists.${k}: unknown key; expected one of ${ALLOWLIST_KEYS.join(', ')}`,
          );
      }
      if (a['models'] !== undefined) {
        if (!isRecord(a['models']))
          bad('allowlists.models', 'a mapping from agent type to a list of models', a['models']);
        else {
          // The file's models replace the defaults per agent type it names.
          models = { ...models };
          for (const [agent, list] of Object.entries(a['models'])) {
            const parsed = stringList(`allowlists.models.${agent}`, list);
            if (parsed) models[agent] = parsed;
          }
        }
      }
      efforts = stringList('allowlists.efforts', a['efforts']) ?? efforts;
      imageRegistries = stringList('allowlists.imageRegistries', a['imageRegistries']) ?? imageRegistries;
      literalSecrets = stringList('allowlists.literalSecrets', a['literalSecrets']) ?? literalSecrets;
    }
  }

  const botIdentities =
    stringList('botIdentities', raw['botIdentities']) ?? DEFAULT_POLICY_CONFIG.botIdentities;

  const rates: Record<string, Readonly<Record<string, number>>> = { ...DEFAULT_POLICY_CONFIG.rates };
  const r = raw['rates'];
  if (r !== undefined) {
    if (!isRecord(r)) bad('rates', 'a mapping from agent type to {model: USD per hour}', r);
    else {
      for (const [agent, perModel] of Object.entries(r)) {
        if (!isRecord(perModel)) {
          bad(`rates.${agent}`, 'a mapping from model (or default) to USD per hour', perModel);
          continue;
        }
        const merged: Record<string, number> = { ...rates[agent] };
        for (const [model, rate] of Object.entries(perModel)) {
          if (typeof rate === 'number' && Number.isFinite(rate) && rate >= 0) merged[model] = rate;
          else bad(`rates.${agent}.${model}`, 'a non-negative number of USD per hour', rate);
        }
        rates[agent] = merged;
      }
    }
  }

  let synth = DEFAULT_POLICY_CONFIG.synth;
  if (raw['synth'] !== undefined) {
    if (raw['synth'] === 'enforce' || raw['synth'] === 'report') synth = raw['synth'];
    else bad('synth', 'enforce or report', raw['synth']);
  }

  if (problems.length > 0) throw new PolicyConfigError(problems);
  return {
    file,
    rules,
    thresholds,
    allowlists: { models, efforts, imageRegistries, literalSecrets },
    botIdentities,
    rates,
    synth,
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
    rates: config.rates,
    synth: config.synth,
  };
}
