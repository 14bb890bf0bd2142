import { describe, expect, it } from 'vitest';
import type { TaskSpawner } from '../../../src/api/index.ts';
import { Checklist } from '../../../src/kube/log.ts';
import type { TaskSpawnerReconcilerOptions } from '../../../src/operator/reconcilers/task-spawner/options.ts';
import {
  activeMessage,
  nextStatus,
  type PassOutcome,
  writeSpawnerStatus,
} from '../../../src/operator/reconcilers/task-spawner/status.ts';
import { statusPatch } from '../../../src/operator/status.ts';

const spawner = {
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'TaskSpawner',
  metadata: { name: 'issues', namespace: 'team', generation: 1 },
  spec: { when: { githubIssues: {} } },
} as unknown as TaskSpawner;

const pass = (p: Partial<PassOutcome> = {}): PassOutcome => ({
  suspended: false,
  active: 0,
  queued: 0,
  totalCreated: 0,
  maxTotalReached: false,
  ...p,
});

const NOW = Date.parse('2026-03-02T09:00:00Z');

describe('nextStatus of a TaskSpawner', () => {
  it('shows the message of a discovery that keeps failing while the spawner stays Running', () => {
    // GIVEN a pass whose discovery failed
    const message = 'GET https://api.github.com/repos/o/r/issues returned HTTP 502';
    // WHEN its status is computed
    const status = nextStatus(spawner, pass({ problem: { reason: 'DiscoveryFailed', message } }), NOW);
    // THEN the phase stays Running and the message says why no Task comes
    expect(status.phase).toBe('Running');
    expect(status.message).toBe(message);
    expect(status.conditions?.find((c) => c.type === 'DiscoveryError')).toMatchObject({
      status: 'True',
      reason: 'DiscoveryFailed',
      message,
    });
  });

  it('prefers a setup error, which fails the spawner, over the problem’s message', () => {
    const status = nextStatus(
      spawner,
      pass({ setupError: 'Workspace team/repo does not exist', problem: { reason: 'X', message: 'other' } }),
      NOW,
    );
    expect(status.phase).toBe('Failed');
    expect(status.message).toBe('Workspace team/repo does not exist');
  });

  it('drops the message once a pass has no problem', () => {
    const failing = { ...spawner, status: { phase: 'Running', message: 'HTTP 502' } } as TaskSpawner;
    const status = nextStatus(failing, pass(), NOW);
    expect(status.phase).toBe('Running');
    expect(status.message).toBeUndefined();
  });
});

describe('writeSpawnerStatus', () => {
  const options = () => {
    const patches: unknown[] = [];
    const o = {
      client: {
        mergePatch: async (_r: unknown, _ns: string, _n: string, patch: unknown) => {
          patches.push(patch);
          return {};
        },
      },
    } as unknown as TaskSpawnerReconcilerOptions;
    return { o, patches };
  };

  it('logs at info, with the reason, when a spawner starts failing or recovers', async () => {
    // GIVEN a healthy spawner whose discovery now fails (api.github.com unreachable)
    const healthy = { ...spawner, status: nextStatus(spawner, pass(), NOW) } as TaskSpawner;
    const message = 'GitHub API GET https://api.github.com/…: cannot resolve api.github.com (DNS: ENOTFOUND)';
    const failing = nextStatus(healthy, pass({ problem: { reason: 'DiscoveryFailed', message } }), NOW);
    const { o, patches } = options();
    const list = new Checklist();
    // WHEN the status is written
    await writeSpawnerStatus(o, healthy, failing, list);
    // THEN the reconcile is worth an info line that names the problem (a debug line is all an
    // operator reading the logs would otherwise get)
    expect(patches).toHaveLength(1);
    expect(list.notable).toBe(true);
    expect(list.steps.join('\n')).toContain(message);

    // AND the recovery is told too
    const recovering = { ...spawner, status: failing } as TaskSpawner;
    const back = new Checklist();
    await writeSpawnerStatus(o, recovering, nextStatus(recovering, pass(), NOW), back);
    expect(back.notable).toBe(true);
  });

  it('keeps a routine count change at debug', async () => {
    const before = { ...spawner, status: nextStatus(spawner, pass(), NOW) } as TaskSpawner;
    const { o } = options();
    const list = new Checklist();
    await writeSpawnerStatus(o, before, nextStatus(before, pass({ active: 3 }), NOW), list);
    expect(list.wrote).toBe(true);
    expect(list.notable).toBe(false);
  });
});

