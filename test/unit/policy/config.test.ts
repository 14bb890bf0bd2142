import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { BUILTIN_RULES } from '../../../policies/index.ts';
import { scaffoldFiles } from '../../../src/cli/scaffold/templates.ts';
import { DEFAULT_POLICY_CONFIG, PolicyConfigError, parsePolicyConfig } from '../../../src/policy/config.ts';
import { loadPolicyConfig } from '../../../src/policy/load-config.ts';
import { ROOT } from './fixtures.ts';

const IDS = BUILTIN_RULES.map((r) => r.id);

const problemsOf = (raw: unknown, file = 'kelos.policy.yaml'): readonly string[] => {
  try {
    parsePolicyConfig(raw, file, IDS);
  } catch (err) {
    if (err instanceof PolicyConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('policy config', () => {
  test('the documented kelos.policy.yaml at the repository root is the built-in default', () => {
    const raw = parse(readFileSync(resolve(ROOT, 'kelos.policy.yaml'), 'utf8'));
    const { file: _file, ...parsed } = parsePolicyConfig(raw, 'kelos.policy.yaml', IDS);
    expect(parsed).toStrictEqual(DEFAULT_POLICY_CONFIG);
  });

  test('minPollInterval takes a Go duration or a bare number of seconds, and both policy files it is documented in say so', () => {
    const seconds = (v: unknown) =>
      parsePolicyConfig({ thresholds: { minPollInterval: v } }, 'kelos.policy.yaml', IDS).thresholds
        .minPollIntervalSeconds;
    expect([seconds('1m30s'), seconds(90)]).toStrictEqual([90, 90]);
    const scaffold = scaffoldFiles({
      name: 'r',
      kelosVersion: '0.2.0',
      repoURL: 'https://example.com/r.git',
    });
    for (const [file, text] of [
      ['kelos.policy.yaml', readFileSync(resolve(ROOT, 'kelos.policy.yaml'), 'utf8')],
      ['kelos new: kelos.policy.yaml', scaffold.get('kelos.policy.yaml') ?? ''],
    ] as const) {
      // The comment right above the key.
      const comment = /((?:^ *#.*\n)+) *minPollInterval:/m.exec(text)?.[1]?.replace(/\s*#\s*/g, ' ') ?? '';
      expect(comment, file).toContain('a Go duration (30s, 1m, 1h30m) or a bare number of seconds (60)');
    }
  });

  test('values merge over the defaults: thresholds per key, model lists per agent type, rates per model', () => {
    const config = parsePolicyConfig(
      {
        rules: { 'hygiene/ttl-seconds-after-finished': 'off', 'budget/spawner-max-total-tasks': 'error' },
        thresholds: { maxConcurrency: 4, minPollInterval: '2m30s' },
        allowlists: { models: { codex: ['gpt-5'] }, efforts: [] },
        botIdentities: ['kelos-bot'],
        rates: { codex: { 'gpt-5': 5.5 } },
      },
      'kelos.policy.yaml',
      IDS,
    );
    expect(config.rules).toStrictEqual({
      'hygiene/ttl-seconds-after-finished': { enabled: false },
      'budget/spawner-max-total-tasks': { enabled: true, severity: 'error' },
    });
    expect(config.thresholds).toStrictEqual({
      maxConcurrency: 4,
      maxActiveDeadlineSeconds: 14_400,
      minPollIntervalSeconds: 150,
    });
    expect(config.allowlists.models['codex']).toStrictEqual(['gpt-5']);
    expect(config.allowlists.models['claude-code']).toStrictEqual(
      DEFAULT_POLICY_CONFIG.allowlists.models['claude-code'],
    );
    expect(config.allowlists.efforts).toStrictEqual([]);
    expect(config.rates['codex']).toStrictEqual({ default: 4, 'gpt-5': 5.5 });
    expect(config.botIdentities).toStrictEqual(['kelos-bot']);
  });

  test('every problem is reported at once, naming the file and the key, in the order the file writes the keys', () => {
    expect(
      problemsOf({
        rule: {},
        rules: { 'budget/no-such-rule': 'off', 'budget/active-deadline': { severity: 'fatal', when: 1 } },
        thresholds: { maxConcurrency: 'ten', minPollInterval: 'soon', maxDeadline: 1 },
        allowlists: { efforts: [1], models: { codex: 'gpt-5' } },
        botIdentities: 'kelos-bot',
        externalSecrets: ['github-token', 'team-a/claude.key', 'GitHub-Token'],
        externalNamespaces: ['team-a', 'Team-A', 'team-*'],
        rates: { codex: { default: -1 }, gemini: 3 },
      }),
    ).toStrictEqual([
      'kelos.policy.yaml: rule: unknown key; did you mean rules? expected one of rules, thresholds, allowlists, botIdentities, externalSecrets, externalNamespaces, rates, synth',
      'kelos.policy.yaml: rules.budget/no-such-rule: unknown rule id (kelos check --list-rules lists them)',
      'kelos.policy.yaml: rules.budget/active-deadline.severity: expected error, warning or info, got "fatal"',
      'kelos.policy.yaml: rules.budget/active-deadline.when: unknown key; expected enabled or severity',
      'kelos.policy.yaml: thresholds.maxConcurrency: expected a positive integer up to 2147483647 (a TaskSpawner maxConcurrency is an int32), got "ten"',
      'kelos.policy.yaml: thresholds.minPollInterval: expected a duration such as 1m or 30s, got "soon"',
      'kelos.policy.yaml: thresholds.maxDeadline: unknown key; expected one of maxConcurrency, maxActiveDeadlineSeconds, minPollInterval',
      'kelos.policy.yaml: allowlists.efforts: expected a list of non-empty strings, got [1]',
      'kelos.policy.yaml: allowlists.models.codex: expected a list of non-empty strings, got "gpt-5"',
      'kelos.policy.yaml: botIdentities: expected a list of non-empty strings, got "kelos-bot"',
      'kelos.policy.yaml: externalSecrets: expected a list of Secret names or namespace/name pairs (a name: lowercase letters, digits, "-" and ".", at most 253 characters; a namespace: lowercase letters, digits and "-", at most 63), got ["github-token","team-a/claude.key","GitHub-Token"]',
      'kelos.policy.yaml: externalNamespaces: expected a list of namespace names (DNS-1123 labels: lowercase letters, digits and "-", at most 63 characters; no patterns), got ["team-a","Team-A","team-*"]',
      'kelos.policy.yaml: rates.codex.default: expected a non-negative number of USD per hour, got -1',
      'kelos.policy.yaml: rates.gemini: expected a mapping from model (or default) to USD per hour, got 3',
    ]);
  });

  test('rates: an agent type the API does not run, and a model key that is a near miss of default, are errors', () => {
    expect(
      problemsOf({
        rates: {
          'claude-cod': { default: 100 },
          'claude-code': { defualt: 100, Default: 1, opus: 15 },
          codex: { defaults: 2, 'gpt-5': 5 },
          custom: { default: 1 },
        },
      }),
    ).toStrictEqual([
      'kelos.policy.yaml: rates.claude-cod: unknown agent type (claude-code, codex, gemini, opencode, cursor); did you mean claude-code?',
      'kelos.policy.yaml: rates.claude-code.defualt: unknown model key, a near miss of default (the rate of models not listed); did you mean default?',
      'kelos.policy.yaml: rates.claude-code.Default: unknown model key, a near miss of default (the rate of models not listed); did you mean default?',
      'kelos.policy.yaml: rates.codex.defaults: unknown model key, a near miss of default (the rate of models not listed); did you mean default?',
      'kelos.policy.yaml: rates.custom: unknown agent type (claude-code, codex, gemini, opencode, cursor)',
    ]);
    // A model the agent type's allowlist names is priced as that model, however it is spelt.
    expect(
      problemsOf({ allowlists: { models: { codex: ['defaulter'] } }, rates: { codex: { defaulter: 1 } } }),
    ).toStrictEqual([]);
  });

  test('allowlists.models: an agent type the API does not run is an error, not a list that allows nothing', () => {
    expect(
      problemsOf({
        allowlists: { models: { 'claude-cod': ['claude-opus-4-1'], gemini: ['gemini-2.5-pro'] } },
      }),
    ).toStrictEqual([
      'kelos.policy.yaml: allowlists.models.claude-cod: unknown agent type (claude-code, codex, gemini, opencode, cursor); did you mean claude-code?',
    ]);
  });

  test('an integer threshold beyond what its field holds is refused, naming the field; the largest one passes', () => {
    expect(
      problemsOf({
        thresholds: { maxConcurrency: 1e20, maxActiveDeadlineSeconds: 2 ** 53 },
      }),
    ).toStrictEqual([
      'kelos.policy.yaml: thresholds.maxConcurrency: expected a positive integer up to 2147483647 (a TaskSpawner maxConcurrency is an int32), got 100000000000000000000',
      'kelos.policy.yaml: thresholds.maxActiveDeadlineSeconds: expected a positive integer up to 9007199254740991 (the largest integer a number holds exactly), got 9007199254740992',
    ]);
    expect(
      problemsOf({
        thresholds: { maxConcurrency: 2_147_483_647, maxActiveDeadlineSeconds: Number.MAX_SAFE_INTEGER },
      }),
    ).toStrictEqual([]);
    // YAML's infinities and not-a-number are shown as written, not as JSON's null.
    expect(
      problemsOf({
        thresholds: { maxConcurrency: Number.POSITIVE_INFINITY },
        rates: { codex: { default: Number.NaN } },
      }),
    ).toStrictEqual([
      'kelos.policy.yaml: thresholds.maxConcurrency: expected a positive integer up to 2147483647 (a TaskSpawner maxConcurrency is an int32), got .inf',
      'kelos.policy.yaml: rates.codex.default: expected a non-negative number of USD per hour, got .nan',
    ]);
  });

  test('a file that is not a mapping, and rule entries and durations of the wrong kind', () => {
    expect(problemsOf([1])).toStrictEqual([
      'kelos.policy.yaml: expected a mapping with keys rules, thresholds, allowlists, botIdentities, externalSecrets, externalNamespaces, rates, synth, got [1]',
    ]);
    expect(
      problemsOf({
        rules: { 'budget/active-deadline': 'fatal', 'budget/model-allowlist': { enabled: 'yes' } },
        thresholds: { minPollInterval: '-5m' },
        synth: 'sometimes',
      }),
    ).toStrictEqual([
      'kelos.policy.yaml: rules.budget/active-deadline: expected off, on, error, warning, info, or {enabled, severity}, got "fatal"',
      'kelos.policy.yaml: rules.budget/model-allowlist.enabled: expected true or false, got "yes"',
      'kelos.policy.yaml: thresholds.minPollInterval: expected a duration such as 1m or 30s, got "-5m"',
      'kelos.policy.yaml: synth: expected enforce or report, got "sometimes"',
    ]);
  });

  test('the error message lists the problems under one heading', () => {
    expect(() => parsePolicyConfig({ thresholds: 3 }, 'x.yaml', IDS)).toThrow(
      'invalid policy configuration:\n  x.yaml: thresholds: expected a mapping, got 3',
    );
  });

  describe('lookup', () => {
    const project = (files: Record<string, string>) => {
      const dir = mkdtempSync(join(tmpdir(), 'kelos-policy-'));
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      return dir;
    };

    test('kelos.policy.yaml beside a policy section of cdk8s.yaml is an error naming both, unless --config names one', async () => {
      const dir = project({
        'kelos.policy.yaml': 'thresholds: {maxConcurrency: 2}\n',
        'cdk8s.yaml': 'app: node main.ts\npolicy:\n  thresholds: {maxConcurrency: 3}\n',
      });
      await expect(loadPolicyConfig(dir, IDS)).rejects.toThrow(
        'two policy configurations:\n  cdk8s.yaml:2:1: policy: a policy section beside kelos.policy.yaml, which kelos reads instead; move its keys into kelos.policy.yaml and remove the section (kelos check and kelos validate can instead name one file with --config; kelos synth cannot)',
      );
      expect((await loadPolicyConfig(dir, IDS, 'kelos.policy.yaml')).thresholds.maxConcurrency).toBe(2);
      // Without a section, a cdk8s.yaml that does not parse is synth's to report, not the policy's.
      const broken = project({
        'kelos.policy.yaml': 'thresholds: {maxConcurrency: 2}\n',
        'cdk8s.yaml': 'app: [node main.ts\n',
      });
      expect((await loadPolicyConfig(broken, IDS)).thresholds.maxConcurrency).toBe(2);
    });

    test('the policy section of cdk8s.yaml is read when there is no kelos.policy.yaml, and named in errors', async () => {
      const dir = project({
        'cdk8s.yaml': 'app: node main.ts\npolicy:\n  thresholds: {maxConcurrency: 3}\n',
      });
      expect((await loadPolicyConfig(dir, IDS)).thresholds.maxConcurrency).toBe(3);
      const bad = project({
        'cdk8s.yaml': 'app: node main.ts\npolicy:\n  thresholds: {maxConcurrency: 0}\n',
      });
      await expect(loadPolicyConfig(bad, IDS)).rejects.toThrow(
        'cdk8s.yaml:3:16: policy.thresholds.maxConcurrency: expected a positive integer up to 2147483647 (a TaskSpawner maxConcurrency is an int32), got 0',
      );
    });

    test('a problem in a policy file names its line and column, at the key', async () => {
      const dir = project({
        'kelos.policy.yaml': 'thresholds:\n  maxConcurency: 3\nrules:\n  budget/nope: off\nsynth: maybe\n',
      });
      const problems = await loadPolicyConfig(dir, IDS).then(
        () => [],
        (e: PolicyConfigError) => e.problems,
      );
      expect(problems).toStrictEqual([
        'kelos.policy.yaml:2:3: thresholds.maxConcurency: unknown key; did you mean maxConcurrency? expected one of maxConcurrency, maxActiveDeadlineSeconds, minPollInterval',
        'kelos.policy.yaml:4:3: rules.budget/nope: unknown rule id (kelos check --list-rules lists them)',
        'kelos.policy.yaml:5:1: synth: expected enforce or report, got "maybe"',
      ]);
    });

    test('problems are listed by line and column, not in the order the schema checks the keys', async () => {
      const problems = (text: string) =>
        loadPolicyConfig(project({ 'kelos.policy.yaml': text }), IDS).then(
          () => [],
          (e: PolicyConfigError) => e.problems.map((p) => p.split(': ')[0]),
        );
      expect(
        await problems('synth: maybe\nthresholds: {maxConcurrency: 0}\nrules: {budget/nope: off}\n'),
      ).toStrictEqual(['kelos.policy.yaml:1:1', 'kelos.policy.yaml:2:14', 'kelos.policy.yaml:3:9']);
      expect(
        await problems(
          'allowlists:\n  efforts: [1]\n  models: {codex: x}\nrates: {codex: {defualt: 1}, foo: {}}\n',
        ),
      ).toStrictEqual([
        'kelos.policy.yaml:2:3',
        'kelos.policy.yaml:3:12',
        'kelos.policy.yaml:4:17',
        'kelos.policy.yaml:4:30',
      ]);
    });

    test('no file means the defaults; an explicit --config must exist and parse', async () => {
      const dir = project({});
      expect(await loadPolicyConfig(dir, IDS)).toBe(DEFAULT_POLICY_CONFIG);
      await expect(loadPolicyConfig(dir, IDS, 'missing.yaml')).rejects.toThrow(
        'cannot read the policy configuration:\n  missing.yaml: no such file',
      );
      const broken = project({ 'p.yaml': 'rules: [\n' });
      await expect(loadPolicyConfig(broken, IDS, 'p.yaml')).rejects.toThrow(
        'p.yaml:1:8: not valid YAML: the [ that opens here is not closed',
      );
    });
  });
});
