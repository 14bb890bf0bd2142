import { describe, expect, it } from 'vitest';
import { TASK, TASK_SPAWNER, WORKSPACE } from '../../../src/api/index.ts';
import { colours } from '../../../src/cli/cluster/colour.ts';
import { formatCost, renderDetail } from '../../../src/cli/cluster/detail.ts';
import {
  columnsOf,
  formatCell,
  humanDuration,
  readPath,
  renderTable,
} from '../../../src/cli/cluster/table.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration', () => {
  it.each([
    [-5 * S, '<invalid>'],
    [-500, '0s'],
    [0, '0s'],
    [45 * S, '45s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [5 * M + 10 * S, '5m10s'],
    [97 * M, '97m'],
    [3 * H, '3h'],
    [3 * H + 20 * M, '3h20m'],
    [30 * H, '30h'],
    [3 * D, '3d'],
    [3 * D + 4 * H, '3d4h'],
    [400 * D, '400d'],
    [3 * 365 * D + 20 * D, '3y20d'],
    [9 * 365 * D, '9y'],
  ])('%d ms is %s, as kubectl prints it', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('cells', () => {
  it('reads dotted paths, and prints <none> for what is missing', () => {
    const obj = { spec: { worker: { type: 'codex' } }, status: {} };
    expect(readPath(obj, '.spec.worker.type')).toBe('codex');
    expect(readPath(obj, '.status.phase')).toBeUndefined();
    expect(formatCell(undefined, 'string', 0)).toBe('<none>');
    expect(formatCell('', 'string', 0)).toBe('<none>');
    expect(formatCell(['a', 'b'], 'string', 0)).toBe('a,b');
    expect(formatCell(false, 'boolean', 0)).toBe('false');
    expect(formatCell('2026-01-01T00:00:00Z', 'date', Date.parse('2026-01-01T00:01:30Z'))).toBe('90s');
  });

  it('prints a plain cost quantity with a dollar sign, anything else as stored', () => {
    expect(formatCost('0.42')).toBe('$0.42');
    expect(formatCost('420m')).toBe('420m');
  });
});

const now = Date.parse('2026-01-01T12:00:00Z');
const task = (name: string, ns: string, status: Record<string, unknown> = {}) => ({
  kind: 'Task',
  apiVersion: 'kelos.dev/v1alpha2',
  metadata: { name, namespace: ns, creationTimestamp: '2026-01-01T11:59:00Z' },
  spec: { worker: { type: 'claude-code' }, branch: 'b', dependsOn: ['x', 'y'] },
  status,
});

describe('columnsOf and renderTable', () => {
  it('a Task shows its printer columns with PR and cost; wide adds the priority-1 ones; -A adds NAMESPACE', () => {
    const headers = (wide: boolean, allNamespaces: boolean) =>
      columnsOf(TASK, { wide, allNamespaces, now }).map((c) => c.header);
    expect(headers(false, false)).toEqual(['NAME', 'TYPE', 'PHASE', 'COST', 'PR', 'AGE']);
    expect(headers(true, false)).toEqual([
      'NAME',
      'TYPE',
      'PHASE',
      'BRANCH',
      'WORKSPACE',
      'DEPENDS ON',
      'COST',
      'PR',
      'AGE',
    ]);
    expect(headers(false, true)[0]).toBe('NAMESPACE');
    expect(columnsOf(WORKSPACE, { wide: false, allNamespaces: false, now }).map((c) => c.header)).toEqual([
      'NAME',
      'REPO',
      'AGE',
    ]);
    expect(
      columnsOf(TASK_SPAWNER, { wide: false, allNamespaces: false, now }).map((c) => c.header),
    ).not.toContain('DISCOVERED');
  });

  it('reads the type and workspace of the deprecated top-level form, as upstream’s examples write it', () => {
    const legacy = {
      metadata: { name: 'simple-task', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { type: 'codex', workspaceRef: { name: 'repo' }, prompt: 'x' },
      status: { phase: 'Running' },
    };
    expect(renderTable(columnsOf(TASK, { wide: true, allNamespaces: false, now }), [legacy])).toContain(
      'simple-task   codex   Running   <none>   repo',
    );
    const spawner = {
      metadata: { name: 's', namespace: 'ns' },
      spec: { taskTemplate: { type: 'claude-code', workspaceRef: { name: 'repo' } } },
    };
    const cells = columnsOf(TASK_SPAWNER, { wide: false, allNamespaces: false, now }).map((c) => [
      c.header,
      c.cell(spawner),
    ]);
    expect(cells).toContainEqual(['WORKSPACE', 'repo']);
  });

  it('a TaskSpawner whose last discovery failed reads Running with the DiscoveryError reason; Failed and a clean Running as stored', () => {
    const spawner = (name: string, phase: string, problem?: { reason: string; message: string }) => ({
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      metadata: { name, namespace: 'ns', creationTimestamp: '2026-01-01T11:00:00Z' },
      spec: { taskTemplate: { worker: { type: 'claude-code', workspaceRef: { name: 'repo' } } } },
      status: {
        phase,
        activeTasks: 0,
        queuedItems: 0,
        totalTasksCreated: 2,
        conditions: [
          { type: 'Suspended', status: 'False', reason: 'Active', message: 'Polling GitHub issues every 5m' },
          problem
            ? { type: 'DiscoveryError', status: 'True', ...problem }
            : {
                type: 'DiscoveryError',
                status: 'False',
                reason: 'NoErrors',
                message: 'The last pass had no errors',
              },
        ],
      },
    });
    const rows = [
      spawner('offline', 'Running', {
        reason: 'DiscoveryFailed',
        message: 'cannot resolve api.github.com',
      }),
      spawner('orphan', 'Failed', { reason: 'SetupFailed', message: 'Workspace ns/gone does not exist' }),
      spawner('fine', 'Running'),
    ];
    expect(renderTable(columnsOf(TASK_SPAWNER, { wide: false, allNamespaces: false, now }), rows)).toBe(
      [
        'NAME      WORKSPACE   SUSPEND   PHASE                       ACTIVE   QUEUED   TASKS   AGE',
        'offline   repo        <none>    Running (DiscoveryFailed)   0        0        2       60m',
        'orphan    repo        <none>    Failed                      0        0        2       60m',
        'fine      repo        <none>    Running                     0        0        2       60m',
        '',
      ].join('\n'),
    );
  });

  it('pads every column to its widest cell, three spaces apart, without trailing blanks', () => {
    const rows = [
      task('a', 'ns', { phase: 'Succeeded', usage: { costUSD: '1.5' }, results: { pr: 'https://x/pull/1' } }),
      task('longer-name', 'ns'),
    ];
    expect(renderTable(columnsOf(TASK, { wide: false, allNamespaces: false, now }), rows)).toBe(
      [
        'NAME          TYPE          PHASE       COST     PR                 AGE',
        'a             claude-code   Succeeded   1.5      https://x/pull/1   60s',
        'longer-name   claude-code   <none>      <none>   <none>             60s',
        '',
      ].join('\n'),
    );
  });
});

describe('renderDetail', () => {
  const done = task('a', 'ns', {
    phase: 'Succeeded',
    startTime: '2026-01-01T11:00:00Z',
    completionTime: '2026-01-01T11:04:05Z',
    results: { pr: 'https://x/pull/1', response: Buffer.from('All tests pass now.').toString('base64') },
    usage: { costUSD: '0.42', inputTokens: 10, outputTokens: 2 },
    conditions: [
      {
        type: 'BudgetBlocked',
        status: 'False',
        reason: 'WithinBudget',
        message: 'ok',
        lastTransitionTime: '2026-01-01T11:00:00Z',
      },
    ],
  });

  it('shows status, duration, usage, decoded results and conditions', () => {
    const text = renderDetail(done, colours({ isTTY: false, env: {} }), now);
    expect(text).toContain('Name:           a\n');
    expect(text).toContain('Depends On:     x,y\n');
    expect(text).toContain('Duration:       4m5s\n');
    expect(text).toContain('  Cost:           $0.42\n');
    expect(text).toContain('  response: All tests pass now.\n');
    expect(text).toMatch(
      / {2}TYPE\s+STATUS\s+REASON\s+AGE\s+MESSAGE\n {2}BudgetBlocked\s+False\s+WithinBudget\s+60m\s+ok\n/,
    );
  });

  it("reads an upstream-style Task's top-level settings where worker sets none, as the render does", () => {
    const flat = {
      kind: 'Task',
      apiVersion: 'kelos.dev/v1alpha2',
      metadata: { name: 'add-tests', namespace: 'ex02' },
      spec: {
        prompt: 'x',
        type: 'claude-code',
        credentials: { type: 'api-key', secretRef: { name: 'anthropic' } },
        workspaceRef: { name: 'repo' },
        podOverrides: { activeDeadlineSeconds: 600 },
        worker: { model: 'opus' },
      },
    };
    const lines = renderDetail(flat, colours({ isTTY: false, env: {} }), now).split('\n');
    expect(lines.filter((l) => /^(Type|Model|Credentials|Secret|Workspace|Timeout):/.test(l))).toStrictEqual([
      'Type:           claude-code',
      'Model:          opus',
      'Credentials:    api-key',
      'Secret:         anthropic',
      'Workspace:      repo',
      'Timeout:        10m',
    ]);
  });

  it('says an object is being deleted, since when, and which finalizers hold it', () => {
    const going = {
      ...task('fin-1', 'ns', { phase: 'Pending' }),
      metadata: {
        name: 'fin-1',
        namespace: 'ns',
        deletionTimestamp: '2026-01-01T11:58:00Z',
        finalizers: ['kelos.dev/finalizer'],
      },
    };
    expect(
      renderDetail(going, colours({ isTTY: false, env: {} }), now)
        .split('\n')
        .filter((l) => l.startsWith('Deleting:')),
    ).toStrictEqual([
      'Deleting:       since 2026-01-01T11:58:00Z (2m ago); held by finalizers kelos.dev/finalizer',
    ]);
  });

  it('keeps a space between every label and its value, the longest labels included', () => {
    const spawner = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      metadata: { name: 'nightly', namespace: 'ns', creationTimestamp: '2026-01-01T11:00:00Z' },
      spec: {
        taskTemplate: { worker: { type: 'claude-code', workspaceRef: { name: 'repo' } } },
        suspend: false,
        maxConcurrency: 3,
        maxTotalTasks: 4,
      },
      status: { phase: 'Running', activeTasks: 1, queuedItems: 2, totalDiscovered: 5, totalTasksCreated: 4 },
    };
    const text = renderDetail(spawner, colours({ isTTY: false, env: {} }), now);
    expect(text).toContain('Max Concurrency: 3\n');
    expect(text).toContain('Max Total Tasks: 4\n');
    // One column for all of them.
    expect(text).toContain('Name:            nightly\n');
    expect(text).toContain('Tasks Created:   4\n');
    const budget = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskBudget',
      metadata: { name: 'b' },
      spec: { period: { type: 'Monthly' }, maxCostUSD: '100' },
      status: { used: { costUSD: '1.5' } },
    };
    for (const obj of [spawner, budget, done]) {
      for (const line of renderDetail(obj, colours({ isTTY: false, env: {} }), now).split('\n')) {
        if (/^\S[^:]*:\S/.test(line)) expect.fail(`${obj.kind}: no space after the label: ${line}`);
      }
    }
  });

  it('colours only on a TTY, and never with NO_COLOR', () => {
    expect(renderDetail(done, colours({ isTTY: true, env: { TERM: 'xterm' } }), now)).toContain(
      '\u001b[32mSucceeded\u001b[39m',
    );
    expect(
      renderDetail(done, colours({ isTTY: true, env: { TERM: 'xterm', NO_COLOR: '1' } }), now),
    ).not.toContain('\u001b[');
    expect(renderDetail(done, colours({ isTTY: false, env: {} }), now)).not.toContain('\u001b[');
  });
});
