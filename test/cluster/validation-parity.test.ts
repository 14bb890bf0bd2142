import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { GROUP } from '../../src/api/index.ts';
import { fieldPath } from '../../src/validate/diagnostic.ts';
import { parseManifests, validateDocuments } from '../../src/validate/index.ts';
import { freshNamespace, kubectl } from './helpers.ts';
import { installCrds } from './install-crds.ts';

/**
 * Validation parity: every fixture the API server can judge goes through the real server
 * (strict field validation, server-side dry-run) and through the offline validator, and the
 * two must agree. Bundle checks (references, cycles, duplicates) are the validator's alone,
 * so fixtures tagged `# server: n/a` stay out of this comparison.
 */

const ROOT = join(import.meta.dirname, '../..');
const INVALID = join(ROOT, 'test/fixtures/invalid');
const VALID = join(ROOT, 'test/fixtures/valid');
const COMPAT = join(ROOT, '../shared/compat/kelos-examples');

interface Fixture {
  readonly file: string;
  readonly expect: 'reject' | 'accept';
}

async function listYaml(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Upstream examples the server can judge: our served version and core kinds. */
const isServedManifest = (text: string): boolean =>
  !text.includes(`${GROUP}/v1alpha1`) && !/^kind: (WorkerPool|Session|SessionSpawner)$/m.test(text);

async function fixtures(): Promise<Fixture[]> {
  const out: Fixture[] = [];
  for (const file of await listYaml(INVALID)) {
    const text = await readFile(file, 'utf8');
    if (/^# server: reject$/m.test(text)) out.push({ file, expect: 'reject' });
  }
  for (const file of await listYaml(VALID)) out.push({ file, expect: 'accept' });
  for (const file of await listYaml(COMPAT)) {
    if (isServedManifest(await readFile(file, 'utf8'))) out.push({ file, expect: 'accept' });
  }
  return out;
}

/** A verdict, the messages behind it and the fields they name (`spec.worker.type`). */
interface Verdict {
  readonly rejected: boolean;
  readonly messages: string[];
  readonly fields: string[];
}

/** One spelling for a field path on both sides: map keys and list items as `.key`, no quotes. */
const normalField = (path: string): string =>
  path
    .replace(/\[("?)([^\]"]*)\1\]/g, '.$2')
    .replace(/^\./, '')
    .replace(/\.\d+(?=\.|$)/g, '');

/** The offline verdict: rejected when any error is reported. */
async function offline(file: string): Promise<Verdict> {
  const parsed = parseManifests(await readFile(file, 'utf8'), file);
  const diagnostics = [...parsed.diagnostics, ...validateDocuments(parsed.documents)].filter(
    (d) => d.severity === 'error',
  );
  return {
    rejected: diagnostics.length > 0,
    messages: diagnostics.map((d) => `${d.path}: ${d.message}`),
    fields: diagnostics.map((d) => normalField(fieldPath(d.path))),
  };
}

/**
 * The fields an API server (or kubectl's schema validation) error names: `spec.x: Invalid
 * value…`, `unknown field "spec.x"`, `ValidationError(Task.spec): missing required field "x"`,
 * `ValidationError(Task.spec.x): invalid type`, and `kind`/`apiVersion` for an unknown kind.
 */
const serverFields = (message: string): string[] => [
  ...[...message.matchAll(/(?:^|[\s:,])((?:metadata|spec)(?:\.[\w-]+|\[[^\]]+\])*):/g)].map((m) =>
    normalField(m[1]!),
  ),
  ...[
    ...message.matchAll(
      /ValidationError\(\w+((?:\.[\w[\]-]+)*)\): (?:missing required|unknown) field "([^"]+)"/g,
    ),
  ].map((m) => normalField(`${m[1]}.${m[2]}`)),
  ...[...message.matchAll(/ValidationError\(\w+\.([\w.[\]-]+)\): (?!missing required|unknown)/g)].map((m) =>
    normalField(m[1]!),
  ),
  ...[...message.matchAll(/unknown field "((?:spec|metadata)[^"]*)"/g)].map((m) => normalField(m[1]!)),
  ...(/no matches for kind/.test(message) ? ['kind', 'apiVersion'] : []),
];

/**
 * Rejections whose server message names no field at all, with why; for these only the
 * verdicts are compared.
 */
