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
    // Line 7 of the module: the import, `export default`, the Workspace, the spawner's `new`
    // line and three lines of its props, the last one setting the template.
    expect(run.stdout).toContain('apps/bad/main.ts:7:');
    expect(run.stdout).toContain(
      '/spec/taskTemplate/promptTemplate: .Titel is not a variable of a githubIssues source (template line 1, column 8); did you mean ".Title"?',
    );
    expect(p.files('dist')).toStrictEqual([]);
  });

  test("the template check's hint comes with the construct's error: the variables there are, when none is near", async () => {
    const p = project({
      hook: appSource(
        [
          '  new K.TaskSpawner(scope, "hook", {',
          "    metadata: { name: 'hook' },",
          "    when: { webhook: { source: 'am', secretRef: { name: 'h' }, fieldMapping: { id: '$.id', sev: '$.labels.severity' } } },",
          "    taskTemplate: { worker: { type: 'codex', credentials: { type: 'none' } }, promptTemplate: 'Look at {{.severity}}' },",
          '  });',
        ].join('\n'),
      ),
    });
    projects.push(p);
    const run = await kelos(['synth'], p.root);
    expect(run.stdout).toContain(
      'apps/hook/main.ts:6:79: error TaskSpawner hook /spec/taskTemplate/promptTemplate: .severity is not a variable of a webhook source (template line 1, column 11) [construct/invalid]\n    hint: known here: .Kind, .Payload, .id, .sev, .ID, .Title, .Body, .URL\n',
    );
    expect(run.code).toBe(2);
  });
});

describe('synth checks the metadata of spawned Tasks', { timeout: 60_000 }, () => {
  test("an IssueWorker's taskLabels key that is no label key fails synth; a free-text label value warns", async () => {
    const p = project({
      labels: appSource(
        [
          "  const ws = K.Workspace.fromWorkspaceName(scope, 'ws', 'ws');",
          "  new K.IssueWorker(scope, 'issues', {",
          "    metadata: { name: 'issues' }, workspace: ws, botLogin: 'bot', credentials: { type: 'none' },",
          "    taskLabels: { team: 'web', title: '{{.Title}}', 'bad key!': 'x' },",
          '  });',
        ].join('\n'),
      ),
    });
    projects.push(p);
    const run = await kelos(['synth', '--preview'], p.root);
    expect(run.code).toBe(2);
    // At the key of the label in the pattern's taskLabels (was the `new K.IssueWorker` line, 4).
    expect(run.stdout).toMatch(
      /^apps\/labels\/main\.ts:6:53: error TaskSpawner issues \/spec\/taskTemplate\/metadata\/labels\/bad key!: task label key "bad key!" must be a qualified name: .*; the API server accepts the TaskSpawner but refuses every Task it spawns \[spawner\/label-key\]$/m,
    );
    expect(run.stdout).toMatch(
      /^apps\/labels\/main\.ts:6:32: warning TaskSpawner issues \/spec\/taskTemplate\/metadata\/labels\/title: task label value template prints \.Title, which is free text \(it renders "Fix the flaky login test" for a sample githubIssues item\)/m,
    );
    expect(p.files('dist')).toStrictEqual([]);
  });
});

describe('findings on construct-made objects', { timeout: 60_000 }, () => {
  test('a validation finding points at the prop, a policy finding on an unset field at the line that created the object, the rendered line second', async () => {
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
      line: 7,
      constructPath: 'warn/hook',
      rendered: { file: 'dist/apps/warn/taskspawner-hook.yaml' },
    });
    expect(template?.source?.rendered?.line).toBeGreaterThan(1);
    const policy = report.diagnostics.find((d) => d.code === 'budget/spawner-max-total-tasks');
    expect(policy?.source).toMatchObject({ file: 'apps/warn/main.ts', line: 4 });
    const text = await kelos(['synth', '--check'], p.root);
    expect(text.stdout).toMatch(
      /^apps\/warn\/main\.ts:7:\d+: warning TaskSpawner hook \/spec\/taskTemplate\/promptTemplate: \.Number is not always set/m,
    );
    expect(text.stdout).toMatch(/^ {4}rendered at dist\/apps\/warn\/taskspawner-hook\.yaml:\d+:\d+$/m);
  });
});
