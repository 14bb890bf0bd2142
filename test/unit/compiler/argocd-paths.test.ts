import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { argocdPathDiagnostics, argocdTaskTtlDiagnostics } from '../../../src/compiler/argocd-paths.ts';
import type { FilesRepository } from '../../../src/compiler/git-remotes.ts';
import type { SynthObject } from '../../../src/compiler/render.ts';
import { argocdUnevaluatedPathDiagnostics, resolvedNamespace } from '../../../src/validate/argocd-paths.ts';
import { kelos } from '../validate/run-cli.ts';

const application = (name: string, path: string): SynthObject => ({
  app: 'argocd',
  file: `dist/argocd/application-${name}.yaml`,
  object: {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd' },
    spec: { source: { repoURL: 'https://github.com/acme/fleet.git', path } },
  },
});

const applicationSet = (path: string): SynthObject => ({
  app: 'argocd',
  file: 'dist/argocd/applicationset-kelos-apps.yaml',
  object: {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: 'kelos-apps', namespace: 'argocd' },
    spec: { generators: [{ git: { directories: [{ path }] } }] },
  },
});

const OUTPUT = ['dist/crds', 'dist/install', 'dist/argocd'];

describe('Argo CD paths against what synth writes', () => {
  test('paths synth writes pass, also under a subdirectory of the repository', () => {
    const objects = [
      application('kelos', 'dist/argocd'),
      application('kelos-crds', 'dist/crds'),
      application('kelos-install', 'infra/fleet/dist/install'),
      applicationSet('dist/apps/*'),
    ];
    expect(argocdPathDiagnostics(objects, 'dist/apps', OUTPUT)).toStrictEqual([]);
  });

  test('an Application or the ApplicationSet on a path synth does not write is a warning naming it and the field', () => {
    const found = argocdPathDiagnostics(
      [
        application('kelos-crds', 'dist/crd'),
        applicationSet('dist/examples/*'),
        applicationSet('dist/crds/*'),
      ],
      'dist/apps',
      OUTPUT,
    );
    expect(found.map((d) => [d.code, d.severity, d.resource?.name, d.path, d.message])).toStrictEqual([
      [
        'argocd/path-not-rendered',
        'warning',
        'kelos-crds',
        '/spec/source/path',
        'Argo CD syncs "dist/crd", which kelos synth does not write in this project; it writes dist/apps, dist/crds, dist/install, dist/argocd',
      ],
      [
        'argocd/path-not-rendered',
        'warning',
        'kelos-apps',
        '/spec/generators/0/git/directories/0/path',
        'the ApplicationSet generates an Application per directory of "dist/examples", but kelos synth writes the apps to dist/apps (kelos.outdir in cdk8s.yaml)',
      ],
      [
        'argocd/path-not-rendered',
        'warning',
        'kelos-apps',
        '/spec/generators/0/git/directories/0/path',
        'the ApplicationSet generates an Application per directory of "dist/crds", but kelos synth writes the apps to dist/apps (kelos.outdir in cdk8s.yaml)',
      ],
    ]);
    expect(found[0]?.source).toStrictEqual({ file: 'dist/argocd/application-kelos-crds.yaml' });
  });

  test('objects of other groups are not read', () => {
    const other = {
      ...application('x', 'nowhere'),
      object: { apiVersion: 'v1', kind: 'Application', spec: {} },
    };
    expect(argocdPathDiagnostics([other], 'dist/apps', OUTPUT)).toStrictEqual([]);
  });
});