const FIELDLESS: Readonly<Record<string, string>> = {
  'manifest-missing-name.yaml':
    'kubectl drops an object without a name before sending it ("no objects passed to create")',
  'schema-core-secret-base64.yaml':
    'the decoder fails before validation ("illegal base64 data at input byte 3")',
  'schema-core-quantity.yaml':
    'the decoder fails before validation ("quantities must match the regular expression …")',
};

/** Whether the server's field is ours or the map or list ours is inside (it cannot name a map key). */
const sameField = (theirs: string, ours: string): boolean => ours === theirs || ours.startsWith(`${theirs}.`);

/**
 * The server's verdict. Each object is moved into the test namespace (a fixture may name
 * `default`) and created with a server-side dry-run and strict field validation, so unknown
 * fields are rejected instead of pruned.
 */
async function server(file: string, namespace: string): Promise<Verdict> {
  const parsed = parseManifests(await readFile(file, 'utf8'), file);
  const items = parsed.documents.map((d) => {
    const object = structuredClone(d.object) as { metadata?: Record<string, unknown> };
    if (object.metadata && typeof object.metadata === 'object') object.metadata['namespace'] = namespace;
    return object;
  });
  const input = JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
  try {
    await kubectl(['create', '--dry-run=server', '--validate=strict', '-n', namespace, '-f', '-'], { input });
    return { rejected: false, messages: [], fields: [] };
  } catch (err) {
    const message = (err as Error).message.split('\n').slice(1).join(' ').trim();
    return { rejected: true, messages: [message], fields: serverFields(message) };
  }
}

