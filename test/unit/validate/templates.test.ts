import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { KelosValidationError, Task, TaskSpawner, Workspace } from '../../../constructs/index.ts';
import { parseManifests, validateDocuments } from '../../../src/validate/index.ts';
import { apiKey, chart } from '../constructs/helpers.ts';
import { kelos } from './run-cli.ts';

const DIR = resolve(import.meta.dirname, '../../fixtures/templates');
const FIXTURES = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

/** The `# expect: line:col severity code /path: message` lines of a fixture. */
const expectations = (text: string): string[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('# expect: '))
    .map((l) => l.slice('# expect: '.length));

const load = (file: string) => {
  const text = readFileSync(join(DIR, file), 'utf8');
  const { documents, diagnostics } = parseManifests(text, file);
  expect(diagnostics).toStrictEqual([]);
  return { text, object: documents[0]!.object, documents };
};

/** Builds the construct that sets the fixture's templates, from the fixture's spec. */
const construct = (object: Record<string, unknown>): void => {
  const c = chart();
  const spec = object['spec'] as Record<string, unknown>;
  if (object['kind'] === 'Task') {
    new Task(c, 't', {
      metadata: { name: 't' },
      worker: { type: 'claude-code', credentials: apiKey },
      prompt: spec['prompt'] as string,
      dependsOn: (spec['dependsOn'] as string[]).map((n) => Task.fromTaskName(c, `dep-${n}`, n)),
    });
    return;
  }
  const t = spec['taskTemplate'] as Record<string, unknown>;
  const { type: _t, credentials: _c, workspaceRef: _w, ...templates } = t;
  new TaskSpawner(c, 't', {
    metadata: { name: 't' },
    when: spec['when'] as never,
    taskTemplate: {
      ...templates,
      worker: {
        type: 'claude-code',
        credentials: apiKey,
        workspace: Workspace.fromWorkspaceName(c, 'ws', 'ws'),
      },
    },
  });
};

describe('template corpus (test/fixtures/templates)', () => {
  test('has at least 30 fixtures, covering every source type and every finding class', () => {
    expect(FIXTURES.length).toBeGreaterThanOrEqual(30);
    const all = FIXTURES.map((f) => readFileSync(join(DIR, f), 'utf8')).join('\n');
    for (const source of [
      'githubIssues',
      'githubPullRequests',
      'jira',
      'cron',
      'githubWebhook',
      'linearWebhook',
      'webhook',
      'slack',
    ])
      expect(all).toContain(`    ${source}:`);
    for (const code of [
      'syntax',
      'unknown-function',
      'unknown-field',
      'not-a-struct',
      'conditional-field',
      'empty-field',
      'unknown-key',
      'unknown-result',
      'forbidden-field',
      'wrong-type',
      'wrong-arg-count',
      'invalid-name',
    ])
      expect(all).toContain(`template/${code} `);
  });

  test.each(FIXTURES)(
    '%s: kelos validate reports exactly the expected findings, located in the file',
    (file) => {
      const { text, documents } = load(file);
      const got = validateDocuments(documents)
        .filter((d) => d.code.startsWith('template/'))
        .map((d) => `${d.source?.line}:${d.source?.column} ${d.severity} ${d.code} ${d.path}: ${d.message}`);
      expect(got).toStrictEqual(expectations(text));
    },
  );

  test.each(FIXTURES)('%s: the construct that sets the template rejects exactly its errors', (file) => {
    const { text, object } = load(file);
    const errors = expectations(text)
      .map((e) => /^\S+ error template\/\S+ (\S+): (.*)$/.exec(e))
      .filter((m) => m !== null)
      .map((m) => ({ path: m[1]!, message: m[2]! }));
    let violations: readonly { path: string; message: string }[] = [];
    try {
      construct(object);
    } catch (e) {
      if (!(e instanceof KelosValidationError)) throw e;
      // Path and message; the hint the check gives comes along (synth-templates.test.ts).
      violations = e.violations
        .filter((v) => errors.some((x) => x.path === v.path) || /template/.test(v.message))
        .map(({ path, message }) => ({ path, message }));
    }
    // The construct lists violations in the order of their fields in the manifest.
    const byPath = (a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path);
    expect([...violations].sort(byPath)).toStrictEqual([...errors].sort(byPath));
  });
});

