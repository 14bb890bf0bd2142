/**
 * The operator's log lines are gathered per event-loop turn into one write (a pipe is written
 * synchronously), but a warning or an error goes out at once with every line before it.
 */
import { describe, expect, it } from 'vitest';
import { batchedWriter, createLogger } from '../../../src/kube/log.ts';

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('batchedWriter', () => {
  it('writes the info lines of one turn in one write, in order, on the next turn', async () => {
    const writes: string[] = [];
    const lines = batchedWriter((t) => writes.push(t));
    const log = createLogger({ write: lines.write, now: () => 0 });
    log.info('First');
    log.info('Second');
    log.debug('Not written at info level');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toHaveLength(1);
    expect(
      writes[0]
        ?.split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).msg),
    ).toEqual(['First', 'Second']);
    log.info('Third');
    await nextTurn();
    expect(writes).toHaveLength(2);
  });

  it('writes a warning or an error at once, after the lines gathered before it', () => {
    const writes: string[] = [];
    const lines = batchedWriter((t) => writes.push(t));
    const log = createLogger({ write: lines.write, now: () => 0 });
    log.info('Before');
    log.error('Failed');
    expect(
      writes
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).msg),
    ).toEqual(['Before', 'Failed']);
    log.info('After');
    log.warn('Careful');
    expect(writes).toHaveLength(2);
  });

  it('flush writes what is gathered and nothing when nothing is', () => {
    const writes: string[] = [];
    const lines = batchedWriter((t) => writes.push(t));
    lines.flush();
    expect(writes).toEqual([]);
    lines.write('{"msg":"x"}\n', 'info');
    lines.flush();
    expect(writes).toEqual(['{"msg":"x"}\n']);
  });
});
