import { describe, expect, test } from 'vitest';
import { LogCursor, splitTimestamp } from '../../../src/cli/cluster/log-cursor.ts';

/** A `timestamps=true` log of `[time, text]` lines, as the kubelet sends it. */
const log = (lines: ReadonlyArray<readonly [string, string]>): string =>
  lines.map(([at, text]) => `${at} ${text}\n`).join('');

/** Feeds each read (chunked as given) to one cursor; returns what it printed. */
function follow(cursor: LogCursor, reads: ReadonlyArray<readonly string[]>): string {
  let out = '';
  for (const chunks of reads) {
    cursor.begin();
    for (const chunk of chunks) cursor.feed(chunk, (l) => (out += l));
  }
  cursor.end((l) => (out += l));
  return out;
}

const T = '2026-12-03T20:42:02';

describe('splitTimestamp', () => {
  test('reads the kubelet time with trimmed nanoseconds and keeps the text as it is', () => {
    expect(splitTimestamp(`${T}.5Z  two spaces`)).toEqual({
      at: [Date.parse(`${T}Z`) / 1000, 500_000_000],
      iso: `${T}Z`,
      text: ' two spaces',
    });
    expect(splitTimestamp(`${T}Z x`)?.at[1]).toBe(0);
    expect(splitTimestamp('not a timestamp')).toBeUndefined();
  });
});

describe('LogCursor', () => {
  test('the first read has no sinceTime; after it, the second of the last printed line', () => {
    const cursor = new LogCursor();
    expect(cursor.sinceTime).toBeUndefined();
    follow(cursor, [[log([[`${T}.123456789Z`, 'a']])]]);
    expect(cursor.sinceTime).toBe(`${T}Z`);
  });

  test('a resumed read that starts at the second prints only the lines not printed yet', () => {
    const lines = [
      [`${T}.1Z`, 'one'],
      [`${T}.2Z`, 'two'],
      [`${T}.3Z`, 'three'],
      [`${T}.4Z`, 'four'],
    ] as const;
    const cursor = new LogCursor();
    // The first read breaks after "two" and in the middle of "three".
    const first = log(lines.slice(0, 3));
    const out = follow(cursor, [[first.slice(0, -4)], [log(lines)]]);
    expect(out).toBe('one\ntwo\nthree\nfour\n');
  });

  test('lines sharing one timestamp: as many as were printed are skipped, the rest printed', () => {
    const same = `${T}.7Z`;
    const lines = [
      [same, 'x'],
      [same, 'x'],
      [same, 'y'],
      [`${T}.8Z`, 'z'],
    ] as const;
    const cursor = new LogCursor();
    const out = follow(cursor, [[log(lines.slice(0, 2))], [log(lines.slice(0, 3))], [log(lines)]]);
    expect(out).toBe('x\nx\ny\nz\n');
  });

  test('a log resumed across a restart: older lines are dropped, the new instance printed', () => {
    const cursor = new LogCursor();
    const out = follow(cursor, [
      [log([[`${T}.1Z`, 'before']])],
      [log([[`${T}.1Z`, 'before']])],
      [log([[`${T}.9Z`, 'after']])],
    ]);
    expect(out).toBe('before\nafter\n');
  });

  test('after a restart, the new log’s lines at the last timestamp are printed', () => {
    const cursor = new LogCursor();
    let out = '';
    const add = (l: string) => (out += l);
    cursor.begin();
    cursor.feed(log([[`${T}.1Z`, 'old']]), add);
    cursor.nextLog();
    for (const _ of [1, 2]) {
      cursor.begin();
      cursor.feed(log([[`${T}.1Z`, 'new']]), add);
    }
    expect(out).toBe('old\nnew\n');
  });

  test('a last line without a newline is printed only at the end; untimed lines pass through', () => {
    const cursor = new LogCursor();
    let out = '';
    cursor.begin();
    cursor.feed(`proxy says hi\n${T}.1Z tail`, (l) => (out += l));
    expect(out).toBe('proxy says hi\n');
    cursor.end((l) => (out += l));
    expect(out).toBe('proxy says hi\ntail');
  });
});
