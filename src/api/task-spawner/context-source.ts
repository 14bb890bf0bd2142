/**
 * TaskSpawner context sources: data fetched per item and handed to the prompt template.
 *
 * The .d.ts of this file writes TypeBox's symbol keys ({@link Kind}, {@link Hint},
 * {@link OptionalKind}, {@link ReadonlyKind}); declaration emit can only name the ones imported here.
 *
 * @packageDocumentation
 */
// biome-ignore lint/correctness/noUnusedImports: declaration emit names TypeBox's symbol keys through these
import type { Hint, Kind, OptionalKind, ReadonlyKind } from '@sinclair/typebox';
import { SecretReferenceSchema } from '../common.ts';
import { bool, int32, list, obj, opt, str, strEnum, strMap } from '../schema.ts';

export const ContextSourceSchema = obj(
  {
    name: str('name of the context value, read in templates as .Context.<name>.', {
      minLength: 1,
      maxLength: 64,
      pattern: '^[a-zA-Z][a-zA-Z0-9_]*$',
    }),
    http: opt(
      obj(
        {
          url: str('url to fetch; a Go template over the item variables. HTTPS unless allowInsecure.', {
            minLength: 1,
          }),
          method: opt(strEnum(['GET', 'POST'] as const, 'method of the request.', { default: 'GET' })),
          headers: opt(strMap('headers of the request; values are Go templates.')),
          headersFrom: opt(
            list(
              obj(
                {
                  header: str('header name.', { minLength: 1 }),
                  secretName: str('secretName is the Secret holding the value.', { minLength: 1 }),
                  secretKey: str('secretKey is the key in the Secret.', { minLength: 1 }),
                },
                'A header whose value comes from a Secret.',
              ),
              'headersFrom set headers from Secrets; they win over headers.',
              { maxItems: 16 },
            ),
          ),
          githubAppAuth: opt(
            obj(
              {
                secretRef: {
                  ...SecretReferenceSchema,
                  description: 'secretRef names a Secret with appID, installationID and privateKey.',
                },
                apiBaseURL: opt(
                  str('apiBaseURL of the GitHub API, for GitHub Enterprise.', {
                    pattern: '^https://[^/]',
                    maxLength: 2048,
                  }),
                ),
              },
              'githubAppAuth authenticates with a GitHub App installation token unless an Authorization header is set.',
            ),
          ),
          body: opt(str('body of a POST request; a Go template.')),
          responseFilter: opt(
            obj(
              {
                type: strEnum(['JSONPath'] as const, 'type of the filter expression.'),
                expression: str('expression selecting the part of the response to keep.', { minLength: 1 }),
              },
              'responseFilter keeps only part of a JSON response.',
            ),
          ),
          allowInsecure: opt(bool('allowInsecure permits plain HTTP.', { default: false })),
          timeoutSeconds: opt(
            int32('timeoutSeconds bounds the request.', { minimum: 1, maximum: 60, default: 10 }),
          ),
          maxResponseBytes: opt(
            int32('maxResponseBytes bounds the response size.', {
              minimum: 1,
              maximum: 131072,
              default: 32768,
            }),
          ),
        },
        'http fetches the context over HTTP.',
      ),
    ),
    failurePolicy: opt(
      strEnum(
        ['Fail', 'Ignore'] as const,
        'failurePolicy: Fail skips the item when the fetch fails; Ignore uses an empty string.',
        {
          default: 'Fail',
        },
      ),
    ),
  },
  'ContextSource fetches extra context for each item before its Task is created.',
  {
    'x-kubernetes-validations': [
      {
        rule: 'has(self.http)',
        message: 'exactly one source kind must be set (currently only http is supported)',
      },
    ],
  },
);