describe('template findings', () => {
  test('{{if .Number}} on a check run: kelos validate gives the one warning at the guard that guards nothing, none at .Number or .Branch inside', async () => {
    // Each file on its own: both define TaskSpawner t.
    for (const [file, warning] of [
      [
        'conditional-if-field-check-run.yaml',
        'conditional-if-field-check-run.yaml:12:27: warning TaskSpawner t /spec/taskTemplate/promptTemplate: .Number is not always set: a check run has a number only when it belongs to a pull request; where it is missing, {{if .Number}} fails the render (missingkey=error) instead of skipping its body: write {{if index . "Number"}} (template line 1, column 6) [template/conditional-field]',
      ],
      [
        'conditional-with-field-check-run.yaml',
        'conditional-with-field-check-run.yaml:12:29: warning TaskSpawner t /spec/taskTemplate/promptTemplate: .Number is not always set: a check run has a number only when it belongs to a pull request; where it is missing, {{with .Number}} fails the render (missingkey=error) instead of skipping its body: write {{with index . "Number"}} (template line 1, column 8) [template/conditional-field]',
      ],
    ]) {
      const run = await kelos(['validate', file!], { cwd: DIR });
      expect(run.stdout.split('\n').filter((l) => l.includes('[template/'))).toStrictEqual([warning]);
      expect(run.code).toBe(0);
    }
  });

  test('an unknown variable with no near miss is hinted at the variables there are; a near miss is named instead', () => {
    const { documents } = parseManifests(
      `apiVersion: kelos.dev/v1alpha2
kind: TaskSpawner
metadata: {name: c}
spec:
  when:
    cron: {schedule: "0 9 * * *"}
  taskTemplate:
    type: claude-code
    credentials: {type: none}
    promptTemplate: "Run on {{.Date}} at {{.Tme}}"
`,
      'c.yaml',
    );
    const found = validateDocuments(documents)
      .filter((d) => d.code === 'template/unknown-field')
      .map((d) => [d.message, d.hint]);
    expect(found).toStrictEqual([
      [
        '.Date is not a variable of a cron source (template line 1, column 10)',
        expect.stringMatching(/^known here: \.ID, .*\.Time, \.Schedule$/),
      ],
      [
        '.Tme is not a variable of a cron source (template line 1, column 23); did you mean ".Time"?',
        undefined,
      ],
    ]);
  });

  test('a .Deps key one typo from a dependsOn entry that names no Task, while the key names one, points at the entry', () => {
    const task = (name: string, deps: string[] = [], prompt = 'Do it.') =>
      `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: ${name}\nspec:\n  prompt: "${prompt}"\n  worker:\n    type: codex\n    credentials: {type: none}\n${deps.length ? `  dependsOn: [${deps.join(', ')}]\n` : ''}`;
    const tests = task('write-tests', ['scafold'], 'Test {{.Deps.scaffold.Results.x}}');
    const messages = (yaml: string, options = {}) =>
      validateDocuments(parseManifests(yaml, 'tasks.yaml').documents, options)
        .filter((d) => d.code === 'template/unknown-key' || d.code === 'ref/external')
        .map((d) => `${d.code}: ${d.message.slice(d.message.indexOf(';') + 2)}`);
    // The Task the prompt names exists, the entry's does not: the entry is the typo.
    const dependsOnTypo =
      'did you mean dependsOn "scaffold"? The dependsOn entry "scafold" names no Task here, while Task "scaffold" exists';
    expect(messages(`${task('scaffold')}---\n${tests}`)).toStrictEqual([
      `template/unknown-key: ${dependsOnTypo}`,
      expect.stringMatching(/^ref\/external: .*; did you mean "scaffold"\?$/),
    ]);
    // So it is when another bundle of the run deploys that Task.
    const beside = (kind: string, _ns: string, name: string) =>
      kind === 'Task' && name === 'scaffold' ? 'app scaffolding' : undefined;
    expect(messages(tests, { beside, besideNames: () => ['scaffold'] })).toStrictEqual([
      `template/unknown-key: ${dependsOnTypo}`,
      expect.stringMatching(/^ref\/external: .*; did you mean "scaffold", which app scaffolding deploys\?$/),
    ]);
    // The entry names a Task, or neither does: the prompt is held against dependsOn, as before.
    const asBefore = 'did you mean ".Deps.scafold"?';
    expect(messages(`${task('scafold')}---\n${task('scaffold')}---\n${tests}`)).toStrictEqual([
      `template/unknown-key: ${asBefore}`,
    ]);
    expect(messages(tests)).toStrictEqual([
      `template/unknown-key: ${asBefore}`,
      expect.stringMatching(/^ref\/external: it must exist in the cluster/),
    ]);
  });

  test('a prompt that reads .Deps in a Task without dependsOn is the same error, at the read', () => {
    const task = (prompt: string, deps = '') =>
      `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: t\nspec:\n  prompt: '${prompt}'\n  worker:\n    type: codex\n    credentials: {type: none}\n${deps}`;
    const found = (yaml: string) =>
      validateDocuments(parseManifests(yaml, 't.yaml').documents)
        .filter((d) => d.code.startsWith('template/'))
        .map((d) => `${d.source?.line}:${d.source?.column} ${d.severity} ${d.code} ${d.path}: ${d.message}`);
    const none =
      'is not in dependsOn, and the Task has none, so its prompt is not rendered: the agent gets the template as written';
    expect(
      found(task('Ship {{.Deps.build.Results.branch}} and {{index .Deps "lint" "Results" "pr"}}')),
    ).toStrictEqual([
      `6:24 error template/unknown-key /spec/prompt: .Deps.build: "build" ${none} (template line 1, column 13)`,
      `6:66 error template/unknown-key /spec/prompt: .Deps.lint: "lint" ${none} (template line 1, column 55)`,
    ]);
    // With dependsOn, a name outside it is the error it was; without, other braces stay literal.
    expect(found(task('Ship {{.Deps.build.Results.branch}}', '  dependsOn: [lint]\n'))).toStrictEqual([
      `6:24 error template/unknown-key /spec/prompt: .Deps.build: "build" is not in dependsOn (lint) (template line 1, column 13)`,
    ]);
    expect(found(task('Keep {{ .Values.x }} and {{ broken, also Deps'))).toStrictEqual([]);
    // .Deps read whole names no dependency: the read itself is the error.
    const whole = (prompt: string) => found(task(prompt)).map((f) => f.replace(/ \(template line.*$/, ''));
    const unrendered =
      'the Task has no dependsOn, so its prompt is not rendered (upstream renders only the prompts of Tasks with dependsOn): the agent gets the template as written';
    expect(whole('{{range $k, $v := .Deps}}{{$k}}{{end}}')).toStrictEqual([
      `6:30 error template/forbidden-field /spec/prompt: .Deps: ${unrendered}`,
    ]);
    expect(whole('all: {{.Deps}}')).toStrictEqual([
      `6:19 error template/forbidden-field /spec/prompt: .Deps: ${unrendered}`,
    ]);
    expect(whole('{{- $d := .Deps -}}{{$d}}')).toStrictEqual([
      `6:22 error template/forbidden-field /spec/prompt: .Deps: ${unrendered}`,
    ]);
  });
});
