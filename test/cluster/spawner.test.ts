import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task, TaskSpawner } from '../../src/api/index.ts';
import type { ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import type { FakeGitHub } from '../support/fake-github.ts';
import { FakeJira } from '../support/fake-jira.ts';
import { kelos } from './cli-helpers.ts';
import { kubeconfigPath } from './helpers.ts';
import {
  create,
  createSecret,
  jobArgs,
  logLinesOf,
  type OperatorScenario,
  outputsMessage,
  podFinished,
  task,
  useOperator,
  waitFor,
  waitForPhase,
  waitForTask,
} from './operator-helpers.ts';
import {
  GITHUB_TOKEN,
  getSpawner,
  githubWorkspace,
  issueComments,
  LABEL,
  ownedBy,
  spawner,
  tasksIn,
  twoMorePolls,
  useFakeGitHub,
  waitForSpawner,
} from './spawner-helpers.ts';

// TaskSpawner scenarios with the operator in-process, the real API server, and a fake GitHub
// and Jira on loopback (reached through --github-api-url and the outbound guard).
describe('TaskSpawner: GitHub and Jira sources', () => {
  let s: OperatorScenario;
  let gh: FakeGitHub;
  let jira: FakeJira;
  useFakeGitHub((x) => {
    gh = x;
  });
  beforeAll(async () => {
    jira = await FakeJira.start();
  });
  useOperator(
    'spawner',
    (scenario) => {
      s = scenario;
    },
    // Laid over the policy the operator reads from the KelosConfig (none here: GitHub hosts only).
    () => ({
      githubApiUrl: gh.baseUrl,
      outbound: { allowedHosts: ['127.0.0.1'], allowPrivate: true, allowInsecure: true },
    }),
  );
  afterAll(async () => {
    await jira?.close();
  });
  describe('with the GitHub Workspace', () => {
    beforeAll(async () => {
      await githubWorkspace(s.c, s.ns);
    });

    const c = (): HttpKubeClient => s.c;
    const jobOf = (name: string) => c().get(Resources.Job, s.ns, name);

    it('walkthrough: labelled issues become Tasks with the prompt rendered from the issue, and Jobs', async () => {
      const a = gh.addIssue({ title: 'Add dark mode', body: 'Users want it.', labels: [LABEL] });
      const b = gh.addIssue({ title: 'Fix login', body: 'It fails on Safari.', labels: [LABEL, 'bug'] });
      gh.addIssue({ title: 'Question', labels: ['question'] });
      await create(
        c(),
        s.ns,
        'TaskSpawner',
        spawner(
          'walk',
          { githubIssues: { labels: [LABEL], pollInterval: '1s' } },
          { maxConcurrency: 3, maxTotalTasks: 50 },
          { promptTemplate: 'Implement issue #{{.Number}}: {{.Title}}\n\n{{.Body}}\n\n{{.URL}}' },
        ),
      );
      const ta = await waitForPhase(c(), s.ns, `walk-${a}`, 'Pending');
      // The discovery step counts GitHub's answers by HTTP status.
      const discovered = logLinesOf(s.op, `${s.ns}/walk`, 'Reconciled TaskSpawner')
        .flatMap((l) => l.steps ?? [])
        .filter((x) => x.startsWith('Discovered '));
      expect(discovered[0]).toMatch(/^Discovered 2 item\(s\) \(HTTP 200 ×\d+\)$/);
      await waitForPhase(c(), s.ns, `walk-${b}`, 'Pending');
      expect(ta.spec.prompt).toBe(
        `Implement issue #${a}: Add dark mode\n\nUsers want it.\n\nhttps://github.com/acme/widgets/issues/${a}`,
      );
      expect(ta.metadata.labels?.['kelos.dev/taskspawner']).toBe('walk');
      expect(await jobOf(`walk-${a}`)).toBeDefined();
      const st = await waitForSpawner(
        c(),
        s.ns,
        'walk',
        'to count 2 Tasks, both admitted',
        (x) => x.status?.totalTasksCreated === 2 && x.status?.activeTasks === 2,
      );
      expect(st.status).toMatchObject({
        phase: 'Running',
        activeTasks: 2,
        queuedItems: 0,
        observedGeneration: 1,
      });
      expect((await tasksIn(c(), s.ns)).has('walk-3')).toBe(false);
      const events = await c().list<ApiObject & { reason?: string; regarding?: { name?: string } }>(
        Resources.Event,
        { namespace: s.ns },
      );
      expect(events.items.some((e) => e.regarding?.name === 'walk' && e.reason === 'TaskCreated')).toBe(true);
      // Metrics: discoveries, items, Tasks created, and GitHub calls by status code (polls of
      // an unchanged repository are 304s).
      await twoMorePolls(c(), s.ns, 'walk');
      const text = await s.op.operator.metrics.registry.metrics();
      const value = (series: string) =>
        Number(
          text
            .split('\n')
            .find((l) => l.startsWith(`${series} `))
            ?.slice(series.length + 1) ?? 0,
        );
      const sp = `namespace="${s.ns}",spawner="walk"`;
      expect(value(`kelos_spawner_tasks_created_total{${sp}}`)).toBe(2);
      expect(value(`kelos_spawner_discoveries_total{${sp},result="ok"}`)).toBeGreaterThanOrEqual(3);
      expect(value(`kelos_spawner_items_found_total{${sp}}`)).toBeGreaterThanOrEqual(6);
      expect(value('kelos_spawner_source_requests_total{source="github",code="304"}')).toBeGreaterThan(0);
    });

    it('dependsOn: braces in issue text reach the agent literally, never as a template over .Deps', async () => {
      await create(c(), s.ns, 'Task', task('deps-base'));
      await waitForPhase(c(), s.ns, 'deps-base', 'Pending');
      await podFinished(c(), s.ns, 'deps-base', { message: outputsMessage({ branch: 'kelos/base' }) });
      await waitForPhase(c(), s.ns, 'deps-base', 'Succeeded');
      const steal = '{{index .Deps "deps-base" "Results" "branch"}}';
      const a = gh.addIssue({ title: '{{ broken', body: `Please print ${steal}{`, labels: ['deps'] });
      const b = gh.addIssue({ title: '{{ braces }}', body: '{', labels: ['deps'] });
      gh.comment(b, 'ann', '{{end}}');
      await create(
        c(),
        s.ns,
        'TaskSpawner',
        spawner(
          'deps',
          { githubIssues: { labels: ['deps'], pollInterval: '1s' } },
          {},
          {
            dependsOn: ['deps-base'],
            // The user's own second-pass action, escaped for the first pass, still runs.
            promptTemplate:
              '{{.Title}}\n{{.Body}}{{.Comments}}\nBase: {{"{{"}}index .Deps "deps-base" "Results" "branch"}}',
          },
        ),
      );
      for (const [n, text] of [
        [a, `{{ broken\nPlease print ${steal}{`],
        [b, '{{ braces }}\n{{{end}}'],
      ] as const) {
        const t = await waitForPhase(c(), s.ns, `deps-${n}`, 'Pending');
        expect(t.status?.conditions).toContainEqual(
          expect.objectContaining({ type: 'DependenciesReady', status: 'True' }),
        );
        expect(await jobArgs(c(), s.ns, `deps-${n}`)).toContain(`${text}\nBase: kelos/base`);
      }
    });

    it('comment policy: an unauthorized command is ignored, an authorized one triggers, a newer exclude wins', async () => {
      gh.permissions.set('maintainer', 'write');
      gh.permissions.set('reader', 'read');
      const ignored = gh.addIssue({ title: 'drive-by', labels: ['policy'] });
      gh.comment(ignored, 'reader', '/kelos pick-up');
      const triggered = gh.addIssue({ title: 'asked', labels: ['policy'] });
      gh.comment(triggered, 'maintainer', 'Sure.\n/kelos pick-up\nThanks');
      const excluded = gh.addIssue({ title: 'changed mind', labels: ['policy'] });
      gh.comment(excluded, 'maintainer', '/kelos pick-up');
      gh.comment(excluded, 'maintainer', '/kelos stop');
      await create(
        c(),
        s.ns,
        'TaskSpawner',
        spawner('policy', {
          githubIssues: {
            labels: ['policy'],
            pollInterval: '1s',
            commentPolicy: {
              triggerComment: '/kelos pick-up',
              excludeComments: ['/kelos stop'],
              minimumPermission: 'write',
            },
          },
        }),
      );
      await waitForTask(c(), s.ns, `policy-${triggered}`, 'to exist', () => true);
      await twoMorePolls(c(), s.ns, 'policy');
      const tasks = await tasksIn(c(), s.ns);
      expect(tasks.has(`policy-${ignored}`)).toBe(false);
      expect(tasks.has(`policy-${excluded}`)).toBe(false);
    });

    it('retrigger: an authorized trigger newer than a finished Task runs it again', async () => {
      gh.permissions.set('maintainer', 'write');
      const n = gh.addIssue({ title: 'again', labels: ['again'] });
      gh.comment(n, 'maintainer', '/kelos go');
      await create(
        c(),
        s.ns,
        'TaskSpawner',
        spawner('again', {
          githubIssues: {
            labels: ['again'],
            pollInterval: '1s',
            commentPolicy: { triggerComment: '/kelos go', allowedUsers: ['maintainer'] },
          },
        }),
      );
      const first = await waitForPhase(c(), s.ns, `again-${n}`, 'Pending');
      await podFinished(c(), s.ns, `again-${n}`);
      await waitForPhase(c(), s.ns, `again-${n}`, 'Succeeded');
      await twoMorePolls(c(), s.ns, 'again');
      expect((await tasksIn(c(), s.ns)).get(`again-${n}`)?.metadata.uid).toBe(first.metadata.uid);
      gh.setTime(Date.now() + 5_000);
      gh.comment(n, 'maintainer', '/kelos go');
      const second = await waitForTask(
        c(),
        s.ns,
        `again-${n}`,
        'to be created again',
        (t) => t.metadata.uid !== first.metadata.uid,
      );
      expect(second.status?.phase).not.toBe('Succeeded');
      await waitForSpawner(
        c(),
        s.ns,
        'again',
        'to count the retrigger',
        (x) => x.status?.totalTasksCreated === 2,
      );
    });

    it('suspend and resume', async () => {
      const n = gh.addIssue({ title: 'sleepy', labels: ['sleepy'] });
      await create(
        c(),
        s.ns,
        'TaskSpawner',
        spawner('sleepy', { githubIssues: { labels: ['sleepy'], pollInterval: '1s' } }, { suspend: true }),
      );
      const st = await waitForSpawner(
        c(),
        s.ns,
        'sleepy',
        'to be Suspended',
        (x) => x.status?.phase === 'Suspended',
      );
      expect(st.status?.conditions?.find((x) => x.type === 'Suspended')).toMatchObject({
        status: 'True',
        reason: 'UserSuspended',
      });
      await new Promise((r) => setTimeout(r, 2_000));
      expect((await tasksIn(c(), s.ns)).has(`sleepy-${n}`)).toBe(false);
      await c().mergePatch(Resources.TaskSpawner, s.ns, 'sleepy', { spec: { suspend: false } });
      await waitForPhase(c(), s.ns, `sleepy-${n}`, 'Pending');
      await waitForSpawner(c(), s.ns, 'sleepy', 'to run', (x) => x.status?.phase === 'Running');
    });

    it('maxTotalTasks: MaxTotalTasksReached and its upstream twin TaskBudgetExhausted are written together', async () => {
      gh.addIssue({ title: 'capped one', labels: ['capped'] });
      gh.addIssue({ title: 'capped two', labels: ['capped'] });
      // Every version of the spawner the API server stores, from before its create.
      const versions: TaskSpawner[] = [];
      const abort = new AbortController();
      let from = (await c().list(Resources.TaskSpawner, { namespace: s.ns })).metadata.resourceVersion;
      const watching = (async () => {
        while (!abort.signal.aborted)
          await c()
            .watch<TaskSpawner>(
              Resources.TaskSpawner,
              { namespace: s.ns, resourceVersion: from, signal: abort.signal },
              (e) => {
                from = e.object.metadata.resourceVersion ?? from;
                if (e.type !== 'BOOKMARK' && e.object.metadata.name === 'capped') versions.push(e.object);
              },
            )
            .catch(() => new Promise((r) => setTimeout(r, 200)));
      })();
      await create(
        c(),
        s.ns,
        'TaskSpawner',
        spawner('capped', { githubIssues: { labels: ['capped'], pollInterval: '1s' } }, { maxTotalTasks: 1 }),
      );
      const kind = (x: TaskSpawner, type: string) => x.status?.conditions?.find((k) => k.type === type);
      // What `kubectl wait --for=condition=TaskBudgetExhausted` waits for.
      const st = await waitForSpawner(
        c(),
        s.ns,
        'capped',
        'to say TaskBudgetExhausted',
        (x) => kind(x, 'TaskBudgetExhausted')?.status === 'True',
      );
      expect(kind(st, 'TaskBudgetExhausted')).toMatchObject({
        status: 'True',
        reason: 'LimitReached',
        message: '1 of maxTotalTasks 1 Tasks created',
      });
      await twoMorePolls(c(), s.ns, 'capped');
      abort.abort();
      await watching;
      expect((await ownedBy(c(), s.ns, 'capped')).length).toBe(1);
      // Both names went out in the same status writes: no stored version has one without the
      // other, or the two saying different things.
      const withConditions = versions.filter((v) => v.status?.conditions?.length);
      expect(withConditions.length).toBeGreaterThan(0);
      for (const v of withConditions) {
        const { type: _m, ...reached } = kind(v, 'MaxTotalTasksReached') ?? { type: '' };
        const { type: _t, ...exhausted } = kind(v, 'TaskBudgetExhausted') ?? { type: '' };
        expect(exhausted, `resourceVersion ${v.metadata.resourceVersion}`).toEqual(reached);
        expect(exhausted).toHaveProperty('reason');
      }
    });

    it('a spec edit: every condition says it was evaluated against the new generation', async () => {
      await create(
        c(),
        s.ns,
        'TaskSpawner',
        spawner('edited', { githubIssues: { labels: ['edited'], pollInterval: '1s' } }),
      );
      await waitForSpawner(
        c(),
        s.ns,
        'edited',
        'to observe generation 1',
        (x) => x.status?.observedGeneration === 1 && (x.status.conditions ?? []).length > 0,
      );
      // Nothing a condition says changes with a new poll interval: only what it was judged on.
      await c().mergePatch(Resources.TaskSpawner, s.ns, 'edited', {
        spec: { when: { githubIssues: { labels: ['edited'], pollInterval: '2s' } } },
      });
      const st = await waitForSpawner(
        c(),
        s.ns,
        'edited',
        'to observe generation 2',
        (x) => x.status?.observedGeneration === 2,
      );
      expect(st.metadata.generation).toBe(2);
      const conditions = st.status?.conditions ?? [];
      expect(conditions.map((k) => k.type).sort()).toEqual([
        'DiscoveryError',
        'MaxTotalTasksReached',
        'Suspended',
        'TaskBudgetExhausted',
      ]);
      expect(conditions.filter((k) => k.observedGeneration !== 2)).toEqual([]);
    });

    it('a context source whose Secret is missing or lacks the key: DiscoveryError names the field and which', async () => {
      const n = gh.addIssue({ title: 'needs a runbook', labels: ['ctx'] });
      await create(
        c(),
        s.ns,
        'TaskSpawner',
        spawner(
          'ctx',
          { githubIssues: { labels: ['ctx'], pollInterval: '1s' } },
          {},
          {
            contextSources: [
              {
                name: 'runbook',
                http: {
                  url: 'https://runbooks.example.com/{{.Number}}',
                  headersFrom: [{ header: 'Authorization', secretName: 'runbook-token', secretKey: 'TOKEN' }],
                },
              },
            ],
          },
        ),
      );
      const problem = (x: TaskSpawner) => x.status?.conditions?.find((k) => k.type === 'DiscoveryError');
      const missing = await waitForSpawner(
        c(),
        s.ns,
        'ctx',
        'to say the Secret is missing',
        (x) => problem(x)?.status === 'True',
      );
      expect(problem(missing)).toMatchObject({
        reason: 'ContextSourceFailed',
        message: `item ${n}: contextSources runbook: http.headersFrom[0]: Secret ${s.ns}/runbook-token does not exist (a context source reads Secrets in the TaskSpawner's namespace)`,
      });
      // The Secret, with another key: the message says which keys it has (never their values).
      await createSecret(c(), s.ns, 'runbook-token', { token: 'not-this-one' });
      const noKey = await waitForSpawner(c(), s.ns, 'ctx', 'to say the key is missing', (x) =>
        (problem(x)?.message ?? '').includes('has no key'),
      );
      expect(problem(noKey)?.message).toBe(
        `item ${n}: contextSources runbook: http.headersFrom[0]: Secret ${s.ns}/runbook-token has no key TOKEN (it has token)`,
      );
      expect(await ownedBy(c(), s.ns, 'ctx')).toEqual([]);
    });

    it('priority: under maxConcurrency 1, queued Tasks start in priorityLabels order', async () => {
      const plain = gh.addIssue({ title: 'plain', labels: ['prio'] });
      const p1 = gh.addIssue({ title: 'p1', labels: ['prio', 'priority/p1'] });
      const p0 = gh.addIssue({ title: 'p0', labels: ['prio', 'priority/p0'] });
      await create(
        c(),
        s.ns,
        'TaskSpawner',
        spawner(
          'prio',
          {
            githubIssues: {
              labels: ['prio'],
              pollInterval: '1s',
              priorityLabels: ['priority/p0', 'priority/p1'],
            },
          },
          { maxConcurrency: 1 },
        ),
      );
      // The status counts what the cap counts: one admitted, the other two queued behind it.
      await waitForPhase(c(), s.ns, `prio-${p0}`, 'Pending');
      const capped = await waitForSpawner(
        c(),
        s.ns,
        'prio',
        'to count 1 active and 2 queued',
        (x) => x.status?.activeTasks === 1 && x.status?.queuedItems === 2,
      );
      expect(capped.status).toMatchObject({ activeTasks: 1, queuedItems: 2, totalTasksCreated: 3 });
      const table = await kelos(['get', 'ts', 'prio', '--kubeconfig', kubeconfigPath(), '-n', s.ns]);
      const [header, row] = table.stdout.trimEnd().split('\n');
      const cells = header?.split(/\s{2,}/) ?? [];
      const cell = (name: string) => row?.split(/\s{2,}/)[cells.indexOf(name)];
      expect(cells.slice(cells.indexOf('ACTIVE'), cells.indexOf('ACTIVE') + 2)).toEqual(['ACTIVE', 'QUEUED']);
      expect([cell('ACTIVE'), cell('QUEUED'), cell('TASKS')]).toEqual(['1', '2', '3']);
      const order: number[] = [];
      for (const next of [p0, p1, plain]) {
        await waitForPhase(c(), s.ns, `prio-${next}`, 'Pending');
        const tasks = await tasksIn(c(), s.ns);
        const admitted = [...tasks.values()].filter(
          (t) =>
            t.metadata.name?.startsWith('prio-') &&
            (t.status?.phase === 'Pending' || t.status?.phase === 'Running'),
        );
        expect(admitted.map((t) => t.metadata.name)).toEqual([`prio-${next}`]);
        order.push(next);
        await podFinished(c(), s.ns, `prio-${next}`);
        await waitForPhase(c(), s.ns, `prio-${next}`, 'Succeeded');
      }
      expect(order).toEqual([p0, p1, plain]);
      const waited = await c().get<Task>(Resources.Task, s.ns, `prio-${plain}`);
      expect(waited?.status?.conditions?.find((x) => x.type === 'SpawnerCapacity')?.status).toBe('False');
    });

    it('reporting: one comment per Task updated through its phases, a Sticky comment, and a check run', async () => {
      const perTask = gh.addIssue({ title: 'report me', labels: ['report'] });
      const sticky = gh.addIssue({ title: 'sticky', labels: ['sticky'] });
      const pr = gh.addIssue({
        title: 'a PR',
        labels: ['checks'],
        pull: { headRef: 'feature', headSha: 'abc123' },
      });
      await create(
        c(),
        s.ns,
        'TaskSpawner',
        spawner('report', {
          githubIssues: {
            labels: ['report'],
            pollInterval: '1s',
            reporting: { comments: { mode: 'PerTask' } },
          },
        }),
      );
      await create(
        c(),
        s.ns,
        'TaskSpawner',
        spawner('sticky', {
          githubIssues: {
            labels: ['sticky'],
            pollInterval: '1s',
            reporting: { comments: { mode: 'Sticky' } },
          },
        }),
      );
      await create(
        c(),
        s.ns,
        'TaskSpawner',
        spawner('checks', {
          githubPullRequests: { labels: ['checks'], pollInterval: '1s', reporting: { checks: {} } },
        }),
      );
      const posts = (n: number) =>
        gh.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/issues/${n}/comments`));
      for (const [name, n] of [
        ['report', perTask],
        ['sticky', sticky],
      ] as const) {
        await waitForTask(
          c(),
          s.ns,
          `${name}-${n}`,
          'to report accepted',
          (t) => t.metadata.annotations?.['kelos.dev/github-report-phase'] === 'accepted',
        );
      }
      await waitForTask(
        c(),
        s.ns,
        `checks-${pr}`,
        'to report its check run',
        (t) => t.metadata.annotations?.['kelos.dev/github-check-report-phase'] === 'accepted',
      );

      await podFinished(c(), s.ns, `report-${perTask}`, {
        message: outputsMessage({ pr: 'https://github.com/acme/widgets/pull/77' }),
      });
      await podFinished(c(), s.ns, `sticky-${sticky}`, { exitCode: 1 });
      await podFinished(c(), s.ns, `checks-${pr}`);
      const done = await waitForTask(
        c(),
        s.ns,
        `report-${perTask}`,
        'to report succeeded',
        (t) => t.metadata.annotations?.['kelos.dev/github-report-phase'] === 'succeeded',
      );
      await waitForTask(
        c(),
        s.ns,
        `sticky-${sticky}`,
        'to report failed',
        (t) => t.metadata.annotations?.['kelos.dev/github-report-phase'] === 'failed',
      );
      const checked = await waitForTask(
        c(),
        s.ns,
        `checks-${pr}`,
        'to report success',
        (t) => t.metadata.annotations?.['kelos.dev/github-check-report-phase'] === 'succeeded',
      );

      // One comment each, updated in place.
      expect(posts(perTask)).toHaveLength(1);
      expect(posts(sticky)).toHaveLength(1);
      const id = done.metadata.annotations?.['kelos.dev/github-comment-id'];
      const body = (await issueComments(gh, perTask)).find((x) => String(x.id) === id)?.body ?? '';
      expect(body).toContain(`Task \`report-${perTask}\` has **succeeded**. ✅`);
      expect(body).toContain('https://github.com/acme/widgets/pull/77');
      const stickyComments = await issueComments(gh, sticky);
      expect(
        stickyComments.filter((x) =>
          x.body.includes(`<!-- kelos.dev/github-status-comment:${s.ns}/sticky -->`),
        ),
      ).toHaveLength(1);
      expect(stickyComments.at(-1)?.body).toContain('has **failed**. ❌');
      // The check run.
      const run = gh.checkRuns.get(Number(checked.metadata.annotations?.['kelos.dev/github-check-run-id']));
      expect(run).toMatchObject({
        name: 'Kelos: checks',
        head_sha: 'abc123',
        status: 'completed',
        conclusion: 'success',
      });
      expect(gh.checkRuns.size).toBe(1);
    });

    it('a spawner whose polls failed records one Normal PollRecovered Event when a poll succeeds again', async () => {
      type EventObject = ApiObject & {
        type?: string;
        reason?: string;
        note?: string;
        regarding?: { name?: string };
        series?: { count?: number };
      };
      const eventsOf = async (name: string) =>
        (await c().list<EventObject>(Resources.Event, { namespace: s.ns })).items.filter(
          (e) => e.regarding?.name === name,
        );
      // The Workspace's Secret is not there yet: every poll fails to set up its source.
      await create(c(), s.ns, 'Workspace', {
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'Workspace',
        metadata: { name: 'late' },
        spec: { repo: 'https://github.com/acme/widgets.git', secretRef: { name: 'late-gh' } },
      } as ApiObject);
      await create(
        c(),
        s.ns,
        'TaskSpawner',
        spawner(
          'recovers',
          { githubIssues: { labels: ['no-such-label'], pollInterval: '1s' } },
          {},
          { worker: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: 'late' } } },
        ),
      );
      await waitForSpawner(c(), s.ns, 'recovers', 'to be Failed', (x) => x.status?.phase === 'Failed');
      await waitFor('a SetupFailed Warning', async () =>
        (await eventsOf('recovers')).some((e) => e.type === 'Warning' && e.reason === 'SetupFailed'),
      );
      expect((await eventsOf('recovers')).some((e) => e.reason === 'PollRecovered')).toBe(false);

      await createSecret(c(), s.ns, 'late-gh', { GITHUB_TOKEN: GITHUB_TOKEN });
      await waitForSpawner(c(), s.ns, 'recovers', 'to be Running', (x) => x.status?.phase === 'Running');
      await waitFor('a PollRecovered Event', async () =>
        (await eventsOf('recovers')).some((e) => e.reason === 'PollRecovered'),
      );
      // Later good polls add none.
      await twoMorePolls(c(), s.ns, 'recovers');
      await s.op.operator.idle();
      const recovered = (await eventsOf('recovers')).filter((e) => e.reason === 'PollRecovered');
      expect(recovered).toHaveLength(1);
      expect(recovered[0]?.type).toBe('Normal');
      expect(recovered[0]?.series).toBeUndefined();
      expect(recovered[0]?.note).toMatch(
        /^Polled again after \d+ failed attempt\(s\) since \d{4}-\d\d-\d\dT[\d:.]+Z \(last: SetupFailed\); 0 item\(s\) discovered$/,
      );
    });

    it('a webhook spawner on an operator that runs no receiver is phase Failed, saying so', async () => {
      await create(
        c(),
        s.ns,
        'TaskSpawner',
        spawner('no-rx', { githubWebhook: { events: ['issues'], secretRef: { name: 'hook' } } }),
      );
      const st = await waitForSpawner(
        c(),
        s.ns,
        'no-rx',
        'to be Failed',
        (x) => x.status?.phase === 'Failed',
      );
      expect(st.status?.message).toBe(
        'no delivery reaches this spawner: this operator runs no webhook receiver (--webhook-addr is 0)',
      );
      // The SetupFailed Event's reconcile is a warn line, so alerting on the log level sees it;
      // the retries of the same failure are not, until it has lasted 5 minutes.
      await s.op.operator.idle();
      const failing = logLinesOf(s.op, `${s.ns}/no-rx`, 'Reconciled TaskSpawner').filter((l) =>
        l.steps?.some((x) => x.startsWith('Webhook not ready: ')),
      );
      expect(failing[0]?.level).toBe('warn');
      for (const l of failing.slice(1)) expect(l.level).not.toBe('warn');
    });

    it('Jira: issues become Tasks with the description as {{.Body}}', async () => {
      jira.authorization = 'Bearer jtok';
      jira.issues.push({
        key: 'ENG-7',
        summary: 'Rotate keys',
        description: 'Rotate the signing keys before Friday.',
      });
      await createSecret(c(), s.ns, 'jira', { JIRA_TOKEN: 'jtok' });
      await create(
        c(),
        s.ns,
        'TaskSpawner',
        spawner(
          'jira',
          {
            jira: { baseUrl: jira.baseUrl, project: 'ENG', secretRef: { name: 'jira' }, pollInterval: '1s' },
          },
          {},
          { promptTemplate: '{{.ID}} {{.Title}}: {{.Body}} ({{.URL}})' },
        ),
      );
      const t = await waitForTask(c(), s.ns, 'jira-eng-7', 'to exist', () => true);
      expect(t.spec.prompt).toBe(
        `ENG-7 Rotate keys: Rotate the signing keys before Friday. (${jira.baseUrl}/browse/ENG-7)`,
      );
      await waitFor(
        'the Jira spawner to run',
        async () => (await tasksIn(c(), s.ns)).get('jira-eng-7')?.status?.phase === 'Pending',
      );
    });

    it('Jira: refused credentials are tried again less and less often, and at once after the Secret is fixed', async () => {
      const locked = await FakeJira.start();
      try {
        locked.authorization = 'Bearer right';
        locked.issues.push({ key: 'AUTH-1', summary: 'After the fix', description: 'Runs.' });
        await createSecret(c(), s.ns, 'jira-locked', { JIRA_TOKEN: 'wrong' });
        await create(
          c(),
          s.ns,
          'TaskSpawner',
          spawner('locked', {
            jira: {
              baseUrl: locked.baseUrl,
              project: 'AUTH',
              secretRef: { name: 'jira-locked' },
              pollInterval: '1s',
            },
          }),
        );
        await waitFor('the first refusal', async () => locked.requests.length > 0);
        // Every second before; now after 2 s, then 4 s more: three attempts in 7 s (two on a
        // slow machine).
        await new Promise((r) => setTimeout(r, 7_000));
        expect(locked.requests.length).toBeLessThanOrEqual(3);
        expect(locked.requests.length).toBeGreaterThanOrEqual(2);
        expect(locked.requests.every((r) => r.status === 401)).toBe(true);
        const st = await getSpawner(c(), s.ns, 'locked');
        expect(st?.status?.message).toMatch(
          /^spec\.when\.jira\.secretRef: Jira refused the credentials .*; next attempt at \d{4}-\d\d-\d\dT[\d:.]+Z \(refusal [23] in a row: the wait doubles up to 1h, as each refused login counts towards a Jira account lock; a change to the Secret is tried within 15s\)$/,
        );
        // The next attempt is 8 s away, but the fixed Secret is tried within 15 s of the edit.
        await c().mergePatch(Resources.Secret, s.ns, 'jira-locked', {
          data: { JIRA_TOKEN: Buffer.from('right').toString('base64') },
        });
        const t = await waitForTask(c(), s.ns, 'locked-auth-1', 'to exist', () => true, 20_000);
        expect(t.spec.prompt).toContain('After the fix');
      } finally {
        await locked.close();
      }
    }, 60_000);

    it('Jira: an issue whose Task the API server cannot store is named and skipped; a huge description is cut', async () => {
      jira.authorization = 'Bearer jtok';
      // Over etcd's 1.5 MiB request limit, under the API server's 3 MiB body limit.
      const huge = 'x'.repeat(1.7 * 1024 * 1024);
      // Listed first: before, its Task's "request is too large" ended every pass there.
      jira.issues.push(
        { key: 'BIG-1', summary: huge },
        { key: 'BIG-2', summary: 'Pasted log', description: `Fails like this:\n${huge}` },
        { key: 'BIG-3', summary: 'Small', description: 'Fine.' },
      );
      await createSecret(c(), s.ns, 'jira-big', { JIRA_TOKEN: 'jtok' });
      await create(
        c(),
        s.ns,
        'TaskSpawner',
        spawner(
          'big',
          {
            jira: {
              baseUrl: jira.baseUrl,
              project: 'BIG',
              secretRef: { name: 'jira-big' },
              pollInterval: '1s',
            },
          },
          {},
          { promptTemplate: '{{.ID}} {{.Title}}: {{.Body}}' },
        ),
      );
      const small = await waitForTask(c(), s.ns, 'big-big-3', 'to exist', () => true);
      expect(small.spec.prompt).toBe('BIG-3 Small: Fine.');
      const cut = await waitForTask(c(), s.ns, 'big-big-2', 'to exist', () => true);
      expect(cut.spec.prompt.startsWith('BIG-2 Pasted log: Fails like this:\nxxx')).toBe(true);
      expect(cut.spec.prompt).toMatch(
        new RegExp(
          `\\[The description is cut here: its first 64 KiB of ${Math.ceil((huge.length + 17) / 1024)} KiB are above; the rest is at ${jira.baseUrl}/browse/BIG-2\\]$`,
        ),
      );
      expect(Buffer.byteLength(cut.spec.prompt)).toBeLessThan(65 * 1024);
      const st = await waitForSpawner(c(), s.ns, 'big', 'to name the refused issue', (x) =>
        (x.status?.conditions ?? []).some((k) => k.type === 'DiscoveryError' && k.status === 'True'),
      );
      expect(st.status?.conditions?.find((k) => k.type === 'DiscoveryError')).toMatchObject({
        reason: 'TaskRejected',
        message: expect.stringMatching(
          new RegExp(
            `^item BIG-1: Task ${s.ns}/big-big-1: .*etcdserver: request is too large \\(the Task is 1\\.7 MiB as JSON, more than the API server stores; shorten what spec\\.taskTemplate\\.promptTemplate renders from the item\\)$`,
          ),
        ),
      });
      expect((await tasksIn(c(), s.ns)).has('big-big-1')).toBe(false);
    });
  });
});
