import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { KINDS } from '../../../src/api/index.ts';
import { fieldPath } from '../../../src/validate/diagnostic.ts';
import { extended } from '../../../src/validate/echo.ts';
import {
  aggregateNotValidated,
  type Diagnostic,
  parseManifests,
  validateDocuments,
  validateObject,
} from '../../../src/validate/index.ts';
import { HOIST_SIZE } from '../../../src/validate/object-schema.ts';
import { closest, hoistSchemas, kindValidatorModule, strictSchema } from '../../../src/validate/schema.ts';
import { kelos } from './run-cli.ts';

const TASK = {
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'Task',
  metadata: { name: 'fix', namespace: 'agents' },
  spec: { prompt: 'Fix it', worker: { type: 'codex', credentials: { type: 'none' } } },
};

/** {@link TASK} with these podOverrides on its worker. */
const withPodOverrides = (podOverrides: Record<string, unknown>) => ({
  ...TASK,
  spec: { ...TASK.spec, worker: { ...TASK.spec.worker, podOverrides } },
});

const brief = (ds: readonly Diagnostic[]) => ds.map((d) => `${d.severity} ${d.code} ${d.path} ${d.message}`);

describe('validateObject', () => {
  test('a valid Task has no diagnostics', () => {
    expect(validateObject(TASK)).toEqual([]);
  });

  test('diagnostics name the resource and carry no source position', () => {
    const [d] = validateObject({ ...TASK, spec: { ...TASK.spec, promptt: 'x' } });
    expect(d).toEqual({
      severity: 'error',
      code: 'schema/unknown-field',
      path: '/spec/promptt',
      message: 'unknown field "spec.promptt"; did you mean "prompt"?',
      hint: expect.stringContaining('known fields here: worker, workerPoolRef, prompt,'),
      resource: { apiVersion: 'kelos.dev/v1alpha2', kind: 'Task', namespace: 'agents', name: 'fix' },
    });
  });

  test("a time zone the runtime does not know is the server's error, with the zone meant as the hint", () => {
    const budget = (timezone: string) =>
      validateObject({
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'TaskBudget',
        metadata: { name: 'b', namespace: 'agents' },
        spec: { taskSelector: {}, period: { type: 'Daily', timezone }, maxCostUSD: '10' },
      }).map((d) => [d.code, d.path, d.message, d.hint]);
    expect(budget('Europe/Pariss')).toStrictEqual([
      [
        'cel/error',
        '/spec/period/timezone',
        'unknown time zone Europe/Pariss evaluating rule: timezone must be a valid IANA time zone',
        'did you mean Europe/Paris?',
      ],
    ]);
    expect(budget('Mars/Olympus_Mons')[0]?.[3]).toBe(
      'time zones are named as in the IANA database (Europe/Berlin, America/New_York, UTC)',
    );
    expect(budget('Europe/Paris')).toStrictEqual([]);
  });

  test('schema and CEL findings come together when the schema errors are not blocking', () => {
    const found = validateObject({
      ...TASK,
      spec: {
        prompt: 'p',
        worker: {
          type: 'codex',
          credentials: { type: 'none' },
          podOverrides: { volumes: [{ name: 'kelos-x', emptyDir: {}, bogus: 1 }] },
        },
      },
    });
    expect(brief(found)).toEqual([
      "error cel/rule /spec/worker/podOverrides/volumes volume names must not start with 'kelos-' or be 'workspace'",
      'error schema/unknown-field /spec/worker/podOverrides/volumes/0/bogus unknown field "spec.worker.podOverrides.volumes[0].bogus"',
    ]);
  });

  test('blocking schema errors skip CEL, as the API server does, and say so', () => {
    expect(brief(validateObject({ ...TASK, spec: { worker: { type: 'codex' } } }))).toEqual([
      'info cel/skipped  CEL rules were not checked because the object has schema errors; fix those to check the rules too',
      'error schema/required /spec/prompt missing required field "spec.prompt"',
    ]);
  });

  test('null members are dropped before validation, as the API server prunes them', () => {
    expect(
      validateObject({
        ...TASK,
        spec: { ...TASK.spec, branch: null, worker: { ...TASK.spec.worker, image: null } },
      }),
    ).toEqual([]);
  });

  test('kinds and versions that are not served are diagnosed, not crashed on', () => {
    const of = (apiVersion: string, kind: string) =>
      brief(validateObject({ apiVersion, kind, metadata: { name: 'x' }, spec: {} }));
    expect(of('kelos.dev/v1alpha2', 'SessionSpawner')).toEqual([
      'error kind/unserved /kind SessionSpawner is not served by this version of Kelos',
    ]);
    // Read as v1alpha2 too, so one run says everything a migration must change.
    expect(of('kelos.dev/v1alpha1', 'Task')).toEqual([
      'info cel/skipped  CEL rules were not checked because the object has schema errors; fix those to check the rules too',
      'error version/unserved /apiVersion kelos.dev/v1alpha1 is deprecated upstream and not served by this version of Kelos; use kelos.dev/v1alpha2',
      'error schema/required /spec/prompt missing required field "spec.prompt"',
    ]);
    expect(of('kelos.dev/v1alpha2', 'Taskspawner')).toEqual([
      'error kind/unknown /kind unknown kind "Taskspawner" in kelos.dev/v1alpha2; did you mean "TaskSpawner"?',
    ]);
    expect(of('cert-manager.io/v1', 'Certificate')).toEqual([
      'info kind/not-validated  cert-manager.io/v1 Certificate is not validated offline (no schema is bundled for it); the API server will validate it',
    ]);
    const certificate = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'x' } };
    expect(brief(aggregateNotValidated(validateObject(certificate)))).toEqual([
      'info kind/not-validated  1 object is not validated offline, since no schema is bundled for its kind (the API server will validate it): 1 cert-manager.io/v1 Certificate',
    ]);
    expect(
      brief(
        validateObject(
          { apiVersion: 'kelos.dev/v1alpha2', kind: 'WorkerPool', metadata: { name: 'p' } },
          { unservedSeverity: 'warning' },
        ),
      ),
    ).toEqual([expect.stringMatching(/^warning kind\/unserved /)]);
  });

  test('core kinds are validated strictly against the pinned Kubernetes schemas', () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j' },
      spec: {
        template: { spec: { containers: [{ name: 'c', image: 'busybox', workingDir: 7, comand: ['x'] }] } },
      },
    };
    expect(brief(validateObject(job))).toEqual([
      'error schema/unknown-field /spec/template/spec/containers/0/comand unknown field "spec.template.spec.containers[0].comand"; did you mean "command"?',
      'error schema/type /spec/template/spec/containers/0/workingDir must be a string; got an integer 7',
    ]);
    expect(brief(validateObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } }))).toEqual(
      [
        'error schema/pattern /metadata/name must be a lowercase RFC 1123 label: lower case alphanumeric characters or \'-\', starting and ending with an alphanumeric character; got "a.b"',
      ],
    );
  });

  test('a value of the wrong type is one finding, its value said as written: null, .inf, a fraction', () => {
    const found = validateObject({
      ...TASK,
      spec: {
        ...TASK.spec,
        ttlSecondsAfterFinished: 1.5,
        dependsOn: [null, Number.POSITIVE_INFINITY, Number.NaN],
      },
    });
    expect(brief(found).filter((d) => d.startsWith('error'))).toEqual([
      'error schema/type /spec/dependsOn/0 must be a string; got null',
      'error schema/type /spec/dependsOn/1 must be a string; got a number .inf',
      'error schema/type /spec/dependsOn/2 must be a string; got a number .nan',
      'error schema/type /spec/ttlSecondsAfterFinished must be an integer; got a number 1.5',
    ]);
  });

  test('an integer past int64 is refused as the API server refuses it; the largest int64 passes where written in digits', () => {
    const text = (maxInputTokens: string, maxOutputTokens = '1') =>
      `apiVersion: kelos.dev/v1alpha2\nkind: TaskBudget\nmetadata: {name: b, namespace: agents}\nspec:\n  taskSelector: {matchLabels: {team: web}}\n  period: {type: Weekly}\n  maxInputTokens: ${maxInputTokens}\n  maxOutputTokens: ${maxOutputTokens}\n`;
    const errorsOf = (maxInputTokens: string, maxOutputTokens?: string) =>
      validateDocuments(parseManifests(text(maxInputTokens, maxOutputTokens), 'b.yaml').documents)
        .filter((d) => d.severity === 'error')
        .map((d) => `${d.code} ${d.path} ${d.message}`);
    const above = (shown: string) =>
      `schema/format /spec/maxInputTokens must be a 64-bit integer, from -9223372036854775808 to 9223372036854775807; got a number above that range (${shown})`;
    // An int64 field's own minimum (0 here) is the bound it names below the range.
    expect(errorsOf('99999999999999999999', '-99999999999999999999')).toStrictEqual([
      above('1.00e+20'),
      'schema/minimum /spec/maxOutputTokens must be >= 0; got -100000000000000000000',
    ]);
    expect(errorsOf('9223372036854775807')).toStrictEqual([]);
    // The same number to JavaScript, 2^63, written as what it is: past the range.
    expect(errorsOf('9223372036854775808')).toStrictEqual([above('9.22e+18')]);
    expect(errorsOf('9223372036854776000')).toStrictEqual([above('9.22e+18')]);
    // An object read back from the API server holds 2^63 for the largest int64, which it stored.
    const stored = parseManifests(text('9223372036854775807'), 'b.yaml').documents[0]?.object;
    expect(validateObject(stored as Record<string, unknown>)).toStrictEqual([]);
  });

  test('two items of a list map whose keys are equal once defaulted are duplicates, as the API server finds', () => {
    const found = validateObject(
      withPodOverrides({
        extraContainers: [
          {
            name: 'web',
            image: 'nginx',
            ports: [
              { containerPort: 80 },
              { containerPort: 80, protocol: 'TCP' },
              { containerPort: 80, protocol: 'UDP' },
              { containerPort: 81 },
              { containerPort: 81 },
            ],
          },
        ],
      }),
    );
    expect(brief(found)).toEqual([
      'error schema/duplicate /spec/worker/podOverrides/extraContainers/0/ports/1 duplicate entry with containerPort 80, protocol "TCP"; the same as item 0',
      'error schema/duplicate /spec/worker/podOverrides/extraContainers/0/ports/4 duplicate entry with containerPort 81, protocol "TCP" (its default); the same as item 3',
    ]);
  });

  test('status is validated for kinds that have one', () => {
    expect(
      brief(validateObject({ ...TASK, status: { phase: 'Running', usage: { inputTokens: -1 } } })),
    ).toEqual(['error schema/minimum /status/usage/inputTokens must be >= 0; got -1']);
  });
});

