import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { K8sType } from '../../../src/api/k8s/index.ts';
import { parseConfig } from '../../../src/compiler/config.ts';
import { synthesize } from '../../../src/compiler/synth.ts';
import { defaultAgentImage } from '../../../src/render/input.ts';
import { appSource, kelos, projectsDisposedAfterEach, TEST_CONFIG } from './project.ts';

const make = projectsDisposedAfterEach();

const APP = appSource(
  [
    "  const ws = new K.Workspace(scope, 'ws', { metadata: { name: 'repo' }, repo: 'https://github.com/a/b.git' });",
    "  new K.Task(scope, 't', { metadata: { name: 'fix' }, worker: { type: 'codex', credentials: { type: 'api-key', secretRef: { name: 'key' } }, workspace: ws }, prompt: 'fix it' });",
    "  new K.TaskSpawner(scope, 's', { metadata: { name: 'issues' }, when: { githubIssues: {} }, taskTemplate: { worker: { type: 'codex', credentials: { type: 'api-key', secretRef: { name: 'key' } }, workspace: ws }, promptTemplate: 'Fix #{{.Number}}: {{.Title}}', branch: 'kelos/{{.Number}}' } });",
  ].join('\n'),
);

const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as unknown);

describe('synth preview', { timeout: 60_000 }, () => {
  test('kelos.preview: true and false, or a directory', () => {
    expect(parseConfig('kelos: {preview: true}').previewDir).toBe('dist/preview');
    expect(parseConfig('kelos: {preview: out/jobs}').previewDir).toBe('out/jobs');
    expect(parseConfig('kelos: {}').previewDir).toBeUndefined();
    expect(() => parseConfig('kelos: {preview: 3}')).toThrow(
      'kelos.preview must be true, false or a directory',
    );
  });

  test('is written only when asked for, outside the kustomization', async () => {
    const p = make({ app: APP });
    const off = await synthesize({ root: p.root });
    expect(off.files.some((f) => f.path.startsWith('dist/preview/'))).toBe(false);
    const on = await synthesize({ root: p.root, preview: true });
    expect(on.status).toBe('ok');
    expect(on.files.map((f) => f.path).filter((f) => f.startsWith('dist/preview/'))).toStrictEqual([
      'dist/preview/app/task-fix.job.yaml',
      'dist/preview/app/taskspawner-issues.sample.yaml',
    ]);
    const kustomization = parse(on.files.find((f) => f.path === 'dist/apps/app/kustomization.yaml')!.content);
    expect(JSON.stringify(kustomization)).not.toContain('preview');
  });

  test('renders the Job of a Task whose Workspace another app deploys into its namespace', async () => {
    const p = make({
      shared: appSource(
        "  new K.Workspace(scope, 'ws', { metadata: { name: 'svc' }, repo: 'https://github.com/a/svc.git' });",
      ),
      hooks: appSource(
        [
          "  const ws = K.Workspace.fromWorkspaceName(scope, 'ws', 'svc');",
          "  new K.Task(scope, 't', { metadata: { name: 'fix' }, worker: { type: 'codex', credentials: { type: 'none' }, workspace: ws }, prompt: 'fix it' });",
        ].join('\n'),
      ),
    });
    const on = await synthesize({ root: p.root, preview: true });
    expect(on.diagnostics.filter((d) => d.code.startsWith('preview/'))).toStrictEqual([]);
    const [job] = docs(
      on.files.find((f) => f.path === 'dist/preview/hooks/task-fix.job.yaml')!.content,
    ) as K8sType<'Job'>[];
    expect(JSON.stringify(job!.spec!.template.spec!.initContainers)).toContain(
      'https://github.com/a/svc.git',
    );
  });

  test("shows the Job the operator's render makes of each Task: image, command, env names, mounts, security context", async () => {
    const p = make({ app: APP });
    const on = await synthesize({ root: p.root, preview: true });
    const [job] = docs(
      on.files.find((f) => f.path === 'dist/preview/app/task-fix.job.yaml')!.content,
    ) as K8sType<'Job'>[];
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'fix' } });
    const agent = job!.spec!.template.spec!.containers[0]!;
    expect(agent.image).toBe(defaultAgentImage('codex', {}));
    expect(agent.securityContext).toMatchObject({ allowPrivilegeEscalation: false, runAsNonRoot: true });
    expect(agent.env?.map((e) => e.name)).toContain('KELOS_AGENT_TYPE');
    expect(agent.volumeMounts?.length).toBeGreaterThan(0);
  });

  test('shows the agent NetworkPolicy that will select the Job’s Pod', async () => {
    const p = make({ app: APP });
    const on = await synthesize({ root: p.root, preview: true });
    const content = on.files.find((f) => f.path === 'dist/preview/app/task-fix.job.yaml')!.content;
    // As a comment: the namespace's Jobs share it, and the operator, not Argo CD, writes it.
    const [job, ...rest] = docs(content) as [K8sType<'Job'>, ...unknown[]];
    expect(rest.some((d) => (d as { kind?: string })?.kind === 'NetworkPolicy')).toBe(false);
    const block = content.slice(content.indexOf('# ---\n')).replace(/^# ?/gm, '');
    const [policy] = docs(block.replace(/^---\n/, '')) as [K8sType<'NetworkPolicy'>];
    expect(policy).toMatchObject({ kind: 'NetworkPolicy', metadata: { name: 'kelos-agent-isolation' } });
    expect(policy.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    for (const [k, v] of Object.entries(policy.spec?.podSelector?.matchLabels ?? {}))
      expect(job.spec?.template.metadata?.labels?.[k]).toBe(v);
  });

  test('a TaskSpawner gets one sample Task, from a sample item of its source, and its Job', async () => {
    const p = make({ app: APP });
    const on = await synthesize({ root: p.root, preview: true });
    const [task, job] = docs(
      on.files.find((f) => f.path === 'dist/preview/app/taskspawner-issues.sample.yaml')!.content,
    );
    expect(task).toMatchObject({
      kind: 'Task',
      metadata: { name: 'issues-42', labels: { 'kelos.dev/taskspawner': 'issues' } },
      spec: { prompt: 'Fix #42: Fix the flaky login test', branch: 'kelos/42' },
    });
    expect(job).toMatchObject({ kind: 'Job', metadata: { name: 'issues-42' } });
  });

  test("the sample item is of the spawner's repository: the Workspace's host, or the source's repo", async () => {
    const p = make({
      app: appSource(
        [
          "  const ws = new K.Workspace(scope, 'ws', { metadata: { name: 'repo' }, repo: 'https://ghe.example.com/acme/widgets.git' });",
          "  const worker = { type: 'codex' as const, credentials: { type: 'api-key' as const, secretRef: { name: 'key' } }, workspace: ws };",
          "  new K.TaskSpawner(scope, 's', { metadata: { name: 'issues' }, when: { githubIssues: {} }, taskTemplate: { worker, promptTemplate: 'See {{.URL}}' } });",
          "  new K.TaskSpawner(scope, 'p', { metadata: { name: 'prs' }, when: { githubPullRequests: { repo: 'acme/gadgets' } }, taskTemplate: { worker, promptTemplate: 'See {{.URL}}' } });",
          "  new K.TaskSpawner(scope, 'w', { metadata: { name: 'hooks' }, when: { githubWebhook: { events: ['issues'], repository: 'acme/tools' } }, taskTemplate: { worker, promptTemplate: '{{.Repository}} {{.URL}}' } });",
        ].join('\n'),
      ),
    });
    const on = await synthesize({ root: p.root, preview: true });
    const prompt = (name: string) =>
      (
        docs(
          on.files.find((f) => f.path === `dist/preview/app/taskspawner-${name}.sample.yaml`)!.content,
        )[0] as {
          spec: { prompt: string };
        }
      ).spec.prompt;
    expect(prompt('issues')).toBe('See https://ghe.example.com/acme/widgets/issues/42');
    expect(prompt('prs')).toBe('See https://ghe.example.com/acme/gadgets/pull/7');
    expect(prompt('hooks')).toBe('acme/tools https://ghe.example.com/acme/tools/issues/42');
  });

  test('a preview --preview wrote is removed by the next plain synth, and --check calls it stale', async () => {
    const p = make({ app: APP });
    expect((await kelos(['synth', '--preview'], p.root)).code).toBe(0);
    expect(p.files('dist/preview')).toHaveLength(2);
    // kelos.preview is off: the output of a plain run has no preview, so the old one is stale.
    const check = await kelos(['synth', '--check'], p.root);
    expect(check.code).toBe(2);
    expect(check.stdout).toContain(
      [
        'dist/preview/app/task-fix.job.yaml: extra',
        'dist/preview/app/taskspawner-issues.sample.yaml: extra',
      ].join('\n'),
    );
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('2 removed');
    expect(p.files('dist/preview')).toStrictEqual([]);
    expect(existsSync(join(p.root, 'dist/preview'))).toBe(false);
    expect((await kelos(['synth', '--check'], p.root)).code).toBe(0);
  });

  test('synth --check covers the preview: an edited preview file is drift', async () => {
    const p = make({ app: APP }, `${TEST_CONFIG}  preview: true\n`);
    expect((await kelos(['synth'], p.root)).code).toBe(0);
    expect((await kelos(['synth', '--check'], p.root)).code).toBe(0);
    p.write('dist/preview/app/task-fix.job.yaml', 'edited\n');
    const check = await kelos(['synth', '--check'], p.root);
    expect(check.code).toBe(2);
    expect(check.stdout).toContain('dist/preview/app/task-fix.job.yaml');
  });
});
