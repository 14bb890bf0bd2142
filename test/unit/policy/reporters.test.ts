import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import { describe, expect, test } from 'vitest';
import { BUILTIN_RULES } from '../../../policies/index.ts';
import { packageHome } from '../../../src/api/version.ts';
import { type PolicyReport, runPolicies } from '../../../src/policy/engine.ts';
import { formatReport, REPORT_FORMATS } from '../../../src/policy/reporters/index.ts';
import { formatDiagnosticBlock } from '../../../src/validate/diagnostic.ts';
import { parseManifests } from '../../../src/validate/load.ts';
import { loadFixture, ROOT, TEST_CONFIG } from './fixtures.ts';

/** The colour codes the text report paints with. */
const PAINT = new RegExp(`${String.fromCharCode(27)}\\[(?:1|2|22|31|33|36|39)m`, 'g');

const only = (...ids: string[]) => BUILTIN_RULES.filter((r) => ids.includes(r.id));

// A small report: two findings on one Task (one error, one warning) and one suppression.
const SMALL = `apiVersion: kelos.dev/v1alpha2
kind: Task
metadata:
  name: fix-login
  namespace: team-a
spec:
  prompt: Fix the login page.
  worker:
    type: claude-code
    credentials: { type: api-key, secretRef: { name: anthropic } }
---
apiVersion: kelos.dev/v1alpha2
kind: Task
metadata:
  name: debug
  namespace: team-a
  annotations:
    policy.kelos.dev/ignore: budget/active-deadline
    policy.kelos.dev/ignore-reason: "interactive debugging, deleted by hand"
spec:
  prompt: Debug.
  worker:
    type: claude-code
    credentials: { type: api-key, secretRef: { name: anthropic } }
  ttlSecondsAfterFinished: 60
`;
const CWD = '/repo';
const small: PolicyReport = runPolicies(parseManifests(SMALL, '/repo/apps/tasks.yaml').documents, {
  config: TEST_CONFIG,
  rules: only('budget/active-deadline', 'hygiene/ttl-seconds-after-finished'),
});

/** A report from every fixture that fails, so every rule shows up. */
const big = (): PolicyReport =>
  runPolicies(
    BUILTIN_RULES.flatMap((r) => loadFixture(`${r.id.replace('/', '-')}/fail.yaml`)),
    { config: TEST_CONFIG, rules: BUILTIN_RULES },
  );

// A CommonJS module: Node's ESM loader hands over module.exports, vite the default export.
const Ajv =
  (AjvDraft04 as unknown as { default?: typeof AjvDraft04.default }).default ??
  (AjvDraft04 as unknown as typeof AjvDraft04.default);

