import { afterEach, describe, expect, test } from 'vitest';
import type { Diagnostic } from '../../../src/validate/diagnostic.ts';
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

describe('findings on construct-made objects', { timeout: 60_000 }, () => {
  test('a validation and a policy finding point at the app line that created the object, the rendered line second', async () => {
    const p = project({
      warn: appSource(
        [
          "  const ws = K.Workspace.fromWorkspaceName(scope, 'ws', 'ws');",
          '  new K.TaskSpawner(scope, "hook", {',
          "    metadata: { name: 'hook' },",
          "    when: { githubWebhook: { events: ['push', 'issues'] } },",
          "    taskTemplate: { worker: { type: 'codex', credentials: { type: 'none' }, workspace: ws }, promptTemplate: 'Fix #{{.Number}}' },",
          '  });',
        ].join('\n'),
      ),
    });
    projects.push(p);
    const run = await kelos(['synth', '--format', 'json'], p.root);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { diagnostics: Diagnostic[] };
    const template = report.diagnostics.find((d) => d.code === 'template/conditional-field');
    expect(template?.source).toMatchObject({
      file: 'apps/warn/main.ts',
      line: 4,
      constructPath: 'warn/hook',
      rendered: { file: 'dist/apps/warn/taskspawner-hook.yaml' },
    });
    expect(template?.source?.rendered?.line).toBeGreaterThan(1);
    const policy = report.diagnostics.find((d) => d.code === 'budget/spawner-max-total-tasks');
    expect(policy?.source).toMatchObject({ file: 'apps/warn/main.ts', line: 4 });
    const text = await kelos(['synth', '--check'], p.root);
    expect(text.stdout).toMatch(
      /^apps\/warn\/main\.ts:4:\d+: warning TaskSpawner hook \/spec\/taskTemplate\/promptTemplate: \.Number is not always set/m,
    );
    expect(text.stdout).toMatch(/^ {4}rendered at dist\/apps\/warn\/taskspawner-hook\.yaml:\d+:\d+$/m);
  });
});
