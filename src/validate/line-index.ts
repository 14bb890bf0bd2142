/**
 * Line and column of an offset into a text, with the answers of the `yaml` library's
 * `LineCounter` (1-based line and column) but without holding an array of line starts for
 * every file read: `kelos validate` keeps each file's text for its diagnostics, and on 10,000
 * files the counters' arrays of boxed offsets were about 10 MiB of its peak heap. A small text
 * is scanned on each call; a large one gets a compact index built on first use, so a file with
 * thousands of diagnostics does not rescan megabytes each time.
 *
 * @packageDocumentation
 */
/** A 1-based line and column (the shape of `SourcePosition`, which this module cannot import without a cycle). */
interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** Texts up to this length are scanned per call: a manifest file is a few KiB. */
const SCAN_LIMIT = 16 * 1024;

const scan = (text: string, offset: number): SourcePosition => {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
};

/**
 * A function from offsets into `text` to 1-based positions. An offset past the end counts the
 * lines before it, as `LineCounter` does.
 */
export function linePositions(text: string): (offset: number) => SourcePosition {
  if (text.length <= SCAN_LIMIT) return (offset) => scan(text, offset);
  let starts: Uint32Array | undefined;
  return (offset) => {
    if (!starts) {
      let count = 1;
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
      starts = new Uint32Array(count);
      let n = 1;
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts[n++] = i + 1;
    }
    // The last line start at or before the offset.
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - (starts[low] ?? 0) + 1 };
  };
}
