import { describe, expect, it } from 'vitest';
import { LineCounter } from 'yaml';
import { linePositions } from '../../../src/validate/line-index.ts';

/** The `yaml` library's answers, which the validator's positions used to come from. */
const byLineCounter = (text: string) => {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  return (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
};

/** Every offset of `text`, one past its end and a few further. */
const offsets = (text: string) => Array.from({ length: text.length + 4 }, (_, i) => i);

describe('linePositions', () => {
  it.each([
    ['empty', ''],
    ['one line', 'kind: Task'],
    ['leading newlines', '\n\napiVersion: v1\n'],
    ['CRLF and blank lines', 'a: 1\r\n\r\nb:\r\n  - x\r\n'],
    ['trailing text without newline', 'a: 1\nb: 2'],
  ])('answers as the yaml LineCounter for %s', (_, text) => {
    const ours = linePositions(text);
    const theirs = byLineCounter(text);
    for (const o of offsets(text)) expect(ours(o), `offset ${o}`).toEqual(theirs(o));
  });

  it('answers as the yaml LineCounter for a text large enough to be indexed', () => {
    const text = Array.from(
      { length: 3000 },
      (_, i) => `${'  '.repeat(i % 5)}key${i}: ${'v'.repeat(i % 17)}`,
    ).join('\n');
    expect(text.length).toBeGreaterThan(16 * 1024);
    const ours = linePositions(text);
    const theirs = byLineCounter(text);
    // Out of order, as diagnostics ask.
    for (const o of offsets(text).reverse()) expect(ours(o), `offset ${o}`).toEqual(theirs(o));
  });
});
