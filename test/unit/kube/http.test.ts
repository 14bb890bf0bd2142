import { describe, expect, it } from 'vitest';
import { parseAddress, serveEndpoints } from '../../../src/kube/http.ts';
import { OperatorMetrics } from '../../../src/operator/metrics.ts';

describe('parseAddress', () => {
  it('reads Go-style listen addresses', () => {
    expect(parseAddress(':8080')).toEqual({ port: 8080 });
    expect(parseAddress('8081')).toEqual({ port: 8081 });
    expect(parseAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseAddress('[::1]:9090')).toEqual({ host: '::1', port: 9090 });
    expect(parseAddress('0')).toBeUndefined();
    expect(parseAddress('')).toBeUndefined();
    expect(() => parseAddress('localhost')).toThrow(
      'invalid listen address "localhost" (expected [host]:port, e.g. :8080)',
    );
  });
});

describe('serveEndpoints', () => {
  it('answers /healthz always, /readyz by its checks, and /metrics in Prometheus format', async () => {
    let synced = false;
    const metrics = new OperatorMetrics(
      {
        queueDepths: () => ({ task: 3 }),
        tasksByPhase: () => ({ Running: 2, Waiting: 1 }),
        leading: () => true,
      },
      { processMetrics: false },
    );
    metrics.observeReconcile('task', false, 0.02);
    const server = await serveEndpoints('127.0.0.1:0', {
      metrics: metrics.registry,
      health: {
        checks: [{ name: 'informers-synced', check: () => (synced ? undefined : 'waiting for Task') }],
      },
    });
    if (!server) throw new Error('no server');
    const get = async (path: string) => {
      const res = await fetch(`http://${server.address}${path}`);
      return [res.status, await res.text()] as const;
    };
    try {
      expect(await get('/healthz')).toEqual([200, 'ok\n']);
      expect(await get('/readyz')).toEqual([503, 'not ready\n']);
      expect(await get('/readyz?verbose')).toEqual([
        503,
        '[-]informers-synced failed: waiting for Task\nreadyz check failed\n',
      ]);
      synced = true;
      expect(await get('/readyz?verbose')).toEqual([200, '[+]informers-synced ok\nreadyz check passed\n']);
      const [status, text] = await get('/metrics');
      expect(status).toBe(200);
      expect(text).toContain('kelos_workqueue_depth{controller="task"} 3');
      expect(text).toContain('kelos_tasks{phase="Running"} 2');
      expect(text).toContain('kelos_leader 1');
      expect(text).toContain('kelos_reconcile_errors_total{controller="task"} 1');
      expect(text).toContain('kelos_reconcile_total{controller="task",result="error"} 1');
      expect((await get('/nope'))[0]).toBe(404);
    } finally {
      await server.close();
    }
  });
});