describe('reporters', () => {
  test('text and github: a control character in a name or key is printed as an escape, so no line is forged', () => {
    const hostile = `apiVersion: kelos.dev/v1alpha2
kind: Task
metadata:
  name: "t\\e[31mred\\n::error file=x::forged"
spec:
  prompt: p
  worker:
    type: codex
    credentials: { type: api-key, secretRef: { name: k } }
`;
    const report = runPolicies(parseManifests(hostile, '/repo/t.yaml').documents, {
      config: TEST_CONFIG,
      rules: only('budget/active-deadline'),
    });
    for (const format of ['text', 'github', 'text-color'] as const) {
      const out =
        format === 'text-color'
          ? formatReport(report, 'text', { cwd: CWD, color: true })
          : formatReport(report, format, { cwd: CWD });
      expect(out.split('\n').filter((l) => l.startsWith('::error file=x'))).toStrictEqual([]);
      expect(out).toContain('t\\u001b[31mred');
      // Only the colours the report paints itself go out as escape sequences.
      const rest = out.replaceAll(PAINT, '');
      expect(
        [...rest].filter((c) => c !== '\n' && (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)),
      ).toStrictEqual([]);
    }
  });

  test('validate and synth lines: a control character in a name, key, file or hint is printed as an escape', () => {
    const block = formatDiagnosticBlock({
      severity: 'error',
      code: 'schema/unknown-field',
      message: 'unknown field',
      path: '/spec/a\nb',
      resource: { apiVersion: 'kelos.dev/v1alpha2', kind: 'Task', name: 'x\n::error::forged' },
      source: {
        file: 'a\u001b[2J.yaml',
        line: 1,
        constructPath: 'app/\u0007',
        rendered: { file: 'dist/\r.yaml' },
      },
      hint: 'h\u009b',
    });
    expect(block).toBe(
      [
        'a\\u001b[2J.yaml:1: error Task x\\u000a::error::forged /spec/a\\u000ab: unknown field [schema/unknown-field]',
        '    at construct app/\\u0007',
        '    rendered at dist/\\u000d.yaml',
        '    hint: h\\u009b',
      ].join('\n'),
    );
  });

  test('text: grouped by resource, with location and hint, suppressions and a summary; no colour unless asked', () => {
    expect(formatReport(small, 'text', { cwd: CWD })).toBe(
      [
        'Task team-a/fix-login',
        '  warning /spec/ttlSecondsAfterFinished: ttlSecondsAfterFinished is not set, so finished Tasks and their Pods stay until someone deletes them [hygiene/ttl-seconds-after-finished]',
        '          at apps/tasks.yaml:6:1',
        '          hint: Set ttlSecondsAfterFinished (for example 86400 to keep a day of history); a Task synced from Git by Argo CD sets none and is annotated kelos.dev/lifecycle: git instead.',
        '  error   /spec/worker/podOverrides/activeDeadlineSeconds: activeDeadlineSeconds is not set, so a run may last forever; set podOverrides.activeDeadlineSeconds at or under 14400 [budget/active-deadline]',
        '          at apps/tasks.yaml:8:3',
        '          hint: Set podOverrides.activeDeadlineSeconds (under worker, or under spec in the flat form); thresholds.maxActiveDeadlineSeconds is the ceiling.',
        '',
        'Suppressed (1)',
        '  Task team-a/debug budget/active-deadline: interactive debugging, deleted by hand',
        '          /spec/worker/podOverrides/activeDeadlineSeconds: activeDeadlineSeconds is not set, so a run may last forever; set podOverrides.activeDeadlineSeconds at or under 14400 at apps/tasks.yaml:22:3',
        '',
        '1 error, 1 warning, 0 info in 2 objects (2 rules); 1 suppressed',
        '',
      ].join('\n'),
    );
    const coloured = formatReport(small, 'text', { cwd: CWD, color: true });
    expect(coloured).toContain('\u001b[31merror  \u001b[39m');
    expect(coloured).toContain('\u001b[33mwarning\u001b[39m');
  });

  test('github: one workflow command per diagnostic with file, line, column and the rule as title', () => {
    expect(formatReport(small, 'github', { cwd: CWD })).toBe(
      [
        '::warning file=apps/tasks.yaml,line=6,col=1,title=hygiene/ttl-seconds-after-finished::Task team-a/fix-login /spec/ttlSecondsAfterFinished: ttlSecondsAfterFinished is not set, so finished Tasks and their Pods stay until someone deletes them (hint: Set ttlSecondsAfterFinished (for example 86400 to keep a day of history); a Task synced from Git by Argo CD sets none and is annotated kelos.dev/lifecycle: git instead.)',
        '::error file=apps/tasks.yaml,line=8,col=3,title=budget/active-deadline::Task team-a/fix-login /spec/worker/podOverrides/activeDeadlineSeconds: activeDeadlineSeconds is not set, so a run may last forever; set podOverrides.activeDeadlineSeconds at or under 14400 (hint: Set podOverrides.activeDeadlineSeconds (under worker, or under spec in the flat form); thresholds.maxActiveDeadlineSeconds is the ceiling.)',
        '1 error, 1 warning, 0 info in 2 objects (2 rules); 1 suppressed',
        '',
      ].join('\n'),
    );
  });

  test('github: messages and properties are escaped', async () => {
    const { escapeData, escapeProperty } = await import('../../../src/policy/reporters/github.ts');
    expect(escapeData('50% done\nnext')).toBe('50%25 done%0Anext');
    expect(escapeProperty('a:b,c')).toBe('a%3Ab%2Cc');
  });

  test('junit: a suite per rule, a failure per error, warnings fail only with --strict, suppressions skipped', () => {
    const xml = formatReport(small, 'junit', { cwd: CWD });
    expect(xml).toContain('<testsuites name="kelos check" tests="3" failures="1" errors="0">');
    expect(xml).toContain(
      '<testsuite name="budget/active-deadline" tests="2" failures="1" errors="0" skipped="1">',
    );
    expect(xml).toContain(
      '<testcase classname="budget/active-deadline" name="Task team-a/fix-login /spec/worker/podOverrides/activeDeadlineSeconds" file="apps/tasks.yaml" line="8">',
    );
    expect(xml).toContain('<skipped message="suppressed: interactive debugging, deleted by hand"/>');
    expect(xml).toContain('<system-out>warning: apps/tasks.yaml:6:1: ttlSecondsAfterFinished');
    const strict = formatReport(small, 'junit', { cwd: CWD, strict: true });
    expect(strict).toContain('<testsuites name="kelos check" tests="3" failures="2" errors="0">');
    expect(strict).toContain('<failure type="warning" message="ttlSecondsAfterFinished is not set');
  });

  test('junit: a rule nothing violated is a passing case (skipped when no object was read), and XML special characters are escaped', async () => {
    const { escapeXml } = await import('../../../src/policy/reporters/junit.ts');
    const task = parseManifests(
      'apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata: {name: t}\nspec:\n  prompt: p\n  worker:\n    type: codex\n    credentials: {type: none}\n    podOverrides: {activeDeadlineSeconds: 600}\n',
      '/repo/t.yaml',
    ).documents;
    const clean = runPolicies(task, { config: TEST_CONFIG, rules: only('budget/active-deadline') });
    expect(formatReport(clean, 'junit', { cwd: CWD })).toContain(
      '<testcase classname="budget/active-deadline" name="all objects comply"/>',
    );
    // Nothing read (a file that did not parse): the rule checked nothing, and says so.
    const none = runPolicies([], { config: TEST_CONFIG, rules: only('budget/active-deadline') });
    expect(formatReport(none, 'junit', { cwd: CWD })).toContain(
      '<testsuite name="budget/active-deadline" tests="1" failures="0" errors="0" skipped="1">\n    <testcase classname="budget/active-deadline" name="no objects">\n      <skipped message="no object was read, so nothing was checked"/>',
    );
    expect(escapeXml(`a<b>&"c"'\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;\\u0001');
  });

  test('json: the report with counts, paths relative to the working directory', () => {
    const json = JSON.parse(formatReport(small, 'json', { cwd: CWD }));
    expect(json.version).toBe(1);
    expect(json.summary).toStrictEqual({
      errors: 1,
      warnings: 1,
      info: 0,
      suppressed: 1,
      objects: 2,
      rules: 2,
    });
    expect(json.diagnostics[1].source).toStrictEqual({ file: 'apps/tasks.yaml', line: 8, column: 3 });
    expect(json.suppressions[0].reason).toBe('interactive debugging, deleted by hand');
    expect(json.rules.map((r: { id: string }) => r.id)).toStrictEqual([
      'budget/active-deadline',
      'hygiene/ttl-seconds-after-finished',
    ]);
  });

  describe('sarif', () => {
    // The official SARIF 2.1.0 schema, as shipped in @microsoft/jest-sarif (a draft-04 schema).
    const schema = JSON.parse(
      readFileSync(
        resolve(ROOT, 'node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'),
        'utf8',
      ),
    );
    const validate = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false }).compile(schema);

    test('the schema check is real: it rejects a log with a wrong version', () => {
      expect(validate({ version: '2.0.0', runs: [] })).toBe(false);
    });

    test('a report of every rule validates against the SARIF 2.1.0 schema', () => {
      const log = JSON.parse(formatReport(big(), 'sarif', { cwd: ROOT, toolVersion: '0.1.0' }));
      const ok = validate(log);
      expect(validate.errors ?? []).toStrictEqual([]);
      expect(ok).toBe(true);
      expect(log.runs[0].results.length).toBeGreaterThan(30);
      expect(log.runs[0].tool.driver.rules.map((r: { id: string }) => r.id)).toStrictEqual(
        BUILTIN_RULES.map((r) => r.id),
      );
    });

    test("the tool links to this package's page, as package.json gives it, not to upstream's Go project", () => {
      const log = JSON.parse(formatReport(small, 'sarif', { cwd: CWD }));
      const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8'));
      expect(log.runs[0].tool.driver.informationUri).toBe(packageHome(pkg));
      expect(log.runs[0].tool.driver.informationUri).not.toContain('kelos-dev/kelos');
      const home = (extra: object) => packageHome({ name: 'kelos-ts', version: '1.0.0', ...extra });
      expect([
        home({}),
        home({ repository: { type: 'git', url: 'git+https://github.com/o/kelos-ts.git' } }),
        home({ repository: 'https://gitlab.example/o/kelos-ts' }),
        home({ repository: 'github:o/kelos-ts' }),
        home({ homepage: 'https://kelos.example', repository: 'https://github.com/o/kelos-ts' }),
      ]).toStrictEqual([
        'https://www.npmjs.com/package/kelos-ts',
        'https://github.com/o/kelos-ts',
        'https://gitlab.example/o/kelos-ts',
        'https://www.npmjs.com/package/kelos-ts',
        'https://kelos.example',
      ]);
    });

    test('results carry file:line regions, rule indices, levels, and in-source suppressions with reasons', () => {
      const log = JSON.parse(formatReport(small, 'sarif', { cwd: CWD }));
      expect(validate(log)).toBe(true);
      const [run] = log.runs;
      expect(run.results[0].level).toBe('warning');
      expect(run.results[1]).toStrictEqual({
        ruleId: 'budget/active-deadline',
        ruleIndex: 0,
        level: 'error',
        message: {
          text: 'Task team-a/fix-login /spec/worker/podOverrides/activeDeadlineSeconds: activeDeadlineSeconds is not set, so a run may last forever; set podOverrides.activeDeadlineSeconds at or under 14400',
        },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: 'apps/tasks.yaml', uriBaseId: '%SRCROOT%' },
              region: { startLine: 8, startColumn: 3 },
            },
            logicalLocations: [
              {
                fullyQualifiedName: 'Task team-a/fix-login/spec/worker/podOverrides/activeDeadlineSeconds',
                kind: 'resource',
              },
            ],
          },
        ],
        partialFingerprints: { 'kelosFinding/v1': expect.stringMatching(/^[0-9a-f]{64}$/) },
      });
      expect(run.results[2].suppressions).toStrictEqual([
        { kind: 'inSource', justification: 'interactive debugging, deleted by hand' },
      ]);
      expect(run.originalUriBaseIds).toStrictEqual({ '%SRCROOT%': { uri: 'file:///repo/' } });
    });

    test('a file outside the working directory is an absolute file URI; one inside, given absolute, is relative to %SRCROOT%', () => {
      const at = (file: string) =>
        runPolicies(parseManifests(SMALL, file).documents, {
          config: TEST_CONFIG,
          rules: only('budget/active-deadline'),
        });
      const uriOf = (file: string, cwd: string) =>
        JSON.parse(formatReport(at(file), 'sarif', { cwd })).runs[0].results[0].locations[0].physicalLocation
          .artifactLocation;
      expect(uriOf('/repo/sub/../pol.yaml', '/repo/sub')).toStrictEqual({ uri: 'file:///repo/pol.yaml' });
      expect(uriOf('../pol.yaml', '/repo/sub')).toStrictEqual({ uri: 'file:///repo/pol.yaml' });
      expect(uriOf('/repo/sub/a b#1.yaml', '/repo')).toStrictEqual({
        uri: 'sub/a%20b%231.yaml',
        uriBaseId: '%SRCROOT%',
      });
    });
  });

  test('every format renders an empty report', () => {
    const empty = runPolicies([], { config: TEST_CONFIG, rules: BUILTIN_RULES });
    for (const format of REPORT_FORMATS)
      expect(formatReport(empty, format, { cwd: CWD }).length).toBeGreaterThan(0);
  });
});