describe('Tasks with a TTL in a directory Argo CD syncs', () => {
  const task = (file: string, ttl?: number, annotations?: Record<string, string>): SynthObject => ({
    app: file.split('/')[2] ?? '',
    file,
    object: {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Task',
      metadata: {
        name: file
          .split('/')
          .at(-1)!
          .replace(/\.yaml$/, ''),
        namespace: 'team-a',
        ...(annotations && { annotations }),
      },
      spec: { prompt: 'Fix it.', ...(ttl !== undefined && { ttlSecondsAfterFinished: ttl }) },
    },
  });

  test('a Task with a TTL in an app directory the ApplicationSet generates from, or a path an Application syncs, is a warning at the TTL naming the syncer', () => {
    const found = argocdTaskTtlDiagnostics([
      applicationSet('fleet/dist/apps/*'),
      application('legacy', 'dist/legacy'),
      task('dist/apps/web/task-hourly.yaml', 3600),
      task('dist/legacy/task-old.yaml', 0),
      // No TTL, a TTL the TTL rule already reports (annotated), or a directory nothing syncs.
      task('dist/apps/web/task-kept.yaml'),
      task('dist/apps/web/task-annotated.yaml', 60, { 'kelos.dev/lifecycle': 'git' }),
      task('dist/preview/web/task-sample.yaml', 60),
      task('dist/apps/task-top.yaml', 60),
    ]);
    expect(found.map((d) => [d.code, d.severity, d.resource?.name, d.path, d.source?.file])).toStrictEqual([
      [
        'argocd/task-ttl',
        'warning',
        'task-hourly',
        '/spec/ttlSecondsAfterFinished',
        'dist/apps/web/task-hourly.yaml',
      ],
      [
        'argocd/task-ttl',
        'warning',
        'task-old',
        '/spec/ttlSecondsAfterFinished',
        'dist/legacy/task-old.yaml',
      ],
    ]);
    expect(found[0]?.message).toBe(
      'Argo CD ApplicationSet "kelos-apps" syncs this Task from dist/apps/web (only the path was compared: it names no repoURL): once ttlSecondsAfterFinished deletes it, Argo CD creates it again (at once under selfHeal, else at its next sync) and the agent runs again',
    );
  });

  test("an Argo CD object's repoURL is compared with the repository's remotes, however each is written; when they cannot be told, the path alone decides and the finding says so", () => {
    const set = applicationSet('fleet/dist/apps/*');
    (set.object['spec'] as { generators: Array<{ git: Record<string, unknown> }> }).generators[0]!.git[
      'repoURL'
    ] = 'https://github.com/acme/fleet';
    const objects = [
      set,
      application('legacy', 'dist/legacy'),
      task('dist/apps/web/task-hourly.yaml', 3600),
      task('dist/legacy/task-old.yaml', 0),
    ];
    const synced = (repository: FilesRepository) =>
      argocdTaskTtlDiagnostics(objects, undefined, undefined, () => repository).map(
        (d) => d.message.split(': once')[0],
      );
    expect(
      synced({
        remotes: [
          { name: 'upstream', url: 'https://github.com/kelos-dev/kelos.git' },
          { name: 'origin', url: 'git@github.com:Acme/fleet.git' },
        ],
      }),
    ).toStrictEqual([
      'Argo CD ApplicationSet "kelos-apps" syncs this Task from dist/apps/web of https://github.com/acme/fleet, the repository it is in (its remote "origin")',
      'Argo CD Application "legacy" syncs this Task from dist/legacy of https://github.com/acme/fleet.git, the repository it is in (its remote "origin")',
    ]);
    // Another repository's Argo CD objects on the same paths sync none of these Tasks.
    expect(
      synced({ remotes: [{ name: 'origin', url: 'ssh://git@github.com:22/acme/other.git' }] }),
    ).toStrictEqual([]);
    expect(synced({ unknown: 'the git repository has no remote' })).toStrictEqual([
      'Argo CD ApplicationSet "kelos-apps" syncs this Task from dist/apps/web (only the path was compared, not its repoURL https://github.com/acme/fleet: the git repository has no remote)',
      'Argo CD Application "legacy" syncs this Task from dist/legacy (only the path was compared, not its repoURL https://github.com/acme/fleet.git: the git repository has no remote)',
    ]);
    expect(synced({ remotes: [{ name: 'origin', url: '/srv/git/fleet' }] })[1]).toBe(
      'Argo CD Application "legacy" syncs this Task from dist/legacy (only the path was compared, not its repoURL https://github.com/acme/fleet.git: the git repository\'s remotes are local paths (/srv/git/fleet))',
    );
  });

  test("an app directory the ApplicationSet's generator excludes gets no Application, so its Tasks may expire", () => {
    const set = applicationSet('fleet/dist/apps/*');
    const generator = (set.object['spec'] as { generators: Array<{ git: { directories: unknown[] } }> })
      .generators[0]!;
    generator.git.directories.push(
      { path: 'fleet/dist/apps/once', exclude: true },
      { path: 'fleet/dist/apps/exp-*', exclude: true },
      { path: 'fleet/dist/apps/[z-a]', exclude: true },
    );
    const found = argocdTaskTtlDiagnostics([
      set,
      task('dist/apps/once/task-a.yaml', 60),
      task('dist/apps/exp-1/task-b.yaml', 60),
      task('dist/apps/web/task-c.yaml', 60),
    ]);
    expect(found.map((d) => d.source?.file)).toStrictEqual(['dist/apps/web/task-c.yaml']);
    // Synced by an Application of its own, an excluded app directory is synced all the same.
    expect(
      argocdTaskTtlDiagnostics([
        set,
        application('once', 'dist/apps/once'),
        task('dist/apps/once/task-a.yaml', 60),
      ]).map((d) => d.message.split(' syncs')[0]),
    ).toStrictEqual(['Argo CD Application "once"']);
  });

  test("every git directory pattern Argo CD matches is read as Go's path.Match reads it, per directory of the repository", () => {
    const synced = (path: string) =>
      argocdTaskTtlDiagnostics([
        applicationSet(path),
        task('dist/apps/team-a/task-a.yaml', 60),
        task('dist/apps/web/task-w.yaml', 60),
        task('dist/apps/web/sub/task-s.yaml', 60),
        task('clusters/prod/apps/task-p.yaml', 60),
        task('dist/apps/a*b/task-x.yaml', 60),
      ]).map((d) => d.resource?.name);
    expect(synced('dist/apps/t*')).toStrictEqual(['task-a']);
    expect(synced('fleet/dist/apps/[st]?am-[a-c]')).toStrictEqual(['task-a']);
    expect(synced('dist/apps/[^t]*')).toStrictEqual(['task-w', 'task-x']);
    expect(synced('dist/apps/web')).toStrictEqual(['task-w']);
    // `**` is two `*`, each within one segment: no deeper than `*`.
    expect(synced('dist/apps/**')).toStrictEqual(['task-a', 'task-w', 'task-x']);
    expect(synced('dist/*/*/sub')).toStrictEqual(['task-s']);
    expect(synced('clusters/*/apps')).toStrictEqual(['task-p']);
    expect(synced('dist/apps/a\\*b')).toStrictEqual(['task-x']);
    // Matched as written: a `./`, a trailing `/` or a `//` matches no directory of the repository.
    expect(synced('dist/apps/web/')).toStrictEqual([]);
    expect(synced('./dist/apps/web')).toStrictEqual([]);
    expect(synced('dist//apps/*')).toStrictEqual([]);
    // Patterns Go refuses match nothing, as Argo CD logs and skips them.
    expect(synced('dist/apps/[t')).toStrictEqual([]);
    expect(synced('dist/apps/t\\')).toStrictEqual([]);
    expect(synced('dist/apps/[]]*')).toStrictEqual([]);
  });

  test('git generators a matrix combines, or a merge starts from, generate Applications too', () => {
    const set = (generators: unknown[]): SynthObject => {
      const s = applicationSet('');
      (s.object['spec'] as { generators: unknown[] }).generators = generators;
      return s;
    };
    const git = (path: string) => ({ git: { directories: [{ path }] } });
    const synced = (generators: unknown[]) =>
      argocdTaskTtlDiagnostics([set(generators), task('dist/apps/web/task-w.yaml', 60)]).map(
        (d) => d.resource?.name,
      );
    expect(synced([{ matrix: { generators: [{ clusters: {} }, git('dist/apps/*')] } }])).toStrictEqual([
      'task-w',
    ]);
    expect(
      synced([
        {
          matrix: {
            generators: [{ list: { elements: [] } }, { matrix: { generators: [git('dist/apps/w*')] } }],
          },
        },
      ]),
    ).toStrictEqual(['task-w']);
    expect(synced([{ merge: { generators: [git('dist/apps/*'), { clusters: {} }] } }])).toStrictEqual([
      'task-w',
    ]);
    // A merge's other generators only add parameters to its first one's.
    expect(synced([{ merge: { generators: [{ clusters: {} }, git('dist/apps/*')] } }])).toStrictEqual([]);
  });

  test("a git directory pattern from another generator's parameters is an info naming the ApplicationSet and the path, and leaves its generator unjudged", () => {
    const set = applicationSet('dist/apps/*');
    const spec = set.object['spec'] as { generators: unknown[] };
    spec.generators.push({
      matrix: {
        generators: [
          { git: { directories: [{ path: 'clusters/*' }] } },
          { git: { directories: [{ path: '{{.path.path}}/apps/*' }, { path: 'dist/legacy/*' }] } },
        ],
      },
    });
    const objects = [set, task('dist/apps/web/task-w.yaml', 60), task('dist/legacy/old/task-o.yaml', 60)];
    // The plain generator still judges its directories; the templated one's are left out.
    expect(argocdTaskTtlDiagnostics(objects).map((d) => d.resource?.name)).toStrictEqual(['task-w']);
    expect(
      argocdUnevaluatedPathDiagnostics(objects, (o, pointer) =>
        o === set && pointer.endsWith('/directories/0/path') ? { line: 12, column: 9 } : undefined,
      ),
    ).toStrictEqual([
      {
        severity: 'info',
        code: 'argocd/path-not-evaluated',
        path: '/spec/generators/1/matrix/generators/1/git/directories/0/path',
        message:
          'ApplicationSet "kelos-apps" generates Applications from the git directories "{{.path.path}}/apps/*", a template of generator parameters that cannot be told offline: argocd/task-ttl and argocd/namespace-missing do not judge the directories this generator generates Applications for',
        hint: 'to have them judged, name the directories in the generator (dist/apps/*) and keep the parameters to the template',
        resource: {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'ApplicationSet',
          name: 'kelos-apps',
          namespace: 'argocd',
        },
        source: { file: 'dist/argocd/applicationset-kelos-apps.yaml', line: 12, column: 9 },
      },
    ]);
    // An exclude of that kind may exclude any directory: the generator is left out the same.
    const excluded = applicationSet('dist/apps/*');
    (
      excluded.object['spec'] as { generators: Array<{ git: { directories: unknown[] } }> }
    ).generators[0]!.git.directories.push({ path: '{{.name}}', exclude: true });
    expect(argocdTaskTtlDiagnostics([excluded, task('dist/apps/web/task-w.yaml', 60)])).toStrictEqual([]);
    expect(argocdUnevaluatedPathDiagnostics([excluded]).map((d) => d.message.split(',')[0])).toStrictEqual([
      'ApplicationSet "kelos-apps" excludes the git directories "{{.name}}"',
    ]);
  });

  test('the finding is at the TTL in the rendered file, with the construct that made the Task', () => {
    const made = { ...task('dist/apps/web/task-hourly.yaml', 3600), constructPath: 'web/hourly' };
    const [found] = argocdTaskTtlDiagnostics([applicationSet('dist/apps/*'), made], (o, pointer) =>
      o === made && pointer === '/spec/ttlSecondsAfterFinished' ? { line: 9, column: 3 } : undefined,
    );
    expect(found?.source).toStrictEqual({
      file: 'dist/apps/web/task-hourly.yaml',
      line: 9,
      column: 3,
      constructPath: 'web/hourly',
    });
  });

  test('without Argo CD objects in the project nothing is reported', () => {
    expect(argocdTaskTtlDiagnostics([task('dist/apps/web/task-hourly.yaml', 3600)])).toStrictEqual([]);
  });
});

