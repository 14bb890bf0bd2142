/**
 * `install/namespace-unwatched`: a project whose KelosInstall watches only some namespaces
 * (watchNamespaces) and deploys Kelos objects into another is told so by synth and check, at
 * each such object: nothing reconciles it, and Argo CD's health of a Task, TaskSpawner or
 * TaskBudget stays Progressing, so the app's later sync waves never sync.
 */
import { describe, expect, test } from 'vitest';
import { kelos, projectsDisposedAfterEach, scaffoldedProject } from './project.ts';

const make = projectsDisposedAfterEach();

/** The project `kelos new` writes, its KelosInstall given `install` as props. */
const scaffolded = (install?: string) => {
  const p = scaffoldedProject(make);
  if (install !== undefined)
    p.write(
      'deploy/install.ts',
      p
        .read('deploy/install.ts')
        .replace("new KelosInstall(scope, 'kelos', {});", `new KelosInstall(scope, 'kelos', ${install});`),
    );
  return p;
};

const unwatched = (stdout: string) =>
  stdout.split('\n').filter((l) => l.includes('install/namespace-unwatched'));

describe('install/namespace-unwatched', { timeout: 120_000 }, () => {
  test('the scaffold with watchNamespaces: [team-a] warns at each Kelos object of its app, which the ApplicationSet sends to default; synth and check agree', async () => {
    const p = scaffolded("{ watchNamespaces: ['team-a'] }");
    const synth = await kelos(['synth', '--verbose'], p.root);
    expect(synth.code).toBe(0);
    const found = synth.stdout.split('\n').filter((l) => l.includes('watches only "team-a"'));
    // The issue worker's Workspace, AgentConfig, TaskBudget and TaskSpawner.
    expect(found).toHaveLength(4);
    expect(found.join('\n')).toContain(
      'warning TaskSpawner my-repo-issue-worker app issue-worker deploys it into namespace "default" (it names none: it lands in the destination namespace of Argo CD ApplicationSet "kelos-apps"), which no Kelos operator of this project watches (the operator Deployment kelos-system/kelos-operator of bundle install watches only "team-a"): nothing reconciles it, and Argo CD\'s health of the TaskSpawner stays Progressing, so its app\'s later sync waves never sync',
    );
    expect(found.join('\n')).toContain(
      'warning Workspace my-repo app issue-worker deploys it into namespace "default"',
    );
    const check = await kelos(['check', '--format', 'json'], p.root);
    expect(check.stdout.match(/"install\/namespace-unwatched"/g)).toHaveLength(4);
  });

  test('kelos check dist/, the CI form, reports it from the rendered install and apps, and not once the namespace is watched', async () => {
    const p = scaffolded("{ watchNamespaces: ['team-a'] }");
    expect((await kelos(['synth'], p.root)).code).toBe(0);
    const check = await kelos(['check', 'dist/'], p.root);
    const found = unwatched(check.stdout);
    expect(found).toHaveLength(4);
    expect(check.stdout).toContain(
      'TaskSpawner my-repo-issue-worker\n  warning kustomization dist/apps/issue-worker deploys it into namespace "default" (it names none: it lands in the destination namespace of Argo CD ApplicationSet "kelos-apps"), which no Kelos operator of this project watches (the operator Deployment kelos-system/kelos-operator of kustomization dist/install watches only "team-a"): nothing reconciles it, and Argo CD\'s health of the TaskSpawner stays Progressing, so its app\'s later sync waves never sync [install/namespace-unwatched]\n          at dist/apps/issue-worker/taskspawner-my-repo-issue-worker.yaml:2:1',
    );
    // The fifth: nothing creates team-a (argocd/namespace-missing), as synth says too.
    expect(check.stdout).toContain('0 errors, 5 warnings');
    expect(check.code).toBe(0);
    // The apps checked, the install beside them: the operator there still counts.
    const beside = await kelos(['check', 'dist/apps', '--beside', 'dist/install', 'dist/argocd'], p.root);
    expect(unwatched(beside.stdout)).toHaveLength(4);

    const watched = scaffolded("{ watchNamespaces: ['default', 'team-a'] }");
    expect((await kelos(['synth'], watched.root)).code).toBe(0);
    const clean = await kelos(['check', 'dist/'], watched.root);
    expect(unwatched(clean.stdout)).toStrictEqual([]);
    expect(clean.stdout).toContain('0 errors, 1 warning,');
  });

  test('an install that watches every namespace, or the namespace the objects land in, is not reported', async () => {
    for (const install of [undefined, "{ watchNamespaces: ['default', 'team-a'] }"]) {
      const p = scaffolded(install);
      const synth = await kelos(['synth'], p.root);
      expect(synth.code).toBe(0);
      expect(unwatched(synth.stdout)).toStrictEqual([]);
    }
  });
});
