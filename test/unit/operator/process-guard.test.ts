/**
 * Issue 9, finding 1: a rejected promise or a throw from a callback must not end the
 * operator. Run in a child process, since the test runner installs handlers of its own.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const GUARD = fileURLToPath(new URL('../../../src/operator/process-guard.ts', import.meta.url));
const LOG = fileURLToPath(new URL('../../../src/kube/log.ts', import.meta.url));

describe('installProcessGuards', () => {
  it('logs and counts an unhandled rejection and an uncaught exception, and the process lives on', () => {
    const script = `
      const { installProcessGuards } = await import(${JSON.stringify(GUARD)});
      const { createLogger } = await import(${JSON.stringify(LOG)});
      const faults = [];
      installProcessGuards(createLogger({ write: (l) => process.stderr.write(l), level: 'info' }), (f) => faults.push(f));
      Promise.reject(new Error('nobody awaited me'));
      setTimeout(() => { throw new Error('thrown from a timer'); }, 10);
      setTimeout(() => { process.stdout.write(JSON.stringify({ alive: true, faults })); }, 100);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      alive: true,
      faults: ['unhandledRejection', 'uncaughtException'],
    });
    expect(r.stderr).toContain('nobody awaited me');
    expect(r.stderr).toContain('thrown from a timer');
  });
});