describe('kelos check on a plain YAML tree that Argo CD syncs', () => {
  const TASK = (name: string) => `apiVersion: kelos.dev/v1alpha2
kind: Task
metadata:
  name: ${name}
spec:
  prompt: Fix it
  worker:
    type: codex
    credentials: {type: none}
    podOverrides: {activeDeadlineSeconds: 3600}
  ttlSecondsAfterFinished: 3600
`;
  const APPS = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: team, namespace: argocd}
spec:
  source: {repoURL: 'https://github.com/acme/fleet.git', path: manifests/team}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: deep, namespace: argocd}
spec:
  source: {repoURL: 'https://github.com/acme/fleet.git', path: manifests/deep, directory: {recurse: true}}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: kz, namespace: argocd}
spec:
  source: {repoURL: 'https://github.com/acme/fleet.git', path: manifests/kz}
`;

  test('a Task with a TTL where an Application syncs it is argocd/task-ttl at the TTL, as synth says', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'kelos-argo-'));
    execFileSync('git', ['init', '-q', repo]);
    const files: Record<string, string> = {
      'argocd/apps.yaml': APPS,
      'manifests/team/task.yaml': TASK('synced'),
      'manifests/other/task.yaml': TASK('not-synced'),
      'manifests/deep/sub/task.yaml': TASK('recursed'),
      'manifests/kz/kustomization.yaml': 'resources: [tasks/task.yaml]\n',
      'manifests/kz/tasks/task.yaml': TASK('kustomized'),
    };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(repo, path)), { recursive: true });
      await writeFile(join(repo, path), text);
    }
    // From inside the tree: Argo CD's paths are the repository's.
    const run = await kelos(['check', '.', '--beside', '../argocd', '--format', 'json'], {
      cwd: join(repo, 'manifests'),
    });
    const report = JSON.parse(run.stdout) as {
      diagnostics: Array<{
        code: string;
        path: string;
        message: string;
        source?: { file: string; line?: number };
      }>;
    };
    const ttl = report.diagnostics.filter((d) => d.code === 'argocd/task-ttl');
    expect(ttl.map((d) => [d.source?.file, d.source?.line, d.path])).toStrictEqual([
      ['deep/sub/task.yaml', 11, '/spec/ttlSecondsAfterFinished'],
      ['kz/tasks/task.yaml', 11, '/spec/ttlSecondsAfterFinished'],
      ['team/task.yaml', 11, '/spec/ttlSecondsAfterFinished'],
    ]);
    expect(ttl[2]?.message).toBe(
      'Argo CD Application "team" syncs this Task from manifests/team (only the path was compared, not its repoURL https://github.com/acme/fleet.git: the git repository has no remote): once ttlSecondsAfterFinished deletes it, Argo CD creates it again (at once under selfHeal, else at its next sync) and the agent runs again',
    );
    // Without the Argo CD objects, nothing says the tree is synced.
    const alone = await kelos(['check', '.', '--format', 'json'], { cwd: join(repo, 'manifests') });
    expect(alone.stdout).not.toContain('argocd/task-ttl');
  });

  test("an ApplicationSet over dist/apps/* does not sync manifests/ in a git repository (kelos new's layout)", async () => {
    const repo = await mkdtemp(join(tmpdir(), 'kelos-argo-'));
    execFileSync('git', ['init', '-q', repo]);
    const files: Record<string, string> = {
      'dist/argocd/apps.yaml': `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: kelos-apps, namespace: argocd}