describe('validateDocuments', () => {
  test('combines per-object and bundle findings, sorted by position', () => {
    const text = [
      'apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: a\nspec:\n  prompt: p\n  dependsOn: [a]\n  worker:\n    type: gpt\n    credentials: {type: none}\n',
      'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: w\nspec:\n  repo: https://x\n',
    ].join('---\n');
    const found = validateDocuments(parseManifests(text, 'b.yaml').documents);
    expect(found.map((d) => `${d.source?.line}:${d.source?.column} ${d.code}`)).toEqual([
      '1:1 cel/skipped',
      '7:15 ref/cycle',
      '9:5 schema/enum',
    ]);
  });
});

describe('a boolean written as a YAML 1.1 word', () => {
  test('a type error on it says the word reads as a boolean and to quote it; true and quoted words get no hint', () => {
    const text =
      'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata: {name: w}\nspec:\n  repo: https://github.com/a/b.git\n  ref: no\n  setupCommand: [true, Off, "yes"]\n';
    const { documents } = parseManifests(text, 'w.yaml');
    const hints = validateDocuments(documents)
      .filter((d) => d.code === 'schema/type')
      .map((d) => `${d.path} ${d.hint ?? '-'}`);
    expect(hints).toEqual([
      '/spec/ref no is written unquoted, which YAML 1.1 reads as a boolean, as kubectl does; quote it ("no") to keep it a string',
      '/spec/setupCommand/0 -',
      '/spec/setupCommand/1 Off is written unquoted, which YAML 1.1 reads as a boolean, as kubectl does; quote it ("Off") to keep it a string',
    ]);
  });
});

