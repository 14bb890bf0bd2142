import { afterEach, describe, expect, test } from 'vitest';
import { appSource, kelos, type Project, project } from './project.ts';

const projects: Project[] = [];
afterEach(() => {
  for (const p of projects.splice(0)) p.dispose();
});

describe('synth checks templates', { timeout: 60_000 }, () => {
  test('a construct with a template that cannot render fails synth at the line of the app that sets it', async () => {
    const p = project({
      bad: appSource(
        [
          "  const ws = K.Workspace.fromWorkspaceName(scope, 'ws', 'ws');",
          '  new K.TaskSpawner(scope, "fix", {',
          "    metadata: { name: 'fix' },",
          '    when: { githubIssues: {} },',
          "    taskTemplate: { worker: { type: 'codex', credentials: { type: 'none' }, workspace: ws }, promptTemplate: 'Fix: {{.Titel}}' },",
          '  });',
        ].join('\n'),
      ),
    });
    projects.push(p);
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(2);
    // Line 4 of the module: the import, `export default`, the Workspace, then the spawner.
    expect(run.stdout).toContain('apps/bad/main.ts:4:');
    expect(run.stdout).toContain(
      '/spec/taskTemplate/promptTemplate: .Titel is not a variable of a githubIssues source (template line 1, column 8); did you mean ".Title"?',
    );
    expect(p.files('dist')).toStrictEqual([]);
  });
});