spec:
  goTemplate: true
  generators:
    - git: {repoURL: 'https://github.com/acme/fleet.git', revision: HEAD, directories: [{path: 'dist/apps/*'}]}
  template:
    metadata: {name: 'kelos-app-{{.path.basename}}'}
    spec:
      project: default
      source: {repoURL: 'https://github.com/acme/fleet.git', path: '{{.path.path}}'}
      destination: {server: 'https://kubernetes.default.svc', namespace: default}
`,
      'manifests/task.yaml': TASK('loose'),
      'dist/apps/web/task.yaml': TASK('rendered'),
    };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(repo, path)), { recursive: true });
      await writeFile(join(repo, path), text);
    }
    const ttlFiles = async (paths: string[]) =>
      (
        JSON.parse(
          (await kelos(['check', ...paths, '--beside', 'dist/argocd', '--format', 'json'], { cwd: repo }))
            .stdout,
        ) as {
          diagnostics: Array<{ code: string; source?: { file: string } }>;
        }
      ).diagnostics
        .filter((d) => d.code === 'argocd/task-ttl')
        .map((d) => d.source?.file);
    expect(await ttlFiles(['manifests/'])).toStrictEqual([]);
    // The directory the pattern does name is still told.
    expect(await ttlFiles(['dist/apps/'])).toStrictEqual(['dist/apps/web/task.yaml']);
  });

  test('an ApplicationSet beside the tree whose git directories are manifests/t* syncs manifests/team; one from parameters is an info at its path', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'kelos-argo-'));
    execFileSync('git', ['init', '-q', repo]);
    const files: Record<string, string> = {
      'argocd/apps.yaml': `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: teams, namespace: argocd}
