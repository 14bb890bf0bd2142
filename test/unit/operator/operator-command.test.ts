import { describe, expect, it } from 'vitest';
import { durationFlagMs } from '../../../src/cli/commands/operator.ts';
import type { CliIo } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/program.ts';

const io = (env: Record<string, string> = {}) => {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    cwd: process.cwd(),
    isTTY: false,
    env,
    readStdin: async () => '',
  };
  return { cli, out, err };
};

describe('kelos operator flags', () => {
  it('reads Go-style durations', () => {
    expect(durationFlagMs('10m')).toBe(600_000);
    expect(durationFlagMs('1h30m')).toBe(5_400_000);
    expect(durationFlagMs('45s')).toBe(45_000);
    expect(durationFlagMs('500ms')).toBe(500);
    expect(durationFlagMs('90')).toBe(90_000);
    expect(() => durationFlagMs('10 minutes')).toThrow(
      'invalid duration "10 minutes" (expected e.g. 10m, 1h30m, 45s or a number of seconds)',
    );
    expect(() => durationFlagMs('')).toThrow('invalid duration ""');
  });

  it('refuses a worker count that is not a positive integer, before connecting anywhere', async () => {
    const { cli, err } = io();
    expect(await runCli(['operator', '--workers', '0'], cli)).toBe(1);
    expect(err.join('')).toBe('kelos: --workers must be a positive integer; got "0"\n');
  });

  it('fails with exit 1 and names the problem when there is no kubeconfig', async () => {
    const { cli, err } = io({ KUBECONFIG: '/does/not/exist', HOME: '/does/not/exist' });
    expect(await runCli(['operator', '--kubeconfig', '/does/not/exist/config'], cli)).toBe(1);
    expect(err.join('')).toMatch(/^kelos: cannot read kubeconfig \/does\/not\/exist\/config: ENOENT/);
  });
});
