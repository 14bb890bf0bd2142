/**
 * The fixture corpora: every file in test/fixtures/invalid is rejected with the diagnostic its
 * header names, at the line marked `# <-`; every file in test/fixtures/valid passes cleanly.
 * The same fixtures feed the cluster tier's parity test (`# server: reject` ones must be
 * refused by a real kube-apiserver too).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KINDS } from '../../../src/api/index.ts';
import { collectRules, isTransitionRule } from '../../../src/validate/cel.ts';
import { formatResource } from '../../../src/validate/diagnostic.ts';
import { kelosObjectSchema } from '../../../src/validate/schema.ts';
import { kelos } from './run-cli.ts';

const ROOT = join(import.meta.dirname, '../../..');
const INVALID = join(ROOT, 'test/fixtures/invalid');
const VALID = join(ROOT, 'test/fixtures/valid');

/** What a fixture header promises. */
interface Fixture {
  readonly file: string;
  readonly text: string;
  readonly code: string;
  readonly pointer: string;
  readonly message: string;
  readonly server: 'reject' | 'n/a';
  readonly args: string[];
  /** 1-based line carrying the `# <-` marker. */
  readonly line: number;
}

function readFixture(file: string): Fixture {
  const text = readFileSync(join(INVALID, file), 'utf8');
  const header = (key: string) => text.match(new RegExp(`^# ${key}: (.*)$`, 'm'))?.[1];
  const expectLine = header('expect');
  if (!expectLine) throw new Error(`${file}: no "# expect:" header`);
  const [, code = '', pointer = '', message = ''] = expectLine.match(/^(\S+) (\S+) (.+)$/) ?? [];
  const server = header('server');
  if (server !== 'reject' && server !== 'n/a') throw new Error(`${file}: "# server:" must be reject or n/a`);
  const markers = text.split('\n').flatMap((l, i) => (l.includes('# <-') ? [i + 1] : []));
  if (markers.length !== 1)
    throw new Error(`${file}: needs exactly one "# <-" marker, found ${markers.length}`);
  return {
    file,
    text,
    code,
    pointer: pointer === '""' ? '' : pointer,
    message,
    server,
    args: header('args')?.split(' ') ?? [],
    line: markers[0] ?? 0,
  };
}

const fixtures = readdirSync(INVALID)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map(readFixture);

/** `Kind ns/name` of the fixture's object at the marker, read with the plain yaml package. */
function resourceAt(fixture: Fixture): string | undefined {
  if (fixture.code.startsWith('yaml/')) return undefined;
  // Documents are separated by '---' lines; pick the one holding the marker line.
  let start = 1;
  for (const [i, chunk] of fixture.text.split(/^---$/m).entries()) {
    const lines = chunk.split('\n').length - (i === 0 ? 0 : 1);
    if (fixture.line < start + lines) {
      const value = parseAllDocuments(chunk)[0]?.toJS() as Record<string, unknown> | undefined;
      if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
      const metadata = (value['metadata'] ?? {}) as Record<string, unknown>;
      return formatResource({
        kind: String(value['kind']),
        name: typeof metadata['name'] === 'string' ? metadata['name'] : '',
        ...(typeof metadata['namespace'] === 'string' ? { namespace: metadata['namespace'] } : {}),
      });
    }
    start += lines;
  }
  return undefined;
}

describe('invalid fixtures', () => {
  test('the corpus has at least 45 fixtures, each tagged for the server parity tier', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(45);
    expect(fixtures.filter((f) => f.server === 'reject').length).toBeGreaterThan(40);
  });

  test.each(fixtures.map((f) => [f.file, f] as const))(
    '%s is rejected as its header says',
    async (_name, fixture) => {
      const run = await kelos(['validate', ...fixture.args, fixture.file], { cwd: INVALID });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(2);
      const lines = run.stdout.split('\n').filter((l) => l.endsWith(`[${fixture.code}]`));
      const resource = resourceAt(fixture);
      const match = lines.find(
        (l) =>
          l.startsWith(`${fixture.file}:${fixture.line}:`) &&
          l.includes(fixture.message) &&
          (fixture.pointer === '' || l.includes(` ${fixture.pointer}: `)) &&
          (resource === undefined || l.includes(` ${resource} `)),
      );
      expect(match, `no ${fixture.code} diagnostic at line ${fixture.line} in:\n${run.stdout}`).toBeDefined();
    },
  );
});