spec:
  goTemplate: true
  generators:
    - git:
        repoURL: https://github.com/acme/fleet.git
        directories: [{path: manifests/t*}]
    - matrix:
        generators:
          - clusters: {}
          - git:
              repoURL: https://github.com/acme/fleet.git
              directories: [{path: '{{.name}}/*'}]
  template:
    metadata: {name: '{{.path.basename}}'}
    spec:
      project: default
      source: {repoURL: 'https://github.com/acme/fleet.git', path: '{{.path.path}}'}
      destination: {server: 'https://kubernetes.default.svc', namespace: default}
`,
      'manifests/team/task.yaml': TASK('synced'),
      'manifests/other/task.yaml': TASK('not-synced'),
    };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(repo, path)), { recursive: true });
      await writeFile(join(repo, path), text);
    }
    const run = await kelos(['check', 'manifests', '--beside', 'argocd', '--format', 'json'], { cwd: repo });
    const report = JSON.parse(run.stdout) as {
      diagnostics: Array<{
        code: string;
        severity: string;
        path: string;
        message: string;
        source?: { file: string; line?: number };
      }>;
    };
    expect(
      report.diagnostics
        .filter((d) => d.code.startsWith('argocd/'))
        .map((d) => [d.code, d.severity, d.source?.file, d.source?.line, d.path]),
    ).toStrictEqual([
      [
        'argocd/path-not-evaluated',
        'info',
        'argocd/apps.yaml',
        15,
        '/spec/generators/1/matrix/generators/1/git/directories/0/path',
      ],
      ['argocd/task-ttl', 'warning', 'manifests/team/task.yaml', 11, '/spec/ttlSecondsAfterFinished'],
    ]);
    expect(report.diagnostics.find((d) => d.code === 'argocd/task-ttl')?.message).toMatch(
      /^Argo CD ApplicationSet "teams" syncs this Task from manifests\/team \(only the path was compared/,
    );
  });

  test("an Application of another repository on the same path syncs none of the tree's Tasks: its repoURL is compared with the repository's git remotes", async () => {
    const repo = await mkdtemp(join(tmpdir(), 'kelos-argo-'));
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args]);
    git('init', '-q');
    const files: Record<string, string> = {
      'argocd/apps.yaml': `${APPS.split('---')[0]}---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: mirror, namespace: argocd}
