import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Task, TaskSpawner } from '../../../src/api/index.ts';
import type { ApiObject } from '../../../src/kube/client.ts';
import { createOutboundFetch } from '../../../src/operator/outbound.ts';
import { ReportState } from '../../../src/operator/reconcilers/task-spawner/reporting.ts';
import { Resources } from '../../../src/operator/resources.ts';
import { tickId } from '../../../src/operator/spawner/sources/cron.ts';
import { FakeGitHub } from '../../support/fake-github.ts';
import { apiError } from '../../support/fake-kube.ts';
import {
  finishTask,
  NS,
  newTask,
  startTaskOperator,
  T0,
  type TaskOperator,
} from '../../support/task-operator.ts';

const LABEL = 'needs-implementation';

const spawnerOf = (
  name: string,
  issues: Record<string, unknown> = {},
  extra: Partial<TaskSpawner['spec']> = {},
): TaskSpawner =>
  ({
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'TaskSpawner',
    metadata: { name },
    spec: {
      when: { githubIssues: { labels: [LABEL], pollInterval: '1m', ...issues } },
      taskTemplate: {
        worker: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: 'repo' } },
        promptTemplate: 'Fix #{{.Number}}: {{.Title}}\n\n{{.Body}}',
      },
      ...extra,
    },
  }) as TaskSpawner;