describe('validation parity between kelos validate and kube-apiserver', async () => {
  const all = await fixtures();
  let namespace = '';

  beforeAll(async () => {
    await installCrds();
    namespace = await freshNamespace('parity');
  });

  test('covers at least 60 fixtures, both valid and invalid', () => {
    expect(all.length).toBeGreaterThanOrEqual(60);
    expect(all.some((f) => f.expect === 'accept')).toBe(true);
    expect(all.some((f) => f.expect === 'reject')).toBe(true);
  });

  test('a ConfigMap or Secret past 1 MiB of data: both refuse it, and both take exactly 1 MiB', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-parity-size-'));
    const MiB = 1024 * 1024;
    const cases: Array<[string, object, boolean]> = [
      // The server counts the values, not the keys.
      [
        'configmap-full',
        { kind: 'ConfigMap', data: { k: 'x'.repeat(MiB - 1) }, binaryData: { b: 'eA==' } },
        false,
      ],
      ['configmap-over', { kind: 'ConfigMap', data: { k: 'x'.repeat(MiB), l: 'x' } }, true],
      ['secret-full', { kind: 'Secret', data: { k: Buffer.alloc(MiB).toString('base64') } }, false],
      [
        'secret-over',
        { kind: 'Secret', data: { k: Buffer.alloc(MiB).toString('base64') }, stringData: { l: 'x' } },
        true,
      ],
    ];
    for (const [name, body, over] of cases) {
      const file = join(dir, `${name}.yaml`);
      await writeFile(file, JSON.stringify({ apiVersion: 'v1', metadata: { name }, ...body }));
      const [ours, theirs] = await Promise.all([offline(file), server(file, namespace)]);
      expect(
        { name, offline: ours.rejected, server: theirs.rejected },
        `${ours.messages} | ${theirs.messages}`,
      ).toStrictEqual({
        name,
        offline: over,
        server: over,
      });
    }
  });

  /**
   * kubectl's verdict on a file it reads itself, not on our parse of it: its own decoder decides
   * what a list is and what a plain scalar means.
   */
  const kubectlReads = (file: string) =>
    kubectl(['create', '--dry-run=server', '--validate=strict', '-n', namespace, '-f', file]).then(
      () => ({ rejected: false, message: '' }),
      (err: Error) => ({ rejected: true, message: err.message }),
    );

  /** Writes each case, and expects kelos and kubectl to agree on it and to name `field` when refusing. */
  async function sameVerdicts(
    prefix: string,
    cases: ReadonlyArray<readonly [name: string, text: string, rejected: boolean, field?: string]>,
  ): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), `kelos-parity-${prefix}-`));
    for (const [name, text, rejected, field] of cases) {
      const file = join(dir, `${name}.yaml`);
      await writeFile(file, text);
      const [ours, theirs] = await Promise.all([offline(file), kubectlReads(file)]);
      expect(
        { name, offline: ours.rejected, server: theirs.rejected },
        `${ours.messages} | ${theirs.message}`,
      ).toStrictEqual({ name, offline: rejected, server: rejected });
      if (field) {
        expect(ours.fields).toContain(field);
        expect(theirs.message).toContain(field.split('.').at(-1));
      }
    }
  }

  const TASK_HEAD =
    'apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: NAME\nspec:\n  type: claude-code\n  prompt: hi\n  credentials: {type: api-key, secretRef: {name: k}}\n';

  test('a typed list (kind: TaskList) is unpacked into its items, as kubectl reads the file itself', async () => {
    const listOf = (name: string, extra: string) =>
      `apiVersion: kelos.dev/v1alpha2\nkind: TaskList\nitems:\n${TASK_HEAD.replace('NAME', name)
        .concat(extra)
        .split('\n')
        .map((line, i) => (line === '' ? line : `${i === 0 ? '  - ' : '    '}${line}`))
        .join('\n')}`;
    await sameVerdicts('list', [
      ['task-list-ok', listOf('listed', ''), false],
      ['task-list-typo', listOf('listed-typo', '  promt: x\n'), true, 'spec.promt'],
    ]);
  });

  test("integers written with Go's prefixes (0o17, 0X10) are numbers, as kubectl reads the file itself", async () => {
    const workspace = (ref: string) =>
      `apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: prefixed\nspec:\n  repo: https://github.com/acme/app.git\n  ref: ${ref}\n`;
    const deadline = (value: string) =>
      `${TASK_HEAD.replace('NAME', 'prefixed')}  podOverrides:\n    activeDeadlineSeconds: ${value}\n`;
    await sameVerdicts('int', [
      ['int-field-octal', deadline('0o17'), false],
      ['int-field-hex', deadline('0X10'), false],
      ['int-field-not-octal', deadline('0o19'), true, 'spec.podOverrides.activeDeadlineSeconds'],
      ['string-field-octal', workspace('0o17'), true, 'spec.ref'],
      ['string-field-not-octal', workspace('0o19'), false],
    ]);
  });

  /**
   * A Task's `podOverrides.tolerations` and `.affinity` pass the Task's CRD and reach the server's
   * Pod rules only in the operator's Job: the server's verdict is that of a Deployment whose Pod
   * template carries the value (a Deployment, as a Pod would also need the namespace's
   * ServiceAccount, which this API server has no controller to make).
   */
  test('podOverrides tolerations and affinity: kelos validate refuses what the API server refuses in a Pod', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-parity-scheduling-'));
    const term = (expression: object) => ({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [expression] }],
        },
      },
    });
    const cases: ReadonlyArray<readonly [name: string, field: string, value: unknown, rejected: boolean]> = [
      ['toleration-ok', 'tolerations', [{ key: 'infra', operator: 'Exists', effect: 'NoSchedule' }], false],
      [
        'toleration-seconds-ok',
        'tolerations',
        [{ key: 'a', operator: 'Equal', value: 'b', effect: 'NoExecute', tolerationSeconds: 30 }],
        false,
      ],
      [
        'toleration-exists-value-effect',
        'tolerations',
        [{ operator: 'Exists', value: 'b', effect: 'NoSchedul' }],
        true,
      ],
      ['toleration-operator', 'tolerations', [{ key: 'a', operator: 'Equals' }], true],
      ['toleration-no-key', 'tolerations', [{ operator: 'Equal', value: 'x' }], true],
      [
        'toleration-seconds-noschedule',
        'tolerations',
        [{ key: 'a', effect: 'NoSchedule', tolerationSeconds: 5 }],
        true,
      ],
      [
        'affinity-ok',
        'affinity',
        term({ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }),
        false,
      ],
      [
        'affinity-no-terms',
        'affinity',
        { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
        true,
      ],
      [
        'affinity-operator',
        'affinity',
        term({ key: 'kubernetes.io/arch', operator: 'in', values: ['amd64'] }),
        true,
      ],
      ['affinity-in-no-values', 'affinity', term({ key: 'kubernetes.io/arch', operator: 'In' }), true],
      [
        'affinity-exists-values',
        'affinity',
        term({ key: 'kubernetes.io/arch', operator: 'Exists', values: ['x'] }),
        true,
      ],
      [
        'affinity-gt-two-values',
        'affinity',
        term({ key: 'cores', operator: 'Gt', values: ['1', '2'] }),
        true,
      ],
      [
        'affinity-weight',
        'affinity',
        {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 500,
                podAffinityTerm: {
                  topologyKey: 'kubernetes.io/hostname',
                  labelSelector: { matchLabels: { app: 'a' } },
                },
              },
            ],
          },
        },
        true,
      ],
      [
        'affinity-label-selector-gt',
        'affinity',
        {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              {
                topologyKey: 'kubernetes.io/hostname',
                labelSelector: { matchExpressions: [{ key: 'app', operator: 'Gt', values: ['1'] }] },
              },
            ],
          },
        },
        true,
      ],
      ['toleration-key', 'tolerations', [{ key: 'gpu type', operator: 'Exists' }], true],
      ['toleration-key-ok', 'tolerations', [{ key: 'example.com/gpu', operator: 'Exists' }], false],
      ['affinity-node-key', 'affinity', term({ key: 'zone!', operator: 'Exists' }), true],
      ...(
        [
          ['affinity-topology-key', { topologyKey: 'kubernetes.io/host name' }, true],
          [
            'affinity-match-labels-key',
            { topologyKey: 'h', labelSelector: { matchLabels: { 'app name': 'a' } } },
            true,
          ],
          [
            'affinity-match-labels-value',
            { topologyKey: 'h', labelSelector: { matchLabels: { app: 'a b' } } },
            true,
          ],
          [
            'affinity-selector-value',
            {
              topologyKey: 'h',
              labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['a b'] }] },
            },
            true,
          ],
          [
            'affinity-match-label-keys',
            { topologyKey: 'h', labelSelector: {}, matchLabelKeys: ['-bad'] },
            true,
          ],
          [
            'affinity-labels-ok',
            {
              topologyKey: 'kubernetes.io/hostname',
              labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } },
              matchLabelKeys: ['pod-template-hash'],
            },
            false,
          ],
        ] as const
      ).map(
        ([name, affinityTerm, rejected]) =>
          [
            name,
            'affinity',
            { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [affinityTerm] } },
            rejected,
          ] as const,
      ),
    ];
    for (const [name, field, value, rejected] of cases) {
      const file = join(dir, `${name}.yaml`);
      await writeFile(
        file,
        JSON.stringify({
          apiVersion: `${GROUP}/v1alpha2`,
          kind: 'Task',
          metadata: { name },
          spec: {
            prompt: 'hi',
            worker: { type: 'claude-code', credentials: { type: 'none' }, podOverrides: { [field]: value } },
          },
        }),
      );
      const deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace },
        spec: {
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'agent', image: 'busybox' }], [field]: value },
          },
        },
      };
      const [ours, theirs] = await Promise.all([
        offline(file),
        kubectl(['create', '--dry-run=server', '-f', '-'], { input: JSON.stringify(deployment) }).then(
          () => ({ rejected: false, message: '' }),
          (err: Error) => ({ rejected: true, message: err.message }),
        ),
      ]);
      expect(
        { name, offline: ours.rejected, server: theirs.rejected },
        `${ours.messages.join(' | ')} | ${theirs.message}`,
      ).toStrictEqual({ name, offline: rejected, server: rejected });
      // Both name the same field: the server's path below the Pod spec is ours below podOverrides.
      if (rejected)
        expect(ours.fields.some((f) => f.startsWith(`spec.worker.podOverrides.${field}`))).toBe(true);
    }
  });

  test.each(all.map((f) => [f.file.replace(`${ROOT}/`, ''), f] as const))('%s', async (_, fixture) => {
    const [ours, theirs] = await Promise.all([offline(fixture.file), server(fixture.file, namespace)]);
    const summary = [
      `expected: ${fixture.expect}`,
      `kelos validate: ${ours.rejected ? 'reject' : 'accept'} ${ours.messages.join(' | ')}`,
      `kube-apiserver: ${theirs.rejected ? 'reject' : 'accept'} ${theirs.messages.join(' | ')}`,
    ].join('\n');
    expect({ offline: ours.rejected, server: theirs.rejected }, summary).toStrictEqual({
      offline: fixture.expect === 'reject',
      server: fixture.expect === 'reject',
    });
    if (fixture.expect === 'reject' && !FIELDLESS[basename(fixture.file)]) {
      // Both sides must name the same field, not merely both refuse.
      const shared = theirs.fields.filter((f) => ours.fields.some((o) => sameField(f, o)));
      expect(
        shared,
        `${summary}\nfields: ours ${ours.fields.join(', ')}; server ${theirs.fields.join(', ')}`,
      ).not.toStrictEqual([]);
    }
  });
});