describe('the Suspended=False message of a TaskSpawner', () => {
  const of = (when: Record<string, unknown>) =>
    nextStatus({ ...spawner, spec: { when } } as unknown as TaskSpawner, pass(), NOW).conditions?.find(
      (c) => c.type === 'Suspended',
    );

  it('says what the spawner does: polling (and how often), a schedule, or receiving deliveries', () => {
    expect(of({ githubIssues: {} })).toMatchObject({
      status: 'False',
      reason: 'Active',
      message: 'Polling GitHub issues every 5m',
    });
    expect(of({ githubPullRequests: { pollInterval: '90s' } })?.message).toBe(
      'Polling GitHub pull requests every 1m30s',
    );
    expect(of({ jira: { pollInterval: '1m' } })?.message).toBe('Polling Jira issues every 1m');
    expect(of({ cron: { schedule: '0 9 * * 1' } })?.message).toBe(
      'Creating Tasks on the cron schedule "0 9 * * 1"',
    );
    expect(of({ githubWebhook: { events: ['issues'] } })?.message).toBe(
      'Receiving GitHub webhook deliveries at /webhook/github',
    );
    expect(of({ linearWebhook: { types: ['Issue'] } })?.message).toBe(
      'Receiving Linear webhook deliveries at /webhook/linear',
    );
    expect(of({ webhook: { source: 'alerts', fieldMapping: { id: '$.id' } } })?.message).toBe(
      'Receiving webhook deliveries at /webhook/alerts',
    );
    expect(activeMessage({ ...spawner, spec: { when: { slack: {} } } } as unknown as TaskSpawner)).toBe(
      'Receiving Slack messages over Socket Mode',
    );
  });
});

describe('the Suspended=False message of a TaskSpawner whose setup fails', () => {
  const hook = {
    ...spawner,
    spec: {
      when: { webhook: { source: 'alerts', fieldMapping: { id: '$.id' }, secretRef: { name: 'hook' } } },
    },
  } as unknown as TaskSpawner;
  const setupError = 'webhook deliveries are refused with 401: Secret team/hook not found';
  const suspendedOf = (s: { conditions?: { type: string; message?: string }[] }) =>
    s.conditions?.find((c) => c.type === 'Suspended');

  it('says the spawner takes no deliveries rather than that it receives them, and writes nothing on a resync', () => {
    // GIVEN a generic webhook spawner that received deliveries, whose Secret is then deleted
    const running = { ...hook, status: nextStatus(hook, pass(), NOW) } as TaskSpawner;
    expect(suspendedOf(running.status!)?.message).toBe('Receiving webhook deliveries at /webhook/alerts');
    // WHEN a pass finds its setup failing
    const failed = nextStatus(running, pass({ setupError }), NOW);
    // THEN it is not suspended, and the condition says no delivery is taken, and why to look
    expect(failed.phase).toBe('Failed');
    expect(suspendedOf(failed)).toMatchObject({
      status: 'False',
      reason: 'SetupFailed',
      message:
        'Not suspended, but taking no webhook deliveries at /webhook/alerts until the setup problem in the DiscoveryError condition (reason SetupFailed) is fixed',
    });
    // AND the next pass, failing the same way a minute later, changes nothing to write
    const again = nextStatus(
      { ...running, status: failed } as TaskSpawner,
      pass({ setupError }),
      NOW + 60_000,
    );
    expect(statusPatch(failed as Record<string, unknown>, again as Record<string, unknown>)).toBeUndefined();
    // AND once the Secret is back, it says it receives them again
    const back = nextStatus({ ...running, status: failed } as TaskSpawner, pass(), NOW + 120_000);
    expect(suspendedOf(back)).toMatchObject({
      reason: 'Active',
      message: 'Receiving webhook deliveries at /webhook/alerts',
    });
  });

  it('says what each kind of spawner does not do', () => {
    const of = (when: Record<string, unknown>) =>
      suspendedOf(
        nextStatus({ ...spawner, spec: { when } } as unknown as TaskSpawner, pass({ setupError }), NOW),
      )?.message;
    expect(of({ githubWebhook: { events: ['issues'] } })).toMatch(
      /^Not suspended, but taking no GitHub webhook deliveries at \/webhook\/github until/,
    );
    expect(of({ linearWebhook: { types: ['Issue'] } })).toMatch(
      /taking no Linear webhook deliveries at \/webhook\/linear/,
    );
    expect(of({ slack: {} })).toMatch(/taking no Slack messages/);
    expect(of({ githubIssues: {} })).toMatch(/^Not suspended, but not polling GitHub issues until/);
    expect(of({ cron: { schedule: '0 9 * * 1' } })).toMatch(
      /creating no Tasks on the cron schedule "0 9 \* \* 1"/,
    );
  });
});
