/**
 * Where a followed container log stopped, so `kelos logs -f` can resume it after the stream
 * drops (the API server closes it, the connection breaks, the container restarts) without
 * losing or repeating a line.
 *
 * The log is read with `timestamps=true`: the kubelet puts each line's RFC 3339 timestamp
 * (nanoseconds, trailing zeros trimmed) in front of it. A resumed read asks for
 * `sinceTime=<the last line's second>` (the API server passes `sinceTime` on with second
 * precision), so it starts at or before the last printed line; the cursor drops every line
 * older than the last one printed and, of the lines with exactly its timestamp, as many as
 * were printed already. Lines print only once complete: a line cut off by a dropped stream
 * comes again, whole, in the resumed read. Written here, not taken from a library: it is the
 * one rule above, over the kubelet's line format.
 *
 * @packageDocumentation
 */

/** A log timestamp as a comparable pair: whole seconds since the epoch and nanoseconds. */
type Instant = readonly [seconds: number, nanos: number];

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}) (.*)$/s;

/** The timestamp and text of one `timestamps=true` log line, or undefined without a timestamp. */
export function splitTimestamp(line: string): { at: Instant; iso: string; text: string } | undefined {
  const m = TIMESTAMP.exec(line);
  if (!m) return undefined;
  const [, base, fraction = '', zone, text] = m as unknown as [
    string,
    string,
    string | undefined,
    string,
    string,
  ];
  const ms = Date.parse(`${base}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  return { at: [ms / 1000, Number(fraction.padEnd(9, '0'))], iso: `${base}${zone}`, text };
}

const compare = (a: Instant, b: Instant): number => a[0] - b[0] || a[1] - b[1];

/** The resume point of one container's log across the reads of a follow. */
export class LogCursor {
  #last: Instant | undefined;
  /** RFC 3339 second of the last printed line, for `sinceTime`. */
  #lastSecond: string | undefined;
  /** How many printed lines carry exactly the last timestamp. */
  #printedAtLast = 0;
  /** How many lines with the last timestamp the current read has delivered. */
  #seenAtLast = 0;
  #pending = '';

  /** The `sinceTime` of the next read: undefined before any line was printed. */
  get sinceTime(): string | undefined {
    return this.#lastSecond === undefined
      ? undefined
      : new Date(this.#lastSecond).toISOString().replace(/\.\d+Z$/, 'Z');
  }

  /** A new read starts (from {@link sinceTime}); a line left incomplete by the last one is dropped. */
  begin(): void {
    this.#seenAtLast = 0;
    this.#pending = '';
  }

  /**
   * The next reads are of another log (the container restarted): its lines at the last
   * timestamp are new, so none of them counts as printed.
   */
  nextLog(): void {
    this.#printedAtLast = 0;
  }

  /** Feeds a chunk of the read; `print` gets each new complete line, newline included, without its timestamp. */
  feed(chunk: string, print: (line: string) => void): void {
    const lines = (this.#pending + chunk).split('\n');
    this.#pending = lines.pop() ?? '';
    for (const line of lines) this.#line(line, '\n', print);
  }

  /** The log ended for good: a last line without a newline is printed too. */
  end(print: (line: string) => void): void {
    if (this.#pending !== '') this.#line(this.#pending, '', print);
    this.#pending = '';
  }

  #line(line: string, newline: string, print: (line: string) => void): void {
    const parsed = splitTimestamp(line);
    if (!parsed) {
      // Not the kubelet's format (a proxy's message?): nothing to resume by, so print it.
      print(line + newline);
      return;
    }
    const order = this.#last === undefined ? 1 : compare(parsed.at, this.#last);
    if (order < 0) return;
    if (order === 0) {
      this.#seenAtLast++;
      if (this.#seenAtLast <= this.#printedAtLast) return;
      this.#printedAtLast++;
    } else {
      this.#last = parsed.at;
      this.#lastSecond = parsed.iso;
      this.#printedAtLast = 1;
      this.#seenAtLast = 1;
    }
    print(parsed.text + newline);
  }
}