/** Transition rules (`oldSelf`) only run on update, so no create-time fixture can fail them. */
const allRules = KINDS.flatMap((k) =>
  collectRules(kelosObjectSchema(k)).map((site) => ({ kind: k.kind, ...site })),
);

describe('CEL rule coverage', () => {
  test('every CEL rule of every kind has a fixture that fails it', () => {
    const expected = fixtures.filter((f) => f.code.startsWith('cel/')).map((f) => f.message);
    const uncovered = allRules.filter(
      ({ rule }) =>
        !isTransitionRule(rule) &&
        !expected.some((m) => rule.message.includes(m) || m.includes(rule.message)),
    );
    expect(uncovered.map((r) => `${r.kind}${r.pointer}: ${r.rule.message}`)).toEqual([]);
  });

  test('every rule the API has is found by collectRules (spot check on the deepest ones)', () => {
    const where = (message: string) =>
      allRules.filter((r) => r.rule.message === message).map((r) => `${r.kind}${r.pointer}`);
    expect(where("volume names must not start with 'kelos-' or be 'workspace'")).toEqual([
      'Task/spec/worker/podOverrides/volumes',
      'Task/spec/podOverrides/volumes',
      'TaskSpawner/spec/taskTemplate/worker/podOverrides/volumes',
      'TaskSpawner/spec/taskTemplate/podOverrides/volumes',
    ]);
    expect(where('must be a non-negative quantity')).toEqual([
      'Task/status/usage/costUSD',
      'TaskBudget/spec/maxCostUSD',
      'TaskBudget/status/used/costUSD',
      'TaskRecord/spec/usage/costUSD',
    ]);
    expect(where('exactly one of value or pattern must be set')).toEqual([
      'TaskSpawner/spec/when/webhook/filters/*',
      'TaskSpawner/spec/when/webhook/excludeFilters/*',
    ]);
  });

  test('transition rules are the immutability rules, and nothing else is skipped', () => {
    expect(allRules.filter((r) => isTransitionRule(r.rule)).map((r) => r.rule.message)).toEqual([
      'Task spec is immutable after creation',
      'TaskRecord spec is immutable',
    ]);
  });
});

describe('valid fixtures', () => {
  const files = readdirSync(VALID)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort();

  test('-n with a name no namespace can have is refused before anything is read', async () => {
    const run = await kelos(['validate', '-n', 'Bad NS', '.'], { cwd: VALID });
    expect([run.code, run.stdout, run.stderr]).toStrictEqual([
      1,
      '',
      `kelos: -n: "Bad NS" is not a namespace name (a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)\n`,
    ]);
  });

  test('there is a valid corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  test('the whole valid corpus validates with no diagnostics at all, references resolving', async () => {
    const run = await kelos(['validate', '--strict', '--strict-refs', '--format', 'json', '.'], {
      cwd: VALID,
    });
    const out = JSON.parse(run.stdout) as {
      diagnostics: unknown[];
      summary: { objects: number; files: number };
    };
    expect(out.diagnostics).toEqual([]);
    expect(out.summary.files).toBe(files.length);
    expect(out.summary.objects).toBeGreaterThanOrEqual(10);
    expect(run.code).toBe(0);
  });

  test('the valid corpus exercises every served kind', async () => {
    const kinds = new Set<string>();
    for (const f of files) {
      for (const doc of parseAllDocuments(readFileSync(join(VALID, f), 'utf8'))) {
        const v = doc.toJS() as { kind?: string } | { kind?: string }[] | null;
        for (const o of Array.isArray(v) ? v : [v]) if (o?.kind) kinds.add(o.kind);
      }
    }
    expect([...KINDS.map((k) => k.kind)].filter((k) => !kinds.has(k))).toEqual([]);
  });
});
