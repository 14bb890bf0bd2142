import { describe, expect, test } from 'vitest';
import { externalSecretsOf, report, selectForText } from '../../../src/cli/commands/synth.ts';
import type { CliIo } from '../../../src/cli/io.ts';
import type { SynthOutcome, SynthResult } from '../../../src/compiler/synth.ts';
import type { Diagnostic } from '../../../src/validate/index.ts';

const secretRef = (name: string, extra = ''): Diagnostic => ({
  severity: 'warning',
  code: 'ref/secret-external',
  path: '/spec/worker/credentials/secretRef/name',
  message: `spec.worker.credentials.secretRef names Secret "${name}", which is not in this bundle; it must exist in namespace "default" in the cluster${extra}`,
});

describe('the synth text report', () => {
  test('Secrets outside git are summed into one line, but a likely typo is listed on its own', () => {
    const typo = secretRef('claude-oauth-tokn', '; did you mean "claude-oauth-token"?');
    const diagnostics = [secretRef('github-token'), secretRef('github-token'), typo];
    // The summary names what to create; the typo is not advised for externalSecrets.
    expect(externalSecretsOf(diagnostics)).toStrictEqual(['default/github-token']);
    // An object without a namespace lands where it is applied: the Secret is named alone.
    const unplaced: Diagnostic = {
      ...secretRef('slack-token'),
      message:
        'spec.worker.credentials.secretRef names Secret "slack-token", which is not in this bundle; it must exist in the cluster, in the namespace the object is applied to (it names none: "default" unless kubectl -n or the Argo CD Application\'s destination sets another)',
    };
    expect(externalSecretsOf([...diagnostics, unplaced])).toStrictEqual([
      'default/github-token',
      'slack-token',
    ]);
    expect(selectForText(diagnostics, false).listed).toStrictEqual([typo]);
    expect(selectForText(diagnostics, true).listed).toStrictEqual(diagnostics);
  });
});

describe('where a diagnostic was rendered', () => {
  const located = (severity: Diagnostic['severity']): Diagnostic => ({
    severity,
    code: 'schema/type',
    path: '/spec/activeDeadlineSeconds',
    message: 'must be integer',
    source: { file: 'apps/a/main.ts', line: 4, rendered: { file: 'dist/apps/a/task-t.yaml', line: 9 } },
  });
  const textOf = (status: SynthResult['status'], mode: 'write' | 'stdout', d: Diagnostic): string => {
    const out: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t) } as unknown as CliIo;
    const result = { status, diagnostics: [d], apps: [], objects: [], files: [], timings: { total: 1 } };
    report(io, { result: result as unknown as SynthResult } satisfies SynthOutcome, mode, 'text');
    return out.join('');
  };

  test('is said as where the object would go when nothing was written: dist/ still holds the previous output', () => {
    const text = textOf('violations', 'write', located('error'));
    expect(text).toContain('    would be rendered at dist/apps/a/task-t.yaml:9\n');
    expect(text).not.toContain('    rendered at');
  });

  test('is said as rendered when the output was written, or printed with --stdout', () => {
    expect(textOf('ok', 'write', located('warning'))).toContain(
      '    rendered at dist/apps/a/task-t.yaml:9\n',
    );
    expect(textOf('violations', 'stdout', located('error'))).toContain(
      '    rendered at dist/apps/a/task-t.yaml:9\n',
    );
  });
});

describe('objects of kinds with no bundled schema', () => {
  const notValidated = (kind: string, name: string): Diagnostic => ({
    severity: 'info',
    code: 'kind/not-validated',
    path: '',
    message: `argoproj.io/v1alpha1 ${kind} is not validated offline (no schema is bundled for it); the API server will validate it`,
    resource: { apiVersion: 'argoproj.io/v1alpha1', kind, name },
  });

  test('are counted in one info line by kind, not listed one by one; --verbose lists each', () => {
    const diagnostics = [
      notValidated('Application', 'kelos'),
      notValidated('Application', 'kelos-crds'),
      notValidated('ApplicationSet', 'kelos-apps'),
    ];
    const { listed } = selectForText(diagnostics, false);
    expect(listed.map((d) => [d.code, d.message])).toStrictEqual([
      [
        'kind/not-validated',
        '3 objects are not validated offline, since no schema is bundled for their kinds (the API server will validate them): 2 argoproj.io/v1alpha1 Application, 1 argoproj.io/v1alpha1 ApplicationSet',
      ],
    ]);
    expect(selectForText(diagnostics, true).listed).toStrictEqual(diagnostics);
  });
});
