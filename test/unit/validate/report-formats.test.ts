import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import AjvDraft04 from 'ajv-draft-04';
import { describe, expect, test } from 'vitest';
import { kelos } from './run-cli.ts';

// A CommonJS module: Node's ESM loader hands over module.exports, vite the default export.
const Ajv =
  (AjvDraft04 as unknown as { default?: typeof AjvDraft04.default }).default ??
  (AjvDraft04 as unknown as typeof AjvDraft04.default);
const validateSarif = new Ajv({
  allErrors: true,
  strict: false,
  unicodeRegExp: false,
  logger: false,
}).compile(
  JSON.parse(
    readFileSync(
      resolve(
        import.meta.dirname,
        '../../../node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json',
      ),
      'utf8',
    ),
  ),
);

/** A directory of `n` files, each a Task with one unknown field. */
const brokenTasks = (n: number): string => {
  const dir = mkdtempSync(join(tmpdir(), 'kelos-validate-formats-'));
  for (let i = 0; i < n; i++)
    writeFileSync(
      join(dir, `task-${String(i).padStart(3, '0')}.yaml`),
      `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata: {name: t${i}, namespace: team}\nspec:\n  prompt: p\n  promtp: typo\n  worker: {type: codex, credentials: {type: none}}\n`,
    );
  return dir;
};

