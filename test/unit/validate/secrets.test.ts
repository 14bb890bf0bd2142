/**
 * Issue 9, finding 8: the validator never prints a secret. Values under a Secret's `data` and
 * `stringData` are never quoted, and a credential in a clone URL is refused without being
 * echoed (by a CEL rule, so the API server refuses it as well).
 */
import { describe, expect, test } from 'vitest';
import { repoUrlHasCredentials } from '../../../src/api/workspace.ts';
import { maskCredentials, show } from '../../../src/validate/echo.ts';
import { kelos } from './run-cli.ts';

const TOKEN = 'ghp_S3cretT0kenValue0123456789abcdefABCD';

describe('Secret values', () => {
  test.each([
    ['a type error in data', `data:\n  GITHUB_TOKEN: 12345${TOKEN.length}\n`, 'schema/type', '12345'],
    ['a format error in data', `data:\n  GITHUB_TOKEN: "${TOKEN}!"\n`, 'schema/format', TOKEN],
    ['a type error in stringData', `stringData:\n  GITHUB_TOKEN: [${TOKEN}]\n`, 'schema/type', TOKEN],
    // Nor does the hint on how the value reads quote it.
    ['a number written otherwise than its digits', 'stringData:\n  PIN: 0o7531\n', 'schema/type', '7531'],
    ['a YAML 1.1 boolean word', 'stringData:\n  ENABLED: Yes\n', 'schema/type', 'Yes'],
    ['data that is not a map', `data: ${TOKEN}\n`, 'schema/type', TOKEN],
  ])('%s is reported without its value', async (_what, body, code, secret) => {
    const run = await kelos(['validate', '--format', 'json', '-'], {
      stdin: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n${body}`,
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(code);
    expect(run.stdout).toContain('(not shown: Secret data)');
    expect(run.stdout).not.toContain(secret);
  });

  test('a boolean word or a number as written under stringData: a hint to quote it that does not quote it', async () => {
    for (const value of ['Yes', '0o7531']) {
      const run = await kelos(['validate', '--format', 'json', '-'], {
        stdin: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  K: ${value}\n`,
      });
      const [finding] = (JSON.parse(run.stdout) as { diagnostics: Array<{ code: string; hint?: string }> })
        .diagnostics;
      expect([finding?.code, finding?.hint]).toStrictEqual([
        'schema/type',
        'the value is written unquoted, which YAML reads as a boolean or a number, as kubectl does; quote it to keep it a string',
      ]);
    }
  });

  test('values elsewhere are still quoted', async () => {
    const run = await kelos(['validate', '-'], {
      stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: [1]\n',
    });
    expect(run.stdout).toContain('must be a string; got an array [1]');
  });
});

describe('credentials in clone URLs', () => {
  test.each([
    ['https://x-access-token:TOKEN@github.com/acme/app.git', true],
    ['https://TOKEN@github.com/acme/app.git', true],
    ['http://user:TOKEN@git.internal/app.git', true],
    ['https://github.com/acme/app.git', false],
    ['git@github.com:acme/app.git', false],
    ['https://github.com/acme/app@v2.git', false],
  ])('%s has credentials: %s', (url, has) => {
    expect(repoUrlHasCredentials(url)).toBe(has);
  });

  test('a Workspace with a token in its repo fails validation and the token is not printed', async () => {
    const run = await kelos(['validate', '-'], {
      stdin: `apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: w\nspec:\n  repo: https://x-access-token:${TOKEN}@github.com/acme/app.git\n`,
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('repo must not contain credentials');
    expect(run.stdout).not.toContain(TOKEN);
  });

  test('a URL with credentials that also breaks the pattern is quoted masked', async () => {
    const run = await kelos(['validate', '-'], {
      stdin: `apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: w\nspec:\n  repo: ftp://u:${TOKEN}@h/r\n`,
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('got "ftp://***@h/r"');
    expect(run.stdout).not.toContain(TOKEN);
  });

  test('quotes mask user info and stay short', () => {
    expect(maskCredentials('see https://a:b@h/x and git://c@d/y')).toBe(
      'see https://***@h/x and git://***@d/y',
    );
    expect(show('x'.repeat(1_000_000)).length).toBeLessThanOrEqual(60);
  });
});
