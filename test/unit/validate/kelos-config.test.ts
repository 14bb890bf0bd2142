/**
 * The operator reads the KelosConfig named `kelos` only; one of another name applies and
 * configures nothing, which `kelos validate` says at its name.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Diagnostic } from '../../../src/validate/diagnostic.ts';
import { kelos } from './run-cli.ts';

const config = (name: string) =>
  `apiVersion: kelos.dev/v1alpha2\nkind: KelosConfig\nmetadata:\n  name: ${name}\nspec:\n  podSecurity:\n    allowedServiceAccounts: [bedrock-agent]\n`;

async function validate(text: string) {
  const dir = await mkdtemp(join(tmpdir(), 'kelos-config-name-'));
  await writeFile(join(dir, 'config.yaml'), text);
  const run = await kelos(['validate', '--format', 'json', dir]);
  const { diagnostics } = JSON.parse(run.stdout) as { diagnostics: Diagnostic[] };
  return { code: run.code, found: diagnostics.map((d) => [d.severity, d.code, d.path, d.message, d.hint]) };
}

describe('the name of a KelosConfig', () => {
  test('one not named kelos is a warning at its name, saying nothing reads it', async () => {
    expect(await validate(config('kelos-config'))).toStrictEqual({
      code: 0,
      found: [
        [
          'warning',
          'config/name',
          '/metadata/name',
          'KelosConfig "kelos-config" is read by nothing: the operator reads only the KelosConfig named "kelos", so its pod security floor, network isolation and outbound policy stay as with no KelosConfig',
          'name it kelos (metadata.name: kelos)',
        ],
      ],
    });
  });

  test('the one named kelos passes', async () => {
    expect(await validate(config('kelos'))).toStrictEqual({ code: 0, found: [] });
  });
});