describe('TaskSpawner reconciler over the fake API server and a fake GitHub', () => {
  let op: TaskOperator;
  let gh: FakeGitHub;
  /** Called with each URL the spawners fetch, before the request goes out. */
  let beforeFetch: ((url: string) => void) | undefined;
  /** Whether the replica holds the leader Lease, as the reconciler is told. */
  let leading = true;
  beforeEach(async () => {
    gh = await FakeGitHub.start();
    gh.tokens.add('t0k');
    beforeFetch = undefined;
    leading = true;
    const outbound = createOutboundFetch({ allowPrivate: true, allowInsecure: true });
    op = await startTaskOperator({
      spawners: {
        fetch: (url, init) => {
          beforeFetch?.(String(url));
          return outbound(url, init);
        },
        githubApiUrl: gh.baseUrl,
        leading: () => leading,
      },
    });
    await op.create('Secret', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'gh' },
      data: { GITHUB_TOKEN: Buffer.from('t0k').toString('base64') },
    } as ApiObject);
    await createWorkspace('repo', 'gh');
  });
  afterEach(async () => {
    await op.stop();
    await gh.close();
    expect(op.logs.filter((l) => l.includes('"level":"error"'))).toEqual([]);
  });

  const spawnerStatus = (name: string) => op.kube.peek<TaskSpawner>(Resources.TaskSpawner, NS, name)?.status;
  const condition = (name: string, type: string) =>
    spawnerStatus(name)?.conditions?.find((c) => c.type === type);
  const tasks = () => op.kube.objects<Task>(Resources.Task, NS);
  const finish = (name: string, exitCode = 0, message?: string) => finishTask(op, name, exitCode, message);
  /** Creates Workspace `name` of acme/widgets, its token in Secret `secret` (none: no secretRef). */
  const createWorkspace = (name: string, secret?: string) =>
    op.create('Workspace', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Workspace',
      metadata: { name },
      spec: { repo: 'https://github.com/acme/widgets.git', ...(secret && { secretRef: { name: secret } }) },
    } as ApiObject);

  it('turns labelled issues into Tasks with rendered prompts, and admits maxConcurrency of them', async () => {
    const a = gh.addIssue({ title: 'Crash on start', body: 'Stack trace here', labels: [LABEL] });
    gh.addIssue({ title: 'Not for us', labels: ['question'] });
    const b = gh.addIssue({ title: 'Slow page', labels: [LABEL] });
    const c = gh.addIssue({ title: 'Typo', labels: [LABEL] });
    const sp = await op.create('TaskSpawner', spawnerOf('fixer', {}, { maxConcurrency: 2 }));

    expect(
      tasks()
        .map((t) => t.metadata.name)
        .sort(),
    ).toEqual([`fixer-${a}`, `fixer-${b}`, `fixer-${c}`]);
    const ta = op.task(`fixer-${a}`)!;
    expect(ta.spec.prompt).toBe(`Fix #${a}: Crash on start\n\nStack trace here`);
    expect(ta.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'TaskSpawner',
      uid: sp.metadata.uid,
      controller: true,
    });
    expect(ta.metadata.annotations).toMatchObject({
      'kelos.dev/source-kind': 'issue',
      'kelos.dev/source-number': String(a),
      'kelos.dev/spawner-sequence': expect.stringMatching(/^[123]$/),
    });
    expect(ta.spec.upstreamRepo).toBe('acme/widgets');

    // Two Jobs; the third Task waits and says why.
    const withJob = tasks().filter((t) => op.job(t.metadata.name ?? ''));
    expect(withJob).toHaveLength(2);
    const waiting = tasks().find((t) => !op.job(t.metadata.name ?? ''))!;
    expect(waiting.status?.phase).toBe('Waiting');
    expect(waiting.status?.conditions?.find((c) => c.type === 'SpawnerCapacity')).toMatchObject({
      status: 'True',
      reason: 'MaxConcurrencyReached',
    });
    expect(spawnerStatus('fixer')).toMatchObject({
      phase: 'Running',
      // What the cap counts: two admitted; the third is queued, not active.
      activeTasks: 2,
      queuedItems: 1,
      totalTasksCreated: 3,
      totalDiscovered: 3,
    });

    // One finishes: the waiting one gets its Job.
    await finish(withJob[0]!.metadata.name!);
    expect(op.job(waiting.metadata.name!)).toBeDefined();
    expect(op.task(waiting.metadata.name!)?.status?.phase).toBe('Pending');
    expect(spawnerStatus('fixer')).toMatchObject({ activeTasks: 2, queuedItems: 0 });
  });

  it('reports a name taken by a Task it does not own as a DiscoveryError and leaves that Task alone', async () => {
    const n = gh.addIssue({ title: 'Taken', labels: [LABEL] });
    const squatter = await op.create('Task', newTask(`fixer-${n}`));
    await op.create('TaskSpawner', spawnerOf('fixer'));
    expect(condition('fixer', 'DiscoveryError')).toMatchObject({
      status: 'True',
      reason: 'TaskNameCollision',
    });
    expect(op.task(`fixer-${n}`)?.metadata.uid).toBe(squatter.metadata.uid);
    expect(spawnerStatus('fixer')?.totalTasksCreated).toBe(0);
  });

  it('an item whose Task the API server refuses is reported, and the items after it still get theirs', async () => {
    const a = gh.addIssue({ title: 'One', labels: [LABEL] });
    const b = gh.addIssue({ title: 'Two', labels: [LABEL] });
    const c = gh.addIssue({ title: 'Three', labels: [LABEL] });
    // The middle one, whichever way the items are ordered.
    const refused = op.kube.inject({
      verb: 'create',
      resource: 'Task',
      name: `fixer-${b}`,
      // Refused however often it is tried, as a label the title renders into is.
      times: 1000,
      error: apiError(
        422,
        'Invalid',
        `Task.kelos.dev "fixer-${b}" is invalid: metadata.labels: Invalid value`,
      ),
    });
    await op.create('TaskSpawner', spawnerOf('fixer'));
    expect(refused.remaining).toBeLessThan(1000);
    expect(
      tasks()
        .map((t) => t.metadata.name)
        .sort(),
    ).toEqual([`fixer-${a}`, `fixer-${c}`]);
    expect(condition('fixer', 'DiscoveryError')).toMatchObject({
      status: 'True',
      reason: 'TaskRejected',
      message: `item ${b}: Task ${NS}/fixer-${b}: 422 Invalid: Task.kelos.dev "fixer-${b}" is invalid: metadata.labels: Invalid value`,
    });
  });

  it('an item whose rendered branch git refuses gets no Task but a DiscoveryError, and gets its Task once the template is fixed', async () => {
    const bad = gh.addIssue({ title: 'Fix the login test', labels: [LABEL] });
    const good = gh.addIssue({ title: 'retries', labels: [LABEL] });
    const sp = spawnerOf('fixer');
    sp.spec.taskTemplate.branch = 'kelos/{{.Title}}';
    await op.create('TaskSpawner', sp);
    expect(tasks().map((t) => [t.metadata.name, t.spec.branch])).toEqual([
      [`fixer-${good}`, 'kelos/retries'],
    ]);
    expect(condition('fixer', 'DiscoveryError')).toMatchObject({
      status: 'True',
      reason: 'TaskTemplateFailed',
      message: `item ${bad}: spec.taskTemplate.branch rendered "kelos/Fix the login test" is not a valid git branch name: it holds a space (no git name holds white space, a control character or any of ~ ^ : ? * [ \\)`,
    });
    await op.kube.mergePatch(Resources.TaskSpawner, NS, 'fixer', {
      spec: { taskTemplate: { branch: 'kelos/issue-{{.Number}}' } },
    });
    await op.settle();
    expect(op.task(`fixer-${bad}`)?.spec.branch).toBe(`kelos/issue-${bad}`);
  });

  it('restores totalTasksCreated from the serial numbers of its Tasks and stops at maxTotalTasks', async () => {
    gh.addIssue({ labels: [LABEL] });
    gh.addIssue({ labels: [LABEL] });
    gh.addIssue({ labels: [LABEL] });
    const sp = await op.create('TaskSpawner', spawnerOf('capped', {}, { suspend: true, maxTotalTasks: 2 }));
    // As if a process created Task #2 and died before writing the status.
    const orphan = newTask('capped-old');
    orphan.metadata.annotations = { 'kelos.dev/spawner-sequence': '2' };
    orphan.metadata.ownerReferences = [
      {
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'TaskSpawner',
        name: 'capped',
        uid: sp.metadata.uid ?? '',
        controller: true,
      },
    ];
    await op.create('Task', orphan);
    await op.kube.mergePatch(Resources.TaskSpawner, NS, 'capped', { spec: { suspend: false } });
    await op.settle();
    expect(tasks().map((t) => t.metadata.name)).toEqual(['capped-old']);
    expect(spawnerStatus('capped')).toMatchObject({ totalTasksCreated: 2 });
    expect(condition('capped', 'MaxTotalTasksReached')).toMatchObject({
      status: 'True',
      reason: 'LimitReached',
    });
  });

  it('suspends: no Tasks while suspended, created on resume', async () => {
    gh.addIssue({ labels: [LABEL] });
    await op.create('TaskSpawner', spawnerOf('sleepy', {}, { suspend: true }));
    expect(tasks()).toEqual([]);
    expect(spawnerStatus('sleepy')?.phase).toBe('Suspended');
    expect(condition('sleepy', 'Suspended')).toMatchObject({ status: 'True', reason: 'UserSuspended' });
    expect(gh.count({ path: '/repos/' })).toBe(0);
    await op.kube.mergePatch(Resources.TaskSpawner, NS, 'sleepy', { spec: { suspend: false } });
    await op.settle();
    expect(tasks()).toHaveLength(1);
    expect(spawnerStatus('sleepy')?.phase).toBe('Running');
  });

  it('retriggers a finished Task when an authorized trigger comment is newer than its completion', async () => {
    gh.permissions.set('maintainer', 'write');
    const n = gh.addIssue({ labels: [LABEL] });
    gh.comment(n, 'maintainer', '/kelos go');
    await op.create(
      'TaskSpawner',
      spawnerOf('again', { commentPolicy: { triggerComment: '/kelos go', minimumPermission: 'write' } }),
    );
    const first = op.task(`again-${n}`)!;
    await finish(first.metadata.name!);
    expect(op.task(`again-${n}`)?.status?.phase).toBe('Succeeded');

    // An unauthorized trigger, newer than the completion, does nothing.
    gh.setTime(T0 + 86_400_000);
    op.clock.advance(60_000);
    gh.comment(n, 'drive-by', '/kelos go');
    op.clock.advance(60_000);
    await op.settle();
    expect(op.task(`again-${n}`)?.metadata.uid).toBe(first.metadata.uid);

    // Then a maintainer asks again.
    gh.comment(n, 'maintainer', '/kelos go');
    op.clock.advance(60_000);
    await op.settle();
    await op.settle();
    const second = op.task(`again-${n}`);
    expect(second?.metadata.uid).not.toBe(first.metadata.uid);
    expect(spawnerStatus('again')?.totalTasksCreated).toBe(2);
  });

  it('stops posting reports once the leader Lease is lost mid-pass, and the next leader posts the rest', async () => {
    const issues = [1, 2, 3].map(() => gh.addIssue({ labels: [LABEL] }));
    // The Lease is lost while the first comment is being posted (a POST has no query; the
    // search for an earlier comment has one).
    beforeFetch = (url) => {
      if (/\/issues\/\d+\/comments$/.test(url)) leading = false;
    };
    await op.create('TaskSpawner', spawnerOf('fenced', { reporting: { comments: { mode: 'PerTask' } } }));
    await op.settle();
    const posts = () => gh.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/comments'));
    expect(posts()).toHaveLength(1);
    expect(
      op.logs.some((l) => l.includes('Reporting stopped: this replica no longer holds the leader Lease')),
    ).toBe(true);

    // Leading again (or another replica leading): the rest are reported, the first not twice.
    beforeFetch = undefined;
    leading = true;
    op.clock.advance(60_000);
    await op.settle();
    expect(posts()).toHaveLength(3);
    for (const n of issues)
      expect(op.task(`fenced-${n}`)?.metadata.annotations?.[ReportState.Phase]).toBe('accepted');
  });

  it('reports a Task through its phases in one comment, and a restart before the state write does not post twice', async () => {
    const n = gh.addIssue({ labels: [LABEL] });
    await op.create('TaskSpawner', spawnerOf('loud', { reporting: { comments: { mode: 'PerTask' } } }));
    const name = `loud-${n}`;
    const posts = () => gh.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/comments'));
    expect(posts()).toHaveLength(1);
    const id = op.task(name)?.metadata.annotations?.[ReportState.CommentId];
    expect(op.task(name)?.metadata.annotations?.[ReportState.Phase]).toBe('accepted');

    // Lose the report state, as a crash between the POST and the annotation write would.
    await op.kube.mergePatch(Resources.Task, NS, name, {
      metadata: { annotations: { [ReportState.CommentId]: null, [ReportState.Phase]: null } },
    });
    // The next pass (here: the poll timer) reports again.
    await op.settle();
    op.clock.advance(60_000);
    await op.settle();
    expect(posts()).toHaveLength(1);
    expect(op.task(name)?.metadata.annotations?.[ReportState.CommentId]).toBe(id);

    await finish(
      name,
      0,
      '---KELOS_OUTPUTS_START---\npr: https://github.com/acme/widgets/pull/9\n---KELOS_OUTPUTS_END---\n',
    );
    await op.settle();
    expect(posts()).toHaveLength(1);
    expect(op.task(name)?.metadata.annotations?.[ReportState.Phase]).toBe('succeeded');
    const patches = gh.requests.filter(
      (r) => r.method === 'PATCH' && r.path.includes(`/issues/comments/${id}`),
    );
    expect(patches.length).toBeGreaterThanOrEqual(2);
  });

  it('withdraws a queued Task whose issue lost its label, and never runs it; the admitted one runs on', async () => {
    const a = gh.addIssue({ labels: [LABEL] });
    const b = gh.addIssue({ labels: [LABEL] });
    await op.create('TaskSpawner', spawnerOf('tidy', {}, { maxConcurrency: 1 }));
    const admitted = tasks().find((t) => op.job(t.metadata.name ?? ''))!;
    const queued = tasks().find((t) => !op.job(t.metadata.name ?? ''))!;
    expect(queued.status?.phase).toBe('Waiting');
    gh.update(queued.metadata.name === `tidy-${a}` ? a : b, { labels: [] });
    op.clock.advance(60_000);
    await op.settle();
    expect(tasks().map((t) => t.metadata.name)).toEqual([admitted.metadata.name]);
    expect(op.job(queued.metadata.name ?? '')).toBeUndefined();
    expect(op.events('tidy')).toContain(
      `TaskWithdrawn: Queued Task ${queued.metadata.name} deleted before it ran: its item no longer matches`,
    );
    // Counted all the same: it was created.
    expect(spawnerStatus('tidy')?.totalTasksCreated).toBe(2);
  });

  it('does not withdraw a queued Task whose Job the API server holds though the Job cache does not show it yet', async () => {
    const a = gh.addIssue({ labels: [LABEL] });
    const b = gh.addIssue({ labels: [LABEL] });
    await op.create('TaskSpawner', spawnerOf('racy', {}, { maxConcurrency: 1 }));
    const queued = tasks().find((t) => !op.job(t.metadata.name ?? ''))!;
    expect(queued.status?.phase).toBe('Waiting');
    // Admitted a moment ago: its Job is created, its status not written yet, and the caches
    // have not seen the Job (it lacks the label they select on, so they never will here).
    await op.kube.create(Resources.Job, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: queued.metadata.name,
        namespace: NS,
        ownerReferences: [
          {
            apiVersion: 'kelos.dev/v1alpha2',
            kind: 'Task',
            name: queued.metadata.name,
            uid: queued.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: { template: { spec: { containers: [] } } },
    } as ApiObject);
    gh.update(queued.metadata.name === `racy-${a}` ? a : b, { labels: [] });
    op.clock.advance(60_000);
    await op.settle();
    expect(op.task(queued.metadata.name ?? '')?.metadata.uid).toBe(queued.metadata.uid);
    expect(op.events('racy').filter((e) => e.startsWith('TaskWithdrawn'))).toEqual([]);
    expect(
      op.logs.some((l) =>
        l.includes(`Queued Task ${NS}/${queued.metadata.name} not withdrawn: it was admitted meanwhile`),
      ),
    ).toBe(true);
  });

  it('a queued Task whose item one listing of several pages missed (the list changed between page reads) is not withdrawn', async () => {
    // 150 issues, newest first: page 1 is #150..#51, page 2 #50..#1. #49 (p0) runs, #50 (p1)
    // waits. Closing #150 between the page reads moves #50 onto page 1, already read.
    for (let i = 1; i <= 150; i++) {
      gh.addIssue({ labels: [LABEL, ...(i === 49 ? ['p0'] : i === 50 ? ['p1'] : [])] });
    }
    await op.create(
      'TaskSpawner',
      spawnerOf('paged', { priorityLabels: ['p0', 'p1'] }, { maxConcurrency: 1 }),
    );
    expect(op.job('paged-49')).toBeDefined();
    expect(op.task('paged-50')?.status?.phase).toBe('Waiting');
    expect(op.task('paged-150')?.status?.phase).toBe('Waiting');
    beforeFetch = (url) => {
      if (url.includes('/issues?') && url.includes('page=2')) {
        beforeFetch = undefined;
        gh.update(150, { state: 'closed' });
      }
    };
    op.clock.advance(60_000);
    await op.settle();
    expect(beforeFetch).toBeUndefined(); // the race happened
    expect(op.task('paged-50')?.status?.phase).toBe('Waiting');
    expect(op.events('paged').filter((e) => e.startsWith('TaskWithdrawn'))).toEqual([]);
    // The next listing finds #50 again; it is the first to miss #150, the one after confirms.
    op.clock.advance(60_000);
    await op.settle();
    expect(op.task('paged-50')?.status?.phase).toBe('Waiting');
    expect(op.task('paged-150')?.status?.phase).toBe('Waiting');
    op.clock.advance(60_000);
    await op.settle();
    expect(op.task('paged-50')?.status?.phase).toBe('Waiting');
    expect(op.task('paged-150')).toBeUndefined();
    expect(op.events('paged').filter((e) => e.startsWith('TaskWithdrawn'))).toEqual([
      'TaskWithdrawn: Queued Task paged-150 deleted before it ran: its item no longer matches',
    ]);
  });

  it('honours Retry-After: no request until then, the limit in status', async () => {
    gh.addIssue({ labels: [LABEL] });
    gh.refusals.push({ status: 429, retryAfter: 120 });
    await op.create('TaskSpawner', spawnerOf('polite'));
    expect(condition('polite', 'DiscoveryError')).toMatchObject({ status: 'True', reason: 'RateLimited' });
    const sent = gh.requests.length;
    op.clock.advance(60_000);
    await op.settle();
    expect(gh.requests.length).toBe(sent);
    expect(tasks()).toEqual([]);
    op.clock.advance(60_000);
    await op.settle();
    expect(tasks()).toHaveLength(1);
    expect(condition('polite', 'DiscoveryError')).toMatchObject({ status: 'False', reason: 'NoErrors' });
  });

  it('polls with a GitHub App installation token minted from the Workspace Secret', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const b64 = (v: string) => Buffer.from(v).toString('base64');
    await op.create('Secret', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'app' },
      data: { appID: b64('42'), installationID: b64('7'), privateKey: b64(pem) },
    } as ApiObject);
    await createWorkspace('app-repo', 'app');
    gh.tokens.delete('t0k'); // only minted tokens are accepted now
    const n = gh.addIssue({ labels: [LABEL] });
    const sp = spawnerOf('apped');
    sp.spec.taskTemplate.worker!.workspaceRef = { name: 'app-repo' };
    await op.create('TaskSpawner', sp);
    expect(op.task(`apped-${n}`)).toBeDefined();
    // One token for the spawner, one for the Task's Job.
    const mints = gh.count({ path: '/app/installations/7/access_tokens', status: 201 });
    expect(mints).toBe(2);
    // The next poll reuses the spawner's token: no further mint.
    op.clock.advance(60_000);
    await op.settle();
    expect(gh.count({ path: '/app/installations/7/access_tokens' })).toBe(mints);
    expect(gh.count({ status: 401 })).toBe(0);
  });

  it('a token GitHub refuses (401): the status names the host, the Secret as namespace/name and its key', async () => {
    gh.tokens.delete('t0k');
    gh.tokens.add('another');
    await op.create('TaskSpawner', spawnerOf('denied'));
    await op.settle();
    const host = new URL(gh.baseUrl).host;
    const message = spawnerStatus('denied')?.message ?? '';
    expect(message).toMatch(/^GitHub API \/repos\/acme\/widgets\/issues\S*: HTTP 401: Bad credentials; /);
    expect(message).toContain(
      `; GitHub at ${host} refused the token: check key GITHUB_TOKEN of Secret ${NS}/gh (Workspace ${NS}/repo spec.secretRef)`,
    );
    expect(op.events('denied').join('\n')).toContain(`check key GITHUB_TOKEN of Secret ${NS}/gh`);

    // Without a Secret there was no token to refuse: the message says why none was sent.
    await createWorkspace('anonymous');
    const anon = spawnerOf('anon');
    anon.spec.taskTemplate.worker!.workspaceRef = { name: 'anonymous' };
    await op.create('TaskSpawner', anon);
    await op.settle();
    expect(spawnerStatus('anon')?.message).toContain(
      `; GitHub at ${host} asks for a token and none was sent: Workspace ${NS}/anonymous names no spec.secretRef`,
    );
  });

  it('a Workspace whose Secret does not exist: a setup error naming the Workspace, its field and the Secret', async () => {
    await createWorkspace('nosecret', 'gone');
    const sp = spawnerOf('orphan');
    sp.spec.taskTemplate.worker!.workspaceRef = { name: 'nosecret' };
    await op.create('TaskSpawner', sp);
    await op.settle();
    expect(spawnerStatus('orphan')).toMatchObject({
      phase: 'Failed',
      message: `Workspace nosecret spec.secretRef: Secret ${NS}/gone does not exist`,
    });
  });

  it('a polling source whose setup fails is tried again at its poll interval, at most every 30 s', async () => {
    await createWorkspace('nosecret', 'gone');
    const tries = (name: string) =>
      op.logs.filter((l) => l.includes(`"key":"${NS}/${name}"`) && l.includes('Source not ready: ')).length;
    const at = async (name: string, pollInterval: string) => {
      const sp = spawnerOf(name, { pollInterval });
      sp.spec.taskTemplate.worker!.workspaceRef = { name: 'nosecret' };
      await op.create('TaskSpawner', sp);
      await op.settle();
    };
    await at('slow', '5m');
    await at('fast', '10s');
    expect([tries('slow'), tries('fast')]).toEqual([1, 1]);
    // Every 10 s: the 10s spawner each time; the 5m one at 30 s (not at 15 s, the webhook
    // spawners' recheck, nor at 5 minutes).
    for (const want of [
      [1, 2],
      [1, 3],
      [2, 4],
    ]) {
      op.clock.advance(10_000);
      await op.settle();
      expect([tries('slow'), tries('fast')]).toEqual(want);
    }
  });

  it('a spawner applied before its Workspace polls as soon as the Workspace appears, not at its next retry', async () => {
    const gi = gh.addIssue({ title: 'Crash on start', labels: [LABEL] });
    const sp = spawnerOf('early');
    sp.spec.taskTemplate.worker!.workspaceRef = { name: 'later' };
    await op.create('TaskSpawner', sp);
    await op.settle();
    expect(spawnerStatus('early')).toMatchObject({
      phase: 'Failed',
      message: `Workspace ${NS}/later does not exist`,
    });
    // No time passes: the Workspace's ADDED event alone brings the poll.
    await createWorkspace('later', 'gh');
    await op.settle();
    expect(spawnerStatus('early')?.phase).toBe('Running');
    expect(tasks().map((t) => t.metadata.name)).toEqual([`early-${gi}`]);
  });

  it('cron: a schedule that does not parse is a setup error (phase Failed) naming the field, until fixed', async () => {
    await op.create('TaskSpawner', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      metadata: { name: 'badcron' },
      spec: {
        when: { cron: { schedule: '61 * * * *' } },
        taskTemplate: { worker: { type: 'claude-code', credentials: { type: 'none' } } },
      },
    } as TaskSpawner);
    await op.settle();
    expect(spawnerStatus('badcron')).toMatchObject({
      phase: 'Failed',
      message:
        'spec.when.cron.schedule: invalid cron schedule "61 * * * *": end of range (61) above maximum (59): 61',
    });
    expect(condition('badcron', 'DiscoveryError')).toMatchObject({ status: 'True', reason: 'SetupFailed' });
    await op.kube.mergePatch(Resources.TaskSpawner, NS, 'badcron', {
      spec: { when: { cron: { schedule: '0 * * * *' } } },
    });
    await op.settle();
    expect(spawnerStatus('badcron')).toMatchObject({ phase: 'Running' });
    expect(spawnerStatus('badcron')?.message).toBeUndefined();
  });

  it("a template that names a WorkerPool: phase Failed with the Task reconciler's words, no Task at any tick, until fixed", async () => {
    await op.create('TaskSpawner', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      metadata: { name: 'pooled' },
      spec: {
        when: { cron: { schedule: '* * * * *' } },
        taskTemplate: { workerPoolRef: { name: 'warm' } },
      },
    } as TaskSpawner);
    await op.settle();
    const message =
      'spec.taskTemplate.workerPoolRef is not supported: this operator does not serve WorkerPools; run its Tasks with spec.taskTemplate.worker';
    expect(spawnerStatus('pooled')).toMatchObject({ phase: 'Failed', message });
    expect(condition('pooled', 'DiscoveryError')).toMatchObject({
      status: 'True',
      reason: 'SetupFailed',
      message,
    });
    expect(op.events('pooled')).toContain(`SetupFailed: ${message}`);
    // Ticks come and go: still no Task.
    for (let i = 0; i < 3; i++) {
      op.clock.advance(60_000);
      await op.settle();
    }
    expect(tasks()).toStrictEqual([]);
    expect(spawnerStatus('pooled')?.phase).toBe('Failed');

    await op.kube.mergePatch(Resources.TaskSpawner, NS, 'pooled', {
      spec: {
        taskTemplate: { workerPoolRef: null, worker: { type: 'claude-code', credentials: { type: 'none' } } },
      },
    });
    await op.settle();
    expect(spawnerStatus('pooled')?.phase).toBe('Running');
    expect(spawnerStatus('pooled')?.message).toBeUndefined();
    op.clock.advance(60_000);
    await op.settle();
    // The ticks it passed while failed are caught up, as after downtime, each once.
    expect(
      tasks()
        .map((t) => t.metadata.name)
        .sort(),
    ).toStrictEqual([1, 2, 3, 4].map((m) => `pooled-${tickId(new Date(T0 + m * 60_000))}`));
  });

  it('a spawner that keeps failing is a warn line when it starts, then one per 5 minutes counting the tries, and an info line when it recovers', async () => {
    await op.create('TaskSpawner', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      metadata: { name: 'badcron' },
      spec: {
        when: { cron: { schedule: '61 * * * *' } },
        taskTemplate: { worker: { type: 'claude-code', credentials: { type: 'none' } } },
      },
    } as TaskSpawner);
    await op.settle();
    const lines = () =>
      op.logs
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l['key'] === `${NS}/badcron` && l['msg'] === 'Reconciled TaskSpawner');
    const tries = () =>
      lines().filter((l) => (l['steps'] as string[]).some((x) => x.startsWith('Source not ready: '))).length;
    // Eleven minutes of retries, each still tried (the schedule is as it was: every 30 s).
    for (let i = 0; i < 44; i++) {
      op.clock.advance(15_000);
      await op.settle();
    }
    expect(tries()).toBeGreaterThanOrEqual(22);
    const warns = lines().filter((l) => l['level'] === 'warn');
    expect(warns.map((l) => l['failedAttemptsSinceLastLine'])).toEqual([undefined, 10, 10]);
    expect(warns[1]).toMatchObject({ failingSince: '2026-03-02T09:00:00.000Z' });
    await op.kube.mergePatch(Resources.TaskSpawner, NS, 'badcron', {
      spec: { when: { cron: { schedule: '0 * * * *' } } },
    });
    await op.settle();
    expect(lines().at(-1)).toMatchObject({
      level: 'info',
      recovered: `after ${tries()} failed attempt(s) since 2026-03-02T09:00:00.000Z`,
    });
  });

  it('cron: catches up at most the newest 100 ticks after downtime, each once, then one per tick', async () => {
    const sp = await op.create('TaskSpawner', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      metadata: { name: 'tick' },
      spec: {
        when: { cron: { schedule: '* * * * *' } },
        taskTemplate: { worker: { type: 'claude-code', credentials: { type: 'none' } } },
        suspend: true,
      },
    } as TaskSpawner);
    // The operator last accounted for ticks three hours ago.
    await op.kube.mergePatch(
      Resources.TaskSpawner,
      NS,
      'tick',
      { status: { lastDiscoveryTime: new Date(T0 - 3 * 3_600_000).toISOString() } },
      { subresource: 'status' },
    );
    await op.kube.mergePatch(Resources.TaskSpawner, NS, 'tick', { spec: { suspend: false } });
    await op.settle();
    const names = tasks()
      .map((t) => t.metadata.name ?? '')
      .sort();
    const newest = Array.from({ length: 100 }, (_, i) => `tick-${tickId(new Date(T0 - (99 - i) * 60_000))}`);
    expect(names).toEqual(newest);
    expect(op.events('tick')).toContain(
      'CronTicksDropped: 80 tick(s) older than the catch-up bound were skipped',
    );
    expect(spawnerStatus('tick')).toMatchObject({
      totalTasksCreated: 100,
      lastDiscoveryTime: '2026-03-02T09:00:00Z',
    });
    expect(sp.metadata.uid).toBeDefined();

    op.clock.advance(60_000);
    await op.settle();
    expect(tasks()).toHaveLength(101);
    expect(op.task(`tick-${tickId(new Date(T0 + 60_000))}`)).toBeDefined();
  });
});