spec:
  source: {repoURL: 'https://github.com/acme/other.git', path: manifests/mirror}
`,
      'manifests/team/task.yaml': TASK('synced'),
      'manifests/mirror/task.yaml': TASK('mirrored'),
    };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(repo, path)), { recursive: true });
      await writeFile(join(repo, path), text);
    }
    const ttl = async () => {
      const run = await kelos(['check', 'manifests', '--beside', 'argocd', '--format', 'json'], {
        cwd: repo,
      });
      return (
        JSON.parse(run.stdout) as {
          diagnostics: Array<{ code: string; message: string; source?: { file: string } }>;
        }
      ).diagnostics
        .filter((d) => d.code === 'argocd/task-ttl')
        .map((d) => `${d.source?.file}: ${d.message.split(': once')[0]}`);
    };
    // The ssh form of the remote names the repository the https repoURL does.
    git('remote', 'add', 'origin', 'git@github.com:acme/fleet.git');
    expect(await ttl()).toStrictEqual([
      'manifests/team/task.yaml: Argo CD Application "team" syncs this Task from manifests/team of https://github.com/acme/fleet.git, the repository it is in (its remote "origin")',
    ]);
    // With no remote to compare with, the path alone decides, as the finding says.
    git('remote', 'remove', 'origin');
    expect(await ttl()).toStrictEqual([
      'manifests/mirror/task.yaml: Argo CD Application "mirror" syncs this Task from manifests/mirror (only the path was compared, not its repoURL https://github.com/acme/other.git: the git repository has no remote)',
      'manifests/team/task.yaml: Argo CD Application "team" syncs this Task from manifests/team (only the path was compared, not its repoURL https://github.com/acme/fleet.git: the git repository has no remote)',
    ]);
  });

  test('an Application path is read as Argo CD joins it to the repository: ./ is the root; an absolute one or one leaving the repository syncs nothing', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'kelos-argo-'));
    execFileSync('git', ['init', '-q', repo]);
    const app = (name: string, path: string) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: ${name}, namespace: argocd}
spec:
  source: {repoURL: 'https://github.com/acme/fleet.git', path: '${path}'}
`;
    const files: Record<string, string> = {
      'argocd/apps.yaml': [
        app('root', './'),
        // Argo CD: "/manifests/team: app path is absolute", "../fleet/manifests/other: app path outside root".
        app('absolute', '/manifests/team'),
        app('outside', '../fleet/manifests/other'),
      ].join('---\n'),
      'task.yaml': TASK('at-root'),
      'manifests/team/task.yaml': TASK('team'),
      'manifests/other/task.yaml': TASK('other'),
    };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(repo, path)), { recursive: true });
      await writeFile(join(repo, path), text);
    }
    const run = await kelos(['check', 'task.yaml', 'manifests', '--beside', 'argocd', '--format', 'json'], {
      cwd: repo,
    });
    const found = (
      JSON.parse(run.stdout) as {
        diagnostics: Array<{ code: string; message: string; source?: { file: string } }>;
      }
    ).diagnostics.filter((d) => d.code === 'argocd/task-ttl');
    expect(found.map((d) => `${d.source?.file}: ${d.message.split(' (only')[0]}`)).toStrictEqual([
      'task.yaml: Argo CD Application "root" syncs this Task from .',
    ]);
  });
});

