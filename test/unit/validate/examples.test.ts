/**
 * Upstream Kelos's example manifests (../shared/compat/kelos-examples): every one whose kinds we
 * serve validates, Secrets included; the WorkerPool, Session and v1alpha1 ones get the unserved
 * diagnostic instead of a crash.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { LEGACY_API_VERSION, UNSERVED_KINDS } from '../../../src/api/index.ts';
import type { Diagnostic } from '../../../src/validate/diagnostic.ts';
import { kelos } from './run-cli.ts';

const EXAMPLES = join(import.meta.dirname, '../../../../shared/compat/kelos-examples');

type Json = Record<string, unknown>;

const docsOf = (file: string): Json[] =>
  parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as Json | null)
    .filter((d): d is Json => d !== null);

/** Whether a file holds something this version of Kelos does not serve (a kind, a version, a pool). */
const usesUnserved = (docs: readonly Json[]): boolean =>
  docs.some(
    (d) =>
      d['apiVersion'] === LEGACY_API_VERSION ||
      String(d['kind']) in UNSERVED_KINDS ||
      JSON.stringify(d['spec'] ?? {}).includes('"workerPoolRef"'),
  );

const dirs = existsSync(EXAMPLES)
  ? readdirSync(EXAMPLES, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort()
  : [];

const served = dirs.flatMap((dir) =>
  readdirSync(join(EXAMPLES, dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({ dir, file: f, docs: docsOf(join(EXAMPLES, dir, f)) }))
    .filter((x) => !usesUnserved(x.docs)),
);

const json = async (args: string[]) => {
  const run = await kelos(['validate', '--format', 'json', ...args], { cwd: EXAMPLES });
  return {
    ...run,
    out: JSON.parse(run.stdout) as { diagnostics: Diagnostic[]; summary: { objects: number } },
  };
};

describe('upstream examples', () => {
  test('the examples are where CI puts them', () => {
    expect(existsSync(EXAMPLES)).toBe(true);
    expect(dirs.length).toBeGreaterThanOrEqual(17);
  });

  test('the served examples cover every kind the brief names, and core Secrets', () => {
    const kinds = new Set(
      served.flatMap((x) => x.docs.map((d) => `${String(d['apiVersion'])} ${String(d['kind'])}`)),
    );
    expect([...kinds].sort()).toEqual([
      'kelos.dev/v1alpha2 AgentConfig',
      'kelos.dev/v1alpha2 Task',
      'kelos.dev/v1alpha2 TaskBudget',
      'kelos.dev/v1alpha2 TaskSpawner',
      'kelos.dev/v1alpha2 Workspace',
      'v1 Secret',
    ]);
  });

  /**
   * Upstream examples that would not run as written, with the error that says so: example 05's
   * Secret holds `token`, and the Pod reads `GITHUB_TOKEN` from it.
   */
  const BROKEN: Readonly<Record<string, ReadonlyArray<readonly [code: string, path: string]>>> = {
    '05-task-with-agentconfig': [['ref/secret-key', '/spec/secretRef/name']],
  };

  test.each(dirs)(
    '%s: every served manifest validates (no errors but those it has upstream)',
    async (dir) => {
      const files = served.filter((x) => x.dir === dir).map((x) => join(dir, x.file));
      if (files.length === 0) return; // 16-session has only unserved or core files besides the Session
      const { code, out } = await json(files);
      const known = BROKEN[dir] ?? [];
      expect(out.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.path])).toEqual(
        known,
      );
      expect(out.summary.objects).toBe(served.filter((x) => x.dir === dir).flatMap((x) => x.docs).length);
      expect(code).toBe(known.length === 0 ? 0 : 2);
    },
  );

  // Its prompt reads .Branch inside {{if index . "Number"}}: GitHub names the head branch of
  // every check run of a pull request, so nothing there can render an absent key.
  test('the check_run example has no template finding: its Number guard covers .Branch', async () => {
    const { out } = await json(['17-taskspawner-ci-remediation/taskspawner.yaml']);
    expect(out.diagnostics.filter((d) => d.code.startsWith('template/'))).toEqual([]);
  });

  test('a WorkerPool gets kind/unserved, not a crash', async () => {
    const { code, out } = await json(['15-workerpool/workerpool.yaml']);
    expect(out.diagnostics.map((d) => [d.code, d.severity, d.message])).toEqual([
      ['kind/unserved', 'error', UNSERVED_KINDS['WorkerPool']],
    ]);
    expect(code).toBe(2);
  });

  test('a Session gets kind/unserved', async () => {
    const { code, out } = await json(['16-session/session.yaml']);
    expect(out.diagnostics.map((d) => [d.code, d.path, d.message])).toEqual([
      ['kind/unserved', '/kind', UNSERVED_KINDS['Session']],
    ]);
    expect(code).toBe(2);
  });

  test('a kelos.dev/v1alpha1 object gets version/unserved, pointing to v1alpha2', async () => {
    const { code, out } = await json(['15-workerpool/workspace.yaml']);
    expect(out.diagnostics.map((d) => [d.code, d.path, d.message])).toEqual([
      [
        'version/unserved',
        '/apiVersion',
        'kelos.dev/v1alpha1 is deprecated upstream and not served by this version of Kelos; use kelos.dev/v1alpha2',
      ],
    ]);
    expect(code).toBe(2);
  });

  test('a Task on a WorkerPool is valid but warned that nothing will run it', async () => {
    const { code, out } = await json(['15-workerpool/task-with-pool.yaml']);
    expect(out.diagnostics.map((d) => [d.code, d.severity, d.path])).toEqual([
      ['ref/unserved', 'warning', '/spec/workerPoolRef/name'],
    ]);
    expect(code).toBe(0);
  });

  // A template may name the pool's Workspace next to workerPoolRef (a Task may not), as this
  // upstream example does; only the pool itself is unserved.
  test('the pooled TaskSpawner example is valid but warned that nothing will run its Tasks', async () => {
    const { code, out } = await json(['15-workerpool/taskspawner-with-pool.yaml']);
    expect(out.diagnostics.map((d) => [d.code, d.severity, d.path])).toEqual([
      ['ref/unserved', 'warning', '/spec/taskTemplate/workerPoolRef/name'],
      ['ref/external', 'warning', '/spec/taskTemplate/workspaceRef/name'],
    ]);
    expect(code).toBe(0);
  });
});
