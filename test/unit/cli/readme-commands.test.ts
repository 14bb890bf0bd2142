/**
 * The README's command reference names every option each command takes, so the table a user
 * reads cannot fall behind `--help`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BUILTIN_RULES } from '../../../policies/index.ts';
import { KINDS } from '../../../src/api/index.ts';
import type { CliIo } from '../../../src/cli/io.ts';
import { buildProgram } from '../../../src/cli/program.ts';
import { ENGINE_RULES } from '../../../src/policy/engine.ts';

const README = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8');

const io: CliIo = {
  stdout: () => {},
  stderr: () => {},
  cwd: process.cwd(),
  isTTY: false,
  env: {},
  readStdin: async () => '',
};

/** The README's table row of `kelos <name>` (a row may name several: `kelos suspend\|resume …`). */
const rowOf = (name: string): string | undefined =>
  README.split('\n').find((l) => /^\| `kelos ([^` ]+)/.exec(l)?.[1]?.split('\\|').includes(name));

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether `text` names the flag as a token of its own (`--x`, `-x/--x`, `` `-x` ``). */
const mentions = (text: string, flag: string): boolean =>
  new RegExp(`(^|[\\s\`/(])${escapeRegExp(flag)}(?![a-z-])`).test(text);

/**
 * The flags every cluster command takes, named once under the cluster table: its paragraph
 * that begins "Every cluster command takes" and the config-file bullet.
 */
const SHARED = (README.split('Every cluster command takes')[1] ?? '').split('### ')[0] ?? '';

/** Whether the README names an option of a command: its row, by long or short flag or as a family (`--agent-image-<type>`), or the shared flags. */
const named = (row: string, long: string, short: string | undefined): boolean => {
  if (mentions(row, long) || (short && mentions(row, short)) || mentions(SHARED, long)) return true;
  const parts = long.split('-');
  for (let i = parts.length - 1; i > 2; i--)
    if (row.includes(`${parts.slice(0, i).join('-')}-<`)) return true;
  return false;
};

describe('the README command reference', () => {
  test('kelos get names every short name a kind answers to', () => {
    const row = rowOf('get') ?? '';
    for (const k of KINDS) for (const n of k.shortNames) expect(row, `${k.kind}: ${n}`).toContain(`\`${n}\``);
  });

  test('names every option of every command', { timeout: 60_000 }, async () => {
    const program = await buildProgram(io, () => {});
    const missing: string[] = [];
    for (const command of program.commands) {
      const row = rowOf(command.name());
      if (!row) {
        missing.push(`kelos ${command.name()}: no row`);
        continue;
      }
      for (const option of command.options) {
        if (option.long && option.long !== '--help' && !named(row, option.long, option.short))
          missing.push(`kelos ${command.name()} ${option.long}`);
      }
    }
    expect(missing).toStrictEqual([]);
  });

  test("spells each command's arguments as --help does: required <x>, optional [x]", {
    timeout: 60_000,
  }, async () => {
    const program = await buildProgram(io, () => {});
    const wrong: string[] = [];
    for (const command of program.commands) {
      // Commands with subcommands take their arguments there (`kelos create workspace <name>`).
      if (command.commands.length > 0) continue;
      const header = /^\| `([^`]+)`/.exec(rowOf(command.name()) ?? '')?.[1] ?? '';
      const written = header.match(/<[^>]+>|\[[^\]]+\]/g) ?? [];
      const args = command.registeredArguments.map((a) => {
        const name = `${a.name()}${a.variadic ? '...' : ''}`;
        return a.required ? `<${name}>` : `[${name}]`;
      });
      // A leading argument may be spelt as its values (`suspend|resume taskspawner <name>`).
      const expected = args.slice(args.length - written.length);
      if (written.length > args.length || written.some((w, i) => w !== expected[i]))
        wrong.push(`${header}: kelos ${command.name()} ${args.join(' ')}`);
    }
    expect(wrong).toStrictEqual([]);
  });
});

describe('the README lists the policy rules', () => {
  test('every rule and engine code, with its default severity, and nothing else', () => {
    const listed = [
      ...README.matchAll(
        /^\| `((?:budget|forecast|concurrency|security|hygiene|policy)\/[a-z-]+)` \| (\w+) \|/gm,
      ),
    ].map((m) => `${m[1]} ${m[2]}`);
    expect(listed).toStrictEqual([...BUILTIN_RULES, ...ENGINE_RULES].map((r) => `${r.id} ${r.severity}`));
  });
});