describe('a number where a string belongs', () => {
  test('a type error on it says the number kubectl reads and to quote it; a quoted one is no error', () => {
    const text =
      'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata: {name: w}\nspec:\n  repo: https://github.com/a/b.git\n  ref: 0755\n  setupCommand: [make, 0o17, "1e3"]\n';
    const { documents } = parseManifests(text, 'w.yaml');
    const hints = validateDocuments(documents)
      .filter((d) => d.code === 'schema/type')
      .map((d) => `${d.path} ${d.message} | ${d.hint ?? '-'}`);
    expect(hints).toEqual([
      '/spec/ref must be a string; got an integer 493 | 0755 is written unquoted, which kubectl reads as the number 493; quote it ("0755") to keep it a string',
      '/spec/setupCommand/1 must be a string; got an integer 15 | 0o17 is written unquoted, which kubectl reads as the number 15; quote it ("0o17") to keep it a string',
    ]);
  });
});

describe('schema helpers', () => {
  test('fieldPath renders pointers the way kubectl names fields', () => {
    expect(fieldPath('/spec/volumes/0/name')).toBe('spec.volumes[0].name');
    expect(fieldPath('/metadata/labels/app.kubernetes.io~1name')).toBe(
      'metadata.labels["app.kubernetes.io/name"]',
    );
  });

  test('closest suggests only likely typos', () => {
    expect(closest('modle', ['model', 'image'])).toBe('model');
    expect(closest('Prompt', ['prompt'])).toBe('prompt');
    expect(closest('foo', ['prompt', 'worker'])).toBeUndefined();
  });

  test('a name this API says with more words suggests the field, the fewest words added first', () => {
    const podOverrides = ['extraContainers', 'extraInitContainers', 'serviceAccountName', 'volumes'];
    expect(extended('containers', podOverrides)).toBe('extraContainers');
    expect(extended('initContainers', podOverrides)).toBe('extraInitContainers');
    expect(extended('serviceAccount', podOverrides)).toBe('serviceAccountName');
    expect(extended('prompt', ['promptTemplate', 'type'])).toBe('promptTemplate');
    expect(extended('name', ['fullName', 'lastName'])).toBeUndefined();
    expect(extended('env', ['envFrom'])).toBeUndefined();
    const found = validateObject(withPodOverrides({ containers: [] }));
    expect(brief(found)).toContain(
      'error schema/unknown-field /spec/worker/podOverrides/containers unknown field "spec.worker.podOverrides.containers"; did you mean "extraContainers"?',
    );
  });

  test('an unknown key with a dot in it is written as one member of the field path', () => {
    const found = validateObject(withPodOverrides({ 'resources.limits': {} }));
    expect(brief(found)).toEqual([
      'error schema/unknown-field /spec/worker/podOverrides/resources.limits unknown field "spec.worker.podOverrides["resources.limits"]"',
    ]);
  });

  test('strictSchema closes objects with properties, leaves maps and preserved objects open, drops symbols', () => {
    const marker = Symbol('typebox');
    const schema = {
      [marker]: 'Object',
      type: 'object',
      properties: {
        properties: { type: 'object', properties: { a: { type: 'string' } } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        raw: { type: 'object', properties: {}, 'x-kubernetes-preserve-unknown-fields': true },
      },
    };
    expect(strictSchema(schema)).toEqual({
      type: 'object',
      properties: {
        properties: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        raw: { type: 'object', properties: {}, 'x-kubernetes-preserve-unknown-fields': true },
      },
      additionalProperties: false,
    });
  });
});

describe('hoistSchemas', () => {
  test('an object schema used twice becomes one definition, referenced from both places', () => {
    const container = {
      type: 'object',
      properties: { name: { type: 'string' } },
      additionalProperties: false,
    };
    const hoisted = hoistSchemas({
      type: 'object',
      properties: {
        a: { type: 'array', items: container },
        b: { type: 'array', items: container },
        c: { type: 'object', properties: {} },
      },
    });
    expect(hoisted).toEqual({
      type: 'object',
      properties: {
        a: { type: 'array', items: { $ref: '#/definitions/s0' } },
        b: { type: 'array', items: { $ref: '#/definitions/s0' } },
        c: { type: 'object', properties: {} },
      },
      definitions: { s0: container },
    });
  });

  test(`an object schema of ${HOIST_SIZE} nodes or more becomes a definition, a smaller one stays inline`, () => {
    const fields = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, { type: 'string' }]));
    const large = { type: 'object', properties: fields(HOIST_SIZE - 1) };
    const small = { type: 'object', properties: fields(HOIST_SIZE - 2) };
    expect(hoistSchemas({ type: 'object', properties: { large, small } })).toEqual({
      type: 'object',
      properties: { large: { $ref: '#/definitions/s0' }, small },
      definitions: { s0: large },
    });
  });

  test('no function the validators of the Kelos kinds compile to is larger than 200 KB', () => {
    for (const { kind } of KINDS) {
      const code = kindValidatorModule(kind);
      const starts = [...code.matchAll(/function validate\d+\(/g)].map((m) => m.index);
      expect(starts.length).toBeGreaterThan(0);
      const largest = Math.max(...starts.map((at, i) => (starts[i + 1] ?? code.length) - at));
      expect({ kind, largest: largest < 200_000 }).toEqual({ kind, largest: true });
    }
  });

  test('errors inside hoisted definitions keep their instance paths and suggestions', () => {
    const found = validateObject({
      ...TASK,
      spec: {
        ...TASK.spec,
        worker: {
          ...TASK.spec.worker,
          podOverrides: { extraContainers: [{ name: 'db', imagee: 'postgres' }] },
        },
        podOverrides: { extraInitContainers: [{ name: 'init', image: 4 }] },
      },
    });
    expect(brief(found)).toEqual([
      'info cel/skipped  CEL rules were not checked because the object has schema errors; fix those to check the rules too',
      'error schema/type /spec/podOverrides/extraInitContainers/0/image must be a string; got an integer 4',
      'error schema/unknown-field /spec/worker/podOverrides/extraContainers/0/imagee unknown field "spec.worker.podOverrides.extraContainers[0].imagee"; did you mean "image"?',
    ]);
  });
});