describe("an ApplicationSet destination namespace with the git generator's path parameters", () => {
  test("each template language reads its own form, after pathParamPrefix; Normalized is Argo CD's SanitizeName", () => {
    const go = { goTemplate: true, prefix: '' };
    const fast = { goTemplate: false, prefix: '' };
    expect(
      resolvedNamespace('{{.app.path.basename}}', 'dist/apps/web', { goTemplate: true, prefix: 'app.' }),
    ).toBe('web');
    expect(
      resolvedNamespace('{{app.path.basename}}', 'dist/apps/web', { goTemplate: false, prefix: 'app.' }),
    ).toBe('web');
    expect(
      resolvedNamespace('{{.path.basename}}', 'dist/apps/web', { goTemplate: true, prefix: 'app.' }),
    ).toBe(undefined);
    // Lower case, [^-a-z0-9.] to '-', then '-' and '.' trimmed at both ends.
    expect(resolvedNamespace('{{.path.basenameNormalized}}', 'dist/apps/_My_Team.', go)).toBe('my-team');
    expect(resolvedNamespace('{{path.basenameNormalized}}', 'dist/apps/_My_Team.', fast)).toBe('my-team');
    // An Application's namespace is not a template.
    expect(resolvedNamespace('web', 'dist/apps/web')).toBe('web');
    expect(resolvedNamespace('{{path.basename}}', 'dist/apps/web')).toBe(undefined);
  });
});