describe('kelos validate report formats', () => {
  test('json lists every finding, past 100 of one code; text lists 100 and counts the rest', async () => {
    const dir = brokenTasks(150);
    const json = await kelos(['validate', '.', '--format', 'json'], { cwd: dir });
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout);
    expect(report.summary.errors).toBe(150);
    const unknown = report.diagnostics.filter((d: { code: string }) => d.code === 'schema/unknown-field');
    expect(unknown).toHaveLength(150);
    expect(unknown.every((d: { message: string }) => !d.message.includes('more schema/unknown-field'))).toBe(
      true,
    );
    const text = await kelos(['validate', '.'], { cwd: dir });
    expect(text.stdout).toContain('and 50 more schema/unknown-field findings');
    expect(text.stdout).toContain('150 errors');
  });

  test("sarif, junit and github carry the schema, CEL and reference findings check does not report, through check's formatters; -o writes the file", async () => {
    const dir = brokenTasks(2);
    // A reference that resolves nowhere: a warning only validate reports.
    writeFileSync(
      join(dir, 'ws.yaml'),
      'apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata: {name: w, namespace: team}\nspec:\n  prompt: p\n  workspaceRef: {name: missing}\n  worker: {type: codex, credentials: {type: none}}\n',
    );
    const sarif = await kelos(['validate', '.', '--format', 'sarif', '-o', 'out/validate.sarif'], {
      cwd: dir,
    });
    expect(sarif.code).toBe(2);
    expect(sarif.stdout).toBe('3 objects, 2 errors, 1 warning\n');
    const log = JSON.parse(readFileSync(join(dir, 'out/validate.sarif'), 'utf8'));
    expect(validateSarif(log)).toBe(true);
    const [run] = log.runs;
    // Its own tool: code scanning keeps one analysis per tool, so it does not replace check's.
    expect(run.tool.driver.name).toBe('kelos validate');
    expect(run.results.map((r: { ruleId: string; level: string }) => `${r.ruleId} ${r.level}`)).toStrictEqual(
      ['schema/unknown-field error', 'schema/unknown-field error', 'ref/external warning'],
    );
    expect(run.results[0].locations[0].physicalLocation).toStrictEqual({
      artifactLocation: { uri: 'task-000.yaml', uriBaseId: '%SRCROOT%' },
      region: { startLine: 6, startColumn: 3 },
    });

    const junit = await kelos(['validate', '.', '--format', 'junit'], { cwd: dir });
    expect(junit.stdout).toContain('<testsuites name="kelos validate" tests="3" failures="2" errors="0">');
    expect(junit.stdout).toContain(
      '<testcase classname="schema/unknown-field" name="Task team/t0 /spec/promtp" file="task-000.yaml" line="6">',
    );

    const github = await kelos(['validate', '.', '--format', 'github', '--strict'], { cwd: dir });
    expect(github.code).toBe(2);
    expect(github.stdout.split('\n')[0]).toMatch(
      /^::error file=task-000\.yaml,line=6,col=3,title=schema\/unknown-field::Task team\/t0 \/spec\/promtp: /,
    );
    expect(github.stdout).toMatch(/^::warning file=ws\.yaml,line=6,col=\d+,title=ref\/external::/m);
    expect(github.stdout.endsWith('\n3 objects, 2 errors, 1 warning\n')).toBe(true);

    // Text and JSON are validate's own, to a file as well.
    const text = await kelos(['validate', '.', '--output', 'out/validate.txt'], { cwd: dir });
    expect(text.stdout).toBe('3 objects, 2 errors, 1 warning\n');
    expect(readFileSync(join(dir, 'out/validate.txt'), 'utf8')).toContain(
      'task-000.yaml:6:3: error Task team/t0',
    );
  });

  test('without --format, -o names the format by its extension; --format given wins', async () => {
    const dir = brokenTasks(1);
    for (const command of ['validate', 'check']) {
      await kelos([command, '.', '-o', `out/${command}.sarif`], { cwd: dir });
      const sarif = JSON.parse(readFileSync(join(dir, `out/${command}.sarif`), 'utf8'));
      expect(validateSarif(sarif)).toBe(true);
      expect(sarif.runs[0].tool.driver.name).toBe(`kelos ${command}`);
      await kelos([command, '.', '-o', `out/${command}.JSON`], { cwd: dir });
      expect(Object.keys(JSON.parse(readFileSync(join(dir, `out/${command}.JSON`), 'utf8')))).toContain(
        'summary',
      );
      await kelos([command, '.', '-o', `out/${command}.xml`], { cwd: dir });
      expect(readFileSync(join(dir, `out/${command}.xml`), 'utf8')).toMatch(/^<\?xml [^\n]*\n<testsuites /);
      await kelos([command, '.', '-o', `out/${command}.xml`, '--format', 'text'], { cwd: dir });
      expect(readFileSync(join(dir, `out/${command}.xml`), 'utf8')).not.toContain('<testsuites');
    }
  });

  test('junit of a clean run has a passing case, not an empty report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-validate-formats-'));
    writeFileSync(
      join(dir, 'ok.yaml'),
      'apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata: {name: t, namespace: team}\nspec:\n  prompt: p\n  worker: {type: codex, credentials: {type: none}}\n',
    );
    const run = await kelos(['validate', 'ok.yaml', '--format', 'junit'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('<testsuites name="kelos validate" tests="1" failures="0" errors="0">');
    expect(run.stdout).toContain('<testcase classname="validate" name="all objects comply"/>');
  });

  test('inside a git repository, sarif, junit and github paths are relative to its root, text as typed', async () => {
    const repo = brokenTasks(1);
    execFileSync('git', ['init', '-q'], { cwd: repo });
    mkdirSync(join(repo, 'manifests/team-12'), { recursive: true });
    renameSync(join(repo, 'task-000.yaml'), join(repo, 'manifests/team-12/task.yaml'));
    const cwd = join(repo, 'manifests');
    const sarif = JSON.parse((await kelos(['validate', 'team-12', '--format', 'sarif'], { cwd })).stdout);
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toStrictEqual({
      uri: 'manifests/team-12/task.yaml',
      uriBaseId: '%SRCROOT%',
    });
    expect(sarif.runs[0].originalUriBaseIds['%SRCROOT%'].uri).toBe(`${pathToFileURL(repo).href}/`);
    expect((await kelos(['validate', 'team-12', '--format', 'github'], { cwd })).stdout).toMatch(
      /^::error file=manifests\/team-12\/task\.yaml,line=6,col=3,/m,
    );
    expect((await kelos(['validate', 'team-12', '--format', 'junit'], { cwd })).stdout).toContain(
      'file="manifests/team-12/task.yaml" line="6"',
    );
    expect((await kelos(['validate', 'team-12'], { cwd })).stdout).toMatch(
      /^team-12\/task\.yaml:6:3: error/m,
    );
  });

  describe('SARIF of kelos check and kelos validate', () => {
    const TASK =
      'apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata: {name: t, namespace: team}\nspec:\n  prompt: p\n  promtp: typo\n  worker: {type: codex, credentials: {type: none}, podOverrides: {activeDeadlineSeconds: 600}}\n';
    const sarifOf = async (argv: string[], cwd: string, stdin?: string) => {
      const run = await kelos(argv, { cwd, ...(stdin !== undefined && { stdin }) });
      const log = JSON.parse(run.stdout);
      expect(validateSarif(log)).toBe(true);
      return { code: run.code, run: log.runs[0] };
    };
    type Result = {
      ruleId: string;
      level: string;
      partialFingerprints: Record<string, string>;
      locations: { physicalLocation: { region: { startLine: number } } }[];
    };

    test('each result has a fingerprint of rule, file, resource and pointer that survives lines moving, and the driver its version', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kelos-sarif-'));
      writeFileSync(join(dir, 'task.yaml'), TASK);
      const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../package.json'), 'utf8'));
      for (const command of ['check', 'validate']) {
        const before = await sarifOf([command, 'task.yaml', '--format', 'sarif'], dir);
        expect(before.run.tool.driver.version).toBe(pkg.version);
        const results: Result[] = before.run.results;
        expect(results.length).toBeGreaterThan(0);
        const prints = results.map((r) => r.partialFingerprints['kelosFinding/v1']);
        expect(prints.every((p) => /^[0-9a-f]{64}$/.test(p ?? ''))).toBe(true);
        expect(new Set(prints).size).toBe(prints.length);
        // Three lines above the object: every line moves, no fingerprint does.
        writeFileSync(join(dir, 'task.yaml'), `# owned by team\n# reviewed\n\n${TASK}`);
        const after: Result[] = (await sarifOf([command, 'task.yaml', '--format', 'sarif'], dir)).run.results;
        expect(after.map((r) => r.partialFingerprints)).toStrictEqual(
          results.map((r) => r.partialFingerprints),
        );
        expect(after.map((r) => r.locations[0]!.physicalLocation.region.startLine)).toStrictEqual(
          results.map((r) => r.locations[0]!.physicalLocation.region.startLine + 3),
        );
        writeFileSync(join(dir, 'task.yaml'), TASK);
      }
    });

    test("a finding in standard input points at the run's standard-input artifact, with its line", async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kelos-sarif-'));
      for (const command of ['check', 'validate']) {
        const { run } = await sarifOf([command, '-', '--format', 'sarif'], dir, TASK);
        expect(run.artifacts).toStrictEqual([
          { description: { text: 'standard input (-)' }, roles: ['analysisTarget'] },
        ]);
        expect(run.results.length).toBeGreaterThan(0);
        for (const r of run.results)
          expect(r.locations[0].physicalLocation).toMatchObject({
            artifactLocation: { index: 0 },
            region: { startLine: expect.any(Number) },
          });
      }
    });

    test('with --strict a warning is an error-level result, as it fails the run; its severity stays in the properties', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kelos-sarif-'));
      writeFileSync(join(dir, 'task.yaml'), TASK.replace('  promtp: typo\n', ''));
      const plain = await sarifOf(['check', 'task.yaml', '--format', 'sarif'], dir);
      expect(plain.code).toBe(0);
      const warnings = plain.run.results.filter((r: Result) => r.level === 'warning');
      expect(warnings.length).toBeGreaterThan(0);
      const strict = await sarifOf(['check', 'task.yaml', '--format', 'sarif', '--strict'], dir);
      expect(strict.code).toBe(2);
      expect(strict.run.results.map((r: Result) => r.level)).toStrictEqual(
        plain.run.results.map(() => 'error'),
      );
      expect(strict.run.results[0].properties).toStrictEqual({ severity: 'warning', strict: true });
      // The rule keeps the level it is configured with.
      expect(strict.run.tool.driver.rules).toStrictEqual(plain.run.tool.driver.rules);
    });
  });
});
