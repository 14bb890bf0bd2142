// A GitHub issue comment delivered to the receiver becomes a Task, and the Task's status is
// reported back as a comment on the issue (accepted, then succeeded with the pull request,
// edited in place), as for polling spawners (fake GitHub on loopback).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiObject } from '../../src/kube/client.ts';
import type { FakeGitHub } from '../support/fake-github.ts';
import { githubHeaders, githubIssueComment, post } from '../support/webhook-payloads.ts';
import { create, finishTask, type OperatorScenario, outputsMessage, waitFor } from './operator-helpers.ts';
import {
  githubWorkspace,
  issueComments,
  spawner,
  tasksIn,
  useGitHubWebhookOperator,
} from './spawner-helpers.ts';

const SECRET = 'report-secret';

describe('webhook Tasks report back to GitHub', () => {
  let s: OperatorScenario;
  let gh: FakeGitHub;
  useGitHubWebhookOperator('webhook-report', SECRET, (x, g) => {
    s = x;
    gh = g;
  });

  it('GitHub issue comment → Task → status comment on the issue, updated when the Task succeeds', async () => {
    const { c, ns } = s;
    await githubWorkspace(c, ns);
    const n = gh.addIssue({ title: 'Crash on start', body: 'It crashes.' });
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner('hooks', {
        githubWebhook: { events: ['issue_comment'], reporting: { comments: { mode: 'PerTask' } } },
      }) as ApiObject,
    );
    await waitFor('the receiver to see the spawner', async () => s.op.operator.caches.spawners!.size >= 1);
    const body = JSON.stringify(githubIssueComment(n, '/kelos fix this'));
    // Signed with the cluster-wide secret (the spawner names none).
    const r = await post(
      s.op.operator.webhookAddress ?? '',
      '/webhook/github',
      body,
      githubHeaders(body, SECRET, 'issue_comment', randomUUID()),
    );
    expect(r.status, r.body).toBe(200);
    const tasks = [...(await tasksIn(c, ns)).values()];
    expect(tasks).toHaveLength(1);
    expect(tasks[0]!.metadata.annotations?.['kelos.dev/github-reporting']).toBe('enabled');
    await waitFor(
      'the status comment on the issue',
      async () =>
        (await issueComments(gh, n)).some(
          (x) => x.body.includes('Kelos Task Status') && x.body.includes(tasks[0]!.metadata.name ?? ''),
        ),
      { timeoutMs: 60_000 },
    );

    // The kubelet's part: the agent finishes with a pull request; the same comment says so.
    const name = tasks[0]!.metadata.name ?? '';
    await finishTask(c, ns, name, {
      message: outputsMessage({ pr: 'https://github.com/acme/widgets/pull/77' }),
    });
    let comments: Array<{ body: string }> = [];
    await waitFor(
      'the status comment to say succeeded',
      async () => {
        comments = (await issueComments(gh, n)).filter((x) => x.body.includes(name));
        return comments.some((x) => x.body.includes('has **succeeded**'));
      },
      { timeoutMs: 60_000 },
    );
    // Updated in place: still one comment for the Task, now with the pull request.
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('https://github.com/acme/widgets/pull/77');
  });
});
