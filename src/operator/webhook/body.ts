/**
 * Reading a delivery's body under a size limit: a declared `Content-Length` over the limit is
 * refused before a byte is read, and a chunked body is cut off the moment it passes the limit
 * (never buffered whole); what is left of a refused body is read and thrown away
 * ({@link discardBody}), so the sender reads the refusal. The content type must be JSON, except that GitHub may send its
 * form-encoded deliveries (the content type its webhook form selects by default: the JSON in
 * the `payload` field), signed over the raw form body.
 *
 * @packageDocumentation
 */
import type { IncomingMessage } from 'node:http';

/** Default body limit, upstream's. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * Body limit of a delivery no secret verified (accepted only in namespaces the KelosConfig lets
 * take unsigned deliveries): anyone who reaches the port can send one, and parsing 10 MiB of
 * pathological JSON holds the operator's event loop for seconds.
 */
export const MAX_UNSIGNED_BODY_BYTES = 1024 * 1024;

/** A refusal: HTTP status and a message for the sender. */
export interface Refusal {
  readonly status: number;
  readonly message: string;
}

/** The media type of a `Content-Type` header, lower case, without parameters. */
export const mediaType = (header: string | undefined): string =>
  (header ?? '').split(';')[0]!.trim().toLowerCase();

/** GitHub's form-encoded delivery content type. */
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** Why the content type is not acceptable, or undefined; `form` accepts GitHub's form encoding. */
export function contentTypeProblem(header: string | undefined, form = false): Refusal | undefined {
  const type = mediaType(header);
  if (type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))) return;
  if (type === FORM_CONTENT_TYPE) {
    if (form) return;
    return {
      status: 415,
      message: 'form-encoded deliveries are accepted from GitHub only: send application/json',
    };
  }
  return {
    status: 415,
    message: `content type must be application/json; got ${JSON.stringify(type || '(none)')}`,
  };
}

/** Reads the body, or says why not (413 too large, 400 aborted). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | Refusal> {
  const declared = req.headers['content-length'];
  // Refused before a byte is read; what the sender still sends is discardBody's.
  if (declared !== undefined && Number(declared) > maxBytes)
    return Promise.resolve({ status: 413, message: `body larger than ${maxBytes} bytes` });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (v: Buffer | Refusal) => {
      if (done) return;
      done = true;
      resolve(v);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        chunks.length = 0;
        // Left unread from here on, for discardBody once the refusal is written.
        req.off('data', onData);
        req.pause();
        finish({ status: 413, message: `body larger than ${maxBytes} bytes` });
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => finish(Buffer.concat(chunks, size)));
    req.once('error', () => finish({ status: 400, message: 'request body aborted' }));
    req.once('close', () => finish({ status: 400, message: 'request body aborted' }));
  });
}

/** Longest a refused body is read and thrown away after its answer was written. */
export const DISCARD_MS = 5_000;

/**
 * Reads and throws away the rest of a refused request's body, after its answer was written
 * and before the connection is closed. A sender that does not wait for `100 Continue` (Node's
 * fetch, curl without `Expect`) is still writing when the 413 is sent; closing a socket with
 * bytes unread makes the kernel answer them with a reset, and the sender sees the reset
 * (EPIPE, curl's `000`) rather than the 413. Bounded, so a sender cannot hold the connection:
 * at most `maxBytes`, for at most `maxMs`; past either the connection is closed all the same.
 * Resolves when the body ended, the connection closed, or a bound was reached.
 */
export function discardBody(req: IncomingMessage, maxBytes: number, maxMs = DISCARD_MS): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let size = 0;
    const stop = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', stop);
      req.off('close', stop);
      req.pause();
      resolve();
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) stop();
    };
    const timer = setTimeout(stop, maxMs);
    req.on('data', onData);
    req.once('end', stop);
    req.once('close', stop);
    req.resume();
  });
}

/**
 * The JSON text of a delivery body: the body itself, or, form-encoded, its `payload` field
 * (undefined when it has none).
 */
export const jsonText = (body: Buffer, form: boolean): string | undefined =>
  form ? (new URLSearchParams(body.toString('utf8')).get('payload') ?? undefined) : body.toString('utf8');

/**
 * Where a delivery's JSON may hold an integer a double cannot hold: every integer past
 * `Number.MAX_SAFE_INTEGER` has 16 digits or more. Only such a body pays for the reviver;
 * the test costs a scan, a few percent of the parse. Spelled out: V8 scans `\d{16}` about
 * twenty times slower than sixteen `\d` in a row.
 */
const LONG_DIGIT_RUN = new RegExp('\\d'.repeat(16));

/** An integer literal as JSON writes one. */
const INTEGER_LITERAL = /^-?\d+$/;

/**
 * Keeps an integer too large for a double exact: a bigint of its text as sent (the template
 * engine's Go int), where `JSON.parse` would round `12345678901234567891` to
 * `12345678901234567000` and two senders' ids would name one Task. `context.source` is the
 * literal (Node 22 and later).
 */
const exactIntegers = (_key: string, value: unknown, context?: { readonly source?: string }): unknown =>
  typeof value === 'number' &&
  !Number.isSafeInteger(value) &&
  context?.source !== undefined &&
  INTEGER_LITERAL.test(context.source)
    ? BigInt(context.source)
    : value;

/**
 * A delivery's JSON, parsed once, with every integer beyond `Number.MAX_SAFE_INTEGER` a bigint
 * of its exact digits (other numbers are JavaScript numbers, as `JSON.parse` makes them).
 * Throws a `SyntaxError` on malformed JSON.
 */
export const parseDelivery = (text: string): unknown =>
  LONG_DIGIT_RUN.test(text)
    ? JSON.parse(text, exactIntegers as (this: unknown, key: string, value: unknown) => unknown)
    : JSON.parse(text);

/**
 * Deepest nesting of a delivery's JSON. No source nests near it (GitHub's payloads reach about
 * 10 levels); a payload past it is refused before anything walks it, since the filters and field
 * mappings walk values recursively and V8's own parser takes any depth.
 */
export const MAX_PAYLOAD_DEPTH = 128;

/** Whether `value` nests deeper than `max` arrays and objects; walked without recursion. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [v, depth] = top;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
