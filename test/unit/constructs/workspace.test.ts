import { Chart, Testing } from 'cdk8s';
import { describe, expect, test } from 'vitest';
import { Workspace } from '../../../constructs/index.ts';
import { chart, synth, thrown, validationErrors } from './helpers.ts';

describe('Workspace', () => {
  test('renders its spec', () => {
    const c = chart();
    const ws = new Workspace(c, 'ws', {
      metadata: { name: 'repo', labels: { team: 'a' } },
      repo: 'git@github.com:a/b.git',
      ref: 'main',
      secretRef: { name: 'github-token' },
      remotes: [{ name: 'upstream', url: 'https://github.com/up/b.git' }],
      files: [{ path: 'docs/NOTES.md', content: 'x' }],
      setupCommand: ['npm', 'ci'],
      ghproxy: {},
    });
    expect(synth(c)).toStrictEqual([
      {
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'Workspace',
        metadata: { labels: { team: 'a' }, name: 'repo' },
        spec: {
          files: [{ content: 'x', path: 'docs/NOTES.md' }],
          ghproxy: {},
          ref: 'main',
          remotes: [{ name: 'upstream', url: 'https://github.com/up/b.git' }],
          repo: 'git@github.com:a/b.git',
          secretRef: { name: 'github-token' },
          setupCommand: ['npm', 'ci'],
        },
      },
    ]);
    expect(ws.kind).toBe('Workspace');
    expect(ws.namespace).toBeUndefined();
  });

  test('takes the namespace of its chart unless its metadata names one', () => {
    const c = new Chart(Testing.app(), 'c', { namespace: 'team-a' });
    const ws = new Workspace(c, 'ws', { metadata: { name: 'repo' }, repo: 'https://x.test/a.git' });
    const other = new Workspace(c, 'other', {
      metadata: { name: 'o', namespace: 'team-b' },
      repo: 'https://x.test/a.git',
    });
    expect([ws.namespace, other.namespace]).toStrictEqual(['team-a', 'team-b']);
  });

  test('fromWorkspaceName stands in for an external Workspace and renders nothing', () => {
    const c = chart();
    const ws = Workspace.fromWorkspaceName(c, 'ext', 'shared', 'infra');
    expect({ kind: ws.kind, name: ws.name, namespace: ws.namespace }).toStrictEqual({
      kind: 'Workspace',
      name: 'shared',
      namespace: 'infra',
    });
    expect(synth(c)).toStrictEqual([]);
  });

  test('rejects a repo that is not a clone URL', () => {
    expect(
      thrown(() => new Workspace(chart(), 'ws', { metadata: { name: 'repo' }, repo: 'github.com/a/b' })),
    ).toBe(
      'Workspace repo /spec/repo: repo must be a clone URL starting with https://, http://, git:// or git@ (got "github.com/a/b")',
    );
  });

  test('rejects a remote named origin and repeated remotes', () => {
    expect(
      thrown(
        () =>
          new Workspace(chart(), 'ws', {
            metadata: { name: 'repo' },
            repo: 'https://github.com/a/b.git',
            remotes: [
              { name: 'origin', url: 'https://github.com/a/b.git' },
              { name: 'fork', url: 'https://github.com/c/b.git' },
              { name: 'fork', url: 'https://github.com/d/b.git' },
            ],
          }),
      ),
    ).toBe(
      [
        "Workspace repo /spec/remotes: remote name 'origin' is reserved for the clone source",
        'Workspace repo /spec/remotes: remote names must be unique',
      ].join('\n'),
    );
  });

  // TypeScript refuses these, but synth runs apps without type checks: `files: 'x'` was a
  // TypeError from inside the construct's own checks.
  test('files, remotes or a file that are no list or object are refused at their fields', () => {
    const props = (extra: object) =>
      ({
        metadata: { name: 'repo' },
        repo: 'https://github.com/a/b.git',
        ...extra,
      }) as unknown as ConstructorParameters<typeof Workspace>[2];
    expect(thrown(() => new Workspace(chart(), 'ws', props({ files: 'x', remotes: 'upstream' })))).toBe(
      [
        'Workspace repo /spec/files: files must be a list; got a string "x"',
        'Workspace repo /spec/remotes: remotes must be a list; got a string "upstream"',
      ].join('\n'),
    );
    expect(thrown(() => new Workspace(chart(), 'ws', props({ files: ['NOTES.md'] })))).toBe(
      'Workspace repo /spec/files/0: files[0] must be an object; got a string "NOTES.md"',
    );
  });

  // cdk8s copies labels and annotations as maps: `labels: 'x'` rendered as `labels: {"0": x}`.
  test('metadata, its labels or annotations of the wrong type are refused at their fields, not rendered', () => {
    const withMetadata = (metadata: unknown) =>
      ({ metadata, repo: 'https://github.com/a/b.git' }) as unknown as ConstructorParameters<
        typeof Workspace
      >[2];
    expect(
      thrown(
        () => new Workspace(chart(), 'ws', withMetadata({ name: 'repo', labels: 'x', annotations: ['q'] })),
      ),
    ).toBe(
      [
        'Workspace repo /metadata/labels: labels must be an object; got a string "x"',
        'Workspace repo /metadata/annotations: annotations must be an object; got a list of 1',
      ].join('\n'),
    );
    expect(thrown(() => new Workspace(chart(), 'ws', withMetadata('repo')))).toMatch(
      /^Workspace test-ws-[0-9a-f]+ \/metadata: metadata must be an object; got a string "repo"$/,
    );
  });

  test('a repo that is missing or no string is left to the schema, not called a bad URL "undefined"', () => {
    const props = (name: string, repo: unknown) =>
      ({ metadata: { name }, ...(repo !== undefined && { repo }) }) as unknown as ConstructorParameters<
        typeof Workspace
      >[2];
    const c = chart();
    new Workspace(c, 'none', props('none', undefined));
    new Workspace(c, 'number', props('number', 42));
    expect(validationErrors(c)).toStrictEqual([
      'Workspace none /spec/repo: missing required field "spec.repo"',
      'Workspace number /spec/repo: must be a string; got an integer 42',
    ]);
  });

  test('rejects file paths that leave the repository', () => {
    expect(
      thrown(
        () =>
          new Workspace(chart(), 'ws', {
            metadata: { name: 'repo' },
            repo: 'https://github.com/a/b.git',
            files: [
              { path: '/etc/passwd', content: '' },
              { path: 'a/../../b', content: '' },
              { path: 'ok/file.txt', content: '' },
            ],
          }),
      ),
    ).toBe(
      [
        'Workspace repo /spec/files/0/path: files path "/etc/passwd" must be relative to the repository root, without backslashes or .. segments',
        'Workspace repo /spec/files/1/path: files path "a/../../b" must be relative to the repository root, without backslashes or .. segments',
      ].join('\n'),
    );
  });
});