describe('kelos validate', () => {
  const GOOD =
    'apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: w\nspec:\n  repo: https://github.com/acme/app.git\n';
  const EXTERNAL = `${GOOD}---\napiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: t\nspec:\n  prompt: p\n  type: codex\n  credentials: {type: none}\n  workspaceRef: {name: other}\n`;

  test('valid input: exit 0 and a summary line', async () => {
    expect(await kelos(['validate', '-'], { stdin: GOOD })).toEqual({
      code: 0,
      stdout: '1 object, 0 errors, 0 warnings\n',
      stderr: '',
    });
  });

  test('warnings pass unless --strict', async () => {
    const loose = await kelos(['validate', '-'], { stdin: EXTERNAL });
    expect(loose.code).toBe(0);
    expect(loose.stdout).toBe(
      '-:16:18: warning Task t /spec/workspaceRef/name: spec.workspaceRef names Workspace "other", which is not in this bundle; it must exist in the cluster, in the namespace the object is applied to (it names none: "default" unless kubectl -n or the Argo CD Application\'s destination sets another) [ref/external]\n2 objects, 0 errors, 1 warning\n',
    );
    // Named with -n, the namespace is the one given: no more "where it is applied".
    expect((await kelos(['validate', '-n', 'team', '-'], { stdin: EXTERNAL })).stdout).toContain(
      'it must exist in namespace "team" in the cluster [ref/external]',
    );
    expect((await kelos(['validate', '--strict', '-'], { stdin: EXTERNAL })).code).toBe(2);
    const strictRefs = await kelos(['validate', '--strict-refs', '-'], { stdin: EXTERNAL });
    expect(strictRefs.code).toBe(2);
    // The hint follows its finding on a line of its own, as synth and check print it.
    expect(strictRefs.stdout).toMatch(
      /\[ref\/dangling\]\n {4}hint: add the Workspace to the bundle, or fix the name\n/,
    );
  });

  test('--namespace sets the namespace of objects without one', async () => {
    const run = await kelos(['validate', '-n', 'agents', '-'], { stdin: EXTERNAL });
    expect(run.stdout).toContain('it must exist in namespace "agents" in the cluster');
  });

  test('--format json prints diagnostics and a summary', async () => {
    const run = await kelos(['validate', '--format', 'json', '-'], {
      stdin: EXTERNAL.replace('prompt: p', 'prompt: 3'),
    });
    expect(run.code).toBe(2);
    const out = JSON.parse(run.stdout) as { diagnostics: Diagnostic[]; summary: unknown };
    expect(out.summary).toEqual({ files: 1, objects: 2, errors: 1, warnings: 1, info: 1 });
    expect(out.diagnostics.find((d) => d.code === 'schema/type')).toEqual({
      severity: 'error',
      code: 'schema/type',
      path: '/spec/prompt',
      message: 'must be a string; got an integer 3',
      resource: { apiVersion: 'kelos.dev/v1alpha2', kind: 'Task', name: 't' },
      source: { file: '-', line: 13, column: 3 },
    });
  });

  test('--format json has the shape of kelos check --format json: version, summary counts, diagnostics', async () => {
    const stdin = EXTERNAL.replace('prompt: p', 'prompt: 3');
    const validate = JSON.parse((await kelos(['validate', '--format', 'json', '-'], { stdin })).stdout);
    const check = JSON.parse((await kelos(['check', '--format', 'json', '-'], { stdin })).stdout);
    expect(Object.keys(validate)).toStrictEqual(['version', 'summary', 'diagnostics']);
    expect(Object.keys(check)).toEqual(expect.arrayContaining(['version', 'summary', 'diagnostics']));
    expect(validate.version).toBe(1);
    expect(check.version).toBe(validate.version);
    const counts = ({ objects, errors, warnings, info }: Record<string, number>) => ({
      objects,
      errors,
      warnings,
      info,
    });
    // The same input, counted under the same names; each reports in the one diagnostic shape.
    expect(counts(validate.summary)).toStrictEqual({ objects: 2, errors: 1, warnings: 1, info: 1 });
    expect(counts(check.summary)).toMatchObject({ objects: 2, errors: expect.any(Number), info: 0 });
    const keys = (d: Diagnostic) =>
      Object.keys(d)
        .filter((k) => k !== 'hint')
        .sort();
    const schemaError = validate.diagnostics.find((d: Diagnostic) => d.code === 'schema/type');
    expect(keys(schemaError)).toStrictEqual(keys(check.diagnostics[0]));
  });

  test('objects of kinds without a bundled schema are counted in one info, by kind, in text and JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-not-validated-'));
    // The seven CRDs as `kelos synth` writes them to dist/crds, with a kustomization.
    expect((await kelos(['crds', '-o', join(dir, 'crds')])).code).toBe(0);
    await writeFile(
      join(dir, 'argocd.yaml'),
      'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: kelos, namespace: argocd}\nspec: {}\n',
    );
    // Core kinds with a bundled schema are validated, whatever tree they come in.
    await writeFile(
      join(dir, 'config.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndatta: {a: b}\n',
    );
    const text = await kelos(['validate', '.'], { cwd: dir });
    const lines = text.stdout.split('\n').filter((l) => l.includes('[kind/not-validated]'));
    expect(lines).toStrictEqual([
      'info 8 objects are not validated offline, since no schema is bundled for their kinds (the API server will validate them): 7 apiextensions.k8s.io/v1 CustomResourceDefinition, 1 argoproj.io/v1alpha1 Application [kind/not-validated]',
    ]);
    expect(text.stdout).toContain('config.yaml:4:1: error ConfigMap c /datta: unknown field "datta"');
    const json = JSON.parse((await kelos(['validate', '--format', 'json', '.'], { cwd: dir })).stdout);
    expect(json.diagnostics.filter((d: Diagnostic) => d.code === 'kind/not-validated')).toStrictEqual([
      {
        severity: 'info',
        code: 'kind/not-validated',
        path: '',
        message: lines[0]?.replace(/^info /, '').replace(/ \[kind\/not-validated\]$/, ''),
      },
    ]);
    expect(json.summary.info).toBe(1);
  });

  test('usage and I/O errors exit 1', async () => {
    const missing = await kelos(['validate', 'no/such/file.yaml']);
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: 'kelos: cannot read no/such/file.yaml: no such file or directory\n',
    });
    expect((await kelos(['validate', '--format', 'xml', '-'])).code).toBe(1);
  });
});
