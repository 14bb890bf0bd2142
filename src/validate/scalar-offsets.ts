/**
 * Maps an offset in a YAML string's value to an offset in the scalar as written, so a
 * finding inside a template (line 3, column 7 of the prompt) points at the right line and
 * column of the manifest, whatever style the string was written in.
 *
 * Literal blocks (`|`) keep lines one to one, so they map exactly by the block's
 * indentation. The other styles are aligned value against source: equal characters match,
 * escapes (`\n`, `\"`, `''`) count as the one character they stand for, and whitespace the
 * YAML folding dropped or replaced is skipped.
 *
 * @packageDocumentation
 */

/** Length of the escape sequence starting at `raw[i]` (a backslash) in a double-quoted scalar. */
const escapeLength = (raw: string, i: number): number => {
  const c = raw[i + 1];
  if (c === 'x') return 4;
  if (c === 'u') return 6;
  if (c === 'U') return 10;
  return 2;
};

/** Offsets for a literal block: each value line is a source line minus the block's indentation. */
const literalOffsets = (raw: string, value: string): number[] => {
  const bodyStart = raw.indexOf('\n') + 1;
  const header = raw.slice(0, bodyStart);
  const lines = raw.slice(bodyStart).split('\n');
  const explicit = /[1-9]/.exec(header)?.[0];
  const firstContent = lines.find((l) => l.trim() !== '') ?? '';
  const indent = explicit ? Number(explicit) : firstContent.length - firstContent.trimStart().length;
  const out: number[] = [];
  let lineStart = bodyStart;
  let line = 0;
  let col = 0;
  for (let j = 0; j < value.length; j++) {
    out.push(lineStart + indent + col);
    if (value[j] === '\n') {
      lineStart += (lines[line]?.length ?? 0) + 1;
      line++;
      col = 0;
    } else col++;
  }
  return out;
};

/**
 * For each index of `value`, the offset in `raw` (the scalar as written) of the character
 * that produced it.
 *
 * @param style the `yaml` library's scalar type (`PLAIN`, `QUOTE_DOUBLE`, `QUOTE_SINGLE`,
 *   `BLOCK_LITERAL`, `BLOCK_FOLDED`)
 */
export const valueOffsets = (raw: string, style: string, value: string): number[] => {
  if (style === 'BLOCK_LITERAL' && raw.includes('\n')) return literalOffsets(raw, value);
  const out: number[] = [];
  let i = style === 'QUOTE_DOUBLE' || style === 'QUOTE_SINGLE' ? 1 : 0;
  if (style === 'BLOCK_FOLDED') i = raw.indexOf('\n') + 1;
  const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  for (let j = 0; j < value.length; j++) {
    const c = value[j]!;
    while (i < raw.length) {
      if (style === 'QUOTE_DOUBLE' && raw[i] === '\\') {
        if (raw[i + 1] === '\n') {
          // An escaped line break continues the line: it stands for nothing.
          i += 2;
          continue;
        }
        break;
      }
      if (raw[i] === c || (isSpace(c) && isSpace(raw[i]))) break;
      if (style === 'QUOTE_SINGLE' && c === "'" && raw[i] === "'") break;
      if (!isSpace(raw[i])) break;
      i++;
    }
    out.push(Math.min(i, Math.max(raw.length - 1, 0)));
    if (style === 'QUOTE_DOUBLE' && raw[i] === '\\') {
      const len = escapeLength(raw, i);
      // `\U` beyond the BMP is two UTF-16 units in the value.
      if (len === 10 && value.codePointAt(j)! > 0xffff) {
        out.push(i);
        j++;
      }
      i += len;
    } else if (style === 'QUOTE_SINGLE' && raw[i] === "'" && raw[i + 1] === "'") i += 2;
    else i++;
  }
  return out;
};
