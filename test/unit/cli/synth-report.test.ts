import { describe, expect, test } from 'vitest';
import { externalSecretsOf, selectForText } from '../../../src/cli/commands/synth.ts';
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
    expect(selectForText(diagnostics, false).listed).toStrictEqual([typo]);
    expect(selectForText(diagnostics, true).listed).toStrictEqual(diagnostics);
  });
});
