import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { deleteTimeoutSeconds, parseWaitFlag } from '../../../src/cli/commands/delete.ts';
import { runCli } from '../../../src/cli/program.ts';

describe('kelos delete --wait and --timeout', () => {
  test('--wait is on unless set false, as kubectl’s', () => {
    expect(parseWaitFlag(undefined)).toBe(true);
    expect(parseWaitFlag(true)).toBe(true);
    expect(parseWaitFlag('true')).toBe(true);
    expect(parseWaitFlag('false')).toBe(false);
    expect(parseWaitFlag(false)).toBe(false);
  });

  test('another --wait value is a usage error naming it', () => {
    expect(() => parseWaitFlag('ws')).toThrow(/--wait takes true or false .*got "ws"/);
  });

  test('--timeout 0 waits a week, as kubectl; other durations as written; a bad one is refused', () => {
    expect(deleteTimeoutSeconds('0s')).toBe(7 * 24 * 3600);
    expect(deleteTimeoutSeconds('0')).toBe(7 * 24 * 3600);
    expect(deleteTimeoutSeconds('90s')).toBe(90);
    expect(deleteTimeoutSeconds('2m')).toBe(120);
    expect(() => deleteTimeoutSeconds('soon')).toThrow(
      '--timeout must be a positive duration, e.g. 2m (a bare number is seconds), or 0 to wait a week; got "soon"',
    );
  });
});

describe('--timeout of every command', () => {
  /** Runs the CLI in-process; what it printed and returned. */
  const cli = async (...argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const home = mkdtempSync(join(tmpdir(), 'kelos-timeout-'));
    const code = await runCli(argv, {
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      cwd: home,
      isTTY: false,
      env: { HOME: home },
      readStdin: async () => '',
    });
    return { code, stdout, stderr };
  };

  test.each([['run'], ['delete'], ['install'], ['uninstall']])(
    'kelos %s --help says what a bare number means, as it reads one: seconds',
    async (command) => {
      const { code, stdout } = await cli(command, '--help');
      expect(code).toBe(0);
      const option = stdout.slice(stdout.indexOf('--timeout <duration>')).split(/\n {2}-/)[0]!;
      expect(option.replace(/\s+/g, ' ')).toContain('(a bare number is seconds)');
    },
    30_000,
  );

  test('a bare number is seconds, as the help says, and a bad value says so too', async () => {
    const run = await cli('run', '-p', 'x', '--credential-type', 'none', '--timeout', '5', '--dry-run');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('activeDeadlineSeconds: 5\n');
    const bad = await cli('uninstall', '--timeout', 'soon');
    expect(bad).toMatchObject({
      code: 1,
      stderr:
        'kelos: --timeout must be a positive duration, e.g. 2m or 1h30m (a bare number is seconds); got "soon"\n',
    });
  });
});
