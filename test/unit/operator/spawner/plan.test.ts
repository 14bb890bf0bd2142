import { describe, expect, test } from 'vitest';
import type { Task, TaskSpawner } from '../../../../src/api/object.ts';
import { planSpawn } from '../../../../src/operator/spawner/plan.ts';
import { buildTask, taskName } from '../../../../src/operator/spawner/task-build.ts';
import type { WorkItem } from '../../../../src/operator/spawner/work-item.ts';
import { nameFromTemplate } from '../../../../src/validate/templates.ts';

const spawner = (
  over: Partial<TaskSpawner['spec']> = {},
  status: TaskSpawner['status'] = {},
): TaskSpawner => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'TaskSpawner',
  metadata: { name: 'fixer', namespace: 'team', uid: 'uid-1' },
  spec: {
    when: { githubIssues: { labels: ['needs-implementation'] } },
    taskTemplate: {
      worker: {
        type: 'claude-code',
        credentials: { type: 'api-key', secretRef: { name: 'k' } },
        workspaceRef: { name: 'ws' },
      },
    },
    ...over,
  },
  status,
});

const item = (id: string, over: Partial<WorkItem> = {}): WorkItem => ({
  id,
  number: Number(id) || 0,
  title: `Title ${id}`,
  body: `Body ${id}`,
  url: `https://github.com/acme/widgets/issues/${id}`,
  labels: [],
  comments: '',
  kind: 'Issue',
  annotations: { 'kelos.dev/source-kind': 'issue', 'kelos.dev/source-number': id },
  ...over,
});

const task = (
  name: string,
  phase?: string,
  over: Partial<Task['metadata']> = {},
  completionTime?: string,
): Task => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'Task',
  metadata: {
    name,
    labels: { 'kelos.dev/taskspawner': 'fixer' },
    ownerReferences: [
      {
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'TaskSpawner',
        name: 'fixer',
        uid: 'uid-1',
        controller: true,
      },
    ],
    ...over,
  },
  spec: { prompt: 'x' },
  status: phase ? { phase, completionTime } : undefined,
});

describe('task names', () => {
  test('default <spawner>-<id>, lowercased and sanitised; long names keep a hash', () => {
    expect(taskName(spawner(), item('42'))).toEqual({ ok: true, value: 'fixer-42' });
    expect(taskName(spawner(), item('ENG_42'))).toEqual({ ok: true, value: 'fixer-eng-42' });
    const long = 'x'.repeat(80);
    const a = taskName(spawner(), item(`${long}a`));
    const b = taskName(spawner(), item(`${long}b`));
    expect(a.ok && a.value.length).toBe(63);
    expect(a.ok && b.ok && a.value !== b.value).toBe(true);
  });

  test('nameTemplate: rendered, lowercased, [^a-z0-9.-] → -, cut to 63; .Context and <no value> refused', () => {
    const s = (nameTemplate: string) =>
      spawner({ taskTemplate: { ...spawner().spec.taskTemplate, nameTemplate } });
    expect(taskName(s('Fix {{.Kind}} #{{.Number}}'), item('7'))).toEqual({ ok: true, value: 'fix-issue--7' });
    expect(taskName(s(`{{.Title}}${'y'.repeat(70)}`), item('7'))).toMatchObject({
      ok: true,
      value: expect.stringMatching(/^title-7y+$/),
    });
    expect(taskName(s('{{.Context.x}}'), item('7'))).toEqual({
      ok: false,
      error: 'spec.taskTemplate.nameTemplate: must not reference .Context',
    });
    expect(taskName(s('{{.Nope}}'), item('7'))).toMatchObject({
      ok: false,
      error: expect.stringContaining('Nope'),
    });
    expect(taskName(s('-{{.ID}}'), item('7'))).toMatchObject({
      ok: false,
      error: expect.stringContaining('not a DNS-1123 name'),
    });
  });
});

describe('task names, code point by code point as upstream (Go runes, simple lower case)', () => {
  const s = spawner({
    taskTemplate: { ...spawner().spec.taskTemplate, nameTemplate: 'i{{.ID}}-{{.Title}}' },
  });
  test('an emoji is one -, not one per UTF-16 half', () => {
    expect(taskName(s, item('5', { title: '🐛 fix crash' }))).toEqual({ ok: true, value: 'i5---fix-crash' });
  });
  test('İ lowers to i, as Go strings.ToLower (JavaScript gives i + U+0307)', () => {
    expect(taskName(s, item('6', { title: 'İstanbul bug' }))).toEqual({ ok: true, value: 'i6-istanbul-bug' });
  });
  test('the cut to 63 lands where upstream cuts', () => {
    const title = `${'🚀'.repeat(10)}${'x'.repeat(60)}`;
    expect(taskName(s, item('7', { title }))).toEqual({
      ok: true,
      value: `i7-${'-'.repeat(10)}${'x'.repeat(50)}`,
    });
  });
  test('the preview and the offline check name alike', () => {
    expect(nameFromTemplate('i5-🐛 fix crash İ')).toEqual({ name: 'i5---fix-crash-i', valid: true });
  });
});

describe('buildTask', () => {
  test('renders prompt, branch and metadata over upstream variables; owner, labels and source annotations', () => {
    const s = spawner({
      taskTemplate: {
        ...spawner().spec.taskTemplate,
        promptTemplate:
          'Fix #{{.Number}}: {{.Title}}\n{{.Body}}\nLabels: {{.Labels}}\nCtx: {{.Context.spec}}',
        branch: 'kelos/issue-{{.Number}}',
        metadata: {
          labels: {
            team: '{{.Kind}}',
            'kelos.dev/taskspawner': 'spoofed',
            'kelos.dev/spawner-credential': 'x',
          },
          annotations: { 'kelos.dev/source-kind': 'user', note: '{{.URL}}' },
        },
        contextSources: [{ name: 'spec', http: { url: 'https://example.com' } }],
        ttlSecondsAfterFinished: 60,
      },
      when: { githubIssues: { reporting: { comments: { mode: 'Sticky' } } } },
    });
    const r = buildTask(s, item('7', { labels: ['bug', 'p1'] }), {
      name: 'fixer-7',
      context: { spec: 'SPEC' },
      upstreamRepo: 'acme/widgets',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.metadata).toEqual({
      name: 'fixer-7',
      namespace: 'team',
      labels: { team: 'Issue', 'kelos.dev/taskspawner': 'fixer' },
      annotations: {
        'kelos.dev/source-kind': 'issue',
        'kelos.dev/source-number': '7',
        note: 'https://github.com/acme/widgets/issues/7',
        'kelos.dev/github-reporting': 'enabled',
        'kelos.dev/github-comment-mode': 'Sticky',
      },
      ownerReferences: [
        {
          apiVersion: 'kelos.dev/v1alpha2',
          kind: 'TaskSpawner',
          name: 'fixer',
          uid: 'uid-1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    expect(r.value.spec).toEqual({
      worker: {
        type: 'claude-code',
        credentials: { type: 'api-key', secretRef: { name: 'k' } },
        workspaceRef: { name: 'ws' },
      },
      prompt: 'Fix #7: Title 7\nBody 7\nLabels: bug, p1\nCtx: SPEC',
      branch: 'kelos/issue-7',
      upstreamRepo: 'acme/widgets',
      ttlSecondsAfterFinished: 60,
    });
  });

  test('default prompt is the title; cron variables; credentials from the pool get the label', () => {
    const s = spawner({
      when: { cron: { schedule: '0 * * * *' } },
      taskTemplate: {
        worker: { type: 'codex' },
        promptTemplate: 'run at {{.Time}} for {{.Schedule}} ({{.ID}})',
      },
      credentials: [
        { name: 'a', type: 'api-key', secretRef: { name: 'sa' } },
        { name: 'b', type: 'oauth', secretRef: { name: 'sb' } },
      ],
    });
    const tick = item('20260101-0100', {
      time: new Date('2026-01-01T01:00:00Z'),
      schedule: '0 * * * *',
      annotations: {},
    });
    const r = buildTask(s, tick, { name: 'n', pickCredential: () => 1 });
    expect(r.ok && r.value.spec).toEqual({
      worker: { type: 'codex', credentials: { type: 'oauth', secretRef: { name: 'sb' } } },
      prompt: 'run at 2026-01-01T01:00:00Z for 0 * * * * (20260101-0100)',
    });
    expect(r.ok && r.value.metadata.labels).toEqual({
      'kelos.dev/taskspawner': 'fixer',
      'kelos.dev/spawner-credential': 'b',
    });
    expect(buildTask(spawner(), item('1'), { name: 'n' })).toMatchObject({
      ok: true,
      value: { spec: { prompt: 'Title 1' } },
    });
  });

  test('a template error names the field', () => {
    const s = spawner({ taskTemplate: { ...spawner().spec.taskTemplate, branch: '{{.Missing}}' } });
    expect(buildTask(s, item('1'), { name: 'n' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^spec\.taskTemplate\.branch: .*Missing/),
    });
  });
});

describe('planSpawn', () => {
  test('creates Tasks for new items only, bounded by maxTotalTasks; counts active, admitted and queued', () => {
    const s = spawner({ maxConcurrency: 3, maxTotalTasks: 5 }, { totalTasksCreated: 3 });
    const existing = [task('fixer-1', 'Running'), task('fixer-2', 'Waiting'), task('fixer-3', 'Succeeded')];
    const plan = planSpawn({
      spawner: s,
      items: ['1', '2', '3', '4', '5', '6'].map((i) => item(i)),
      exhaustive: true,
      existing,
    });
    expect(plan.create.map((c) => c.name)).toEqual(['fixer-4', 'fixer-5']);
    expect(plan.counts).toEqual({
      discovered: 6,
      active: 2,
      admitted: 1,
      queued: 1,
      deferred: 1,
      maxTotalReached: true,
    });
  });

  test('the queue bound limits what a first poll of a busy repository creates', () => {
    const s = spawner({ maxConcurrency: 3 });
    const items = Array.from({ length: 500 }, (_, i) => item(String(i + 1)));
    const plan = planSpawn({ spawner: s, items, exhaustive: true, existing: [] });
    expect(plan.create).toHaveLength(10);
    expect(plan.counts.deferred).toBe(490);
    const later = planSpawn({
      spawner: s,
      items,
      exhaustive: true,
      existing: plan.create.map((c) => task(c.name)),
      queueLimit: 12,
    });
    expect(later.create.map((c) => c.name)).toEqual(['fixer-11', 'fixer-12']);
  });

  test('priorityLabels order new items before the caps apply', () => {
    const s = spawner({ when: { githubIssues: { priorityLabels: ['p0', 'p1'] } }, maxTotalTasks: 2 });
    const items = [
      item('1'),
      item('2', { labels: ['P1'] }),
      item('3', { labels: ['p0'] }),
      item('4', { labels: ['p1'] }),
    ];
    expect(
      planSpawn({ spawner: s, items, exhaustive: true, existing: [] }).create.map((c) => c.item.id),
    ).toEqual(['3', '2']);
  });

  test('a queued Task whose item went away is withdrawn; not when discovery was partial; admitted Tasks never', () => {
    const existing = [
      task('fixer-1', 'Waiting'),
      task('fixer-2'),
      task('fixer-3', 'Running'),
      task('fixer-4', 'Waiting'),
    ];
    const plan = planSpawn({ spawner: spawner(), items: [item('4')], exhaustive: true, existing });
    expect(plan.withdraw.map((t) => t.metadata.name)).toEqual(['fixer-1', 'fixer-2']);
    expect(
      planSpawn({ spawner: spawner(), items: [item('4')], exhaustive: false, existing }).withdraw,
    ).toEqual([]);
  });

  test('a Task whose Job exists is admitted before its status says so: never withdrawn, not counted as queued', () => {
    const existing = [task('fixer-1', 'Waiting'), task('fixer-2')];
    const plan = planSpawn({
      spawner: spawner(),
      items: [],
      exhaustive: true,
      existing,
      hasJob: (name) => name === 'fixer-2',
    });
    expect(plan.withdraw.map((t) => t.metadata.name)).toEqual(['fixer-1']);
    expect([plan.counts.admitted, plan.counts.queued]).toEqual([1, 1]);
  });

  test('retrigger only a finished Task whose item has a newer authorized trigger', () => {
    const done = '2026-01-01T10:00:00Z';
    const existing = [
      task('fixer-1', 'Succeeded', {}, done),
      task('fixer-2', 'Failed', {}, done),
      task('fixer-3', 'Running'),
      task('fixer-4', 'Succeeded', {}, done),
    ];
    const later = new Date('2026-01-01T11:00:00Z');
    const items = [
      item('1', { triggerTime: later }),
      item('2', { triggerTime: later }),
      item('3', { triggerTime: later }),
      item('4', { triggerTime: new Date('2026-01-01T09:00:00Z') }),
    ];
    const plan = planSpawn({ spawner: spawner(), items, exhaustive: true, existing });
    expect(plan.retrigger.map((r) => r.name)).toEqual(['fixer-1', 'fixer-2']);
    expect(plan.create).toEqual([]);
  });

  test('a name taken by a Task of another owner is a collision, never adopted; ownerless labelled Tasks belong', () => {
    const existing = [
      task('fixer-1', 'Running', {
        ownerReferences: [
          { apiVersion: 'v1', kind: 'TaskSpawner', name: 'x', uid: 'other', controller: true },
        ],
      }),
      task('fixer-2', 'Running', { ownerReferences: [] }),
    ];
    const plan = planSpawn({ spawner: spawner(), items: [item('1'), item('2')], exhaustive: true, existing });
    expect(plan.collisions.map((c) => c.name)).toEqual(['fixer-1']);
    expect(plan.create).toEqual([]);
    expect(plan.counts.active).toBe(1);
  });
});
